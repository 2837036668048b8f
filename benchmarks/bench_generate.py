"""How fast the generators are, next to bare Hypothesis in the same run, and what the notes carry.

    python benchmarks/bench_generate.py

Prints notes per second from ``notes()`` (plain and hostile), resources per second from ``fhir_documents()`` in
JSON and XML, and bare Hypothesis generating word-list strings with the same length distribution; the target is
at least half the bare rate for notes. Then the share of 400 notes (Swedish and English) carrying each feature.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz import strategies as jst

WORDS = ("patienten", "har", "feber", "sedan", "tre", "dagar", "och", "hosta", "status", "bedömning", "ua",
         "kontroll", "lungor", "hjärta", "buk", "mjuk", "ömhet", "återbesök", "planering", "remiss")


def rate(strategy: st.SearchStrategy[Any], examples: int, sink: Callable[[Any], None] = lambda x: None,
         repeat: int = 1) -> float:
    """Examples per second Hypothesis generates from ``strategy`` (generation phase only, no shrinking);
    the best of ``repeat`` runs."""
    @settings(max_examples=examples, database=None, phases=[Phase.generate], deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: Any) -> None:
        sink(value)

    best = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = max(best, examples / (time.perf_counter() - t0))
    return best


def main() -> int:
    lengths: list[int] = []
    print(f"journal_fuzz {jf.__version__} generator benchmark")
    print(f"{'strategy':<44}{'examples/s':>12}{'vs bare':>10}")
    rows: list[tuple[str, float]] = []
    rate(jst.notes("sv"), 400, lambda n: lengths.append(len(n.text)))  # the length distribution, and a warm-up
    bare = st.sampled_from(lengths).flatmap(
        lambda n: st.lists(st.sampled_from(WORDS), min_size=max(1, n // 8), max_size=max(1, n // 8)).map(" ".join))
    bare_rate = rate(bare, 600, repeat=3)
    notes_rate = rate(jst.notes("sv"), 600, repeat=3)
    rows.append(("bare Hypothesis word lists (same lengths)", bare_rate))
    rows.append(("notes('sv')", notes_rate))
    rows.append(("notes('en')", rate(jst.notes("en"), 400)))
    rows.append(("notes('sv', hostile=True)", rate(jst.notes("sv", hostile=True), 400)))
    rows.append(("fhir_documents(wires=['json'])", rate(jst.fhir_documents("sv", wires=["json"]), 150)))
    rows.append(("fhir_documents(wires=['xml'])", rate(jst.fhir_documents("sv", wires=["xml"]), 150)))
    for name, r in rows:
        print(f"{name:<44}{r:>12.0f}{r / bare_rate:>9.2f}x")
    mean = sum(lengths) / len(lengths)
    print(f"(mean note length {mean:.0f} characters, longest {max(lengths)})")

    counts: Counter[str] = Counter()
    total = 0

    def tally(note: jf.Note) -> None:
        nonlocal total
        total += 1
        counts.update(note.features)

    rate(st.sampled_from(["sv", "en"]).flatmap(lambda lang: jst.notes(lang, hostile=True)), 400, tally)
    print(f"\nshare of {total} hostile-mode notes (sv and en) carrying each feature:")
    shown = [f for f in sorted(counts, key=lambda f: -counts[f]) if not f.startswith(("unit-", "length-"))]
    for feature in shown:
        print(f"  {feature:<26}{100 * counts[feature] / total:5.1f}%")
    ok = notes_rate >= bare_rate / 2
    print(f"\nnotes('sv') at {notes_rate / bare_rate:.2f}x the bare rate: target (>= 0.5x) {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
