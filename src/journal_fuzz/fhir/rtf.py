"""RTF, both ways: write a note so every character survives, and read RTF back to text without losing any.

The writer escapes ``\\ { }``, writes non-ASCII as ``\\uN?`` (signed 16-bit, surrogate pairs for characters
beyond the BMP) and line breaks as ``\\par``. The reader is small on purpose but does what common readers get
wrong: it keeps reading after an unmatched ``}`` (reporting it, since a reader that stops there loses the rest),
keeps ``{\\fldrslt ...}`` text and skips only true destinations.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["RtfText", "read_rtf", "write_rtf"]

HEADER = ("{\\rtf1\\ansi\\ansicpg1252\\deff0\\uc1{\\fonttbl{\\f0\\fswiss Calibri;}}"
          "{\\*\\generator journal_fuzz;}\\f0\\fs22 ")

_CONTROL = re.compile(r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?")
_HEX = re.compile(r"[0-9a-fA-F]{2}")
_LINE = re.compile(r"\r\n|\r|\n")
# Destinations whose content is not document text.
_DESTINATIONS = frozenset(
    "fonttbl colortbl stylesheet info pict object fldinst themedata colorschememapping datastore latentstyles "
    "listtable listoverridetable rsidtbl generator xmlnstbl mmathPr filetbl revtbl pgdsctbl header footer "
    "headerl headerr headerf footerl footerr footerf author operator title subject keywords comment doccomm "
    "company creatim revtim printim buptim bkmkstart bkmkend nonshppict blipuid".split())
_SYMBOLS = {
    "par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n", "tab": "\t", "cell": "\t",
    "emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022", "lquote": "\u2018", "rquote": "\u2019",
    "ldblquote": "\u201c", "rdblquote": "\u201d", "emspace": "\u2003", "enspace": "\u2002", "qmspace": "\u2005",
    "zwj": "\u200d", "zwnj": "\u200c", "ltrmark": "\u200e", "rtlmark": "\u200f",
}
_CHARSETS = {"ansi": "cp1252", "mac": "mac_roman", "pc": "cp437", "pca": "cp850"}
_CONTROL_SYMBOLS = {"~": "\u00a0", "-": "\u00ad", "_": "\u2011", "\n": "\n", "\r": "\n"}


@dataclass
class RtfText:
    """What an RTF document says, and what is wrong with its structure."""

    text: str
    problem: str | None = None
    problem_offset: int | None = None
    """Offset in ``text`` where a reader that honours the broken structure would stop."""


# ---------------------------------------------------------------------------------------------------------
def _escape_char(ch: str) -> str:
    if ch in "\\{}":
        return "\\" + ch
    if ch == "\t":
        return "\\tab "
    if ord(ch) < 0x80:
        return ch
    units = ch.encode("utf-16-be", "surrogatepass")
    out = []
    for k in range(0, len(units), 2):
        n = int.from_bytes(units[k:k + 2], "big")
        out.append(f"\\u{n - 0x10000 if n >= 0x8000 else n}?")
    return "".join(out)


def _escape(text: str) -> str:
    parts: list[str] = []
    last = 0
    for m in _LINE.finditer(text):
        parts.extend(_escape_char(c) for c in text[last:m.start()])
        parts.append("\\par\r\n")
        last = m.end()
    parts.extend(_escape_char(c) for c in text[last:])
    return "".join(parts)


def write_rtf(text: str, emphasis: Iterable[tuple[int, int, str]] = ()) -> str:
    """``text`` as an RTF document; ``emphasis`` spans ``(start, end, "b" | "i")`` become ``{\\b ...}`` groups."""
    out = [HEADER]
    pos = 0
    for start, end, mark in sorted(emphasis):
        if start < pos or end <= start:
            continue
        out.append(_escape(text[pos:start]))
        out.append(f"{{\\{mark} {_escape(text[start:end])}}}")
        pos = end
    out.append(_escape(text[pos:]))
    out.append("}")
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, data: str) -> None:
        self.data = data
        self.out: list[str] = []
        self.size = 0
        self.pending = bytearray()
        self.codepage = "cp1252"
        self.skip_fallback = 0
        self.problem: str | None = None
        self.problem_offset: int | None = None

    def emit(self, text: str, skipping: bool) -> None:
        if self.skip_fallback:
            self.skip_fallback -= 1
            return
        self.flush()
        if not skipping:
            self.out.append(text)
            self.size += len(text)

    def emit_byte(self, byte: int, skipping: bool) -> None:
        if self.skip_fallback:
            self.skip_fallback -= 1
            return
        if not skipping:
            self.pending.append(byte)

    def flush(self) -> None:
        if self.pending:
            text = bytes(self.pending).decode(self.codepage, "replace")
            self.pending.clear()
            self.out.append(text)
            self.size += len(text)

    def report(self, problem: str) -> None:
        if self.problem is None:
            self.flush()
            self.problem = problem
            self.problem_offset = self.size

    def run(self) -> RtfText:
        data, n = self.data, len(self.data)
        # Each group's state: (skipping, unicode fallback length).
        stack: list[tuple[bool, int]] = []
        skipping, uc = False, 1
        closed_at: int | None = None
        i = 0
        while i < n:
            c = data[i]
            if c == "{":
                if closed_at is not None and not stack:
                    self.report(f"the RTF document closes at character {closed_at} but more follows: a reader "
                                "stops there and loses the rest")
                stack.append((skipping, uc))
                self.skip_fallback = 0
                i += 1
            elif c == "}":
                self.skip_fallback = 0
                if stack:
                    skipping, uc = stack.pop()
                    if not stack and closed_at is None:
                        closed_at = i
                else:
                    self.report(f"unmatched '}}' in the RTF at character {i}: a reader that stops there loses "
                                "everything after it")
                i += 1
            elif c == "\\":
                nxt = data[i + 1] if i + 1 < n else ""
                if nxt.isascii() and nxt.isalpha():
                    m = _CONTROL.match(data, i)
                    assert m is not None
                    i = m.end()
                    word, param = m.group(1), m.group(2)
                    if self.skip_fallback and word != "u":
                        self.skip_fallback -= 1
                        continue
                    skipping, uc = self.control(word, param, skipping, uc)
                    if word == "bin" and param and param.lstrip("-").isdigit():
                        i += max(0, int(param))
                elif nxt == "'":
                    hexa = data[i + 2:i + 4]
                    if _HEX.fullmatch(hexa):
                        self.emit_byte(int(hexa, 16), skipping)
                        i += 4
                    else:
                        i += 2
                elif nxt in "\\{}":
                    self.emit(nxt, skipping)
                    i += 2
                elif nxt == "*":
                    skipping = True
                    i += 2
                elif nxt in _CONTROL_SYMBOLS:
                    self.emit(_CONTROL_SYMBOLS[nxt], skipping)
                    i += 2
                else:
                    i += 2
            elif c in "\r\n":
                i += 1
            else:
                if closed_at is not None and not stack and not c.isspace() and c != "\x00":
                    self.report(f"the RTF document closes at character {closed_at} but text follows: a reader "
                                "stops there and loses the rest")
                self.emit(c, skipping)
                i += 1
        self.flush()
        if stack:
            self.report("the RTF ends inside an open group: the document was cut off")
        text = "".join(self.out)
        # \uN pairs for characters beyond the BMP arrive as two surrogates: join them.
        if any("\ud800" <= ch <= "\udfff" for ch in text):
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return RtfText(text, self.problem, self.problem_offset)

    def control(self, word: str, param: str | None, skipping: bool, uc: int) -> tuple[bool, int]:
        if word in _DESTINATIONS:
            return True, uc
        if word == "u" and param is not None:
            value = int(param)
            value = value + 0x10000 if value < 0 else value
            if self.skip_fallback:
                self.skip_fallback = 0
            self.emit(chr(value & 0xFFFF), skipping)
            self.skip_fallback = uc
        elif word == "uc" and param is not None:
            uc = max(0, int(param))
        elif word == "ansicpg" and param is not None:
            self.flush()
            self.codepage = _codepage(f"cp{int(param)}")
        elif word in _CHARSETS:
            self.flush()
            self.codepage = _CHARSETS[word]
        elif word in _SYMBOLS:
            self.emit(_SYMBOLS[word], skipping)
        return skipping, uc


def _codepage(name: str) -> str:
    try:
        codecs.lookup(name)
    except LookupError:
        return "cp1252"
    return name


def read_rtf(data: str) -> RtfText:
    """The text of an RTF document; structural damage is reported, never silently cut."""
    return _Reader(data).run()
