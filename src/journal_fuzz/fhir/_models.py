"""The fhir.resources model class for a resource type in a FHIR version."""

from __future__ import annotations

import re
from typing import Any

from fhir.resources import get_fhir_model_class as _r5_class
from fhir.resources.R4B import get_fhir_model_class as _r4b_class

from journal_fuzz.fhir.errors import FhirError

__all__ = ["VERSIONS", "check_version", "model_class"]

VERSIONS = ("R4B", "R5")
_NAME = re.compile(r"[A-Z][A-Za-z]{1,63}")


def check_version(version: str) -> None:
    if version not in VERSIONS:
        raise FhirError(f"unknown FHIR version {version!r}; use one of {', '.join(VERSIONS)}")


def model_class(resource_type: Any, version: str) -> Any:
    """The model class of a *resource* type (not a datatype) in ``version``, or FhirError."""
    check_version(version)
    if not isinstance(resource_type, str) or not _NAME.fullmatch(resource_type):
        raise FhirError(f"unknown resourceType {resource_type!r} in FHIR {version}")
    try:
        cls = (_r4b_class if version == "R4B" else _r5_class)(resource_type)
    except (ValueError, AttributeError, ImportError, KeyError):
        raise FhirError(f"unknown resourceType {resource_type!r} in FHIR {version}") from None
    if not cls.has_resource_base() or resource_type in ("Resource", "DomainResource"):
        raise FhirError(f"unknown resourceType {resource_type!r} in FHIR {version}: it is not a concrete resource")
    return cls
