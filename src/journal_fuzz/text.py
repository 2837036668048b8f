"""Tokenisation with offsets kept, and the benign normalisation the oracle applies before comparing.

A system under test may re-wrap lines, switch LF for CRLF, decompose ö into o + U+0308, turn µ (U+00B5) into
μ (U+03BC), insert soft hyphens or spell ä as ``&auml;``. None of that changes a clinical word, so none of it may
become a finding. Everything the oracle reports must point back at the *original* text, so normalisation keeps
a map from normalised to original offsets.
"""

from __future__ import annotations

import bisect
import html.entities
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from journal_fuzz.constants import MAJOR, MINOR, SEVERITIES
from journal_fuzz.wording import oneline

__all__ = [
    "LINE_BREAKS", "TOKEN_RE", "Policy", "Tokens", "benign_equal", "code_points", "equivalent_spelling",
    "invisible_difference", "lone_surrogates", "printable", "tokenize",
]


@dataclass(frozen=True)
class Policy:
    """Which differences count as benign. Every field is ``True`` (benign) by default; set one to ``False``
    to make the oracle report that kind of difference too.
    """

    whitespace: bool = True
    """Amount and kind of whitespace, line endings (LF/CRLF/CR), re-wrapping, trailing newline."""
    unicode_forms: bool = True
    """NFC/NFD and compatibility forms: µ U+00B5 vs μ U+03BC, ligatures, full-width letters, ㎎."""
    invisible: bool = True
    """Soft hyphen, zero-width space/joiners, word joiner, byte-order mark."""
    case: bool = True
    """Letter case."""
    entities: bool = True
    """XML/HTML character references: ``&auml;``, ``&#228;``, ``&#xE4;``, ``&amp;``."""
    markup: bool = True
    """List bullets and numbers, heading and quote marks at a line start, emphasis marks around words: what a
    Markdown renderer drops while keeping each item on its own line."""
    fail_on: str = MAJOR
    """Lowest severity that makes a verdict fail: ``"critical"``, ``"major"`` or ``"minor"``."""

    def __post_init__(self) -> None:
        if self.fail_on not in SEVERITIES:
            raise ValueError(f"Policy.fail_on must be critical, major or minor, not {self.fail_on!r}")

    @classmethod
    def strict(cls) -> Policy:
        """A policy under which every change of characters is reported."""
        return cls(whitespace=False, unicode_forms=False, invisible=False, case=False, entities=False,
                   markup=False, fail_on=MINOR)


# A number keeps its decimal comma or point ("2,5" is one token, so "2,5" -> "25" is one changed token);
# a word starts with a letter and runs over letters and digits ("HbA1c", "x2"); anything else is a token of its
# own, so "<5", "130/80", "°C" and "mmol/l" split into their signs.
TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]\w*|_+|[^\w\s]")
_TOKEN_WS_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]\w*|_+|[^\w\s]|\s+")
# A blank line (possibly holding spaces) separates paragraphs; a paragraph break ends a sentence. CR, LF and CRLF
# are one line break each (a lone CRLF is not a blank line).
_EOL = r"(?:\r\n|\r(?!\n)|\n)"
PARAGRAPH_RE = re.compile(f"{_EOL}[^\\S\\r\\n]*{_EOL}")
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
"""Characters that end a line (what ``str.splitlines`` splits at)."""

_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_ENTITY = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
# Compatibility decompositions that never change what a reader takes the text to say. Superscripts,
# subscripts and fractions are left alone on purpose: NFKC turns "10⁹" into "109".
_BENIGN_COMPAT_TAGS = frozenset({"<compat>", "<font>", "<noBreak>", "<wide>", "<narrow>", "<small>",
                                 "<square>", "<vertical>", "<initial>", "<medial>", "<final>", "<isolated>"})


@lru_cache(maxsize=65536)
def _compat(ch: str) -> str | None:
    """The benign compatibility replacement for one character, or None when it has none."""
    decomposition = unicodedata.decomposition(ch)
    if not decomposition.startswith("<"):
        return None
    tag = decomposition.split(" ", 1)[0]
    if tag not in _BENIGN_COMPAT_TAGS:
        return None
    replacement = unicodedata.normalize("NFKC", ch)
    return replacement if replacement != ch else None


def _entity_text(ref: str) -> str | None:
    body = ref[1:-1]
    try:
        if body.startswith(("#x", "#X")):
            return chr(int(body[2:], 16))
        if body.startswith("#"):
            return chr(int(body[1:]))
    except (ValueError, OverflowError):
        return None
    return html.entities.html5.get(body + ";")


_CHUNK = 32 * 1024
_WS_RE = re.compile(r"\s")


@dataclass
class Tokens:
    """A text cut into tokens. ``keys`` are what the oracle compares; :meth:`start`/:meth:`end` give offsets in
    ``norm`` and :meth:`orig` maps them back to the original text.

    Offsets are found lazily, one chunk (a paragraph, or 32 KiB of it) at a time: comparing two 1 MiB notes
    that differ in twenty places needs the offsets of twenty chunks, not of two hundred thousand tokens.
    """

    text: str
    norm: str
    keys: list[str]
    paragraph_starts: list[int] = field(default_factory=list)
    """Token indices that open a new paragraph (a blank line precedes them)."""
    segments: tuple[list[int], list[int], list[int], list[int]] = field(
        default_factory=lambda: ([], [], [], []), repr=False)
    """Replaced stretches as parallel lists: normalised start/end, original start/end."""
    source: str = field(default="", repr=False)
    """The string the tokens were found in (``norm``, or its case-folded twin of equal length)."""
    spaces: bool = False
    """Whitespace runs are tokens of their own (a policy that reports whitespace)."""
    folded: bool = True
    """Keys are case-folded (a policy that ignores case)."""
    pattern: re.Pattern[str] = field(default=TOKEN_RE, repr=False)
    chunks: list[tuple[int, int]] = field(default_factory=list, repr=False)
    chunk_first: list[int] = field(default_factory=list, repr=False)
    _spans: dict[int, tuple[list[int], list[int]]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.keys)

    def _chunk_spans(self, i: int) -> tuple[list[int], list[int], int]:
        c = bisect.bisect_right(self.chunk_first, i) - 1
        spans = self._spans.get(c)
        if spans is None:
            a, b = self.chunks[c]
            starts: list[int] = []
            ends: list[int] = []
            for m in self.pattern.finditer(self.source, a, b):
                starts.append(m.start())
                ends.append(m.end())
            spans = (starts, ends)
            self._spans[c] = spans
        return spans[0], spans[1], self.chunk_first[c]

    def start(self, i: int) -> int:
        """Normalised offset where token ``i`` starts."""
        starts, _ends, first = self._chunk_spans(i)
        return starts[i - first]

    def end(self, i: int) -> int:
        """Normalised offset just past token ``i``."""
        _starts, ends, first = self._chunk_spans(i)
        return ends[i - first]

    def orig(self, pos: int) -> int:
        """Original offset of normalised offset ``pos``; inside a replaced stretch, the stretch's start."""
        na, nb, oa, ob = self.segments
        if not na:
            return pos
        k = bisect.bisect_right(na, pos) - 1
        if k < 0:
            return pos
        if pos < nb[k]:
            return oa[k]
        return ob[k] + (pos - nb[k])

    def orig_end(self, pos: int) -> int:
        """Original offset just past the normalised character before ``pos``."""
        if pos <= 0:
            return 0
        na, nb, _oa, ob = self.segments
        if na:
            k = bisect.bisect_right(na, pos - 1) - 1
            if k >= 0 and pos - 1 < nb[k]:
                return ob[k]
        return self.orig(pos - 1) + 1

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Original character span of tokens ``i`` (inclusive) to ``j`` (exclusive); empty spans sit at the gap."""
        n = len(self.keys)
        if i >= j:
            if i < n:
                pos = self.orig(self.start(i))
            elif n:
                pos = self.orig_end(self.end(n - 1))
            else:
                pos = len(self.text)
            return pos, pos
        return self.orig(self.start(i)), self.orig_end(self.end(j - 1))

    def original(self, i: int, j: int) -> str:
        """The original text of tokens ``i`` to ``j``."""
        a, b = self.span(i, j)
        return self.text[a:b]

    def adjacent(self, i: int) -> bool:
        """True when token ``i`` and token ``i + 1`` touch (no whitespace between them)."""
        return i + 1 < len(self.keys) and self.end(i) == self.start(i + 1)

    def cased(self, i: int) -> str:
        """Token ``i`` as written (not case-folded), after the benign normalisation."""
        return self.norm[self.start(i):self.end(i)]

    def is_space(self, i: int) -> bool:
        """Whether token ``i`` is a run of whitespace (only under a policy that keeps whitespace as tokens)."""
        return self.spaces and self.keys[i][:1].isspace()

    def gap(self, i: int, j: int) -> str:
        """The text between the end of token ``i`` and the start of token ``j`` (whitespace tokens included)."""
        return self.norm[self.end(i):self.start(j)] if 0 <= i < j < len(self.keys) else ""

    def breaks_line(self, i: int, j: int) -> bool:
        """Whether a line ends between tokens ``i`` and ``j``; CR, LF and CRLF alike."""
        return any(c in LINE_BREAKS for c in self.gap(i, j))


Segments = tuple[list[int], list[int], list[int], list[int]]


_ENTITY_RE = re.compile(_ENTITY)


def _benign(segment: str, policy: Policy) -> str:
    """The benign form of a stretch the normalising pattern picked out."""
    if policy.entities and "&" in segment:
        segment = _ENTITY_RE.sub(lambda m: _entity_text(m.group()) or m.group(), segment)
    if policy.invisible:
        segment = "".join(c for c in segment if c not in _INVISIBLE)
    if policy.unicode_forms:
        segment = unicodedata.normalize("NFC", segment)
        segment = "".join(_compat(c) or c for c in segment)
    return segment


def _normalise(text: str, policy: Policy) -> tuple[str, Segments]:
    """Apply the benign, length-changing normalisations; return the text and the replaced stretches."""
    parts: list[str] = []
    has_entities = policy.entities and "&" in text
    text_t = text
    if policy.unicode_forms and (not text.isascii() or has_entities):
        # A letter and the accents after it, written as characters or as references ("a&#776;"), compose.
        marks = f"[{_COMBINING}]" + (f"|{_ENTITY}" if has_entities else "")
        if has_entities or not unicodedata.is_normalized("NFC", text):
            parts.append(f"\\w(?:{marks})+")
        if not text.isascii():
            chars = set(text)
            multi = sorted(ch for ch in chars if not ch.isascii() and (c := _compat(ch)) is not None and len(c) != 1)
            if multi:
                parts.append("[" + re.escape("".join(multi)) + "]")
            single = {ch: c for ch in chars if not ch.isascii() and (c := _compat(ch)) is not None and len(c) == 1}
            for ch, one in single.items():
                text_t = text_t.replace(ch, one)
    if has_entities:
        parts.append(_ENTITY)
    if policy.invisible and any(ch in text for ch in _INVISIBLE):
        parts.append(f"[{_INVISIBLE}]")
    if not parts:
        return text_t, ([], [], [], [])
    pattern = re.compile("|".join(parts), re.DOTALL)
    out: list[str] = []
    seg_na: list[int] = []
    seg_nb: list[int] = []
    seg_oa: list[int] = []
    seg_ob: list[int] = []
    last = 0
    npos = 0
    for m in pattern.finditer(text_t):
        a, b = m.span()
        seg = m.group()
        rep = _benign(seg, policy)
        if rep == seg:
            continue
        out.append(text_t[last:a])
        npos += a - last
        out.append(rep)
        seg_na.append(npos)
        seg_oa.append(a)
        npos += len(rep)
        seg_nb.append(npos)
        seg_ob.append(b)
        last = b
    out.append(text_t[last:])
    return "".join(out), (seg_na, seg_nb, seg_oa, seg_ob)


def _chunks(source: str, paragraphs: bool) -> tuple[list[tuple[int, int]], list[bool]]:
    """Cut ``source`` at blank lines and, within long paragraphs, at whitespace about every 32 KiB."""
    cuts = [0]
    opens = [False]
    if paragraphs and ("\n" in source or "\r" in source):
        for m in PARAGRAPH_RE.finditer(source):
            cuts.append(m.end())
            opens.append(True)
    cuts.append(len(source))
    out: list[tuple[int, int]] = []
    para: list[bool] = []
    for k in range(len(cuts) - 1):
        a, b = cuts[k], cuts[k + 1]
        first = True
        while b - a > _CHUNK:
            ws = _WS_RE.search(source, a + _CHUNK, b)
            if ws is None:
                break
            out.append((a, ws.start()))
            para.append(opens[k] and first)
            first = False
            a = ws.start()
        out.append((a, b))
        para.append(opens[k] and first)
    return out, para


def tokenize(text: str, policy: Policy | None = None) -> Tokens:
    """Cut ``text`` into comparison tokens under ``policy``."""
    policy = policy or Policy()
    norm, segments = _normalise(text, policy)
    pattern = TOKEN_RE if policy.whitespace else _TOKEN_WS_RE
    folded = norm.casefold() if policy.case else norm
    fold_each = len(folded) != len(norm)
    source = norm if fold_each else folded
    # With whitespace as tokens a cut inside a run of spaces would change the tokens: keep one chunk then.
    chunks, opens = _chunks(source, paragraphs=policy.whitespace)
    keys: list[str] = []
    chunk_first: list[int] = []
    paragraph_starts: list[int] = []
    for (a, b), opened in zip(chunks, opens, strict=True):
        first = len(keys)
        chunk_first.append(first)
        found = pattern.findall(source, a, b)
        keys.extend([k.casefold() for k in found] if fold_each else found)
        if opened and 0 < first < len(keys) and (not paragraph_starts or paragraph_starts[-1] != first):
            paragraph_starts.append(first)
    tokens = Tokens(text=text, norm=norm, keys=keys, paragraph_starts=paragraph_starts, segments=segments,
                    source=source, spaces=not policy.whitespace, folded=policy.case, pattern=pattern, chunks=chunks,
                    chunk_first=chunk_first)
    if not policy.whitespace and ("\n" in source or "\r" in source):
        starts = [tokens.start(i) for i in range(len(keys))]
        for m in PARAGRAPH_RE.finditer(source):
            k = bisect.bisect_left(starts, m.end())
            if 0 < k < len(keys) and (not tokens.paragraph_starts or tokens.paragraph_starts[-1] != k):
                tokens.paragraph_starts.append(k)
    return tokens


# -- differences a reader cannot see, and spellings that mean the same ------------------------------------------
_SAME_MEANING = {
    "≤": "<=", "≦": "<=", "⩽": "<=", "≥": ">=", "≧": ">=", "⩾": ">=", "−": "-", "–": "-", "—": "-", "‐": "-",
    "‑": "-", "‒": "-", "µ": "u", "μ": "u", "×": "x", "’": "'", "‘": "'", "“": '"', "”": '"', "„": '"',
    "…": "...", "⁄": "/", "∕": "/", "→": "->", "≠": "!=", "½": "1/2", "¼": "1/4", "¾": "3/4",
}
"""Characters and the ASCII a system writes for them without changing what they say (≤ as <=, µg as ug)."""
_DASHES = re.compile(r"-{2,}")
_SPACE = re.compile(r"\s+")


def _plain_spelling(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return _DASHES.sub("-", _SPACE.sub(" ", "".join(_SAME_MEANING.get(c, c) for c in text)).strip())


def equivalent_spelling(sent: str, received: str) -> str | None:
    """How ``received`` spells what ``sent`` says with other characters ("'≤' written as '<='"), or None.

    Comparators and dashes written in ASCII, µ as u, an abbreviation with or without its full stops (u.a./ua):
    a reader takes both to say the same. A different comparator (≤ for <) or unit (µg for mg) is not this.
    """
    if sent == received or not sent.strip() or not received.strip():
        return None
    a, b = _plain_spelling(sent), _plain_spelling(received)
    if a == b:
        return f"'{oneline(sent).strip()}' written as '{oneline(received).strip()}'"
    if any(c.isalpha() for c in a) and a.replace(".", "") == b.replace(".", "") \
            and re.sub(r"[^\W\d_]", "", a).replace(".", "") == re.sub(r"[^\W\d_]", "", b).replace(".", "") \
            and re.fullmatch(r"[^\W\d_.]+(?:\.[^\W\d_]+)*\.?", a) and re.fullmatch(r"[^\W\d_.]+(?:\.[^\W\d_]+)*\.?", b):
        return f"'{oneline(sent).strip()}' written as '{oneline(received).strip()}' (an abbreviation's full stops)"
    return None


_WHITESPACE_NAMES = {
    " ": "a space", "\t": "a tab", "\u00a0": "a no-break space (U+00A0)", "\r\n": "a line break (CRLF)",
    "\n": "a line break (LF)", "\r": "a line break (CR)", "\u2028": "a line separator (U+2028)", "\f": "a form feed",
    "\v": "a vertical tab",
}


def _whitespace_name(text: str) -> str:
    if text == "":
        return "nothing"
    if text in _WHITESPACE_NAMES:
        return _WHITESPACE_NAMES[text]
    parts = re.findall(r"\r\n|.", text, re.DOTALL)
    if len(set(parts)) == 1:
        one = _WHITESPACE_NAMES.get(parts[0], code_points(parts[0]))
        return f"{len(parts)} × {one.removeprefix('a ')}"
    return " + ".join(_WHITESPACE_NAMES.get(p, code_points(p)) for p in parts)


def code_points(text: str) -> str:
    """Every character named by its code point: "U+00B5 MICRO SIGN"."""
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in text)


def _shown(text: str) -> str:
    """ASCII text quoted, anything else by code point."""
    if not text:
        return "nothing"
    if text.isascii() and text.isprintable():
        return f"'{text}'"
    return code_points(text)


def invisible_difference(sent: str, received: str) -> str | None:
    """What differs between two stretches that the default policy reads as the same text, named so a reader can
    see it ("a line break (LF) became a space", "U+00B5 MICRO SIGN became U+03BC GREEK SMALL LETTER MU"), or None
    when the default policy sees a difference too."""
    if sent == received or tokenize(sent).keys != tokenize(received).keys:
        return None
    if not sent.strip() and not received.strip():
        if not sent:
            return f"{_whitespace_name(received)} was added"
        if not received:
            return f"{_whitespace_name(sent)} was removed"
        return f"{_whitespace_name(sent)} became {_whitespace_name(received)}"
    if len(sent) == len(received) and all(a == b or b in (a.upper(), a.lower()) for a, b in zip(sent, received,
                                                                                             strict=True)):
        return f"letter case changed: '{oneline(sent).strip()}' became '{oneline(received).strip()}'"
    k = 0
    while k < min(len(sent), len(received)) and sent[k] == received[k]:
        k += 1
    e = 0
    while e < min(len(sent), len(received)) - k and sent[-1 - e] == received[-1 - e]:
        e += 1
    a, b = sent[k:len(sent) - e], received[k:len(received) - e]
    if not a:
        return f"{_shown(b)} was added"
    if not b:
        return f"{_shown(a)} was removed"
    return f"{_shown(a)} became {_shown(b)}"


def lone_surrogates(text: str) -> list[str]:
    """The lone surrogates in ``text`` (code points UTF-8 cannot carry), as U+XXXX."""
    return [f"U+{ord(c):04X}" for c in text if 0xD800 <= ord(c) <= 0xDFFF]


def printable(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udXXX`` escapes, so it can be printed and saved as UTF-8."""
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return "".join(f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


# Characters whose NFC form, and whose neighbours' NFC forms, :func:`benign_equal` can vouch for: ASCII, Latin-1,
# Latin Extended-A/B, the Greek letters (µ becomes μ, and Μ in upper case), general punctuation, currency, arrows
# and mathematical operators (starters that compose with nothing before them), and the diacritics U+0300-U+036F.
_FAST_OUTSIDE = re.compile("[^\u0000-\u024f\u0300-\u036f\u0391-\u03a9\u03b1-\u03c9\u2010-\u2027\u2030-\u205e"
                           "\u20a0-\u20bf\u2190-\u22ff]")
_FAST_COMPAT = {c: one for c in map(chr, range(0x80, 0x2300)) if not _FAST_OUTSIDE.match(c)
                and (one := _compat(c)) is not None}
_FAST_COMPAT_RE = re.compile("[" + re.escape("".join(_FAST_COMPAT)) + "]")
_DETACHED_MARK = re.compile(r"(?<![\w\u0300-\u036f])[\u0300-\u036f]")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")


def benign_equal(a: str, b: str, policy: Policy | None = None) -> bool:
    """True only when ``a`` and ``b`` tokenise to the same keys under ``policy``, so the oracle has nothing to
    report; a cheap test for the common benign differences (line endings, whitespace, NFC/NFD, µ/μ, case).

    It never tokenises: each text is brought to the one form its keys depend on (benign compatibility characters
    replaced, NFC, every whitespace run one space, case folded) and the forms are compared. Whatever it cannot vouch
    for (character references, invisible characters, characters outside the alphabet above, a combining mark with
    no letter before it, strict whitespace) makes it answer False, which means "not shown equal": the full oracle
    then decides.
    """
    if a == b:
        return True
    policy = policy or Policy()
    if not policy.whitespace:
        return False
    forms: list[tuple[bool, str]] = []
    for text in (a, b):
        # A bare "&" (Hjärta & lungor) is just a character; only a reference the tokeniser would read is refused.
        if (policy.entities and "&" in text and _ENTITY_RE.search(text)) or \
                (policy.invisible and _INVISIBLE_RE.search(text)):
            return False
        form = text
        if policy.unicode_forms and not text.isascii():
            if _FAST_OUTSIDE.search(text):
                return False
            if _FAST_COMPAT_RE.search(text):
                for ch in set(_FAST_COMPAT_RE.findall(text)):
                    one = _FAST_COMPAT[ch]
                    if len(one) != 1:
                        return False
                    form = form.replace(ch, one)
            if not unicodedata.is_normalized("NFC", text):
                if _DETACHED_MARK.search(form):
                    return False
                form = unicodedata.normalize("NFC", form)
        form = " ".join(form.split())
        if policy.case:
            folded = form.casefold()
            # Where folding changes a length the oracle folds token by token: compare unfolded then (stricter).
            forms.append((True, form) if len(folded) != len(form) else (False, folded))
        else:
            forms.append((False, form))
    return forms[0] == forms[1]
