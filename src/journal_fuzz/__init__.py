"""journal_fuzz: prove that an electronic health record keeps every clinical word it is given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from journal_fuzz.assertions import WordLossError, assert_preserved
from journal_fuzz.lexicon import Lexicon, LexiconError, load_lexicon
from journal_fuzz.notes import Fact, Note
from journal_fuzz.oracle import KINDS, SEVERITIES, ConceptChange, Finding, Verdict, compare, detect_language
from journal_fuzz.text import Policy

if TYPE_CHECKING:
    from journal_fuzz.fhir import compare_resources

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The FHIR side pulls in fhir.resources and pydantic; load it only when asked for.
    if name == "compare_resources":
        from journal_fuzz.fhir import compare_resources

        return compare_resources
    raise AttributeError(f"module 'journal_fuzz' has no attribute {name!r}")


__all__ = [
    "KINDS", "SEVERITIES", "ConceptChange", "Fact", "Finding", "Lexicon", "LexiconError", "Note", "Policy",
    "Verdict", "WordLossError", "__version__", "assert_preserved", "compare", "compare_resources",
    "detect_language", "load_lexicon",
]
