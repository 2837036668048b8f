"""Saved failing cases: everything needed to look at a word loss again, and to replay it against a target.

A case is one JSON file: what was sent, what came back, the findings, the target (credentials removed), the seed
and the versions involved. :meth:`Case.payload` is what ``journal-fuzz replay`` hands to
:func:`journal_fuzz.exchange.send` to try it again; the report, ``redact`` and ``explore`` read cases from here.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import os
import platform
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journal_fuzz.adapters.base import Adapter, redact_credentials
from journal_fuzz.constants import FHIR, LANGUAGES, TEXT, Carrier
from journal_fuzz.exchange import Exchange, FhirPayload, Payload, TextPayload, judge
from journal_fuzz.inputs import InputError, read_text
from journal_fuzz.notes import Note
from journal_fuzz.oracle import Verdict
from journal_fuzz.wording import LONE_SURROGATE

__all__ = ["CASE_FORMAT", "Case", "CaseError", "CaseList", "load_case", "load_cases", "load_summary", "reproduced",
           "system_software", "versions"]

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
    carries: Carrier
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
    uid: str = ""
    """The payload id the case was sent under (a replay sends it under a new one)."""
    attachments: dict[str, bytes] = field(default_factory=dict)
    """Evidence files to write beside the case (name suffix → bytes), e.g. ``editor.png`` from the web adapter."""
    files: list[str] = field(default_factory=list)
    """The evidence files beside the case file (names in the same directory), saved as "attachments"."""
    signature: str = ""
    """The mechanism that makes this loss distinct from the run's others (:func:`journal_fuzz.reduce.signature`)."""
    reduction: dict[str, Any] = field(default_factory=dict)
    """How the case was reduced: round trips, seconds, complete, characters before and after."""
    seen: int | None = None
    """How many payloads of the run showed this loss."""
    companions: list[dict[str, Any]] = field(default_factory=list)
    """Payloads sent together with this one that a replay sends with it again (a crossed record's other
    payload): {"note": ...} or {"resource", "wire", "version"}."""
    path: Path | None = None

    @classmethod
    def from_exchange(cls, exchange: Exchange, *, prop: str = "", language: str = "", target: str = "",
                      seed: int | None = None, nondeterministic: bool = False, reruns: list[Any] | None = None,
                      versions: dict[str, Any] | None = None, source: str = "battery", signature: str = "",
                      reduction: dict[str, Any] | None = None, seen: int | None = None,
                      companions: Iterable[Payload] = ()) -> Case:
        """The case for one exchange (a battery loss, or a reported sent/received pair)."""
        payload = exchange.payload
        language = language or payload.language
        sent: dict[str, Any]
        if isinstance(payload, TextPayload):
            sent = {"text": exchange.sent, "language": language, "note": payload.note.to_dict()}
            received: dict[str, Any] = {"text": exchange.received}
        else:
            sent = {"resource": exchange.sent, "wire": payload.wire, "version": payload.version,
                    "kind": payload.kind, "notes": [n.to_dict() for n in payload.notes]}
            received = {"resource": exchange.received}
        return cls(carries=payload.carries, sent=sent, received=received, verdict=exchange.verdict.to_dict(),
                   target=target, seed=seed, prop=prop, language=language, nondeterministic=nondeterministic,
                   reruns=list(reruns or []), versions=dict(versions or {}), source=source, uid=exchange.uid,
                   attachments=dict(exchange.extra.get("attachments") or {}),
                   signature=signature, reduction=dict(reduction or {}), seen=seen,
                   companions=[payload_record(p) for p in companions])

    def companion_payloads(self) -> list[Payload]:
        """What a replay sends together with the case (a crossed record's other payload)."""
        return [p for p in map(payload_from_record, self.companions) if p is not None]

    def payload(self) -> Payload:
        """What to send to try this case again (a FHIR resource is re-stamped with a fresh uid when sent)."""
        if self.carries == TEXT:
            return TextPayload(self.sent_note())
        return FhirPayload.saved(self.sent["resource"], wire=self.sent.get("wire", "json"),
                                 version=self.sent.get("version", "R4B"),
                                 language=self.language if self.language in LANGUAGES else "auto")

    def judge(self) -> Verdict | None:
        """The oracle's verdict on the case's own sent and received payloads (None when one is missing or cannot
        be compared), so a case rewritten by redaction can be checked to still show its loss."""
        sent: Any
        received: Any
        if self.carries == FHIR:
            sent, received = self.sent.get("resource"), self.received.get("resource")
            if not isinstance(sent, dict) or not isinstance(received, dict):
                return None
        else:
            sent, received = self.sent.get("text"), self.received.get("text")
            if not isinstance(received, str) or not isinstance(sent, str):
                return None
        try:
            return judge(self.payload(), sent, received)
        except (ValueError, TypeError, KeyError):
            return None

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(f["kind"] for f in self.verdict.get("findings", [])))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": CASE_FORMAT, "created": self.created, "source": self.source, "property": self.prop,
            "language": self.language, "carries": str(self.carries), "target": redact_credentials(self.target),
            "seed": self.seed, "uid": self.uid,
            "kinds": self.kinds, "nondeterministic": self.nondeterministic, "sent": self.sent,
            "received": self.received, "verdict": self.verdict, "reruns": self.reruns, "versions": self.versions,
            **({"attachments": self.files} if self.files else {}),
            **({"signature": self.signature} if self.signature else {}),
            **({"reduction": self.reduction} if self.reduction else {}),
            **({"seen": self.seen} if self.seen is not None else {}),
            **({"companions": self.companions} if self.companions else {}),
        }

    def save(self, directory: Path) -> Path:
        """Write the case under ``directory`` with a name that says what it is, its evidence files beside it (named
        after it); return the path."""
        directory.mkdir(parents=True, exist_ok=True)
        if not self.created:
            self.created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        named = json.dumps(self.sent, sort_keys=True, ensure_ascii=False) + (f"\n{self.signature}" if self.signature
                                                                           else "")
        digest = hashlib.sha1(named.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        kind = self.kinds[0] if self.kinds else "kept"
        stem = "-".join(x for x in (self.prop, self.language, kind) if x) or "case"
        path = directory / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', stem)}-{digest}.json"
        for suffix, content in self.attachments.items():
            name = f"{path.stem}.{re.sub(r'[^A-Za-z0-9_.-]+', '-', suffix)}"
            (directory / name).write_bytes(content)
            if name not in self.files:
                self.files.append(name)
        data = self.to_dict()
        body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
        lone = sorted(set(LONE_SURROGATE.findall(body)))
        if lone:
            # A system can return text UTF-8 cannot carry (lone surrogates, e.g. an emoji split in two halves).
            # JSON's \\u escapes can, but a reader joins two adjacent halves back into the emoji, so each such
            # received string is also kept exactly (UTF-8 with surrogates passed, base64) and restored on load.
            data["unencodable"] = {
                "code_points": [f"U+{ord(c):04X}" for c in lone],
                "note": "this case holds text UTF-8 cannot carry (lone surrogates); it is saved as JSON \\u "
                        "escapes, and each received string holding them also under 'exact', as it came back",
                "exact": [{"path": at, "utf8_surrogatepass_base64": base64.b64encode(
                    text.encode("utf-8", "surrogatepass")).decode("ascii")}
                    for at, text in _strings(self.received) if LONE_SURROGATE.search(text)],
            }
            body = json.dumps(data, ensure_ascii=True, indent=2, sort_keys=False)
        path.write_text(body + "\n", encoding="utf-8")
        self.path = path
        return path

    def sent_note(self) -> Note:
        note = self.sent.get("note")
        if isinstance(note, dict):
            return Note.from_dict(note)
        return Note(text=self.sent["text"], language=self.language or "sv")


def payload_record(payload: Payload) -> dict[str, Any]:
    """A payload as JSON-ready data that :func:`payload_from_record` turns back into one: a case's companions
    and the minimal cases kept in the example database."""
    if isinstance(payload, TextPayload):
        return {"note": payload.note.to_dict()}
    # A saved resource as it is (a replay re-stamps it anyway), so the same case is the same record every time.
    if payload.resource is not None:
        resource = payload.resource
    else:
        from journal_fuzz.exchange import new_uid

        resource = payload.stamped(new_uid())
    return {"resource": resource, "wire": payload.wire, "version": payload.version}


def payload_from_record(record: Any) -> Payload | None:
    """The payload :func:`payload_record` wrote (None for anything else: a stale or foreign entry is skipped)."""
    if not isinstance(record, dict):
        return None
    try:
        if isinstance(record.get("note"), dict):
            return TextPayload(Note.from_dict(record["note"]))
        if isinstance(record.get("resource"), dict):
            return FhirPayload.saved(record["resource"], wire=str(record.get("wire", "json")),
                                     version=str(record.get("version", "R4B")))
    except (KeyError, TypeError, ValueError):
        return None
    return None


def _finding_key(f: dict[str, Any]) -> tuple[str, str]:
    concept = f.get("concept")
    return str(f.get("kind")), str(concept if concept else " ".join(str(f.get("sent_text", "")).split()).casefold())


def reproduced(case: Case, verdict: Verdict) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Which of the case's findings a new verdict shows again (same kind about the same concept or words), and
    which it does not: a replay that reproduces one of two losses has not reproduced the case."""
    again = {_finding_key(f.to_dict()) for f in verdict.findings}
    findings = [f for f in case.verdict.get("findings", []) if isinstance(f, dict)]
    return [f for f in findings if _finding_key(f) in again], [f for f in findings if _finding_key(f) not in again]


def _strings(value: Any, at: tuple[str | int, ...] = ()) -> Iterable[tuple[list[str | int], str]]:
    """Every string in a JSON value, with the keys and indexes that lead to it."""
    if isinstance(value, str):
        yield list(at), value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, (*at, key))
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from _strings(inner, (*at, n))


def _restore_exact(received: Any, unencodable: Any) -> None:
    """Put back the received strings a case kept exactly (see :meth:`Case.save`); anything malformed is left as
    the JSON text had it."""
    exact = unencodable.get("exact") if isinstance(unencodable, dict) else None
    for entry in exact if isinstance(exact, list) else []:
        try:
            *parents, last = entry["path"]
            holder = received
            for key in parents:
                holder = holder[key]
            text = base64.b64decode(entry["utf8_surrogatepass_base64"]).decode("utf-8", "surrogatepass")
            if isinstance(holder[last], str):
                holder[last] = text
        except (KeyError, IndexError, TypeError, ValueError):
            continue


def load_case(path: str | Path) -> Case:
    """Read a case file, or raise :class:`CaseError` saying plainly why not."""
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
    if carries not in tuple(Carrier) or not isinstance(sent, dict):
        raise CaseError(f"case file {path} has no usable sent payload")
    if carries == TEXT and not isinstance(sent.get("text"), str):
        raise CaseError(f"case file {path} has no sent text")
    if carries == FHIR and not isinstance(sent.get("resource"), dict):
        raise CaseError(f"case file {path} has no sent FHIR resource")
    received = data.get("received") or {}
    _restore_exact(received, data.get("unencodable"))
    return Case(carries=Carrier(carries), sent=sent, received=received,
                verdict=data.get("verdict") or {}, target=data.get("target", ""), seed=data.get("seed"),
                prop=data.get("property", ""), language=data.get("language", ""),
                nondeterministic=bool(data.get("nondeterministic")), reruns=list(data.get("reruns") or []),
                versions=dict(data.get("versions") or {}), created=data.get("created", ""),
                source=data.get("source", "battery"), uid=str(data.get("uid") or ""),
                files=[str(f) for f in data.get("attachments") or [] if isinstance(f, str)],
                signature=str(data.get("signature") or ""),
                reduction=dict(data["reduction"]) if isinstance(data.get("reduction"), dict) else {},
                seen=data["seen"] if isinstance(data.get("seen"), int) else None,
                companions=[c for c in data.get("companions") or [] if isinstance(c, dict)], path=Path(path))


class CaseList(list[Case]):
    """Cases read from a directory, with what could not be read (``errors``) and any run summary found there."""

    def __init__(self, cases: Iterable[Case] = (), errors: Iterable[str] = (),
                 summary: dict[str, Any] | None = None) -> None:
        super().__init__(cases)
        self.errors: list[str] = list(errors)
        self.summary = summary


def _is_summary(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("items"), list) and "statuses" in data


def load_summary(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a run's ``summary.json``, or raise :class:`CaseError` saying plainly why not."""
    p = Path(path)
    try:
        data = json.loads(read_text(p, "run summary"))
    except InputError as exc:
        raise CaseError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise CaseError(f"run summary {p} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not _is_summary(data):
        raise CaseError(f"{p} is not a journal_fuzz run summary (it has no \"items\" and \"statuses\")")
    return dict(data)


def load_cases(directory: str | os.PathLike[str]) -> CaseList:
    """Every case file in ``directory`` (``*.json``, and ``cases/*.json`` below it), sorted by name.

    Never raises: a file that is not a readable case is named in ``errors`` (and shown in the report), and a run
    summary found among the files becomes ``summary`` instead of an error. ``directory`` may also be one case file.
    """
    root = Path(directory)
    errors: list[str] = []
    summary: dict[str, Any] | None = None
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted(root.glob("*.json"))
        if (root / "cases").is_dir():
            files += sorted((root / "cases").glob("*.json"))
    else:
        return CaseList(errors=[f"cases directory not found: {root}"])
    cases: list[Case] = []
    for path in files:
        try:
            cases.append(load_case(path))
        except CaseError as exc:
            if summary is None and _looks_like_summary(path):
                try:
                    summary = load_summary(path)
                    continue
                except CaseError:
                    pass
            errors.append(f"skipped {path}: {exc}")
        except Exception as exc:  # a case file is untrusted input: name it and go on, never crash the report
            errors.append(f"skipped {path}: cannot be read as a case ({type(exc).__name__}: {exc})")
    return CaseList(cases, errors, summary)


def _looks_like_summary(path: Path) -> bool:
    try:
        return _is_summary(json.loads(path.read_text(encoding="utf-8-sig")))
    except Exception:  # not JSON, not readable: then it is simply not a summary
        return False
