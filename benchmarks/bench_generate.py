"""How fast the generators are, next to bare Hypothesis in the same run, and what the notes carry.

    python benchmarks/bench_generate.py

Prints notes per second from ``notes()`` (plain and hostile), resources per second from ``fhir_documents()`` in
JSON and XML, and bare Hypothesis generating word-list strings with the same length distribution; the target is
at least half the bare rate for notes. Then the choices Hypothesis makes per note, and the share of 1,000
seeded notes (Swedish and English) carrying each feature.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz import strategies as jst

WORDS = ("patienten", "har", "feber", "sedan", "tre", "dagar", "och", "hosta", "status", "bedömning", "ua",
         "kontroll", "lungor", "hjärta", "buk", "mjuk", "ömhet", "återbesök", "planering", "remiss")


def shares_of(strategy: st.SearchStrategy[Any], examples: int, sink: Callable[[Any], None]) -> None:
    """Feed ``examples`` seeded (not derandomised) values to ``sink``: a derandomised run starts from the simplest
    notes and mutates a few, a sample too alike to measure shares with (the tests measure the same way)."""
    @seed(20241112)
    @settings(max_examples=examples, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: Any) -> None:
        sink(value)

    run()


def rate(strategy: st.SearchStrategy[Any], examples: int, sink: Callable[[Any], None] = lambda x: None,
         repeat: int = 1) -> float:
    """Examples per second Hypothesis generates from ``strategy`` (generation phase only, no shrinking);
    the best of ``repeat`` runs. Counted, not assumed: a strategy with few distinct values ends the run early."""
    ran = 0

    @settings(max_examples=examples, database=None, phases=[Phase.generate], deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: Any) -> None:
        nonlocal ran
        ran += 1
        sink(value)

    best = 0.0
    for _ in range(repeat):
        ran = 0
        t0 = time.perf_counter()
        run()
        best = max(best, ran / (time.perf_counter() - t0))
    return best


def bare_strategies(sizes: list[int], buckets: int = 8) -> list[tuple[int, st.SearchStrategy[str]]]:
    """Bare Hypothesis at the sample's own lengths: word lists of a fixed length (a word and a space, ~8
    characters), one per bucket of the sample's lengths (equal counts, each at its bucket's mean: the bare cost
    is linear in length within a bucket), with how many of the sample each stands for.

    Letting Hypothesis pick a length from the sample (``sampled_from(sizes)``) does not give the sample's lengths:
    a derandomised run starts at the first and mutates near it (342 characters on average for a sample of 482,
    measured), so the ratio moved with the sample's order and not with the generators' speed."""
    words = sorted(max(1, size // 8) for size in sizes)
    out = []
    for b in range(buckets):
        chunk = words[b * len(words) // buckets:(b + 1) * len(words) // buckets]
        if chunk:
            k = round(sum(chunk) / len(chunk))
            out.append((len(chunk), st.lists(st.sampled_from(WORDS), min_size=k, max_size=k).map(" ".join)))
    return out


def compare(strategy: st.SearchStrategy[Any], n: int, rounds: int = 5) -> tuple[float, float, list[int]]:
    """``strategy``'s rate, bare Hypothesis's rate at the same lengths, and the lengths."""
    sizes: list[int] = []
    rate(strategy, n, lambda x: sizes.append(_size(x)))  # the length distribution; warms up
    bare = bare_strategies(sizes)
    # Interleaved, best of five each: the machine's speed drifts by ±20% over a minute, and taking one side's
    # runs before the other's would put that drift into the ratio.
    seconds = [float("inf")] * len(bare)  # the best per-example time of each bucket
    own = 0.0
    for _ in range(rounds):
        for b, (_count, words) in enumerate(bare):
            seconds[b] = min(seconds[b], 1 / rate(words, max(20, n // 4)))
        own = max(own, rate(strategy, n))
    return own, len(sizes) / sum(count * t for (count, _words), t in zip(bare, seconds, strict=True)), sizes


def choices_per_example(strategy: st.SearchStrategy[Any], examples: int = 300) -> float:
    """Mean number of choices Hypothesis makes for one freshly generated example (its cost is per choice).
    Reads Hypothesis's test-case object directly; NaN where its internals differ from 6.170's."""
    try:
        from hypothesis.errors import StopTest
        from hypothesis.internal.conjecture.data import ConjectureData
    except ImportError:
        return float("nan")
    counts = []
    for k in range(examples):
        try:
            data = ConjectureData(prefix=(), random=random.Random(k), max_choices=100_000)
            data.draw(strategy)
        except TypeError:
            return float("nan")
        except StopTest:  # an overrun: not a note
            continue
        counts.append(len(data.choices))
    return sum(counts) / len(counts) if counts else float("nan")


def main() -> int:
    print(f"journal_fuzz {jf.__version__} generator benchmark (derandomised, interleaved, best of five)")
    print(f"{'strategy':<40}{'examples/s':>12}{'bare, same lengths':>20}{'ratio':>8}")
    ratios: dict[str, float] = {}
    lengths: list[int] = []
    for name, strategy, n in (("notes('sv')", jst.notes("sv"), 600), ("notes('en')", jst.notes("en"), 600),
                              ("notes('sv', hostile=True)", jst.notes("sv", hostile=True), 600),
                              ("fhir_documents(wires=['json'])", jst.fhir_documents("sv", wires=["json"]), 150),
                              ("fhir_documents(wires=['xml'])", jst.fhir_documents("sv", wires=["xml"]), 150)):
        own, bare_rate, sizes = compare(strategy, n)
        ratios[name] = own / bare_rate
        print(f"{name:<40}{own:>12.0f}{bare_rate:>20.0f}{own / bare_rate:>7.2f}x")
        if name.startswith("notes"):
            lengths += sizes
    print(f"(mean note length {sum(lengths) / len(lengths):.0f} characters, longest {max(lengths)})")
    print("choices per freshly generated note: " + ", ".join(
        f"{lang} {choices_per_example(jst.notes(lang)):.0f}" for lang in ("sv", "en")))

    counts: Counter[str] = Counter()
    total = 0

    def tally(note: jf.Note) -> None:
        nonlocal total
        total += 1
        counts.update(note.features)

    shares_of(st.sampled_from(["sv", "en"]).flatmap(lambda lang: jst.notes(lang, hostile=True)), 1000, tally)
    print(f"\nshare of {total} hostile-mode notes (sv and en) carrying each feature:")
    shown = [f for f in sorted(counts, key=lambda f: -counts[f]) if not f.startswith(("unit-", "length-"))]
    for feature in shown:
        print(f"  {feature:<26}{100 * counts[feature] / total:5.1f}%")
    for lang in ("sv", "en"):
        shares: Counter[str] = Counter()
        seen = 0

        def count(note: jf.Note, shares: Counter[str] = shares) -> None:
            nonlocal seen
            seen += 1
            shares.update(note.features)

        shares_of(jst.notes(lang), 1000, count)
        print(f"\nconstructions in {seen} ordinary notes() ({lang}):")
        for name in jst.CONSTRUCTIONS:
            print(f"  {name:<22}{100 * shares['construction:' + name] / seen:5.1f}%")
        print("  " + ", ".join(f"{f} {100 * shares[f] / seen:.1f}%"
                               for f in ("hl7-delimiters", "markup", "angle-brackets", "tab", "non-latin1", "cr")))
    worst = min(v for k, v in ratios.items() if k.startswith("notes"))
    ok = worst >= 0.5
    print(f"\nslowest notes() strategy at {worst:.2f}x the bare rate: target (>= 0.5x) {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


def _size(value: Any) -> int:
    """Characters of text a generated value carries (a note's text, a document's notes)."""
    if isinstance(value, jf.Note):
        return len(value.text)
    return sum(len(n.text) for n in value.notes)


if __name__ == "__main__":
    sys.exit(main())
