"""Adapters for systems under test, picked by the scheme of a SPEC string (see ``base``)."""

from __future__ import annotations

from journal_fuzz.adapters.base import (
    ENTRY_POINT_GROUP,
    Adapter,
    AdapterConfig,
    AdapterError,
    SystemUnderTestError,
    UnsupportedError,
    adapter_for,
    known_schemes,
    redact_credentials,
    register,
)
from journal_fuzz.constants import FHIR, TEXT

__all__ = [
    "ENTRY_POINT_GROUP", "FHIR", "TEXT", "Adapter", "AdapterConfig", "AdapterError", "SystemUnderTestError",
    "UnsupportedError", "adapter_for", "known_schemes", "redact_credentials", "register",
]
