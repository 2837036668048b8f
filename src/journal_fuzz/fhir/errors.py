"""Errors of the FHIR side: one clear line each, so the CLI and the plugin can print them as they are."""

from __future__ import annotations

__all__ = ["FhirError", "HostileXMLError"]


class FhirError(ValueError):
    """A resource, a wire payload or a note that cannot be built, read or compared as FHIR."""


class HostileXMLError(FhirError):
    """XML that tries to declare entities or a DTD: refused before anything is expanded or fetched."""
