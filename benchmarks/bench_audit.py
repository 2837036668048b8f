"""The look-back audit at scale: a synthetic HL7 archive against a synthetic FHIR Bulk export, in one run.

    python benchmarks/bench_audit.py                    # one million records (about 15-25 minutes in all)
    python benchmarks/bench_audit.py --records 100000   # smaller
    python benchmarks/bench_audit.py --records 20000 --skip-dask --naive 5000    # a quick look

The notes are drawn from journal_fuzz's own generators (Swedish and English, derandomised; a pool reused across
records, each record with its own accession number and date). The sent side is an HL7 v2 archive (ORU^R01, OBR-3
the accession number, CR framing, batch envelopes, eight monthly files); the received side a FHIR Bulk Data export
(DocumentReference with a text/plain attachment, the accession number as an identifier, eight files, two gzipped).
Of the records, 0.1% lose words (journal_fuzz's lossy mutants, each checked by the oracle to be a real loss), 0.1%
are missing, 1% arrive identical and the rest with benign differences (CRLF, NFD, whitespace, re-wrapping, upper
case, trailing newline, combinations of these).

Printed, in one run:

1. records per second per worker for identical, benign-different and corrupt pairs: the audit's pair path
   (string equality, ``text.benign_equal``, then ``compare``), next to the naive loop (``compare`` on every pair,
   which since this change takes the same early exit inside the oracle) and to the oracle's benign path before it
   (tokenise both texts and compare their keys, as ``compare`` did);
2. the naive baseline on a prefix of the same export: both files loaded into dicts, ``compare`` in a loop (time,
   peak memory, and what its rate makes of the whole export);
3. ``journal-fuzz audit`` on the whole export with ``--workers 1``, ``--workers 2`` and on a two-worker Dask
   ``LocalCluster`` (a scheduler and two worker processes on loopback): wall time, peak memory (the resident set of
   every process involved, summed, sampled every 0.2 s), the scaling ratio;
4. found / planted: corrupt and missing records found, and benign records reported (must be 0).

The machine's load average is printed before and after: on a shared two-core machine anything else running eats
into the two-worker figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

import journal_fuzz as jf
from journal_fuzz import strategies as jst
from journal_fuzz.adapters.hl7v2 import build_message, note_text, parse_message
from journal_fuzz.audit.judge import judge_pair
from journal_fuzz.audit.sources import fhir_text
from journal_fuzz.audit.synthetic import Record, document_reference
from journal_fuzz.mutants import LOSSY, MUTANTS
from journal_fuzz.oracle import detect_language
from journal_fuzz.text import tokenize

BENIGN_RECIPES: list[tuple[str, ...]] = [("crlf",), ("nfd",), ("crlf", "nfd"), ("whitespace",), ("rewrap",),
                                         ("upper-case",), ("trailing-newline", "crlf"), ("nfd", "whitespace")]
FILES = 8
GZIPPED = 2
START = dt.datetime(2024, 11, 1, 7, 0, tzinfo=dt.UTC)


def pool_of_notes(size: int) -> list[tuple[str, str]]:
    notes: list[tuple[str, str]] = []
    for language in ("sv", "en"):
        @settings(max_examples=size // 2, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(jst.notes(language=language))
        def collect(note: jf.Note) -> None:
            notes.append((note.text, note.language))

        collect()
    return notes


def variants(notes: list[tuple[str, str]]) -> tuple[list[list[str]], list[list[tuple[str, str]]]]:
    """Per pool note: benign variants, and lossy ones (mutant name, text) the oracle confirms as losses."""
    benign: list[list[str]] = []
    lossy: list[list[tuple[str, str]]] = []
    rng = random.Random(7)
    for text, language in notes:
        outs = []
        for recipe in BENIGN_RECIPES:
            out = text
            for name in recipe:
                out = MUTANTS[name](out, language, rng) or out
            if out != text:
                outs.append(out)
        benign.append(outs or [text.replace("\n", "\r\n") + "\r\n"])
        found = []
        for mutant in rng.sample(LOSSY, len(LOSSY)):
            out = mutant(text, language, rng)
            if out is not None and not jf.compare(text, out, language).ok:
                found.append((mutant.name, out))
            if len(found) == 3:
                break
        lossy.append(found)
    return benign, lossy


def make_export(root: Path, n: int, notes: list[tuple[str, str]], benign: list[list[str]],
                lossy: list[list[tuple[str, str]]]) -> dict[str, set[str]]:
    rng = random.Random(11)
    with_loss = [i for i, v in enumerate(lossy) if v]
    planted = max(1, round(n * 0.001))
    special = rng.sample(range(n), 2 * planted + round(n * 0.01))
    corrupt, missing, identical = set(special[:planted]), set(special[planted:2 * planted]), set(special[2 * planted:])
    sent_dir, recv_dir = root / "sent", root / "received"
    sent_dir.mkdir(parents=True)
    recv_dir.mkdir(parents=True)
    per = -(-n // FILES)
    truth: dict[str, set[str]] = {"corrupt": set(), "missing": set(), "benign": set(), "identical": set()}
    for f in range(FILES):
        month = f"2024-{11 + f:02d}" if f < 2 else f"{2025 + (f - 2 + 1) // 12}-{(f - 2) % 12 + 1:02d}"
        name = f"DocumentReference_{f + 1}.ndjson" + (".gz" if f >= FILES - GZIPPED else "")
        opener: Callable[..., Any] = gzip.open if name.endswith(".gz") else open
        with open(sent_dir / f"ris-{month}.hl7", "wb") as hl7, opener(recv_dir / name, "wt", encoding="utf-8") as nd:
            hl7.write(b"FHS|^~\\&|RIS|SJUKHUSET\rBHS|^~\\&|RIS|SJUKHUSET\r")
            count = 0
            for i in range(f * per, min(n, (f + 1) * per)):
                key = f"RAD{i:09d}"
                p = (i * 7919) % len(notes) if i not in corrupt else with_loss[i % len(with_loss)]
                text, _language = notes[p]
                when = START + dt.timedelta(minutes=i * (240 * 24 * 60) // n)
                hl7.write(build_message(text, uid=key, now=when).encode("utf-8"))
                count += 1
                if i in missing:
                    truth["missing"].add(key)
                    continue
                if i in corrupt:
                    stored, kind = lossy[p][i % len(lossy[p])][1], "corrupt"
                elif i in identical:
                    stored, kind = text, "identical"
                else:
                    stored, kind = benign[p][i % len(benign[p])], "benign"
                truth[kind].add(key)
                nd.write(json.dumps(document_reference(Record(key, stored, when), i), ensure_ascii=False,
                                    separators=(",", ":")) + "\n")
            hl7.write(f"BTS|{count}\rFTS|1\r".encode())
    return truth


# ---------------------------------------------------------------------------------------------------------
def rate(pairs: list[tuple[str, str, str]], fn: Callable[[str, str, str], Any], seconds: float = 3.0) -> float:
    done = 0
    start = time.perf_counter()
    while True:
        for s, r, lang in pairs:
            fn(s, r, lang)
            done += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def before_fast_path(s: str, r: str, lang: str) -> bool:
    """What compare did for a benign pair before text.benign_equal: guess the language, tokenise both."""
    detect_language(s)
    return tokenize(s).keys == tokenize(r).keys


def pair_rates(notes: list[tuple[str, str]], benign: list[list[str]], lossy: list[list[tuple[str, str]]]) -> None:
    identical = [(t, t, "auto") for t, _l in notes]
    benign_pairs = [(t, benign[k][k % len(benign[k])], "auto") for k, (t, _l) in enumerate(notes)]
    corrupt = [(t, lossy[k][0][1], "auto") for k, (t, _l) in enumerate(notes) if lossy[k]]
    mean = sum(len(t) for t, _l in notes) / len(notes)
    print(f"\n1. pairs per second, one worker (notes from the generators, mean {mean:,.0f} characters)")
    print(f"   {'pairs':<18}{'audit pair path':>18}{'naive compare()':>18}{'oracle before':>16}")
    for label, pairs in (("identical", identical), ("benign-different", benign_pairs), ("corrupt", corrupt)):
        ours = rate(pairs, lambda s, r, lang: judge_pair(s, r, "text", lang))
        naive = rate(pairs, lambda s, r, lang: jf.compare(s, r, lang))
        old = rate(pairs, before_fast_path) if label == "benign-different" else None
        old_text = f"{old:>16,.0f}" if old else f"{'':>16}"
        print(f"   {label:<18}{ours:>18,.0f}{naive:>18,.0f}{old_text}")
        if old:
            print(f"   {'':<18}benign path {ours / old:.1f}x faster than the oracle's before this change")


# ---------------------------------------------------------------------------------------------------------
class PeakRss:
    """Sum of the resident set of a process tree (and extra roots), sampled every 0.2 s."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.page = os.sysconf("SC_PAGE_SIZE")

    def _tree(self) -> set[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        seen, todo = set(), list(self.roots)
        while todo:
            pid = todo.pop()
            if pid not in seen:
                seen.add(pid)
                todo.extend(children.get(pid, []))
        return seen

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for pid in self._tree():
                try:
                    with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
                        total += int(fh.read().split()[1]) * self.page
                except (OSError, ValueError, IndexError):
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def audit(root: Path, label: str, extra: list[str], cluster_pid: int | None = None) -> dict[str, Any]:
    exe = Path(sys.executable).parent / "journal-fuzz"
    out = root / f"findings-{label}.parquet"
    cmd = [str(exe), "audit", str(root / "sent"), str(root / "received"), "--out", str(out), *extra]
    import resource

    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakRss([proc.pid] + ([cluster_pid] if cluster_pid else [])) as mem:
        stdout, stderr = proc.communicate()
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the audit and its pool (not of a Dask cluster's own processes): on a loaded machine the
    # wall time says how busy the machine was, the CPU time what the work cost.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit {label} failed ({proc.returncode}): {stderr}")
    return {"label": label, "seconds": seconds, "peak": mem.peak, "out": out, "stdout": stdout, "cpu": cpu}


def found(result: dict[str, Any], truth: dict[str, set[str]]) -> str:
    import pyarrow.parquet as pq

    rows = pq.read_table(str(result["out"]), columns=["key", "status"]).to_pylist()
    changed = {r["key"] for r in rows if r["status"] == "changed"}
    missing = {r["key"] for r in rows if r["status"] == "missing"}
    reported = {r["key"] for r in rows if r["status"] in ("changed", "minor", "extra", "missing")}
    benign_reported = len(reported & (truth["benign"] | truth["identical"]))
    return (f"corrupt {len(changed & truth['corrupt'])}/{len(truth['corrupt'])}, missing "
            f"{len(missing & truth['missing'])}/{len(truth['missing'])}, benign reported {benign_reported}")


def naive(root: Path, limit: int, n: int) -> None:
    """Both sides loaded into dicts (the first ``limit`` records), compare() in a loop."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    sent: dict[str, str] = {}
    for path in sorted((root / "sent").glob("*.hl7")):
        for chunk in path.read_bytes().split(b"\rMSH|")[1:]:
            msg = parse_message(b"MSH|" + chunk.split(b"\rBTS|")[0])
            sent[msg.value("OBR", 3)] = note_text(msg)
            if len(sent) >= limit:
                break
        if len(sent) >= limit:
            break
    received: dict[str, str] = {}
    lines = 0
    # The same prefix of the received side (both are written in record order; 0.1% missing makes it slightly
    # longer), so the loading time is that of the records compared.
    for path in sorted((root / "received").glob("DocumentReference_*")):
        opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                res = json.loads(line)
                key = res["identifier"][0]["value"]
                lines += 1
                if key in sent:
                    got = fhir_text(res)
                    received[key] = got[0] if got else ""
                if lines >= len(sent):
                    break
        if lines >= len(sent):
            break
    loaded = time.monotonic() - start
    flagged = sum(1 for k, s in sent.items() if k not in received or not jf.compare(s, received[k]).ok)
    seconds = time.monotonic() - start
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    print(f"\n2. naive baseline on the first {len(sent):,} records: dicts + compare() in a loop, one process")
    print(f"   {seconds:.1f} s ({loaded:.1f} s loading), {len(sent) / seconds:,.0f} records/s, {flagged} flagged, "
          f"memory grown by {peak / 2**20:,.0f} MiB; at that rate {n:,} records take "
          f"{n / (len(sent) / seconds) / 60:.1f} min and ~{peak / len(sent) * n / 2**30:.1f} GiB")


def start_cluster() -> tuple[subprocess.Popen[str], str]:
    code = ("import sys\nfrom distributed import LocalCluster\n"
            "c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)\n"
            "print(c.scheduler_address, flush=True)\nsys.stdin.read()\nc.close()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    if not address.startswith("tcp://"):
        raise SystemExit("the LocalCluster did not start")
    return proc, address


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--pool", type=int, default=1200, help="distinct generated notes (default 1200)")
    parser.add_argument("--naive", type=int, default=50_000, help="records for the naive baseline")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--keep", metavar="DIR", help="write the export here and keep it")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on {os.cpu_count()} cores")
    t = time.monotonic()
    notes = pool_of_notes(args.pool)
    benign, lossy = variants(notes)
    print(f"{len(notes)} generated notes ({sum(1 for v in lossy if v)} with confirmed lossy variants) in "
          f"{time.monotonic() - t:.0f} s")
    pair_rates(notes, benign, lossy)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        if args.keep and root.exists():
            shutil.rmtree(root)
        t = time.monotonic()
        truth = make_export(root, args.records, notes, benign, lossy)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        print(f"\nexport: {args.records:,} records, {size / 2**30:.2f} GiB on disk, written in "
              f"{time.monotonic() - t:.0f} s ({len(truth['corrupt'])} corrupt, {len(truth['missing'])} missing, "
              f"{len(truth['identical'])} identical, {len(truth['benign'])} benign)")
        naive(root, min(args.naive, args.records), args.records)
        print("\n3. journal-fuzz audit on the whole export")
        runs = [audit(root, "1 worker", ["--workers", "1"]), audit(root, "2 workers", ["--workers", "2"])]
        if not args.skip_dask:
            cluster, address = start_cluster()
            try:
                runs.append(audit(root, "Dask LocalCluster, 2 workers", ["--scheduler", address], cluster.pid))
            finally:
                assert cluster.stdin is not None
                cluster.stdin.close()
                cluster.wait(timeout=60)
        for r in runs:
            cpu = f"{r['cpu']:7.0f} CPU s" if "Dask" not in r["label"] else f"{'(on the cluster)':>13}"
            print(f"   {r['label']:<30} {r['seconds']:7.1f} s {cpu}  {args.records / r['seconds']:9,.0f} records/s  "
                  f"peak memory {r['peak'] / 2**20:6,.0f} MiB   {found(r, truth)}")
        print(f"   scaling 1 -> 2 workers: {runs[0]['seconds'] / runs[1]['seconds']:.2f}x")
        print("\n" + runs[1]["stdout"].split("\n\n")[0])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nload average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")


if __name__ == "__main__":
    main()
