"""The look-back audit: read both sides, join them by key on disk, compare every pair on all cores (or a cluster).

The run has two phases, each a list of independent tasks:

1. **Read**: each read task (a file, a 32 MiB stretch of a large plain file, a group of text files) parses its
   records and spills them into ``P`` key-hash partitions on disk (Arrow IPC streams under the state directory):
   ``crc32(key) mod P``, so both sides' records of one key land in the same partition. ``P`` follows the input size
   (about 16 MiB of input per partition), so one partition of both sides fits in memory whatever the export's size.
2. **Compare**: each compare task loads one partition of both sides, joins them in a dict, judges every pair
   (identical and benign pairs take the fast path) and writes its findings and totals.

Tasks run in this process (``--workers 1``), in a pool of processes (``--workers N``, all cores by default), or on
a Dask cluster (``--scheduler tcp://HOST:8786``; inputs and the state directory must then be at the same path on
every worker). Every task writes its result atomically and last, so the state directory is always resumable:
``--resume DIR`` skips what is done, and Ctrl-C leaves a state that ``--resume`` continues without double counting.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from journal_fuzz.audit import judge as J
from journal_fuzz.audit.keys import SIDES, choose_keys, parse_key_options
from journal_fuzz.audit.output import ROW_FIELDS, write_findings
from journal_fuzz.audit.sources import (
    FHIR,
    HL7,
    TEXT,
    ReadTask,
    Source,
    TaskStats,
    Unreadable,
    describe_format,
    open_source,
    plan_tasks,
    read_records,
)
from journal_fuzz.constants import CRITICAL, LANGUAGES
from journal_fuzz.inputs import InputError
from journal_fuzz.kinds import severity_rank

__all__ = ["AuditOptions", "AuditResult", "Interrupted", "run_audit"]

STATE_VERSION = 1
PARTITION_BYTES = 16 * 1024 * 1024
MIN_PARTITIONS = 8
MAX_PARTITIONS = 4096
SAMPLE_TASKS = 8
SAMPLE_PER_TASK = 750
TOP_CASES = 25
BENIGN_SAMPLES = 12
_FLUSH_ROWS = 512
_SNIPPET = 160
_SCHEMA_FIELDS = ("key", "seq", "body", "date", "line", "file", "kind", "path", "name")


class Interrupted(Exception):
    """The run was stopped (Ctrl-C); ``state`` holds what is done."""

    def __init__(self, state: Path, done: str) -> None:
        super().__init__(f"interrupted: {done}")
        self.state = state
        self.done = done


@dataclass(frozen=True)
class AuditOptions:
    """What ``journal-fuzz audit`` was asked to do."""

    sent: str
    received: str
    keys: tuple[str, ...] = ()
    out: str | None = None
    report: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    resume: str | None = None
    redact: bool = False
    language: str = "auto"
    lexicons: tuple[str, ...] = ()
    sent_format: str | None = None
    received_format: str | None = None
    text_column: str | None = None
    date_column: str | None = None
    types: tuple[str, ...] = ()
    progress: bool | None = None
    """Show a progress bar; None: only on an interactive terminal outside CI."""


@dataclass
class AuditResult:
    summary: dict[str, Any]
    state: Path
    out: Path | None
    report: Path | None
    seconds: float

    @property
    def exit_code(self) -> int:
        t = self.summary["totals"]
        return 1 if (t["changed"] or t["missing"] or t["extra"] or t["unreadable_sent"]
                     or t["unreadable_received"]) else 0


@dataclass(frozen=True)
class Context:
    """Everything a task needs, small and picklable (it travels to pool processes and Dask workers)."""

    state: str
    partitions: int
    keys: dict[str, str]
    extra: dict[str, tuple[str, ...]]
    mode: str
    language: str
    lexicons: tuple[str, ...]
    redact: bool
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    line_bases: dict[str, dict[int, int]] = field(default_factory=dict)
    """Per side, per read task: lines in the same file before the task's range."""


# ---------------------------------------------------------------------------------------------------------
# Phase 1: read and partition
def partition_of(key: str, partitions: int) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % partitions


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class _Spill:
    """Per-partition Arrow IPC streams of one read task."""

    def __init__(self, directory: Path, partitions: int) -> None:
        import pyarrow as pa

        self.pa = pa
        self.schema = pa.schema([("key", pa.string()), ("seq", pa.int64()), ("body", pa.large_string()),
                                 ("date", pa.string()), ("line", pa.int64()), ("file", pa.int32()),
                                 ("kind", pa.string()), ("path", pa.string()), ("name", pa.string())])
        self.directory = directory
        self.buffers: dict[int, list[tuple[Any, ...]]] = {}
        self.sizes: dict[int, int] = {}
        self.writers: dict[int, Any] = {}
        self.limit = max(64 * 1024, (64 * 1024 * 1024) // partitions)

    def add(self, part: int, row: tuple[Any, ...]) -> None:
        buf = self.buffers.setdefault(part, [])
        buf.append(row)
        self.sizes[part] = self.sizes.get(part, 0) + len(row[2]) + 64
        if self.sizes[part] >= self.limit or len(buf) >= 16 * _FLUSH_ROWS:
            self._flush(part)

    def _flush(self, part: int) -> None:
        rows = self.buffers.pop(part, [])
        self.sizes.pop(part, None)
        if not rows:
            return
        pa = self.pa
        columns = list(zip(*rows, strict=True))
        batch = pa.record_batch([pa.array(col, type=f.type) for col, f in zip(columns, self.schema, strict=True)],
                                schema=self.schema)
        writer = self.writers.get(part)
        if writer is None:
            sink = pa.OSFile(str(self.directory / f"p{part:05d}.arrow"), "wb")
            writer = self.writers[part] = (sink, pa.ipc.new_stream(sink, self.schema))
        writer[1].write_batch(batch)

    def close(self) -> None:
        for part in list(self.buffers):
            self._flush(part)
        for sink, writer in self.writers.values():
            writer.close()
            sink.close()


def read_task(task: ReadTask, ctx: Context) -> dict[str, Any]:
    """Read one task's records into the partitions; returns (and writes, last) its done marker."""
    side = task.side
    directory = Path(ctx.state) / "spill" / side / f"t{task.index:05d}"
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    spill = _Spill(directory, ctx.partitions)
    stats = TaskStats()
    key_name = ctx.keys[side]
    base_seq = task.index << 40
    unreadable: list[list[Any]] = []
    skipped: Counter[str] = Counter()
    records = 0
    for rec in read_records(task, ctx.extra.get(side, ()), stats, only=key_name):
        if isinstance(rec, Unreadable):
            if rec.reason.startswith("skip:"):
                skipped[rec.reason[5:]] += 1
            else:
                unreadable.append([task.file, rec.line, rec.name, rec.reason])
            continue
        key = rec.keys.get(key_name)
        if not key:
            unreadable.append([task.file, rec.line, rec.name, f"no value at {key_name}, the key it is matched by"])
            continue
        records += 1
        spill.add(partition_of(key, ctx.partitions),
                  (key, base_seq + rec.offset, rec.body, rec.date, rec.line, task.file, rec.kind, rec.path,
                   rec.name))
    spill.close()
    marker = {"side": side, "task": task.index, "file": task.file, "records": records, "lines": stats.lines,
              "unreadable": unreadable, "skipped": dict(skipped)}
    _atomic_write(Path(ctx.state) / "read" / f"{side}-{task.index:05d}.json", json.dumps(marker))
    return marker


# ---------------------------------------------------------------------------------------------------------
# Phase 2: join and compare
def _load(ctx: Context, side: str, part: int) -> list[dict[str, Any]]:
    import pyarrow as pa

    rows: list[dict[str, Any]] = []
    root = Path(ctx.state) / "spill" / side
    if not root.exists():
        return rows
    for task_dir in sorted(root.iterdir()):
        f = task_dir / f"p{part:05d}.arrow"
        if not f.exists():
            continue
        with pa.OSFile(str(f), "rb") as source:
            table = pa.ipc.open_stream(source).read_all()
        columns = {name: table.column(name).to_pylist() for name in _SCHEMA_FIELDS}
        task = int(task_dir.name[1:])
        for i in range(table.num_rows):
            row = {name: columns[name][i] for name in _SCHEMA_FIELDS}
            row["task"] = task
            rows.append(row)
    return rows


def _where(ctx: Context, side: str, row: dict[str, Any]) -> str:
    if row.get("name"):
        return f"{ctx.files[side][0] if ctx.files.get(side) else ''}/{row['name']}".lstrip("/")
    files = ctx.files.get(side, ())
    name = files[row["file"]] if row["file"] < len(files) else "?"
    base = ctx.line_bases.get(side, {}).get(row["task"], 0)
    return f"{name}:{base + row['line']}"


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET else flat[:_SNIPPET - 1] + "…"


def _language_of(ctx: Context, text: str) -> str:
    if ctx.language in LANGUAGES:
        return ctx.language
    from journal_fuzz.oracle import detect_language

    return detect_language(text)


class _Redactor:
    """One record's redaction: one set of pseudonyms for its key, texts and findings."""

    def __init__(self, language: str) -> None:
        from journal_fuzz.redact import Pseudonyms

        self.language = language
        self.mapping = Pseudonyms()

    def text(self, value: str) -> str:
        from journal_fuzz.redact import redact_text

        if not value:
            return value
        return redact_text(value, mapping=self.mapping, language=self.language)[0]


def _redacted_pair(ctx: Context, sent: str, received: str, verdict: Any,
                   language: str) -> tuple[str, str, list[dict[str, Any]], str]:
    """The pair and its findings with personal data replaced (the oracle re-run on the redacted pair)."""
    from journal_fuzz.cases import Case
    from journal_fuzz.constants import FHIR as FHIR_CARRIER
    from journal_fuzz.constants import TEXT as TEXT_CARRIER
    from journal_fuzz.redact import redact_case

    if ctx.mode == J.FHIR_MODE:
        case = Case(carries=FHIR_CARRIER, sent={"resource": json.loads(sent), "wire": "json"},
                    received={"resource": json.loads(received)}, verdict=verdict.to_dict(), language=language,
                    source="audit")
        red, _p = redact_case(case)
        return (json.dumps(red.sent["resource"], ensure_ascii=False),
                json.dumps(red.received["resource"], ensure_ascii=False),
                list(red.verdict.get("findings", [])), _p.summary())
    case = Case(carries=TEXT_CARRIER, sent={"text": sent, "language": language}, received={"text": received},
                verdict=verdict.to_dict(), language=language, source="audit")
    red, p = redact_case(case)
    return red.sent["text"], red.received.get("text", ""), list(red.verdict.get("findings", [])), p.summary()


def _panes(ctx: Context, sent: str, received: str, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the report shows side by side: the texts (per field, for FHIR) and the findings in each."""
    if ctx.mode != J.FHIR_MODE:
        return [{"path": None, "sent": sent, "received": received, "findings": findings}]
    from journal_fuzz.fhir import extract_texts

    def fields(body: str) -> list[Any]:
        try:
            return list(extract_texts(json.loads(body)))
        except Exception:  # an unreadable resource has no text to show
            return []

    s_fields, r_fields = fields(sent), fields(received)
    panes: dict[str, dict[str, Any]] = {}
    for f in findings:
        path = str(f.get("path") or "")
        s = next((t for t in s_fields if path == t.path or path.startswith((t.path + ".", t.path + "["))), None)
        r = next((t for t in r_fields if path == t.path or path.startswith((t.path + ".", t.path + "["))), None)
        found = s or r
        where = found.path if found is not None else path
        pane = panes.setdefault(where, {"path": where, "sent": s.text if s else str(f.get("sent_text") or ""),
                                        "received": r.text if r else str(f.get("received_text") or ""),
                                        "findings": []})
        pane["findings"].append(f)
    return list(panes.values())[:5]


def _rank(case: dict[str, Any]) -> tuple[Any, ...]:
    return (severity_rank(case["worst"]), -case["critical"], -case["findings_count"], case["key"])


@dataclass
class _Tally:
    """What the compare tasks count, for one partition or, added up, for the whole run."""

    counts: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    records_by_kind: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    chart: Counter[tuple[str, str]] = field(default_factory=Counter)
    top: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, res: dict[str, Any]) -> None:
        for name in ("counts", "by_kind", "records_by_kind", "by_severity"):
            getattr(self, name).update(res[name])
        self.chart.update({(d, k): n for d, k, n in res["chart"]})
        self.top = sorted(self.top + res["top"], key=_rank)[:TOP_CASES]
        self.samples.extend(res["samples"][:BENIGN_SAMPLES - len(self.samples)])

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "by_kind": dict(self.by_kind),
                "records_by_kind": dict(self.records_by_kind), "by_severity": dict(self.by_severity),
                "chart": [[d, k, n] for (d, k), n in sorted(self.chart.items())],
                "top": sorted(self.top, key=_rank)[:TOP_CASES], "samples": self.samples}


def compare_partition(part: int, ctx: Context) -> dict[str, Any]:
    """Join one partition of both sides and judge every pair; returns (and writes, last) its result."""
    from journal_fuzz.lexicon import load_lexicon

    for lang in LANGUAGES if ctx.language not in LANGUAGES else (ctx.language,):
        load_lexicon(lang, ctx.lexicons)
    results = Path(ctx.state) / "results"
    sides: dict[str, dict[str, dict[str, Any]]] = {}
    rows_out: list[dict[str, Any]] = []
    superseded: dict[str, int] = {}
    for side in SIDES:
        by_key: dict[str, dict[str, Any]] = {}
        extra: list[dict[str, Any]] = []
        for row in sorted(_load(ctx, side, part), key=lambda r: r["seq"]):
            old = by_key.get(row["key"])
            if old is not None:
                extra.append(old)
            by_key[row["key"]] = row
        sides[side] = by_key
        superseded[side] = len(extra)
        for old in sorted(extra, key=lambda r: (r["key"], r["seq"])):
            body = _snippet(old["body"] if ctx.mode != J.FHIR_MODE else _fhir_note(old["body"]))
            shown_key = old["key"]
            if ctx.redact:
                red = _Redactor(_language_of(ctx, body))
                body, shown_key = red.text(body), red.text(shown_key)
            rows_out.append(_row(ctx, J.SUPERSEDED, shown_key, old["date"], side=side,
                                 explanation=f"an earlier {side} record with the same key; the last one is "
                                             f"compared", **{f"{side}_where": _where(ctx, side, old),
                                                             f"{side}_text": body}))
    sent, received = sides["sent"], sides["received"]
    tally = _Tally()
    counts, by_kind, records_by_kind, by_severity, chart, samples = (
        tally.counts, tally.by_kind, tally.records_by_kind, tally.by_severity, tally.chart, tally.samples)
    top = tally.top
    for key in sorted(set(sent) | set(received)):
        s, r = sent.get(key), received.get(key)
        date = (s or r or {}).get("date") or (r or {}).get("date") or ""
        if s is not None and r is not None:
            counts["matched"] += 1
            language = ctx.language
            status, verdict, fast = J.judge_pair(s["body"], r["body"], ctx.mode, language, ctx.lexicons)
            counts[status] += 1
            if fast and status == J.BENIGN:
                counts["benign_fast"] += 1
            if status == J.BENIGN and len(samples) < BENIGN_SAMPLES:
                s_body, r_body = s["body"], r["body"]
                if ctx.mode == J.FHIR_MODE:
                    s_body, r_body = _fhir_note(s_body), _fhir_note(r_body)
                what = J.describe_benign(s_body, r_body)
                if ctx.redact:
                    red = _Redactor(_language_of(ctx, s_body))
                    s_body, r_body = red.text(s_body), red.text(r_body)
                samples.append({"key": key, "sent": s_body, "received": r_body, "what": what})
            if status not in (J.CHANGED, J.MINOR) or verdict is None:
                continue
            lang = verdict.language
            s_body, r_body = s["body"], r["body"]
            findings = [f.to_dict() for f in verdict.findings]
            text_path = s["path"] or r["path"]
            if text_path:  # a text compared with a FHIR resource's note: say where in the resource it lives
                for f in findings:
                    f["path"] = f.get("path") or text_path
            shown_key = key
            if ctx.redact:
                s_body, r_body, findings, _what = _redacted_pair(ctx, s_body, r_body, verdict, lang)
                shown_key = _Redactor(lang).text(key)
            where: dict[str, Any] = {"sent_where": _where(ctx, "sent", s),
                                     "received_where": _where(ctx, "received", r)}
            for f in findings:
                by_kind[str(f.get("kind"))] += 1
                by_severity[str(f.get("severity"))] += 1
                rows_out.append(_row(ctx, status, shown_key, date, f, **where))
            if status == J.CHANGED:
                worst = min((str(f.get("severity")) for f in findings), key=severity_rank, default=CRITICAL)
                head = min(findings, key=lambda f: severity_rank(str(f.get("severity")))) if findings else {}
                records_by_kind.update({str(f.get("kind")) for f in findings})
                chart[(date, str(head.get("kind") or "changed"))] += 1
                top.append({"key": shown_key, "date": date, "status": status, "worst": worst,
                            "critical": sum(1 for f in findings if f.get("severity") == CRITICAL),
                            "findings_count": len(findings), "kinds": list(dict.fromkeys(
                                str(f.get("kind")) for f in findings)), "language": lang,
                            "panes": _panes(ctx, s_body, r_body, findings), **where})
        elif s is not None:
            counts[J.MISSING] += 1
            chart[(date, J.MISSING)] += 1
            body = s["body"] if ctx.mode != J.FHIR_MODE else _fhir_note(s["body"])
            shown_key = key
            if ctx.redact:
                red = _Redactor(_language_of(ctx, body))
                body, shown_key = red.text(body), red.text(key)
            where = {"sent_where": _where(ctx, "sent", s)}
            rows_out.append(_row(ctx, J.MISSING, shown_key, date, side="sent", sent_text=_snippet(body),
                                 explanation="sent, but no received record has this key: the whole note is "
                                             "missing", **where))
            top.append({"key": shown_key, "date": date, "status": J.MISSING, "worst": CRITICAL, "critical": 1,
                        "findings_count": 1, "kinds": [J.MISSING], "language": _language_of(ctx, body),
                        "panes": [{"path": None, "sent": body, "received": "", "findings": []}], **where})
        elif r is not None:
            counts[J.EXTRA] += 1
            body = r["body"] if ctx.mode != J.FHIR_MODE else _fhir_note(r["body"])
            shown_key = key
            if ctx.redact:
                red = _Redactor(_language_of(ctx, body))
                body, shown_key = red.text(body), red.text(key)
            rows_out.append(_row(ctx, J.EXTRA, shown_key, date, side="received", received_text=_snippet(body),
                                 explanation="received, but nothing with this key was sent",
                                 received_where=_where(ctx, "received", r)))
        if len(top) > 4 * TOP_CASES:
            top = sorted(top, key=_rank)[:TOP_CASES]
    counts["sent_records"] = len(sent)
    counts["received_records"] = len(received)
    counts["superseded_sent"] = superseded["sent"]
    counts["superseded_received"] = superseded["received"]
    tally.top = top
    result = {"partition": part, **tally.to_dict(), "rows": len(rows_out)}
    rows_path = results / f"p{part:05d}.rows.ndjson"
    tmp = rows_path.with_name(rows_path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in rows_out:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, rows_path)
    _atomic_write(results / f"p{part:05d}.json", json.dumps(result, ensure_ascii=False))
    return {k: v for k, v in result.items() if k not in ("top", "samples")}


def _fhir_note(body: str) -> str:
    from journal_fuzz.audit.sources import fhir_text

    try:
        got = fhir_text(json.loads(body))
    except Exception:  # shown as the raw resource instead
        return body
    return got[0] if got else ""

def _row(ctx: Context, status: str, key: str | None, date: str, finding: dict[str, Any] | None = None, /,
         **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ROW_FIELDS)
    row.update(key=key, status=status, date=date or None)
    if finding is not None:
        for name in ("kind", "severity", "concept", "path", "sent_text", "received_text", "sent_context",
                     "received_context", "explanation", "sent_offset", "received_offset"):
            row[name] = finding.get(name)
    row.update({k: v for k, v in values.items() if k in row})
    return row


# ---------------------------------------------------------------------------------------------------------
# Running tasks: here, in a pool, or on Dask
class _Runner:
    def __init__(self, workers: int, scheduler: str | None) -> None:
        self.workers = workers
        self.scheduler = scheduler
        self.client: Any = None
        self.pool: Any = None

    def __enter__(self) -> _Runner:
        if self.scheduler:
            try:
                from distributed import Client
            except ImportError:
                raise InputError("--scheduler needs Dask: pip install 'journal_fuzz[audit]'") from None
            try:
                self.client = Client(self.scheduler, timeout="10s")  # type: ignore[no-untyped-call]
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
        elif self.workers > 1:
            import concurrent.futures
            import multiprocessing

            method = "fork" if sys.platform.startswith("linux") else "spawn"
            self.pool = concurrent.futures.ProcessPoolExecutor(self.workers,
                                                               mp_context=multiprocessing.get_context(method))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=exc[0] is None, cancel_futures=True)
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()

    @property
    def describe(self) -> str:
        if self.scheduler:
            n = len(self.client.scheduler_info().get("workers", {})) if self.client is not None else 0
            return f"Dask cluster at {self.scheduler} ({n} workers)"
        return f"{self.workers} worker process{'es' if self.workers != 1 else ''}" if self.workers > 1 else \
            "1 worker (this process)"

    def run(self, fn: Callable[[Any, Context], dict[str, Any]], items: Sequence[Any],
            ctx: Context) -> Iterator[dict[str, Any]]:
        if not items:
            return
        if self.client is not None:
            from distributed import as_completed

            futures = self.client.map(fn, list(items), ctx=ctx, pure=False)
            try:
                for fut in as_completed(futures):  # type: ignore[no-untyped-call]
                    yield fut.result()
            finally:
                self.client.cancel(futures)
        elif self.pool is not None:
            import concurrent.futures

            futures = [self.pool.submit(fn, item, ctx) for item in items]
            try:
                for fut in concurrent.futures.as_completed(futures):
                    yield fut.result()
            finally:
                for fut in futures:
                    fut.cancel()
        else:
            for item in items:
                yield fn(item, ctx)


class _Progress:
    """One line on stderr, rewritten in place: records per second, findings so far, time left."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.label = ""
        self.last = 0.0

    def start(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()

    def update(self, done: float, total: float, records: int, findings: int | None = None) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.25 and done < total):
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        rate = records / elapsed
        left = elapsed * (total - done) / done if done else 0.0
        width = 24
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        text = f"\r{self.label} [{bar}] {records:,} records, {rate:,.0f}/s"
        if findings is not None:
            text += f", {findings:,} with findings"
        text += f", {_clock(left)} left " if done < total else " " * 12
        sys.stderr.write(text)
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.label:
            sys.stderr.write("\r" + " " * 110 + "\r")
            sys.stderr.flush()


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


# ---------------------------------------------------------------------------------------------------------
# The run
def _fingerprint(opts: AuditOptions, sources: dict[str, Source]) -> dict[str, Any]:
    return {"version": STATE_VERSION, "sent": sources["sent"].fingerprint(),
            "received": sources["received"].fingerprint(), "keys": list(opts.keys), "language": opts.language,
            "redact": opts.redact, "lexicons": [os.path.abspath(x) for x in opts.lexicons]}


def _sample(tasks: list[ReadTask], extra: tuple[str, ...]) -> list[dict[str, str]]:
    """Key candidates of records spread over the side: the first records of up to SAMPLE_TASKS tasks."""
    if len(tasks) > SAMPLE_TASKS:
        step = len(tasks) / SAMPLE_TASKS
        tasks = [tasks[int(i * step)] for i in range(SAMPLE_TASKS)]
    out: list[dict[str, str]] = []
    for task in tasks:
        n = 0
        for rec in read_records(task, extra):
            if isinstance(rec, Unreadable):
                continue
            out.append(rec.keys)
            n += 1
            if n >= SAMPLE_PER_TASK:
                break
    return out


def _extra_keys(fmt: str, spec: str | None) -> tuple[str, ...]:
    return (spec,) if spec and fmt in (FHIR, HL7) else ()


def _plan(opts: AuditOptions, sources: dict[str, Source], state: Path, fingerprint: dict[str, Any]) -> dict[str, Any]:
    formats = {side: sources[side].format for side in SIDES}
    named = parse_key_options(opts.keys, formats)
    tasks = {"sent": plan_tasks("sent", sources["sent"])}
    tasks["received"] = plan_tasks("received", sources["received"], len(tasks["sent"]))
    samples = {side: _sample(tasks[side], _extra_keys(formats[side], named.get(side))) for side in SIDES}
    for side in SIDES:
        if not samples[side]:
            raise InputError(f"{side} ({sources[side].path}) holds no readable record")
    choice = choose_keys(samples, formats, named)
    weight = sources["sent"].weight() + sources["received"].weight()
    partitions = min(MAX_PARTITIONS, max(MIN_PARTITIONS, math.ceil(weight / PARTITION_BYTES)))
    manifest = {"fingerprint": fingerprint, "partitions": partitions,
                "keys": {"sent": choice.sent, "received": choice.received},
                "key_choice": asdict(choice),
                "tasks": {side: [asdict(t) | {"source": None} for t in tasks[side]] for side in SIDES}}
    _atomic_write(state / "manifest.json", json.dumps(manifest, indent=1))
    return manifest


def _tasks_of(manifest: dict[str, Any], sources: dict[str, Source]) -> dict[str, list[ReadTask]]:
    out: dict[str, list[ReadTask]] = {}
    for side in SIDES:
        out[side] = [ReadTask(t["side"], t["index"], sources[side], t["file"], t["start"], t["end"],
                              tuple(t["files"])) for t in manifest["tasks"][side]]
    return out


def run_audit(opts: AuditOptions, *, on_line: Callable[[str], None] | None = None) -> AuditResult:
    """Audit ``opts.sent`` against ``opts.received``; raises :class:`InputError` for input that cannot be
    audited and :class:`Interrupted` on Ctrl-C (the state directory then holds what is done)."""
    started = time.monotonic()
    say = on_line or (lambda _line: None)
    if opts.language != "auto" and opts.language not in LANGUAGES:
        raise InputError(f"unknown language {opts.language!r}; use {', '.join(LANGUAGES)} or auto")
    if opts.workers is not None and opts.workers < 1:
        raise InputError("--workers must be at least 1")
    sources = {side: open_source(path, side, fmt, text_column=opts.text_column, date_column=opts.date_column,
                                 types=opts.types)
               for side, path, fmt in (("sent", opts.sent, opts.sent_format),
                                       ("received", opts.received, opts.received_format))}
    fhir_both = sources["sent"].format == FHIR and sources["received"].format == FHIR
    if fhir_both:
        sources = {side: Source(**{**asdict(src), "as_text": False}) for side, src in sources.items()}
    mode = J.FHIR_MODE if fhir_both else J.TEXT_MODE
    fingerprint = _fingerprint(opts, sources)
    temporary = opts.resume is None
    state = Path(opts.resume) if opts.resume else Path(tempfile.mkdtemp(prefix="journal_fuzz-audit-"))
    try:
        result = _run_in(opts, sources, mode, fingerprint, state, say, started)
    except Interrupted:
        raise  # the state is what --resume continues
    except BaseException:
        if temporary:
            shutil.rmtree(state, ignore_errors=True)
        raise
    if temporary:
        shutil.rmtree(state, ignore_errors=True)
    return result


def _run_in(opts: AuditOptions, sources: dict[str, Source], mode: str, fingerprint: dict[str, Any], state: Path,
            say: Callable[[str], None], started: float) -> AuditResult:
    manifest_path = state / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("fingerprint") != fingerprint:
            raise InputError(f"--resume {state} holds a run of other inputs or options; give a new directory, or "
                             f"the same SENT, RECEIVED and options as that run")
        say(f"resuming the run in {state}")
    else:
        if state.exists() and any(state.iterdir()):
            raise InputError(f"--resume {state} is not empty and holds no audit run")
        state.mkdir(parents=True, exist_ok=True)
        manifest = _plan(opts, sources, state, fingerprint)
    for sub in ("spill", "read", "results"):
        (state / sub).mkdir(exist_ok=True)
    tasks = _tasks_of(manifest, sources)
    formats = {side: sources[side].format for side in SIDES}
    ctx = Context(state=str(state), partitions=manifest["partitions"], keys=manifest["keys"],
                  extra={side: _extra_keys(formats[side], manifest["keys"][side]) for side in SIDES},
                  mode=mode, language=opts.language, lexicons=tuple(opts.lexicons), redact=opts.redact,
                  files={side: (sources[side].path,) if sources[side].format == TEXT else sources[side].files
                         for side in SIDES})
    workers = opts.workers or os.cpu_count() or 1
    enabled = opts.progress if opts.progress is not None else (sys.stderr.isatty() and not os.environ.get("CI"))
    progress = _Progress(enabled)
    if mode == J.TEXT_MODE:
        from journal_fuzz.lexicon import load_lexicon

        for lang in LANGUAGES if opts.language not in LANGUAGES else (opts.language,):
            load_lexicon(lang, opts.lexicons)  # once, before the pool forks
    done_reads = {p.stem for p in (state / "read").glob("*.json")}
    todo = [t for side in SIDES for t in tasks[side] if f"{t.side}-{t.index:05d}" not in done_reads]
    all_tasks = [t for side in SIDES for t in tasks[side]]
    parts_done = {int(p.stem[1:]) for p in (state / "results").glob("p*.json")}
    try:
        with _Runner(workers, opts.scheduler) as runner:
            runner_text = runner.describe
            total_bytes = sum(_task_bytes(t) for t in all_tasks) or 1
            done_bytes = float(sum(_task_bytes(t) for t in all_tasks if t not in todo))
            records = 0
            progress.start("reading  ")
            for marker in runner.run(read_task, todo, ctx):
                records += marker["records"]
                task = next(t for t in all_tasks if t.side == marker["side"] and t.index == marker["task"])
                done_bytes += _task_bytes(task)
                progress.update(done_bytes, total_bytes, records)
            progress.done()
            markers = _markers(state)
            ctx = Context(**{**asdict(ctx), "line_bases": _line_bases(markers, tasks)})
            parts = [p for p in range(ctx.partitions) if p not in parts_done]
            compared = sum(_result(state, p)["counts"].get("matched", 0) for p in parts_done)
            flagged = sum(_result(state, p)["counts"].get("changed", 0) for p in parts_done)
            progress.start("comparing")
            n_done = len(parts_done)
            for res in runner.run(compare_partition, parts, ctx):
                n_done += 1
                compared += res["counts"].get("matched", 0)
                flagged += res["counts"].get("changed", 0) + res["counts"].get("missing", 0)
                progress.update(n_done, ctx.partitions, compared, flagged)
            progress.done()
    except (KeyboardInterrupt, BrokenProcessPool) as exc:
        progress.done()
        finished = len(list((state / "results").glob("p*.json")))
        why = "" if isinstance(exc, KeyboardInterrupt) else " (a worker process died)"
        raise Interrupted(state, f"{finished} of {manifest['partitions']} partitions compared{why}") from None
    summary = _summarise(state, manifest, sources, markers, mode, opts, runner_text, time.monotonic() - started)
    out = _write_outputs(opts, state, manifest, markers, sources, summary)
    seconds = time.monotonic() - started
    summary["seconds"] = round(seconds, 2)
    summary["headline"] = headline(summary)
    report = None
    if opts.report:
        from journal_fuzz.report.audit_html import write_audit_report

        report = write_audit_report(opts.report, summary)
    _atomic_write(state / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1))
    return AuditResult(summary, state, out, report, seconds)


def _task_bytes(task: ReadTask) -> int:
    if task.source.format == TEXT:
        return sum(task.source.sizes[i] for i in task.files)
    if task.end >= 0:
        return task.end - task.start
    return task.source.sizes[task.file]


def _markers(state: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((state / "read").glob("*.json"))]


def _line_bases(markers: list[dict[str, Any]], tasks: dict[str, list[ReadTask]]) -> dict[str, dict[int, int]]:
    lines = {(m["side"], m["task"]): m["lines"] for m in markers}
    out: dict[str, dict[int, int]] = {}
    for side in SIDES:
        bases: dict[int, int] = {}
        running: dict[int, int] = {}
        for t in tasks[side]:
            bases[t.index] = running.get(t.file, 0) if t.start > 0 else 0
            running[t.file] = bases[t.index] + lines.get((side, t.index), 0)
        out[side] = bases
    return out


def _result(state: Path, part: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((state / "results" / f"p{part:05d}.json").read_text(encoding="utf-8"))
    return data


def _unreadable_rows(markers: list[dict[str, Any]], sources: dict[str, Source],
                     bases: dict[str, dict[int, int]]) -> Iterator[dict[str, Any]]:
    for m in markers:
        side = m["side"]
        files = sources[side].files
        for file_index, line, name, reason in m["unreadable"]:
            if name or sources[side].format == TEXT:
                where = f"{sources[side].path}/{name}"
            else:
                where = f"{files[file_index]}:{bases[side].get(m['task'], 0) + line}"
            row: dict[str, Any] = dict.fromkeys(ROW_FIELDS)
            row.update(status=J.UNREADABLE, side=side, explanation=reason, **{f"{side}_where": where})
            yield row


def _summarise(state: Path, manifest: dict[str, Any], sources: dict[str, Source], markers: list[dict[str, Any]],
               mode: str, opts: AuditOptions, runner: str, seconds: float) -> dict[str, Any]:
    tally = _Tally()
    for part in range(manifest["partitions"]):
        tally.add(_result(state, part))
    counts = tally.counts
    bases = _line_bases(markers, _tasks_of(manifest, sources))
    unreadable = list(_unreadable_rows(markers, sources, bases))
    skipped: dict[str, Counter[str]] = {side: Counter() for side in SIDES}
    for m in markers:
        skipped[m["side"]].update(m["skipped"])
    totals = {name: int(counts.get(name, 0)) for name in (
        "sent_records", "received_records", "matched", J.IDENTICAL, J.BENIGN, "benign_fast", J.CHANGED, J.MINOR,
        J.MISSING, J.EXTRA, "superseded_sent", "superseded_received")}
    totals["unreadable_sent"] = sum(1 for r in unreadable if r["side"] == "sent")
    totals["unreadable_received"] = sum(1 for r in unreadable if r["side"] == "received")
    if totals["sent_records"] and totals["received_records"] and not totals["matched"]:
        keys = manifest["keys"]
        raise InputError(f"the keys match nothing: no sent record's {keys['sent']} equals a received record's "
                         f"{keys['received']}; name the fields records are matched by with --key sent:FIELD "
                         f"--key received:FIELD")
    from journal_fuzz import __version__

    return {
        "journal_fuzz": __version__,
        "sent": {"path": sources["sent"].path, "format": describe_format(sources["sent"].format),
                 "files": len(sources["sent"].files), "key": manifest["keys"]["sent"],
                 "skipped": dict(skipped["sent"])},
        "received": {"path": sources["received"].path, "format": describe_format(sources["received"].format),
                     "files": len(sources["received"].files), "key": manifest["keys"]["received"],
                     "skipped": dict(skipped["received"])},
        "key_choice": manifest["key_choice"], "mode": mode, "language": opts.language, "redacted": opts.redact,
        "runner": runner, "partitions": manifest["partitions"], "seconds": round(seconds, 2),
        "totals": totals, **{k: v for k, v in tally.to_dict().items() if k != "counts"},
        "unreadable": unreadable[:500], "unreadable_total": len(unreadable),
    }


def _rows(state: Path, manifest: dict[str, Any], unreadable: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for part in range(manifest["partitions"]):
        with open(state / "results" / f"p{part:05d}.rows.ndjson", encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)
    yield from unreadable


def _write_outputs(opts: AuditOptions, state: Path, manifest: dict[str, Any], markers: list[dict[str, Any]],
                   sources: dict[str, Source], summary: dict[str, Any]) -> Path | None:
    if not opts.out:
        return None
    bases = _line_bases(markers, _tasks_of(manifest, sources))
    unreadable = _unreadable_rows(markers, sources, bases)
    return write_findings(opts.out, _rows(state, manifest, unreadable))


def headline(summary: dict[str, Any]) -> str:
    """The one-line verdict of an audit."""
    t = summary["totals"]
    damaged = t["changed"] + t["missing"]
    unreadable = t["unreadable_sent"] + t["unreadable_received"]
    if damaged or t["extra"] or unreadable:
        parts = []
        if t["changed"]:
            parts.append(f"{t['changed']:,} changed")
        if t["missing"]:
            parts.append(f"{t['missing']:,} missing")
        if t["extra"]:
            parts.append(f"{t['extra']:,} extra")
        if unreadable:
            parts.append(f"{unreadable:,} unreadable")
        return f"CHANGED: {', '.join(parts)} of {t['sent_records']:,} sent records"
    return f"kept: all {t['matched']:,} sent records came back with every clinical word"


def format_summary(summary: dict[str, Any]) -> str:
    """What the command prints: the verdict, the totals, findings by kind, the worst records."""
    t = summary["totals"]
    lines = [headline(summary), ""]
    lines.append(f"sent:     {summary['sent']['path']} ({summary['sent']['format']}, key {summary['sent']['key']})")
    lines.append(f"received: {summary['received']['path']} ({summary['received']['format']}, key "
                 f"{summary['received']['key']})")
    lines.append(f"records:  {t['sent_records']:,} sent, {t['received_records']:,} received, {t['matched']:,} "
                 f"matched: {t['identical']:,} identical, {t['benign']:,} benign differences, {t['minor']:,} minor, "
                 f"{t['changed']:,} changed; {t['missing']:,} missing, {t['extra']:,} extra")
    if t["unreadable_sent"] or t["unreadable_received"]:
        lines.append(f"unreadable: {t['unreadable_sent']:,} sent, {t['unreadable_received']:,} received records")
        for row in summary["unreadable"][:10]:
            lines.append(f"  {row.get('sent_where') or row.get('received_where')}: {row['explanation']}")
        if summary["unreadable_total"] > 10:
            lines.append(f"  ... and {summary['unreadable_total'] - 10:,} more (all in the findings file)")
    for side in SIDES:
        skipped = summary[side]["skipped"]
        if skipped:
            lines.append(f"not compared ({side}, no note text): " + ", ".join(f"{n:,} {k}" for k, n in
                                                                            sorted(skipped.items())))
    if t["superseded_sent"] or t["superseded_received"]:
        lines.append(f"duplicate keys: {t['superseded_sent']:,} sent and {t['superseded_received']:,} received "
                     f"records superseded by a later one with the same key")
    if summary["by_kind"]:
        lines.append("findings by kind: " + ", ".join(f"{k} {n:,}" for k, n in sorted(
            summary["by_kind"].items(), key=lambda kv: -kv[1])))
        lines.append("findings by severity: " + ", ".join(f"{s} {n:,}" for s, n in sorted(
            summary["by_severity"].items(), key=lambda kv: severity_rank(kv[0]))))
    for case in summary["top"][:5]:
        head = case["panes"][0]["findings"][0] if case["panes"] and case["panes"][0]["findings"] else None
        what = f"{head['kind']}, {head['severity']}: {head['explanation']}" if head else \
            "missing: the whole note did not arrive"
        lines.append(f"  {case['key']}: {what}")
    return "\n".join(lines)
