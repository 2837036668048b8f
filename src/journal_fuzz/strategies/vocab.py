"""Word lists for code that writes a few sentences of its own (``explore``'s variations), read from the grammar.

The note generators use :mod:`journal_fuzz.strategies.grammar` directly; this keeps the older, flat view of the
same data (findings, cues by role, sections, calm sentences) without a second copy of any list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from journal_fuzz.lexicon import HEDGE_POST, HEDGE_PRE, NEG_POST, NEG_PRE, PSEUDO, TERMINATION
from journal_fuzz.strategies.grammar import grammar

__all__ = ["Vocabulary", "vocabulary"]


@dataclass(frozen=True)
class Vocabulary:
    language: str
    findings: tuple[str, ...]
    pre: tuple[str, ...]
    post: tuple[tuple[str, str], ...]
    """(word leading to the cue, the cue); the lead is empty: the grammar's post frames put the cue after the term."""
    pseudo: tuple[str, ...]
    termination: tuple[str, ...]
    hedge_pre: tuple[str, ...]
    hedge_post: tuple[str, ...]
    sections: tuple[str, ...]
    calm: tuple[str, ...]


def vocabulary(language: str, lexicons: Sequence[str] = ()) -> Vocabulary:
    """The generators' words for ``language`` (the packaged lexicon merged with ``lexicons``)."""
    g = grammar(language, tuple(lexicons))
    journal = next((names for _n, _c, names, _f in g.note_types), ())
    return Vocabulary(
        language=language, findings=g.findings, pre=g.cues(NEG_PRE), post=tuple(("", c) for c in g.cues(NEG_POST)),
        pseudo=g.cues(PSEUDO), termination=g.cues(TERMINATION), hedge_pre=g.cues(HEDGE_PRE),
        hedge_post=g.cues(HEDGE_POST), sections=tuple(g.sections[s][0][0] for s in journal), calm=g.calm)
