"""Every finding kind the text oracle reports, shown in Swedish and in English."""

from __future__ import annotations

import pytest

import journal_fuzz as jf

# (kind, language, sent, received, expected concept or None)
CASES = [
    ("negation-dropped", "sv", "Inga tecken på blödning.", "Tecken på blödning.", "blödning"),
    ("negation-dropped", "sv", "Fri gas under diafragman ses ej.", "Fri gas under diafragman ses.", "fri gas"),
    ("negation-dropped", "sv", "Ingen fraktur.", "En fraktur.", "fraktur"),
    ("negation-dropped", "sv", "Ljumskbråck saknas. Mår bra.", "Ljumskbråck. Mår bra.", "ljumskbråck"),
    ("negation-dropped", "en", "Denies chest pain.", "Chest pain.", "chest pain"),
    ("negation-dropped", "en", "No fracture.", "A fracture.", "fracture"),
    ("negation-dropped", "en", "Free air is not seen today.", "Free air is seen today.", "free air"),
    ("negation-added", "sv", "Patienten har feber.", "Patienten har inte feber.", "feber"),
    ("negation-added", "sv", "Ingen feber. Hosta sedan tre dagar.", "Ingen feber Hosta sedan tre dagar.", "hosta"),
    ("negation-added", "en", "Patient has fever.", "Patient has no fever.", "fever"),
    ("negation-added", "en", "No fever. Cough for three days.", "No fever Cough for three days.", "cough"),
    ("hedge-changed", "sv", "Misstänkt lungemboli.", "Lungemboli.", "lungemboli"),
    ("hedge-changed", "sv", "Pneumoni kan ej uteslutas.", "Pneumoni kan uteslutas.", "pneumoni"),
    ("hedge-changed", "en", "Suspected pulmonary embolism.", "Pulmonary embolism.", "pulmonary embolism"),
    ("hedge-changed", "en", "Pneumonia cannot be excluded.", "Pneumonia can be excluded.", "pneumonia"),
    ("term-dropped", "sv", "Patienten har feber och hosta.", "Patienten har feber och.", "hosta"),
    ("term-dropped", "en", "Patient has fever and cough.", "Patient has fever and.", "cough"),
    ("term-changed", "sv", "Hypoglykemi noterad.", "Hyperglykemi noterad.", "hypoglykemi"),
    ("term-changed", "en", "Hypoglycemia noted.", "Hyperglycemia noted.", "hypoglycemia"),
    ("number-changed", "sv", "Waran 2,5 mg dagligen.", "Waran 25 mg dagligen.", None),
    ("number-changed", "sv", "CRP <5, ingen infektion.", "CRP 5, ingen infektion.", None),
    ("number-changed", "en", "Warfarin 2.5 mg daily.", "Warfarin 25 mg daily.", None),
    ("number-changed", "en", "BP 130/80 today.", "BP 130/90 today.", None),
    ("unit-changed", "sv", "Levaxin 50 µg 1x1.", "Levaxin 50 mg 1x1.", None),
    ("unit-changed", "sv", "Levaxin 50 mikrog 1x1.", "Levaxin 50 mg 1x1.", None),
    ("unit-changed", "en", "Levothyroxine 50 µg daily.", "Levothyroxine 50 mg daily.", None),
    ("laterality-changed", "sv", "Smärta i vänster höft.", "Smärta i höger höft.", None),
    ("laterality-changed", "sv", "Fraktur i höft dx.", "Fraktur i höft sin.", None),
    ("laterality-changed", "en", "Pain in the left hip.", "Pain in the right hip.", None),
    ("words-merged", "sv", "Ingen feber.", "Ingenfeber.", None),
    ("words-merged", "sv", "Anamnes\nEj rökare", "AnamnesEj rökare", None),
    ("words-merged", "en", "No fever today.", "Nofever today.", None),
    ("reordered", "sv", "Patienten har inte feber.", "Inte patienten har feber.", None),
    ("reordered", "en", "Patient has fever, not cough.", "Patient has not fever, cough.", None),
    ("truncated", "sv", "Fraktur påvisas ej.", "Fraktur påvisas", "fraktur"),
    ("truncated", "sv", "Hjärta & lungor: ua", "Hjärta ", None),
    ("truncated", "en", "Fracture is not seen.", "Fracture is", "fracture"),
    ("encoding-damaged", "sv", "Förnekar bröstsmärta.", "Frnekar bröstsmärta.", None),
    ("encoding-damaged", "sv", "Förnekar bröstsmärta.", "FÃ¶rnekar bröstsmärta.", None),
    ("encoding-damaged", "sv", "Förnekar bröstsmärta.", "F?rnekar bröstsmärta.", None),
    ("encoding-damaged", "en", "Seen at Tübingen clinic.", "Seen at Tbingen clinic.", None),
    ("encoding-damaged", "en", "Seen at Tübingen clinic.", "Seen at TÃ¼bingen clinic.", None),
    ("word-dropped", "sv", "Patienten mår bra idag.", "Patienten mår idag.", None),
    ("word-dropped", "en", "The patient feels well today.", "The patient feels today.", None),
    ("word-added", "sv", "Patienten mår bra.", "Patienten mår mycket bra.", None),
    ("word-added", "en", "The patient feels well.", "The patient feels very well.", None),
    ("word-changed", "sv", "Patienten mår bra.", "Patienten mår dåligt.", None),
    ("word-changed", "en", "The patient feels well.", "The patient feels poorly.", None),
]


@pytest.mark.parametrize(("kind", "language", "sent", "received", "concept"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_kind(kind: str, language: str, sent: str, received: str, concept: str | None) -> None:
    verdict = jf.compare(sent, received, language)
    assert not verdict.ok, verdict.explain()
    assert verdict.findings[0].kind == kind or kind in verdict.kinds, verdict.explain()
    finding = next(f for f in verdict.findings if f.kind == kind)
    assert kind in jf.KINDS
    if concept is not None:
        named = {finding.concept, *(c.concept for c in finding.concepts)}
        assert concept in named, verdict.explain()
    # Offsets point into the original sent text.
    if finding.sent_text:
        assert sent[finding.sent_offset:finding.sent_offset + len(finding.sent_text)] == finding.sent_text


def test_every_text_kind_is_demonstrated_in_both_languages() -> None:
    # field-* come from the FHIR comparison, record-crossed from comparing payloads sent together (test_latency).
    text_kinds = set(jf.KINDS) - {"field-dropped", "field-changed", "record-crossed"}
    for language in ("sv", "en"):
        shown = {c[0] for c in CASES if c[1] == language}
        assert text_kinds <= shown, sorted(text_kinds - shown)


@pytest.mark.parametrize(("sent", "received", "severity"), [
    ("Ingen feber.", "Feber.", "critical"),
    ("Waran 2,5 mg.", "Waran 25 mg.", "critical"),
    ("Patienten mår bra idag.", "Patienten mår idag.", "major"),
    ("Patienten mår bra; idag.", "Patienten mår bra idag.", "minor"),
    ("Waran 2,5 mg.", "Waran 2.5 mg.", "major"),
])
def test_severity(sent: str, received: str, severity: str) -> None:
    verdict = jf.compare(sent, received, "sv")
    assert [f.severity for f in verdict.findings] == [severity], verdict.explain()


def test_minor_differences_keep_the_verdict_ok() -> None:
    verdict = jf.compare("Patienten mår bra; idag.", "Patienten mår bra idag.", "sv")
    assert verdict.ok and len(verdict.findings) == 1
    strict = jf.compare("Patienten mår bra; idag.", "Patienten mår bra idag.", "sv",
                        policy=jf.Policy(fail_on="minor"))
    assert not strict.ok


def test_lost_full_stop_that_widens_a_scope_is_named() -> None:
    verdict = jf.compare("Ingen feber. Hosta sedan tre dagar.", "Ingen feber Hosta sedan tre dagar.", "sv")
    f = verdict.findings[0]
    assert f.kind == "negation-added" and f.severity == "critical"
    assert any(c.concept == "hosta" and c.sent == "affirmed" and c.received == "negated" for c in f.concepts)


def test_moved_negation_is_reported_with_the_concept_whose_polarity_changed() -> None:
    verdict = jf.compare("Hosta, inte feber.", "Inte hosta, feber.", "sv")
    assert not verdict.ok
    changes = {(c.concept, c.sent, c.received) for f in verdict.findings for c in f.concepts}
    # NegEx lets a pre-negation run to the end of the sentence, so "feber" stays negated; "hosta" flips.
    assert ("hosta", "affirmed", "negated") in changes, verdict.explain()
    assert verdict.kinds == ["reordered"]


def test_whole_statement_dropped_is_term_dropped_not_negation_dropped() -> None:
    verdict = jf.compare("Ingen känd allergi mot penicillin.\n\nStatus: opåverkad.", "Status: opåverkad.", "sv")
    assert verdict.kinds == ["term-dropped"], verdict.explain()


def test_hedge_containing_ej_is_not_a_negation() -> None:
    verdict = jf.compare("Pneumoni kan ej uteslutas.", "Pneumoni kan ej uteslutas.", "sv")
    assert verdict.ok
    dropped = jf.compare("Misstänkt pneumoni, kan ej uteslutas.", "Misstänkt pneumoni, kan uteslutas.", "sv")
    assert dropped.kinds == ["hedge-changed"], dropped.explain()


def test_pseudo_negation_loss_is_still_a_negation_loss() -> None:
    verdict = jf.compare("Ingen förändring av infiltratet.", "Förändring av infiltratet.", "sv")
    assert verdict.kinds == ["negation-dropped"], verdict.explain()


def test_unit_change_explains_the_factor() -> None:
    f = jf.compare("Levaxin 50 µg.", "Levaxin 50 mg.", "sv").findings[0]
    assert "1000×" in f.explanation


def test_to_dict_has_stable_keys() -> None:
    d = jf.compare("Ingen feber.", "Feber.", "sv").to_dict()
    assert set(d) == {"ok", "language", "summary", "findings"}
    assert set(d["findings"][0]) == {"kind", "severity", "concept", "sent_text", "received_text", "sent_offset",
                                     "received_offset", "sent_context", "received_context", "explanation",
                                     "path", "concepts", "sent_spans", "received_spans"}
    assert d["summary"]["by_kind"] == {"negation-dropped": 1}


def test_explain_marks_the_changed_words() -> None:
    text = jf.compare("Fri gas under diafragman ses ej.", "Fri gas under diafragman ses.", "sv").explain()
    assert "negation-dropped" in text and "[-ej-]" in text and "fri gas" in text
    assert "negated → affirmed" in text


def test_findings_are_in_sent_order() -> None:
    verdict = jf.compare("Ingen feber. Waran 2,5 mg. Smärta i vänster höft.",
                         "Feber. Waran 25 mg. Smärta i höger höft.", "sv")
    assert verdict.kinds == ["negation-dropped", "number-changed", "laterality-changed"], verdict.explain()
    offsets = [f.sent_offset for f in verdict.findings]
    assert offsets == sorted(offsets)


def test_note_input_supplies_its_language() -> None:
    note = jf.Note(text="No fever.", language="en")
    verdict = jf.compare(note, "Fever.")
    assert verdict.language == "en" and verdict.kinds == ["negation-dropped"]


def test_auto_language() -> None:
    assert jf.compare("Patienten har ingen feber.", "Patienten har ingen feber.").language == "sv"
    assert jf.compare("The patient denies chest pain.", "x").language == "en"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        jf.compare("a", "b", "fr")
    with pytest.raises(TypeError):
        jf.compare("a", None)  # type: ignore[arg-type]
