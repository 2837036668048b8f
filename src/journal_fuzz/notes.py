"""A generated journal note and the facts it carries: which spans are cues, terms, doses, units and sides.

The oracle accepts a :class:`Note` wherever it accepts text; the note's language then needs no guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FACT_KINDS", "Fact", "Note"]

FACT_KINDS = ("negation", "hedge", "term", "side", "number", "unit", "dose", "drug", "date", "id")


@dataclass(frozen=True)
class Fact:
    """A critical span of a note: ``note.text[start:end] == text``."""

    kind: str
    start: int
    end: int
    text: str
    polarity: str | None = None
    """For terms: affirmed, negated or uncertain."""
    side: str | None = None
    """For terms: right, left or bilateral, when the note gives one."""
    role: str | None = None
    """For cues: the NegEx role (pre, post, pseudo, termination)."""
    concept: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Note:
    """Journal text whose critical words are known."""

    text: str
    language: str
    facts: tuple[Fact, ...] = field(default_factory=tuple)
    features: frozenset[str] = field(default_factory=frozenset)
    """Labels for what the note exercises (``decimal-comma``, ``post-negation``, ``cap-255`` ...)."""

    def __str__(self) -> str:
        return self.text

    def facts_of(self, kind: str) -> list[Fact]:
        return [f for f in self.facts if f.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "language": self.language, "facts": [f.to_dict() for f in self.facts],
                "features": sorted(self.features)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Note:
        facts = tuple(Fact(**f) for f in data.get("facts", []))
        return cls(text=data["text"], language=data["language"], facts=facts,
                   features=frozenset(data.get("features", [])))
