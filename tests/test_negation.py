"""NegEx-style scopes."""

from __future__ import annotations

import pytest

from journal_fuzz.lexicon import load_lexicon
from journal_fuzz.negation import AFFIRMED, NEGATED, UNCERTAIN, Analysis
from journal_fuzz.text import tokenize


def statuses(text: str, language: str = "sv") -> dict[str, str]:
    tok = tokenize(text)
    a = Analysis(tok, load_lexicon(language))
    return {k: a.status(i).polarity for i, k in enumerate(tok.keys) if k[:1].isalpha() and not a.is_cue(i)}


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("Ingen feber eller hosta.", "sv", {"feber": NEGATED, "hosta": NEGATED}),
    ("Ingen feber men hosta.", "sv", {"feber": NEGATED, "hosta": AFFIRMED}),
    ("Ingen feber. Hosta.", "sv", {"feber": NEGATED, "hosta": AFFIRMED}),
    ("Ingen feber\n\nHosta", "sv", {"feber": NEGATED, "hosta": AFFIRMED}),
    ("Ingen feber\nhosta", "sv", {"feber": NEGATED, "hosta": NEGATED}),
    ("Hosta. Fri gas ses ej.", "sv", {"hosta": AFFIRMED, "fri": NEGATED, "gas": NEGATED}),
    ("Misstänkt pneumoni.", "sv", {"pneumoni": UNCERTAIN}),
    ("Pneumoni kan ej uteslutas.", "sv", {"pneumoni": UNCERTAIN}),
    ("Ingen förändring av infiltratet.", "sv", {"infiltratet": AFFIRMED}),
    ("Denies chest pain but reports cough.", "en", {"chest": NEGATED, "pain": NEGATED, "cough": AFFIRMED}),
    ("Free air is not seen.", "en", {"free": NEGATED, "air": NEGATED}),
    ("No change in the effusion.", "en", {"effusion": AFFIRMED}),
])
def test_scopes(text: str, language: str, expected: dict[str, str]) -> None:
    got = statuses(text, language)
    for word, polarity in expected.items():
        assert got[word] == polarity, (word, got)


def test_post_negation_reaches_only_a_few_words_back() -> None:
    got = statuses("Patienten kom in i går kväll med buksmärta och feber saknas.")
    assert got["feber"] == NEGATED and got["patienten"] == AFFIRMED


def test_abbreviation_does_not_end_the_sentence() -> None:
    got = statuses("Ingen feber t.ex. hosta.")
    assert got["hosta"] == NEGATED


def test_side_belongs_to_the_nearby_term() -> None:
    tok = tokenize("Smärta i vänster höft, höger knä ua.")
    a = Analysis(tok, load_lexicon("sv"))
    assert a.side(tok.keys.index("höft")) == "left"
    assert a.side(tok.keys.index("knä")) == "right"
