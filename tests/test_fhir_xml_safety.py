"""Hostile XML and malformed payloads: refused quickly, with one clear line, and nothing read or fetched."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from fhir_helpers import sv
from journal_fuzz.fhir import (
    FhirError,
    HostileXMLError,
    build_resource,
    compare_resources,
    extract_texts,
    from_wire,
    parse_xml,
    to_wire,
    validate,
)
from journal_fuzz.fhir.xmlsafe import MAX_XML_BYTES, safe_parser

FHIR = 'xmlns="http://hl7.org/fhir"'
XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'
PASSWD = Path("/etc/passwd")


def _laughs(levels: int = 10) -> str:
    decls = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(decls)}]>'


BILLION_LAUGHS = _laughs() + f'<Observation {FHIR}><status value="final"/><valueString value="&lol9;"/></Observation>'
XXE = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
       f'<Observation {FHIR}><status value="final"/><valueString value="&e;"/></Observation>')
PARAMETER_ENTITY = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
                    f'<Observation {FHIR}><status value="final"/></Observation>')
EXTERNAL_DTD = f'<!DOCTYPE Observation SYSTEM "http://127.0.0.1:9/evil.dtd"><Observation {FHIR}/>'


def _passwd_lines() -> list[str]:
    if not PASSWD.exists():
        return []
    return [line for line in PASSWD.read_text(errors="replace").splitlines() if len(line) > 8]


def _assert_no_passwd(*outputs: Any) -> None:
    text = "\n".join(str(o) for o in outputs)
    for line in _passwd_lines():
        assert line not in text
    assert "root:x:0" not in text and "/bin/" not in text


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, BILLION_LAUGHS.encode("utf-8"),
                                     BILLION_LAUGHS.encode("utf-16"), BILLION_LAUGHS.encode("utf-32")])
def test_billion_laughs_is_refused_quickly(payload: str | bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(HostileXMLError, match="hostile XML rejected: a DOCTYPE with entity declarations"):
        from_wire(payload, "xml")
    with pytest.raises(HostileXMLError):
        parse_xml(payload)
    assert time.perf_counter() - start < 0.5


def _bare_parse(payload: str) -> bytes:
    """Parse with the safe parser alone (no declaration check): what comes out, or b"" when libxml2 refuses."""
    try:
        root = etree.fromstring(payload.encode(), parser=safe_parser())
    except etree.XMLSyntaxError:
        return b""
    return etree.tostring(root) + "".join(str(t) for t in root.itertext()).encode()


def test_safe_parser_itself_never_expands_even_if_the_check_were_bypassed() -> None:
    # Either the reference stays a reference or libxml2 refuses the amplification: never an expansion.
    start = time.perf_counter()
    for payload in (BILLION_LAUGHS, _laughs() + f"<div {XHTML}>&lol9;</div>"):
        assert len(_bare_parse(payload)) < 400
    for payload in (XXE, f'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><div {XHTML}>&e;</div>',
                    PARAMETER_ENTITY):
        _assert_no_passwd(_bare_parse(payload))
    assert time.perf_counter() - start < 0.5


@pytest.mark.skipif(not PASSWD.exists(), reason="needs a local file to try to leak")
def test_the_leak_check_can_see_a_leak() -> None:
    # A control: a careless parser does read the file, and the check above notices.
    unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True)
    xxe = f'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><div {XHTML}>&e;</div>'
    leaked = "".join(str(t) for t in etree.fromstring(xxe.encode(), parser=unsafe).itertext())
    with pytest.raises(AssertionError):
        _assert_no_passwd(leaked)


@pytest.mark.parametrize("payload", [XXE, PARAMETER_ENTITY])
def test_external_and_parameter_entities_are_refused_and_nothing_is_read(payload: str) -> None:
    outputs: list[Any] = []
    for call in (lambda: from_wire(payload, "xml"), lambda: parse_xml(payload),
                 lambda: from_wire(payload, "xml", "R5")):
        with pytest.raises(HostileXMLError) as info:
            call()
        outputs.append(info.value)
        assert str(info.value).count("\n") == 0
    _assert_no_passwd(*outputs)


def test_any_doctype_is_refused() -> None:
    with pytest.raises(HostileXMLError, match="DOCTYPE"):
        from_wire(EXTERNAL_DTD, "xml")
    with pytest.raises(HostileXMLError):
        parse_xml(f"<!DOCTYPE div><div {XHTML}>x</div>")


def _composition_with_div(div: str) -> dict[str, Any]:
    res = build_resource("Composition", [sv("Patienten har inte feber.")]).resource
    res["section"][0]["text"]["div"] = div
    return res


@pytest.mark.parametrize("div", [
    f'<!DOCTYPE div [<!ENTITY e "inte">]><div {XHTML}>Patienten har &e; feber.</div>',
    f'<!DOCTYPE div [<!ENTITY e SYSTEM "file:///etc/passwd">]><div {XHTML}>&e;</div>',
    _laughs() + f"<div {XHTML}>&lol9;</div>",
])
def test_doctype_in_a_narrative_div_is_refused_everywhere(div: str) -> None:
    hostile = _composition_with_div(div)
    clean = _composition_with_div(f"<div {XHTML}>Patienten har inte feber.</div>")
    outputs: list[Any] = []
    start = time.perf_counter()
    for call in (lambda: extract_texts(hostile), lambda: validate(hostile), lambda: to_wire(hostile, "xml"),
                 lambda: compare_resources(clean, hostile), lambda: compare_resources(hostile, clean)):
        with pytest.raises(HostileXMLError) as info:
            call()
        outputs.append(info.value)
    assert time.perf_counter() - start < 1.0
    _assert_no_passwd(*outputs)


def test_hostile_xhtml_and_html_attachments_are_refused() -> None:
    res = build_resource("DocumentReference", [sv("Ingen feber.")],
                         content_type="application/xhtml+xml;charset=utf-8").resource
    body = XXE.replace("Observation", "html").replace(FHIR, XHTML).encode()
    res["content"][0]["attachment"]["data"] = base64.b64encode(body).decode()
    with pytest.raises(HostileXMLError):
        extract_texts(res)
    html = b'<!DOCTYPE html [<!ENTITY e SYSTEM "file:///etc/passwd">]><html><body>&e;</body></html>'
    res["content"][0]["attachment"].update(contentType="text/html;charset=utf-8",
                                           data=base64.b64encode(html).decode())
    with pytest.raises(HostileXMLError) as info:
        extract_texts(res)
    _assert_no_passwd(info.value)


def test_a_plain_html_doctype_is_fine_in_html_attachments() -> None:
    res = build_resource("DocumentReference", [sv("Ingen feber.")], content_type="text/html;charset=utf-8").resource
    assert base64.b64decode(res["content"][0]["attachment"]["data"]).startswith(b"<!DOCTYPE html>")
    assert extract_texts(res)[0].text == "Ingen feber."


def test_oversized_xml_is_refused_before_parsing() -> None:
    big = bytes(MAX_XML_BYTES + 1)  # content never looked at: the size alone refuses it
    with pytest.raises(FhirError, match="too large"):
        parse_xml(big)


@pytest.mark.parametrize("payload", ["<Observation", f"<Observation {FHIR}><status value='final'></Observation>",
                                     "", b"\xff\xfe<", "not xml at all"])
def test_malformed_xml(payload: str | bytes) -> None:
    with pytest.raises(FhirError, match="malformed XML") as info:
        from_wire(payload, "xml")
    assert not isinstance(info.value, HostileXMLError)
    assert "\n" not in str(info.value)


def test_xml_that_is_not_fhir_or_not_valid() -> None:
    with pytest.raises(FhirError, match="namespace"):
        from_wire("<Observation/>", "xml")
    with pytest.raises(FhirError, match="unknown resourceType 'Nonsense'"):
        from_wire(f"<Nonsense {FHIR}/>", "xml")
    with pytest.raises(FhirError, match="unknown resourceType 'HumanName'"):
        from_wire(f"<HumanName {FHIR}/>", "xml")
    with pytest.raises(FhirError, match="status"):
        from_wire(f'<Observation {FHIR}><code><text value="x"/></code></Observation>', "xml")


@pytest.mark.parametrize(("payload", "message"), [
    ("{", "malformed JSON"),
    (b'{"resourceType": "Observation", }', "malformed JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    ("[]", "must be an object, not an array"),
    ('[{"resourceType": "Observation"}]', "must be an object, not an array"),
    ('"Observation"', "must be an object, not a string"),
    ("null", "must be an object, not null"),
    ('{"status": "final"}', "no resourceType"),
    ('{"resourceType": "Nonsense"}', "unknown resourceType 'Nonsense'"),
    ('{"resourceType": 5}', "no resourceType"),
    ("[" * 100000 + "]" * 100000, "malformed JSON"),
])
def test_malformed_json(payload: str | bytes, message: str) -> None:
    with pytest.raises(FhirError, match=message):
        from_wire(payload, "json")


def test_bad_wire_and_version_arguments() -> None:
    res = build_resource("Observation", [sv("Ingen feber.")]).resource
    with pytest.raises(FhirError, match="unknown wire form"):
        to_wire(res, "yaml")
    with pytest.raises(FhirError, match="unknown FHIR version"):
        from_wire(b"{}", "json", "R3")
    with pytest.raises(FhirError, match="not valid FHIR"):
        to_wire({"resourceType": "Observation"}, "xml")


def test_xml_comments_and_char_refs_in_fhir_xml_are_handled() -> None:
    payload = (f'<Observation {FHIR}><!-- server note: ej --><status value="final"/><code><text value="x"/></code>'
               '<valueString value="Inga&#10;fynd &amp; ingen &lt;feber&gt;"/></Observation>')
    assert from_wire(payload, "xml") == {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                                         "valueString": "Inga\nfynd & ingen <feber>"}
