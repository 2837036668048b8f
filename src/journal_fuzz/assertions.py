"""``assert_preserved``: the oracle as an assertion inside a user's own Hypothesis tests."""

from __future__ import annotations

from journal_fuzz.notes import Note
from journal_fuzz.oracle import Verdict, compare
from journal_fuzz.text import Policy

__all__ = ["WordLossError", "assert_preserved"]


class WordLossError(AssertionError):
    """A clinical word was dropped or changed; ``verdict`` holds every finding."""

    def __init__(self, verdict: Verdict, sent: str) -> None:
        self.verdict = verdict
        self.sent = sent
        first = verdict.findings[0]
        kinds = ", ".join(verdict.kinds)
        super().__init__(f"{first.headline()}\n\nfinding kinds: {kinds}\n\n{verdict.explain()}")


def assert_preserved(sent: str | Note, received: str, language: str = "auto", *,
                     policy: Policy | None = None) -> Verdict:
    """Fail (with the clinical explanation) unless ``received`` keeps every clinical word of ``sent``."""
    verdict = compare(sent, received, language, policy=policy)
    if not verdict.ok:
        raise WordLossError(verdict, sent.text if isinstance(sent, Note) else sent)
    return verdict
