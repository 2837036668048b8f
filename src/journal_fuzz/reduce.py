"""Reducing a word loss to its minimal case with the system's own concurrency, and telling losses apart.

A real interface answers in 0.3-5 s. Hypothesis shrinks one example at a time, so a case that takes a hundred
shrinking steps costs a hundred round-trip latencies. A clinical note has structure, and a loss is usually in one
sentence: :func:`reduce_loss` cuts the note along it (sentences and lines, then the words of the guilty sentence,
a fact's span never cut) and sends every candidate of a round at once, K in flight through
:func:`~journal_fuzz.exchange.send_many`: each unit alone, the note without each unit, and without every unit the
last round found removable. It keeps the smallest candidate that still shows the same loss and repeats, within a
:class:`Budget` (time or round trips); when that runs out the best case so far is kept, marked not fully reduced.
A FHIR document loses notes first, then the text of the notes left.

"The same loss" is a :func:`signature`: the kind and the shape of what changed (the lost cue word, digits as ``#``,
"cut near 2000 characters"), so four independent defects of one system are four losses and one defect met in
fifty notes is one. A candidate shows the loss when one of its findings has the signature and, if the loss was
about a clinical concept, names one too (a minimal case should still say what it means clinically).
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from journal_fuzz.adapters.base import Adapter
from journal_fuzz.constants import CAPS
from journal_fuzz.exchange import Exchange, FhirPayload, Payload, TextPayload, send_many
from journal_fuzz.kinds import (
    ENCODING_DAMAGED,
    FIELD_CHANGED,
    FIELD_DROPPED,
    HEDGE_CHANGED,
    NEGATION_ADDED,
    NEGATION_DROPPED,
    RECORD_CROSSED,
    REORDERED,
    TRUNCATED,
    WORDS_MERGED,
)
from journal_fuzz.notes import Note
from journal_fuzz.oracle import Finding, Verdict

__all__ = ["DEFAULT_BUDGET", "Budget", "BudgetError", "Reduction", "matching", "reduce_loss", "sentence_spans",
           "signature", "signatures", "size_of", "subnote", "word_spans"]

DEFAULT_BUDGET = "60s"
"""Per distinct loss: at 1 s a round trip, room for sixty rounds of K candidates (a loss in one sentence of a long
note takes five to ten)."""


class BudgetError(ValueError):
    """A shrink budget that cannot be read; the message is the one line the user sees."""


@dataclass(frozen=True)
class Budget:
    """How much reduction one distinct loss may cost: wall time, or round trips (``None``: unlimited)."""

    seconds: float | None = None
    round_trips: int | None = None

    @classmethod
    def parse(cls, text: str) -> Budget:
        """``60s``, ``2m`` or ``1.5m`` (time), ``200`` (round trips); ``0`` reduces nothing."""
        raw = str(text).strip().lower()
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|sec|m|min)?", raw)
        if m is None:
            raise BudgetError(f"shrink budget must be a time like 60s or 2m, or a number of round trips like 200, "
                              f"not {text!r}")
        value, unit = float(m.group(1)), m.group(2)
        if unit is None:
            if not value.is_integer():
                raise BudgetError(f"shrink budget in round trips must be a whole number, not {text!r}")
            return cls(round_trips=int(value))
        return cls(seconds=value * (60 if unit.startswith("m") else 1))

    def __str__(self) -> str:
        if self.round_trips is not None:
            return f"{self.round_trips} round trips"
        return f"{self.seconds:g}s" if self.seconds is not None else "unlimited"

    @property
    def zero(self) -> bool:
        return self.round_trips == 0 or self.seconds == 0


# -- signatures ------------------------------------------------------------------------------------------------
_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+")
_INDEX = re.compile(r"\[\d+\]|\d+")


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _shape(text: str) -> str:
    """Word classes: letters ``a`` (``A`` for a word of twenty letters or more), digits ``#``, the rest kept; a
    stretch of more than three words is only its length class."""
    words = len(text.split())
    if words > 3:
        return "4+ words" if words < 10 else "10+ words"
    out = _LETTERS.sub(lambda m: "A" if len(m.group()) >= 20 else "a", _fold(text))
    return _DIGITS.sub("#", out)


def _side(text: str) -> str:
    return _DIGITS.sub("#", text) if len(text) <= 3 else _shape(text)


def _core(a: str, b: str) -> tuple[str, str]:
    """``a`` and ``b`` without what they share at the start and the end: what actually changed."""
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    return a[i:len(a) - j], b[i:len(b) - j]


def _cut(*offsets: int) -> str:
    """Where a cut fell, as a common cap when one of the offsets (in the sent or the stored text) lies near one:
    characters a system removed before its cut move the sent offset past the cap, never far."""
    for offset in offsets:
        for cap in CAPS:
            if cap * 0.85 <= offset <= cap * 1.03 + 1:
                return f"cut near {cap} characters"
    offset = offsets[0]
    rounded = int(float(f"{offset:.2g}")) if offset >= 10 else offset
    return f"cut at about {rounded} characters"


def signature(finding: Finding | Mapping[str, Any]) -> str:
    """The mechanism of a finding: its kind and the shape of what changed, the same for one defect wherever it
    strikes ("cue-lost:ingen", "number-changed:,→", "truncated:cut near 2000 characters")."""
    f = finding.to_dict() if isinstance(finding, Finding) else finding
    kind = str(f.get("kind") or "")
    sent, received = str(f.get("sent_text") or ""), str(f.get("received_text") or "")
    if kind in (RECORD_CROSSED, REORDERED, ENCODING_DAMAGED, WORDS_MERGED):
        return kind
    if kind in (NEGATION_DROPPED, NEGATION_ADDED) or (kind == HEDGE_CHANGED and not (sent and received)):
        # The word is the mechanism: an 'ej' dropped from "ej påvisad" (a negation) and from "ej säkerställd" (an
        # uncertainty) is one defect.
        cue = sent or received
        if len(cue.split()) > 3:  # not a cue word but a stretch of words, the cue among them
            return f"cue-{'lost' if sent else 'added'}:{_shape(cue)}"
        return f"cue-{'lost' if sent else 'added'}:{_DIGITS.sub('#', _fold(cue))}"
    if kind == TRUNCATED:
        return f"{kind}:{_cut(int(f.get('sent_offset') or 0), int(f.get('received_offset') or 0))}"
    if kind in (FIELD_DROPPED, FIELD_CHANGED):
        return f"{kind}:{_INDEX.sub('#', str(f.get('path') or ''))}"
    if sent and received:
        pairs = list(zip(_fold(sent).split(), _fold(received).split(), strict=False))
        if len(sent.split()) == len(received.split()) and len(pairs) > 1:
            # Word for word ("2,5 µg" → "25 mg"): the first word that changed is this finding's mechanism (the
            # others are found on their own where they strike alone).
            a, b = next(_core(x, y) for x, y in pairs if x != y)
        else:
            a, b = _core(_fold(sent), _fold(received))
        return f"{kind}:{_side(a)}→{_side(b)}"
    return f"{kind}:{'-' if sent else '+'}{_shape(sent or received)}"


def signatures(verdict: Verdict) -> list[str]:
    """The distinct signatures of a verdict's failing findings, in order."""
    return list(dict.fromkeys(signature(f) for f in _failing(verdict)))


def _failing(verdict: Verdict) -> list[Finding]:
    if verdict.ok:
        return []
    from journal_fuzz.kinds import severity_rank

    limit = severity_rank(verdict.policy.fail_on)
    return [f for f in verdict.findings if severity_rank(f.severity) <= limit]


def _about_a_concept(finding: Finding) -> bool:
    return bool(finding.concept) or any(c.term for c in finding.concepts)


def matching(verdict: Verdict, sig: str, *, concept: bool = False) -> Finding | None:
    """The first failing finding of ``verdict`` with signature ``sig`` (naming a concept, when ``concept``)."""
    for f in _failing(verdict):
        if signature(f) == sig and (not concept or _about_a_concept(f)):
            return f
    return None


# -- units of a note ---------------------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?:;])[^\S\r\n]+|[^\S\r\n]*(?:\r\n|\r|\n)\s*")
_WORD = re.compile(r"\S+\s*")

Span = tuple[int, int]


def _keep_facts_whole(cuts: list[int], note: Note) -> list[int]:
    inside = [(f.start, f.end) for f in note.facts]
    return [c for c in cuts if not any(s < c < e for s, e in inside)]


def _spans(cuts: list[int], start: int, end: int) -> list[Span]:
    points = [start, *sorted({c for c in cuts if start < c < end}), end]
    return [(a, b) for a, b in itertools.pairwise(points) if b > a]


def sentence_spans(note: Note) -> list[Span]:
    """The note cut into sentences and lines, each with the whitespace after it (never inside a fact)."""
    cuts = [m.end() for m in _SENTENCE_END.finditer(note.text)]
    return _spans(_keep_facts_whole(cuts, note), 0, len(note.text))


def word_spans(note: Note, start: int, end: int) -> list[Span]:
    """``note.text[start:end]`` cut into words, each with the whitespace after it; a fact is one unit."""
    cuts = [start + m.end() for m in _WORD.finditer(note.text[start:end])]
    return _spans(_keep_facts_whole(cuts, note), start, end)


def subnote(note: Note, spans: Sequence[Span]) -> Note:
    """The note made of ``spans`` of its text, in order: the facts wholly inside them kept, shifted to where they
    now are."""
    ordered = sorted(spans)
    parts: list[str] = []
    facts = []
    at = 0
    for start, end in ordered:
        shift = at - start
        facts += [replace(f, start=f.start + shift, end=f.end + shift) for f in note.facts
                  if start <= f.start and f.end <= end]
        parts.append(note.text[start:end])
        at += end - start
    return Note("".join(parts), note.language, tuple(sorted(facts, key=lambda f: (f.start, f.end))), note.features)


def size_of(payload: Payload) -> int:
    """Characters of note text the payload carries (what "smaller" means)."""
    if isinstance(payload, TextPayload):
        return len(payload.note.text)
    if payload.recipe is None:
        return 0
    return sum(len(n.text) for n in payload.notes)


def _with_notes(payload: FhirPayload, notes: Sequence[Note]) -> FhirPayload:
    assert payload.recipe is not None
    return replace(payload, recipe=replace(payload.recipe, notes=tuple(notes)),
                   language=notes[0].language if notes else payload.language)


# -- the reduction -------------------------------------------------------------------------------------------------
@dataclass
class Reduction:
    """How a loss was reduced: the smallest case that still shows it, and what finding it took."""

    exchange: Exchange
    """The smallest exchange that showed the loss (the one found when nothing smaller did)."""
    round_trips: int = 0
    seconds: float = 0.0
    complete: bool = True
    """False when the budget ran out (or the system failed) before the case was minimal."""
    reason: str = "minimal"
    budget: str = ""
    original_size: int = 0
    rounds: int = 0
    reproduced: bool = True
    """Whether the loss came back at all when its payload was sent again during reduction."""

    @property
    def size(self) -> int:
        return size_of(self.exchange.payload)

    def to_dict(self) -> dict[str, Any]:
        return {"round_trips": self.round_trips, "seconds": round(self.seconds, 3), "complete": self.complete,
                "reason": self.reason, "budget": self.budget, "rounds": self.rounds,
                "original_characters": self.original_size, "characters": self.size}

    def describe(self) -> str:
        """One line for the failure text."""
        if self.round_trips == 0 and self.reason != "minimal":
            return f"not reduced: {self.reason}"
        trips = f"{self.round_trips} round trip{'s' if self.round_trips != 1 else ''}"
        what = f"{self.original_size} → {self.size} characters in {trips}, {self.seconds:.1f} s"
        if self.complete:
            return f"reduced {what}"
        return f"NOT FULLY REDUCED ({self.reason}): {what}; this is the smallest case so far"


class _OutOfBudget(Exception):
    pass


@dataclass
class _Search:
    adapter: Adapter
    sig: str
    concept: bool
    budget: Budget
    concurrency: int
    lexicons: Sequence[str]
    best: Exchange
    floor: int = 0
    """A candidate of fewer characters cannot show the same cut (truncation), so it is not sent."""
    started: float = field(default_factory=time.monotonic)
    round_trips: int = 0
    rounds: int = 0
    errors: int = 0
    reason: str = ""
    extra_first: list[Payload] = field(default_factory=list)
    reproduced: bool | None = None

    def spent(self) -> bool:
        if self.budget.round_trips is not None and self.round_trips >= self.budget.round_trips:
            return True
        return self.budget.seconds is not None and time.monotonic() - self.started >= self.budget.seconds

    def test(self, candidates: Sequence[Payload]) -> list[bool]:
        """Send a round of candidates at once; which still show the loss. The smallest that does becomes the best
        case. Raises :class:`_OutOfBudget` once the budget is spent (after keeping what this round found)."""
        if self.spent():
            self.reason = self.reason or f"the shrink budget of {self.budget} ran out"
            raise _OutOfBudget
        extra, self.extra_first = self.extra_first, []
        batch = [*extra, *candidates]
        if self.budget.round_trips is not None:
            batch = batch[:max(0, self.budget.round_trips - self.round_trips)]
        self.rounds += 1
        self.round_trips += len(batch)
        results = send_many(self.adapter, batch, concurrency=self.concurrency, lexicons=self.lexicons)
        shows: list[bool] = []
        for result in results:
            ok = isinstance(result, Exchange) and matching(result.verdict, self.sig, concept=self.concept) is not None
            if not isinstance(result, Exchange):
                self.errors += 1
            shows.append(ok)
            if ok and isinstance(result, Exchange) and size_of(result.payload) < size_of(self.best.payload):
                self.best = result
        if extra:
            self.reproduced = bool(shows[0])
            shows = shows[len(extra):]
            if not self.reproduced and not any(shows):
                self.reason = "the loss did not come back when its payload was sent again"
                raise _OutOfBudget
        if self.errors >= max(3, self.concurrency):
            self.reason = "the system failed while the case was being reduced"
            raise _OutOfBudget
        shows += [False] * (len(candidates) - len(shows))
        return shows

    def reduce_units(self, units: Sequence[Any], build: Callable[[Sequence[Any]], Payload],
                     size: Callable[[Any], int], fixed: int = 0) -> list[Any]:
        """Delta debugging over ``units`` (the rest of the payload, ``fixed`` characters, stays): each unit alone
        and without each unit (groups of units while there are more than K/2), without every unit found removable,
        and, under a floor, without the longest runs the floor allows; the smallest candidate that still shows the
        loss wins, until no candidate does."""
        keep = list(units)
        half = max(2, self.concurrency // 2)
        groups = half
        removable: list[Any] = []
        while len(keep) > 1:
            singles = len(keep) <= half or groups >= len(keep)
            chunks = [[u] for u in keep] if singles else _chunks(keep, min(groups, len(keep)))
            cands: list[list[Any]] = []
            cands += chunks
            cands += [[u for u in keep if u not in c] for c in chunks]
            if len(removable) >= 2:
                h = len(removable) // 2
                cands += [[u for u in keep if u not in part] for part in (removable, removable[:h], removable[h:])]
            if self.floor:
                cands += self._runs(keep, size, fixed)
            seen: set[tuple[int, ...]] = set()
            unique: list[list[Any]] = []
            for c in cands:
                key = tuple(id(u) for u in c)
                if c and len(c) < len(keep) and key not in seen and fixed + sum(map(size, c)) > self.floor:
                    seen.add(key)
                    unique.append(c)
            if not unique:
                break
            shows = self.test([build(c) for c in unique])
            won = [c for c, ok in zip(unique, shows, strict=True) if ok]
            if won:
                best = min(won, key=lambda c: (sum(map(size, c)), len(c)))
                if singles:
                    gone = {id(u) for c in won if len(c) == len(keep) - 1 for u in keep if u not in c}
                    removable = [u for u in best if id(u) in gone]
                else:
                    removable = []
                keep = best
                groups = max(2, groups - 1)
                continue
            removable = []
            if singles:
                break
            groups = min(len(keep), groups * 2)
        return keep

    def _runs(self, keep: list[Any], size: Callable[[Any], int], fixed: int) -> list[list[Any]]:
        """Under a floor: the note without each of the longest contiguous runs of units it can lose and stay
        above the floor."""
        slack = fixed + sum(map(size, keep)) - self.floor - 1
        runs: list[tuple[int, int, int]] = []
        for i in range(len(keep)):
            total, j = 0, i
            while j < len(keep) and total + size(keep[j]) <= slack:
                total += size(keep[j])
                j += 1
            if j > i:
                runs.append((total, i, j))
        runs.sort(reverse=True)
        out: list[list[Any]] = []
        for _, i, j in runs[:max(2, self.concurrency // 2)]:
            out.append(keep[:i] + keep[j:])
        return out


def _chunks(items: list[Any], n: int) -> list[list[Any]]:
    k, extra = divmod(len(items), n)
    out, at = [], 0
    for i in range(n):
        step = k + (1 if i < extra else 0)
        out.append(items[at:at + step])
        at += step
    return [c for c in out if c]


@dataclass(frozen=True, eq=False)
class _Unit:
    """A span of a note's text (identity matters: two equal spans of different rounds are different units)."""

    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start


def _unit_size(u: Any) -> int:
    return int(u.size)


def _reduce_note(search: _Search, note: Note, rebuild: Callable[[Note], Payload], offset: int | None,
                 needle: str) -> Note:
    """Sentences and lines first, then the words of the sentence the loss is in (``offset`` into the note's text,
    or where ``needle`` is)."""
    units = [_Unit(s, e) for s, e in sentence_spans(note)]

    def build(kept: Sequence[_Unit]) -> Payload:
        return rebuild(subnote(note, [(u.start, u.end) for u in kept]))

    kept = search.reduce_units(units, build, _unit_size) if len(units) > 1 else units
    current = subnote(note, [(u.start, u.end) for u in kept])
    # Where the loss is now: its offset shifted by what was cut before it, or the unit holding the changed words.
    guilty: list[_Unit] = []
    at = 0
    for u in kept:
        text = note.text[u.start:u.end]
        if (offset is not None and u.start <= offset < u.end) or (needle and needle in text):
            guilty.append(_Unit(at, at + u.size))
        at += u.size
    if not guilty and current.text:
        guilty = [_Unit(at - kept[-1].size, at)] if kept else []
    for target in guilty[:1]:
        words = [_Unit(s, e) for s, e in word_spans(current, target.start, target.end)]
        if len(words) < 2:
            continue
        before = (0, target.start)
        after = (target.end, len(current.text))
        fixed = before[1] - before[0] + after[1] - after[0]
        base = current

        def build_words(chosen: Sequence[_Unit], base: Note = base, before: Span = before,
                        after: Span = after) -> Payload:
            return rebuild(subnote(base, [before, *((u.start, u.end) for u in chosen), after]))

        chosen = search.reduce_units(words, build_words, _unit_size, fixed)
        current = subnote(base, [before, *((u.start, u.end) for u in chosen), after])
    return current


def _floor(exchange: Exchange, finding: Finding) -> int:
    """For a cut: how long a candidate must be to be cut at the same place (longer than what came back)."""
    if finding.kind != TRUNCATED:
        return 0
    received = exchange.received if isinstance(exchange.received, str) else ""
    return max(finding.sent_offset, len(received.rstrip()))


def reduce_loss(adapter: Adapter, exchange: Exchange, sig: str, *, budget: Budget, concurrency: int,
                lexicons: Sequence[str] = ()) -> Reduction:
    """Reduce the payload of ``exchange`` (which shows the loss ``sig``) to the smallest that still shows it.

    Every candidate goes through :func:`~journal_fuzz.exchange.send_many` under a fresh uid; the payload itself is
    sent again in the first round, so a loss that does not come back at all stops the search at once.
    """
    started = time.monotonic()
    finding = matching(exchange.verdict, sig)
    result = Reduction(exchange, budget=str(budget), original_size=size_of(exchange.payload))
    if finding is None or sig == RECORD_CROSSED or budget.zero:
        result.complete = finding is not None and sig == RECORD_CROSSED
        result.reason = ("a crossed record is the payloads as they were sent together" if sig == RECORD_CROSSED
                         else "reduction is off" if budget.zero else "the loss is not in this exchange")
        return result
    search = _Search(adapter, sig, _about_a_concept(finding), budget, max(1, concurrency), lexicons, exchange,
                     floor=_floor(exchange, finding))
    search.extra_first = [exchange.payload]
    payload = exchange.payload
    try:
        if isinstance(payload, TextPayload):
            _reduce_note(search, payload.note, TextPayload, finding.sent_offset, finding.sent_text)
        elif isinstance(payload, FhirPayload) and payload.recipe is not None:
            _reduce_fhir(search, payload, finding)
        else:
            search.test([])
    except _OutOfBudget:
        pass
    result.exchange = search.best
    result.round_trips = search.round_trips
    result.rounds = search.rounds
    result.seconds = time.monotonic() - started
    result.reproduced = search.reproduced is not False or search.best is not exchange
    if search.reason:
        result.complete = False
        result.reason = search.reason
    return result


def _reduce_fhir(search: _Search, payload: FhirPayload, finding: Finding) -> None:
    """Fewer notes first, then the text of each note left (the one holding the changed words first)."""
    notes = list(payload.notes)
    if len(notes) > 1:
        class _N:
            def __init__(self, note: Note) -> None:
                self.note = note
                self.size = len(note.text)

        kept = search.reduce_units([_N(n) for n in notes], lambda c: _with_notes(payload, [u.note for u in c]),
                                   _unit_size, fixed=0)
        notes = [u.note for u in kept]
    needle = finding.sent_text.strip()
    order = sorted(range(len(notes)), key=lambda i: 0 if needle and needle in notes[i].text else 1)
    for i in order[:2]:
        def rebuild(note: Note, i: int = i, others: tuple[Note, ...] = tuple(notes)) -> Payload:
            return _with_notes(payload, [*others[:i], note, *others[i + 1:]])

        notes[i] = _reduce_note(search, notes[i], rebuild, None, needle)
        best = search.best.payload
        if isinstance(best, FhirPayload) and best.recipe is not None and len(best.notes) == len(notes):
            notes = list(best.notes)
