"""The oracle's fast path (``text.benign_equal``) may only ever say "equal" where the full oracle finds nothing.

``benign_equal`` is exact in one direction: True means the two texts tokenise to the same comparison keys, which is
the oracle's own definition of "nothing to report" (``compare`` aligns nothing then). These properties feed it
every mutant journal_fuzz has, lossy and benign, on generated and hostile notes, and check that direction against
the tokeniser itself. They also check it is worth having: the everyday benign changes take the fast path.
"""

from __future__ import annotations

import random
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz import strategies as jst
from journal_fuzz.mutants import BENIGN, LOSSY, MUTANTS, Mutant
from journal_fuzz.notes import Note
from journal_fuzz.text import Policy, _compat, _normalise, benign_equal, tokenize
from sentences import note_text

POLICIES = [Policy(), Policy.strict(), Policy(case=False), Policy(unicode_forms=False), Policy(entities=False),
            Policy(invisible=False)]


def _same_keys(a: str, b: str, policy: Policy) -> bool:
    return tokenize(a, policy).keys == tokenize(b, policy).keys


@pytest.mark.parametrize("mutant", [*LOSSY, *BENIGN], ids=lambda m: m.name)
def test_the_fast_path_never_passes_what_the_full_oracle_fails(mutant: Mutant) -> None:
    @settings(max_examples=60)
    @given(st.sampled_from(["sv", "en"]).flatmap(lambda lang: st.tuples(st.just(lang), jst.notes(
        language=lang, hostile=True) | note_text(lang).map(lambda t: Note(t, lang)))),
        st.integers(0, 2**16), st.sampled_from(POLICIES))
    def prop(lang_note: tuple[str, jf.Note], seed: int, policy: Policy) -> None:
        language, note = lang_note
        out = mutant(note.text, language, random.Random(seed))
        if out is None:
            return
        if benign_equal(note.text, out, policy):
            assert _same_keys(note.text, out, policy), (mutant.name, note.text, out)
            assert jf.compare(note.text, out, language, policy=policy).findings == []
        if not mutant.benign and policy == Policy():
            # A lossy mutant's output is a real loss for the default policy: the fast path must not take it.
            verdict = jf.compare(note.text, out, language)
            if not verdict.ok:
                assert not benign_equal(note.text, out), (mutant.name, note.text, out)

    prop()


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40), st.text(max_size=40),
       st.sampled_from(POLICIES))
def test_arbitrary_text_pairs(a: str, b: str, policy: Policy) -> None:
    for x, y in ((a, b), (a, a.upper()), (a, unicodedata.normalize("NFD", a)), (a, " ".join(a.split())),
                 (a, a.replace("\n", "\r\n")), (a, unicodedata.normalize("NFKC", a))):
        if benign_equal(x, y, policy):
            assert _same_keys(x, y, policy), (x, y, policy)


# Characters the fast path accepts in a non-ASCII text (the rest send it to the full oracle).
_ACCEPTED = [chr(c) for c in range(0x80, 0x2300) if benign_equal(chr(c) + "a", chr(c) + "a ")]
_MARKS = [chr(c) for c in range(0x300, 0x370)]


def test_nfc_of_the_whole_text_equals_the_tokenisers_per_letter_nfc_for_every_letter_and_mark() -> None:
    # The one claim the fast path rests on: for the characters it accepts, replacing compatibility characters and
    # taking NFC of the whole text is what the tokeniser's normalisation does letter by letter (a letter and its
    # marks). Checked exhaustively for every
    # accepted character followed by every mark and then by a letter, a space, punctuation or a second mark.
    policy = Policy()
    checked = 0
    for x in [*_ACCEPTED, "a", "_", "1", " ", "."]:
        for mark in _MARKS:
            for tail in ("", "b", " ", ".", "\u0301", "\u0323"):
                text = x + mark + tail
                if not benign_equal(text, text + " "):
                    continue
                checked += 1
                expected = _normalise(text, policy)[0]
                form = text
                for ch in set(text):
                    one = _compat(ch)
                    if one is not None:
                        form = form.replace(ch, one)
                if not unicodedata.is_normalized("NFC", text):  # (the tokeniser composes only then)
                    form = unicodedata.normalize("NFC", form)
                assert form == expected, repr(text)
    assert checked > 100_000


def test_python_whitespace_is_the_tokenisers_whitespace() -> None:
    # The fast path collapses whitespace with str.split(); the tokeniser separates tokens with the regex \s.
    import re

    ws = re.compile(r"\s")
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if bool(ws.match(c)) != c.isspace()] == []


@pytest.mark.parametrize("name", ["crlf", "nfd", "whitespace", "upper-case", "rewrap", "trailing-newline",
                                  "micro-sign", "nbsp"])
def test_the_everyday_benign_changes_take_the_fast_path(name: str) -> None:
    taken = tried = 0

    @settings(max_examples=80, derandomize=True)
    @given(st.sampled_from(["sv", "en"]).flatmap(lambda lang: st.tuples(st.just(lang), jst.notes(language=lang))),
           st.integers(0, 2**16))
    def prop(lang_note: tuple[str, jf.Note], seed: int) -> None:
        nonlocal taken, tried
        language, note = lang_note
        out = MUTANTS[name](note.text, language, random.Random(seed))
        if out is None:
            return
        tried += 1
        taken += benign_equal(note.text, out)

    prop()
    # Ordinary notes carry markup-like text, character references and other scripts in about a tenth of cases,
    # which the fast path leaves to the full oracle; everything else must take it.
    assert tried and taken >= 0.8 * tried, f"{name}: fast path taken for {taken} of {tried} notes"


def test_what_the_fast_path_refuses_the_full_oracle_still_judges() -> None:
    sent = "Ingen fraktur. Levaxin 50 µg."
    assert not benign_equal(sent, "Ingen fraktur. Levaxin 50 &micro;g.")  # entities: not vouched for
    assert jf.compare(sent, "Ingen fraktur. Levaxin 50 &micro;g.", "sv").ok  # ... and still benign
    assert not benign_equal(sent, "Fraktur. Levaxin 50 µg.")
    assert not jf.compare(sent, "Fraktur. Levaxin 50 µg.", "sv").ok
    assert benign_equal(sent, unicodedata.normalize("NFD", sent.upper()).replace(" ", "\r\n"))
