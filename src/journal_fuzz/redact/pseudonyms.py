"""The replacements of one case: which pseudonym each original gets, chosen once and used everywhere.

A case is redacted in three stages over all its texts: every original is reserved first (no pseudonym may equal
an original met anywhere in the case), then pseudonyms are chosen in reading order, then the texts are written.
:func:`text_edits` is one text's part in a stage.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from journal_fuzz.redact.detect import (
    DATE,
    EMAIL,
    NAME,
    PHONE,
    PNR,
    POSTCODE,
    STREET,
    STREET_SUFFIX_RE,
    TOWN,
    Detector,
    Hit,
    check_language,
    lexical,
    lexicons,
    luhn,
    resolve,
    surname_shape,
)
from journal_fuzz.redact.edits import Edit, apply_edits
from journal_fuzz.redact.findings import same_findings
from journal_fuzz.redact.recall import known_hits
from journal_fuzz.redact.shapes import case_like, format_phone, pour, shift_date
from journal_fuzz.redact.words import words
from journal_fuzz.synthetic import FIRST_NAMES, LAST_NAMES, TEST_PERSONNUMMER
from journal_fuzz.text import tokenize

RESERVE, ASSIGN, APPLY = "reserve", "assign", "apply"
"""Stages over a case: reserve every original first (no pseudonym may equal one), then choose pseudonyms in
reading order, then write."""

_SUMMARY_WORDS = {PNR: ("personnummer", "personnummer"), NAME: ("name", "names"),
                  PHONE: ("phone number", "phone numbers"), EMAIL: ("e-mail address", "e-mail addresses"),
                  STREET: ("street name", "street names"), POSTCODE: ("postcode", "postcodes"),
                  TOWN: ("town", "towns"), DATE: ("date moved", "dates moved alike")}


@dataclass(eq=False)
class Pseudonyms:
    """The replacements chosen for one case: the same original always gets the same pseudonym.

    It holds the originals, so it must never be printed or saved; ``repr`` shows only counts.
    ``shift_days`` is the one offset every date of the case moves by (random unless given; never 0).
    After :func:`~journal_fuzz.redact.redact_case`, ``kinds_before``/``kinds_after`` hold the oracle's finding
    kinds on the original and the redacted payload, and ``unredacted`` the places (attachments that are not text)
    redaction could not reach.
    """

    seed: int | None = None
    shift_days: int = 0
    kinds_before: list[str] | None = None
    kinds_after: list[str] | None = None
    unredacted: list[str] = field(default_factory=list)
    _maps: dict[str, dict[str, str]] = field(default_factory=dict, init=False)
    """Kind -> original key -> pseudonym."""
    _surfaces: dict[str, tuple[str, str]] = field(default_factory=dict, init=False)
    """Original surface -> (kind, replacement surface), for finding an original again without its context."""
    _reserved: dict[str, set[str]] = field(default_factory=dict, init=False)
    _used: dict[str, set[str]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if not self.shift_days:
            rng = random.Random(self.seed) if self.seed is not None else random.SystemRandom()
            self.shift_days = rng.choice((-1, 1)) * rng.randint(30, 720)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.counts().items()))
        return f"Pseudonyms({counts or 'empty'})"

    # -- public ---------------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many distinct originals of each kind were replaced (dates: how many were moved)."""
        return {kind: len(m) for kind, m in self._maps.items() if m}

    @property
    def findings_kept(self) -> bool | None:
        """Whether the oracle found the same kinds after redaction as before (None before ``redact_case``)."""
        if self.kinds_before is None or self.kinds_after is None:
            return None
        return same_findings(self.kinds_before, self.kinds_after)

    def summary(self) -> str:
        """What was replaced, for a terminal ("2 names, 1 personnummer, 3 dates moved alike"); never the originals
        or the date offset."""
        counts = self.counts()
        parts = [f"{counts[k]} {one_many[counts[k] != 1]}" for k, one_many in _SUMMARY_WORDS.items()
                 if counts.get(k)]
        return ", ".join(parts) if parts else "nothing"

    def learn(self, *texts: str, language: str = "sv") -> None:
        """Reserve every identifier of ``texts`` (so no pseudonym equals one) and choose their pseudonyms."""
        for stage in (RESERVE, ASSIGN):
            for text in texts:
                text_edits(text, self, language, stage)

    # -- keys, reservations, choices --------------------------------------------------------------------------
    @staticmethod
    def _key(h: Hit) -> str:
        if h.kind in (PNR, PHONE):
            return str(h.info[0])
        if h.kind == POSTCODE:
            return re.sub(r"\D", "", h.surface)
        return h.surface.casefold()

    def _reserve(self, kind: str, key: str) -> None:
        reserved = self._reserved.setdefault(kind, set())
        reserved.add(key)
        if kind == NAME and "-" in key:
            reserved.update(part for part in key.split("-") if part)

    def _reserved_any(self, kind: str, key: str) -> bool:
        return key in self._reserved.get(kind, set()) or key in self._used.get(kind, set())

    def _remember(self, kind: str, key: str, value: str, used_key: str) -> str:
        self._maps.setdefault(kind, {})[key] = value
        self._used.setdefault(kind, set()).add(used_key)
        return value

    def _replacement(self, h: Hit, language: str) -> str:
        if h.kind == DATE:
            out = self._maps.setdefault(DATE, {}).setdefault(h.surface, shift_date(h, self.shift_days))
        elif h.kind == PNR:
            out = self._pnr(h)
        elif h.kind == PHONE:
            out = self._phone(h)
        elif h.kind == NAME and "-" in h.surface.strip("-"):
            # Each part on its own, so "Anna-Karin" and "Anna" agree; a part the lexicon knows stays, so the
            # oracle still sees the same clinical words ("Inga-Lill": "inga" is a negation cue).
            parts = []
            for part in h.surface.split("-"):
                if not part or any(lexical(part, lx) for lx in lexicons()):
                    parts.append(part)
                else:
                    parts.append(self._replacement(dataclasses.replace(h, surface=part), language))
            out = "-".join(parts)
        elif h.kind == NAME:
            name = self._name(h)
            # Initials ("Sign: AB") stay initials.
            out = name[:len(h.surface)].upper() if h.surface.isupper() and len(h.surface) <= 3 \
                else case_like(h.surface, name)
        elif h.kind == EMAIL:
            out = self._simple(EMAIL, h.surface.casefold(), lambda n: f"person{n}@example.com")
        elif h.kind == STREET:
            stems = words().street_stems
            suffix = STREET_SUFFIX_RE.search(h.surface)
            end = suffix.group() if suffix else "gatan"
            out = self._simple(STREET, h.surface.casefold(),
                               lambda n: _pick(stems, n) + (str(n // len(stems)) if n >= len(stems) else "") + end)
        elif h.kind == TOWN:
            towns = words().towns
            out = self._simple(TOWN, h.surface.casefold(),
                               lambda n: _pick(towns, n) + (f"-{n // len(towns)}" if n >= len(towns) else ""))
        else:  # POSTCODE
            key = re.sub(r"\D", "", h.surface)
            code = self._simple(POSTCODE, key, lambda n: f"99{n // 100 % 10}{n % 100:02d}")
            out = pour(h.surface, code) if len(key) == 5 else code
        self._surfaces.setdefault(h.surface, (h.kind, out))
        return out

    def _simple(self, kind: str, key: str, make: Callable[[int], str]) -> str:
        known = self._maps.get(kind, {}).get(key)
        if known is not None:
            return known
        n = 0
        while True:
            value = make(n)
            if not self._reserved_any(kind, value.casefold()) and value.casefold() != key:
                return self._remember(kind, key, value, value.casefold())
            n += 1

    def _name(self, h: Hit) -> str:
        key = h.surface.casefold()
        known = self._maps.get(NAME, {}).get(key)
        if known is not None:
            return known
        surname = h.info[0] > 0 if h.info else False
        surname = surname or surname_shape(h.surface)
        want_ascii = h.surface.isascii()
        first, last = _pools()
        pool = last if surname else first
        for prefer in (True, False):
            for cand in pool:
                if prefer and cand.isascii() != want_ascii:
                    continue
                if not self._reserved_any(NAME, cand.casefold()):
                    return self._remember(NAME, key, cand, cand.casefold())
        n = len(self._maps.get(NAME, {}))
        while True:
            cand = f"{'Efternamn' if surname else 'Namn'}{n}"
            if not self._reserved_any(NAME, cand.casefold()):
                return self._remember(NAME, key, cand, cand.casefold())
            n += 1

    def _pnr(self, h: Hit) -> str:
        ten, century, sep, samordning = h.info
        twelve = self._maps.get(PNR, {}).get(ten)
        if twelve is None:
            twelve = self._new_pnr(bool(samordning))
            self._remember(PNR, ten, twelve, twelve[2:])
        digits = twelve if century else twelve[2:]
        return f"{digits[:-4]}{sep}{digits[-4:]}"

    def _new_pnr(self, samordning: bool) -> str:
        if not samordning:
            for cand in _test_personnummer():
                if not self._reserved_any(PNR, cand[2:]):
                    return cand
        k = 0
        while True:
            born = _dt.date(2090, 1, 1) + _dt.timedelta(days=(53 * k + 11) % 3652)  # stays in the 2090s
            day = born.day + (60 if samordning else 0)
            core = f"{born:%y%m}{day:02d}{980 + k // 69 % 20:03d}"
            cand = f"{born.year // 100}{core}{luhn(core)}"
            if not self._reserved_any(PNR, cand[2:]):
                return cand
            k += 1

    def _phone(self, h: Hit) -> str:
        national = str(h.info[0])
        known = self._maps.get(PHONE, {}).get(national)
        if known is None:
            series = next(s for s in words().phone_series if national.startswith(s.prefix))
            for n in range(series.first, series.last + 1):
                cand = f"{series.stem}{n:03d}"
                if not self._reserved_any(PHONE, cand):
                    known = self._remember(PHONE, national, cand, cand)
                    break
            else:  # a hundred distinct numbers in one case: fall back to the mobile series' neighbours
                stem = words().series("mobile").stem
                known = self._remember(PHONE, national, f"{stem}{len(self._maps.get(PHONE, {})) % 1000:03d}", "")
        return format_phone(h.surface, national, known)


def _pick(pool: Sequence[str], n: int) -> str:
    return pool[n % len(pool)]


@lru_cache(maxsize=1)
def _pools() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Pseudonyms that no lexicon knows ("Inga-Lill" would bring a negation cue into the text)."""
    known = lexicons()

    def clean(name: str) -> bool:
        return not any(lexical(p, lx) for p in re.split(r"[-'’ ]", name) if p for lx in known)

    w = words()
    first = tuple(n for n in dict.fromkeys((*FIRST_NAMES, *w.pseudonym_first_names)) if clean(n))
    last = tuple(n for n in dict.fromkeys((*LAST_NAMES, *w.pseudonym_last_names)) if clean(n))
    return first, last


@lru_cache(maxsize=1)
def _test_personnummer() -> tuple[str, ...]:
    return tuple(p for p in TEST_PERSONNUMMER if len(p) == 12 and p.isdigit())


def text_edits(text: str, p: Pseudonyms, language: str, stage: str, force: str | None = None) -> list[Edit]:
    """One text's part in a stage: at the reserve stage nothing but reservations; then the replacements for
    ``text`` (offsets in ``text``), choosing pseudonyms for originals met for the first time. ``force`` takes the
    whole text as a name, a town or a postcode."""
    tokens = tokenize(text)
    detector = Detector(tokens, language, p._maps.get(NAME))
    hits = detector.hits()
    if force is not None:
        hits.extend(detector.forced(force))
    if stage == RESERVE:
        for h in hits:
            p._reserve(h.kind, Pseudonyms._key(h))
        return []
    chosen = resolve(hits)
    chosen = resolve([*chosen, *known_hits(detector, p._surfaces, chosen)])
    edits: list[Edit] = []
    for h in chosen:
        rep = str(h.info[1]) if h.info[:1] == ("known",) else p._replacement(h, language)
        if rep != h.surface:
            a, b = tokens.orig(h.start), tokens.orig_end(h.end)
            if rep != text[a:b]:
                edits.append((a, b, rep))
    return edits


def redact_text(text: str, *, mapping: Pseudonyms | None = None, language: str = "sv") -> tuple[str, Pseudonyms]:
    """``text`` with its identifiers replaced, and the mapping used.

    Pass the mapping on to redact the next text of the same case the same way. A pseudonym is never one of the
    originals seen so far; to be sure it is none of the next text's either, call ``mapping.learn(sent, received)``
    first, or use :func:`~journal_fuzz.redact.redact_case`, which does.
    """
    check_language(language)
    p = mapping if mapping is not None else Pseudonyms()
    text_edits(text, p, language, RESERVE)
    text_edits(text, p, language, ASSIGN)
    return apply_edits(text, text_edits(text, p, language, APPLY)), p
