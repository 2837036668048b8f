"""Which run a summary belongs to and how it ended, so no record of a run can pass for a later one.

A ``summary.json`` that outlives its run is a false green waiting to happen: after a run whose target could not be
reached, ``journal-fuzz report`` would render the previous run's "every clinical word was kept" as the verdict.
So every run writes its own record as soon as it starts (status ``running``: a run killed before its end says so)
and again however it ends: ``completed``, ``not-started`` (the target could not be started, nothing was sent) or
``interrupted`` (stopped, crashed or cut short before every item ran). Items that never ran are in the record as
:attr:`~journal_fuzz.constants.Status.NOT_RUN`, so a run is never judged by the items that happened to finish.
"""

from __future__ import annotations

import datetime as _dt
import json
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from journal_fuzz.constants import Status

__all__ = ["COMPLETED", "INTERRUPTED", "NOT_STARTED", "RUNNING", "how_it_ended", "new_run", "not_run",
           "write_record"]

RUNNING = "running"
"""Written when the run starts; still there afterwards only if the run never reached its end."""
COMPLETED = "completed"
NOT_STARTED = "not-started"
INTERRUPTED = "interrupted"

_UNFINISHED_EXITS = (2, 3)
"""pytest's ``ExitCode.INTERRUPTED`` and ``INTERNAL_ERROR`` (this module knows nothing of pytest)."""


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def new_run() -> dict[str, Any]:
    """A run's identity: a fresh id and when it started (UTC)."""
    started = _dt.datetime.now(_dt.UTC)
    return {"id": f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
            "started_at": started.isoformat(timespec="seconds"), "status": RUNNING}


def not_run(item: str, error: str | None = None, *, not_started: bool = False) -> dict[str, Any]:
    """The record of a battery item (``negations-sv``) that never sent anything.

    ``not_started`` says the reason was a target that could not be started (``error`` is why).
    """
    prop, _, language = item.rpartition("-")
    return {"item": item, "property": prop, "language": language, "status": str(Status.NOT_RUN), "sent": 0,
            "replayed": 0, "first_loss_at": None, "duration": 0.0, "longest": 0, "kinds": [], "case": None,
            "nondeterministic": False, "error": error, "exercised": {}, "system": {}, "not_started": not_started}


def how_it_ended(run: Mapping[str, Any], items: Sequence[Mapping[str, Any]], exitstatus: int) -> dict[str, Any]:
    """``run`` with its end: the status, when, how many items never ran and, for a target that could not be
    started, why."""
    never = [i for i in items if i.get("status") == Status.NOT_RUN]
    not_started = [i for i in never if i.get("not_started")]
    if not_started and len(never) == len(items):
        status, error = NOT_STARTED, not_started[0].get("error")
    elif never or exitstatus in _UNFINISHED_EXITS:
        status, error = INTERRUPTED, None
    else:
        status, error = COMPLETED, None
    return {**run, "status": status, "ended_at": _now(), "not_run": len(never), "error": error,
            "exit_status": int(exitstatus)}


def write_record(state: Path, data: Mapping[str, Any], report: str | None, cases: Sequence[Any] = ()) -> list[str]:
    """Write ``summary.json`` under ``state`` and, when asked, the HTML ``report``; return what to tell the user.

    Never raises for a file that cannot be written: the run's outcome stands, and the line says what was not
    written and why.
    """
    lines: list[str] = []
    path = state / "summary.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        try:
            path.write_text(body, encoding="utf-8")
        except UnicodeEncodeError:  # text UTF-8 cannot carry (lone surrogates) in an error message
            path.write_text(json.dumps(data, ensure_ascii=True, indent=2) + "\n", encoding="utf-8")
        lines.append(f"summary written to {path}")
    except OSError as exc:
        lines.append(f"journal_fuzz: summary NOT written to {path}: {exc.strerror or exc}")
    if report:
        from journal_fuzz.report.html import write_report

        try:
            lines.append(f"HTML report written to {write_report(report, list(cases), data)}")
        except OSError as exc:
            lines.append(f"journal_fuzz: HTML report NOT written to {report}: {exc.strerror or exc}")
    return lines
