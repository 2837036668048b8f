"""Saved failing cases: everything needed to look at a word loss again, and to replay it against a target.

A case is one JSON file: what was sent, what came back, the findings, the target (credentials removed), the seed
and the versions involved. ``journal-fuzz replay CASE.json --target SPEC`` sends the same payload again and says
whether the loss persists.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journal_fuzz.adapters.base import FHIR, TEXT, Adapter, redact
from journal_fuzz.notes import Note
from journal_fuzz.oracle import Verdict, compare

__all__ = ["CASE_FORMAT", "Case", "CaseError", "load_case", "replay", "system_software", "versions"]

CASE_FORMAT = "journal_fuzz.case/1"


class CaseError(ValueError):
    """A case file that cannot be read; the message is the one line the user sees."""


def versions(adapter: Adapter | None = None) -> dict[str, Any]:
    import hypothesis

    from journal_fuzz import __version__

    out: dict[str, Any] = {"journal_fuzz": __version__, "hypothesis": hypothesis.__version__,
                           "python": platform.python_version()}
    if adapter is not None and (software := system_software(adapter)):
        out["system"] = software
    return out


def system_software(adapter: Adapter) -> dict[str, str]:
    """What the system says it is, or nothing: a courtesy, never a reason to lose a case or fail a run."""
    try:
        return dict(adapter.software())
    except Exception:
        return {}


@dataclass
class Case:
    carries: str
    """text or fhir."""
    sent: dict[str, Any]
    """{"text", "language", "note"} or {"resource", "wire", "version", "kind", "notes"}."""
    received: dict[str, Any]
    verdict: dict[str, Any]
    target: str = ""
    seed: int | None = None
    prop: str = ""
    """The battery property that found it (saved as "property")."""
    language: str = ""
    nondeterministic: bool = False
    reruns: list[Any] = field(default_factory=list)
    versions: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    source: str = "battery"
    """battery (found by the plugin) or incident (written from a reported sent/received pair)."""
    path: Path | None = None

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(f["kind"] for f in self.verdict.get("findings", [])))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": CASE_FORMAT, "created": self.created, "source": self.source, "property": self.prop,
            "language": self.language, "carries": self.carries, "target": redact(self.target), "seed": self.seed,
            "kinds": self.kinds, "nondeterministic": self.nondeterministic, "sent": self.sent,
            "received": self.received, "verdict": self.verdict, "reruns": self.reruns, "versions": self.versions,
        }

    def save(self, directory: Path) -> Path:
        """Write the case under ``directory`` with a name that says what it is; return the path."""
        directory.mkdir(parents=True, exist_ok=True)
        if not self.created:
            self.created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        body = json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=False)
        digest = hashlib.sha1(json.dumps(self.sent, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:10]
        kind = self.kinds[0] if self.kinds else "kept"
        stem = "-".join(x for x in (self.prop, self.language, kind) if x) or "case"
        path = directory / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', stem)}-{digest}.json"
        path.write_text(body + "\n", encoding="utf-8")
        self.path = path
        return path

    def sent_note(self) -> Note:
        note = self.sent.get("note")
        if isinstance(note, dict):
            return Note.from_dict(note)
        return Note(text=self.sent["text"], language=self.language or "sv")


def load_case(path: str | Path) -> Case:
    """Read a case file, or raise :class:`CaseError` saying plainly why not."""
    from journal_fuzz.cli import InputError, read_text

    try:
        text = read_text(str(path), "case file")
    except InputError as exc:
        raise CaseError(str(exc)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(f"case file {path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict) or data.get("format") != CASE_FORMAT:
        raise CaseError(f"{path} is not a journal_fuzz case (expected \"format\": \"{CASE_FORMAT}\")")
    carries = data.get("carries")
    sent = data.get("sent")
    if carries not in (TEXT, FHIR) or not isinstance(sent, dict):
        raise CaseError(f"case file {path} has no usable sent payload")
    if carries == TEXT and not isinstance(sent.get("text"), str):
        raise CaseError(f"case file {path} has no sent text")
    if carries == FHIR and not isinstance(sent.get("resource"), dict):
        raise CaseError(f"case file {path} has no sent FHIR resource")
    return Case(carries=carries, sent=sent, received=data.get("received") or {}, verdict=data.get("verdict") or {},
                target=data.get("target", ""), seed=data.get("seed"), prop=data.get("property", ""),
                language=data.get("language", ""), nondeterministic=bool(data.get("nondeterministic")),
                reruns=list(data.get("reruns") or []), versions=dict(data.get("versions") or {}),
                created=data.get("created", ""), source=data.get("source", "battery"), path=Path(path))


def replay(case: Case, adapter: Adapter, uid: str) -> tuple[Any, Verdict]:
    """Send the case's payload through ``adapter`` again; return what came back and the verdict on it."""
    if case.carries == TEXT:
        if TEXT not in adapter.carries:
            raise CaseError(f"{adapter.describe()} does not carry plain text; this case is a text case")
        received = adapter.roundtrip_text(case.sent["text"], uid=uid)
        return received, compare(case.sent_note(), received, case.language or "auto")
    if FHIR not in adapter.carries:
        raise CaseError(f"{adapter.describe()} does not carry FHIR; this case is a FHIR case")
    from journal_fuzz.fhir import compare_resources

    resource = json.loads(json.dumps(case.sent["resource"]))
    received_resource = adapter.roundtrip_fhir(resource, wire=case.sent.get("wire", "json"), uid=uid)
    return received_resource, compare_resources(resource, received_resource, case.language or "auto")
