"""The acceptance battery: Hypothesis properties that send generated notes and FHIR documents through a system.

Each :class:`Property` is run per language with :func:`run`, and returns an :class:`Outcome`: passed, word loss
(every distinct loss the run met, each with its minimal case and whether it reproduces on its own), a system error,
or "not supported by the target". The pytest plugin and ``journal-fuzz selftest`` both drive this module; it knows
nothing of pytest.

Against a real system each round trip costs 0.3-5 s, so a run is built around that:

- Hypothesis generates; it does not wait. Each example's payloads go into a :class:`~journal_fuzz.exchange.Pipeline`
  that keeps ``concurrency`` of them in flight back to back (many real losses happen only under load), and the
  verdicts arrive as they come back. A loss is recorded, not raised, so generation goes on to ``examples`` and one
  run sees every loss, grouped by mechanism (:func:`journal_fuzz.reduce.signature`).
- Each distinct loss is then reduced by :func:`journal_fuzz.reduce.reduce_loss` with the same concurrency (whole
  rounds of candidates at once) within the shrink budget, instead of Hypothesis's shrinker, which would spend one
  round trip per step. The word-level pass ends 1-minimal (no single word or sentence can go), so Hypothesis's
  shrinker has nothing left to do and is not run.
- With an example database (``--journal-fuzz-db``), the example that first showed a loss is stored as a choice
  sequence (Hypothesis's reuse phase replays it) and each minimal case as a payload, sent before anything is
  generated next run, here or on another CI machine; a kept case that no longer loses anything is deleted.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase
from hypothesis.errors import FlakyFailure

from journal_fuzz import strategies as jst
from journal_fuzz.adapters.base import Adapter, SystemUnderTestError, UnsupportedError
from journal_fuzz.cases import payload_from_record, payload_record
from journal_fuzz.constants import FHIR, TEXT, Carrier, Status
from journal_fuzz.evidence import EVIDENCE, evidence  # re-exported: they lived here before evidence.py
from journal_fuzz.exchange import Exchange, Payload, Pipeline, SendResult, payload_of, send, send_together
from journal_fuzz.kinds import RECORD_CROSSED, severity_rank
from journal_fuzz.notes import Note
from journal_fuzz.oracle import Finding, Verdict
from journal_fuzz.reduce import DEFAULT_BUDGET, Budget, Reduction, matching, reduce_loss, signatures
from journal_fuzz.strategies.fhir import FhirDocument

__all__ = ["EVIDENCE", "MAX_REDUCED", "PROPERTIES", "Loss", "Outcome", "Property", "RunConfig", "evidence",
           "properties_for", "run"]

MAX_REDUCED = 12
"""Distinct losses reduced per item; beyond these (a system that garbles everything) the rest are reported as
found, so a slow system's run stays bounded."""


@dataclass(frozen=True)
class Property:
    """One acceptance property: what it sends, and which adapters can carry it."""

    name: str
    carries: Carrier
    description: str
    strategy: Callable[..., st.SearchStrategy[Any]]
    """(language, FHIR version, site lexicons=()) -> strategy of Note (text) or FhirDocument (FHIR)."""
    variant: str = ""
    """The adapter variant this item runs through (a web editor's input method: ``negations.paste``)."""


NoteSource = Callable[[str], st.SearchStrategy[Note]]


def _fhir(kinds: Sequence[str], hostile: bool = False,
          notes: NoteSource | None = None) -> Callable[..., st.SearchStrategy[Any]]:
    return lambda lang, version, lex=(): jst.fhir_documents(lang, version=version, kinds=kinds, hostile=hostile,
                                                            max_note_size=3000, notes=notes, lexicons=lex)


PROPERTIES: tuple[Property, ...] = (
    Property("notes", TEXT, "realistic notes: sections, findings, doses, labs, sides",
             lambda lang, _v, lex=(): jst.notes(lang, lexicons=lex)),
    Property("negations", TEXT, "negations before and after the finding, and pseudo-negations",
             lambda lang, _v, lex=(): jst.negated_findings(lang, lexicons=lex)),
    Property("hedges", TEXT, "uncertainty cues: misstänkt, kan ej uteslutas, possible",
             lambda lang, _v, lex=(): jst.hedged_findings(lang, lexicons=lex)),
    Property("medications", TEXT, "doses with decimal commas, µg/mikrog/mg/E/IE, routes, frequencies",
             lambda lang, _v, lex=(): jst.medication_orders(lang, lexicons=lex)),
    Property("labs", TEXT, "lab values with < > ≤ ≥, ranges, slashes, %, °C",
             lambda lang, _v, lex=(): jst.lab_results(lang, lexicons=lex)),
    Property("sides", TEXT, "höger/vänster, hö/vä, dx/sin, bilateral",
             lambda lang, _v, lex=(): jst.sided_findings(lang, lexicons=lex)),
    Property("hostile", TEXT, "HL7 delimiters, markup-like text, RTF braces, NFD, nbsp, zero-width, emoji",
             lambda lang, _v, lex=(): st.one_of(jst.hostile_text(lang, lex),
                                                jst.notes(lang, hostile=True, lexicons=lex))),
    Property("lengths", TEXT, "critical words just past 64/200/255/1000/2000/4000/32767/65535 characters",
             lambda lang, _v, lex=(): jst.lengths_near(lang, lexicons=lex)),
    Property("compounds", TEXT, "long compounds (over 20 letters)",
             lambda lang, _v, lex=(): jst.long_compounds(lang, lexicons=lex)),
    Property("structure", TEXT, "line and paragraph structure: lists, blank lines, CR/LF/CRLF",
             lambda lang, _v, lex=(): jst.notes(lang, min_size=150, max_size=3000, hostile=True, lexicons=lex)),
    Property("fhir-narrative", FHIR, "Composition narratives: paragraphs, line breaks, lists, tables, bold",
             _fhir(["Composition"], hostile=True)),
    Property("fhir-attachments", FHIR, "DocumentReference attachments: text, HTML, XHTML, RTF",
             _fhir(["DocumentReference"], hostile=True)),
    Property("fhir-notes", FHIR, "Observation, Condition, AllergyIntolerance, MedicationRequest, DiagnosticReport",
             _fhir(["Observation", "Condition", "AllergyIntolerance", "MedicationRequest", "DiagnosticReport"])),
    Property("fhir-bundles", FHIR, "document Bundles: Composition first, Patient with a test personnummer",
             _fhir(["Bundle"])),
    Property("fhir-lengths", FHIR, "critical words just past common caps in FHIR strings and attachments",
             _fhir(["Observation", "DiagnosticReport", "DocumentReference"], notes=jst.lengths_near)),
)


def properties_for(adapter: Adapter, names: Sequence[str] | None = None) -> list[Property]:
    """The properties ``adapter`` can carry (optionally only those named), once per adapter variant
    (``negations.type``, ``negations.paste``) when it has several; a name picks all its variants."""
    props = [p for p in PROPERTIES if p.carries in adapter.carries]
    variants = adapter.variants()
    if names:
        unknown = {n for n in names if n.partition(".")[0] not in {p.name for p in PROPERTIES}
                   or (n.partition(".")[2] and n.partition(".")[2] not in variants)}
        if unknown:
            raise ValueError(f"unknown properties {sorted(unknown)}; known: {', '.join(p.name for p in PROPERTIES)}"
                             + (f" (each as NAME.{'|'.join(variants)})" if variants else ""))
    if variants:
        props = [replace(p, name=f"{p.name}.{v}", variant=v) for p in props for v in variants]
    if names:
        props = [p for p in props if p.name in names or p.name.partition(".")[0] in names]
    return props


@dataclass(frozen=True)
class RunConfig:
    examples: int = 25
    seed: int | None = None
    derandomize: bool = False
    concurrency: int = 8
    """Payloads in flight at once, while generating and while reducing."""
    database: ExampleDatabase | None = None
    fhir_version: str = "R4B"
    shrink: bool = True
    """Reduce each distinct loss (False: report the payload that first showed it, as it was)."""
    on_progress: Callable[[int, int], None] | None = None
    """Called with (payloads sent, findings so far) after every example."""
    lexicons: tuple[str, ...] = ()
    """Site lexicon files merged over the packaged ones, for this run only."""
    shrink_budget: Budget = field(default_factory=lambda: Budget.parse(DEFAULT_BUDGET))
    """What reducing one distinct loss may cost (time or round trips)."""


@dataclass
class Loss:
    """One distinct loss: its minimal case, how it was reduced, and what re-sending it alone showed."""

    exchange: Exchange
    """The minimal case (the smallest payload that still showed the loss)."""
    nondeterministic: bool = False
    reruns: list[Any] = field(default_factory=list)
    """What came back when the case was sent again on its own."""
    signature: str = ""
    """The mechanism (:func:`journal_fuzz.reduce.signature`) that makes this loss distinct from the others."""
    first: Exchange | None = None
    """The payload that first showed the loss, as generated."""
    seen: int = 1
    """How many payloads of the run showed it."""
    reduction: Reduction | None = None
    companions: list[Payload] = field(default_factory=list)
    """For a crossed record: the payload whose text came back in it (a replay sends them together)."""

    @property
    def verdict(self) -> Verdict:
        return self.exchange.verdict

    @property
    def finding(self) -> Finding:
        """The finding this loss is about (the first with its signature)."""
        return matching(self.verdict, self.signature) or self.verdict.findings[0]


@dataclass
class Outcome:
    prop: Property
    language: str
    status: Status
    sent: int = 0
    """Payloads sent while generating (reduction's round trips are counted on each loss)."""
    first_loss_at: int | None = None
    """How many payloads were sent up to the first loss (examples until caught)."""
    losses: list[Loss] = field(default_factory=list)
    """Every distinct loss, most severe first."""
    error: SystemUnderTestError | None = None
    exercised: Counter[str] = field(default_factory=Counter)
    """What was sent, counted (see :data:`journal_fuzz.evidence.EVIDENCE`)."""
    longest: int = 0
    replayed: int = 0
    """Minimal cases of earlier runs sent again before generating (from the example database)."""
    duration: float = 0.0
    generating: float = 0.0
    """Wall time of generation and sending, before any reduction."""

    @property
    def item_name(self) -> str:
        return f"{self.prop.name}-{self.language}"

    @property
    def loss(self) -> Loss | None:
        """The first (most severe) distinct loss."""
        return self.losses[0] if self.losses else None


def _size(item: Note | FhirDocument) -> int:
    return len(item.text) if isinstance(item, Note) else sum(len(e.note.text) for e in item.embeds)


@dataclass
class _Found:
    exchange: Exchange
    order: int
    choices: Any = None
    seen: int = 1


def _choices() -> Any:
    """The current example's choice sequence, to store in the example database (None where Hypothesis's
    internals differ: then nothing is stored, and nothing else changes)."""
    try:
        from hypothesis.control import current_build_context

        return tuple(current_build_context().data.choices)
    except Exception:
        return None


def _database_key(prop: Property, language: str) -> bytes:
    return hashlib.sha384(f"journal_fuzz:{prop.name}:{language}".encode()).digest()


_MINIMAL = b".minimal"
"""Suffix of the database key under which each loss's minimal case is kept, as a payload: a reduced case is
rarely something the property's strategy could have drawn, so it cannot be a choice sequence of it."""


def _store(database: ExampleDatabase | None, key: bytes, found: Sequence[_Found],
           minimal: Sequence[Payload] = ()) -> None:
    """Put the examples that showed a loss where Hypothesis's reuse phase replays them first next time, and the
    minimal cases where the next run sends them before generating anything."""
    if database is None:
        return
    for payload in minimal:
        database.save(key + _MINIMAL, json.dumps(payload_record(payload), ensure_ascii=False).encode())
    try:
        from hypothesis.database import choices_to_bytes
    except ImportError:
        return
    for f in found:
        if isinstance(f.choices, tuple):  # (bytes: it was a kept minimal case, already saved above)
            database.save(key, choices_to_bytes(f.choices))


def _saved_minimal(database: ExampleDatabase | None, key: bytes) -> list[tuple[bytes, Payload]]:
    """The minimal cases earlier runs kept for this property and language (unreadable entries are dropped)."""
    if database is None:
        return []
    out: list[tuple[bytes, Payload]] = []
    for raw in sorted(database.fetch(key + _MINIMAL)):
        try:
            payload = payload_from_record(json.loads(raw))
        except (UnicodeDecodeError, json.JSONDecodeError):
            payload = None
        if payload is None:
            database.delete(key + _MINIMAL, raw)
        else:
            out.append((raw, payload))
    return out


def run(prop: Property, language: str, adapter: Adapter, config: RunConfig) -> Outcome:
    """Run one property in one language against a started adapter."""
    outcome = Outcome(prop, language, Status.PASSED)
    adapter = adapter.variant(prop.variant) if prop.variant else adapter
    lock = threading.Lock()
    found: dict[str, _Found] = {}
    state: dict[str, Any] = {"error": None, "findings": 0}
    started = time.monotonic()
    concurrency = max(1, config.concurrency)
    strategy = prop.strategy(language, config.fhir_version, config.lexicons)

    key = _database_key(prop, language)

    def record(result: SendResult, tag: Any) -> None:
        order, choices = tag
        with lock:
            if isinstance(result, SystemUnderTestError):
                if state["error"] is None:
                    state["error"] = result
                return
            outcome.sent += 1
            if result.ok:
                if isinstance(choices, bytes) and config.database is not None:
                    # A kept minimal case that no longer loses anything: the defect is fixed, forget it.
                    config.database.delete(key + _MINIMAL, choices)
                return
            state["findings"] += 1
            if outcome.first_loss_at is None or order + 1 < outcome.first_loss_at:
                outcome.first_loss_at = order + 1
            for sig in signatures(result.verdict):
                if sig in found:
                    found[sig].seen += 1
                else:
                    found[sig] = _Found(result, order, choices)

    pipeline = Pipeline(adapter, concurrency=concurrency, lexicons=config.lexicons, on_result=record)

    def check(batch: list[Note | FhirDocument]) -> None:
        if state["error"] is not None:
            # The system already failed: fail at once, so nothing more is sent.
            raise state["error"]
        choices = _choices() if config.database is not None else None
        for item in batch:
            with lock:
                outcome.exercised.update(evidence(item))
                outcome.longest = max(outcome.longest, _size(item))
            pipeline.submit(payload_of(item), (pipeline.submitted, choices))
        if config.on_progress is not None:
            config.on_progress(outcome.sent, state["findings"])

    # Hypothesis keys its example database on the test; each property and language gets its own key. The
    # minimal cases earlier runs kept go first, as Hypothesis replays its stored failures before generating.
    for raw, payload in _saved_minimal(config.database, key):
        pipeline.submit(payload, (pipeline.submitted, raw))
        outcome.replayed += 1
    test = settings(max_examples=config.examples, deadline=None, derandomize=config.derandomize,
                    database=config.database, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    print_blob=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                             HealthCheck.filter_too_much])(
        # Up to K payloads per example; the pipeline keeps K in flight across examples.
        given(st.lists(strategy, min_size=1, max_size=concurrency))(check))
    test._hypothesis_internal_database_key = key  # type: ignore[attr-defined]
    if config.seed is not None and not config.derandomize and config.database is None:
        # Hypothesis turns its example database off under a fixed seed; with a shared database the stored
        # failures are what make a run reproducible, so the seed is left out then.
        test = hypothesis_seed(config.seed)(test)
    try:
        try:
            test()
        finally:
            pipeline.drain()
    except FlakyFailure:
        if state["error"] is None:
            raise
    except SystemUnderTestError:
        pass
    finally:
        pipeline.close()
    outcome.generating = time.monotonic() - started
    error = state["error"]
    try:
        if found:
            outcome.losses = _losses(adapter, found, config)
            outcome.status = Status.LOST
            outcome.error = error
            _store(config.database, key, [found[loss.signature] for loss in outcome.losses
                                          if loss.signature in found],
                   # (a crossed record shows only with the payload it crossed with: not kept alone)
                   [loss.exchange.payload for loss in outcome.losses
                    if not loss.nondeterministic and loss.signature != RECORD_CROSSED])
        elif isinstance(error, UnsupportedError):
            outcome.status = Status.UNSUPPORTED
            outcome.error = error
        elif error is not None:
            outcome.status = Status.SYSTEM_ERROR
            outcome.error = error
    finally:
        outcome.duration = time.monotonic() - started
    return outcome


def _rank(found: _Found, sig: str) -> tuple[int, int]:
    finding = matching(found.exchange.verdict, sig)
    return (severity_rank(finding.severity) if finding else 9, found.order)


def _losses(adapter: Adapter, found: dict[str, _Found], config: RunConfig) -> list[Loss]:
    """Reduce and confirm every distinct loss (the most severe first), then merge those that turned out to be one
    mechanism (each one's minimal case shows the other too)."""
    ordered = sorted(found, key=lambda sig: _rank(found[sig], sig))
    losses: list[Loss] = []
    for n, sig in enumerate(ordered):
        first = found[sig].exchange
        loss = Loss(first, signature=sig, first=first, seen=found[sig].seen)
        if sig == RECORD_CROSSED:
            other = first.extra.get("crossed")
            loss.companions = [other] if other is not None else []
        if config.shrink and n < MAX_REDUCED:
            loss.reduction = reduce_loss(adapter, first, sig, budget=config.shrink_budget,
                                         concurrency=config.concurrency, lexicons=config.lexicons)
            loss.exchange = loss.reduction.exchange
        losses.append(_confirm(adapter, loss, config.lexicons))
    merged: list[Loss] = []
    for loss in losses:
        twin = next((m for m in merged if loss.signature in signatures(m.verdict)
                     and m.signature in signatures(loss.verdict)), None)
        if twin is None:
            merged.append(loss)
        else:
            twin.seen = max(twin.seen, loss.seen)
    return merged


def _confirm(adapter: Adapter, loss: Loss, lexicons: tuple[str, ...] = (), tries: int = 2) -> Loss:
    """Send the minimal case again on its own (a crossed record: with the payload it crossed with): a loss that
    does not come back is nondeterministic."""
    for _ in range(tries):
        try:
            exchange = (send_together(adapter, loss.exchange.payload, loss.companions, lexicons=lexicons)
                        if loss.companions else send(adapter, loss.exchange.payload, lexicons=lexicons))
        except SystemUnderTestError as exc:
            loss.reruns.append({"error": str(exc)})
            continue
        loss.reruns.append(exchange.received)
        if matching(exchange.verdict, loss.signature) is None:
            loss.nondeterministic = True
    return loss
