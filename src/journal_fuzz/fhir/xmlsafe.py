"""Safe XML and HTML parsing: one parser configuration for narratives, XHTML attachments and FHIR XML.

Everything a system under test returns is untrusted. A DOCTYPE is the door to entity expansion ("billion
laughs"), to external entities that read local files and to network fetches, and FHIR XML never needs one, so a
document that has one is refused before any entity could be expanded; the parser is configured to expand and fetch
nothing even if that check were bypassed.
"""

from __future__ import annotations

import codecs
import re

import lxml.html
from lxml import etree

from journal_fuzz.fhir.errors import FhirError, HostileXMLError

__all__ = ["MAX_XML_BYTES", "parse_html", "parse_xml", "safe_parser", "xml_bytes"]

MAX_XML_BYTES = 64 * 1024 * 1024
"""Documents larger than this are refused: no note needs it, and it bounds memory."""

_DOCTYPE = re.compile(r"<!\s*DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"<!\s*ENTITY", re.IGNORECASE)
_XML_DECL = re.compile(r"^(\s*<\?xml\b[^>]*?)\s+encoding\s*=\s*([\"'])[^\"']*\2", re.DOTALL)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_WIDE = ((b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00", "utf-16-le"),
         (b"\x00<", "utf-16-be"))
_ENTITY_MESSAGE = ("hostile XML rejected: a DOCTYPE with entity declarations (possible entity expansion or "
                   "external entity)")
_DOCTYPE_MESSAGE = "hostile XML rejected: a DOCTYPE declaration (FHIR XML and XHTML narrative never need a DTD)"


def safe_parser() -> etree.XMLParser:
    """A parser that expands no entity, loads no DTD, reads no file and opens no connection."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def _scan_text(data: bytes) -> str:
    """The document as text good enough to look for declarations, whatever ASCII-compatible or wide encoding."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, "replace")
    for lead, codec in _WIDE:
        if data.startswith(lead):
            return data.decode(codec, "replace")
    return data.decode("latin-1")


def _refuse_declarations(text: str) -> None:
    if _ENTITY.search(text):
        raise HostileXMLError(_ENTITY_MESSAGE)
    if _DOCTYPE.search(text):
        raise HostileXMLError(_DOCTYPE_MESSAGE)


def xml_bytes(data: bytes | str) -> bytes:
    """``data`` as bytes lxml can parse: text is encoded as UTF-8 and its declaration made to say so."""
    if isinstance(data, bytes):
        return data
    if not isinstance(data, str):
        raise FhirError(f"XML must be bytes or str, not {type(data).__name__}")
    text = data.removeprefix("\ufeff")
    text = _XML_DECL.sub(r'\1 encoding="utf-8"', text, count=1)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise FhirError(f"malformed XML: character U+{ord(text[err.start]):04X} cannot be encoded") from None


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse untrusted XML safely; refuse any DOCTYPE, entity declaration or oversized document."""
    raw = xml_bytes(data)
    if len(raw) > MAX_XML_BYTES:
        raise FhirError(f"XML document too large: {len(raw)} bytes (limit {MAX_XML_BYTES})")
    _refuse_declarations(_scan_text(raw))
    try:
        root = etree.fromstring(raw, parser=safe_parser())
    except etree.XMLSyntaxError as err:
        raise FhirError(f"malformed XML: {err}") from None
    if root is None:
        raise FhirError("malformed XML: the document is empty")
    info = root.getroottree().docinfo
    if info.internalDTD is not None or info.doctype:
        raise HostileXMLError(_DOCTYPE_MESSAGE)
    return root


def parse_html(text: str) -> etree._Element | None:
    """Parse an HTML body leniently (as browsers do) but refuse entity declarations; None for an empty one."""
    if len(text) > MAX_XML_BYTES:
        raise FhirError(f"HTML document too large: {len(text)} characters (limit {MAX_XML_BYTES})")
    if _ENTITY.search(text):
        raise HostileXMLError(_ENTITY_MESSAGE)
    if not text.strip():
        return None
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=False, remove_blank_text=False)
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except etree.ParserError:
        return None
