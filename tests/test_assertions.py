"""``assert_preserved`` inside a user's own Hypothesis test, as the README shows it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from journal_fuzz import Note, WordLossError, assert_preserved
from journal_fuzz import strategies as jst


def export_and_read_back(text: str) -> str:
    """A faithful export: re-wrapped and CRLF, which is benign."""
    return text.replace("\n", "\r\n").replace(". ", ".\n")


@settings(max_examples=50)
@given(jst.notes(language="sv"))
def test_export_keeps_words(note: Note) -> None:
    assert_preserved(note, export_and_read_back(note.text))


def test_a_lossy_export_fails_with_the_clinical_finding_first() -> None:
    with pytest.raises(WordLossError) as info:
        assert_preserved("Fri gas under diafragman ses ej.", "Fri gas under diafragman ses.", "sv")
    message = str(info.value)
    assert message.startswith("negation-dropped, critical [fri gas]")
    assert "finding kinds: negation-dropped" in message
    assert info.value.verdict.findings[0].concept == "fri gas"


def test_a_property_over_a_lossy_system_fails() -> None:
    @settings(max_examples=200, database=None)
    @given(jst.negated_findings("sv"))
    def prop(note: Note) -> None:
        assert_preserved(note, re.sub(r"(?i)\s*\b(ej|inte|ingen|inga|inget)\b", "", note.text))

    with pytest.raises(WordLossError):
        prop()
