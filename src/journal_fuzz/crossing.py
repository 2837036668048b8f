"""Crossed records: the text that came back for one payload is (a fragment of) another payload sent beside it.

A system that mixes up concurrent requests (a shared buffer, a session keyed on the wrong id, a cache that answers
with the previous patient's record) puts another patient's words in this record. Word by word that looks like
eight unrelated kinds (terms dropped, words added, numbers changed); as one finding it is what it is, a privacy
incident. :func:`crossed_with` decides it from the texts alone, so every sender (the battery's pipeline,
``replay`` of a crossed case) can ask.

The test is deliberately narrow, so that a lossy system is never called a crossing one: the received text must
carry words the payload never had (*novel* words: dropping words, cutting text or garbling characters adds none
that another note holds), and those words must come, in runs of at least three consecutive words, from the other
payload; or the received text must be the other payload word for word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from journal_fuzz.constants import CRITICAL
from journal_fuzz.kinds import RECORD_CROSSED
from journal_fuzz.oracle import Finding, Verdict
from journal_fuzz.wording import clip, plural

__all__ = ["Crossing", "crossed_finding", "crossed_verdict", "crossed_with"]

_WORD = re.compile(r"\w+")
_RUN = 3
"""Consecutive words a fragment must share with the other payload (a single changed word shares at most two)."""
_MIN_NOVEL = 3
"""Novel words a fragment must bring; a whole record swapped for another needs two."""
_SHARE = 0.6
"""Of the novel words, the share that must come from the other payload's runs."""


@dataclass(frozen=True)
class Crossing:
    """Which other payload's text came back, and where in the received text."""

    other: int
    """Index into the ``others`` given to :func:`crossed_with`."""
    words: int
    """How many of the received words came from the other payload."""
    spans: tuple[tuple[int, int], ...]
    """Character spans of the received text that came from the other payload (merged runs)."""
    whole: bool
    """The whole record is the other payload."""


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _grams(tokens: Sequence[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + _RUN]) for i in range(len(tokens) - _RUN + 1)}


def crossed_with(received: str, own: str, others: Sequence[str]) -> Crossing | None:
    """The other payload (by index into ``others``) whose text came back in ``received`` instead of, or mixed into,
    ``own``; None when nothing did. Others identical to ``own`` are ignored (a crossing between them is harmless
    and cannot be seen)."""
    matches = _words(received)
    tokens = [m.group().casefold() for m in matches]
    own_tokens = [w.casefold() for w in _WORD.findall(own)]
    own_types = set(own_tokens)
    novel = [i for i, t in enumerate(tokens) if t not in own_types]
    if len(novel) < 2:
        return None
    own_grams = _grams(own_tokens)
    best: Crossing | None = None
    for index, other in enumerate(others):
        other_tokens = [w.casefold() for w in _WORD.findall(other)]
        if other_tokens == own_tokens or not other_tokens:
            continue
        other_types = set(other_tokens)
        if sum(tokens[i] in other_types for i in novel) < _SHARE * len(novel):
            continue
        whole = tokens == other_tokens
        other_grams = _grams(other_tokens)
        from_other: set[int] = set()
        for start in range(len(tokens) - _RUN + 1):
            gram = tuple(tokens[start:start + _RUN])
            if gram in other_grams and gram not in own_grams:
                from_other.update(range(start, start + _RUN))
        shared = [i for i in novel if i in from_other]
        if not whole and (len(shared) < _MIN_NOVEL or len(shared) < _SHARE * len(novel)):
            continue
        positions = sorted(range(len(tokens))) if whole else sorted(from_other)
        spans: list[tuple[int, int]] = []
        for i in positions:
            start, end = matches[i].span()
            if spans and positions and start - spans[-1][1] <= 2:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        found = Crossing(index, len(positions), tuple(spans), whole)
        if best is None or found.words > best.words:
            best = found
    return best


def crossed_finding(received: str, crossing: Crossing, *, other_uid: str = "", path: str | None = None) -> Finding:
    """The ``record-crossed`` finding for ``crossing`` in ``received``."""
    fragment = " … ".join(received[s:e] for s, e in crossing.spans)
    what = "the whole record is" if crossing.whole else f"{plural(crossing.words, 'word')} of this record are"
    whose = f" (sent as {other_uid})" if other_uid else ""
    return Finding(
        kind=RECORD_CROSSED, severity=CRITICAL, sent_text="", received_text=fragment,
        sent_offset=0, received_offset=crossing.spans[0][0] if crossing.spans else 0, concept=None,
        explanation=(f"{what} the text of another payload sent at the same time{whose}: another patient's text "
                     f"in this record, a privacy incident; came back: '{clip(fragment, 80)}'"),
        path=path, received_spans=list(crossing.spans))


def crossed_verdict(verdict: Verdict, finding: Finding) -> Verdict:
    """``verdict`` with its findings replaced by the one crossing finding: the word-level changes a crossed record
    shows (terms dropped, words added) are consequences, not separate losses."""
    return Verdict([finding], verdict.language, verdict.policy)
