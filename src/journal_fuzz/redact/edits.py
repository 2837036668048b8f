"""Replacements as offsets into a text: applying them, and following a position or a cut through them."""

from __future__ import annotations

from collections.abc import Sequence

Edit = tuple[int, int, str]
"""``(start, end, replacement)``: ``text[start:end]`` becomes ``replacement``. Lists of edits are sorted and never
overlap."""


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with every edit made; offsets refer to the original, so edits are made in one pass."""
    out: list[str] = []
    last = 0
    for a, b, rep in edits:
        out.append(text[last:a])
        out.append(rep)
        last = b
    out.append(text[last:])
    return "".join(out)


def remap(pos: int, edits: Sequence[Edit], *, end: bool) -> int:
    """Where offset ``pos`` of the original text lands in the redacted one. A span edge inside a replaced stretch
    moves to the stretch's start (a start) or end (an end), so a span never cuts a pseudonym."""
    delta = 0
    for a, b, rep in edits:
        if b <= pos:
            delta += len(rep) - (b - a)
        elif a < pos:
            return a + delta + (len(rep) if end else 0)
        else:
            break
    return pos + delta


def cut(text: str, edits: Sequence[Edit], n: int) -> str:
    """The redaction of ``text[:n]`` that is a prefix of the redaction of ``text``."""
    out: list[str] = []
    last = 0
    for a, b, rep in edits:
        if a >= n:
            break
        out.append(text[last:a])
        if b > n:
            out.append(rep[:n - a])
            last = n
            break
        out.append(rep)
        last = b
    out.append(text[last:n])
    return "".join(out)
