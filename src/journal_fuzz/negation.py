"""NegEx-style scopes: which words each negation or uncertainty cue governs, and which side a term carries.

A pre-cue ("ingen", "denies", "misstänkt") governs the words after it up to a termination term ("men",
"but") or the end of the sentence; a post-cue ("ses ej", "saknas", "kan ej uteslutas") governs a few words
before it. When two cues reach one word, the nearer one decides. Sentences end at ``.``, ``!``, ``?`` (not
inside a listed abbreviation) and at a blank line.

Work is done per sentence and only for sentences the oracle asks about, so a 1 MiB note with twenty changes
costs twenty sentences of analysis, not the whole note.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from journal_fuzz.lexicon import (
    DRUG,
    HEDGE_POST,
    HEDGE_PRE,
    NEG_POST,
    NEG_PRE,
    PSEUDO,
    SIDE,
    TERM,
    TERMINATION,
    Lexicon,
    Match,
)
from journal_fuzz.text import Tokens

__all__ = ["AFFIRMED", "NEGATED", "UNCERTAIN", "POST_WINDOW", "Analysis", "Status"]

AFFIRMED = "affirmed"
NEGATED = "negated"
UNCERTAIN = "uncertain"

POST_WINDOW = 5
"""How many words back a post-cue reaches (NegEx uses five)."""
SIDE_WINDOW = 3
"""How many tokens from a term a side word may stand and still belong to it."""

_ENDERS = frozenset({".", "!", "?"})
_CLAUSE = frozenset({".", "!", "?", ",", ";", ":"})
_CUE_ROLES = frozenset({NEG_PRE, NEG_POST, HEDGE_PRE, HEDGE_POST, PSEUDO, TERMINATION})


@dataclass(frozen=True)
class Status:
    """What a word's sentence says about it."""

    polarity: str
    cue: Match | None = None
    """The cue that decided, or None when the word is affirmed."""


@dataclass
class _Sentence:
    start: int
    end: int
    matches: list[Match]
    role_at: dict[int, Match]
    status: dict[int, Status]
    side: dict[int, str]


@dataclass
class Analysis:
    """Lazy, per-sentence NegEx analysis of one tokenised text."""

    tokens: Tokens
    lexicon: Lexicon
    _starts: list[int] = field(default_factory=list)
    _cache: dict[int, _Sentence] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._starts = self._sentence_starts()

    # -- sentences --------------------------------------------------------------------------------------
    def _sentence_starts(self) -> list[int]:
        keys = self.tokens.keys
        n = len(keys)
        abbreviations = self.lexicon.abbreviation_keys
        starts = {0}
        for i, k in enumerate(keys):
            if k in _ENDERS and i + 1 < n:
                if k == "." and self._inside_abbreviation(i, abbreviations):
                    continue
                # "p.o", "t.ex": a full stop glued to a following lower-case letter does not end a sentence.
                if self.tokens.adjacent(i) and keys[i + 1][:1].isalpha() and \
                        self.tokens.norm[self.tokens.starts[i + 1]].islower():
                    continue
                starts.add(i + 1)
        starts.update(self.tokens.paragraph_starts)
        return sorted(starts)

    def _inside_abbreviation(self, i: int, abbreviations: list[tuple[str, ...]]) -> bool:
        keys = self.tokens.keys
        for abbr in abbreviations:
            n = len(abbr)
            if n and abbr[-1] == "." and i + 1 >= n and tuple(keys[i + 1 - n:i + 1]) == abbr:
                return True
        return False

    @property
    def sentence_starts(self) -> list[int]:
        return self._starts

    def sentence_bounds(self, i: int) -> tuple[int, int]:
        """Token range of the sentence holding token ``i`` (an index equal to the length gives the last)."""
        n = len(self.tokens.keys)
        if n == 0:
            return 0, 0
        i = min(max(i, 0), n - 1)
        k = bisect.bisect_right(self._starts, i) - 1
        start = self._starts[k]
        end = self._starts[k + 1] if k + 1 < len(self._starts) else n
        return start, end

    def _sentence(self, i: int) -> _Sentence:
        start, end = self.sentence_bounds(i)
        cached = self._cache.get(start)
        if cached is None:
            cached = self._analyse(start, end)
            self._cache[start] = cached
        return cached

    # -- per-token answers ------------------------------------------------------------------------------
    def match_at(self, i: int) -> Match | None:
        """The lexicon match covering token ``i``, if any."""
        if not 0 <= i < len(self.tokens.keys):
            return None
        return self._sentence(i).role_at.get(i)

    def status(self, i: int) -> Status:
        return self._sentence(i).status.get(i, Status(AFFIRMED))

    def side(self, i: int) -> str | None:
        """The side ("right", "left", "bilateral") of the term at token ``i``, if it carries one."""
        return self._sentence(i).side.get(i)

    def matches(self, lo: int, hi: int) -> list[Match]:
        """Lexicon matches that overlap tokens ``lo`` to ``hi``."""
        out: list[Match] = []
        i = lo
        while i < hi:
            sent = self._sentence(i)
            out.extend(m for m in sent.matches if m.end > lo and m.start < hi)
            i = sent.end
        return out

    def is_cue(self, i: int) -> bool:
        m = self.match_at(i)
        return m is not None and m.entry.role in _CUE_ROLES

    # -- the analysis -----------------------------------------------------------------------------------
    def _analyse(self, start: int, end: int) -> _Sentence:
        keys = self.tokens.keys
        matches = self.lexicon.match(keys, start, end)
        role_at: dict[int, Match] = {}
        for m in matches:
            for t in range(m.start, m.end):
                role_at[t] = m
        terminations = [m for m in matches if m.entry.role == TERMINATION]
        best: dict[int, tuple[int, Status]] = {}

        def offer(t: int, distance: int, status: Status) -> None:
            m = role_at.get(t)
            if m is not None and m.entry.role in _CUE_ROLES:
                return
            old = best.get(t)
            if old is None or distance < old[0]:
                best[t] = (distance, status)

        for m in matches:
            role = m.entry.role
            if role in (NEG_PRE, HEDGE_PRE):
                polarity = NEGATED if role == NEG_PRE else UNCERTAIN
                stop = end
                for term in terminations:
                    if term.start >= m.end:
                        stop = min(stop, term.start)
                for t in range(m.end, stop):
                    offer(t, t - m.end, Status(polarity, m))
            elif role in (NEG_POST, HEDGE_POST):
                polarity = NEGATED if role == NEG_POST else UNCERTAIN
                words = 0
                t = m.start - 1
                while t >= start and words < POST_WINDOW:
                    k = keys[t]
                    if k in _CLAUSE:
                        break
                    tm = role_at.get(t)
                    if tm is not None and tm.entry.role == TERMINATION:
                        break
                    offer(t, m.start - t, Status(polarity, m))
                    if k[:1].isalnum():
                        words += 1
                    t -= 1
        status = {t: st for t, (_d, st) in best.items()}
        return _Sentence(start, end, matches, role_at, status, self._sides(start, end, matches, role_at))

    def _sides(self, start: int, end: int, matches: list[Match], role_at: dict[int, Match]) -> dict[int, str]:
        keys = self.tokens.keys
        sides = [m for m in matches if m.entry.role == SIDE]
        out: dict[int, str] = {}
        if not sides:
            return out
        for m in matches:
            if m.entry.role not in (TERM, DRUG):
                continue
            chosen: tuple[int, str] | None = None
            for s in sides:
                if s.end <= m.start:
                    gap = range(s.end, m.start)
                    distance = m.start - s.end
                else:
                    if s.start < m.end:
                        continue
                    gap = range(m.end, s.start)
                    distance = s.start - m.end + 1
                if distance > SIDE_WINDOW or any(keys[g] in _CLAUSE for g in gap):
                    continue
                if chosen is None or distance < chosen[0]:
                    chosen = (distance, s.entry.value)
            if chosen is not None:
                for t in range(m.start, m.end):
                    out[t] = chosen[1]
        return out
