"""journal_fuzz: prove that an electronic health record keeps every clinical word it is given."""

from __future__ import annotations

from journal_fuzz.lexicon import Lexicon, LexiconError, load_lexicon
from journal_fuzz.notes import Fact, Note
from journal_fuzz.oracle import KINDS, SEVERITIES, ConceptChange, Finding, Verdict, compare, detect_language
from journal_fuzz.text import Policy

__version__ = "0.1.0"

__all__ = [
    "KINDS", "SEVERITIES", "ConceptChange", "Fact", "Finding", "Lexicon", "LexiconError", "Note", "Policy",
    "Verdict", "__version__", "compare", "detect_language", "load_lexicon",
]
