"""The Myers alignment is correct and minimal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from journal_fuzz.align import align, aligned_pairs, slide


def _lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


tokens = st.lists(st.sampled_from(["ingen", "feber", ".", "hosta", "ej", "2,5", "mg"]), max_size=40)


@given(tokens, tokens)
def test_opcodes_rebuild_b_and_are_minimal(a: list[str], b: list[str]) -> None:
    ops = align(a, b)
    rebuilt: list[str] = []
    equal = 0
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
            equal += i2 - i1
        rebuilt.extend(b[j1:j2])
    assert rebuilt == b
    assert equal == _lcs(a, b)


@given(tokens, tokens)
def test_sliding_keeps_the_diff_valid(a: list[str], b: list[str]) -> None:
    ops = align(a, b)
    slide(ops, a, b, lambda i: i % 3 == 0, lambda j: j % 3 == 0)
    a2b, _b2a = aligned_pairs(ops, len(a), len(b))
    assert all(j < 0 or a[i] == b[j] for i, j in enumerate(a2b))
    kept = [j for j in a2b if j >= 0]
    assert kept == sorted(kept) and len(kept) == _lcs(a, b)


def test_deletion_slides_to_a_whole_sentence() -> None:
    a = ["x", ".", "y", "z", ".", "x", ".", "y", "z", "."]
    b = ["x", ".", "y", "z", "."]
    ops = align(a, b)
    slide(ops, a, b, {0, 2, 5, 7}.__contains__, {0, 2}.__contains__)
    deletes = [op for op in ops if op[0] != "equal"]
    assert len(deletes) == 1 and deletes[0][1] in (0, 2, 5, 7)
