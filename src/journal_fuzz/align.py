"""Token alignment that stays fast on long, template-heavy notes.

Each distinct token is mapped to one code point and the two code-point strings are diffed with the C++
Myers diff in ``fast_diff_match_patch``. Journal notes repeat the same template lines hundreds of times, which
is exactly where ``difflib.SequenceMatcher`` degrades (its junk heuristics either hide repeated tokens or it goes
quadratic); Myers is O(ND) and deterministic with no time limit. ``benchmarks/bench_oracle.py`` measures both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import fast_diff_match_patch

__all__ = ["Opcode", "align", "aligned_pairs"]

Tag = Literal["equal", "replace", "delete", "insert"]
Opcode = tuple[Tag, int, int, int, int]

# Code points below this are left out so that no token becomes a control character or a line break, which
# the diff library treats specially; surrogates cannot be encoded and are skipped.
_FIRST_CODE = 0x100
_SURROGATES = range(0xD800, 0xE000)


def _code(i: int) -> str:
    cp = _FIRST_CODE + i
    if cp >= _SURROGATES.start:
        cp += len(_SURROGATES)
    return chr(cp)


def align(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """Opcodes in ``difflib`` form (tag, i1, i2, j1, j2) turning token list ``a`` into ``b``.

    A run of deletions and insertions with no equal token between them becomes one ``replace``.
    """
    if list(a) == list(b):
        return [("equal", 0, len(a), 0, len(b))] if a else []
    table: dict[str, str] = {}
    for tok in a:
        if tok not in table:
            table[tok] = _code(len(table))
    for tok in b:
        if tok not in table:
            table[tok] = _code(len(table))
    sa = "".join([table[t] for t in a])
    sb = "".join([table[t] for t in b])
    ops = fast_diff_match_patch.diff(sa, sb, timelimit=0, checklines=False, cleanup="No", counts_only=True)
    out: list[Opcode] = []
    i = j = 0
    pend_i = pend_j = -1
    for op, n in ops:
        if op == "=":
            if pend_i >= 0:
                out.append(_change(pend_i, i, pend_j, j))
                pend_i = pend_j = -1
            out.append(("equal", i, i + n, j, j + n))
            i += n
            j += n
        else:
            if pend_i < 0:
                pend_i, pend_j = i, j
            if op == "-":
                i += n
            else:
                j += n
    if pend_i >= 0:
        out.append(_change(pend_i, i, pend_j, j))
    return out


def _change(i1: int, i2: int, j1: int, j2: int) -> Opcode:
    if i1 == i2:
        return ("insert", i1, i2, j1, j2)
    if j1 == j2:
        return ("delete", i1, i2, j1, j2)
    return ("replace", i1, i2, j1, j2)


def aligned_pairs(ops: Sequence[Opcode], n_a: int, n_b: int) -> tuple[list[int], list[int]]:
    """For every token of ``a`` the index of its equal partner in ``b`` (or -1), and the reverse."""
    a2b = [-1] * n_a
    b2a = [-1] * n_b
    for tag, i1, i2, j1, _j2 in ops:
        if tag == "equal":
            a2b[i1:i2] = range(j1, j1 + (i2 - i1))
            b2a[j1:j1 + (i2 - i1)] = range(i1, i2)
    return a2b, b2a
