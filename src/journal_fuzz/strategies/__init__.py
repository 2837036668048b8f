"""Hypothesis strategies: journal notes and FHIR documents whose every critical word is known.

    from hypothesis import given
    from journal_fuzz import strategies as jst, assert_preserved

    @given(jst.notes(language="sv"))
    def test_export_keeps_words(note):
        assert_preserved(note, export_and_read_back(note.text))
"""

from __future__ import annotations

from journal_fuzz.constants import CAPS
from journal_fuzz.strategies.clinical import (
    CONSTRUCTIONS,
    HOSTILE_FEATURES,
    hedged_findings,
    hostile_text,
    lab_results,
    lengths_near,
    long_compounds,
    medication_orders,
    negated_findings,
    notes,
    sentences,
    sided_findings,
)
from journal_fuzz.strategies.fhir import FhirDocument, fhir_documents

__all__ = [
    "CAPS", "CONSTRUCTIONS", "HOSTILE_FEATURES", "FhirDocument", "fhir_documents", "hedged_findings", "hostile_text",
    "lab_results", "lengths_near", "long_compounds", "medication_orders", "negated_findings", "notes", "sentences",
    "sided_findings",
]
