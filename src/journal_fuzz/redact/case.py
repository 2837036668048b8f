"""Redacting a saved case: every part of it with one mapping, then the oracle again to show the loss survived."""

from __future__ import annotations

import dataclasses
from typing import Any

from journal_fuzz.cases import Case
from journal_fuzz.constants import LANGUAGES
from journal_fuzz.oracle import detect_language
from journal_fuzz.redact.edits import cut
from journal_fuzz.redact.findings import kinds_of
from journal_fuzz.redact.pseudonyms import APPLY, ASSIGN, RESERVE, Pseudonyms, text_edits
from journal_fuzz.redact.walk import Walker

REDACTED_MARK = "+redacted"
"""Appended to :attr:`Case.source` of a redacted case (``incident+redacted``)."""


def _case_language(case: Case) -> str:
    if case.language in LANGUAGES:
        return case.language
    lang = case.sent.get("language")
    if isinstance(lang, str) and lang in LANGUAGES:
        return lang
    text = case.sent.get("text")
    return detect_language(text) if isinstance(text, str) else "sv"


def _keep_cut(case: Case, received: dict[str, Any], p: Pseudonyms, language: str) -> None:
    """A received text that is the sent text cut short stays exactly the redacted sent text cut short, even when
    the cut falls inside an identifier shared by several others ("2019-0" of "2019-08-06" or "2019-09-08")."""
    original, got = case.sent.get("text"), case.received.get("text")
    if not isinstance(original, str) or not isinstance(got, str) or len(got) >= len(original) \
            or not original.startswith(got):
        return
    edits = text_edits(original, p, language, APPLY)
    received["text"] = cut(original, edits, len(got))


def is_redacted(case: Case) -> bool:
    """Whether ``case`` came out of :func:`redact_case` (its ``source`` ends in ``+redacted``)."""
    return case.source.endswith(REDACTED_MARK)


def redact_case(case: Case, *, seed: int | None = None) -> tuple[Case, Pseudonyms]:
    """A copy of ``case`` with every identifier replaced, consistently across its sent and received payloads
    (texts, FHIR string fields, base64 text attachments, saved notes and their fact spans), its findings and its
    reruns; its verdict is the oracle's verdict on the redacted payloads and its source ends in ``+redacted``.

    The :class:`Pseudonyms` returned says what was replaced (``summary()``), whether the oracle finds the same
    kinds as on the original (``findings_kept``, see :func:`same_findings`) and what could not be redacted
    (``unredacted``: attachments that are not text). ``seed`` fixes the date offset (for tests).
    """
    language = _case_language(case)
    p = Pseudonyms(seed=seed)
    walker = Walker(p, language)
    parts = (case.sent, case.received, case.verdict, case.reruns)
    for stage in (RESERVE, ASSIGN):
        walker.stage = stage
        for part in parts:
            walker.tree(part)
    walker.stage = APPLY
    sent, received, verdict, reruns = (walker.tree(part) for part in parts)
    _keep_cut(case, received, p, language)
    source = case.source if is_redacted(case) else f"{case.source}{REDACTED_MARK}"
    redacted = dataclasses.replace(case, sent=sent, received=received, verdict=verdict, reruns=reruns,
                                   source=source, path=None)
    before = case.judge()
    after = redacted.judge()
    p.kinds_before = [f.kind for f in before.findings] if before is not None else kinds_of(case.verdict)
    if after is not None:
        redacted.verdict = after.to_dict()
        p.kinds_after = [f.kind for f in after.findings]
    else:
        p.kinds_after = kinds_of(verdict)
    return redacted, p
