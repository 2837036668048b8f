"""Evidence for an acceptance sign-off: what one payload exercised, and what a whole run did.

The battery counts each payload it sends (:func:`evidence`); the pytest plugin gathers the per-item outcomes,
xdist workers' included, and :func:`summary` turns them into the run's record (``.journal_fuzz/summary.json``, the
terminal table, the HTML report). Counts come from a payload's facts, not from what the system did with them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from journal_fuzz.constants import CAPS
from journal_fuzz.notes import Note
from journal_fuzz.strategies.grammar import CONSTRUCTIONS

if TYPE_CHECKING:
    from journal_fuzz.strategies.fhir import FhirDocument

__all__ = ["EVIDENCE", "evidence", "summary"]

EVIDENCE = ("notes", "resources", "negation cues (pre)", "negation cues (post)", "negation cues (pseudo)",
            "termination words", "hedges", "sides", "doses", "doses with a decimal comma", "µ units",
            "comparison signs", "dates", "personnummer", *(f"notes past {c} characters" for c in CAPS),
            *(f"construction {c}" for c in CONSTRUCTIONS))
"""What an acceptance sign-off counts, in this order; a count of zero is reported as such."""

_ROLES = {"pre": "negation cues (pre)", "post": "negation cues (post)", "pseudo": "negation cues (pseudo)",
          "termination": "termination words"}


def evidence(item: Note | FhirDocument) -> Counter[str]:
    """Counts of what one payload exercised, from its facts (not from what the system did with them)."""
    out: Counter[str] = Counter()
    notes = [item] if isinstance(item, Note) else [e.note for e in item.embeds]
    out["notes"] += len(notes)
    if not isinstance(item, Note):
        out["resources"] += 1
        out[f"resource type {item.kind}"] += 1
        out[f"wire form {item.wire}"] += 1
        if item.content_type:
            out[f"attachment {item.content_type.split(';')[0]}"] += 1
    for note in notes:
        for fact in note.facts:
            if fact.kind == "negation":
                out[_ROLES.get(fact.role or "pre", "negation cues (pre)")] += 1
            elif fact.kind == "hedge":
                out["hedges"] += 1
            elif fact.kind == "side":
                out["sides"] += 1
            elif fact.kind == "unit":
                if "µ" in fact.text or "μ" in fact.text:
                    out["µ units"] += 1
            elif fact.kind == "number":
                if fact.text in ("<", ">", "≤", "≥"):
                    out["comparison signs"] += 1
            elif fact.kind == "drug":
                out["doses"] += 1
            elif fact.kind == "date":
                out["dates"] += 1
            elif fact.kind == "id":
                out["personnummer"] += 1
        for feature in note.features:
            if feature.startswith("construction:"):
                out[f"construction {feature.removeprefix('construction:')}"] += 1
        if "decimal-comma" in note.features and "dose" in note.features:
            out["doses with a decimal comma"] += 1
        for cap in CAPS:
            if len(note.text) > cap:
                out[f"notes past {cap} characters"] += 1
    return out


def summary(outcomes: Mapping[str, Mapping[str, Any]], *, target: str, seed: int | None, profile: str,
            examples: int, concurrency: int, languages: Sequence[str], started: float,
            run: Mapping[str, Any] | None = None, battery: bool = True) -> dict[str, Any]:
    """The run as evidence: what was tried, per property and language, and what was found.

    ``outcomes`` are the per-item records by node id; ``started`` is the run's :func:`time.monotonic` start;
    ``run`` is which run this is and how it ended (:mod:`journal_fuzz.runs`); ``battery`` whether the battery
    was to run at all (named test paths run alone).
    """
    from journal_fuzz import __version__
    from journal_fuzz.adapters.base import redact_credentials

    items = [dict(outcomes[k]) for k in sorted(outcomes)]
    totals: Counter[str] = Counter()
    for item in items:
        totals.update(item["exercised"])
    systems = [i["system"] for i in items if i.get("system")]
    fhir = any(i["property"].startswith("fhir-") for i in items)
    wanted = [key for key in EVIDENCE if key != "resources" or fhir]
    return {
        "run": dict(run or {}), "battery": battery,
        "target": redact_credentials(target),
        "described": list(dict.fromkeys(i["described"] for i in items if i.get("described"))),
        "seed": seed, "profile": profile, "examples": examples,
        "concurrency": concurrency, "languages": list(languages),
        "journal_fuzz": __version__, "system": systems[0] if systems else {},
        "duration_seconds": round(time.monotonic() - started, 1),
        "items": items,
        "statuses": dict(Counter(i["status"] for i in items)),
        "finding_kinds": dict(Counter(k for i in items for k in i["kinds"])),
        "exercised": {key: totals.get(key, 0) for key in wanted} | {
            k: v for k, v in sorted(totals.items()) if k not in EVIDENCE},
        "never_exercised": [key for key in wanted if not totals.get(key)],
        "longest_note": max((i["longest"] for i in items), default=0),
        "payloads_sent": sum(i["sent"] for i in items),
    }
