"""From a reported sent/received pair to a case file and a regression test.

``journal-fuzz incident new`` classifies the report with the oracle and writes a case (the same format the plugin
saves); ``journal-fuzz export-test`` turns a case into a plain pytest module: a Hypothesis ``@example`` for the
exact case plus a property over its neighbourhood, run against the target the plugin is configured with.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from journal_fuzz.cases import Case, versions
from journal_fuzz.constants import TEXT
from journal_fuzz.exchange import Exchange, TextPayload, judge
from journal_fuzz.notes import Note
from journal_fuzz.oracle import Verdict, detect_language

__all__ = ["export_test", "new_incident"]


def new_incident(sent: str, received: str, language: str = "auto") -> tuple[Case, Verdict]:
    """A case for a reported word loss, classified by the oracle."""
    if language == "auto":
        language = detect_language(sent)
    payload = TextPayload(Note(text=sent, language=language))
    verdict = judge(payload, sent, received)
    case = Case.from_exchange(Exchange(payload, "", sent, received, verdict), prop="incident", language=language,
                              source="incident", versions=versions())
    return case, verdict


def _slug(case: Case) -> str:
    stem = case.path.stem if case.path is not None else f"{case.prop}-{case.language}"
    return re.sub(r"[^0-9a-zA-Z_]+", "_", stem).strip("_").lower() or "incident"


def export_test(case: Case) -> str:
    """A pytest module that keeps the case from coming back."""
    name = _slug(case)
    kinds = ", ".join(case.kinds) or "no findings"
    origin = f"{case.path.name}" if case.path is not None else "a journal_fuzz case"
    if case.carries == TEXT:
        note = case.sent_note()
        return f'''"""Regression test for a word loss ({kinds}), from {origin}.

Runs against the system the journal_fuzz plugin is configured with:
    pytest {{this file}} --journal-fuzz=SPEC          (or target = "SPEC" in [tool.journal_fuzz])
The @example is the exact reported note; the property sends its neighbourhood (the guilty sentence alone, the
same cue elsewhere, other cues of the same role, other lengths).
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings

from journal_fuzz import Note
from journal_fuzz.exchange import TextPayload, send
from journal_fuzz.explore import neighbourhood

NOTE = Note(text={note.text!r}, language={note.language!r})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(note=NOTE)
@given(note=neighbourhood(NOTE))
def test_{name}(note: Note, journal_fuzz_adapter) -> None:
    send(journal_fuzz_adapter, TextPayload(note)).assert_kept()
'''
    resource = json.dumps(case.sent["resource"], ensure_ascii=False, indent=4)
    wire = case.sent.get("wire", "json")
    version = case.sent.get("version", "R4B")
    kind = case.sent.get("kind", "resource")
    return f'''"""Regression test for a word loss in a FHIR {kind} ({kinds}), from {origin}.

Runs against the system the journal_fuzz plugin is configured with:
    pytest {{this file}} --journal-fuzz=SPEC          (or target = "SPEC" in [tool.journal_fuzz])
"""

from __future__ import annotations

import json

from journal_fuzz.exchange import FhirPayload, send

RESOURCE = json.loads({resource!r})
PAYLOAD = FhirPayload.saved(RESOURCE, wire={wire!r}, version={version!r}, language={case.language or "auto"!r})


def test_{name}(journal_fuzz_adapter) -> None:
    send(journal_fuzz_adapter, PAYLOAD).assert_kept()
'''


def default_cases_dir() -> Path:
    return Path(".journal_fuzz") / "cases"
