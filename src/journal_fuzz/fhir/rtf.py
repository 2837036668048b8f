"""RTF, both ways: write a note so every character survives, and read RTF back to text without losing any.

The writer escapes ``\\ { }``, writes non-ASCII as ``\\uN?`` (signed 16-bit, surrogate pairs for characters
beyond the BMP) and line breaks as ``\\par``. The reader is small on purpose but does what common readers get
wrong: it keeps reading after an unmatched ``}`` (reporting it, since a reader that stops there loses the rest),
keeps ``{\\fldrslt ...}`` text and skips only true destinations.

:func:`read_rtf_spans` also says where each character of the text sits in the RTF source, so a caller can change
words of an RTF document in place (:meth:`RtfSpans.replace`) and leave every other byte of it as it was: redaction
replaces names in an attachment without rewriting the document around them.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["RtfSpans", "RtfText", "read_rtf", "read_rtf_spans", "write_rtf"]

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
# Destinations that hold pictures, embedded objects or packaged data, never words anybody wrote.
_BINARY = frozenset("pict object objdata themedata colorschememapping datastore blipuid nonshppict fontemb fontfile "
                    "passwordhash".split())
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


@dataclass
class RtfSpans:
    """The text of an RTF document with, for each of its characters, where it was written in the source.

    ``source[starts[k]:ends[k]]`` is what wrote ``text[k]``: the character itself, an escape with its fallback
    characters (``\\u246?``, ``\\'f6``), both halves of a surrogate pair, or the control word (``\\par``, ``\\tab``).
    With ``destinations=True`` the text also holds what destinations say (``{\\info{\\author ...}}``, field
    instructions), each destination set off by a line break that the source does not hold (an empty span).
    """

    source: str
    text: str
    starts: Sequence[int]
    ends: Sequence[int]
    ucs: Sequence[int]
    """The ``\\ucN`` in effect at each character: how many fallback characters a ``\\uN`` written there needs."""
    owed: Mapping[int, int] = field(default_factory=dict)
    """Where a ``\\uN`` cut the fallback of the one before it short (``\\uc2 \\u228?\\u229?``): how many fallback
    characters the earlier one still expects there, so text written in place of the later one is not taken for them."""
    problem: str | None = None
    problem_offset: int | None = None

    def replace(self, edits: Iterable[tuple[int, int, str]]) -> str:
        """The source with ``text[a:b]`` replaced by ``rep`` for each edit ``(a, b, rep)``.

        ``rep`` is written where ``text[a]`` was, escaped as :func:`write_rtf` escapes; the markup between the
        replaced characters stays (``M{\\b arta}`` -> ``Örjan{\\b }``), so groups stay balanced and the rest of the
        document is untouched. Edits must not overlap and must each replace at least one character.
        """
        src = self.source
        out: list[str] = []
        last = 0
        prev_end = 0
        for a, b, rep in sorted(edits, key=lambda e: (e[0], e[1])):
            if not (prev_end <= a < b <= len(self.text)):
                raise ValueError(f"edit ({a}, {b}) is empty, overlaps another or lies outside the text")
            prev_end = b
            _put(out, src[last:self.starts[a]])
            _put(out, "?" * self.owed.get(a, 0) + _escape(rep, self.ucs[a]))
            for k in range(a + 1, b):
                _put(out, src[self.ends[k - 1]:self.starts[k]])
            last = self.ends[b - 1]
        _put(out, src[last:])
        return "".join(out)


_BARE_CONTROL = re.compile(r"(\\+)[a-zA-Z]{1,32}(?:-?\d{1,10})?$")


def _put(out: list[str], piece: str) -> None:
    """Append ``piece``; a control word left bare at the end of ``out`` would swallow a letter, digit, hyphen or
    space that now follows it, so it gets the space delimiter RTF reads as nothing."""
    if not piece:
        return
    if out and piece[0] in _DELIMITED:
        m = _BARE_CONTROL.search(out[-1][-48:])
        if m is not None and len(m.group(1)) % 2 == 1:
            out.append(" ")
    out.append(piece)


_DELIMITED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789- ")


# ---------------------------------------------------------------------------------------------------------
def _escape_char(ch: str, uc: int = 1) -> str:
    if ch in "\\{}":
        return "\\" + ch
    if ch == "\t":
        return "\\tab "
    if ord(ch) < 0x80:
        return ch
    units = ch.encode("utf-16-be", "surrogatepass")
    fallback = "?" * uc if uc else " "
    out = []
    for k in range(0, len(units), 2):
        n = int.from_bytes(units[k:k + 2], "big")
        out.append(f"\\u{n - 0x10000 if n >= 0x8000 else n}{fallback}")
    return "".join(out)


def _escape(text: str, uc: int = 1) -> str:
    parts: list[str] = []
    last = 0
    for m in _LINE.finditer(text):
        parts.extend(_escape_char(c, uc) for c in text[last:m.start()])
        parts.append("\\par\r\n")
        last = m.end()
    parts.extend(_escape_char(c, uc) for c in text[last:])
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
def _is_high(ch: str) -> bool:
    return "\ud800" <= ch <= "\udbff"


class _Reader:
    def __init__(self, data: str, destinations: bool) -> None:
        self.data = data
        self.destinations = destinations
        self.chars: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.ucs: list[int] = []
        self.owed: dict[int, int] = {}
        self.pending: list[tuple[int, int, int, int]] = []
        """Bytes written as ``\\'xx`` not yet decoded (a code page may need two for one character): (byte, start,
        end, the ``\\ucN`` in effect there)."""
        self.codepage = "cp1252"
        self.skip_fallback = 0
        self.fallback_of: int | None = None
        """The character whose fallback characters are being skipped: they become part of its span."""
        self.problem: str | None = None
        self.problem_offset: int | None = None
        # The current group's state.
        self.skipping = False
        """Inside a destination (not document text)."""
        self.binary = False
        """Inside a destination that holds no words at all (a picture, an object)."""
        self.uc = 1

    # -- output ---------------------------------------------------------------------------------------------
    def visible(self) -> bool:
        return not self.skipping or (self.destinations and not self.binary)

    def append(self, ch: str, start: int, end: int, uc: int | None = None) -> None:
        chars = self.chars
        if "\udc00" <= ch <= "\udfff" and chars and _is_high(chars[-1]):  # the two \uN of a character beyond the BMP
            chars[-1] = chr(0x10000 + ((ord(chars[-1]) - 0xD800) << 10) + (ord(ch) - 0xDC00))
            self.ends[-1] = end
            return
        chars.append(ch)
        self.starts.append(start)
        self.ends.append(end)
        self.ucs.append(self.uc if uc is None else uc)

    def skipped_fallback(self, end: int) -> bool:
        """Whether what ends at ``end`` is a fallback character of the last ``\\uN`` (and so part of it)."""
        if not self.skip_fallback:
            return False
        self.skip_fallback -= 1
        if self.fallback_of is not None:
            self.ends[self.fallback_of] = end
        return True

    def emit(self, ch: str, start: int, end: int) -> None:
        if self.skip_fallback and self.skipped_fallback(end):
            return
        if self.pending:
            self.flush()
        if not self.skipping or self.visible():
            self.append(ch, start, end)

    def emit_byte(self, byte: int, start: int, end: int) -> None:
        if self.skipped_fallback(end):
            return
        if self.visible():
            self.pending.append((byte, start, end, self.uc))

    def emit_unicode(self, value: int, start: int, end: int) -> None:
        owed = self.skip_fallback if self.fallback_of is not None else 0
        self.skip_fallback = 0
        self.flush()
        self.fallback_of = None
        if self.visible():
            before = len(self.chars)
            self.append(chr(value & 0xFFFF), start, end)
            if owed and len(self.chars) > before:
                self.owed[before] = owed
            self.fallback_of = len(self.chars) - 1
        self.skip_fallback = self.uc

    def flush(self) -> None:
        if not self.pending:
            return
        decoder = codecs.getincrementaldecoder(self.codepage)("replace")
        first, first_uc = -1, 1  # where the bytes of the character being decoded start
        end = 0
        for byte, start, end, uc in self.pending:
            if first < 0:
                first, first_uc = start, uc
            decoded = decoder.decode(bytes([byte]))
            for ch in decoded:
                self.append(ch, first, end, first_uc)
            if decoded:
                first = -1
        for ch in decoder.decode(b"", final=True):
            self.append(ch, end if first < 0 else first, end, first_uc)
        self.pending.clear()

    def boundary(self, pos: int) -> None:
        """With destinations read, a destination's words must not run into the document's."""
        if self.destinations and self.chars and self.chars[-1] != "\n":
            self.flush()
            self.append("\n", pos, pos)

    def report(self, problem: str) -> None:
        if self.problem is None:
            self.flush()
            self.problem = problem
            self.problem_offset = len(self.chars)

    # -- input ----------------------------------------------------------------------------------------------
    def run(self) -> RtfSpans:
        data, n = self.data, len(self.data)
        stack: list[tuple[bool, bool, int]] = []
        closed_at: int | None = None
        i = 0
        while i < n:
            c = data[i]
            if c == "{":
                if closed_at is not None and not stack:
                    self.report(f"the RTF document closes at character {closed_at} but more follows: a reader "
                                "stops there and loses the rest")
                stack.append((self.skipping, self.binary, self.uc))
                self.skip_fallback = 0
                if self.skipping:
                    self.boundary(i)
                i += 1
            elif c == "}":
                self.skip_fallback = 0
                if stack:
                    was = self.skipping
                    self.skipping, self.binary, self.uc = stack.pop()
                    if was or self.skipping:
                        self.boundary(i + 1)
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
                    word, param = m.group(1), m.group(2)
                    if word != "u" and self.skipped_fallback(m.end()):
                        i = m.end()
                        continue
                    self.control(word, param, i, m.end())
                    i = m.end()
                    if word == "bin" and param and param.lstrip("-").isdigit():
                        i += max(0, int(param))
                elif nxt == "'":
                    hexa = data[i + 2:i + 4]
                    if _HEX.fullmatch(hexa):
                        self.emit_byte(int(hexa, 16), i, i + 4)
                        i += 4
                    else:
                        i += 2
                elif nxt and nxt in "\\{}":
                    self.emit(nxt, i, i + 2)
                    i += 2
                elif nxt == "*":
                    if not self.skipping and not self.skip_fallback:  # (a fallback still to come owns what follows)
                        self.boundary(i)
                    self.skipping = True
                    i += 2
                elif nxt in _CONTROL_SYMBOLS:
                    self.emit(_CONTROL_SYMBOLS[nxt], i, i + 2)
                    i += 2
                else:
                    i += 2
            elif c in "\r\n":
                i += 1
            else:
                if closed_at is not None and not stack and not c.isspace() and c != "\x00":
                    self.report(f"the RTF document closes at character {closed_at} but text follows: a reader "
                                "stops there and loses the rest")
                self.emit(c, i, i + 1)
                i += 1
        self.flush()
        if stack:
            self.report("the RTF ends inside an open group: the document was cut off")
        # A half of a pair without the other is no character: show it as the replacement character.
        chars = ["\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in self.chars]
        return RtfSpans(data, "".join(chars), self.starts, self.ends, self.ucs, self.owed, self.problem,
                        self.problem_offset)

    def control(self, word: str, param: str | None, start: int, end: int) -> None:
        if word in _DESTINATIONS:
            if not self.skipping:
                self.boundary(start)
            self.skipping = True
            self.binary = self.binary or word in _BINARY
        elif word == "u" and param is not None:
            value = int(param)
            self.emit_unicode(value + 0x10000 if value < 0 else value, start, end)
        elif word == "uc" and param is not None:
            self.uc = max(0, int(param))
        elif word == "ansicpg" and param is not None:
            self.flush()
            self.codepage = _codepage(f"cp{int(param)}")
        elif word in _CHARSETS:
            self.flush()
            self.codepage = _CHARSETS[word]
        elif word in _SYMBOLS:
            self.emit(_SYMBOLS[word], start, end)


def _codepage(name: str) -> str:
    try:
        codecs.lookup(name)
    except LookupError:
        return "cp1252"
    return name


def read_rtf(data: str) -> RtfText:
    """The text of an RTF document; structural damage is reported, never silently cut."""
    doc = _Reader(data, destinations=False).run()
    return RtfText(doc.text, doc.problem, doc.problem_offset)


def read_rtf_spans(data: str, *, destinations: bool = False) -> RtfSpans:
    """The text of an RTF document and where each of its characters is written, to change words in place.

    ``destinations=True`` adds the words destinations hold (document properties such as ``\\author``, field
    instructions such as a ``mailto:`` link, bookmarks), which a reader does not show but a document still
    carries; pictures and embedded objects stay out.
    """
    return _Reader(data, destinations=destinations).run()
