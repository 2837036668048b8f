"""Reading texts back out of resources: narratives, annotations, strings and attachments (HTML, XHTML, RTF)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from fhir_helpers import CLINICAL, sv
from journal_fuzz.fhir import TextField, build_resource, extract_texts
from journal_fuzz.fhir.extract import unescape_markdown
from journal_fuzz.fhir.rtf import read_rtf, write_rtf

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'


def _div(inner: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "text": {"status": "generated", "div": f"<div {XHTML}>{inner}</div>"}}


def _narrative(inner: str) -> str:
    fields = extract_texts(_div(inner))
    assert [f.path for f in fields] == ["Observation.text.div"]
    assert fields[0].form == "narrative" and fields[0].problem is None
    return fields[0].text


def _attachment(body: bytes, content_type: str) -> TextField:
    res = {"resourceType": "DocumentReference", "status": "current",
           "content": [{"attachment": {"contentType": content_type, "data": base64.b64encode(body).decode()}}]}
    (field,) = extract_texts(res)
    assert field.path == "DocumentReference.content[0].attachment" and field.form == "attachment"
    assert field.content_type == content_type
    return field


@pytest.mark.parametrize(("inner", "expected"), [
    ("Inga<br/>fynd", "Inga\nfynd"),
    ("<p>Inga</p><p>fynd</p>", "Inga\nfynd"),
    ("<ul><li>Inga</li><li>fynd</li></ul>", "Inga\nfynd"),
    ("<table><tr><td>Hjärta</td><td>ua</td></tr><tr><td>Lungor</td><td>ua</td></tr></table>",
     "Hjärta\tua\nLungor\tua"),
    ("<div>Inga</div><div>fynd</div>", "Inga\nfynd"),
    ("Patienten har <b>inte</b> feber", "Patienten har inte feber"),
    ("Pat<span>ienten</span> har <i>möjligen</i> feber", "Patienten har möjligen feber"),
    ("har <!-- ej --> feber", "har  feber"),
    ("har &lt;!-- ej --&gt; feber", "har <!-- ej --> feber"),
    ("CRP &lt;5 &amp; &#228;r l&#xE5;gt", "CRP <5 & är lågt"),
    ("Inga<br/>\nfynd", "Inga\nfynd"),
    ("<p>a</p>\n<p>b</p>", "a\nb"),
])
def test_narrative_text_keeps_block_boundaries(inner: str, expected: str) -> None:
    assert _narrative(inner) == expected


def test_narrative_in_bundle_entry_and_paths() -> None:
    built = build_resource("Bundle", [CLINICAL, sv("Ingen feber.")])
    fields = extract_texts(built.resource)
    assert [f.path for f in fields] == ["Bundle.entry[0].resource.section[0].text.div",
                                        "Bundle.entry[0].resource.section[1].text.div"]
    assert [f.text for f in fields] == [CLINICAL.text, "Ingen feber."]


def test_section_titles_and_code_text_are_not_notes() -> None:
    built = build_resource("Composition", [sv("Ingen feber.")])
    texts = [f.text for f in extract_texts(built.resource)]
    assert texts == ["Ingen feber."]
    cond = build_resource("Condition", [sv("Ingen pneumoni.", ("term", "pneumoni"))])
    assert [f.text for f in extract_texts(cond.resource)] == ["Ingen pneumoni."]


def test_every_text_field_kind_is_found() -> None:
    res = {
        "resourceType": "MedicationRequest",
        "text": {"status": "generated", "div": f"<div {XHTML}>Genererad</div>"},
        "contained": [{"resourceType": "Observation", "valueString": "inne"}],
        "dosageInstruction": [{"text": "1x1", "patientInstruction": "till maten"}],
        "note": [{"authorString": "dr", "text": "\\*inte\\* \\_så\\_ \\# 1\\. \\[x\\] \\\\"}],
        "conclusion": "slutsats",
        "reaction": [{"description": "utslag"}],
        "extension": [{"url": "x", "valueMarkdown": "\\*md\\*"}],
    }
    got = {(f.path, f.form): f.text for f in extract_texts(res)}
    assert got == {
        ("MedicationRequest.text.div", "narrative"): "Genererad",
        ("MedicationRequest.contained[0].valueString", "string"): "inne",
        ("MedicationRequest.dosageInstruction[0].text", "string"): "1x1",
        ("MedicationRequest.dosageInstruction[0].patientInstruction", "string"): "till maten",
        ("MedicationRequest.note[0].text", "markdown"): "*inte* _så_ # 1. [x] \\",
        ("MedicationRequest.conclusion", "string"): "slutsats",
        ("MedicationRequest.reaction[0].description", "string"): "utslag",
        ("MedicationRequest.extension[0].valueMarkdown", "markdown"): "*md*",
    }


def test_markdown_unescape_only_touches_punctuation_escapes() -> None:
    assert unescape_markdown(r"a \* b \_ c \\ d \n e \ä") == "a * b _ c \\ d \\n e \\ä"
    assert unescape_markdown("inga escapes") == "inga escapes"


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "text/plain"])
def test_plain_attachment_utf8(content_type: str) -> None:
    field = _attachment("Förnekar bröstsmärta 😀".encode(), content_type)
    assert field.text == "Förnekar bröstsmärta 😀" and field.problem is None


def test_attachment_with_latin1_bytes_declared_utf8_reports_problem() -> None:
    field = _attachment("Förnekar bröstsmärta".encode("latin-1"), "text/plain;charset=utf-8")
    assert field.problem == "attachment bytes are not valid utf-8"
    assert field.problem_kind == "encoding-damaged"
    assert "\ufffd" in field.text and "rnekar" in field.text


def test_attachment_declared_charset_is_used() -> None:
    field = _attachment("Förnekar".encode("cp1252"), "text/plain; charset=windows-1252")
    assert field.text == "Förnekar" and field.problem is None
    field = _attachment(b"x", "text/plain; charset=no-such-charset")
    assert field.problem_kind == "encoding-damaged" and "unknown charset" in (field.problem or "")


def test_html_attachment_skips_head_and_keeps_boundaries() -> None:
    body = ("<!DOCTYPE html><html><head><title>Rubrik</title><style>p{}</style></head><body>"
            "<p>Inga<br>fynd</p><p>Ej allergi mot &lt;penicillin&gt;</p><script>ej()</script></body></html>")
    field = _attachment(body.encode(), "text/html;charset=utf-8")
    assert field.text == "Inga\nfynd\nEj allergi mot <penicillin>"


def test_xhtml_attachment() -> None:
    body = (f'<?xml version="1.0" encoding="UTF-8"?><html {XHTML}><head><title>T</title></head>'
            "<body><p>Inga<br/>fynd</p><!-- ej --><p>Åter</p></body></html>")
    field = _attachment(body.encode(), "application/xhtml+xml;charset=utf-8")
    assert field.text == "Inga\nfynd\nÅter"


def test_unreadable_and_empty_attachments_say_why() -> None:
    pdf = _attachment(b"%PDF-1.4", "application/pdf")
    assert pdf.text == "" and pdf.problem_kind == "field-changed" and "application/pdf" in (pdf.problem or "")
    res: dict[str, Any] = {"resourceType": "DocumentReference", "status": "current",
                           "content": [{"attachment": {"contentType": "text/plain", "url": "Binary/1"}}]}
    (field,) = extract_texts(res)
    assert field.problem_kind == "field-dropped" and "Binary/1" in (field.problem or "")
    res["content"][0]["attachment"] = {"contentType": "text/plain", "data": "!!not base64!!"}
    (field,) = extract_texts(res)
    assert field.problem_kind == "encoding-damaged"


# -- RTF ----------------------------------------------------------------------------------------------------
def test_rtf_reader_basics() -> None:
    doc = (r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Calibri;}}{\colortbl;\red0\green0\blue0;}"
           r"{\stylesheet{\s0 Normal;}}{\info{\author Doktor}}{\*\generator x;}"
           r"\f0 Rad ett\par Rad\tab tv\'e5\line \u8805?5 \uc2\u246xx k \uc1{\b inte} {\field{\*\fldinst HYPERLINK}"
           r"{\fldrslt Ej}} allergi \{x\} \\ \~ }")
    result = read_rtf(doc)
    assert result.problem is None
    assert result.text == "Rad ett\nRad\ttvå\n≥5 ö k inte Ej allergi {x} \\ \u00a0 "


def test_rtf_reader_surrogate_pairs_and_codepages() -> None:
    assert read_rtf(r"{\rtf1 \u-10179?\u-8704? ok}").text == "😀 ok"
    assert read_rtf(r"{\rtf1\ansi\ansicpg1251 \'c4\'e0}").text == "Да"
    assert read_rtf(r"{\rtf1\mac \'9a}").text == "ö"


@pytest.mark.parametrize("doc", [
    r"{\rtf1 Inga fynd.} Ej allergi.}",
    r"{\rtf1 Inga fynd.}} Ej allergi.",
    r"{\rtf1 Inga fynd.}{\b Ej} allergi.",
])
def test_rtf_unmatched_brace_is_reported_and_nothing_is_dropped(doc: str) -> None:
    result = read_rtf(doc)
    assert "Ej allergi." in result.text.replace("{", "")
    assert result.problem is not None
    assert result.problem_offset is not None and result.text[:result.problem_offset].strip() == "Inga fynd."


def test_rtf_cut_off_is_reported() -> None:
    result = read_rtf(r"{\rtf1 Inga {\b fynd")
    assert result.text == "Inga fynd" and result.problem and "cut off" in result.problem


def test_rtf_attachment_problem_is_truncated() -> None:
    field = _attachment(rb"{\rtf1\ansi Inga fynd.} Ej allergi.}", "text/rtf;charset=utf-8")
    assert field.problem_kind == "truncated" and "Ej allergi." in field.text


@pytest.mark.parametrize("text", ["a\\b{c}d", "Å\u00e4 😀 \t tab", "rad\r\nrad\rrad\nrad", " \\par \\u228? ", "}{"])
def test_rtf_write_read_round_trip(text: str) -> None:
    result = read_rtf(write_rtf(text))
    assert result.problem is None
    assert result.text == text.replace("\r\n", "\n").replace("\r", "\n")


def test_wrapped_base64_and_malformed_xhtml_attachment() -> None:
    body = "Ingen feber. " * 20
    res: dict[str, Any] = {"resourceType": "DocumentReference", "status": "current", "content": [{"attachment": {
        "contentType": "text/plain", "data": base64.encodebytes(body.encode()).decode()}}]}
    assert "\n" in res["content"][0]["attachment"]["data"]
    (field,) = extract_texts(res)
    assert field.text == body and field.problem is None
    field = _attachment(f"<html {XHTML}><body><p>Inga fynd</body></html>".encode(), "application/xhtml+xml")
    assert field.text.strip() == "Inga fynd" and field.problem_kind == "field-changed"
    assert "not well-formed XHTML" in (field.problem or "")


def test_generic_xml_attachment_separates_elements() -> None:
    field = _attachment("<doc><given>Tolvan</given><family>Tolvansson</family><b>ej</b>rökare</doc>".encode(),
                        "application/xml")
    assert field.text == "Tolvan\nTolvansson\nejrökare"
