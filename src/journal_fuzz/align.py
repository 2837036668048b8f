"""Token alignment that stays fast on long, template-heavy notes.

Each distinct token is mapped to one code point and the two code-point strings are diffed with the C++
Myers diff in ``fast_diff_match_patch``. Journal notes repeat the same template lines hundreds of times, which
is exactly where ``difflib.SequenceMatcher`` degrades (its junk heuristics either hide repeated tokens or it goes
quadratic); Myers is O(ND) and deterministic with no time limit. ``benchmarks/bench_oracle.py`` measures both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import fast_diff_match_patch

__all__ = ["Opcode", "align", "aligned_pairs", "slide"]

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


def slide(ops: list[Opcode], a: Sequence[str], b: Sequence[str], a_marks: Callable[[int], bool],
          b_marks: Callable[[int], bool]) -> None:
    """Shift pure deletions and insertions along repeated text so they start at a preferred index.

    In "X. Y. X. Y." minus one "X. Y." any of several stretches is a minimal diff; a clinical reading wants the
    one that drops whole sentences. ``a_marks``/``b_marks`` say which indices are preferred starts; ties go
    to the smallest shift. Equal neighbours keep at least one token unless they open or close the text.
    """
    idx = -1
    while idx + 1 < len(ops):
        idx += 1
        tag, i1, i2, j1, j2 = ops[idx]
        if tag not in ("delete", "insert"):
            continue
        prev = ops[idx - 1] if idx > 0 else None
        nxt = ops[idx + 1] if idx + 1 < len(ops) else None
        if (prev is not None and prev[0] != "equal") or (nxt is not None and nxt[0] != "equal"):
            continue
        keys, lo, hi, marks = (a, i1, i2, a_marks) if tag == "delete" else (b, j1, j2, b_marks)
        other_lo = (prev[1] if tag == "delete" else prev[3]) if prev else lo
        other_hi = (nxt[2] if tag == "delete" else nxt[4]) if nxt else hi
        floor = other_lo + (1 if prev is not None and idx - 1 > 0 else 0)
        ceil = other_hi - (1 if nxt is not None and idx + 1 < len(ops) - 1 else 0)
        d_min = 0
        while lo + d_min - 1 >= floor and keys[lo + d_min - 1] == keys[hi + d_min - 1]:
            d_min -= 1
        d_max = 0
        while hi + d_max < ceil and keys[lo + d_max] == keys[hi + d_max]:
            d_max += 1
        if d_min == d_max == 0:
            continue
        end = len(keys)
        best = min(range(d_min, d_max + 1),
                   key=lambda d: (not marks(lo + d), not marks(hi + d) and hi + d != end, abs(d)))
        if best == 0:
            continue
        ops[idx] = (tag, i1 + best, i2 + best, j1 + best, j2 + best)
        # The equal stretch before the hunk gives or takes ``best`` tokens, the one after takes or gives them.
        if prev is not None:
            ops[idx - 1] = ("equal", prev[1], prev[2] + best, prev[3], prev[4] + best)
        else:
            ops.insert(idx, ("equal", i1, i1 + best, j1, j1 + best))
            idx += 1
        if nxt is not None:
            ops[idx + 1] = ("equal", nxt[1] + best, nxt[2], nxt[3] + best, nxt[4])
        else:
            ops.insert(idx + 1, ("equal", i2 + best, i2, j2 + best, j2))
    ops[:] = [op for op in ops if op[0] != "equal" or op[2] > op[1]]
