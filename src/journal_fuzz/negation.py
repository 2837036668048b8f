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

__all__ = ["AFFIRMED", "NEGATED", "POST_WINDOW", "UNCERTAIN", "Analysis", "Status"]

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
    side: dict[int, tuple[str, int]]


@dataclass
class Analysis:
    """Lazy, per-sentence NegEx analysis of one tokenised text."""

    tokens: Tokens
    lexicon: Lexicon
    _cache: dict[int, _Sentence] = field(default_factory=dict)
    _known: list[int] = field(default_factory=list)
    _ends: dict[int, int] = field(default_factory=dict)
    _paragraphs: frozenset[int] = frozenset()
    _abbreviations: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._paragraphs = frozenset(self.tokens.paragraph_starts)
        for abbr in self.lexicon.abbreviation_keys:
            if len(abbr) >= 2 and abbr[-1] == ".":
                self._abbreviations.setdefault(abbr[-2], []).append(abbr)

    # -- sentences --------------------------------------------------------------------------------------
    def is_sentence_start(self, i: int) -> bool:
        """Whether a sentence begins at token ``i`` (after ``.``/``!``/``?`` or a blank line)."""
        if i <= 0:
            return True
        keys = self.tokens.keys
        if i >= len(keys):
            return False
        if i in self._paragraphs:
            return True
        k = keys[i - 1]
        if k not in _ENDERS:
            return False
        if k == "." and self._inside_abbreviation(i - 1):
            return False
        # "p.o", "t.ex": a full stop glued to a following lower-case letter does not end a sentence.
        return not (self.tokens.adjacent(i - 1) and keys[i][:1].isalpha()
                    and self.tokens.norm[self.tokens.start(i)].islower())

    def _inside_abbreviation(self, i: int) -> bool:
        keys = self.tokens.keys
        if i == 0:
            return False
        for abbr in self._abbreviations.get(keys[i - 1], ()):
            n = len(abbr)
            if i + 1 >= n and tuple(keys[i + 1 - n:i + 1]) == abbr:
                return True
        return False

    @property
    def sentence_starts(self) -> list[int]:
        """Every sentence start (a full scan: for tools, not for the oracle's hot path)."""
        return [i for i in range(len(self.tokens.keys)) if self.is_sentence_start(i)]

    def sentence_bounds(self, i: int) -> tuple[int, int]:
        """Token range of the sentence holding token ``i`` (an index equal to the length gives the last)."""
        n = len(self.tokens.keys)
        if n == 0:
            return 0, 0
        i = min(max(i, 0), n - 1)
        k = bisect.bisect_right(self._known, i) - 1
        if k >= 0 and self._ends[self._known[k]] > i:
            return self._known[k], self._ends[self._known[k]]
        start = i
        while not self.is_sentence_start(start):
            start -= 1
        end = i + 1
        while end < n and not self.is_sentence_start(end):
            end += 1
        bisect.insort(self._known, start)
        self._ends[start] = end
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
        found = self._sentence(i).side.get(i)
        return found[0] if found else None

    def side_token(self, i: int) -> int | None:
        """Where the side word of the term at token ``i`` starts, if it carries one."""
        found = self._sentence(i).side.get(i)
        return found[1] if found else None

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

    def _sides(self, start: int, end: int, matches: list[Match],
               role_at: dict[int, Match]) -> dict[int, tuple[str, int]]:
        keys = self.tokens.keys
        sides = [m for m in matches if m.entry.role == SIDE]
        out: dict[int, tuple[str, int]] = {}
        if not sides:
            return out
        for m in matches:
            if m.entry.role not in (TERM, DRUG):
                continue
            chosen: tuple[int, str, int] | None = None
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
                    chosen = (distance, s.entry.value, s.start)
            if chosen is not None:
                for t in range(m.start, m.end):
                    out[t] = (chosen[1], chosen[2])
        return out
