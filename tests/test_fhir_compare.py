"""compare_resources: every corruption is caught at the right path; what a server adds is not word loss."""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

import pytest

from fhir_helpers import CLINICAL, sv
from journal_fuzz import Policy, Verdict
from journal_fuzz.fhir import FhirError, build_resource, compare_resources, from_wire, to_wire

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'


def _only(verdict: Verdict) -> Any:
    assert len(verdict.findings) == 1, verdict.explain()
    return verdict.findings[0]


def _set_attachment(att: dict[str, Any], body: bytes, content_type: str | None = None) -> None:
    att["data"] = base64.b64encode(body).decode()
    att["hash"] = base64.b64encode(hashlib.sha1(body).digest()).decode()
    if content_type:
        att["contentType"] = content_type


def test_faithful_copy_has_no_findings_and_is_ok() -> None:
    built = build_resource("Bundle", [CLINICAL])
    verdict = compare_resources(built.resource, copy.deepcopy(built.resource))
    assert verdict.ok and verdict.findings == [] and verdict.language == "sv"


@pytest.mark.parametrize("style", ["p", "br", "list", "table", "inline"])
def test_dropped_ej_in_narrative(style: str) -> None:
    built = build_resource("Composition", [sv("Ingen feber."), sv("Fraktur påvisas ej.\nInga tecken på blödning.")],
                           style=style)
    received = copy.deepcopy(built.resource)
    section = received["section"][1]["text"]
    assert " ej." in section["div"]
    section["div"] = section["div"].replace(" ej.", ".")
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "negation-dropped" and finding.severity == "critical"
    assert finding.path == "Composition.section[1].text.div"
    assert finding.sent_text == "ej"


def test_dropped_ingen_in_bundle_narrative_names_the_entry_path() -> None:
    built = build_resource("Bundle", [sv("Ingen fraktur."), sv("Inga tecken på blödning.")], uid="b1")
    received = copy.deepcopy(built.resource)
    sec = received["entry"][0]["resource"]["section"][1]["text"]
    sec["div"] = sec["div"].replace("Inga tecken", "Tecken")
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "negation-dropped"
    assert finding.path == "Bundle.entry[0].resource.section[1].text.div"


def test_attachment_reencoded_as_latin1_but_declared_utf8() -> None:
    text = "Förnekar bröstsmärta. Ingen feber."
    built = build_resource("DocumentReference", [sv(text)])
    received = copy.deepcopy(built.resource)
    _set_attachment(received["content"][0]["attachment"], text.encode("latin-1"))
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "encoding-damaged"
    assert finding.path == "DocumentReference.content[0].attachment"


def test_invalid_bytes_outside_words_still_give_encoding_damaged() -> None:
    built = build_resource("DocumentReference", [sv("Ingen feber.")])
    received = copy.deepcopy(built.resource)
    _set_attachment(received["content"][0]["attachment"], b"Ingen feber.\xff")
    kinds = [f.kind for f in compare_resources(built.resource, received).findings]
    assert "encoding-damaged" in kinds


def test_attachment_whose_charset_lies() -> None:
    built = build_resource("DiagnosticReport", [sv("Förnekar bröstsmärta.")])
    received = copy.deepcopy(built.resource)
    received["presentedForm"][0]["contentType"] = "text/plain; charset=iso-8859-1"
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "encoding-damaged" and finding.path == "DiagnosticReport.presentedForm[0]"
    assert "Ã¶" in finding.received_text


def test_rtf_with_unmatched_brace_is_truncated() -> None:
    built = build_resource("DocumentReference", [sv("Inga fynd. Ej allergi mot penicillin.")],
                           content_type="text/rtf;charset=utf-8")
    received = copy.deepcopy(built.resource)
    att = received["content"][0]["attachment"]
    body = base64.b64decode(att["data"]).replace(b"Inga fynd.", b"Inga fynd.}")
    _set_attachment(att, body)
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "truncated" and finding.severity == "critical"
    assert finding.path == "DocumentReference.content[0].attachment"
    assert "Ej allergi mot penicillin." in finding.received_text


def test_removed_br_merges_words() -> None:
    div = f"<div {XHTML}><p>Inga<br/>fynd</p></div>"
    sent: dict[str, Any] = {"resourceType": "Composition", "status": "final", "title": "t",
                            "section": [{"text": {"status": "additional", "div": div}}]}
    received = copy.deepcopy(sent)
    received["section"][0]["text"]["div"] = f"<div {XHTML}><p>Ingafynd</p></div>"
    finding = _only(compare_resources(sent, received))
    assert finding.kind == "words-merged" and finding.path == "Composition.section[0].text.div"
    built = build_resource("Composition", [sv("Inga\nfynd")], style="br")
    received = copy.deepcopy(built.resource)
    received["section"][0]["text"]["div"] = received["section"][0]["text"]["div"].replace("<br/>\n", "")
    assert _only(compare_resources(built.resource, received)).kind == "words-merged"


def test_markdown_note_that_lost_a_word() -> None:
    built = build_resource("Condition", [sv("Ingen känd allergi."), sv("Patienten har *inte* feber.")])
    received = copy.deepcopy(built.resource)
    received["note"][1]["text"] = "Patienten har \\*\\* feber."
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "negation-dropped" and finding.path == "Condition.note[1].text"


def test_server_escaped_markdown_is_not_a_finding() -> None:
    built = build_resource("Observation", [sv("Värde 5."), sv("*inte* _ej_ # rubrik\n1. punkt [x]")])
    received = copy.deepcopy(built.resource)
    received["note"][0]["text"] = "\\*inte\\* \\_ej\\_ \\# rubrik\n1\\. punkt \\[x\\]"
    assert compare_resources(built.resource, received).findings == []


@pytest.mark.parametrize("index", [0, 1])
def test_dropped_note_is_field_dropped_at_its_path(index: int) -> None:
    built = build_resource("Condition", [sv("Ingen känd allergi mot penicillin."), sv("Inga tecken på infektion.")])
    received = copy.deepcopy(built.resource)
    del received["note"][index]
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "field-dropped" and finding.severity == "critical"
    assert finding.path == f"Condition.note[{index}].text"
    assert finding.sent_text == built.resource["note"][index]["text"]
    assert f"note[{index}].text" in finding.explanation


def test_a_dropped_note_does_not_hide_a_change_in_its_sibling() -> None:
    built = build_resource("Condition", [sv("Ingen känd allergi."), sv("Inga tecken på infektion."),
                                         sv("Ej rökare.")])
    received = copy.deepcopy(built.resource)
    del received["note"][0]
    received["note"][0]["text"] = "Tecken på infektion."
    verdict = compare_resources(built.resource, received)
    assert [(f.kind, f.path) for f in verdict.findings] == [
        ("field-dropped", "Condition.note[0].text"), ("negation-dropped", "Condition.note[1].text")]


def test_all_notes_dropped() -> None:
    built = build_resource("AllergyIntolerance", [sv("Ej allergi."), sv("Utslag."), sv("Tredje.")])
    received = copy.deepcopy(built.resource)
    del received["note"]
    del received["reaction"][0]["description"]
    verdict = compare_resources(built.resource, received)
    assert [(f.kind, f.path) for f in verdict.findings] == [
        ("field-dropped", "AllergyIntolerance.note[0].text"), ("field-dropped", "AllergyIntolerance.note[1].text"),
        ("field-dropped", "AllergyIntolerance.reaction[0].description")]


def test_verification_status_refuted_to_confirmed() -> None:
    built = build_resource("Condition", [sv("Ingen pneumoni.")], refuted=True)
    received = copy.deepcopy(built.resource)
    received["verificationStatus"]["coding"][0]["code"] = "confirmed"
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "field-changed" and finding.severity == "critical"
    assert finding.path == "Condition.verificationStatus.coding[0].code"
    assert (finding.sent_text, finding.received_text) == ("refuted", "confirmed")
    assert "verificationStatus 'refuted' became 'confirmed'" in finding.explanation
    assert "present" in finding.explanation


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("value", 25, "25"), ("code", "ug", "ug"), ("unit", "µg", "µg")])
def test_changed_dose_quantity(field: str, value: Any, expected: str) -> None:
    built = build_resource("MedicationRequest", [sv("Waran 2,5 mg 1x1 till kvällen.")])
    received = copy.deepcopy(built.resource)
    received["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"][field] = value
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "field-changed" and finding.severity == "critical"
    assert finding.path == f"MedicationRequest.dosageInstruction[0].doseAndRate[0].doseQuantity.{field}"
    assert finding.received_text == expected


def test_changed_medication_and_dropped_structure() -> None:
    built = build_resource("MedicationRequest", [sv("Waran 2,5 mg.", ("drug", "Waran"))], version="R5")
    received = copy.deepcopy(built.resource)
    received["medication"]["concept"]["text"] = "Warfarin"
    del received["dosageInstruction"][0]["doseAndRate"]
    verdict = compare_resources(built.resource, received)
    assert [(f.kind, f.path, f.severity) for f in verdict.findings] == [
        ("field-dropped", "MedicationRequest.dosageInstruction[0].doseAndRate", "critical"),
        ("field-changed", "MedicationRequest.medication.concept.text", "critical")]


def test_minor_structural_change_is_major_not_critical() -> None:
    built = build_resource("Composition", [sv("Ingen feber.")])
    received = copy.deepcopy(built.resource)
    received["title"] = "Annan titel"
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "field-changed" and finding.severity == "major" and finding.path == "Composition.title"


def test_type_change_is_field_changed_but_numeric_type_is_not() -> None:
    built = build_resource("MedicationRequest", [sv("Waran 2 mg.")])
    received = copy.deepcopy(built.resource)
    received["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = 2.0
    assert compare_resources(built.resource, received).findings == []
    received["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = "2"
    assert _only(compare_resources(built.resource, received)).kind == "field-changed"


def test_server_additions_are_not_findings() -> None:
    built = build_resource("MedicationRequest", [sv("Waran 2,5 mg."), sv("Ingen blödning.")])
    received = copy.deepcopy(built.resource)
    received["id"] = "123"
    received["meta"] = {"versionId": "7", "lastUpdated": "2025-01-01T00:00:00Z", "source": "#srv"}
    received["text"] = {"status": "generated", "div": f"<div {XHTML}>Waran <b>genererad</b> text, ej</div>"}
    received["note"][0]["authorReference"] = {"reference": "Practitioner/9"}
    received["category"] = [{"text": "ny"}]
    assert compare_resources(built.resource, received).findings == []


def test_server_changed_ids_and_meta_are_not_findings() -> None:
    built = build_resource("Observation", [sv("Ingen feber.")])
    sent = copy.deepcopy(built.resource)
    sent["id"] = "client-1"
    sent["meta"] = {"versionId": "1", "profile": ["http://example.org/p"]}
    received = copy.deepcopy(sent)
    received["id"] = "srv-9"
    received["meta"] = {"versionId": "4", "lastUpdated": "2025-01-01T00:00:00Z"}
    assert compare_resources(sent, received).findings == []


def test_server_assigned_bundle_references_and_attachment_url() -> None:
    built = build_resource("Bundle", [sv("Ingen feber.")])
    received = copy.deepcopy(built.resource)
    received["id"] = "b1"
    received["meta"] = {"lastUpdated": "2025-01-01T00:00:00Z"}
    for n, entry in enumerate(received["entry"]):
        rt = entry["resource"]["resourceType"]
        entry["fullUrl"] = f"http://server/fhir/{rt}/{n}"
        entry["resource"]["id"] = str(n)
        entry["response"] = {"status": "201 Created"}
    received["entry"][0]["resource"]["subject"]["reference"] = "Patient/1"
    assert compare_resources(built.resource, received).findings == []

    doc = build_resource("DocumentReference", [sv("Ingen feber.")])
    received = copy.deepcopy(doc.resource)
    received["content"][0]["attachment"]["url"] = "Binary/55"
    received["content"][0]["attachment"]["size"] = 12
    assert compare_resources(doc.resource, received).findings == []


def test_attachment_returned_as_rendered_html_copy_is_not_a_finding() -> None:
    notes = [sv("Patienten har inte feber.\nEj allergi mot <penicillin>.")]
    sent = build_resource("DocumentReference", notes, content_type="text/rtf;charset=utf-8").resource
    rendered = build_resource("DocumentReference", notes, content_type="text/html;charset=utf-8").resource
    received = copy.deepcopy(sent)
    received["content"][0]["attachment"] = rendered["content"][0]["attachment"]
    assert compare_resources(sent, received).findings == []


def test_attachment_without_data_or_as_pdf() -> None:
    built = build_resource("DocumentReference", [sv("Ingen feber.")])
    received = copy.deepcopy(built.resource)
    att = received["content"][0]["attachment"]
    del att["data"], att["hash"]
    att["url"] = "Binary/1"
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "field-dropped" and "no inline data" in finding.explanation
    _set_attachment(att, b"%PDF-1.4", "application/pdf")
    finding = _only(compare_resources(built.resource, received))
    assert finding.kind == "field-changed" and finding.path == "DocumentReference.content[0].attachment"
    assert not compare_resources(built.resource, received).ok


def test_findings_are_ordered_by_path_then_offset() -> None:
    notes = [sv(f"Anteckning {i}: ingen feber, inte hosta.") for i in range(12)]
    built = build_resource("Condition", notes)
    received = copy.deepcopy(built.resource)
    for i in (11, 2, 10):
        received["note"][i]["text"] = received["note"][i]["text"].replace("ingen ", "").replace("inte ", "")
    paths = [(str(f.path), f.sent_offset) for f in compare_resources(built.resource, received).findings]
    assert [p for p, _ in paths] == ["Condition.note[2].text"] * 2 + ["Condition.note[10].text"] * 2 + [
        "Condition.note[11].text"] * 2
    assert paths == sorted(paths, key=lambda item: (int(item[0].split("[")[1].split("]")[0]), item[1]))


def test_language_and_policy_are_passed_through() -> None:
    built = build_resource("Observation", [sv("Ingen feber.")])
    received = copy.deepcopy(built.resource)
    received["valueString"] = "Ingen  feber."
    assert compare_resources(built.resource, received).findings == []
    strict = compare_resources(built.resource, received, "sv", policy=Policy.strict())
    assert strict.findings and strict.policy == Policy.strict() and strict.language == "sv"
    assert all(f.path == "Observation.valueString" for f in strict.findings)
    assert compare_resources(built.resource, received, "en").language == "en"


@pytest.mark.parametrize(("sent", "received", "message"), [
    ([], {"resourceType": "Observation"}, "JSON object"),
    ({"resourceType": "Observation"}, "text", "JSON object"),
    ({"status": "final"}, {"resourceType": "Observation"}, "no resourceType"),
    ({"resourceType": "Observation"}, {"resourceType": "Condition"}, "another resource type"),
])
def test_bad_input_raises(sent: Any, received: Any, message: str) -> None:
    with pytest.raises(FhirError, match=message):
        compare_resources(sent, received)


@pytest.mark.parametrize("wire", ["json", "xml"])
def test_corruption_survives_the_wire_and_is_still_caught(wire: str) -> None:
    built = build_resource("Condition", [sv("Ingen pneumoni."), sv("Patienten har inte feber.")], refuted=True,
                           version="R5")
    received = copy.deepcopy(built.resource)
    received["verificationStatus"]["coding"][0]["code"] = "confirmed"
    received["note"][1]["text"] = "Patienten har feber."
    back = from_wire(to_wire(received, wire, "R5"), wire, "R5")
    verdict = compare_resources(built.resource, back)
    assert [(f.kind, f.path) for f in verdict.findings] == [
        ("negation-dropped", "Condition.note[1].text"),
        ("field-changed", "Condition.verificationStatus.coding[0].code")]
    assert verdict.to_dict()["findings"][0]["path"] == "Condition.note[1].text"


def test_malformed_narrative_is_reported_and_its_words_still_compared() -> None:
    built = build_resource("Composition", [sv("Inga fynd. Ej allergi.")])
    received = copy.deepcopy(built.resource)
    received["section"][0]["text"]["div"] = f"<div {XHTML}><p>Inga fynd. allergi.</div>"
    verdict = compare_resources(built.resource, received)
    assert [(f.kind, f.path) for f in verdict.findings] == [
        ("field-changed", "Composition.section[0].text.div"), ("negation-dropped", "Composition.section[0].text.div")]
    assert "not well-formed XHTML" in verdict.findings[0].explanation
