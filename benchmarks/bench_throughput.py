"""End-to-end throughput of the battery against a faithful in-process system, next to bare Hypothesis in the same
run, and what ``pytest -n 2`` buys on two cores.

    python benchmarks/bench_throughput.py            # the full run
    python benchmarks/bench_throughput.py --quick    # fewer examples (a smoke test)

Part 1 times :func:`journal_fuzz.battery.run` (derandomised, Swedish and English) from generation through the round
trip to the verdict, so the cost a real target adds is on top of these numbers: property ``notes`` through an
identity function, one note at a time and in batches of up to eight (the plugin's default concurrency, drawn as the
battery draws them); ``fhir-notes`` and
``fhir-narrative``, each restricted to one wire form, through an adapter that writes the resource with
:func:`journal_fuzz.fhir.to_wire` and reads it back with :func:`~journal_fuzz.fhir.from_wire`. Each row also gives
the generation-only rate of the same strategy and bare Hypothesis drawing word-list strings of the same lengths
(doing nothing with them): the ratio is the harness's whole cost relative to Hypothesis's floor.

Part 2 runs ``pytest --journal-fuzz=python:MODULE:FUNC`` in a temporary directory as a subprocess, once plainly
and once with ``-n 2`` (pytest-xdist), with the same seed, and compares wall-clock times (the fastest of a few
alternated pairs). Both parts print the load average: on two cores, anything else running eats the speed-up.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz import strategies as jst
from journal_fuzz.adapters.base import FHIR, TEXT, Adapter, AdapterConfig
from journal_fuzz.adapters.python import FunctionAdapter
from journal_fuzz.battery import PROPERTIES, Property, RunConfig, run
from journal_fuzz.fhir import from_wire, to_wire
from journal_fuzz.strategies.fhir import FhirDocument

LANGUAGES = ("sv", "en")
WORDS = ("patienten", "har", "feber", "sedan", "tre", "dagar", "och", "hosta", "status", "bedömning", "ua",
         "kontroll", "lungor", "hjärta", "buk", "mjuk", "ömhet", "återbesök", "planering", "remiss")


class WireRoundTripAdapter(Adapter):
    """A faithful FHIR system: serialise to the payload's wire form and parse it back, as a server would."""

    carries: ClassVar[frozenset[str]] = frozenset({FHIR})

    def roundtrip_fhir(self, resource: dict[str, Any], *, wire: str, uid: str) -> dict[str, Any]:
        version = self.config.fhir_version
        return from_wire(to_wire(resource, wire, version), wire, version)


def size_of(item: jf.Note | FhirDocument) -> int:
    """Characters of note text a payload carries (what the bare baseline matches)."""
    return len(item.text) if isinstance(item, jf.Note) else sum(len(n.text) for n in item.notes)


def recording(prop: Property, sizes: list[int]) -> Property:
    """``prop`` with every generated payload's size noted, for a baseline of the same lengths."""
    def note(item: Any) -> Any:
        sizes.append(size_of(item))
        return item

    def strategy(language: str, version: str) -> st.SearchStrategy[Any]:
        return prop.strategy(language, version).map(note)
    return Property(prop.name, prop.carries, prop.description, strategy)


def one_wire(name: str, wire: str) -> Property:
    """The battery's FHIR property ``name`` with the same kinds and hostility, on one wire form only (the kinds
    repeat those in ``battery.PROPERTIES``, which keeps only the strategy's factory)."""
    base = next(p for p in PROPERTIES if p.name == name)
    kinds, hostile = {"fhir-notes": (["Observation", "Condition", "AllergyIntolerance", "MedicationRequest",
                                      "DiagnosticReport"], False),
                      "fhir-narrative": (["Composition"], True)}[name]
    return Property(f"{name} ({wire})", FHIR, base.description,
                    lambda lang, version: jst.fhir_documents(lang, version=version, kinds=kinds, hostile=hostile,
                                                             max_note_size=3000, wires=[wire]))


def gen_rate(strategy: st.SearchStrategy[Any], batches: list[int], repeat: int) -> float:
    """Payloads per second Hypothesis generates from ``strategy`` in batches of the sizes the battery drew, doing
    nothing with them (best of ``repeat``)."""
    drawn_as: st.SearchStrategy[list[Any]]
    if set(batches) == {1}:
        drawn_as = strategy.map(lambda x: [x])
    else:  # one list strategy per size, built once: a strategy built per draw costs Hypothesis a validation
        by_size = {k: st.lists(strategy, min_size=k, max_size=k) for k in set(batches)}
        drawn_as = st.sampled_from(batches).flatmap(by_size.__getitem__)

    @settings(max_examples=len(batches), database=None, phases=[Phase.generate], deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(drawn_as)
    def nothing(value: list[Any]) -> None:
        drawn.append(len(value))

    best = 0.0
    for _ in range(repeat):
        drawn: list[int] = []
        t0 = time.perf_counter()
        nothing()
        best = max(best, sum(drawn) / (time.perf_counter() - t0))
    return best


def bare_words(sizes: list[int]) -> st.SearchStrategy[str]:
    """Word-list strings with the length distribution of ``sizes`` (about 8 characters a word)."""
    return st.sampled_from(sizes).flatmap(
        lambda k: st.lists(st.sampled_from(WORDS), min_size=max(1, k // 8), max_size=max(1, k // 8)).map(" ".join))


@dataclass
class Row:
    name: str
    payloads: int
    rate: float
    generate_only: float
    bare: float
    mean_size: float
    status: str


def measure(name: str, prop: Property, adapter: Adapter, examples: int, concurrency: int = 1,
            repeat: int = 3) -> Row:
    """Payloads per second through ``prop`` in both languages against ``adapter`` (best of ``repeat``; the runs
    are derandomised, so each repeats the same work); then the same strategy generating only, and the bare
    baseline at the lengths actually sent, in batches of the sizes actually sent."""
    best, sent, statuses = 0.0, 0, set()
    sizes: dict[str, list[int]] = {}
    batches: dict[str, list[int]] = {}
    for _ in range(repeat):
        sent, seconds = 0, 0.0
        for language in LANGUAGES:
            sizes[language], batches[language] = [], []
            progress: list[int] = [0]

            def on_progress(total: int, _findings: int, progress: list[int] = progress,
                            batch_sizes: list[int] = batches[language]) -> None:
                batch_sizes.append(total - progress[0])
                progress[0] = total

            outcome = run(recording(prop, sizes[language]), language, adapter,
                          RunConfig(examples=examples, concurrency=concurrency, derandomize=True,
                                    on_progress=on_progress))
            sent += outcome.sent
            seconds += outcome.duration
            statuses.add(outcome.status)
            if outcome.loss is not None:
                print(f"  ! {name}-{language}: the faithful system lost words: {outcome.loss.verdict.explain()}",
                      file=sys.stderr)
            if outcome.error is not None:
                print(f"  ! {name}-{language}: {outcome.status}: {outcome.error}", file=sys.stderr)
        best = max(best, sent / seconds if seconds else 0.0)
    # Both languages' payloads over the time both take, as for the run.
    seconds_gen = sum(sum(batches[lang]) / gen_rate(prop.strategy(lang, "R4B"), batches[lang], repeat)
                      for lang in LANGUAGES if batches[lang])
    gen = sum(sum(b) for b in batches.values()) / seconds_gen if seconds_gen else 0.0
    all_sizes = [k for lang in LANGUAGES for k in sizes[lang]] or [80]
    all_batches = [k for lang in LANGUAGES for k in batches[lang]] or [1]
    bare = gen_rate(bare_words(all_sizes), all_batches, repeat)
    return Row(name, sent, best, gen, bare, sum(all_sizes) / len(all_sizes), "/".join(sorted(statuses)))


def part1(text_examples: int, fhir_examples: int, repeat: int) -> list[Row]:
    """Text through an identity function, then each FHIR property on each wire through to_wire/from_wire."""
    notes = next(p for p in PROPERTIES if p.name == "notes")
    identity = FunctionAdapter("identity", lambda text: text)
    fhir = WireRoundTripAdapter("in-process to_wire/from_wire", AdapterConfig())
    assert TEXT in identity.carries and FHIR in fhir.carries
    rows = [measure("notes, 1 at a time", notes, identity, text_examples, 1, repeat),
            measure("notes, up to 8 at a time", notes, identity, text_examples // 4, 8, repeat)]
    for name in ("fhir-notes", "fhir-narrative"):
        for wire in ("json", "xml"):
            rows.append(measure(f"{name}, {wire.upper()}", one_wire(name, wire), fhir, fhir_examples, 1, repeat))
    return rows


@dataclass
class PytestRun:
    args: list[str]
    seconds: float
    returncode: int
    summary: str
    payloads: int | None


FAITHFUL_MODULE = textwrap.dedent('''\
    """A faithful text system for the throughput benchmark: everything sent comes back unchanged."""


    def keep(text: str) -> str:
        return text
''')


def run_pytest(workdir: Path, extra: list[str], examples: int, seed: int) -> PytestRun:
    """``pytest --journal-fuzz=python:faithful_target:keep`` in ``workdir`` as a subprocess, timed wall-clock."""
    args = [sys.executable, "-m", "pytest", "--journal-fuzz=python:faithful_target:keep",
            f"--journal-fuzz-examples={examples}", f"--journal-fuzz-seed={seed}", "-p", "no:cacheprovider", "-q",
            *extra]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(workdir), *filter(None, [env.get("PYTHONPATH")])])
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    summary = next((ln.strip("= ") for ln in reversed(lines) if re.search(r"\b(passed|failed|error)", ln)), "")
    m = re.search(r"^(\d+) payloads sent", proc.stdout, re.M)
    if proc.returncode != 0:
        print(f"  ! pytest {' '.join(extra) or '(plain)'} exited {proc.returncode}:\n"
              + textwrap.indent("\n".join((proc.stdout + proc.stderr).splitlines()[-25:]), "    "), file=sys.stderr)
    return PytestRun(args[3:], seconds, proc.returncode, summary, int(m.group(1)) if m else None)


def part2(examples: int, pairs: int, seed: int = 20241126) -> tuple[PytestRun, PytestRun]:
    """The fastest of ``pairs`` plain and ``-n 2`` runs, alternated so a neighbour's load hits both alike."""
    plain: PytestRun | None = None
    parallel: PytestRun | None = None
    with tempfile.TemporaryDirectory(prefix="jf-throughput-") as tmp:
        workdir = Path(tmp)
        (workdir / "faithful_target.py").write_text(FAITHFUL_MODULE, encoding="utf-8")
        for _ in range(pairs):
            r = run_pytest(workdir, [], examples, seed)
            plain = r if plain is None or r.seconds < plain.seconds else plain
            r = run_pytest(workdir, ["-n", "2"], examples, seed)
            parallel = r if parallel is None or r.seconds < parallel.seconds else parallel
    assert plain is not None and parallel is not None
    return plain, parallel


def load() -> str:
    """The 1-minute load average: a busy second core is the first suspect when -n 2 shows no speed-up."""
    return f"load average {os.getloadavg()[0]:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer examples everywhere (a smoke test)")
    args = parser.parse_args()
    text_examples, fhir_examples, pytest_examples, pairs = (40, 10, 10, 1) if args.quick else (400, 100, 100, 2)
    repeat = 1 if args.quick else 2
    started = time.perf_counter()
    print(f"journal_fuzz {jf.__version__} end-to-end throughput, faithful in-process systems, derandomised, "
          f"sv and en; {os.cpu_count()} CPUs; {load()}\n")

    rows = part1(text_examples, fhir_examples, repeat)
    print("| payload (property, wire) | payloads | payloads/s | generate only/s | bare word lists, same lengths/s "
          "| ratio to bare | mean note chars | outcome |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.name} | {r.payloads} | {r.rate:.0f} | {r.generate_only:.0f} | {r.bare:.0f} | "
              f"{r.rate / r.bare:.2f}x | {r.mean_size:.0f} | {r.status} |")

    print(f"\npytest --journal-fuzz=python:faithful_target:keep --journal-fuzz-examples={pytest_examples} "
          f"(10 text properties x 2 languages), a subprocess in a temporary directory, wall-clock, fastest of "
          f"{pairs} alternated pairs:\n")
    plain, parallel = part2(pytest_examples, pairs)
    print("| run | wall-clock s | payloads | payloads/s | exit | pytest says |")
    print("|---|---|---|---|---|---|")
    for label, pr in (("-n 1 (plain)", plain), ("-n 2", parallel)):
        per_s = f"{pr.payloads / pr.seconds:.0f}" if pr.payloads else "?"
        print(f"| {label} | {pr.seconds:.1f} | {pr.payloads or '?'} | {per_s} | {pr.returncode} | {pr.summary} |")
    print(f"\nspeed-up with -n 2: {plain.seconds / parallel.seconds:.2f}x wall-clock (the same seed, so the same "
          "examples)")
    print(f"\nwhole run {time.perf_counter() - started:.1f} s; {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
