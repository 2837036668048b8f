"""The battery against a real, slow system: reduction against plain sequential Hypothesis shrinking, throughput
against the system's capacity, every distinct loss of a four-defect system, and the full default battery's wall time.

    python benchmarks/bench_latency.py            # the full run (about 20 minutes on two shared cores)
    python benchmarks/bench_latency.py --quick    # 0.3 s only, fewer examples (a smoke test)

The system is ``tests/slow_peer.py``: an HTTP peer in its own process that holds each request ``latency`` seconds
in one of ``capacity`` slots (requests beyond that queue), reached through the ``python:slow_peer:client`` target
over loopback. Its defects are real transformations of the stored text (``slow_peer.transform``).

1. **Reduction**, per finding, in the same run: journal_fuzz (:func:`journal_fuzz.battery.run`: generation goes on,
   then each distinct loss is reduced with K=16 in flight) next to plain sequential Hypothesis (one payload per
   example, the same strategy, raising on the same signature, its own shrinker), from the first failure to the
   minimal case: round trips, wall time, wall time in round-trip latencies (target <= 10) and minimal size
   (target: the same or smaller). Systems: a negation dropped after a verb of finding, in one sentence of long
   notes (1,500-3,000 characters); and a cut at 2,000 characters (property ``lengths``).
2. **Throughput**: a faithful system with 1 s latency and room for 16 at once; payloads per second while the
   battery generates and sends, against the capacity (16/s): the pipeline (K=16 in flight back to back) next to
   the batch-at-a-time loop the battery used before (each example's batch waits for its slowest member).
3. **Distinct losses**: a system with four independent defects (negation after a verb, cut at 2,000, decimal comma
   dropped, micro written as milli) through the ten text properties in one run: which defects are reported, and
   how many distinct losses.
4. **The full default battery** (``pytest --journal-fuzz=python:slow_peer:client``, profile quick, sv and en)
   against the 1 s system: wall time sequentially and with ``-n 4`` (pytest-xdist runs items concurrently).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from journal_fuzz import strategies as jst
from journal_fuzz.adapters.base import Adapter, adapter_for
from journal_fuzz.battery import PROPERTIES, Property, RunConfig, run
from journal_fuzz.constants import TEXT
from journal_fuzz.exchange import Exchange, payload_of, send, send_many
from journal_fuzz.reduce import matching, size_of

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from slow_peer import SlowPeer  # noqa: E402

CAPACITY = 16
LONG_NOTES = Property("long-notes", TEXT, "notes of 1,500-3,000 characters",
                      lambda lang, _v, lex=(): jst.notes(lang, min_size=1500, max_size=3000, lexicons=lex))
LENGTHS = next(p for p in PROPERTIES if p.name == "lengths")
DEFECT_FAMILIES = {"negation after a verb": ("cue-lost:ingen", "cue-lost:inget", "cue-lost:inga"),
                   "cut at 2000": ("truncated:cut near 2000",), "decimal comma dropped": ("number-changed:,→",),
                   "micro as milli": ("unit-changed:µ→m", "unit-changed:μ→m")}


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def target(peer: SlowPeer) -> Adapter:
    os.environ["SLOW_PEER_URL"] = peer.url
    adapter = adapter_for("python:slow_peer:client")
    adapter.start()
    return adapter


# -- 1. reduction ------------------------------------------------------------------------------------------------
@dataclass
class Shrunk:
    round_trips: int
    seconds: float
    size: int
    original: int
    finished: bool = True


class _Lost(AssertionError):
    pass


def hypothesis_shrink(adapter: Adapter, prop: Property, sig: str, concept: bool, examples: int,
                      limit: float) -> Shrunk | None:
    """Plain sequential Hypothesis: one payload per example, raise on ``sig``, let Hypothesis shrink; count the
    sends from the first failure to the end. After ``limit`` seconds of shrinking it stops sending (every example
    then passes, so Hypothesis ends) and the row says so."""
    state: dict[str, Any] = {"first": None, "after": 0, "best": None, "stopped": False}

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=False,
              phases=[Phase.generate, Phase.shrink], report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(prop.strategy("sv", "R4B", ()))
    def test(item: Any) -> None:
        if state["first"] is not None:
            if time.monotonic() - state["first"] > limit:
                state["stopped"] = True
                return
            state["after"] += 1
        exchange = send(adapter, payload_of(item))
        if matching(exchange.verdict, sig, concept=concept) is not None:
            if state["first"] is None:
                state["first"] = time.monotonic()
                state["original"] = size_of(exchange.payload)
            if state["best"] is None or size_of(exchange.payload) < size_of(state["best"].payload):
                state["best"] = exchange
            raise _Lost

    with contextlib.suppress(Exception):  # the failure Hypothesis re-raises (flaky, once sending stopped at limit)
        test()
    if state["first"] is None:
        return None
    seconds = time.monotonic() - state["first"]
    best: Exchange = state["best"]
    return Shrunk(state["after"], min(seconds, limit) if state["stopped"] else seconds, size_of(best.payload),
                  state["original"], not state["stopped"])


def part1(latencies: list[float], examples: int, limit: float) -> None:
    print(f"\n1. Reduction per finding, first failure to minimal case (K={CAPACITY}; load {load()})")
    print(f"   {'system':<30} {'latency':>7}  {'method':<34} {'round trips':>11} {'wall s':>7} {'latencies':>9} "
          f"{'chars':>13}")
    scenarios = [("negation after a verb", ["cue-after-verb"], LONG_NOTES), ("cut at 2000", ["cut=2000"], LENGTHS)]
    for latency in latencies:
        for name, defects, prop in scenarios:
            with SlowPeer(latency, CAPACITY, defects) as peer:
                adapter = target(peer)
                outcome = run(prop, "sv", adapter, RunConfig(examples=examples, concurrency=CAPACITY,
                                                            derandomize=True))
                if not outcome.losses:
                    print(f"   {name:<30} {latency:>6g}s  journal_fuzz found no loss ({outcome.status})")
                    continue
                for loss in outcome.losses[:3]:
                    r = loss.reduction
                    assert r is not None
                    print(f"   {name:<30} {latency:>6g}s  {'journal_fuzz ' + loss.signature[:21]:<34} "
                          f"{r.round_trips:>11} {r.seconds:>7.1f} {r.seconds / latency:>9.1f} "
                          f"{r.original_size:>6} → {r.size:<5}{'' if r.complete else ' (not fully reduced)'}")
                loss = outcome.losses[0]
                concept = bool(loss.first and matching(loss.first.verdict, loss.signature, concept=True))
                base = hypothesis_shrink(adapter, prop, loss.signature, concept, examples * 4, limit)
                if base is None:
                    print(f"   {name:<30} {latency:>6g}s  {'Hypothesis (sequential)':<34} found no failure")
                    continue
                r = loss.reduction
                assert r is not None
                note = "" if base.finished else f" (stopped after {limit:g} s, still shrinking)"
                print(f"   {name:<30} {latency:>6g}s  {'Hypothesis (sequential)':<34} {base.round_trips:>11} "
                      f"{base.seconds:>7.1f} {base.seconds / latency:>9.1f} {base.original:>6} → {base.size:<5}{note}")
                print(f"   {'':<30} {'':>7}  {'ratio (Hypothesis/jf)':<34} "
                      f"{base.round_trips / max(1, r.round_trips):>10.1f}x {base.seconds / max(r.seconds, 1e-9):>6.1f}x"
                      f"   minimal size {'same or smaller' if r.size <= base.size else 'LARGER'} "
                      f"({r.size} vs {base.size})")


# -- 2. throughput -----------------------------------------------------------------------------------------------
def batch_at_a_time(adapter: Adapter, prop: Property, examples: int) -> int:
    """The loop the battery ran before the pipeline: each example's 1..K payloads sent together, the next example
    only when all are back."""
    sent = [0]

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.lists(prop.strategy("sv", "R4B", ()), min_size=1, max_size=CAPACITY))
    def test(batch: list[Any]) -> None:
        send_many(adapter, [payload_of(i) for i in batch], concurrency=CAPACITY)
        sent[0] += len(batch)

    test()
    return sent[0]


def part2(latency: float, examples: int, names: list[str]) -> None:
    print(f"\n2. Throughput against a faithful system: {latency:g} s latency, capacity {CAPACITY} "
          f"({CAPACITY / latency:g} payloads/s) (load {load()})")
    print(f"   {'property':<14} {'method':<26} {'payloads':>8} {'wall s':>7} {'payloads/s':>10} {'of capacity':>11}")
    for name in names:
        prop = next(p for p in PROPERTIES if p.name == name)
        with SlowPeer(latency, CAPACITY) as peer:
            adapter = target(peer)
            before = peer.stats()
            outcome = run(prop, "sv", adapter, RunConfig(examples=examples, concurrency=CAPACITY, derandomize=True))
            busy = peer.stats()["busy_seconds"] - before["busy_seconds"]
            wall = outcome.generating
            print(f"   {name:<14} {'pipeline (K=16 in flight)':<26} {outcome.sent:>8} {wall:>7.1f} "
                  f"{outcome.sent / wall:>10.1f} {busy / (CAPACITY * wall):>11.2f}")
            before = peer.stats()
            started = time.monotonic()
            sent = batch_at_a_time(adapter, prop, examples)
            wall = time.monotonic() - started
            busy = peer.stats()["busy_seconds"] - before["busy_seconds"]
            print(f"   {name:<14} {'batch at a time (before)':<26} {sent:>8} {wall:>7.1f} {sent / wall:>10.1f} "
                  f"{busy / (CAPACITY * wall):>11.2f}")


# -- 3. distinct losses ------------------------------------------------------------------------------------------
def part3(latency: float, examples: int) -> None:
    defects = ["cue-after-verb", "cut=2000", "decimal-comma", "micro"]
    print(f"\n3. Distinct losses of one system with four independent defects ({', '.join(defects)}; {latency:g} s "
          f"latency), the ten text properties in Swedish, one run (load {load()})")
    found: dict[str, list[str]] = {}
    started = time.monotonic()
    with SlowPeer(latency, CAPACITY, defects) as peer:
        adapter = target(peer)
        for prop in (p for p in PROPERTIES if p.carries == TEXT):
            outcome = run(prop, "sv", adapter, RunConfig(examples=examples, concurrency=CAPACITY, derandomize=True))
            sigs = [loss.signature for loss in outcome.losses]
            print(f"   {outcome.item_name:<16} {outcome.status:<8} {len(sigs)} distinct: {', '.join(sigs)}")
            for sig in sigs:
                found.setdefault(sig, []).append(outcome.item_name)
    covered = [d for d, family in DEFECT_FAMILIES.items() if any(s.startswith(family) for s in found)]
    other = [s for s in found if not any(s.startswith(f) for fam in DEFECT_FAMILIES.values() for f in fam)]
    print(f"   defects reported: {len(covered)} of {len(DEFECT_FAMILIES)} ({', '.join(covered)}); "
          f"{len(found)} distinct signatures in the run"
          + (f"; not from a defect: {', '.join(other)}" if other else "")
          + f"; {time.monotonic() - started:.0f} s")


# -- 4. the full default battery ---------------------------------------------------------------------------------
def part4(latency: float, workers: list[int], defects: list[str]) -> None:
    what = "faithful" if not defects else "four-defect"
    print(f"\n4. The full default battery (profile quick, sv+en) against the {what} {latency:g} s system "
          f"(load {load()})")
    with SlowPeer(latency, CAPACITY, defects) as peer, tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, SLOW_PEER_URL=peer.url, PYTHONPATH=os.pathsep.join([str(TESTS),
                                                                                    os.environ.get("PYTHONPATH", "")]))
        env.pop("CI", None)
        for n in workers:
            for concurrency in (8, 16):
                args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--journal-fuzz=python:slow_peer:client", "--journal-fuzz-profile=quick",
                        f"--journal-fuzz-concurrency={concurrency}", "--journal-fuzz-seed=1"]
                if n:
                    args += ["-n", str(n)]
                before = peer.stats()
                started = time.monotonic()
                done = subprocess.run(args, cwd=tmp, env=env, capture_output=True, text=True, check=False)
                wall = time.monotonic() - started
                served = peer.stats()["served"] - before["served"]
                last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
                print(f"   {'-n ' + str(n) if n else 'sequential':<11} concurrency {concurrency:>2}: {wall:>6.1f} s, "
                      f"{served} round trips ({served / wall:.1f}/s of {CAPACITY / latency:g}/s)   {last}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--parts", default="1234")
    args = parser.parse_args()
    print(f"bench_latency: {os.cpu_count()} cores, load {load()}")
    if "1" in args.parts:
        part1([0.3] if args.quick else [0.3, 1.0], 10 if args.quick else 25, 120 if args.quick else 400)
    if "2" in args.parts:
        part2(1.0, 10 if args.quick else 25, ["notes", "negations"] if args.quick else
              ["notes", "negations", "medications", "structure"])
    if "3" in args.parts:
        part3(0.3, 10 if args.quick else 25)
    if "4" in args.parts:
        part4(1.0, [0] if args.quick else [0, 4], [])
        if not args.quick:
            part4(1.0, [4], ["cue-after-verb", "cut=2000", "decimal-comma", "micro"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
