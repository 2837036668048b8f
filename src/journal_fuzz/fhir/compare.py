"""Compare two FHIR resources the way a clinician would: every text through the word oracle, structure by diff.

Texts are found by :func:`~journal_fuzz.fhir.extract.extract_texts` on both sides and paired by path (within a
list of like fields, by content when the lists differ in length, so a dropped ``note[0]`` is reported as that note
and not as every later note changed). What a server adds is not word loss and is ignored: ids, ``meta``, a
generated narrative, ``attachment.url``/``size``, server references for ``urn:uuid`` ones, new fields in general.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any

from deepdiff import DeepDiff

from journal_fuzz.fhir.errors import FhirError
from journal_fuzz.fhir.extract import TextField, extract_texts, strip_texts
from journal_fuzz.kinds import CRITICAL, ENCODING_DAMAGED, FIELD_CHANGED, FIELD_DROPPED, MAJOR, TRUNCATED
from journal_fuzz.oracle import Finding, Verdict, compare, detect_language
from journal_fuzz.text import Policy

__all__ = ["compare_resources", "fhir_path"]

_LAST_INDEX = re.compile(r"\[(\d+)\](?!.*\[\d+\])")
_SEGMENT = re.compile(r"[^.\[\]]+|\[\d+\]")
_CRITICAL_SEGMENTS = frozenset({
    "code", "coding", "system", "status", "intent", "value", "unit", "reference", "quantity", "dose",
    "doseAndRate", "rateQuantity", "rateRatio", "timing", "route", "medication", "medicationCodeableConcept",
    "medicationReference", "subject", "patient", "bodySite", "laterality", "criticality", "severity", "substance",
    "manifestation", "interpretation", "referenceRange", "category", "type", "identifier", "doNotPerform",
    "priority", "abatementDateTime", "onsetDateTime", "effectiveDateTime", "authoredOn", "occurrenceDateTime",
})
_GENERIC = frozenset({"coding", "code", "value", "system", "display", "text", "reference", "concept", "unit"})
_VERIFICATION = {
    "confirmed": "present", "refuted": "absent (ruled out)", "unconfirmed": "uncertain", "provisional":
    "provisional (uncertain)", "differential": "one of several possible diagnoses", "presumed": "presumed",
    "entered-in-error": "entered in error",
}
_PROBLEM_KINDS = (ENCODING_DAMAGED, TRUNCATED)


def fhir_path(root: str, keys: list[Any]) -> str:
    """A FHIRPath-like path from a root type and JSON keys/indices: ``Condition.note[0].text``."""
    out = [root]
    for key in keys:
        out.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return "".join(out)


def _path_key(path: str | None) -> tuple[Any, ...]:
    """Natural order: ``note[2]`` before ``note[10]``."""
    if path is None:
        return ()
    return tuple((0, int(s[1:-1]), "") if s.startswith("[") else (1, 0, s) for s in _SEGMENT.findall(path))


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _describe(tf: TextField) -> str:
    return {"narrative": "the narrative", "markdown": "the note", "attachment": "the attachment"}.get(
        tf.form, "the text field")


def _tail(path: str) -> str:
    """The field part of a path, without the resource type: ``note[0].text``."""
    return path.split(".", 1)[1] if "." in path else path


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


# -- pairing ----------------------------------------------------------------------------------------------
def _pair(sent: list[TextField], received: list[TextField]) -> tuple[
        list[tuple[TextField, TextField]], list[TextField]]:
    """Pairs of like fields, and the sent fields with no counterpart."""
    groups_s: dict[str, list[TextField]] = defaultdict(list)
    groups_r: dict[str, list[TextField]] = defaultdict(list)
    for tf in sent:
        groups_s[_LAST_INDEX.sub("[*]", tf.path)].append(tf)
    for tf in received:
        groups_r[_LAST_INDEX.sub("[*]", tf.path)].append(tf)
    pairs: list[tuple[TextField, TextField]] = []
    dropped: list[TextField] = []
    for key, s_list in groups_s.items():
        r_list = groups_r.get(key, [])
        if len(s_list) == len(r_list):
            pairs.extend(zip(s_list, r_list, strict=True))
            continue
        matcher = SequenceMatcher(None, [_squash(t.text) for t in s_list], [_squash(t.text) for t in r_list],
                                  autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                pairs.extend(zip(s_list[i1:i2], r_list[j1:j2], strict=True))
            elif op == "replace":
                matched, lost = _align(s_list[i1:i2], r_list[j1:j2])
                pairs.extend(matched)
                dropped.extend(lost)
            elif op == "delete":
                dropped.extend(s_list[i1:i2])
    return pairs, dropped


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _align(sent: list[TextField], received: list[TextField]) -> tuple[
        list[tuple[TextField, TextField]], list[TextField]]:
    """Pair changed fields in order so that the most words are shared (a dropped note[0] must not make note[1]
    look rewritten); sent fields left over were dropped."""
    m, n = len(sent), len(received)
    ws, wr = [_words(t.text) for t in sent], [_words(t.text) for t in received]

    def sim(i: int, j: int) -> float:
        union = ws[i] | wr[j]
        return len(ws[i] & wr[j]) / len(union) if union else 1.0

    best = [[0.0] * (n + 1) for _ in range(m + 1)]
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            best[i][j] = max(best[i - 1][j], best[i][j - 1], best[i - 1][j - 1] + sim(i - 1, j - 1))
    pairs: list[tuple[TextField, TextField]] = []
    i, j = m, n
    while i and j:
        if best[i][j] == best[i - 1][j - 1] + sim(i - 1, j - 1):
            pairs.append((sent[i - 1], received[j - 1]))
            i, j = i - 1, j - 1
        elif best[i][j] == best[i - 1][j]:
            i -= 1
        else:
            j -= 1
    paired = {id(s) for s, _r in pairs}
    return pairs[::-1], [s for s in sent if id(s) not in paired]


# -- text findings ----------------------------------------------------------------------------------------
def _dropped(tf: TextField, why: str | None = None) -> Finding:
    explanation = why or f"{_describe(tf)} ({_tail(tf.path)}) did not come back"
    return Finding(kind=FIELD_DROPPED, severity=CRITICAL, sent_text=tf.text, received_text="", sent_offset=0,
                   received_offset=0, concept=None,
                   explanation=f"{explanation}; its words are lost: '{_clip(tf.text)}'",
                   sent_context=_clip(tf.text), received_context="", path=tf.path)


def _problem_finding(s: TextField, r: TextField) -> Finding:
    kind = r.problem_kind or FIELD_CHANGED
    offset = r.problem_offset if r.problem_offset is not None else 0
    rest = r.text[offset:] if r.problem_offset is not None else r.text
    severity = CRITICAL if kind == TRUNCATED else MAJOR
    explanation = f"{_describe(r)}: {r.problem}"
    if kind == TRUNCATED and rest.strip():
        explanation += f" ('{_clip(rest)}')"
    return Finding(kind=kind, severity=severity, sent_text="", received_text=rest, sent_offset=0,
                   received_offset=offset, concept=None, explanation=explanation, sent_context=_clip(s.text),
                   received_context=_clip(r.text), path=s.path)


def _text_findings(s: TextField, r: TextField, language: str, policy: Policy,
                   lexicons: Sequence[str | os.PathLike[str]] = ()) -> list[Finding]:
    if r.problem_kind == FIELD_DROPPED and s.problem_kind != FIELD_DROPPED:
        return [_dropped(s, f"{_describe(s)} ({_tail(s.path)}) came back empty: {r.problem}")]
    unreadable = r.problem_kind == FIELD_CHANGED and s.problem is None
    # An unreadable body (a PDF) has no text to compare; a recovered one (malformed XHTML) still has words.
    findings = [] if unreadable and not r.text.strip() else \
        compare(s.text, r.text, language, policy=policy, lexicons=lexicons).findings
    for f in findings:
        f.path = s.path
    if unreadable or (r.problem and r.problem != s.problem and r.problem_kind in _PROBLEM_KINDS and
                      not any(f.kind == r.problem_kind for f in findings)):
        findings.append(_problem_finding(s, r))
    return findings


# -- structure --------------------------------------------------------------------------------------------
def _strip_volatile(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_strip_volatile(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    resource = "resourceType" in obj
    return {k: _strip_volatile(v) for k, v in obj.items()
            if not (resource and k in ("id", "meta")) and k not in ("response", "search")}


def _segments(keys: list[Any]) -> list[str]:
    return [k for k in keys if isinstance(k, str)]


def _critical(keys: list[Any], value: Any) -> bool:
    names = _segments(keys)
    if any(n in _CRITICAL_SEGMENTS or n.endswith(("Status", "Quantity")) or
           (n.startswith("value") and n != "value" and n[5:6].isupper()) for n in names):
        return True
    return _holds_critical(value)


def _holds_critical(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k in _CRITICAL_SEGMENTS or k.endswith("Status") or _holds_critical(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_critical(v) for v in value)
    return False


def _field_name(keys: list[Any]) -> str:
    names = _segments(keys)
    for k in range(len(names) - 1, -1, -1):
        if names[k] not in _GENERIC:
            tail = names[k + 1:]
            # A Quantity's value/unit/code is named with its Quantity; a CodeableConcept's code by the concept.
            if tail and "coding" not in tail and tail[-1] in ("value", "unit", "code", "system"):
                return f"{names[k]}.{tail[-1]}"
            return names[k]
    return names[-1] if names else "the resource"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _change_explanation(keys: list[Any], before: Any, after: Any) -> str:
    name = _field_name(keys)
    names = _segments(keys)
    text = f"{name} '{_clip(_show(before))}' became '{_clip(_show(after))}'"
    if "verificationStatus" in names and isinstance(after, str) and after in _VERIFICATION:
        text += f": the finding now reads as {_VERIFICATION[after]}"
    elif "clinicalStatus" in names and isinstance(after, str):
        text += f": the condition now reads as {after}"
    elif isinstance(before, int | float) and isinstance(after, int | float) and before and after:
        ratio = after / before
        if ratio >= 2 or ratio <= 0.5:
            text += f" ({ratio:g}× the value sent)"
    elif len(names) > 1 and names[-1] in ("unit", "code") and names[-2].endswith("Quantity"):
        text += ": the same number now means another amount"
    return text


def _reported(path: str, dropped_paths: list[str]) -> bool:
    """Whether a structural removal at ``path`` is the husk of a text already reported as dropped: the same
    field, something inside it, or an item of the same list (a dropped ``note[0]`` leaves ``note`` one shorter,
    which the diff sees at its last index)."""
    siblings = _LAST_INDEX.sub("", path) + "[" if path.endswith("]") else None
    return any(p == path or p.startswith((path + ".", path + "[")) or (siblings and p.startswith(siblings))
               for p in dropped_paths)


def _structure_findings(root: str, sent: dict[str, Any], received: dict[str, Any],
                        dropped_paths: list[str]) -> list[Finding]:
    s = _strip_volatile(strip_texts(sent))
    r = _strip_volatile(strip_texts(received))
    if json.dumps(s, sort_keys=True) == json.dumps(r, sort_keys=True):
        return []
    tree = DeepDiff(s, r, ignore_order=False, ignore_numeric_type_changes=True, view="tree")
    findings: list[Finding] = []
    for category in ("values_changed", "type_changes", "dictionary_item_removed", "iterable_item_removed"):
        for level in tree.get(category, []):
            keys = list(level.path(output_format="list"))
            path = fhir_path(root, keys)
            before, after = level.t1, level.t2
            removed = category.endswith("removed")
            if not removed and keys and keys[-1] in ("reference", "fullUrl") and isinstance(before, str) and \
                    before.startswith("urn:uuid:") and isinstance(after, str):
                continue
            if removed and _reported(path, dropped_paths):
                continue
            severity = CRITICAL if _critical(keys, before) else MAJOR
            if removed:
                explanation = f"{_field_name(keys)} ('{_clip(_show(before))}') was dropped"
                findings.append(Finding(kind=FIELD_DROPPED, severity=severity, sent_text=_show(before),
                                        received_text="", sent_offset=0, received_offset=0, concept=None,
                                        explanation=explanation, sent_context=_clip(_show(before)),
                                        received_context="", path=path))
            else:
                explanation = _change_explanation(keys, before, after)
                if category == "type_changes":
                    explanation += f" (type {type(before).__name__} became {type(after).__name__})"
                findings.append(Finding(kind=FIELD_CHANGED, severity=severity, sent_text=_show(before),
                                        received_text=_show(after), sent_offset=0, received_offset=0,
                                        concept=None, explanation=explanation, sent_context=_clip(_show(before)),
                                        received_context=_clip(_show(after)), path=path))
    return findings


# ---------------------------------------------------------------------------------------------------------
def _root(resource: Any, which: str) -> str:
    if not isinstance(resource, dict):
        raise FhirError(f"the {which} resource must be a JSON object, not {type(resource).__name__}")
    rt = resource.get("resourceType")
    if not isinstance(rt, str) or not rt:
        raise FhirError(f"the {which} resource has no resourceType")
    return rt


def compare_resources(sent: dict[str, Any], received: dict[str, Any], language: str = "auto", *,
                      policy: Policy | None = None, lexicons: Sequence[str | os.PathLike[str]] = ()) -> Verdict:
    """What changed, clinically, between the resource sent and the one read back; each finding names its path."""
    root = _root(sent, "sent")
    other = _root(received, "received")
    if root != other:
        raise FhirError(f"cannot compare a {root} with a {other}: the system returned another resource type")
    policy = policy or Policy()
    sent_texts = extract_texts(sent)
    received_texts = extract_texts(received)
    if language == "auto":
        language = detect_language("\n".join(tf.text for tf in sent_texts))
    pairs, dropped = _pair(sent_texts, received_texts)
    findings: list[Finding] = [_dropped(tf) for tf in dropped if tf.text.strip()]
    for s, r in pairs:
        findings.extend(_text_findings(s, r, language, policy, lexicons))
    dropped_paths = [f.path for f in findings if f.kind == FIELD_DROPPED and f.path]
    findings.extend(_structure_findings(root, sent, received, dropped_paths))
    findings.sort(key=lambda f: (_path_key(f.path), f.sent_offset))
    return Verdict(findings, language, policy)
