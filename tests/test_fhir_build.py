"""Building resources that carry notes: every kind and version validates, and every character survives."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest

import journal_fuzz as jf
from fhir_helpers import CLINICAL, HOSTILE_TEXTS, en, sv
from journal_fuzz.fhir import (
    ATTACHMENT_TYPES,
    NARRATIVE_STYLES,
    RESOURCE_KINDS,
    Built,
    FhirError,
    build_resource,
    compare_resources,
    extract_texts,
    from_wire,
    to_wire,
    validate,
)

VERSIONS = ("R4B", "R5")
ATTACHMENT_KINDS = ("DocumentReference", "DiagnosticReport")
NARRATIVE_KINDS = ("Composition", "Bundle")


def _variants(kind: str) -> list[dict[str, Any]]:
    """The content types and styles that matter for a kind (styles shape HTML/XHTML bodies too)."""
    if kind in ATTACHMENT_KINDS:
        return [{"content_type": ct, "style": st} for ct in ATTACHMENT_TYPES for st in NARRATIVE_STYLES]
    if kind in NARRATIVE_KINDS:
        return [{"style": st} for st in NARRATIVE_STYLES]
    return [{}]


def _norm_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _texts_by_path(resource: dict[str, Any]) -> dict[str, str]:
    return {tf.path: tf.text for tf in extract_texts(resource)}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", RESOURCE_KINDS)
def test_every_kind_builds_validates_and_survives_both_wires(kind: str, version: str) -> None:
    notes = [CLINICAL, sv("Ingen känd allergi mot penicillin."), sv("Fraktur påvisas ej.")]
    problems = []
    for variant in _variants(kind):
        built = build_resource(kind, notes, version=version, uid=f"case-{kind}", **variant)
        assert isinstance(built, Built) and built.kind == kind and built.version == version
        validate(built.resource, version)
        assert len({id(e.note) for e in built.embeds}) == len(notes), "every note must be embedded"
        for wire in ("json", "xml"):
            back = from_wire(to_wire(built.resource, wire, version), wire, version)
            verdict = compare_resources(built.resource, back)
            if verdict.findings:
                problems.append(f"{variant} {wire}: {verdict.explain()}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", RESOURCE_KINDS)
def test_hostile_notes_survive_build_wire_and_extract_exactly(kind: str, version: str) -> None:
    notes = [sv(t) for t in HOSTILE_TEXTS]
    problems = []
    for variant in _variants(kind):
        built = build_resource(kind, notes, version=version, **variant)
        for wire in ("json", "xml"):
            back = from_wire(to_wire(built.resource, wire, version), wire, version)
            assert not compare_resources(built.resource, back).findings
            texts = _texts_by_path(back)
            for embed in built.embeds:
                got = texts[embed.path]
                verdict = jf.compare(embed.note, got)
                if verdict.findings:
                    problems.append(f"{variant} {wire} {embed.path}: {verdict.explain()}")
                # Stronger than the oracle: only line endings may differ (XML and RTF normalise CR); markup written
                # with nothing between its blocks keeps every character but not the kind of whitespace.
                same = (" ".join(got.split()) == " ".join(embed.note.text.split())
                        if str(variant.get("style", "")).endswith("-compact")
                        else _norm_lines(got) == _norm_lines(embed.note.text))
                if not same:
                    problems.append(f"{variant} {wire} {embed.path}: {got!r} != {embed.note.text!r}")
    assert not problems, "\n".join(problems[:10])


def test_build_is_deterministic_and_uid_makes_resources_distinct() -> None:
    one = build_resource("Bundle", [CLINICAL], uid="a-1")
    again = build_resource("Bundle", [CLINICAL], uid="a-1")
    other = build_resource("Bundle", [CLINICAL], uid="a-2")
    assert json.dumps(one.resource) == json.dumps(again.resource)
    assert one.resource["identifier"]["value"] == "a-1"
    urls = [e["fullUrl"] for e in one.resource["entry"]]
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", u) for u in urls)
    assert urls != [e["fullUrl"] for e in other.resource["entry"]]
    for kind in RESOURCE_KINDS:
        a = build_resource(kind, [CLINICAL], uid="x-1").resource
        b = build_resource(kind, [CLINICAL], uid="x-2").resource
        assert a != b, kind
        assert "x-1" in json.dumps(a)


def test_document_bundle_has_patient_with_personnummer_and_references_between_entries() -> None:
    built = build_resource("Bundle", [CLINICAL, sv("Ingen feber.")], uid="b", personnummer="194408139089")
    bundle = built.resource
    assert bundle["type"] == "document" and bundle["timestamp"]
    comp, patient = (e["resource"] for e in bundle["entry"])
    assert comp["resourceType"] == "Composition" and patient["resourceType"] == "Patient"
    assert patient["identifier"][0] == {"system": "http://electronichealth.se/identifier/personnummer",
                                        "value": "194408139089"}
    assert patient["name"][0]["family"]
    assert comp["subject"]["reference"] == bundle["entry"][1]["fullUrl"]
    assert [e.path for e in built.embeds] == ["Bundle.entry[0].resource.section[0].text.div",
                                              "Bundle.entry[0].resource.section[1].text.div"]
    assert {e.form for e in built.embeds} == {"narrative"}


def test_paths_and_forms_per_kind() -> None:
    notes = [CLINICAL, sv("Ingen känd allergi."), sv("Tredje anteckningen.")]
    expected = {
        "DocumentReference": [("DocumentReference.content[0].attachment", "attachment"),
                              ("DocumentReference.content[1].attachment", "attachment"),
                              ("DocumentReference.content[2].attachment", "attachment")],
        "Composition": [(f"Composition.section[{i}].text.div", "narrative") for i in range(3)],
        "Observation": [("Observation.valueString", "string"), ("Observation.note[0].text", "markdown"),
                        ("Observation.note[1].text", "markdown")],
        "Condition": [(f"Condition.note[{i}].text", "markdown") for i in range(3)],
        "AllergyIntolerance": [("AllergyIntolerance.note[0].text", "markdown"),
                               ("AllergyIntolerance.reaction[0].description", "string"),
                               ("AllergyIntolerance.note[1].text", "markdown")],
        "MedicationRequest": [("MedicationRequest.dosageInstruction[0].text", "string"),
                              ("MedicationRequest.note[0].text", "markdown"),
                              ("MedicationRequest.note[1].text", "markdown")],
        "DiagnosticReport": [("DiagnosticReport.conclusion", "string")] + [
            (f"DiagnosticReport.presentedForm[{i}]", "attachment") for i in range(3)],
    }
    for kind, paths in expected.items():
        built = build_resource(kind, notes)
        assert [(e.path, e.form) for e in built.embeds] == paths, kind
        texts = _texts_by_path(built.resource)
        for e in built.embeds:
            assert texts[e.path] == e.note.text, (kind, e.path)


def test_r4b_and_r5_differences() -> None:
    med4 = build_resource("MedicationRequest", [CLINICAL], version="R4B").resource
    med5 = build_resource("MedicationRequest", [CLINICAL], version="R5").resource
    assert med4["medicationCodeableConcept"] == {"text": "Waran"} and "medication" not in med4
    assert med5["medication"] == {"concept": {"text": "Waran"}} and "medicationCodeableConcept" not in med5
    comp4 = build_resource("Composition", [CLINICAL], version="R4B").resource
    comp5 = build_resource("Composition", [CLINICAL], version="R5").resource
    assert isinstance(comp4["subject"], dict) and isinstance(comp5["subject"], list)
    assert isinstance(comp4["identifier"], dict) and isinstance(comp5["identifier"], list)
    allergy5 = build_resource("AllergyIntolerance", [CLINICAL, sv("Utslag.")], version="R5").resource
    assert allergy5["reaction"][0]["manifestation"][0] == {"concept": {"text": "Ospecificerad reaktion"}}
    assert isinstance(allergy5["type"], dict)
    # Each version's shape is invalid in the other: the builder really follows the version.
    with pytest.raises(FhirError, match="not valid FHIR R5"):
        validate(med4, "R5")
    with pytest.raises(FhirError, match="not valid FHIR R4B"):
        validate(med5, "R4B")


def test_condition_refuted_and_statuses() -> None:
    refuted = build_resource("Condition", [sv("Ingen pneumoni.", ("term", "pneumoni"))], refuted=True).resource
    confirmed = build_resource("Condition", [sv("Pneumoni.", ("term", "Pneumoni"))]).resource
    assert refuted["verificationStatus"]["coding"][0]["code"] == "refuted"
    assert confirmed["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert refuted["clinicalStatus"]["coding"][0]["code"] == "active"
    assert refuted["code"]["text"] == "pneumoni"
    req = build_resource("MedicationRequest", [CLINICAL]).resource
    assert (req["status"], req["intent"]) == ("active", "order")
    dose = req["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert dose == {"value": 2.5, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}


@pytest.mark.parametrize("content_type", ATTACHMENT_TYPES)
def test_attachment_bytes_hash_and_content_type(content_type: str) -> None:
    built = build_resource("DocumentReference", [CLINICAL], content_type=content_type)
    att = built.resource["content"][0]["attachment"]
    raw = base64.b64decode(att["data"])
    assert att["contentType"] == content_type
    assert att["hash"] == base64.b64encode(hashlib.sha1(raw).digest()).decode()
    if content_type.startswith("text/plain"):
        assert raw == CLINICAL.text.encode("utf-8")
    elif content_type.startswith("text/rtf"):
        assert raw.startswith(b"{\\rtf1") and raw.isascii()
        assert b"\\u228?" in raw and b"\\par" in raw  # ä and the line break
        assert b"{\\b inte}" in raw and b"{\\i Misst\\u228?nkt}" in raw
    else:
        assert b"<b>inte</b>" in raw and b"<i>Misst\xc3\xa4nkt</i>" in raw


def test_narrative_markup_wraps_facts_and_escapes() -> None:
    note = sv("Har inte feber & CRP <5.\nMisstänkt <pneumoni>.", ("negation", "inte"), ("hedge", "Misstänkt"))
    divs = {st: build_resource("Composition", [note], style=st).resource["section"][0]["text"]["div"]
            for st in NARRATIVE_STYLES}
    for style, div in divs.items():
        assert div.startswith('<div xmlns="http://www.w3.org/1999/xhtml">'), style
        assert "<b>inte</b>" in div and "<i>Misstänkt</i>" in div, style
        assert "&amp; CRP &lt;5" in div and "&lt;pneumoni&gt;" in div, style
    assert divs["p"].count("<p>") == 2
    assert "<br/>" in divs["br"] and "<br/>" in divs["inline"] and "<p>" not in divs["inline"]
    assert divs["list"].count("<li>") == 2
    assert divs["table"].count("<tr>") == 2 and divs["table"].count("<td>") == 4


def test_markdown_notes_are_escaped_so_backslashes_survive() -> None:
    note = sv("Hjärta & lungor: ua | ^ ~ \\ & \\*inte\\* C:\\temp")
    built = build_resource("Condition", [note])
    stored = built.resource["note"][0]["text"]
    assert stored != note.text  # backslashes before punctuation are doubled
    assert _texts_by_path(built.resource)["Condition.note[0].text"] == note.text


def test_english_notes_get_english_labels() -> None:
    res = build_resource("Observation", [en("No fever. Denies chest pain.")]).resource
    assert res["code"]["text"] == "Clinical note"


@pytest.mark.parametrize("bad", ["a\x00b", "bell\x07", "form\x0cfeed", "esc\x1b[0m", "lone \ud800 surrogate"])
def test_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(FhirError, match="U\\+"):
        build_resource("Observation", [sv(bad)])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "Patient"}, "unknown resource kind"),
    ({"version": "R3"}, "unknown FHIR version"),
    ({"style": "bold"}, "unknown narrative style"),
    ({"content_type": "application/pdf"}, "unsupported attachment type"),
    ({"notes": []}, "at least one note"),
    ({"notes": [sv("   \n")]}, "empty or only whitespace"),
    ({"notes": ["text"]}, "Note objects"),
])
def test_bad_arguments_raise_fhir_error(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"kind": "Observation", "notes": [CLINICAL], **kwargs}
    kind = args.pop("kind")
    notes = args.pop("notes")
    with pytest.raises(FhirError, match=message):
        build_resource(kind, notes, **args)  # type: ignore[arg-type]


def test_fact_that_does_not_match_the_text_is_refused() -> None:
    bad = jf.Note("Ingen feber.", "sv", (jf.Fact("negation", 0, 5, "Inte"),))
    with pytest.raises(FhirError, match="does not match"):
        build_resource("Composition", [bad])


def test_validate_reports_first_problem() -> None:
    res = build_resource("Composition", [CLINICAL]).resource
    res["section"][0]["text"]["div"] = "<p>not a div</p>"
    with pytest.raises(FhirError, match="XHTML <div>"):
        validate(res)
    res = build_resource("DocumentReference", [CLINICAL]).resource
    res["content"][0]["attachment"]["hash"] = base64.b64encode(b"x" * 20).decode()
    with pytest.raises(FhirError, match="SHA-1"):
        validate(res)
    with pytest.raises(FhirError, match="unknown resourceType"):
        validate({"resourceType": "Nonsense"})
    with pytest.raises(FhirError, match="status"):
        validate({"resourceType": "Observation", "code": {"text": "x"}}, "R5")


def test_non_utf8_charset_is_honoured() -> None:
    note = sv("Förnekar bröstsmärta.")
    built = build_resource("DocumentReference", [note], content_type="text/plain; charset=iso-8859-1")
    raw = base64.b64decode(built.resource["content"][0]["attachment"]["data"])
    assert raw == note.text.encode("latin-1")
    assert _texts_by_path(built.resource)["DocumentReference.content[0].attachment"] == note.text
    with pytest.raises(FhirError, match="charset"):
        build_resource("DocumentReference", [sv("emoji 😀")], content_type="text/plain; charset=iso-8859-1")
    html = build_resource("DocumentReference", [sv("emoji 😀 ö")], content_type="text/html; charset=iso-8859-1")
    assert _texts_by_path(html.resource)["DocumentReference.content[0].attachment"] == "emoji 😀 ö"
