"""Plausibility: generated notes read as a clinician writes. An examination only with what imaging of its region
shows, a measurement (pulse, blood pressure, BMI) never as a finding, no second full stop after an abbreviation
that has its own, and the data behind these rules (the lexicon's ``[concepts]``, the grammar's ``[imaging.*]``) is
checked like the rest of the lexicon."""

from __future__ import annotations

import itertools
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz import strategies as jst
from journal_fuzz.lexicon import LexiconError, load_lexicon
from journal_fuzz.strategies.grammar import grammar, raw_grammar

LANGUAGES = ("sv", "en")
_QUIET = settings(database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


@cache
def _exams(language: str) -> dict[str, set[str]]:
    """Examination as written -> the regions whose examinations it is (``DT`` images more than one)."""
    out: dict[str, set[str]] = {}
    for region, spec in raw_grammar(language).get("imaging", {}).items():
        for exam in spec.get("exams", []):
            out.setdefault(exam, set()).add(region)
    return out


@cache
def _exam_pattern(language: str) -> re.Pattern[str]:
    exams = sorted(_exams(language), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, exams)) + r")(?![\w-])")


def _implausible(note: jf.Note) -> list[str]:
    """What in ``note`` no clinician would write: each problem as one line."""
    lex = load_lexicon(note.language)
    shown = lex.imaging
    exams = _exams(note.language)
    problems = [f"double full stop: {note.text[max(0, m.start() - 25):m.end()]!r}"
                for m in _DOUBLE_STOP.finditer(note.text)]
    terms = [f for f in note.facts if f.kind == "term" and f.concept]
    problems += [f"measurement as a finding: {f.text!r}" for f in terms if f.concept in lex.measurements]
    # A sentence naming an examination: every term in it is something imaging of that examination's region shows.
    for sentence in re.finditer(r"[^.?!\n\r]*[.?!]?", note.text):
        if not sentence.group().strip():
            continue
        for m in _exam_pattern(note.language).finditer(sentence.group()):
            regions = exams[m.group(1)]
            allowed = set().union(*(shown.get(r, set()) for r in regions))
            inside = [f for f in terms if sentence.start() <= f.start < sentence.end()
                      and getattr(lex.term(f.concept or ""), "category", "anatomy") != "anatomy"]
            problems += [f"{m.group(1)!r} with {f.text!r}: imaging of {'/'.join(sorted(regions))} does not show it"
                         for f in inside if f.concept not in allowed]
    problems += _incoherent(note)
    problems += _misplaced(note)
    return problems


@cache
def _headings(language: str) -> dict[str, set[str]]:
    """Heading line (``Anamnes:``) -> the builders of the sections that write it."""
    out: dict[str, set[str]] = {}
    for headings, builders in grammar(language).sections.values():
        for h in headings:
            out.setdefault(h + ":", set()).update(builders)
    return out


_TABLE_ROW = re.compile(r"^[^\t\n]+\t[^\t\n]+\t[^\t\n]*$")
_MARKER = re.compile(r"^(?:- |\*|\d+\. )")


def _misplaced(note: jf.Note) -> list[str]:
    """A heading written twice in a note, a sentence of how the patient is under a plan heading or one of what was
    decided under a history heading, a pasted table whose first row alone is a list item."""
    g = grammar(note.language)
    heads = _headings(note.language)
    lines = note.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    written = [line for line in lines if line in heads]
    problems = [f"heading twice in a note: {h!r}" for h in sorted(set(written)) if written.count(h) > 1]
    calm = {"calm": set(g.calm), "calm-plan": set(g.calm_plan)}
    every = set().union(*calm.values())
    for block in re.split(r"\n\s*\n", "\n".join(lines)):
        first = block.split("\n", 1)[0]
        if first not in heads:
            continue
        allowed = set().union(*(calm.get(b, set()) for b in heads[first]))
        problems += [f"{s!r} under {first!r}" for s in sorted(every - allowed) if s.rstrip(".") in block]
    for above, below in itertools.pairwise(lines):
        if _MARKER.match(above) and _TABLE_ROW.match(_MARKER.sub("", above)) and _TABLE_ROW.match(below):
            problems.append(f"a table row as a list item: {above!r}")
    return problems


@cache
def _lab_names(language: str) -> frozenset[str]:
    return frozenset(lab.name.casefold() for lab in grammar(language).labs)


def _incoherent(note: jf.Note) -> list[str]:
    """Within one section (text between blank lines): an analyte or a drug written twice, or a finding both present
    and absent (or present and doubted)."""
    problems: list[str] = []
    labs = _lab_names(note.language)
    for section in re.finditer(r"(?:(?!\r?\n\r?\n).)+", note.text, re.S):
        inside = [f for f in note.facts if section.start() <= f.start < section.end() and f.concept]
        drugs = [f.concept for f in inside if f.kind == "drug"]
        problems += [f"drug ordered twice in a section: {d!r}" for d in sorted(set(drugs)) if drugs.count(d) > 1]
        facts = [f for f in inside if f.kind == "term" and f.polarity]
        seen: dict[str, str] = {}
        for f in facts:
            concept = f.concept or ""
            if concept in labs and concept in seen:
                problems.append(f"analyte written twice in a section: {f.text!r}")
            elif seen.get(concept, f.polarity) != f.polarity:
                problems.append(f"{f.text!r} both {seen[concept]} and {f.polarity} in one section")
            seen.setdefault(concept, f.polarity or "")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_notes_are_plausible(language: str) -> None:
    """Many ordinary notes: none pairs an examination with what it cannot show, negates or affirms a measurement
    as a finding, or writes '..' after an abbreviation."""
    seen: list[str] = []

    @seed(20250101)
    @settings(_QUIET, max_examples=200)
    @given(jst.notes(language))
    def check(note: jf.Note) -> None:
        seen.extend(_implausible(note))

    check()
    assert not seen, "\n".join(sorted(set(seen))[:20])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sentence_kind_is_plausible(language: str) -> None:
    """Single sentences of every frame and builder (what the properties send one at a time)."""
    seen: list[str] = []

    @seed(7)
    @settings(_QUIET, max_examples=400)
    @given(st.one_of(jst.sentences(language), jst.negated_findings(language), jst.hedged_findings(language)))
    def check(note: jf.Note) -> None:
        seen.extend(_implausible(note))

    check()
    assert not seen, "\n".join(sorted(set(seen))[:20])


@pytest.mark.parametrize("language", LANGUAGES)
def test_imaging_frames_and_radiology_sections_hold_only_what_imaging_shows(language: str) -> None:
    """Every way each frame can be written, not a sample: an examination frame pairs each finding only with the
    examinations of a region showing it; a radiology answer's question and findings sections write only
    imageable concepts; no frame can write a measurement."""
    g = grammar(language)
    lex = g.lexicon
    imageable = set().union(*lex.imaging.values())
    exams = _exams(language)
    bad: list[str] = []
    for frame in g.frames:
        assert not any(w.concept in lex.measurements for w in (*frame.terms, *frame.others)), frame.text
        if "{exam}" not in frame.text:
            continue
        choices = [p.kind for p in frame.pieces if p.kind not in ("lit", "?")]  # a choice per placeholder
        exam_dim, finding_dim = choices.index("exam"), choices.index("finding")
        for _size, _gender, _system, dims in frame.space:
            for exam in dims[exam_dim]:
                allowed = set().union(*(lex.imaging[r] for r in exams[exam]))
                bad += [f"{frame.text}: {exam} with {w.text}" for w in dims[finding_dim] if w.concept not in allowed]
    sections = [name for name, spec in raw_grammar(language)["sections"].items() if spec.get("imaging")]
    assert sections, "the grammar marks no radiology section as imaging"
    for name in sections:
        for frame in g.by_section[name]:
            bad += [f"[{name}] {frame.text}: {w.text}" for w in frame.terms if w.concept not in imageable]
    assert not bad, "\n".join(bad[:20])


@pytest.mark.parametrize("language", LANGUAGES)
def test_concept_classes_name_known_terms_and_regions_with_examinations(language: str) -> None:
    lex = load_lexicon(language)
    assert lex.unknown_concepts() == []
    assert lex.measurements and lex.imaging
    assert set(lex.imaging) == set(raw_grammar(language)["imaging"]), "lexicon and grammar regions differ"


def test_a_misspelt_concept_class_is_an_error(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[concepts]\nmeasurment = ["puls"]\n', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"\[concepts\] measurment: unknown key"):
        load_lexicon("sv", [site])
    site.write_text('[concepts.imaging]\nthorax = "pneumothorax"\n', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"\[concepts.imaging\]"):
        load_lexicon("sv", [site])
    site.write_text('[concepts]\nmeasurement = ["pulss"]\n', encoding="utf-8")
    assert load_lexicon("sv", [site]).unknown_concepts() == ["pulss"]


def test_a_site_measurement_is_never_written_as_a_finding(tmp_path: Path) -> None:
    """The class is data: a site lexicon marking a term a measurement takes it out of every finding slot."""
    site = tmp_path / "site.toml"
    site.write_text('[concepts]\nmeasurement = ["feber"]\n', encoding="utf-8")
    g = grammar("sv", (str(site),))
    assert "feber" in grammar("sv").findings
    assert "feber" not in g.findings
    assert not any(w.concept == "feber" for f in g.frames for w in (*f.terms, *f.others))


def test_the_checks_catch_what_they_name() -> None:
    """Planted: each problem the property looks for is reported (so a pass means the notes are clean)."""
    def note(text: str, facts: list[tuple[str, str, str]]) -> jf.Note:
        out = []
        for kind, word, concept in facts:
            start = text.index(word)
            out.append(jf.Fact(kind=kind, start=start, end=start + len(word), text=word, concept=concept,
                               polarity="negated"))
        return jf.Note(text=text, language="sv", facts=tuple(out))

    assert _implausible(note("Erytem utan anm..", [])) == ["double full stop: 'Erytem utan anm..'"]
    assert _implausible(note("Inget BMI.", [("term", "BMI", "bmi")])) == ["measurement as a finding: 'BMI'"]
    assert len(_implausible(note("DT thorax påvisar ingen blekhet.", [("term", "blekhet", "blekhet")]))) == 1
    assert len(_implausible(note("Lungröntgen för att utesluta axelluxation.",
                                 [("term", "axelluxation", "axelluxation")]))) == 1
    def polar(text: str, facts: list[tuple[str, str]]) -> jf.Note:
        at, out = 0, []
        for word, polarity in facts:
            start = text.index(word, at)
            at = start + len(word)
            out.append(jf.Fact(kind="term", start=start, end=at, text=word, concept=word.casefold(),
                               polarity=polarity))
        return jf.Note(text=text, language="sv", facts=tuple(out))

    assert _implausible(polar("CRP 5 mg/l. CRP 48 mg/l.", [("CRP", "affirmed"), ("CRP", "affirmed")])) == [
        "analyte written twice in a section: 'CRP'"]
    assert len(_implausible(polar("Ingen feber. Feber sedan i går.",
                                  [("feber", "negated"), ("Feber", "affirmed")]))) == 1
    drugs = jf.Note(text="Morfin 5 mg sc. Morfin 10 mg po.", language="sv", facts=(
        jf.Fact(kind="drug", start=0, end=6, text="Morfin", concept="morfin"),
        jf.Fact(kind="drug", start=16, end=22, text="Morfin", concept="morfin")))
    assert _implausible(drugs) == ["drug ordered twice in a section: 'morfin'"]
    assert _implausible(polar("CRP 5 mg/l.\n\nCRP 48 mg/l.", [("CRP", "affirmed"), ("CRP", "affirmed")])) == []
    assert _implausible(note("Anamnes:\nInget ont.\n\nAnamnes:\nIngen feber.", [])) == [
        "heading twice in a note: 'Anamnes:'"]
    assert _implausible(note("Åtgärd:\n- Sover gott.", [])) == ["'Sover gott.' under 'Åtgärd:'"]
    assert _implausible(note("Anamnes:\nHemgång i dag", [])) == ["'Hemgång i dag.' under 'Anamnes:'"]
    assert _implausible(note("Lab:\n- CRP\t5\tmg/l\nHb\t130\tg/l", [])) == [
        "a table row as a list item: '- CRP\\t5\\tmg/l'"]
    assert _implausible(note("Lab:\nCRP\t5\tmg/l\nHb\t130\tg/l\n\nÅtgärd:\nHemgång i dag.", [])) == []
    assert _implausible(note("Röntgen visar ingen fraktur. Inget utslag.", [("term", "fraktur", "fraktur"),
                                                                          ("term", "utslag", "utslag")])) == []
