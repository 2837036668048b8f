"""The note generators: exact spans, the features they promise, lengths near caps, and shrinking."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, Phase, find, given, seed, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz import strategies as jst
from journal_fuzz.lexicon import HEDGE_POST, HEDGE_PRE, NEG_POST, NEG_PRE, PSEUDO, TERMINATION, Lexicon, load_lexicon

STRATEGIES = {
    "notes": jst.notes, "hostile-notes": lambda lang: jst.notes(lang, hostile=True), "sentences": jst.sentences,
    "negated": jst.negated_findings, "hedged": jst.hedged_findings, "medication": jst.medication_orders,
    "labs": jst.lab_results, "hostile": jst.hostile_text, "near-caps": jst.lengths_near,
}


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_facts_are_exact_spans_and_faithful_copies_pass(name: str, language: str) -> None:
    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(STRATEGIES[name](language))
    def prop(note: jf.Note) -> None:
        assert note.language == language and note.text
        for fact in note.facts:
            assert note.text[fact.start:fact.end] == fact.text, fact
            assert fact.kind in jf.notes.FACT_KINDS if hasattr(jf, "notes") else True
        assert jf.compare(note, note.text).ok
        assert jf.compare(note, note.text.replace("\n", "\r\n")).findings == []

    prop()


def test_every_feature_appears() -> None:
    seen: set[str] = set()

    @seed(20241112)  # seeded, not derandomised: a derandomised run starts from the simplest notes
    @settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
              database=None)
    @given(st.sampled_from(["sv", "en"]).flatmap(lambda lang: jst.notes(lang, hostile=True)))
    def collect(note: jf.Note) -> None:
        seen.update(note.features)

    collect()
    wanted = {"pre-negation", "post-negation", "pseudo-negation", "termination", "hedge", "side", "bilateral",
              "medication", "decimal-comma", "decimal-point", "micro", "comparison", "range", "slash", "percent",
              "celsius", "date", "personnummer", "long-compound", "list", "blank-line", "heading",
              *jst.HOSTILE_FEATURES}
    assert wanted <= seen, sorted(wanted - seen)


def test_generated_cues_are_cues_the_lexicon_knows() -> None:
    """Every cue fact the notes carry is a lexicon cue of that role (the question mark aside: the grammar's own
    sign of uncertainty)."""
    roles = {("negation", "pre"): {NEG_PRE}, ("negation", "post"): {NEG_POST}, ("negation", "pseudo"): {PSEUDO},
             ("negation", "termination"): {TERMINATION}, ("hedge", "pre"): {HEDGE_PRE}, ("hedge", "post"): {HEDGE_POST}}
    def check(language: str, lex: Lexicon) -> None:
        @settings(max_examples=150, database=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(jst.notes(language, hostile=True))
        def prop(note: jf.Note) -> None:
            for fact in note.facts:
                if (fact.kind, fact.role) in roles and fact.text != "?":
                    entry = lex.lookup(fact.text)
                    assert entry is not None and entry.role in roles[(fact.kind, fact.role)], (fact, entry)

        prop()

    for language in ("sv", "en"):
        check(language, load_lexicon(language))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_size_bounds(language: str) -> None:
    @settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(jst.notes(language, min_size=300, max_size=900))
    def prop(note: jf.Note) -> None:
        assert 300 <= len(note.text) <= 900

    prop()


def test_mostly_short_with_a_share_of_long_notes() -> None:
    lengths: list[int] = []

    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
              database=None, derandomize=True)
    @given(jst.notes("sv"))
    def collect(note: jf.Note) -> None:
        lengths.append(len(note.text))

    collect()
    short = sum(n <= 400 for n in lengths)
    long_ = sum(n > 1000 for n in lengths)
    assert short > len(lengths) / 2 and long_ > 0


@pytest.mark.parametrize("cap", [64, 255, 4000, 32767])
def test_lengths_near_puts_a_critical_word_at_the_cap(cap: int) -> None:
    @settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(jst.lengths_near("sv", caps=(cap,)))
    def prop(note: jf.Note) -> None:
        critical = [f for f in note.facts if f.kind in ("negation", "hedge", "unit", "number", "side")]
        assert any(f.start <= cap + 3 and f.end > cap for f in critical), (cap, critical)
        # A system that cuts the note at the cap must be caught.
        assert not jf.compare(note, note.text[:cap]).ok

    prop()


def test_a_failure_shrinks_to_one_short_sentence_with_the_cue() -> None:
    """A stop-word filter that deletes 'ej': Hypothesis shrinks the failing note to one sentence holding it.

    Derandomised: Hypothesis's shrinker is a search, and from some random starts it stops at two sections (one in
    five, measured over 20 starts; two in five before each section was drawn as one list element with its index),
    so the claim is checked on one fixed start, as CI runs every property."""
    def stop_words(text: str) -> str:
        return re.sub(r"(?i)\s*\bej\b", "", text)

    minimal = find(jst.notes("sv", hostile=True), lambda n: not jf.compare(n, stop_words(n.text)).ok,
                   settings=settings(max_examples=2000, database=None, derandomize=True,
                                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]))
    assert re.search(r"(?i)\bej\b", minimal.text)
    assert "\n" not in minimal.text.strip() and len(minimal.text) < 60, repr(minimal.text)


def test_unknown_language() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        find(jst.notes("fi"), lambda n: True)
    with pytest.raises(ValueError, match="unknown language"):
        jst.negated_findings("fi")


@pytest.mark.parametrize("version", ["R4B", "R5"])
@pytest.mark.parametrize("kind", ["DocumentReference", "Composition", "Bundle", "Observation", "Condition",
                                  "AllergyIntolerance", "MedicationRequest", "DiagnosticReport"])
def test_fhir_documents_are_valid_and_survive_a_faithful_trip(kind: str, version: str) -> None:
    from journal_fuzz.fhir import from_wire, to_wire, validate

    @settings(max_examples=8, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(jst.fhir_documents("sv", version=version, kinds=[kind], hostile=True, max_note_size=1500))
    def prop(doc: jst.FhirDocument) -> None:
        assert doc.kind == kind and doc.resource["resourceType"] == kind
        validate(doc.resource, version)
        back = from_wire(doc.payload, doc.wire, version)
        assert jf.compare_resources(doc.resource, back).findings == []
        other = "xml" if doc.wire == "json" else "json"
        again = from_wire(to_wire(back, other, version), other, version)
        assert jf.compare_resources(doc.resource, again).findings == []
        assert {e.note.text for e in doc.embeds} and all(e.path.startswith(kind) for e in doc.embeds)

    prop()


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "text/html;charset=utf-8",
                                          "application/xhtml+xml;charset=utf-8", "text/rtf;charset=utf-8"])
def test_fhir_documents_carry_each_attachment_type(content_type: str) -> None:
    from journal_fuzz.fhir import from_wire

    @settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(jst.fhir_documents("sv", kinds=["DocumentReference"], content_types=[content_type], hostile=True,
                              max_note_size=800))
    def prop(doc: jst.FhirDocument) -> None:
        assert all(c["attachment"]["contentType"] == content_type for c in doc.resource["content"])
        assert jf.compare_resources(doc.resource, from_wire(doc.payload, doc.wire)).findings == []

    prop()


@pytest.mark.parametrize("wanted", ["wire-json", "wire-xml", "narrative-p", "narrative-table", "narrative-list",
                                    *(f"resource-{k}" for k in ("DocumentReference", "Composition", "Bundle",
                                                                "MedicationRequest"))])
def test_fhir_documents_cover_styles_wires_and_kinds(wanted: str) -> None:
    """Each wire, narrative style and resource kind is written within a few hundred examples. Asked of one run
    of 150 it depended on the seed: Hypothesis writes most examples by changing earlier ones, and a resource kind
    (the first choice) stays what it was, so one run may write a kind 40 times and another not at all."""
    found = find(jst.fhir_documents("en", max_note_size=400), lambda doc: wanted in doc.features,
                 settings=settings(max_examples=400, database=None, derandomize=True, phases=[Phase.generate],
                                   suppress_health_check=list(HealthCheck)))
    assert wanted in found.features


def test_fhir_documents_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown FHIR version"):
        find(jst.fhir_documents(version="R3"), lambda d: True)
    with pytest.raises(ValueError, match="unknown resource kinds"):
        find(jst.fhir_documents(kinds=["Patient"]), lambda d: True)
