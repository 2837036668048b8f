"""NegEx-style scopes: which words each negation or uncertainty cue governs, and which side a term carries.

A pre-cue ("ingen", "denies", "misstänkt") governs the words after it up to a termination term ("men", "but") or
the end of the statement; a post-cue ("ses ej", "saknas", "kan ej uteslutas") governs a few words before it. When
two cues reach one word, the nearer one decides. Each cue may carry rules in the lexicon (``[rules]``): how many
words it reaches (``max_scope``), what ends it (``terminated_by``: *utan* in *inte pneumoni utan bronkit*), and
whether a post-cue also governs forward when nothing stands before it (``direction = "both"``: *Det finns inte
tecken på pneumoni*). Beyond the data:

* a pseudo-negation that begins with a negation (*no change in vision, diplopia*) governs nothing itself, but its
  negation still reaches the next list items;
* a negation directly before an uncertainty cue negates (*no apparent distress*, *not consistent with*);
* a header whose statement is only a cue is governed by it (*Allergier: inga*, *COMPLICATIONS: None*, *Cor: ua*).

Statements end at ``.``, ``!``, ``?`` (not inside a listed abbreviation, not glued to the next word), after a
header's colon, and where the layout starts a new statement: a blank line, or a line break before a list item, a
heading or a capitalised line after an unterminated one. CR, LF and CRLF are the same line break. The oracle
analyses both texts over one segmentation: a layout boundary on either side holds on both (``partner``), so a
change of formatting alone never changes what a cue governs; only a lost word or a lost statement-ending mark can.

Work is done per statement and only for statements the oracle asks about, so a 1 MiB note with twenty changes
costs twenty statements of analysis, not the whole note.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

from journal_fuzz.lexicon import (
    CUE_ROLES,
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

__all__ = ["AFFIRMED", "BULLETS", "NEGATED", "POST_WINDOW", "UNCERTAIN", "Analysis", "Status"]

AFFIRMED = "affirmed"
NEGATED = "negated"
UNCERTAIN = "uncertain"

POST_WINDOW = 5
"""How many words back a post-cue reaches unless its rules say otherwise (NegEx uses five)."""
SIDE_WINDOW = 3
"""How many tokens from a term a side word may stand and still belong to it."""
HEADER_WORDS = 4
"""How many words a colon header ("Past Medical History:") may have."""

BULLETS = frozenset({"-", "*", "•", "·", "‣", "◦", "▪", "▫", "■", "□", "–", "—", "+", "→", "o"})
"""Tokens that open a list item when they start a line and a space follows."""
_ENDERS = frozenset({".", "!", "?"})
_CLAUSE = frozenset({".", "!", "?", ",", ";", ":"})
_LIST_SEPARATORS = frozenset({",", ";"})
_CONTINUATION = frozenset({",", ";", "-", "–", "—", "/", "(", "[", "&", "+", "=", "<", ">", "≤", "≥", "±", "×"})
_TERM_ROLES = frozenset({TERM, DRUG})
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "prof", "doc"})


@dataclass(frozen=True)
class Status:
    """What a word's statement says about it."""

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
    dangling: Status | None = None
    """The statement is only a cue that governs nothing in it ("inga", "None", "ua"): what it says of a header."""


Partner = Callable[[int], bool]


@dataclass
class Analysis:
    """Lazy, per-statement NegEx analysis of one tokenised text.

    ``partner`` says whether the other text of a comparison has a layout boundary at the place aligned with token
    ``i`` of this one; the oracle sets it so that both texts share one segmentation.
    """

    tokens: Tokens
    lexicon: Lexicon
    partner: Partner | None = None
    _cache: dict[int, _Sentence] = field(default_factory=dict)
    _known: list[int] = field(default_factory=list)
    _ends: dict[int, int] = field(default_factory=dict)
    _paragraphs: frozenset[int] = frozenset()
    _abbreviations: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    _sections: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._paragraphs = frozenset(self.tokens.paragraph_starts)
        for abbr in self.lexicon.abbreviation_keys:
            if len(abbr) >= 2 and abbr[-1] == ".":
                self._abbreviations.setdefault(abbr[-2], []).append(abbr)
        for section in self.lexicon.section_keys:
            if section:
                self._sections.setdefault(section[0], []).append(section)
        self._fold = not self.tokens.folded

    def share(self, partner: Partner) -> None:
        """Take the other text's layout boundaries as this one's (see the class docstring); forgets any analysis."""
        self.partner = partner
        self._cache.clear()
        self._known.clear()
        self._ends.clear()

    # -- words ------------------------------------------------------------------------------------------
    def key(self, i: int) -> str:
        """Token ``i`` case-folded (whatever the policy kept)."""
        k = self.tokens.keys[i]
        return k.casefold() if self._fold else k

    def is_plain(self, i: int) -> bool:
        """A function word or a general word: never a concept."""
        return self.key(i) in self.lexicon.plain_words

    def is_content(self, i: int) -> bool:
        """A word of letters that is no function or general word and plays no lexicon role: a word the lexicon does
        not know that may well be a clinical term (*infektion*, *mässling*, *diaphoresis*)."""
        return self._content_key(self.key(i)) and self.match_at(i) is None

    def _content_key(self, k: str) -> bool:
        return len(k) >= 2 and k.isalpha() and k not in self.lexicon.plain_words and k not in self.lexicon.number_words

    def is_name(self, i: int) -> bool:
        """A word that may name what a value or a finding is about: a lexicon term, a content word, or a token of
        letters and digits that is no function word ("SpO2", "HbA1c")."""
        m = self.match_at(i)
        if m is not None:
            return m.entry.role in _TERM_ROLES
        k = self.key(i)
        return k[:1].isalpha() and sum(c.isalpha() for c in k) >= 2 and k not in self.lexicon.plain_words \
            and k not in self.lexicon.number_words

    def _capital(self, i: int) -> bool:
        k = self.tokens.keys[i]
        return k[:1].isalpha() and self.tokens.cased(i)[:1].isupper()

    def _prev(self, i: int) -> int:
        p = i - 1
        while p >= 0 and self.tokens.is_space(p):
            p -= 1
        return p

    def _next(self, i: int) -> int:
        n = len(self.tokens.keys)
        q = i + 1
        while q < n and self.tokens.is_space(q):
            q += 1
        return q

    def _glued(self, i: int, j: int) -> bool:
        """Tokens ``i`` and ``j`` touch (no whitespace between them)."""
        return 0 <= i < j < len(self.tokens.keys) and self.tokens.end(i) == self.tokens.start(j)

    # -- statements -------------------------------------------------------------------------------------
    def is_sentence_start(self, i: int) -> bool:
        """Whether a statement begins at token ``i``: by punctuation, by layout, or by the partner's layout."""
        if i <= 0:
            return True
        if i >= len(self.tokens.keys) or self.tokens.is_space(i):
            return False
        return self.own_boundary(i) or self.layout_boundary(i) or (self.partner is not None and self.partner(i))

    def own_boundary(self, i: int) -> bool:
        """A statement-ending mark before token ``i``: ``.``, ``!``, ``?`` or a header's colon."""
        p = self._prev(i)
        if p < 0:
            return True
        keys = self.tokens.keys
        k = keys[p]
        if k in _ENDERS:
            if k == "." and self._inside_abbreviation(p):
                return False
            if self._glued(p, i) and keys[i][:1].isalnum():
                # A question mark glued to a word asks about that word ("?pneumoni"); "p.o", "t.ex": a full stop
                # glued to a lower-case letter does not end a statement.
                if k == "?":
                    return False
                if keys[i][:1].isalpha() and not self.tokens.cased(i)[:1].isupper():
                    return False
            return True
        return k == ":" and self._header_colon(p)

    def _header_colon(self, p: int) -> bool:
        """A colon that ends a header ("Status:", "CRP:"), not one inside a time or a ratio ("14:30", "1:2")."""
        before = self._prev(p)
        if before < 0 or not (self.tokens.keys[before][:1].isalpha() or self.tokens.keys[before] == ")"):
            return False
        q = self._next(p)
        return not (q < len(self.tokens.keys) and self._glued(p, q) and self.tokens.keys[q][:1].isdigit())

    def layout_boundary(self, i: int) -> bool:
        """The layout starts a new statement at token ``i``: a blank line, a colon header, or a line break before a
        list item, a heading or a capitalised line after an unterminated one."""
        if i in self._paragraphs:
            return True
        p = self._prev(i)
        if p < 0:
            return False
        if self._header_start(i, p):
            return True
        if not self.tokens.breaks_line(p, i):
            return False
        if self.list_marker(i) or self._section_line(p):
            return True
        return self._capital(i) and self._unterminated(p)

    def _unterminated(self, p: int) -> bool:
        """The line ending at token ``p`` ends like a statement would (not on a comma, a dash or "och")."""
        k = self.key(p)
        return k not in _CONTINUATION and k not in self.lexicon.function_words

    def line_start(self, i: int) -> bool:
        """Token ``i`` is the first on its line."""
        p = self._prev(i)
        return p < 0 or self.tokens.breaks_line(p, i)

    def list_marker(self, i: int) -> bool:
        """Token ``i`` opens a list item: a bullet, ``1.``/``1)``, ``#`` or ``>`` at a line start, space after."""
        if not self.line_start(i):
            return False
        keys = self.tokens.keys
        k = keys[i]
        n = len(keys)
        if k in BULLETS or k == ">":
            return i + 1 >= n or not self._glued(i, i + 1)
        if k == "#":
            j = i
            while j + 1 < n and keys[j + 1] == "#" and self._glued(j, j + 1):
                j += 1
            return j + 1 >= n or not self._glued(j, j + 1)
        if k.isdigit() and len(k) <= 3 and i + 1 < n and keys[i + 1] in (".", ")") and self._glued(i, i + 1):
            return i + 2 >= n or not self._glued(i + 1, i + 2)
        return False

    def _section_line(self, p: int) -> bool:
        """The line ending at token ``p`` is a known section heading on its own ("Bedömning", "Plan")."""
        start = p
        while start > 0 and not self.line_start(start) and p - start < HEADER_WORDS:
            start -= 1
        if not self.line_start(start):
            return False
        words = tuple(self.key(t) for t in range(start, p + 1) if not self.tokens.is_space(t))
        return words in self._sections.get(words[0], ()) if words else False

    def _header_start(self, i: int, p: int) -> bool:
        """Token ``i`` is the first word of a colon header: a known section name, capitalised words, or words at a
        line start, followed by a header's colon."""
        keys = self.tokens.keys
        n = len(keys)
        if not keys[i][:1].isalpha() or self.key(i) in self.lexicon.cue_starts:
            return False
        at_line_start = self.tokens.breaks_line(p, i)
        for section in self._sections.get(self.key(i), ()):
            j = i + len(section)
            if j < n and keys[j] == ":" and tuple(self.key(t) for t in range(i, j)) == section \
                    and self._header_colon(j):
                return True
        # Leftmost word only: the word before is not part of the same capitalised run.
        if not at_line_start and (not self._capital(i) or (self._capital(p) and not self._glued(p, i)
                                                            and keys[p][:1].isalpha())):
            return False
        j = i
        words = 0
        while j < n and words < HEADER_WORDS:
            k = keys[j]
            if k == ":":
                return words > 0 and self._header_colon(j)
            if self.tokens.is_space(j) or k in ("-", "/", "&", "'"):
                j += 1
                continue
            if not k[:1].isalpha() or (not at_line_start and not self._capital(j)) \
                    or self.key(j) in self.lexicon.cue_starts:
                return False
            words += 1
            j += 1
        return False

    def _inside_abbreviation(self, i: int) -> bool:
        keys = self.tokens.keys
        if i == 0:
            return False
        for abbr in self._abbreviations.get(self.key(i - 1), ()):
            n = len(abbr)
            if i + 1 >= n and tuple(self.key(t) for t in range(i + 1 - n, i + 1)) == abbr:
                return True
        return keys[i - 1] in _TITLES

    @property
    def sentence_starts(self) -> list[int]:
        """Every statement start (a full scan: for tools, not for the oracle's hot path)."""
        return [i for i in range(len(self.tokens.keys)) if self.is_sentence_start(i)]

    def sentence_bounds(self, i: int) -> tuple[int, int]:
        """Token range of the statement holding token ``i`` (an index equal to the length gives the last)."""
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
        sent = self._sentence(i)
        found = sent.status.get(i)
        if found is not None:
            return found
        if sent.end < len(self.tokens.keys) and self._last_is_colon(sent) and self.is_name(i):
            nxt = self._sentence(sent.end)
            if nxt.dangling is not None:
                return nxt.dangling
        return Status(AFFIRMED)

    def _last_is_colon(self, sent: _Sentence) -> bool:
        last = self._prev(sent.end)
        return last >= sent.start and self.tokens.keys[last] == ":"

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
        return m is not None and m.entry.role in CUE_ROLES

    # -- the analysis -----------------------------------------------------------------------------------
    def _match(self, start: int, end: int) -> list[Match]:
        tok = self.tokens
        if not tok.spaces and tok.folded:
            found = self.lexicon.match(tok.keys, start, end, cased=tok.cased)
        else:
            idx = [t for t in range(start, end) if not tok.is_space(t)]
            raw = self.lexicon.match([self.key(t) for t in idx], 0, len(idx), cased=lambda k: tok.cased(idx[k]))
            found = [Match(idx[m.start], idx[m.end - 1] + 1, m.entry) for m in raw]
        # A one-character cue glued to letters on both sides is damage inside a word ("F?rnekar"), not a cue.
        keys = tok.keys
        return [m for m in found if not (m.end - m.start == 1 and not keys[m.start][:1].isalnum()
                                         and self._glued(m.start - 1, m.start) and self._glued(m.start, m.end)
                                         and keys[m.start - 1][:1].isalnum() and keys[m.end][:1].isalnum())]

    def _analyse(self, start: int, end: int) -> _Sentence:
        tok = self.tokens
        keys = tok.keys
        matches = self._match(start, end)
        role_at: dict[int, Match] = {}
        for m in matches:
            for t in range(m.start, m.end):
                role_at[t] = m

        def governable(t: int) -> bool:
            m = role_at.get(t)
            return m.entry.role in _TERM_ROLES if m is not None else self._content_key(self.key(t))

        def plain_between(a: int, b: int) -> bool:
            return all(tok.is_space(t) or (t not in role_at and self.key(t) in self.lexicon.plain_words)
                       for t in range(a, b))

        terminations = [m for m in matches if m.entry.role == TERMINATION]
        demoted: set[int] = set()
        absorbed: set[int] = set()
        negations = [m for m in matches if m.entry.role == NEG_PRE]
        for m in matches:
            if m.entry.role == HEDGE_PRE and any(n.end <= m.start and plain_between(n.end, m.start)
                                                 for n in negations):
                absorbed.add(m.start)
        best: dict[int, tuple[int, Status]] = {}

        def offer(t: int, distance: int, status: Status) -> None:
            m = role_at.get(t)
            if (m is not None and m.entry.role in CUE_ROLES) or tok.is_space(t):
                return
            old = best.get(t)
            if old is None or distance < old[0]:
                best[t] = (distance, status)

        def clause_start(m: Match) -> int:
            t = m.start - 1
            while t >= start and keys[t] not in _CLAUSE:
                t -= 1
            return t + 1

        def forward(m: Match, polarity: str, first: int) -> None:
            stop = end
            for term in terminations:
                if term.start >= first:
                    stop = min(stop, term.start)
            for phrase in m.entry.rules.terminated_by:
                n = len(phrase)
                for t in range(first + 1, stop):
                    if tuple(self.key(u) for u in range(t, min(t + n, end))) == phrase:
                        stop = t
                        demoted.add(t)
                        break
            limit = m.entry.rules.max_scope
            words = 0
            for t in range(first, stop):
                offer(t, t - m.end, Status(polarity, m))
                if keys[t][:1].isalnum() and t not in role_at:
                    words += 1
                    if limit is not None and words >= limit:
                        break

        def backward(m: Match, polarity: str) -> None:
            limit = m.entry.rules.max_scope
            limit = POST_WINDOW if limit is None else limit
            words = 0
            t = m.start - 1
            while t >= start and words < limit:
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

        dangling: Status | None = None
        for m in matches:
            role = m.entry.role
            if m.start in demoted or m.start in absorbed:
                continue
            if role == PSEUDO:
                # "No change in vision, diplopia": the change is not negated, the next list items are.
                first = self.lexicon.lookup(self.key(m.start))
                if first is not None and first.role == NEG_PRE:
                    sep = next((t for t in range(m.end, end) if keys[t] in _LIST_SEPARATORS), None)
                    if sep is not None:
                        forward(m, NEGATED, sep + 1)
                continue
            if role not in (NEG_PRE, NEG_POST, HEDGE_PRE, HEDGE_POST):
                continue
            polarity = NEGATED if role in (NEG_PRE, NEG_POST) else UNCERTAIN
            direction = m.entry.rules.direction
            ahead = direction == "forward" if direction in ("forward", "backward") else role in (NEG_PRE, HEDGE_PRE)
            if not ahead and direction == "both" \
                    and not any(governable(t) for t in range(clause_start(m), m.start)):
                ahead = True
            if ahead:
                forward(m, polarity, m.end)
            else:
                backward(m, polarity)
            if dangling is None and not any(governable(t) for t in range(start, end)):
                dangling = Status(polarity, m)
        status = {t: st for t, (_d, st) in best.items()}
        return _Sentence(start, end, matches, role_at, status, self._sides(start, end, matches, role_at),
                         dangling)

    def _sides(self, start: int, end: int, matches: list[Match],
               role_at: dict[int, Match]) -> dict[int, tuple[str, int]]:
        """Which side word belongs to each term or content word: the nearest within a few tokens, same clause."""
        keys = self.tokens.keys
        sides = [m for m in matches if m.entry.role == SIDE]
        out: dict[int, tuple[str, int]] = {}
        if not sides:
            return out
        units: list[tuple[int, int]] = [(m.start, m.end) for m in matches if m.entry.role in _TERM_ROLES]
        units.extend((t, t + 1) for t in range(start, end) if t not in role_at and self._content_key(self.key(t)))
        for a, b in units:
            chosen: tuple[int, str, int] | None = None
            for s in sides:
                if s.end <= a:
                    gap = range(s.end, a)
                    distance = a - s.end
                else:
                    if s.start < b:
                        continue
                    gap = range(b, s.start)
                    distance = s.start - b + 1
                if distance > SIDE_WINDOW or any(keys[g] in _CLAUSE for g in gap):
                    continue
                if chosen is None or distance < chosen[0]:
                    chosen = (distance, s.entry.value, s.start)
            if chosen is not None:
                for t in range(a, b):
                    out[t] = (chosen[1], chosen[2])
        return out
