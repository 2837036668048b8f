"""The round-trip stage: send one payload through the system under test, read back what it kept, judge it.

Every sender in journal_fuzz goes through :func:`send`: the battery and its confirmation re-sends, ``replay``,
``explore``, the redaction check and the regression tests ``export-test`` writes. So there is one id scheme
(:func:`new_uid`, fresh for every send, so a system that deduplicates never sees a repeat), one place that knows
how a text and a FHIR payload differ on the way out, and one place that picks the oracle for what came back.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from journal_fuzz.adapters.base import Adapter
from journal_fuzz.assertions import WordLossError
from journal_fuzz.constants import FHIR, TEXT, Carrier
from journal_fuzz.notes import Note
from journal_fuzz.oracle import Verdict, compare

if TYPE_CHECKING:
    from journal_fuzz.strategies.fhir import FhirDocument

__all__ = ["CarrierError", "Exchange", "FhirPayload", "Payload", "TextPayload", "judge", "new_uid", "payload_of",
           "send"]

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
