"""One pair of records: identical, benign, changed (with the oracle's findings), or minor.

Identical pairs cost a string comparison, benign ones :func:`journal_fuzz.text.benign_equal` (no tokenising);
only what is left goes to the oracle: :func:`journal_fuzz.compare` for texts, the round-trip stage's
:func:`journal_fuzz.exchange.judge` (``compare_resources``) for FHIR against FHIR.
"""

from __future__ import annotations

import html
import json
import unicodedata
from collections.abc import Sequence
from typing import Any

from journal_fuzz.constants import CRITICAL, MAJOR
from journal_fuzz.kinds import FIELD_CHANGED
from journal_fuzz.oracle import Verdict, compare
from journal_fuzz.text import Policy, benign_equal

__all__ = ["BENIGN", "CHANGED", "EXTRA", "IDENTICAL", "MINOR", "MISSING", "SUPERSEDED", "UNREADABLE",
           "describe_benign", "judge_pair"]

IDENTICAL, BENIGN, CHANGED, MINOR = "identical", "benign", "changed", "minor"
MISSING, EXTRA, UNREADABLE, SUPERSEDED = "missing", "extra", "unreadable", "superseded"
TEXT_MODE, FHIR_MODE = "text", "fhir"
_POLICY = Policy()


def judge_pair(sent: str, received: str, mode: str, language: str,
               lexicons: Sequence[str] = ()) -> tuple[str, Verdict | None, bool]:
    """(status, verdict, fast): the verdict is None when no oracle was needed; ``fast`` says the fast path
    decided."""
    if sent == received:
        return IDENTICAL, None, True
    if mode == TEXT_MODE:
        if benign_equal(sent, received, _POLICY):
            return BENIGN, None, True
        verdict = compare(sent, received, language, policy=_POLICY, lexicons=lexicons)
    else:
        from journal_fuzz.exchange import FhirPayload, judge
        from journal_fuzz.fhir import FhirError

        s, r = json.loads(sent), json.loads(received)
        try:
            verdict = judge(FhirPayload.saved(s, language=language), s, r, lexicons=tuple(map(str, lexicons)))
        except FhirError as exc:
            from journal_fuzz.oracle import Finding

            finding = Finding(kind=FIELD_CHANGED, severity=CRITICAL, sent_text=str(s.get("resourceType")),
                              received_text=str(r.get("resourceType")), sent_offset=0, received_offset=0,
                              concept=None, explanation=str(exc), path=str(s.get("resourceType")))
            return CHANGED, Verdict([finding], language if language != "auto" else "sv", _POLICY), False
    if not verdict.findings:
        return BENIGN, verdict, False
    return (MINOR if verdict.ok else CHANGED), verdict, False


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"))
_STEPS: tuple[tuple[str, Any], ...] = (
    ("line endings", lambda t: t.replace("\r\n", "\n").replace("\r", "\n")),
    ("Unicode form (NFC/NFD)", lambda t: unicodedata.normalize("NFC", t)),
    ("character references", html.unescape),
    ("invisible characters (soft hyphen, zero-width)", lambda t: t.translate(_INVISIBLE)),
    ("compatibility characters (µ/μ, no-break space)", lambda t: unicodedata.normalize("NFKC", t)),
    ("whitespace and line wrapping", lambda t: " ".join(t.split())),
    ("letter case", str.casefold),
)


def describe_benign(sent: str, received: str) -> list[str]:
    """What two texts the oracle found equal differ in, for a reader of the report (cheapest change first)."""
    labels: list[str] = []
    a, b = sent, received
    for label, step in _STEPS:
        if a == b:
            break
        a2, b2 = step(a), step(b)
        if (a2, b2) != (a, b):
            labels.append(label)
        a, b = a2, b2
    if a != b:
        labels.append("punctuation or layout the oracle judged harmless")
    return labels or ["nothing visible"]


def severity_of(verdict: Verdict | None) -> str:
    if verdict is None or not verdict.findings:
        return MAJOR
    order = {CRITICAL: 0, MAJOR: 1}
    return min((f.severity for f in verdict.findings), key=lambda s: order.get(s, 2))
