"""Tokenisation keeps offsets; normalisation is benign and nothing more."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journal_fuzz.text import (
    Policy,
    equivalent_spelling,
    invisible_difference,
    lone_surrogates,
    printable,
    tokenize,
)


def test_tokens_keep_decimal_numbers_and_split_signs() -> None:
    assert tokenize("Waran 2,5 mg, CRP <5, BT 130/80, HbA1c 48, 1x2").keys == [
        "waran", "2,5", "mg", ",", "crp", "<", "5", ",", "bt", "130", "/", "80", ",", "hba1c", "48", ",", "1",
        "x2"]


def test_benign_forms_give_equal_keys() -> None:
    base = tokenize("Förnekar smärta, 50 µg.").keys
    assert tokenize(unicodedata.normalize("NFD", "Förnekar smärta, 50 µg.")).keys == base
    assert tokenize("F&ouml;rnekar sm&#228;rta, 50 &micro;g.").keys == base
    assert tokenize("För\u00adnekar\u00a0smärta,\r\n50 μg.").keys == base
    assert tokenize("FÖRNEKAR SMÄRTA, 50 µG.").keys == base
    assert tokenize("Fö\u200brnekar smärta, 50 µg.").keys == base


def test_superscripts_are_not_folded_into_digits() -> None:
    assert tokenize("10⁹/l").keys != tokenize("109/l").keys


def test_policy_can_make_each_form_strict() -> None:
    assert tokenize("Ab", Policy(case=False)).keys == ["Ab"]
    assert tokenize("a&amp;b", Policy(entities=False)).keys == ["a", "&", "amp", ";", "b"]
    assert tokenize("o\u0308", Policy(unicode_forms=False)).keys != tokenize("ö", Policy(unicode_forms=False)).keys
    assert tokenize("a  b", Policy(whitespace=False)).keys == ["a", "  ", "b"]
    assert tokenize("a\u00adb", Policy(invisible=False)).keys == ["a", "\u00ad", "b"]


def test_offsets_map_back_through_entities_and_decomposition() -> None:
    text = "Pat &auml;r o\u0308m i ho\u0308ger ho\u0308ft."
    tok = tokenize(text)
    assert tok.keys[:5] == ["pat", "är", "öm", "i", "höger"]
    assert tok.original(1, 2) == "&auml;r"
    assert tok.original(4, 5) == "ho\u0308ger"
    assert tok.original(6, 7) == "."


def test_paragraph_starts_ignore_single_newlines() -> None:
    tok = tokenize("Ingen feber\nhosta.\r\n  \r\nMår bra.")
    assert tok.paragraph_starts == [tok.keys.index("mår")]


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_every_token_maps_to_a_real_span(text: str) -> None:
    tok = tokenize(text)
    last = 0
    for i in range(len(tok)):
        a, b = tok.span(i, i + 1)
        assert 0 <= a <= b <= len(text)
        assert a >= last
        last = a


def test_crlf_is_one_line_break_not_a_blank_line() -> None:
    assert tokenize("Ingen feber\r\nhosta").paragraph_starts == []
    assert tokenize("Ingen feber\r\n\r\nhosta").paragraph_starts == [2]
    assert tokenize("Ingen feber\r\rhosta").paragraph_starts == [2]
    tok = tokenize("a\rb\r\nc\nd")
    assert [tok.breaks_line(i, i + 1) for i in range(3)] == [True, True, True]


@pytest.mark.parametrize(("sent", "received", "same"), [
    ("≤", "<=", True), ("≥", ">=", True), ("−", "-", True), ("--", "–", True), ("µg", "ug", True),
    ("μmol", "umol", True), ("u.a.", "ua", True), ("≤", "<", False), ("µg", "mg", False), ("-", "", False),
    ("feber", "Feber", True), ("Ingen feber", "Ingenfeber", False), ("2,5", "25", False),
])
def test_equivalent_spellings(sent: str, received: str, same: bool) -> None:
    assert (equivalent_spelling(sent, received) is not None) == same


@pytest.mark.parametrize(("sent", "received", "named"), [
    ("\n", " ", "a line break (LF) became a space"),
    ("\r\n", "\n", "a line break (CRLF) became a line break (LF)"),
    ("höger", "HÖGER", "letter case changed"),
    ("µ", "μ", "U+00B5 MICRO SIGN became U+03BC GREEK SMALL LETTER MU"),
    ("ab", "a\u200bb", "U+200B ZERO WIDTH SPACE was added"),
])
def test_invisible_differences_are_named(sent: str, received: str, named: str) -> None:
    assert named in (invisible_difference(sent, received) or "")


def test_visible_differences_are_not_invisible() -> None:
    assert invisible_difference("feber", "hosta") is None


def test_lone_surrogates_are_found_and_made_printable() -> None:
    text = "a\ud83d\ude42b"
    assert lone_surrogates(text) == ["U+D83D", "U+DE42"]
    assert printable(text) == "a\\ud83d\\ude42b"
    printable(text).encode("utf-8")
