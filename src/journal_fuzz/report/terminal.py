"""The run's evidence as the terminal shows it at the end of ``pytest --journal-fuzz=SPEC``.

Renders the record :func:`journal_fuzz.evidence.summary` builds; it writes nothing and knows nothing of pytest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journal_fuzz.wording import plural

__all__ = ["evidence_table"]

_LABELS = {"passed": "kept every word", "system-error": "SYSTEM ERROR", "unsupported": "not supported by the target",
           "not-run": "NOT RUN"}


def evidence_table(data: Mapping[str, Any], *, target: str) -> list[str]:
    """One line per item, then what was exercised (a feature never exercised says so), then the run's totals and,
    for a run that did not complete, how it ended.

    ``target`` is how the system describes itself (an adapter's ``describe()``), already free of credentials.
    """
    run = data.get("run") or {}
    items = data["items"]
    if run.get("status") == "not-started":
        # Nothing was sent: no table of zeros, only what happened (the cause was printed once, with the first item).
        return [f"NOT STARTED: the target {target} could not be started, so nothing was checked: "
                f"{plural(len(items), 'property', 'properties')} not run; seed {data['seed']}"]
    lines: list[str] = []
    for item in items:
        status = _LABELS.get(item["status"]) or (
            ("NONDETERMINISTIC " if item["nondeterministic"] else "") + f"LOST WORDS ({', '.join(item['kinds'])})")
        lines.append(f"{item['item']:<28} {item['sent']:>6} sent  {item['duration']:6.1f} s  {status}")
    lines.append("")
    lines.append("exercised (what an acceptance sign-off can cite):")
    for key, count in data["exercised"].items():
        lines.append(f"  {key:<40} {count:>7}" + ("   <- NEVER EXERCISED" if count == 0 else ""))
    lines.append(f"  {'longest note (characters)':<40} {data['longest_note']:>7}")
    system = data["system"]
    software = f" ({', '.join(f'{k} {v}' for k, v in system.items())})" if system else ""
    lines.append(f"{data['payloads_sent']} payloads sent to {target}{software}; seed {data['seed']}; "
                 f"{data['duration_seconds']} s; "
                 + ", ".join(f"{n} {s}" for s, n in sorted(data["statuses"].items())))
    if run.get("status") == "interrupted":
        lines.append(f"INTERRUPTED: the run ended before every property ran: {run.get('not_run', 0)} of "
                     f"{plural(len(items), 'property', 'properties')} not run, so this run proves nothing about "
                     f"them")
    return lines
