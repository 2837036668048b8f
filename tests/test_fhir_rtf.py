"""RTF: characters beyond the BMP both ways, and where each character of the text sits in the source."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal_fuzz.fhir.rtf import read_rtf, read_rtf_spans, write_rtf

SMILE = "\U0001f642"  # 🙂: UTF-16 D83D DE42, written \u-10179?\u-8638?


# -- characters beyond the BMP ------------------------------------------------------------------------------
def test_a_character_beyond_the_bmp_is_written_as_a_signed_surrogate_pair() -> None:
    body = write_rtf(f"Mår bra {SMILE}.")
    assert "\\u-10179?\\u-8638?" in body
    assert "\\u63042" not in body and "\\u128578" not in body  # not one escape cut to 16 bits, nor unsigned
    assert all(-32768 <= int(n) <= 32767 for n in re.findall(r"\\u(-?\d+)", body))


@pytest.mark.parametrize("char", [SMILE, "\U0001d400", "\U00020bb7", "\U0010ffff", "\U00010000"])
def test_a_surrogate_pair_reads_back_as_one_character(char: str) -> None:
    doc = read_rtf_spans(write_rtf(f"a{char}b"))
    assert doc.text == f"a{char}b" and len(doc.text) == 3
    # the one character is both escapes and their fallbacks
    assert re.fullmatch(r"(\\u-?\d+\?){2}", doc.source[doc.starts[1]:doc.ends[1]])


def test_half_a_pair_is_the_replacement_character_and_offsets_count_characters() -> None:
    assert read_rtf(r"{\rtf1 a\u-10179?b\u-8638?c}").text == "a\ufffdb\ufffdc"
    result = read_rtf(r"{\rtf1 \u-10179?\u-8638? Inga fynd.} Ej allergi.}")
    assert result.problem is not None and result.problem_offset is not None
    assert result.text[:result.problem_offset] == f"{SMILE} Inga fynd. "  # the pair counts as one character


# -- spans --------------------------------------------------------------------------------------------------
def test_spans_cover_escapes_fallbacks_and_control_words() -> None:
    doc = read_rtf_spans(r"{\rtf1\ansi\uc2 M\u228xxrta\par {\b S}\'f6der\tab x}")
    assert doc.text == "Märta\nSöder\tx"
    pieces = [doc.source[a:b] for a, b in zip(doc.starts, doc.ends, strict=True)]
    assert pieces == ["M", "\\u228xx", "r", "t", "a", "\\par ", "S", "\\'f6", "d", "e", "r", "\\tab ", "x"]
    assert doc.ucs[1] == 2


def test_spans_of_a_two_byte_code_page() -> None:
    doc = read_rtf_spans(r"{\rtf1\ansi\ansicpg932 \'82\'a0x}")
    assert doc.text == "あx" and doc.source[doc.starts[0]:doc.ends[0]] == "\\'82\\'a0"


def test_destinations_are_read_only_when_asked() -> None:
    src = (r"{\rtf1{\fonttbl{\f0 Calibri;}}{\info{\author Anna Berg}}{\*\generator x;}"
           r"{\field{\*\fldinst HYPERLINK \"mailto:a.b@c.se\"}{\fldrslt a.b@c.se}}{\*\pict 89504e47}}")
    assert read_rtf_spans(src).text == read_rtf(src).text == "a.b@c.se"
    with_destinations = read_rtf_spans(src, destinations=True)
    assert "Anna Berg" in with_destinations.text and "mailto:a.b@c.se" in with_destinations.text
    assert "89504e47" not in with_destinations.text  # a picture holds no words
    assert "\nAnna Berg\n" in with_destinations.text  # a destination never runs into the next words


# -- replacing in place -------------------------------------------------------------------------------------
def test_replace_writes_escaped_text_and_keeps_the_markup_between() -> None:
    doc = read_rtf_spans(r"{\rtf1\ansi Pat: M\u228?{\b rta} \'c5str\'f6m.}")
    assert doc.text == "Pat: Märta Åström."
    out = doc.replace([(5, 10, "Örjan"), (11, 17, f"Test{SMILE}")])
    assert out == r"{\rtf1\ansi Pat: \u214?rjan{\b } Test\u-10179?\u-8638?.}"
    assert read_rtf(out).text == f"Pat: Örjan Test{SMILE}." and read_rtf(out).problem is None


def test_replace_honours_the_unicode_fallback_count_in_effect() -> None:
    for uc, fallback in (("0", " "), ("2", "??")):
        doc = read_rtf_spans(rf"{{\rtf1\uc{uc} Anna 1}}")
        out = doc.replace([(0, 4, "Åsa")])
        assert f"\\u197{fallback}sa" in out and read_rtf(out).text == "Åsa 1"


def test_replace_never_lets_a_control_word_swallow_what_follows() -> None:
    doc = read_rtf_spans(r"{\rtf1 Ann\b0a 12}")
    assert doc.text == "Anna 12"
    out = doc.replace([(0, 4, "Eva")])
    assert read_rtf(out).text == "Eva 12"
    doc = read_rtf_spans(r"{\rtf1 x\b0y1}")
    assert read_rtf(doc.replace([(1, 2, "")])).text == "x1"


def test_replace_after_an_escape_whose_fallback_was_cut_short() -> None:
    # \uc2: the first "ä" expects two fallback characters but the next \u comes after one
    doc = read_rtf_spans(r"{\rtf1\uc2 \u228?\u228?\b0 \{x}")
    assert doc.text == "ää{x"
    for rep in ("", "y", "Å"):
        assert read_rtf(doc.replace([(1, 2, rep)])).text == f"ä{rep}{{x"


def test_replace_rejects_overlapping_or_empty_edits() -> None:
    doc = read_rtf_spans(r"{\rtf1 abcdef}")
    for edits in ([(0, 3, "x"), (2, 4, "y")], [(1, 1, "x")], [(4, 9, "x")]):
        with pytest.raises(ValueError):
            doc.replace(edits)


# Pieces of RTF documents: text, escapes in three forms, groups, fallback counts, code pages, destinations.
# (Lone halves of a pair are left out: removing what stands between two halves would make them one character. The
# pair is written without fallbacks, so under \uc0 no "?" comes between its halves.)
_PIECES = st.sampled_from([
    "{", "}", "{\\b ", "\\b0 ", "\\b0", "\\par ", "\\tab ", "\\~", "\\u228?", "\\u-10179\\u-8638 ", "\\'e4", "\\'c4",
    "\\uc0 ", "\\uc2 ", "\\uc1 ", "\\ansicpg1251 ", "\\{", "\\}", "\\\\", "x", "Anna", " ", "?", "1", "-", "\r\n",
    "{\\*\\generator x;}", "{\\fonttbl{\\f0 Calibri;}}", "\\emdash ", "ä",
])
_TEXT = st.text(st.sampled_from(["a", "Z", "1", " ", "-", "?", "ä", "Å", "\\", "{", "}", "\t", SMILE, "µ", "x"]),
                max_size=6)


@st.composite
def _edited(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    doc = "{\\rtf1 " + "".join(draw(st.lists(_PIECES, max_size=30))) + "}"
    n = len(read_rtf_spans(doc).text)
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=6, unique=True)))
    edits = [(a, b, draw(_TEXT)) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if b > a]
    return doc, edits


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    for a, b, rep in sorted(edits, reverse=True):
        text = text[:a] + rep + text[b:]
    return text


@settings(max_examples=400)
@given(_edited())
def test_replacing_in_place_changes_exactly_the_edited_text(case: tuple[str, list[tuple[int, int, str]]]) -> None:
    source, edits = case
    doc = read_rtf_spans(source)
    out = doc.replace(edits)
    again = read_rtf(out)
    assert again.text == _apply(doc.text, edits)
    assert (again.problem is None) == (doc.problem is None)  # no edit breaks (or mends) the structure
    # nothing but the edited characters changed: the markup around them is where it was
    if not edits:
        assert out == source


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_write_read_round_trip_with_spans(text: str) -> None:
    text = "".join(ch for ch in text if not "\ud800" <= ch <= "\udfff")
    doc = read_rtf_spans(write_rtf(text))
    assert doc.text == text.replace("\r\n", "\n").replace("\r", "\n")
    assert len(doc.starts) == len(doc.ends) == len(doc.text)
