"""Note(s) → a valid FHIR resource that embeds them, and a record of where each one went.

Deterministic by design: no clock and no randomness, so a saved case rebuilds byte for byte. ``uid`` is the
caller's unique string; it goes into ``identifier`` (and the Bundle's ``urn:uuid`` fullUrls are derived from it) so
that a server that deduplicates sees distinct resources.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from journal_fuzz.fhir._models import VERSIONS, check_version, model_class
from journal_fuzz.fhir.errors import FhirError
from journal_fuzz.fhir.extract import TextField, extract_texts
from journal_fuzz.fhir.render import (
    NARRATIVE_STYLES,
    XHTML_NS,
    check_chars,
    check_text,
    render_body,
    render_narrative,
    split_content_type,
)
from journal_fuzz.fhir.xmlsafe import parse_xml
from journal_fuzz.notes import Note
from journal_fuzz.synthetic import TEST_PERSONNUMMER

__all__ = ["ATTACHMENT_TYPES", "NARRATIVE_STYLES", "RESOURCE_KINDS", "VERSIONS", "Built", "Embedded",
           "build_resource", "escape_markdown", "validate"]

RESOURCE_KINDS = ("DocumentReference", "Composition", "Bundle", "Observation", "Condition", "AllergyIntolerance",
                  "MedicationRequest", "DiagnosticReport")
ATTACHMENT_TYPES = ("text/plain; charset=utf-8", "text/html;charset=utf-8", "application/xhtml+xml;charset=utf-8",
                    "text/rtf;charset=utf-8")

PERSONNUMMER_SYSTEM = "http://electronichealth.se/identifier/personnummer"
UID_SYSTEM = "urn:journal-fuzz:uid"
DATE = "2024-11-12T09:30:00+01:00"
"""A fixed time: the builder never reads the clock."""
PATIENT_NAME = ("Tolvansson", "Tolvan")
AUTHOR = "Doktor Testsson"
_LOINC_NOTE = {"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}
_UUID_NAMESPACE = uuid.UUID("9f0c5a8e-3c1d-5b7e-9a41-6a0f2e7d1c33")
_MARKDOWN_SPECIAL = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
_DOSE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(mg|µg|μg|mikrog|mcg|g|ml|mL|E|IE)(?![^\W\d_])")
_UCUM = {"mg": "mg", "µg": "ug", "μg": "ug", "mikrog": "ug", "mcg": "ug", "g": "g", "ml": "mL", "mL": "mL",
         "E": "[iU]", "IE": "[iU]"}
_LABELS = {
    "sv": {"note": "Journalanteckning", "section": "Anteckning", "observation": "Klinisk anteckning",
           "condition": "Diagnos", "substance": "Okänt ämne", "reaction": "Ospecificerad reaktion",
           "medication": "Läkemedel", "report": "Utlåtande"},
    "en": {"note": "Clinical note", "section": "Note", "observation": "Clinical note", "condition": "Condition",
           "substance": "Unknown substance", "reaction": "Unspecified reaction", "medication": "Medication",
           "report": "Report"},
}


@dataclass(frozen=True)
class Embedded:
    """Where one note went: ``path`` (FHIRPath-like, see :mod:`journal_fuzz.fhir.extract`) and in which form."""

    path: str
    note: Note
    form: str
    """``narrative``, ``string``, ``markdown`` or ``attachment``."""


@dataclass
class Built:
    """A resource that carries notes, and the record of where each note sits in it."""

    kind: str
    version: str
    resource: dict[str, Any]
    embeds: list[Embedded] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
def escape_markdown(text: str) -> str:
    r"""Escape the backslashes markdown would read as escapes, so that unescaping gives ``text`` back exactly."""
    return _MARKDOWN_SPECIAL.sub(r"\\\\", text) if "\\" in text else text


def _coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


class _Builder:
    def __init__(self, kind: str, notes: Sequence[Note], version: str, content_type: str | None, style: str,
                 uid: str, personnummer: str, refuted: bool) -> None:
        self.kind, self.notes, self.version, self.style = kind, list(notes), version, style
        self.content_type = content_type
        self.uid, self.personnummer, self.refuted = uid, personnummer, refuted
        self.embeds: list[Embedded] = []
        language = self.notes[0].language
        self.labels = _LABELS.get(language, _LABELS["sv"])
        self.r5 = version == "R5"

    # -- pieces ----------------------------------------------------------------------------------------------
    def record(self, path: str, note: Note, form: str) -> None:
        self.embeds.append(Embedded(path, note, form))

    def identifier(self, suffix: str = "") -> dict[str, Any]:
        return {"system": UID_SYSTEM, "value": self.uid + suffix}

    def subject(self) -> dict[str, Any]:
        family, given = PATIENT_NAME
        return {"identifier": {"system": PERSONNUMMER_SYSTEM, "value": self.personnummer},
                "display": f"{given} {family}"}

    def attachment(self, note: Note, content_type: str) -> dict[str, Any]:
        body = render_body(note, content_type, self.style)
        return {"contentType": content_type, "language": note.language,
                "data": base64.b64encode(body).decode("ascii"),
                "hash": base64.b64encode(hashlib.sha1(body).digest()).decode("ascii")}

    def annotations(self, path: str, notes: Sequence[Note], first: int = 0) -> list[dict[str, Any]]:
        out = []
        for i, note in enumerate(notes, first):
            check_text(note.text)
            out.append({"authorString": AUTHOR, "time": DATE, "text": escape_markdown(note.text)})
            self.record(f"{path}.note[{i}].text", note, "markdown")
        return out

    def string(self, path: str, note: Note) -> str:
        check_text(note.text)
        self.record(path, note, "string")
        return note.text

    def fact(self, kinds: tuple[str, ...], default: str) -> str:
        for kind in kinds:
            for note in self.notes:
                facts = note.facts_of(kind)
                if facts and facts[0].text.strip():
                    return facts[0].text
        return self.labels[default]

    # -- kinds -----------------------------------------------------------------------------------------------
    def document_reference(self) -> dict[str, Any]:
        ct = self.content_type or ATTACHMENT_TYPES[0]
        content = []
        for i, note in enumerate(self.notes):
            content.append({"attachment": self.attachment(note, ct)})
            self.record(f"DocumentReference.content[{i}].attachment", note, "attachment")
        return {"resourceType": "DocumentReference", "identifier": [self.identifier()], "status": "current",
                "docStatus": "final", "type": {"coding": [_LOINC_NOTE], "text": self.labels["note"]},
                "subject": self.subject(), "date": DATE, "author": [{"display": AUTHOR}], "content": content}

    def composition(self, prefix: str, subject: dict[str, Any]) -> dict[str, Any]:
        sections = []
        for i, note in enumerate(self.notes):
            sections.append({"title": f"{self.labels['section']} {i + 1}",
                             "text": {"status": "additional", "div": render_narrative(note, self.style)}})
            self.record(f"{prefix}.section[{i}].text.div", note, "narrative")
        ident = self.identifier("/Composition" if prefix != "Composition" else "")
        return {"resourceType": "Composition", "identifier": [ident] if self.r5 else ident, "status": "final",
                "type": {"coding": [_LOINC_NOTE], "text": self.labels["note"]},
                "subject": [subject] if self.r5 else subject, "date": DATE, "author": [{"display": AUTHOR}],
                "title": self.labels["note"], "section": sections}

    def bundle(self) -> dict[str, Any]:
        comp_url = f"urn:uuid:{uuid.uuid5(_UUID_NAMESPACE, self.uid + '/Composition')}"
        patient_url = f"urn:uuid:{uuid.uuid5(_UUID_NAMESPACE, self.uid + '/Patient')}"
        family, given = PATIENT_NAME
        subject = {"reference": patient_url, "display": f"{given} {family}"}
        composition = self.composition("Bundle.entry[0].resource", subject)
        patient = {"resourceType": "Patient",
                   "identifier": [{"system": PERSONNUMMER_SYSTEM, "value": self.personnummer}],
                   "name": [{"family": family, "given": [given]}]}
        return {"resourceType": "Bundle", "identifier": self.identifier(), "type": "document", "timestamp": DATE,
                "entry": [{"fullUrl": comp_url, "resource": composition},
                          {"fullUrl": patient_url, "resource": patient}]}

    def observation(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resourceType": "Observation", "identifier": [self.identifier()], "status": "final",
            "code": {"text": self.labels["observation"]}, "subject": self.subject(), "effectiveDateTime": DATE,
            "valueString": self.string("Observation.valueString", self.notes[0])}
        if len(self.notes) > 1:
            out["note"] = self.annotations("Observation", self.notes[1:])
        return out

    def verification(self, system: str) -> dict[str, Any]:
        return _coding(system, "refuted" if self.refuted else "confirmed")

    def condition(self) -> dict[str, Any]:
        return {"resourceType": "Condition", "identifier": [self.identifier()],
                "clinicalStatus": _coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                "verificationStatus": self.verification("http://terminology.hl7.org/CodeSystem/condition-ver-status"),
                "code": {"text": self.fact(("term",), "condition")}, "subject": self.subject(),
                "recordedDate": DATE, "note": self.annotations("Condition", self.notes)}

    def allergy(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resourceType": "AllergyIntolerance", "identifier": [self.identifier()],
            "clinicalStatus": _coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
            "verificationStatus": self.verification(
                "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"),
            "type": _coding("http://hl7.org/fhir/allergy-intolerance-type", "allergy") if self.r5 else "allergy",
            "category": ["medication"], "code": {"text": self.fact(("drug", "term"), "substance")},
            "patient": self.subject(), "recordedDate": DATE,
            "note": self.annotations("AllergyIntolerance", self.notes[:1])}
        if len(self.notes) > 1:
            manifestation = {"text": self.labels["reaction"]}
            out["reaction"] = [{
                "manifestation": [{"concept": manifestation} if self.r5 else manifestation],
                "description": self.string("AllergyIntolerance.reaction[0].description", self.notes[1])}]
            out["note"] += self.annotations("AllergyIntolerance", self.notes[2:], first=1)
        return out

    def medication_request(self) -> dict[str, Any]:
        medication = {"text": self.fact(("drug",), "medication")}
        dosage: dict[str, Any] = {"text": self.string("MedicationRequest.dosageInstruction[0].text", self.notes[0])}
        dose = _DOSE.search(self.notes[0].text)
        if dose:
            number = dose.group(1).replace(",", ".")
            value: int | float = float(number) if "." in number else int(number)
            dosage["doseAndRate"] = [{"doseQuantity": {
                "value": value, "unit": dose.group(2), "system": "http://unitsofmeasure.org",
                "code": _UCUM[dose.group(2)]}}]
        out: dict[str, Any] = {
            "resourceType": "MedicationRequest", "identifier": [self.identifier()], "status": "active",
            "intent": "order"}
        if self.r5:
            out["medication"] = {"concept": medication}
        else:
            out["medicationCodeableConcept"] = medication
        out.update({"subject": self.subject(), "authoredOn": DATE, "dosageInstruction": [dosage]})
        if len(self.notes) > 1:
            out["note"] = self.annotations("MedicationRequest", self.notes[1:])
        return out

    def diagnostic_report(self) -> dict[str, Any]:
        ct = self.content_type or ATTACHMENT_TYPES[0]
        conclusion = self.string("DiagnosticReport.conclusion", self.notes[0])
        forms = []
        for i, note in enumerate(self.notes):
            forms.append(self.attachment(note, ct))
            self.record(f"DiagnosticReport.presentedForm[{i}]", note, "attachment")
        return {"resourceType": "DiagnosticReport", "identifier": [self.identifier()], "status": "final",
                "code": {"text": self.labels["report"]}, "subject": self.subject(), "effectiveDateTime": DATE,
                "issued": DATE, "conclusion": conclusion, "presentedForm": forms}

    def build(self) -> dict[str, Any]:
        if self.kind == "DocumentReference":
            return self.document_reference()
        if self.kind == "Composition":
            return self.composition("Composition", self.subject())
        if self.kind == "Bundle":
            return self.bundle()
        if self.kind == "Observation":
            return self.observation()
        if self.kind == "Condition":
            return self.condition()
        if self.kind == "AllergyIntolerance":
            return self.allergy()
        if self.kind == "MedicationRequest":
            return self.medication_request()
        return self.diagnostic_report()


def build_resource(kind: str, notes: Sequence[Note], *, version: str = "R4B", content_type: str | None = None,
                   style: str = "p", uid: str = "journal-fuzz", personnummer: str = TEST_PERSONNUMMER[0],
                   refuted: bool = False) -> Built:
    """Embed ``notes`` in a resource of ``kind`` for FHIR ``version`` and say where each went.

    Each note goes into its own text-bearing field; a kind with fewer such fields than notes takes the rest as
    extra ``note[]`` annotations, sections or attachments. ``content_type`` (one of :data:`ATTACHMENT_TYPES`, or
    another text type with a charset) applies to attachments, ``style`` (one of :data:`NARRATIVE_STYLES`) to
    narratives and HTML/XHTML bodies. ``refuted`` marks a Condition (or AllergyIntolerance) as ruled out: the
    note negates the finding. The result is validated; an invalid one raises :class:`FhirError`.
    """
    if kind not in RESOURCE_KINDS:
        raise FhirError(f"unknown resource kind {kind!r}; use one of {', '.join(RESOURCE_KINDS)}")
    check_version(version)
    if style not in NARRATIVE_STYLES:
        raise FhirError(f"unknown narrative style {style!r}; use one of {', '.join(NARRATIVE_STYLES)}")
    if content_type is not None:
        media, _charset = split_content_type(content_type)
        if media not in ("text/plain", "text/html", "application/xhtml+xml", "text/rtf"):
            raise FhirError(f"unsupported attachment type {content_type!r}; use one of {', '.join(ATTACHMENT_TYPES)}")
    notes = list(notes)
    if not notes:
        raise FhirError("at least one note is needed to build a resource")
    for note in notes:
        if not isinstance(note, Note):
            raise FhirError(f"notes must be Note objects, not {type(note).__name__}")
        check_text(note.text)
    if not uid or not uid.strip():
        raise FhirError("uid must be a non-empty string")
    builder = _Builder(kind, notes, version, content_type, style, uid, personnummer, refuted)
    resource = builder.build()
    validate(resource, version)
    return Built(kind, version, resource, builder.embeds)


# ---------------------------------------------------------------------------------------------------------
def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))


def _check_strings(obj: Any, path: str) -> None:
    if isinstance(obj, str):
        check_chars(obj, f"the string at {path}")
        return
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _check_strings(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _check_strings(value, f"{path}.{key}")


def _check_narratives(fields: list[TextField]) -> None:
    for tf in fields:
        if tf.form == "narrative":
            if tf.problem:
                raise FhirError(f"{tf.path}: {tf.problem}")
            if not tf.text.strip():
                raise FhirError(f"{tf.path}: a narrative must have some non-whitespace text")
        elif tf.form == "attachment" and tf.problem:
            raise FhirError(f"{tf.path}: {tf.problem}")


def _check_divs(obj: Any, path: str) -> None:
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _check_divs(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if key == "div" and isinstance(value, str):
                root = parse_xml(value)
                if root.tag != f"{{{XHTML_NS}}}div":
                    raise FhirError(f"{path}.div: a narrative must be an XHTML <div> in the {XHTML_NS} namespace")
            else:
                _check_divs(value, f"{path}.{key}")


def _check_hashes(obj: Any, path: str) -> None:
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _check_hashes(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        data, digest = obj.get("data"), obj.get("hash")
        if "contentType" in obj and isinstance(data, str) and isinstance(digest, str):
            try:
                raw = base64.b64decode(data, validate=True)
            except ValueError:
                raise FhirError(f"{path}.data: not valid base64") from None
            if base64.b64encode(hashlib.sha1(raw).digest()).decode("ascii") != digest:
                raise FhirError(f"{path}.hash: not the base64 SHA-1 of the attachment's data")
        for key, value in obj.items():
            _check_hashes(value, f"{path}.{key}")


def validate(resource: dict[str, Any], version: str = "R4B") -> None:
    """Raise :class:`FhirError` with the first problem unless ``resource`` is valid FHIR ``version``.

    fhir.resources checks the structure; on top of it: every string is one FHIR and XML can carry, every narrative
    is safe, well-formed XHTML ``<div>`` with some text, and every attachment hash matches its data.
    """
    if not isinstance(resource, dict):
        raise FhirError(f"a FHIR resource must be a JSON object, not {type(resource).__name__}")
    rt = resource.get("resourceType")
    cls = model_class(rt, version)
    try:
        cls.model_validate(resource)
    except ValidationError as err:
        raise FhirError(f"{rt} is not valid FHIR {version}: {_first_error(err)}") from None
    except (ValueError, TypeError) as err:
        raise FhirError(f"{rt} is not valid FHIR {version}: {err}") from None
    _check_strings(resource, str(rt))
    _check_divs(resource, str(rt))
    _check_hashes(resource, str(rt))
    _check_narratives(extract_texts(resource))


def uid_of(resource: dict[str, Any]) -> str | None:
    """The uid :func:`build_resource` stamped into ``resource`` (its ``urn:journal-fuzz:uid`` identifier), if any."""
    idents = resource.get("identifier")
    for ident in idents if isinstance(idents, list) else [idents]:
        if isinstance(ident, dict) and ident.get("system") == UID_SYSTEM and isinstance(ident.get("value"), str):
            value: str = ident["value"]
            return value.split("/", 1)[0]
    return None


def restamp(resource: dict[str, Any], uid: str) -> dict[str, Any]:
    """A copy of a built ``resource`` carrying ``uid`` instead of the uid it was built with.

    A saved case is sent again under a fresh uid (a system that deduplicates must not see a replay as a repeat);
    the identifiers and the Bundle's ``urn:uuid`` fullUrls derived from the old uid change with it. A resource
    that carries no journal_fuzz uid is returned as a plain copy.
    """
    old = uid_of(resource)
    body = json.dumps(resource, ensure_ascii=False)
    if old and old != uid:
        for suffix in ("/Composition", "/Patient"):
            body = body.replace(str(uuid.uuid5(_UUID_NAMESPACE, old + suffix)),
                                str(uuid.uuid5(_UUID_NAMESPACE, uid + suffix)))
        body = body.replace(json.dumps(old)[1:-1], json.dumps(uid)[1:-1])
    copy: dict[str, Any] = json.loads(body)
    return copy
