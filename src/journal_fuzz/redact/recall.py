"""An original met once in a case, found again where detection alone would miss it.

A received text is the sent text after a lossy system: the cue that found a name may be gone, the name may be
garbled by an encoding or an autocorrect, a digit of a personnummer changed, the text cut off inside a number.
Each such place gets the original's pseudonym changed the same way, so the finding the oracle saw survives the
redaction. (Decomposed letters, soft hyphens, zero-width characters and character references need no variant:
detection reads normalised text.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from difflib import SequenceMatcher
from functools import lru_cache

from journal_fuzz.redact.detect import KNOWN, NAME, NUMERIC, STREET, TOWN, WORD_RE, Detector, Hit, capitalised
from journal_fuzz.text import tokenize

Surfaces = Mapping[str, tuple[str, str]]
"""Original surface -> (kind, the replacement written for it)."""


def _garblers() -> list[Callable[[str], str]]:
    """What lossy encodings do to a word: a name that went through one must go too, and its pseudonym must be
    garbled the same way, or the encoding finding would vanish with the redaction."""

    def cp1252(s: str) -> str:
        return s.encode("utf-8").decode("cp1252", "replace")

    def latin1(s: str) -> str:
        return s.encode("utf-8").decode("latin-1")

    def ascii_ignore(s: str) -> str:
        return s.encode("ascii", "ignore").decode()

    def ascii_replace(s: str) -> str:
        return s.encode("ascii", "replace").decode()

    def fffd(s: str) -> str:
        return "".join(c if c.isascii() else "\ufffd" for c in s)

    def strip_marks(s: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))

    return [cp1252, latin1, ascii_ignore, ascii_replace, fffd, strip_marks]


_GARBLERS = _garblers()


def _variants(surfaces: Surfaces) -> dict[str, tuple[str, str]]:
    """Every original met so far as it may be written elsewhere: as is, in capitals, or garbled by an encoding
    (with its pseudonym garbled the same way, so an encoding finding survives the redaction)."""
    out: dict[str, tuple[str, str]] = {}
    for s, (kind, rep) in surfaces.items():
        if len(s) < 2:
            continue
        out.setdefault(s, (kind, rep))
        if kind in (NAME, TOWN, STREET):
            out.setdefault(s.upper(), (kind, rep.upper()))
            if not s.isascii():
                for garble in _GARBLERS:
                    g = _normalised(garble(s))  # as detection reads it: "Ã…" is "Ã..." there
                    if len(g) > 1 and g != s:
                        out.setdefault(g, (kind, garble(rep)))
    return out


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    return tokenize(text).norm


_NUMBER_RUN = re.compile(r"(?<![\w+])\+?\d[\d \-+/]*\d(?![\w])")


def _near(a: str, b: str, k: int) -> bool:
    """Whether ``b`` is ``a`` with at most ``k`` characters changed in place, or one stretch of up to ``k``
    characters dropped or added (the damage a system does to one identifier), and not ``a`` itself."""
    if a == b or abs(len(a) - len(b)) > k:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= k
    shorter = min(len(a), len(b))
    p = 0
    while p < shorter and a[p] == b[p]:
        p += 1
    q = 0
    while q < shorter - p and a[-1 - q] == b[-1 - q]:
        q += 1
    return p + q >= max(len(a), len(b)) - k


def _echo_change(original: str, changed: str, pseudonym: str) -> str:
    """``pseudonym`` changed the way ``changed`` differs from ``original`` (a digit moved by the same amount, a
    character dropped or added at the same place), so the difference the oracle saw is still there."""
    scale = len(pseudonym) / max(1, len(original))

    def at(i: int) -> int:
        return min(len(pseudonym), round(i * scale)) if len(pseudonym) != len(original) else i

    out: list[str] = []
    last = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, original, changed, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        a, b = at(i1), max(at(i1), at(i2))
        out.append(pseudonym[last:a])
        if tag == "replace" and i2 - i1 == j2 - j1:
            for k, (so, ch) in enumerate(zip(original[i1:i2], changed[j1:j2], strict=True)):
                mine = pseudonym[a + k] if a + k < len(pseudonym) else ""
                if so.isdigit() and ch.isdigit() and mine.isdigit():
                    out.append(str((int(mine) + int(ch) - int(so)) % 10))
                else:
                    out.append(ch if ch != mine else ch.swapcase() if ch.swapcase() != ch else ch + ch)
            b = min(len(pseudonym), a + (i2 - i1))
        elif tag in ("replace", "insert"):
            out.append(changed[j1:j2])
        last = b
    out.append(pseudonym[last:])
    result = "".join(out)
    return result if result != pseudonym else pseudonym + changed[-1:]


def known_hits(detector: Detector, surfaces: Surfaces, taken: Sequence[Hit]) -> list[Hit]:
    """Originals met elsewhere in the case, found here without the context that found them: a cue lost in the
    received text, a name garbled by an encoding or an autocorrect, a digit changed, a number cut off where the
    text ends. Each hit carries ``("known", replacement)``: the pseudonym changed the same way."""
    text = detector.text
    variants = _variants(surfaces)
    out: list[Hit] = []
    pattern = re.compile("|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))) \
        if variants else None
    pos = 0
    while pattern is not None and (m := pattern.search(text, pos)) is not None:
        a, b = m.span()
        pos = a + 1
        kind, rep = variants[m.group()]
        before = text[a - 1] if a else " "
        after = text[b] if b < len(text) else " "
        if kind in NUMERIC:
            ok = not (before.isdigit() or before == "+" or after.isdigit())
        else:
            genitive = kind == NAME and after == "s" and not (b + 1 < len(text) and text[b + 1].isalnum())
            ok = not (before.isalnum() or before == "_") and (genitive or not (after.isalnum() or after == "_"))
        if ok:
            out.append(Hit(a, b, kind, m.group(), ("known", rep), KNOWN))

    occupied = bytearray(len(text) + 1)
    for h in (*taken, *out):
        occupied[h.start:h.end] = b"\x01" * (h.end - h.start)

    def free(a: int, b: int) -> bool:
        return occupied.find(1, a, b) < 0

    def add(h: Hit) -> None:
        out.append(h)
        occupied[h.start:h.end] = b"\x01" * (h.end - h.start)

    # Near misses: one or two characters off a known number or date, one letter off a known name.
    numbers = [(s, k, r) for s, (k, r) in variants.items() if k in NUMERIC and len(s) >= 8]
    if numbers:
        for m in _NUMBER_RUN.finditer(text):
            if not free(m.start(), m.end()):
                continue
            cand = m.group()
            for s, kind, rep in numbers:
                if _near(s, cand, 2):
                    add(Hit(m.start(), m.end(), kind, cand, ("known", _echo_change(s, cand, rep)), KNOWN))
                    break
    names = [(s, r) for s, (k, r) in variants.items() if k == NAME and len(s) >= 5 and s.isalpha()]
    if names:
        for m in WORD_RE.finditer(text):
            cand = m.group()
            if len(cand) < 5 or not capitalised(cand) or not free(m.start(), m.end()) \
                    or detector.prot.protects(m.start(), m.end(), cand):
                continue
            for s, rep in names:
                if _near(s, cand, 1):
                    add(Hit(m.start(), m.end(), NAME, cand, ("known", _echo_change(s, cand, rep)), KNOWN))
                    break

    # A text that stops inside an identifier keeps the cut: "... Anna Anders" -> "... Tolvan Tolva".
    end = len(text.rstrip())
    if end and free(end - 1, end):
        best: Hit | None = None
        for s, (kind, rep) in variants.items():
            for k in range(min(len(s) - 1, end), 2, -1):
                start = end - k
                if text.startswith(s[:k], start) and (start == 0 or not text[start - 1].isalnum()):
                    if best is None or k > best.end - best.start:
                        best = Hit(start, end, kind, s[:k], ("known", rep[:k]), KNOWN)
                    break
        if best is not None and free(best.start, best.end):
            out.append(best)
    return out
