"""The oracle's promise, as properties: every benign change passes, every lossy mutant is caught."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz.mutants import BENIGN, LOSSY, MUTANTS, Mutant, apply
from sentences import note_text


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("mutant", BENIGN, ids=lambda m: m.name)
def test_benign_changes_pass(mutant: Mutant, language: str) -> None:
    @given(note_text(language), st.integers(0, 2**16))
    def prop(text: str, seed: int) -> None:
        out = mutant(text, language, random.Random(seed))
        if out is None:
            return
        verdict = jf.compare(text, out, language)
        assert verdict.findings == [], f"{mutant.name}: {out!r}\n{verdict.explain()}"

    prop()


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("mutant", LOSSY, ids=lambda m: m.name)
def test_lossy_mutants_are_caught_with_the_right_kind(mutant: Mutant, language: str) -> None:
    applied = 0

    # Derandomised: "the mutant found something to act on" must not depend on the day's random draw.
    @settings(derandomize=True)
    @given(note_text(language), st.integers(0, 2**16))
    def prop(text: str, seed: int) -> None:
        nonlocal applied
        out = mutant(text, language, random.Random(seed))
        if out is None:
            return
        applied += 1
        verdict = jf.compare(text, out, language)
        assert not verdict.ok, f"{mutant.name} missed: {text!r} -> {out!r}"
        assert set(verdict.kinds) & mutant.kinds, f"{mutant.name}: {text!r} -> {out!r}\n{verdict.explain()}"

    prop()
    if mutant.name not in ("eat-angle-brackets", "eat-comments", "rtf-brace-cut", "hl7-delimiter-cut",
                           "hl7-cr-cut", "merge-lines", "nfd", "drop-full-stop", "drop-micro", "lose-micro"):
        assert applied > 0, f"{mutant.name} never found anything to act on"


HOSTILE = {
    "sv": "Anamnes:\nPatienten förnekar bröstsmärta. Ingen feber. Hosta sedan tre dagar.\n\n"
          "Status: Smärta i vänster höft. CRP <5, Hb 132 g/l. Hjärta & lungor: ua\n"
          "Läkemedel: Waran 2,5 mg 1x1, Levaxin 50 µg po. Temp 37,5 °C.\n\n"
          "Bedömning: Misstänkt lungemboli. Fri gas ses ej. <!-- ej --> Inga tecken på blödning. {Ej} allergi.",
    "en": "History:\nPatient denies chest pain. No fever. Cough for three days.\n\n"
          "Examination: Pain in the left hip. CRP <5, Hb 132 g/L. Heart & lungs: normal\n"
          "Medications: warfarin 2.5 mg daily, levothyroxine 50 µg po. Temp 37.5 °C.\n\n"
          "Assessment: Suspected pulmonary embolism. Free air is not seen. <!-- not --> No signs of bleeding. "
          "{No} allergy.",
}


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_every_mutant_on_a_hostile_note(name: str, language: str) -> None:
    """One realistic note that gives every mutant something to act on."""
    mutant = MUTANTS[name]
    text = HOSTILE[language]
    out = apply(name, text, language, seed=3)
    if name == "nfd" and language == "en":
        assert out is None or jf.compare(text, out, language).findings == []
        return
    assert out is not None, f"{name} found nothing to act on"
    verdict = jf.compare(text, out, language)
    if mutant.benign:
        assert verdict.findings == [], verdict.explain()
    else:
        assert not verdict.ok
        assert set(verdict.kinds) & mutant.kinds, verdict.explain()


def test_unknown_mutant_name() -> None:
    with pytest.raises(KeyError, match="unknown mutant"):
        apply("nope", "text")
