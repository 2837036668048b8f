"""Throughput of the web adapter: payloads per second through a real Chromium with K pages at once.

    python benchmarks/bench_web.py            # textarea and CKEditor 5, typed and pasted, K = 1, 4, 8
    python benchmarks/bench_web.py --quick    # fewer notes (a smoke test)

Needs Debian's Chromium, Playwright (``pip install -e '.[web]'``) and the test editors (``npm ci --prefix
tests/webapps``). The same Swedish notes (drawn once from a fixed seed, as the ``notes`` property draws them) go through
the test application's editor pages (tests/webapp_server.py on loopback) with :func:`journal_fuzz.exchange.send`:
open the editor page, enter the note, screenshot the editor, save, read the view page back, judge. Each K sends the
notes from K threads, as the battery does with ``--journal-fuzz-concurrency=K``; the ratio is against K = 1 in the
same run. The load average is printed: the machine has two cores, and a browser is CPU-bound.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from journal_fuzz import strategies as jst
from journal_fuzz.adapters.base import AdapterConfig, adapter_for
from journal_fuzz.exchange import TextPayload, send
from journal_fuzz.notes import Note

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import web_helpers
import webapp_server


def fixed_notes(n: int) -> list[Note]:
    out: list[Note] = []

    @seed(20261201)
    @settings(max_examples=12, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))  # the last draw: past the simplest ones
    @given(st.lists(jst.notes("sv", max_size=800), min_size=n, max_size=n))
    def draw(notes: list[Note]) -> None:
        out[:] = notes

    draw()
    return out


def rate(adapter_spec: str, variant: str, notes: list[Note], pages: int) -> tuple[float, int]:
    with adapter_for(adapter_spec, AdapterConfig(timeout=180)) as adapter:
        carrier = adapter.variant(variant)
        send(carrier, TextPayload(Note("Ingen feber.", "sv")))  # warm the first page and the browser cache
        started = time.monotonic()
        with ThreadPoolExecutor(pages) as pool:
            results = list(pool.map(lambda note: send(carrier, TextPayload(note)), notes))
        seconds = time.monotonic() - started
    return len(notes) / seconds, sum(not r.ok for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if not webapp_server.installed():
        print("the test editors are not installed: npm ci --prefix tests/webapps", file=sys.stderr)
        return 2
    n = 8 if args.quick else 24
    notes = fixed_notes(n)
    chars = sum(len(x.text) for x in notes)
    print(f"{n} Swedish notes, {chars} characters in all (median {sorted(len(x.text) for x in notes)[n // 2]}); "
          f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'editor':10} {'input':6} {'K':>2} {'payloads/s':>10} {'vs K=1':>7} {'lost':>5}")
    with webapp_server.WebApp() as app, tempfile.TemporaryDirectory() as tmp:
        for editor in ("textarea", "ckeditor"):
            path = web_helpers.recipe(Path(tmp), app.url, editor, inputs=("type", "paste"))
            for method in ("paste", "type"):
                base = 0.0
                for pages in (1, 4, 8):
                    per_second, lost = rate(f"web:{path}", method, notes, pages)
                    base = base or per_second
                    print(f"{editor:10} {method:6} {pages:>2} {per_second:>10.2f} {per_second / base:>6.2f}x "
                          f"{lost:>5}", flush=True)
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
