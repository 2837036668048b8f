"""The FHIR side: build resources that carry notes, read their texts back, and compare what a server kept.

``build_resource`` embeds notes in one of :data:`RESOURCE_KINDS` (R4B by default, R5 on request) and records
where each went; ``to_wire``/``from_wire`` move resources as JSON or XML (untrusted XML parsed safely);
``extract_texts`` finds every text a resource carries; ``compare_resources`` runs each through the word oracle and
diffs the rest of the structure.
"""

from __future__ import annotations

from journal_fuzz.fhir.build import (
    ATTACHMENT_TYPES,
    NARRATIVE_STYLES,
    RESOURCE_KINDS,
    Built,
    Embedded,
    build_resource,
    validate,
)
from journal_fuzz.fhir.compare import compare_resources
from journal_fuzz.fhir.errors import FhirError, HostileXMLError
from journal_fuzz.fhir.extract import TextField, extract_texts
from journal_fuzz.fhir.wire import from_wire, to_wire
from journal_fuzz.fhir.xmlsafe import parse_xml

__all__ = [
    "ATTACHMENT_TYPES", "NARRATIVE_STYLES", "RESOURCE_KINDS", "Built", "Embedded", "FhirError", "HostileXMLError",
    "TextField", "build_resource", "compare_resources", "extract_texts", "from_wire", "parse_xml", "to_wire",
    "validate",
]
