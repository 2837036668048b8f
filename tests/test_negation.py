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


@pytest.mark.parametrize(("text", "language", "expected"), [
    # A header's answer governs the header, not the list after it.
    ("COMPLICATIONS: None\nDIAGNOSES: Pneumonia, sepsis", "en",
     {"complications": NEGATED, "pneumonia": AFFIRMED, "sepsis": AFFIRMED}),
    ("COMPLICATIONS: None DIAGNOSES: Pneumonia, sepsis", "en",
     {"complications": NEGATED, "pneumonia": AFFIRMED, "sepsis": AFFIRMED}),
    ("Allergier: Inga kända\nLäkemedel: Waran", "sv", {"allergier": NEGATED, "waran": AFFIRMED}),
    ("Pollenallergi: nej\nAstma: ja", "sv", {"pollenallergi": NEGATED, "astma": AFFIRMED}),
    # A pseudo-negation governs nothing; its negation reaches the next list items.
    ("No change in vision, diplopia or dysarthria.", "en",
     {"vision": AFFIRMED, "diplopia": NEGATED, "dysarthria": NEGATED}),
    ("Denies headache, no change in vision, diplopia.", "en", {"headache": NEGATED, "diplopia": NEGATED}),
    # A negation before an uncertainty cue negates.
    ("No apparent distress.", "en", {"distress": NEGATED}),
    ("Not consistent with appendicitis.", "en", {"appendicitis": NEGATED}),
    ("No findings suggesting malignancy.", "en", {"malignancy": NEGATED}),
    # A result word describing the next word is no negation; after a test it is.
    ("Negative deflections in V1.", "en", {"deflections": AFFIRMED}),
    ("Negativa T-vågor i V1.", "sv", {"vågor": AFFIRMED}),
    ("CRP negativ, Hb 132.", "sv", {"crp": NEGATED, "hb": AFFIRMED}),
    # "inte X utan Y": utan ends the negation and negates nothing itself.
    ("Inte pneumoni utan bronkit.", "sv", {"pneumoni": NEGATED, "bronkit": AFFIRMED}),
    ("Gallblåsan utan konkrement.", "sv", {"konkrement": NEGATED}),
    # Verb-second existential negation governs what follows when nothing stands before it.
    ("Det finns inte tecken på pneumoni.", "sv", {"pneumoni": NEGATED}),
    ("Det ses ej fri gas.", "sv", {"fri": NEGATED, "gas": NEGATED}),
    ("Fri gas ses ej, pneumoni.", "sv", {"fri": NEGATED, "pneumoni": AFFIRMED}),
    # Missing cues.
    ("Pneumonia resolved.", "en", {"pneumonia": NEGATED}),
    ("Strep -ve for group A.", "en", {"group": NEGATED}),
    ("Obs pneumoni.", "sv", {"pneumoni": UNCERTAIN}),
    ("Fraktur? Ingen luxation.", "sv", {"fraktur": UNCERTAIN, "luxation": NEGATED}),
    ("?Pneumoni", "sv", {"pneumoni": UNCERTAIN}),
    ("Cor ua, pulm ua.", "sv", {"cor": NEGATED, "pulm": NEGATED}),
    ("Hjärta: u.a.", "sv", {"hjärta": NEGATED}),
])
def test_scopes_on_real_constructions(text: str, language: str, expected: dict[str, str]) -> None:
    got = statuses(text, language)
    for word, polarity in expected.items():
        assert got[word] == polarity, (word, got)


@pytest.mark.parametrize(("text", "hosta"), [
    ("Ingen feber\nhosta", NEGATED),            # a lower-case line continues the statement
    ("Ingen feber\r\nhosta", NEGATED),          # CRLF is one line break, as LF is
    ("Ingen feber\rhosta", NEGATED),            # and CR
    ("Ingen feber\r\n\r\nhosta", AFFIRMED),     # a blank line ends a statement, whatever the line endings
    ("Ingen feber\nHosta", AFFIRMED),           # a capitalised line after an unterminated one starts a statement
    ("Ingen feber och\nHosta", NEGATED),        # unless the line ended on a function word
    ("- Ingen feber\n- hosta", AFFIRMED),       # a list item starts a statement
    ("1. Ingen feber\n2. hosta", AFFIRMED),
    ("Ingen feber\nAnamnes:\nhosta", AFFIRMED),  # so does a heading
    ("Ingen feber Status: hosta", AFFIRMED),    # and an inline colon header
])
def test_layout_boundaries(text: str, hosta: str) -> None:
    assert statuses(text)["hosta"] == hosta, statuses(text)


def test_a_partner_boundary_is_honoured() -> None:
    """The oracle lends each text the other's layout boundaries: one segmentation for both."""
    tok = tokenize("Ingen feber hosta")
    lex = load_lexicon("sv")
    alone = Analysis(tok, lex)
    assert alone.status(2).polarity == NEGATED
    shared = Analysis(tok, lex)
    shared.share(lambda i: i == 2)
    assert shared.status(2).polarity == AFFIRMED
