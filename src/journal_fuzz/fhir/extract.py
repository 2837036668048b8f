"""Resource → the texts it carries: narratives, annotations, strings and attachments, each with its path.

Path convention: the resource type of the top-level resource, then the JSON keys and list indices down to the
field, FHIRPath-like: ``Condition.note[1].text``, ``Composition.section[0].text.div``,
``DocumentReference.content[0].attachment``. A resource inside a Bundle (or ``contained``) is not renamed: its
fields follow ``entry[0].resource``, so the type appears once, at the start (``Bundle.entry[0].resource.section[1]
.text.div``). An attachment's path names the Attachment object, not its ``data``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from journal_fuzz.fhir.errors import FhirError
from journal_fuzz.fhir.render import split_content_type
from journal_fuzz.fhir.rtf import read_rtf
from journal_fuzz.fhir.xmlsafe import parse_html, parse_xml
from journal_fuzz.kinds import ENCODING_DAMAGED, FIELD_CHANGED, FIELD_DROPPED, TRUNCATED

__all__ = ["FORMS", "TextField", "extract_texts", "markup_text", "strip_texts", "unescape_markdown"]

FORMS = ("narrative", "string", "markdown", "attachment")

_BLOCK = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr html legend li main menu nav ol p pre section summary table "
    "tbody tfoot thead tr ul paragraph list item".split())
_CELL = frozenset({"td", "th"})
_SKIP = frozenset({"head", "script", "style", "title", "template"})
_INLINE = frozenset("a abbr b bdi bdo big cite code content data del dfn em font i img ins kbd mark q s samp small "
                    "span strong sub sup time tt u var wbr".split())
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# Fields that hold clinical text as a plain FHIR string, by the key of their parent list or object.
_STRING_KEYS: dict[str | None, frozenset[str]] = {
    None: frozenset({"valueString", "conclusion"}),
    "reaction": frozenset({"description"}),
    "dosageInstruction": frozenset({"text", "patientInstruction"}),
}
_MARKDOWN_KEYS = frozenset({"valueMarkdown"})
_ATTACHMENT_BYTES = ("data", "hash", "size", "url", "contentType")
_TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/html", "application/xhtml+xml", "application/xml",
                         "text/xml", "text/rtf", "application/rtf"})


@dataclass
class TextField:
    """One text-bearing field of a resource and the text a reader finds in it."""

    path: str
    text: str
    form: str
    """``narrative``, ``string``, ``markdown`` or ``attachment``."""
    content_type: str | None = None
    problem: str | None = None
    """What is wrong with the field as stored (bad charset, broken RTF, unreadable type), if anything."""
    problem_kind: str | None = None
    """The finding kind the problem amounts to (``encoding-damaged``, ``truncated``, ``field-changed`` ...)."""
    problem_offset: int | None = None
    """Where in ``text`` the problem starts, when it has a place."""


# ---------------------------------------------------------------------------------------------------------
class _Text:
    """Collects text; a block boundary becomes a line break (a cell boundary a tab) only where no whitespace is."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pending = ""

    def boundary(self, mark: str) -> None:
        if mark == "\n" or not self.pending:
            self.pending = mark

    def add(self, text: str | None) -> None:
        if not text:
            return
        if self.pending:
            if self.parts and not self.parts[-1][-1].isspace() and not text[0].isspace():
                self.parts.append(self.pending)
            self.pending = ""
        self.parts.append(text)

    def value(self) -> str:
        return "".join(self.parts)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def markup_text(root: etree._Element, *, unknown_is_block: bool = False) -> str:
    """The words of an (X)HTML or XML tree, with block and cell boundaries kept as whitespace.

    Comments and processing instructions carry no words; ``<head>``, ``<script>`` and ``<style>`` are skipped.
    """
    out = _Text()
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        el, closing = stack.pop()
        tag = el.tag
        if not isinstance(tag, str):
            if el is not root:
                out.add(el.tail)
            continue
        name = _local(tag)
        mark = "\t" if name in _CELL else "\n" if (
            name in _BLOCK or name == "br" or (unknown_is_block and name not in _INLINE)) else ""
        if closing:
            if mark:
                out.boundary(mark)
            if el is not root:
                out.add(el.tail)
            continue
        if name in _SKIP:
            if el is not root:
                out.add(el.tail)
            continue
        if mark:
            out.boundary(mark)
        out.add(el.text)
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))
    return out.value()


def unescape_markdown(text: str) -> str:
    r"""Undo backslash escapes of ASCII punctuation (``\*``, ``\_``, ``\#``, ``\\`` ...) a server may add."""
    return _MARKDOWN_ESCAPE.sub(r"\1", text) if "\\" in text else text


def _xhtml_text(data: str, what: str) -> tuple[str, str | None]:
    """The words of an XHTML document or fragment; malformed markup is recovered leniently and reported, hostile
    markup raises."""
    try:
        root = parse_xml(data)
    except FhirError as err:
        if type(err) is not FhirError:
            raise
        html_root = parse_html(data)
        text = markup_text(html_root) if html_root is not None else ""
        return text, f"{what} is not well-formed XHTML ({err})"
    return markup_text(root, unknown_is_block=_local(root.tag) not in ("html", "div")), None


def _narrative(path: str, div: str) -> TextField:
    text, problem = _xhtml_text(div, "the narrative")
    return TextField(path, text, "narrative", problem=problem, problem_kind=FIELD_CHANGED if problem else None)


def _attachment(path: str, att: dict[str, Any]) -> TextField:
    content_type = att.get("contentType")
    ct = content_type if isinstance(content_type, str) else ""
    media, charset = split_content_type(ct)
    data = att.get("data")
    if not isinstance(data, str):
        where = f" (only a url: {att['url']})" if isinstance(att.get("url"), str) else ""
        return TextField(path, "", "attachment", content_type, problem=f"the attachment has no inline data{where}",
                         problem_kind=FIELD_DROPPED)
    try:
        # Some servers wrap base64 at 76 columns: whitespace is not damage.
        raw = base64.b64decode("".join(data.split()).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return TextField(path, "", "attachment", content_type, problem="the attachment data is not valid base64",
                         problem_kind=ENCODING_DAMAGED)
    if media not in _TEXT_TYPES:
        return TextField(path, "", "attachment", content_type,
                         problem=f"cannot read text from an attachment of type {media or '(none)'}",
                         problem_kind=FIELD_CHANGED)
    problem: str | None = None
    kind: str | None = None
    name = charset or "utf-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        codec = "utf-8"
        problem, kind = f"the attachment declares an unknown charset {name!r}", ENCODING_DAMAGED
    try:
        body = raw.decode(codec)
    except UnicodeDecodeError:
        body = raw.decode(codec, "replace")
        problem, kind = f"attachment bytes are not valid {name}", ENCODING_DAMAGED
    offset: int | None = None
    if media in ("text/rtf", "application/rtf"):
        rtf = read_rtf(body)
        text = rtf.text
        if rtf.problem and problem is None:
            problem, kind, offset = rtf.problem, TRUNCATED, rtf.problem_offset
    elif media == "text/html":
        root = parse_html(body)
        text = markup_text(root) if root is not None else ""
    elif media in ("text/plain", "text/markdown"):
        text = body
    else:
        text, malformed = _xhtml_text(body, "the attachment")
        if malformed and problem is None:
            problem, kind = malformed, FIELD_CHANGED
    return TextField(path, text, "attachment", content_type, problem, kind, offset)


def _walk(obj: Any, path: str, parent: str | None) -> Iterator[TextField]:
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{path}[{i}]", parent)
        return
    if not isinstance(obj, dict):
        return
    if "contentType" in obj and ("data" in obj or "url" in obj):
        yield _attachment(path, obj)
        return
    strings = _STRING_KEYS[None] | _STRING_KEYS.get(parent, frozenset())
    for key, value in obj.items():
        sub = f"{path}.{key}"
        if key == "text" and isinstance(value, dict) and isinstance(value.get("div"), str):
            yield _narrative(f"{sub}.div", value["div"])
        elif key == "note" and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict) and isinstance(item.get("text"), str):
                    yield TextField(f"{sub}[{i}].text", unescape_markdown(item["text"]), "markdown")
                yield from _walk({k: v for k, v in item.items() if k != "text"} if isinstance(item, dict) else item,
                                 f"{sub}[{i}]", key)
        elif key in strings and isinstance(value, str):
            yield TextField(sub, value, "string")
        elif key in _MARKDOWN_KEYS and isinstance(value, str):
            yield TextField(sub, unescape_markdown(value), "markdown")
        elif isinstance(value, dict | list):
            yield from _walk(value, sub, key)


def _root_type(resource: Any) -> str:
    if not isinstance(resource, dict):
        raise FhirError(f"a FHIR resource must be a JSON object, not {type(resource).__name__}")
    rt = resource.get("resourceType")
    if not isinstance(rt, str) or not rt:
        raise FhirError("the resource has no resourceType")
    return rt


def extract_texts(resource: dict[str, Any]) -> list[TextField]:
    """Every text-bearing field of ``resource`` (Bundle entries and contained resources included), in order.

    Section titles and ``code.text`` labels are not notes and are left to the structural comparison.
    """
    return list(_walk(resource, _root_type(resource), None))


# ---------------------------------------------------------------------------------------------------------
def _strip(obj: Any, parent: str | None) -> Any:
    if isinstance(obj, list):
        return [_strip(item, parent) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if "contentType" in obj and ("data" in obj or "url" in obj):
        return {k: _strip(v, k) for k, v in obj.items() if k not in _ATTACHMENT_BYTES}
    strings = _STRING_KEYS[None] | _STRING_KEYS.get(parent, frozenset())
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "text" and isinstance(value, dict) and isinstance(value.get("div"), str):
            continue
        if (key in strings or key in _MARKDOWN_KEYS) and isinstance(value, str):
            continue
        if key == "note" and isinstance(value, list):
            value = [{k: v for k, v in item.items() if k != "text"} if isinstance(item, dict) else item
                     for item in value]
        out[key] = _strip(value, key)
    return out


def strip_texts(resource: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``resource`` without the fields :func:`extract_texts` reads: what is left is structure.

    Containers emptied by the stripping stay (as ``{}``), so both sides keep the same shape and a structural
    difference is reported where it is, not where a text happened to leave a hole.
    """
    _root_type(resource)
    stripped = _strip(copy.deepcopy(resource), None)
    assert isinstance(stripped, dict)
    return stripped
