"""The acceptance battery: Hypothesis properties that send generated notes and FHIR documents through a system.

Each :class:`Property` is run per language with :func:`run`, which sends ``concurrency`` payloads at once (many
real losses happen only under load), compares every one, and returns an :class:`Outcome`: passed, word loss (with
the minimal case, and whether the loss reproduces on its own), a system error, or "not supported by the target".
The pytest plugin and ``journal-fuzz selftest`` both drive this module; it knows nothing of pytest.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase
from hypothesis.errors import FlakyFailure

from journal_fuzz import strategies as jst
from journal_fuzz.adapters.base import Adapter, SystemUnderTestError, UnsupportedError
from journal_fuzz.constants import FHIR, TEXT, Carrier, Status
from journal_fuzz.evidence import EVIDENCE, evidence  # re-exported: they lived here before evidence.py
from journal_fuzz.exchange import Exchange, payload_of, send
from journal_fuzz.notes import Note
from journal_fuzz.oracle import Verdict
from journal_fuzz.strategies.fhir import FhirDocument

__all__ = ["EVIDENCE", "PROPERTIES", "Loss", "Outcome", "Property", "RunConfig", "evidence", "properties_for",
           "run"]


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
    database: ExampleDatabase | None = None
    fhir_version: str = "R4B"
    shrink: bool = True
    on_progress: Callable[[int, int], None] | None = None
    """Called with (payloads sent, findings so far) after every batch."""
    lexicons: tuple[str, ...] = ()
    """Site lexicon files merged over the packaged ones, for this run only."""


@dataclass
class Loss:
    """The minimal failing case Hypothesis found, and what re-sending it alone showed."""

    exchange: Exchange
    nondeterministic: bool = False
    reruns: list[Any] = field(default_factory=list)
    """What came back when the case was sent again on its own."""

    @property
    def verdict(self) -> Verdict:
        return self.exchange.verdict


@dataclass
class Outcome:
    prop: Property
    language: str
    status: Status
    sent: int = 0
    first_loss_at: int | None = None
    """How many payloads were sent before the first loss (examples until caught)."""
    loss: Loss | None = None
    error: SystemUnderTestError | None = None
    exercised: Counter[str] = field(default_factory=Counter)
    """What was sent, counted (see :data:`journal_fuzz.evidence.EVIDENCE`)."""
    longest: int = 0
    duration: float = 0.0

    @property
    def item_name(self) -> str:
        return f"{self.prop.name}-{self.language}"


class _LossFound(AssertionError):
    def __init__(self, loss: Loss) -> None:
        super().__init__(loss.verdict.findings[0].headline() if loss.verdict.findings else "word loss")
        self.loss = loss


def _size(item: Note | FhirDocument) -> int:
    return len(item.text) if isinstance(item, Note) else sum(len(e.note.text) for e in item.embeds)


def run(prop: Property, language: str, adapter: Adapter, config: RunConfig) -> Outcome:
    """Run one property in one language against a started adapter."""
    outcome = Outcome(prop, language, Status.PASSED)
    adapter = adapter.variant(prop.variant) if prop.variant else adapter
    lock = threading.Lock()
    state: dict[str, Any] = {"error": None, "findings": 0}
    started = time.monotonic()
    concurrency = max(1, config.concurrency)
    strategy = prop.strategy(language, config.fhir_version, config.lexicons)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="journal-fuzz")

    def check(batch: list[Note | FhirDocument]) -> None:
        if state["error"] is not None:
            # The system already failed: fail at once, so shrinking costs nothing and sends nothing.
            raise state["error"]
        try:
            results = list(pool.map(lambda it: send(adapter, payload_of(it), lexicons=config.lexicons), batch))
        except SystemUnderTestError as exc:
            state["error"] = exc
            raise
        with lock:
            outcome.sent += len(batch)
            for item in batch:
                outcome.exercised.update(evidence(item))
                outcome.longest = max(outcome.longest, _size(item))
        for exchange in results:
            if not exchange.ok:
                with lock:
                    state["findings"] += 1
                    if outcome.first_loss_at is None:
                        outcome.first_loss_at = outcome.sent
                raise _LossFound(Loss(exchange))
        if config.on_progress is not None:
            config.on_progress(outcome.sent, state["findings"])

    # Hypothesis keys its example database on the test function; give each property and language its own key.
    check._hypothesis_internal_add_digest = f"journal_fuzz:{prop.name}:{language}".encode()  # type: ignore[attr-defined]
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if config.shrink else [])
    test = settings(max_examples=config.examples, deadline=None, derandomize=config.derandomize,
                    database=config.database, phases=phases, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])(
        # Up to K payloads at once; a loss that needs load keeps the batch large, one that does not shrinks to
        # a single note (and each shrinking step then costs one round trip, not K).
        given(st.lists(strategy, min_size=1, max_size=concurrency))(check))
    if config.seed is not None and not config.derandomize and config.database is None:
        # Hypothesis turns its example database off under a fixed seed; with a shared database the stored
        # failures are what make a run reproducible, so the seed is left out then.
        test = hypothesis_seed(config.seed)(test)
    try:
        test()
    except _LossFound as exc:
        outcome.status = Status.LOST
        outcome.loss = _confirm(adapter, exc.loss, config.lexicons)
    except FlakyFailure as exc:
        found = _first_loss(exc)
        if found is not None:
            outcome.status = Status.LOST
            found.nondeterministic = True
            outcome.loss = found
        elif state["error"] is not None:
            outcome.status = Status.SYSTEM_ERROR
            outcome.error = state["error"]
        else:
            raise
    except UnsupportedError as exc:
        outcome.status = Status.UNSUPPORTED
        outcome.error = exc
    except SystemUnderTestError as exc:
        outcome.status = Status.SYSTEM_ERROR
        outcome.error = exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        outcome.duration = time.monotonic() - started
    return outcome


def _first_loss(exc: BaseException) -> Loss | None:
    if isinstance(exc, _LossFound):
        return exc.loss
    for inner in getattr(exc, "exceptions", ()):
        found = _first_loss(inner)
        if found is not None:
            return found
    return None


def _confirm(adapter: Adapter, loss: Loss, lexicons: tuple[str, ...] = (), tries: int = 2) -> Loss:
    """Send the minimal case again on its own: a loss that does not come back is nondeterministic."""
    for _ in range(tries):
        try:
            exchange = send(adapter, loss.exchange.payload, lexicons=lexicons)
        except SystemUnderTestError as exc:
            loss.reruns.append({"error": str(exc)})
            continue
        loss.reruns.append(exchange.received)
        if exchange.ok:
            loss.nondeterministic = True
    return loss
