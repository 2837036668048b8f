"""Whether redaction kept what a case shows: the kinds of finding before and after."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from journal_fuzz.cases import Case
from journal_fuzz.oracle import Verdict

Kinds = Verdict | Case | Mapping[str, Any] | Sequence[str]
"""Anything that names finding kinds: a verdict, a case, a verdict's dict, or the kinds themselves."""


def kinds_of(x: Kinds) -> list[str]:
    """The finding kinds ``x`` names, however it was saved or computed."""
    if isinstance(x, Verdict):
        return [f.kind for f in x.findings]
    if isinstance(x, Case):
        return kinds_of(x.verdict)
    if isinstance(x, Mapping):
        return [str(f.get("kind")) for f in x.get("findings", []) if isinstance(f, Mapping)]
    return [str(k) for k in x]


def same_findings(before: Kinds, after: Kinds) -> bool:
    """Whether two verdicts (or cases, verdict dicts, kind lists) name the same kinds of finding.

    Kinds are compared as :attr:`Verdict.kinds` lists them, each once, and in any order: a shifted date may
    carry a changed digit into the month as well ("04-25" -> "06-25" may become "2018-11-16" -> "2019-01-16"),
    which splits one number-changed finding into two, and a longer pseudonym moves offsets, never what was lost.
    """
    return set(kinds_of(before)) == set(kinds_of(after))
