"""The few names every stage shares, each defined once: languages, carriers, outcome statuses, field caps.

Carriers and statuses are :class:`~enum.StrEnum` members, so they compare equal to (and serialise as) the plain
strings that case files, ``summary.json`` and JUnit properties have always held.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CAPS", "CRITICAL", "FHIR", "LANGUAGES", "MAJOR", "MINOR", "SEVERITIES", "TEXT", "Carrier", "Status"]

LANGUAGES: tuple[str, ...] = ("sv", "en")
"""The languages journal_fuzz has lexicons and generators for."""

CAPS: tuple[int, ...] = (64, 200, 255, 1000, 2000, 4000, 32767, 65535)
"""Field-length caps seen in real interfaces (HL7 v2 field lengths, database columns, FHIR server limits)."""


CRITICAL = "critical"
"""Changes what the note says clinically: a negation, an uncertainty, a side, a number, a unit, a clinical term."""
MAJOR = "major"
"""Other words changed."""
MINOR = "minor"
"""Punctuation changed without changing what any word refers to."""
SEVERITIES: tuple[str, ...] = (CRITICAL, MAJOR, MINOR)
"""Finding severities, most severe first."""


class Carrier(StrEnum):
    """What an adapter carries, and what a payload or a case is."""

    TEXT = "text"
    FHIR = "fhir"


TEXT = Carrier.TEXT
FHIR = Carrier.FHIR


class Status(StrEnum):
    """How one battery item ended."""

    PASSED = "passed"
    LOST = "lost"
    SYSTEM_ERROR = "system-error"
    UNSUPPORTED = "unsupported"
    NOT_RUN = "not-run"
    """The item never ran (the run stopped before it, or the target could not be started)."""
