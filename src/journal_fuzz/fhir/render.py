"""Render a note as XHTML narrative, HTML, XHTML, RTF or plain text without losing a character of it.

The one rule: markup may only add boundaries where the note already has whitespace. The plain styles keep that
whitespace (as text between blocks), so reading the text back gives the note exactly; the ``-compact`` styles drop
it, so the block boundary alone separates the words (a reader must take it as whitespace). ``<b>``/``<i>``/``<span>``
wrap facts without adding or removing anything.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence

from journal_fuzz.fhir.errors import FhirError
from journal_fuzz.fhir.rtf import write_rtf
from journal_fuzz.notes import Note

__all__ = ["NARRATIVE_STYLES", "XHTML_NS", "check_chars", "check_text", "emphasis", "render_body", "render_fragment",
           "render_narrative", "split_content_type"]

XHTML_NS = "http://www.w3.org/1999/xhtml"
NARRATIVE_STYLES = ("p", "br", "list", "table", "inline", "p-compact", "br-compact", "list-compact", "table-compact",
                    "inline-compact")
"""``-compact``: no whitespace between block elements and ``<br/>`` touching the words (``<p>Cor: ua</p><p>Pulm:
ua</p>``), as most renderers write; a reader that strips tags without adding a space merges those words."""

# A run of whitespace holding at least one line break: the seam between two blocks (kept as text).
_SEAM = re.compile(r"[^\S\r\n]*(?:(?:\r\n|\r|\n)[^\S\r\n]*)+")
_CELL_SEAM = re.compile(r"[ \t]+")
_TAB_SEAM = re.compile(r" *\t[ \t]*")
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EMPHASIS = {"negation": "b", "hedge": "i"}
_TITLE = {"sv": "Journalanteckning", "en": "Clinical note"}


def check_chars(text: str, what: str = "note text") -> None:
    """Refuse text that FHIR strings and XML 1.0 cannot carry."""
    m = _FORBIDDEN.search(text)
    if m:
        raise FhirError(f"{what} contains U+{ord(m.group()):04X} at offset {m.start()}: FHIR strings and XML 1.0 "
                        "cannot carry C0 control characters other than TAB, LF and CR (nor lone surrogates)")


def check_text(text: str, what: str = "note text") -> None:
    """Refuse text that FHIR strings and XML 1.0 cannot carry, or that carries no words at all."""
    check_chars(text, what)
    if not text.strip():
        raise FhirError(f"{what} is empty or only whitespace: FHIR strings and narratives may not be empty")


def emphasis(note: Note, spans: bool = False) -> list[tuple[int, int, str]]:
    """Non-overlapping fact spans to mark up: ``b`` for negation cues, ``i`` for hedges, ``span`` for the rest."""
    out: list[tuple[int, int, str]] = []
    for fact in sorted(note.facts, key=lambda f: (f.start, -f.end)):
        if note.text[fact.start:fact.end] != fact.text or fact.start < 0:
            raise FhirError(f"fact {fact.kind} {fact.text!r} does not match the note text at "
                            f"{fact.start}:{fact.end}")
        tag = _EMPHASIS.get(fact.kind, "span" if spans else "")
        if not tag or fact.end <= fact.start or (out and fact.start < out[-1][1]):
            continue
        out.append((fact.start, fact.end, tag))
    return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _inline(text: str, a: int, b: int, marks: Sequence[tuple[int, int, str]]) -> str:
    """``text[a:b]`` escaped, with the marks that lie wholly inside it wrapped in their tags."""
    out: list[str] = []
    pos = a
    for start, end, tag in marks:
        if start < pos or start < a or end > b:
            continue
        out.append(_escape(text[pos:start]))
        cls = ' class="fact"' if tag == "span" else ""
        out.append(f"<{tag}{cls}>{_escape(text[start:end])}</{tag}>")
        pos = end
    out.append(_escape(text[pos:b]))
    return "".join(out)


def _lines(text: str) -> tuple[str, list[tuple[int, int]], list[str], str]:
    """Leading whitespace, the (start, end) of each line, the seams between lines, trailing whitespace."""
    lead = len(text) - len(text.lstrip())
    trail = len(text.rstrip())
    lines: list[tuple[int, int]] = []
    seams: list[str] = []
    pos = lead
    for m in _SEAM.finditer(text, lead, trail):
        lines.append((pos, m.start()))
        seams.append(m.group())
        pos = m.end()
    lines.append((pos, trail))
    return text[:lead], lines, seams, text[trail:]


def render_fragment(note: Note, style: str = "p", html: bool = False) -> str:
    """The note as XHTML content for a ``<div>`` or ``<body>`` in one of :data:`NARRATIVE_STYLES` (``html``:
    line breaks written as HTML's ``<br>``)."""
    if style not in NARRATIVE_STYLES:
        raise FhirError(f"unknown narrative style {style!r}; use one of {', '.join(NARRATIVE_STYLES)}")
    compact = style.endswith("-compact")
    style = style.removesuffix("-compact")
    text = note.text
    marks = emphasis(note, spans=style == "inline")
    lead, lines, seams, trail = _lines(text)
    seams_x = ["" if compact else _escape(s) for s in seams] + [""]
    br = "<br>" if html else "<br/>"

    def line(k: int) -> str:
        a, b = lines[k]
        return _inline(text, a, b, marks)

    body: list[str] = []
    if style == "p":
        body = [f"<p>{line(k)}</p>{seams_x[k]}" for k in range(len(lines))]
    elif style == "br":
        body = ["<p>", *(line(k) + (br if k + 1 < len(lines) else "") + seams_x[k]
                         for k in range(len(lines))), "</p>"]
    elif style == "inline":
        body = [line(k) + (br if k + 1 < len(lines) else "") + seams_x[k] for k in range(len(lines))]
    elif style == "list":
        body = ["<ul>", *(f"<li>{line(k)}</li>{seams_x[k]}" for k in range(len(lines))), "</ul>"]
    else:
        rows = []
        for k, (a, b) in enumerate(lines):
            # A line with tabs is a table row already (one cell per column); otherwise the first blank splits it.
            seams_in = list(_TAB_SEAM.finditer(text, a, b)) if "\t" in text[a:b] else \
                [m for m in [_CELL_SEAM.search(text, a, b)] if m is not None]
            cells, pos = [], a
            for cut in seams_in:
                cells.append(f"<td>{_inline(text, pos, cut.start(), marks)}</td>"
                             + ("" if compact else _escape(cut.group())))
                pos = cut.end()
            cells.append(f"<td>{_inline(text, pos, b, marks)}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>{seams_x[k]}")
        body = ["<table>", *rows, "</table>"]
    return _escape(lead) + "".join(body) + _escape(trail)


def render_narrative(note: Note, style: str = "p") -> str:
    """A FHIR narrative ``div`` holding the note."""
    check_text(note.text)
    return f'<div xmlns="{XHTML_NS}">{render_fragment(note, style)}</div>'


def split_content_type(content_type: str) -> tuple[str, str | None]:
    """The media type (lower case) and the declared charset, if any."""
    parts = content_type.split(";")
    media = parts[0].strip().lower()
    charset = None
    for part in parts[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media, charset


def _codec(charset: str) -> str:
    try:
        return codecs.lookup(charset).name
    except LookupError:
        raise FhirError(f"unknown charset {charset!r}") from None


def render_body(note: Note, content_type: str, style: str = "p") -> bytes:
    """The bytes of an attachment holding the note in ``content_type`` (its charset honoured)."""
    check_text(note.text)
    media, charset = split_content_type(content_type)
    codec = _codec(charset or "utf-8")
    title = _TITLE.get(note.language, _TITLE["sv"])
    lang = _escape(note.language).replace('"', "&quot;")
    if media == "text/plain" or media == "text/markdown":
        try:
            return note.text.encode(codec)
        except UnicodeEncodeError as err:
            raise FhirError(f"the note cannot be written in charset {charset}: "
                            f"U+{ord(note.text[err.start]):04X} at offset {err.start}") from None
    if media == "text/rtf" or media == "application/rtf":
        return write_rtf(note.text, [(a, b, t) for a, b, t in emphasis(note) if t in ("b", "i")]).encode(codec)
    if media == "text/html":
        doc = (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="{charset or "utf-8"}">'
               f"<title>{title}</title></head><body>{render_fragment(note, style, html=True)}</body></html>")
        return doc.encode(codec, "xmlcharrefreplace")
    if media in ("application/xhtml+xml", "application/xml", "text/xml"):
        doc = (f'<?xml version="1.0" encoding="{charset or "utf-8"}"?>\n<html xmlns="{XHTML_NS}" lang="{lang}" '
               f'xml:lang="{lang}"><head><title>{title}</title></head><body>{render_fragment(note, style)}'
               "</body></html>")
        return doc.encode(codec, "xmlcharrefreplace")
    raise FhirError(f"cannot render a note as {media}; use text/plain, text/html, application/xhtml+xml or text/rtf")
