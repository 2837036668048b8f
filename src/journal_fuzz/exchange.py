"""The round-trip stage: send one payload through the system under test, read back what it kept, judge it.

Every sender in journal_fuzz goes through :func:`send`: the battery and its confirmation re-sends, ``replay``,
``explore``, the redaction check and the regression tests ``export-test`` writes. So there is one id scheme
(:func:`new_uid`, fresh for every send, so a system that deduplicates never sees a repeat), one place that knows
how a text and a FHIR payload differ on the way out, and one place that picks the oracle for what came back.

Many payloads at once go through a :class:`Pipeline` (or :func:`send_many`, a batch through one): up to K in flight
back to back, so a system that answers in a second is kept busy, and every payload that came back changed is
checked against the others sent around it: another payload's text in this record is ``record-crossed``
(:mod:`journal_fuzz.crossing`), not a pile of unrelated word changes.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from journal_fuzz.adapters.base import Adapter, SystemUnderTestError
from journal_fuzz.assertions import WordLossError
from journal_fuzz.constants import FHIR, TEXT, Carrier
from journal_fuzz.crossing import crossed_finding, crossed_verdict, crossed_with
from journal_fuzz.notes import Note
from journal_fuzz.oracle import Verdict, compare

if TYPE_CHECKING:
    from journal_fuzz.strategies.fhir import FhirDocument

__all__ = ["CarrierError", "Exchange", "FhirPayload", "Payload", "Pipeline", "SendResult", "TextPayload", "judge",
           "new_uid", "payload_of", "send", "send_many", "send_together", "texts_of"]

_COUNTER = itertools.count()


def new_uid() -> str:
    """A payload id unique across runs and processes, at most 20 characters (the HL7 v2.5.1 limit for a message
    control id, the tightest place an id has to fit)."""
    return f"jf{uuid.uuid4().hex[:14]}{next(_COUNTER) % 4096:03x}"


class CarrierError(ValueError):
    """A payload the adapter cannot carry (a text case against a FHIR server); one line for the user."""


@dataclass(frozen=True)
class TextPayload:
    """A note sent as plain text."""

    note: Note
    carries: ClassVar[Carrier] = TEXT

    @property
    def language(self) -> str:
        return self.note.language

    @property
    def notes(self) -> tuple[Note, ...]:
        return (self.note,)

    def stamped(self, uid: str) -> str:
        """What goes on the wire for ``uid``: the text itself (the id travels beside it)."""
        return self.note.text


@dataclass(frozen=True)
class FhirRecipe:
    """How to build a resource around notes (everything :func:`~journal_fuzz.fhir.build_resource` takes but the
    uid), so each send builds it afresh with its own uid."""

    kind: str
    notes: tuple[Note, ...]
    version: str = "R4B"
    content_type: str | None = None
    style: str = "p"
    personnummer: str | None = None
    refuted: bool = False


@dataclass(frozen=True)
class FhirPayload:
    """A FHIR resource and the wire form (json or xml) it is sent in.

    Either built from a :class:`FhirRecipe` for every send, or a saved resource (a case being replayed) that is
    re-stamped with the new uid.
    """

    wire: str
    language: str
    recipe: FhirRecipe | None = None
    resource: dict[str, Any] | None = None
    version: str = "R4B"
    carries: ClassVar[Carrier] = FHIR

    def __post_init__(self) -> None:
        if (self.recipe is None) == (self.resource is None):
            raise ValueError("a FhirPayload has either a recipe or a saved resource")

    @classmethod
    def build(cls, kind: str, notes: Sequence[Note], *, wire: str = "json", version: str = "R4B",
              content_type: str | None = None, style: str = "p", personnummer: str | None = None,
              refuted: bool = False) -> FhirPayload:
        notes = tuple(notes)
        return cls(wire=wire, language=notes[0].language if notes else "auto", version=version,
                   recipe=FhirRecipe(kind, notes, version, content_type, style, personnummer, refuted))

    @classmethod
    def saved(cls, resource: dict[str, Any], *, wire: str = "json", version: str = "R4B",
              language: str = "auto") -> FhirPayload:
        return cls(wire=wire, language=language, resource=resource, version=version)

    @property
    def kind(self) -> str:
        if self.recipe is not None:
            return self.recipe.kind
        return str((self.resource or {}).get("resourceType", "resource"))

    @property
    def notes(self) -> tuple[Note, ...]:
        return self.recipe.notes if self.recipe is not None else ()

    def stamped(self, uid: str) -> dict[str, Any]:
        """The resource as it goes out for ``uid``."""
        from journal_fuzz.fhir.build import build_resource, restamp

        if self.recipe is not None:
            r = self.recipe
            extra = {"personnummer": r.personnummer} if r.personnummer else {}
            return build_resource(r.kind, list(r.notes), version=r.version, content_type=r.content_type,
                                  style=r.style, uid=uid, refuted=r.refuted, **extra).resource
        assert self.resource is not None
        return restamp(self.resource, uid)


Payload = TextPayload | FhirPayload


def payload_of(item: Note | FhirDocument) -> Payload:
    """The payload for a generated note or FHIR document."""
    if isinstance(item, Note):
        return TextPayload(item)
    return FhirPayload(wire=item.wire, language=item.embeds[0].note.language if item.embeds else "auto",
                       version=item.version,
                       recipe=FhirRecipe(item.kind, item.notes, item.version, item.content_type, item.style,
                                         item.personnummer, item.refuted))


def judge(payload: Payload, sent: Any, received: Any, *, lexicons: Sequence[str] = ()) -> Verdict:
    """The oracle's verdict on what came back for ``payload`` (``sent`` is what actually went out); ``lexicons``
    are the run's site lexicons."""
    if isinstance(payload, TextPayload):
        return compare(payload.note, received, lexicons=lexicons)
    from journal_fuzz.fhir import compare_resources

    return compare_resources(sent, received, payload.language, lexicons=lexicons)


@dataclass
class Exchange:
    """One payload as it went out, what came back, and the oracle's verdict on it."""

    payload: Payload
    uid: str
    sent: Any
    """The text, or the FHIR resource dict, actually sent (the uid stamped in)."""
    received: Any
    verdict: Verdict
    seconds: float = 0.0
    """Wall time of the round trip (not of the judging)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """``attachments``: evidence files of a failing exchange from :meth:`Adapter.attachments` (name → bytes)."""

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    @property
    def carries(self) -> Carrier:
        return self.payload.carries

    def assert_kept(self) -> Exchange:
        """Raise :class:`~journal_fuzz.assertions.WordLossError` (the clinical explanation first) unless every
        clinical word came back; for regression tests."""
        if not self.verdict.ok:
            sent = self.sent if isinstance(self.sent, str) else str(self.payload.notes[0].text if
                                                                    self.payload.notes else "")
            raise WordLossError(self.verdict, sent)
        return self


def check_carries(adapter: Adapter, payload: Payload) -> None:
    """Refuse, in one line, a payload the adapter cannot carry."""
    if payload.carries not in adapter.carries:
        what = "plain text" if payload.carries == TEXT else "FHIR"
        raise CarrierError(f"{adapter.describe()} does not carry {what}; this is a {payload.carries} payload")


def send(adapter: Adapter, payload: Payload, *, uid: str | None = None, lexicons: Sequence[str] = ()) -> Exchange:
    """Send ``payload`` through the (started) ``adapter`` under a fresh uid and judge what came back (with the
    run's site ``lexicons`` merged over the packaged ones).

    A failing system raises :class:`~journal_fuzz.adapters.base.SystemUnderTestError`, never a verdict.
    """
    check_carries(adapter, payload)
    uid = uid or new_uid()
    started = time.monotonic()
    if isinstance(payload, TextPayload):
        sent: Any = payload.stamped(uid)
        received: Any = adapter.roundtrip_text(sent, uid=uid)
    else:
        sent = payload.stamped(uid)
        received = adapter.roundtrip_fhir(sent, wire=payload.wire, uid=uid)
    seconds = time.monotonic() - started
    exchange = Exchange(payload, uid, sent, received, judge(payload, sent, received, lexicons=lexicons), seconds)
    files = adapter.attachments(uid)  # asked every time, so the adapter can let go of what it kept for uid
    if files and not exchange.ok:
        exchange.extra["attachments"] = files
    return exchange


SendResult = Exchange | SystemUnderTestError
"""What one send in a batch ended with: an exchange (judged), or the system's failure."""


def texts_of(payload: Payload, resource: Any = None) -> str:
    """The note text a payload carries (for FHIR, every text field of ``resource``, or of the notes it is built
    from), one string: what another record can be compared with."""
    if isinstance(payload, TextPayload):
        return payload.note.text
    if resource is None and payload.recipe is not None:
        return "\n".join(n.text for n in payload.notes)
    from journal_fuzz.fhir import extract_texts

    found = resource if isinstance(resource, dict) else payload.resource
    return "\n".join(f.text for f in extract_texts(found)) if isinstance(found, dict) else ""


@dataclass
class _InFlight:
    uid: str
    payload: Payload
    text: str | None = None

    def texts(self) -> str:
        if self.text is None:
            self.text = texts_of(self.payload)
        return self.text


class Pipeline:
    """Send payloads through one started adapter with up to ``concurrency`` in flight, back to back: a new payload
    goes out as soon as any earlier one is back, not when a whole batch is.

    :meth:`submit` blocks while ``concurrency`` sends are in flight; ``on_result(result, tag)`` is called (in a
    sending thread) for every payload as it comes back. A payload that came back changed is compared with the
    ``window`` payloads submitted most recently (those in flight beside it, and just before): when its record holds
    another's text, the verdict is one ``record-crossed`` finding and ``exchange.extra["crossed"]`` is that other
    payload. An exception that is not the system's failure (a bug) is raised again by the next :meth:`submit` or
    :meth:`drain`.
    """

    def __init__(self, adapter: Adapter, *, concurrency: int, lexicons: Sequence[str] = (),
                 on_result: Callable[[SendResult, Any], None] | None = None, window: int | None = None) -> None:
        self.adapter = adapter
        self.concurrency = max(1, concurrency)
        self.lexicons = tuple(lexicons)
        self.on_result = on_result
        self.submitted = 0
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="journal-fuzz")
        self._recent: deque[_InFlight] = deque(maxlen=window or max(64, 4 * self.concurrency))
        self._lock = threading.Lock()
        self._pending: set[Future[SendResult]] = set()
        self._failure: BaseException | None = None

    def submit(self, payload: Payload, tag: Any = None) -> Future[SendResult]:
        """Send ``payload`` as soon as a slot is free; the future holds its :data:`SendResult`."""
        self._raise_failure()
        check_carries(self.adapter, payload)
        self._slots.acquire()
        entry = _InFlight(new_uid(), payload)
        with self._lock:
            self._recent.append(entry)
            self.submitted += 1
        try:
            future = self._pool.submit(self._one, entry, tag)
        except BaseException:
            self._slots.release()
            raise
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[SendResult]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _one(self, entry: _InFlight, tag: Any) -> SendResult:
        try:
            result: SendResult
            try:
                result = send(self.adapter, entry.payload, uid=entry.uid, lexicons=self.lexicons)
            except SystemUnderTestError as exc:
                result = exc
            else:
                if not result.ok:
                    self._check_crossed(result, entry)
            if self.on_result is not None:
                self.on_result(result, tag)
            return result
        except BaseException as exc:
            self._failure = self._failure or exc
            raise
        finally:
            self._slots.release()

    def _check_crossed(self, exchange: Exchange, entry: _InFlight) -> None:
        with self._lock:
            others = [e for e in self._recent if e.uid != entry.uid]
        if not others:
            return
        fhir = not isinstance(exchange.payload, TextPayload)
        received = texts_of(exchange.payload, exchange.received) if fhir else exchange.received
        own = texts_of(exchange.payload, exchange.sent) if fhir else exchange.sent
        if not isinstance(received, str) or not isinstance(own, str):
            return
        crossing = crossed_with(received, own, [e.texts() for e in others])
        if crossing is None:
            return
        other = others[crossing.other]
        exchange.extra["uncrossed_kinds"] = exchange.verdict.kinds
        exchange.extra["crossed"] = other.payload
        exchange.extra["crossed_uid"] = other.uid
        exchange.verdict = crossed_verdict(exchange.verdict, crossed_finding(
            received, crossing, other_uid=other.uid, path="(all text fields)" if fhir else None))

    def drain(self) -> None:
        """Wait until every submitted payload is back (or failed)."""
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                break
            for future in pending:
                try:
                    future.result()
                except BaseException as exc:
                    # The send's own failure is raised below, once, as the pipeline's; anything else (Ctrl-C
                    # while waiting here) is the run's and goes on up.
                    if future.done() and (future.cancelled() or future.exception() is exc):
                        continue
                    raise
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def close(self) -> None:
        """Stop: wait for what is in flight, send nothing more."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def send_many(adapter: Adapter, payloads: Sequence[Payload], *, concurrency: int, lexicons: Sequence[str] = (),
              pipeline: Pipeline | None = None) -> list[SendResult]:
    """Send ``payloads`` with up to ``concurrency`` in flight (through ``pipeline`` when given, so its window of
    recent payloads is shared) and return their results in order; crossed records are marked as
    :class:`Pipeline` marks them."""
    own = pipeline is None
    line = pipeline or Pipeline(adapter, concurrency=concurrency, lexicons=lexicons)
    try:
        futures = [line.submit(p) for p in payloads]
        line.drain()
        return [f.result() for f in futures]
    finally:
        if own:
            line.close()


def send_together(adapter: Adapter, payload: Payload, companions: Sequence[Payload], *,
                  lexicons: Sequence[str] = ()) -> Exchange:
    """Send ``payload`` at the same time as ``companions`` (a crossed record, replayed as it happened) and return
    its exchange; when its own record came back whole but a companion's holds its text, the companion's: a crossing
    shows in whichever record the race put the other's text. A failing system raises
    :class:`~journal_fuzz.adapters.base.SystemUnderTestError`."""
    results = send_many(adapter, [payload, *companions], concurrency=1 + len(companions), lexicons=lexicons)
    for result in results:
        if isinstance(result, SystemUnderTestError):
            raise result
    exchanges = [r for r in results if isinstance(r, Exchange)]
    crossed = [e for e in exchanges[1:] if e.extra.get("crossed_uid") == exchanges[0].uid]
    return crossed[0] if exchanges[0].ok and crossed else exchanges[0]
