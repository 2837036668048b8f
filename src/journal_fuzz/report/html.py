"""A self-contained HTML report of a run: one file a clinician can open and read without knowing pytest.

The page says first whether every clinical word was kept, then what was checked (properties by language), what was
found (by kind and severity), how the run was set up (target, seed, versions, duration) and what the generated
notes exercised (a count of zero says so plainly). Then, per failing case, a plain-language heading, the text as
sent and as received side by side with the lost words struck through in red (``<del class="lost">``) and the
added words in green (``<ins class="added">``), every finding, and the command that replays the case.

The file loads nothing: no script, no font, no image, no stylesheet from anywhere, and a Content-Security-Policy
that forbids it all. Everything that came from a note, a case file or a summary is escaped, so a note that
contains ``<script>`` or ``</td>`` is shown as the text it is.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import re
import shlex
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journal_fuzz.cases import Case
from journal_fuzz.constants import FHIR
from journal_fuzz.kinds import CRITICAL, KINDS, MAJOR, SEVERITY_MEANINGS, WORD_CHANGED, meaning, severity_rank
from journal_fuzz.kinds import heading as case_heading
from journal_fuzz.wording import clip, plural

__all__ = [
    "ADDED_BACKGROUND", "ADDED_COLOR", "CSP", "LOST_BACKGROUND", "LOST_COLOR", "NOTE_BACKGROUND",
    "case_heading", "mark_diff", "render_report", "write_report",
]

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
"""The page's Content-Security-Policy: nothing may be fetched, only the inline stylesheet applies."""

LOST_COLOR = "#b00020"
"""Text and strike-through colour of words that were sent and did not come back (used for nothing else)."""
LOST_BACKGROUND = "#fde2e6"
ADDED_COLOR = "#0b6b2b"
"""Text and underline colour of words that came back but were not sent (used for nothing else)."""
ADDED_BACKGROUND = "#d9f5e1"
NOTE_BACKGROUND = "#fbfbfa"
"""Background of the boxes holding a note's text (used for nothing else)."""

_STATUS_LABELS = {"passed": "kept every word", "lost": "LOST WORDS", "system-error": "system error",
                  "unsupported": "not supported by the target", "not-run": "NOT RUN"}
_STATUS_CLASSES = {"passed": "kept", "lost": "lost", "system-error": "error", "unsupported": "unsupported",
                   "not-run": "absent"}
_RUN_ENDS = {"completed": "completed", "not-started": "the target could not be started",
             "interrupted": "interrupted before every property ran", "running": "did not finish (or is still "
             "running)"}

_ELIDE_OVER = 2400
"""An unchanged stretch longer than this many characters is shown shortened ..."""
_ELIDE_KEEP = 600
"""... to this many characters at either end."""
_MAX_FINDINGS_LISTED = 200
_MAX_FIELDS_SHOWN = 5
_MAX_MARKS = 5000
"""Past this many changed stretches in one text, the rest is shown unmarked (a note garbled end to end)."""


# ---------------------------------------------------------------------------------------------------------
# Small helpers
def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _findings(case: Case) -> list[dict[str, Any]]:
    verdict = case.verdict if isinstance(case.verdict, dict) else {}
    return _dicts(verdict.get("findings"))


def _kinds(case: Case) -> list[str]:
    """The case's finding kinds in order (``Case.kinds`` trusts the file more than a report may)."""
    return list(dict.fromkeys(_str(f.get("kind")) for f in _findings(case) if f.get("kind")))


def _strs(value: Any) -> list[str]:
    """A JSON list of names as non-empty strings; anything else as no names."""
    return [_str(v) for v in value if v not in (None, "")] if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def severity_of(finding: Mapping[str, Any]) -> int:
    return severity_rank(_str(finding.get("severity")))


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "unknown"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _number(n: Any) -> str:
    return f"{n:,}".replace(",", "\u202f") if isinstance(n, int) and not isinstance(n, bool) else _esc(n)


# ---------------------------------------------------------------------------------------------------------
# The word-level diff
@dataclass(frozen=True)
class _Mark:
    start: int
    end: int
    kind: str
    severity: str
    op: str


def _spans(finding: Mapping[str, Any], side: str) -> list[tuple[int, int]]:
    """Where a finding sits in the sent or the received text: the spans the oracle recorded, or, for a case saved
    before findings carried spans, its offset and the length of its text."""
    spans = finding.get(f"{side}_spans")
    if isinstance(spans, list):
        out = [(int(sp[0]), int(sp[1])) for sp in spans
               if isinstance(sp, list | tuple) and len(sp) == 2 and all(isinstance(x, int) for x in sp)]
        return [(a, b) for a, b in out if b > a]
    offset, text = finding.get(f"{side}_offset"), _str(finding.get(f"{side}_text"))
    return [(offset, offset + len(text))] if isinstance(offset, int) and text else []


def _finding_marks(text: str, findings: Sequence[Mapping[str, Any]], side: str) -> list[_Mark]:
    marks: list[_Mark] = []
    for f in sorted(findings, key=severity_of):
        sent, received = _spans(f, "sent"), _spans(f, "received")
        op = "replace" if sent and received else ("delete" if sent else "insert")
        for a, b in sent if side == "sent" else received:
            if 0 <= a < b <= len(text):
                marks.append(_Mark(a, b, _str(f.get("kind")) or WORD_CHANGED, _str(f.get("severity")) or MAJOR, op))
    # The most severe finding wins where two mark the same words.
    marks.sort(key=lambda m: (m.start, severity_rank(m.severity)))
    return marks[:_MAX_MARKS]


def _plain(text: str, what: str = "unchanged characters") -> str:
    """Escaped text; a long stretch is shortened to its two ends."""
    if len(text) <= _ELIDE_OVER:
        return _esc(text)
    head_end = _ELIDE_KEEP
    ws = re.search(r"\s", text[head_end:head_end + 80])
    if ws:
        head_end += ws.start() + 1
    tail_start = len(text) - _ELIDE_KEEP
    ws = re.search(r"\s", text[tail_start - 80:tail_start][::-1])
    if ws:
        tail_start -= ws.start()
    hidden = tail_start - head_end
    return (_esc(text[:head_end]) + f'<span class="elided">[… {_number(hidden)} {what} not shown '
            f'…]</span>' + _esc(text[tail_start:]))


def _render_marked(text: str, marks: Sequence[_Mark], tag: str, cls: str) -> str:
    out: list[str] = []
    pos = 0
    for m in marks:
        if m.start < pos:
            continue
        out.append(_plain(text[pos:m.start]))
        marked = _plain(text[m.start:m.end], "more characters")
        out.append(f'<{tag} class="{cls}" data-kind="{_esc(m.kind)}" data-severity="{_esc(m.severity)}" '
                   f'data-op="{_esc(m.op)}" title="{_esc(m.kind)}">{marked}</{tag}>')
        pos = m.end
    out.append(_plain(text[pos:]))
    return "".join(out)


def mark_diff(sent: str, received: str, findings: Sequence[Mapping[str, Any]] | None = None,
              language: str = "auto") -> tuple[str, str]:
    """The two texts as HTML, escaped, with the words of each finding marked.

    Words sent and not received (dropped or changed) become ``<del class="lost">``, words received and not sent
    become ``<ins class="added">``; each carries ``data-kind`` and ``data-severity`` of its finding. The marks are
    the verdict's own spans, so the page shows exactly what the oracle found (under whatever policy it judged) and
    nothing else; with no ``findings`` given, the oracle is asked for them. Benign differences are not findings,
    so they are not marked.
    """
    if findings is None:
        from journal_fuzz.oracle import compare

        findings = [f.to_dict() for f in compare(sent, received, language).findings] if sent != received else []
    return (_render_marked(sent, _finding_marks(sent, findings, "sent"), "del", "lost"),
            _render_marked(received, _finding_marks(received, findings, "received"), "ins", "added"))


# ---------------------------------------------------------------------------------------------------------
# FHIR cases: which text to show
@dataclass
class _Pane:
    path: str | None
    sent: str
    received: str
    findings: list[dict[str, Any]]
    note: str = ""


def _field_for(path: str, fields: Sequence[Any]) -> Any:
    for tf in fields:
        p = _str(getattr(tf, "path", ""))
        if path == p or path.startswith((p + ".", p + "[")):
            return tf
    return None


def _fhir_panes(case: Case, findings: list[dict[str, Any]]) -> list[_Pane]:
    from journal_fuzz.fhir import extract_texts

    def texts(resource: Any) -> list[Any]:
        if not isinstance(resource, dict):
            return []
        try:
            return list(extract_texts(resource))
        except Exception:  # an unreadable resource simply has no text to show
            return []

    sent_fields = texts(case.sent.get("resource"))
    received_fields = texts(case.received.get("resource") if isinstance(case.received, dict) else None)
    panes: dict[str, _Pane] = {}
    for f in findings:
        path = _str(f.get("path"))
        s_field = _field_for(path, sent_fields) if path else None
        r_field = _field_for(path, received_fields) if path else None
        key = _str(getattr(s_field or r_field, "path", "")) or path
        if key in panes:
            panes[key].findings.append(f)
            continue
        if s_field is None and r_field is None:
            pane = _Pane(path or None, _str(f.get("sent_text")), _str(f.get("received_text")), [f],
                         note="This field holds no note text; the values as sent and as received are shown.")
        else:
            pane = _Pane(key, _str(getattr(s_field, "text", "")), _str(getattr(r_field, "text", "")), [f])
            if r_field is None:
                pane.note = "This field did not come back at all."
        panes[key] = pane
    if not panes:
        first = sent_fields[0] if sent_fields else None
        first_path = _str(getattr(first, "path", ""))
        r_field = _field_for(first_path, received_fields) if first_path else None
        panes[""] = _Pane(first_path or None, _str(getattr(first, "text", "")), _str(getattr(r_field, "text", "")), [])
    return list(panes.values())


# ---------------------------------------------------------------------------------------------------------
# Rendering
_CSS_TEMPLATE = """
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif;
 color:#1d1d1f;background:#f6f6f4}
main{max-width:1200px;margin:0 auto;padding:1.25rem 1.25rem 4rem}
h1{font-size:1.6rem;margin:0 0 .25rem}
h2{font-size:1.3rem;margin:2.2rem 0 .6rem}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;font-size:.88em}
.banner{border-radius:10px;padding:1rem 1.25rem;margin:0 0 1rem;border:2px solid}
.banner p{margin:.25rem 0}
.banner .verdict{font-size:1.35rem;font-weight:700}
.banner-lost{background:#5c0a14;border-color:#5c0a14;color:#fff}
.banner-error{background:#fff1d6;border-color:#b26a00;color:#4a2c00}
.banner-kept{background:#e4f4ea;border-color:#1e6b3a;color:#0f3d20}
.banner-none{background:#eceae6;border-color:#8a867d;color:#2b2a27}
.warn{background:#fff1d6;border-left:6px solid #b26a00;padding:.6rem .9rem;margin:.8rem 0;border-radius:4px}
.bad{background:#f3e3e6;border-left:6px solid #5c0a14;padding:.6rem .9rem;margin:.8rem 0;border-radius:4px}
table{border-collapse:collapse;margin:.4rem 0 1rem;background:#fff;font-size:.95rem}
th,td{border:1px solid #d5d2cc;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#ecebe7;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.kept{background:#e4f4ea;color:#0f3d20}
td.lost{background:#5c0a14;color:#fff;font-weight:700}
td.lost a{color:#fff}
td.error{background:#fff1d6;color:#4a2c00;font-weight:700}
td.unsupported,td.absent{background:#f2f1ee;color:#6b6760}
td small,li small{font-weight:400;display:block}
tr.never td{background:#fff1d6;color:#4a2c00;font-weight:700}
.legend{background:#fff;border:1px solid #d5d2cc;border-radius:8px;padding:.6rem .9rem}
del.lost{color:@LOST_COLOR@;background:@LOST_BACKGROUND@;text-decoration-line:line-through;
 text-decoration-color:@LOST_COLOR@; text-decoration-thickness:2px;border-radius:2px}
ins.added{color:@ADDED_COLOR@;background:@ADDED_BACKGROUND@;text-decoration-line:underline;
 text-decoration-color:@ADDED_COLOR@; text-decoration-thickness:2px;border-radius:2px}
section.case{background:#fff;border:1px solid #d5d2cc;border-left:8px solid #5c0a14;border-radius:8px;
 padding:.2rem 1.2rem 1rem;margin:1.5rem 0}
section.case.worst-major{border-left-color:#b26a00}
section.case.worst-minor{border-left-color:#8a867d}
section.case h2{margin-top:1rem}
section.case h2 .num{color:#6b6760;font-weight:400;margin-right:.4rem}
.meta{color:#4a4741;font-size:.92rem;margin:.2rem 0 .6rem}
.sbs{display:grid;grid-template-columns:1fr 1fr;gap:1rem;margin:.6rem 0}
@media (max-width:760px){.sbs{grid-template-columns:1fr}}
.sbs figure{margin:0;min-width:0}
.sbs figcaption{font-weight:700;margin-bottom:.25rem}
.sbs figcaption small{font-weight:400;color:#6b6760}
.text{white-space:pre-wrap;overflow-wrap:anywhere;font-size:1.02rem;line-height:1.6;background:@NOTE_BACKGROUND@;
 border:1px solid #d5d2cc;border-radius:6px;padding:.7rem .85rem;margin:0;max-height:36rem;overflow:auto}
.text.empty{color:#6b6760;font-style:italic}
.elided{color:#6b6760;font-style:italic;background:#eceae6;white-space:normal}
.explanation{font-size:1.05rem;background:#f7f3ea;border-radius:6px;padding:.5rem .8rem}
.replay code{display:block;white-space:pre-wrap;overflow-wrap:anywhere;background:#1d1d1f;color:#f6f6f4;
 padding:.5rem .75rem;border-radius:6px}
.sev{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.85rem;font-weight:700}
.sev-critical{background:#5c0a14;color:#fff}
.sev-major{background:#b26a00;color:#fff}
.sev-minor{background:#8a867d;color:#fff}
.tag{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.85rem;background:#ecebe7}
.older{background:#eceae6}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;background:#fff;border:1px solid #d5d2cc;
 border-radius:8px;padding:.6rem .9rem}
dl.run dt{font-weight:600}
dl.run dd{margin:0}
footer{color:#6b6760;font-size:.85rem;margin-top:3rem}
@media print{body{background:#fff}.text{max-height:none;overflow:visible}section.case{break-inside:avoid-page}}
"""


def _css() -> str:
    css = _CSS_TEMPLATE
    for name, value in (("LOST_COLOR", LOST_COLOR), ("LOST_BACKGROUND", LOST_BACKGROUND),
                        ("ADDED_COLOR", ADDED_COLOR), ("ADDED_BACKGROUND", ADDED_BACKGROUND),
                        ("NOTE_BACKGROUND", NOTE_BACKGROUND)):
        css = css.replace(f"@{name}@", value)
    return css


_CSS = _css()


class _Doc:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, *chunks: str) -> None:
        self.parts.extend(chunks)


def _case_id(n: int) -> str:
    return f"case-{n}"


def _case_key(path: Any) -> str:
    return Path(_str(path)).name if path else ""


def _items(summary: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return _dicts(summary.get("items")) if summary else []


def _banner(doc: _Doc, cases: Sequence[Case], summary: Mapping[str, Any] | None, title: str,
            errors: Sequence[str], older: int) -> None:
    items = _items(summary)
    lines: list[str] = []
    if summary is not None:
        statuses = Counter(_str(i.get("status")) for i in items)
        total = len(items)
        lost, failed, never = statuses.get("lost", 0), statuses.get("system-error", 0), statuses.get("not-run", 0)
        run: dict[str, Any] = summary["run"] if isinstance(summary.get("run"), dict) else {}
        ended = _str(run.get("status"))
        if run:
            # Which run this is, first: a report is never read as a later run's verdict.
            lines.append(f"Run {_esc(run.get('id'))}, started {_esc(run.get('started_at'))}"
                         + (f", ended {_esc(run['ended_at'])}" if run.get("ended_at") else "")
                         + f": {_esc(_RUN_ENDS.get(ended, ended or 'unknown'))}.")
        if summary.get("battery") is False:
            lines.append("The battery did not run in this run: named test paths ran alone.")
        if lost:
            cls = "banner-lost"
            verdict = (f"Words were lost: {lost} of {plural(total, 'property', 'properties')} lost clinical "
                       f"words")
        elif ended == "not-started":
            cls = "banner-error"
            verdict = "Not proven: the target could not be started, so nothing was checked (a system error)"
            if run.get("error"):
                lines.append(f"Why: {_esc(run['error'])}")
        elif ended == "running":
            cls = "banner-error"
            verdict = "Not proven: this run did not finish"
        elif failed:
            cls = "banner-error"
            verdict = (f"Not proven: {failed} of {plural(total, 'property', 'properties')} could not be "
                       f"checked (system errors, not word loss)")
        elif never or ended == "interrupted":
            cls = "banner-error"
            verdict = (f"Not proven: the run was interrupted; {never} of "
                       f"{plural(total, 'property', 'properties')} did not run")
        elif statuses.get("passed"):
            cls = "banner-kept"
            verdict = (f"Every clinical word was kept: {plural(statuses['passed'], 'property', 'properties')} "
                       f"passed")
        else:
            cls = "banner-none"
            verdict = "Nothing was checked: no property ran against the target"
        if lost and failed:
            lines.append(f"{plural(failed, 'property', 'properties')} could not be checked: system errors "
                         f"(not word loss).")
        if never and (lost or failed):
            lines.append(f"{plural(never, 'property', 'properties')} did not run.")
        if statuses.get("unsupported"):
            lines.append(f"{plural(statuses['unsupported'], 'property', 'properties')} not supported by the "
                         f"target (not run).")
        sent = summary.get("payloads_sent")
        if isinstance(sent, int):
            lines.append(f"{_number(sent)} notes and documents sent to {_esc(summary.get('target') or 'the target')}.")
        unexercised = _strs(summary.get("never_exercised"))
        if unexercised and ended != "not-started":  # nothing was sent: a list of everything says nothing
            lines.append("Never exercised: " + ", ".join(_esc(k) for k in unexercised) + ".")
        if older:
            lines.append(f"{plural(older, 'saved case')} below came from earlier runs.")
    elif cases:
        cls = "banner-lost"
        verdict = f"Words were lost: {plural(len(cases), 'failing case')}"
        lines.append("No run summary was given: what was checked and what passed is not known from these files.")
    else:
        cls = "banner-none"
        verdict = "No failing cases in these files"
        lines.append("No run summary was given: what was checked is not known from these files.")
    if errors:
        lines.append(f"{plural(len(errors), 'file')} could not be read (listed below).")
    doc.add(f'<header class="banner {cls}" id="verdict"><h1>{_esc(title)}</h1>',
            f'<p class="verdict">{_esc(verdict)}</p>', *(f"<p>{line}</p>" for line in lines), "</header>")


def _legend(doc: _Doc) -> None:
    doc.add('<div class="legend"><strong>How to read this report.</strong> Each failing case shows the note as it '
            'was <strong>sent</strong> (left) and as the system gave it <strong>back</strong> (right). '
            '<del class="lost">Red, struck through</del>: sent, but did not come back (dropped or '
            'changed). <ins class="added">Green, underlined</ins>: came back, but was never sent. '
            'Differences that change no word (line breaks, spaces, letter case, µ written as μ) are not '
            'marked. Severity: <span class="sev sev-critical">critical</span> changes what the note says '
            'clinically; <span class="sev sev-major">major</span> changes other words; '
            '<span class="sev sev-minor">minor</span> changes only punctuation.</div>')


def _property_descriptions() -> dict[str, str]:
    try:
        from journal_fuzz.battery import PROPERTIES
    except Exception:  # descriptions are a courtesy; the report stands without them
        return {}
    return {p.name: p.description for p in PROPERTIES}


def _matrix(doc: _Doc, summary: Mapping[str, Any], case_ids: Mapping[str, str]) -> None:
    items = _items(summary)
    if not items:
        return
    languages = _strs(summary.get("languages"))
    for i in items:
        lang = _str(i.get("language"))
        if lang not in languages:
            languages.append(lang)
    props = list(dict.fromkeys(_str(i.get("property")) for i in items))
    cells = {(_str(i.get("property")), _str(i.get("language"))): i for i in items}
    described = _property_descriptions()
    doc.add('<h2 id="properties">What was checked</h2>',
            '<p>One row per property (a kind of note the system was sent), one column per language.</p>',
            '<table class="matrix"><thead><tr><th>property</th><th>what it sends</th>',
            *(f"<th>{_esc(lang)}</th>" for lang in languages), "</tr></thead><tbody>")
    for prop in props:
        doc.add(f"<tr><th>{_esc(prop)}</th><td>{_esc(described.get(prop, ''))}</td>")
        for lang in languages:
            item = cells.get((prop, lang))
            if item is None:
                doc.add('<td class="absent">not run</td>')
                continue
            status = _str(item.get("status"))
            label = _STATUS_LABELS.get(status, status or "unknown")
            if status == "lost" and item.get("nondeterministic"):
                label = "LOST WORDS (only sometimes)"
            detail: list[str] = []
            if isinstance(item.get("sent"), int):
                detail.append(f"{_number(item['sent'])} sent")
            kinds = _strs(item.get("kinds"))
            if kinds:
                detail.append(", ".join(_esc(k) for k in kinds))
            if status == "system-error" and item.get("error"):
                detail.append(_esc(clip(_str(item["error"]), 160)))
            anchor = case_ids.get(_case_key(item.get("case")))
            text = f'<a href="#{anchor}">{_esc(label)}</a>' if anchor else _esc(label)
            small = f"<small>{'; '.join(detail)}</small>" if detail else ""
            doc.add(f'<td class="{_STATUS_CLASSES.get(status, "absent")}">{text}{small}</td>')
        doc.add("</tr>")
    doc.add("</tbody></table>")


def _case_index(doc: _Doc, cases: Sequence[Case], headings: Sequence[str], older: set[int]) -> None:
    if not cases:
        return
    doc.add('<h2 id="cases">Failing cases</h2><table class="index"><thead><tr><th>#</th><th>what happened</th>'
            '<th>property</th><th>language</th><th>finding kinds</th></tr></thead><tbody>')
    for n, (case, heading) in enumerate(zip(cases, headings, strict=True), 1):
        note = ""
        if case.nondeterministic:
            note += ' <span class="tag">only sometimes</span>'
        if n in older:
            note += ' <span class="tag older">earlier run</span>'
        doc.add(f'<tr><td class="num"><a href="#{_case_id(n)}">{n}</a></td><td><a href="#{_case_id(n)}">'
                f'{_esc(heading)}</a>{note}</td><td>{_esc(case.prop)}</td><td>{_esc(case.language)}</td>'
                f'<td>{_esc(", ".join(_kinds(case)))}</td></tr>')
    doc.add("</tbody></table>")


def _findings_tables(doc: _Doc, cases: Sequence[Case], summary: Mapping[str, Any] | None) -> None:
    by_kind: Counter[str] = Counter()
    cases_by_kind: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    for case in cases:
        findings = _findings(case)
        by_kind.update(_str(f.get("kind")) for f in findings)
        cases_by_kind.update({_str(f.get("kind")) for f in findings})
        by_severity.update(_str(f.get("severity")) for f in findings)
    props_by_kind: Counter[str] = Counter()
    if summary is not None and isinstance(summary.get("finding_kinds"), dict):
        props_by_kind.update({_str(k): _int(v) for k, v in summary["finding_kinds"].items()})
    kinds = [k for k in KINDS if by_kind.get(k) or props_by_kind.get(k)]
    kinds += sorted(k for k in set(by_kind) | set(props_by_kind) if k not in KINDS)
    doc.add('<h2 id="findings">What was found</h2>')
    if not kinds:
        doc.add("<p>No word was lost or changed in the cases shown.</p>")
        return
    with_summary = summary is not None
    doc.add('<table class="by-kind"><thead><tr><th>kind</th><th>what it means</th>'
            '<th class="num">findings</th><th class="num">cases</th>',
            '<th class="num">properties (this run)</th>' if with_summary else "", "</tr></thead><tbody>")
    for kind in kinds:
        doc.add(f'<tr data-kind="{_esc(kind)}"><td><code>{_esc(kind)}</code></td>'
                f"<td>{_esc(meaning(kind))}</td><td class=\"num\">{by_kind.get(kind, 0)}</td>"
                f'<td class="num">{cases_by_kind.get(kind, 0)}</td>',
                f'<td class="num">{props_by_kind.get(kind, 0)}</td>' if with_summary else "", "</tr>")
    doc.add("</tbody></table>")
    if by_severity:
        doc.add('<table class="by-severity"><thead><tr><th>severity</th><th>what it means</th>'
                '<th class="num">findings</th></tr></thead><tbody>')
        for sev in [*SEVERITY_MEANINGS, *sorted(s for s in by_severity if s not in SEVERITY_MEANINGS)]:
            doc.add(f'<tr data-severity="{_esc(sev)}"><td><span class="sev sev-{_esc(sev)}">{_esc(sev)}</span></td>'
                    f"<td>{_esc(SEVERITY_MEANINGS.get(sev, ''))}</td><td class=\"num\">{by_severity.get(sev, 0)}"
                    f"</td></tr>")
        doc.add("</tbody></table>")


def _versions_text(versions: Any) -> str:
    if not isinstance(versions, dict):
        return _esc(versions)
    parts = []
    for key, value in versions.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        parts.append(f"{key} {value}")
    return _esc("; ".join(parts))


def _run_details(doc: _Doc, cases: Sequence[Case], summary: Mapping[str, Any] | None) -> None:
    rows: list[tuple[str, str]] = []
    if summary is not None:
        rows.append(("Target (system under test)", _esc(summary.get("target") or "unknown")))
        seed = summary.get("seed")
        rows.append(("Seed", _esc(seed) if seed is not None else "none (derandomised)"))
        if summary.get("profile"):
            rows.append(("Profile", _esc(summary["profile"]) + (
                f" ({_esc(summary['examples'])} examples per property)" if summary.get("examples") else "")))
        if summary.get("languages"):
            rows.append(("Languages", _esc(", ".join(_strs(summary["languages"])))))
        if isinstance(summary.get("payloads_sent"), int):
            rows.append(("Notes and documents sent", _number(summary["payloads_sent"])))
        if isinstance(summary.get("longest_note"), int):
            rows.append(("Longest note", f"{_number(summary['longest_note'])} characters"))
        duration = summary.get("duration_seconds", summary.get("duration"))
        rows.append(("Duration", _esc(_duration(duration))))
        versions: dict[str, Any] = {}
        if summary.get("journal_fuzz"):
            versions["journal_fuzz"] = summary["journal_fuzz"]
        if isinstance(summary.get("versions"), dict):
            versions.update(summary["versions"])
        for case in cases:
            if isinstance(case.versions, dict):
                for key, value in case.versions.items():
                    versions.setdefault(key, value)
                break
        if versions:
            rows.append(("Versions", _versions_text(versions)))
        system = summary.get("system")
        if system:
            rows.append(("The system says it is", _versions_text(system)))
    else:
        targets = sorted({_str(c.target) for c in cases if c.target})
        if targets:
            rows.append(("Target (system under test)", _esc(", ".join(targets))))
        seeds = sorted({_str(c.seed) for c in cases if c.seed is not None})
        if seeds:
            rows.append(("Seed", _esc(", ".join(seeds))))
        versions_seen = list(dict.fromkeys(_versions_text(c.versions) for c in cases if c.versions))
        if versions_seen:
            rows.append(("Versions", "<br>".join(versions_seen)))
        rows.append(("Duration", "unknown (no run summary)"))
    if not rows:
        return
    doc.add('<h2 id="run">The run</h2><dl class="run">',
            *(f"<dt>{_esc(k)}</dt><dd>{v}</dd>" for k, v in rows), "</dl>")


def _evidence(doc: _Doc, summary: Mapping[str, Any] | None) -> None:
    doc.add('<h2 id="evidence">Evidence: what the notes exercised</h2>')
    if summary is None:
        doc.add("<p>No run summary was given, so what the generated notes exercised is not known. "
                "A run writes it to <code>.journal_fuzz/summary.json</code>.</p>")
        return
    raw = summary.get("exercised")
    exercised: dict[str, int] = {_str(k): _int(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    for key in _strs(summary.get("never_exercised")):
        exercised.setdefault(_str(key), 0)
    if not exercised:
        doc.add("<p>The run summary holds no evidence counts.</p>")
        return
    never = [k for k, v in exercised.items() if v == 0]
    if never:
        doc.add('<p class="warn"><strong>Never exercised:</strong> ' + ", ".join(_esc(k) for k in never)
                + ". Nothing of these kinds was sent, so the run proves nothing about them.</p>")
    else:
        doc.add("<p>Every kind of clinical content below was sent at least once.</p>")
    doc.add('<table class="evidence"><thead><tr><th>what was sent</th><th class="num">count</th></tr></thead>'
            "<tbody>")
    for key, count in exercised.items():
        if count == 0:
            doc.add(f'<tr class="never" data-count="0"><td>{_esc(key)}</td>'
                    f'<td class="num">0 — never exercised</td></tr>')
        else:
            doc.add(f'<tr data-count="{count}"><td>{_esc(key)}</td><td class="num">{_number(count)}</td></tr>')
    doc.add("</tbody></table>")


def _errors(doc: _Doc, errors: Sequence[str]) -> None:
    if not errors:
        return
    doc.add('<h2 id="unreadable">Files that could not be read</h2><ul class="errors">',
            *(f"<li>{_esc(e)}</li>" for e in errors), "</ul>")


def _text_block(html_text: str, raw: str, language: str, empty: str = "(nothing came back)") -> str:
    lang = f' lang="{_esc(language)}"' if language in ("sv", "en") else ""
    if not raw:
        return f'<div class="text empty">{_esc(empty)}</div>'
    return f'<div class="text"{lang}>{html_text}</div>'


def _pane(doc: _Doc, pane: _Pane, language: str, fhir: bool) -> None:
    if fhir:
        where = f"<code>{_esc(pane.path)}</code>" if pane.path else "the resource"
        doc.add(f'<p class="field">Text at {where}.' + (f" {_esc(pane.note)}" if pane.note else "") + "</p>")
    sent_html, received_html = mark_diff(pane.sent, pane.received, pane.findings, language or "sv")
    doc.add('<div class="sbs">',
            f'<figure class="sent"><figcaption>Sent <small>({plural(len(pane.sent), "character")})</small>'
            f"</figcaption>{_text_block(sent_html, pane.sent, language, '(nothing was sent)')}</figure>",
            f'<figure class="received"><figcaption>Came back <small>({plural(len(pane.received), "character")})'
            f"</small></figcaption>{_text_block(received_html, pane.received, language)}</figure>",
            "</div>")


def _rerun_text(rerun: Any, path: str | None) -> str:
    if isinstance(rerun, str):
        return rerun
    if isinstance(rerun, dict) and path:
        try:
            from journal_fuzz.fhir import extract_texts

            field = _field_for(path, extract_texts(rerun))
            if field is not None:
                return _str(field.text)
        except Exception:  # fall back to the raw JSON below
            pass
    text = json.dumps(rerun, ensure_ascii=False)
    return text if len(text) <= 4000 else text[:3999] + "…"


def _replay_command(case: Case) -> str:
    from journal_fuzz.adapters.base import redact_credentials

    path = str(case.path) if case.path else "CASE.json"
    target = redact_credentials(_str(case.target)) if case.target else "SPEC"
    return f"journal-fuzz replay {shlex.quote(path)} --target {shlex.quote(target)}"


def _case_section(doc: _Doc, n: int, case: Case, heading: str, older: bool) -> None:
    findings = _findings(case)
    worst = min((_str(f.get("severity")) for f in findings), key=severity_rank,
                default=CRITICAL)
    language = case.language or _str((case.verdict or {}).get("language")) or "sv"
    doc.add(f'<section class="case worst-{_esc(worst)}" id="{_case_id(n)}" data-kinds="{_esc(" ".join(_kinds(case)))}"'
            f' data-severity="{_esc(worst)}">',
            f'<h2><span class="num">{n}.</span>{_esc(heading)}</h2>')
    meta = []
    if case.prop:
        meta.append(f"property <strong>{_esc(case.prop)}</strong>")
    meta.append(f"language {_esc(language)}")
    by_sev = Counter(_str(f.get("severity")) for f in findings)
    meta.append(plural(len(findings), "finding") + (
        " (" + ", ".join(f"{c} {_esc(s)}" for s, c in by_sev.most_common()) + ")" if findings else ""))
    if case.seed is not None:
        meta.append(f"seed {_esc(case.seed)}")
    if case.created:
        meta.append(f"saved {_esc(case.created)}")
    if case.path:
        meta.append(f"file <code>{_esc(case.path.name)}</code>")
    doc.add(f'<p class="meta">{" · ".join(meta)}</p>')
    if older:
        doc.add('<p class="warn">This case was saved by an earlier run, not by the run summarised above.</p>')
    if case.nondeterministic:
        doc.add('<p class="warn nondeterministic"><strong>Nondeterministic word loss.</strong> Words were lost '
                "once, but when this note was sent again on its own it came back intact: the system loses words "
                "only sometimes (for example under load, or when notes are sent at the same time).</p>")
    _reduction(doc, case.reduction)
    fhir = case.carries == FHIR
    if fhir:
        kind = _str(case.sent.get("kind")) or _str((case.sent.get("resource") or {}).get("resourceType"))
        wire = _str(case.sent.get("wire")).upper() or "JSON"
        doc.add(f'<p class="meta">FHIR {_esc(kind or "resource")} sent as {_esc(wire)}.</p>')
        panes = _fhir_panes(case, findings)
        for pane in panes[:_MAX_FIELDS_SHOWN]:
            _pane(doc, pane, language, fhir=True)
        if len(panes) > _MAX_FIELDS_SHOWN:
            doc.add(f"<p>{len(panes) - _MAX_FIELDS_SHOWN} more changed fields are listed with the findings "
                    f"below.</p>")
    else:
        received = case.received.get("text") if isinstance(case.received, dict) else None
        _pane(doc, _Pane(None, _str(case.sent.get("text")), _str(received), findings), language, fhir=False)
    if case.nondeterministic and case.reruns:
        path = _str(findings[0].get("path")) if findings else None
        doc.add("<h3>Sent again on its own, it came back as</h3>")
        for rerun in case.reruns[:5]:
            text = _rerun_text(rerun, path)
            doc.add(_text_block(_esc(text), text, language))
    headline = _headline_finding(findings)
    if headline is not None:
        if headline.get("explanation"):
            doc.add(f'<p class="explanation"><strong>What changed:</strong> {_esc(headline["explanation"])}</p>')
        doc.add('<h3>Every finding</h3><table class="findings"><thead><tr><th>#</th><th>kind</th><th>severity</th>'
                "<th>concept</th><th>sent</th><th>came back</th><th>explanation</th></tr></thead><tbody>")
        for k, f in enumerate(findings[:_MAX_FINDINGS_LISTED], 1):
            sev = _str(f.get("severity"))
            path = _str(f.get("path"))
            where = f"<small>at <code>{_esc(path)}</code></small>" if path else ""
            doc.add(f'<tr data-kind="{_esc(f.get("kind"))}"><td class="num">{k}</td><td><code>{_esc(f.get("kind"))}'
                    f'</code></td><td><span class="sev sev-{_esc(sev)}">{_esc(sev)}</span></td>'
                    f'<td>{_esc(f.get("concept") or "")}</td><td>{_esc(clip(_str(f.get("sent_text")), 120))}</td>'
                    f'<td>{_esc(clip(_str(f.get("received_text")), 120))}</td>'
                    f'<td>{_esc(f.get("explanation") or "")}{where}</td></tr>')
        doc.add("</tbody></table>")
        if len(findings) > _MAX_FINDINGS_LISTED:
            doc.add(f"<p>… and {len(findings) - _MAX_FINDINGS_LISTED} more findings (all are in the case file)."
                    "</p>")
    doc.add('<p class="replay">Send it again (exit 1 while the loss persists, 0 once fixed):'
            f"<code>{_esc(_replay_command(case))}</code></p>", "</section>")


def _reduction(doc: _Doc, reduction: Mapping[str, Any]) -> None:
    """How the case was reduced; a case the shrink budget left larger than minimal says so plainly."""
    if not reduction:
        return
    trips, chars = reduction.get("round_trips"), reduction.get("characters")
    what = (f"reduced from {_esc(reduction.get('original_characters'))} to {_esc(chars)} characters in "
            f"{_esc(trips)} round trips ({_esc(reduction.get('seconds'))} s)")
    if reduction.get("complete", True):
        doc.add(f'<p class="meta">Minimal case: {what}.</p>')
    else:
        doc.add(f'<p class="warn not-reduced"><strong>Not fully reduced</strong> '
                f'({_esc(reduction.get("reason") or "the shrink budget ran out")}): {what}; a smaller case may '
                "show the same loss.</p>")


def _headline_finding(findings: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The finding a case is headed by: the most severe, the first of those."""
    return min(findings, key=severity_of) if findings else None


def _heading_for(case: Case) -> str:
    worst = _headline_finding(_findings(case))
    if worst is None:
        return "Saved case with no findings"
    heading = case_heading(worst)
    if case.nondeterministic:
        heading = "Only sometimes: " + heading[0].lower() + heading[1:]
    return heading


def _safe(render: Callable[[], None], doc: _Doc, what: str) -> None:
    mark = len(doc.parts)
    try:
        render()
    except Exception as exc:  # a malformed case or summary must never cost the rest of the report
        del doc.parts[mark:]
        doc.add(f'<p class="bad">{_esc(what)} could not be shown: {_esc(type(exc).__name__)}: {_esc(exc)}</p>')


def render_report(cases: Sequence[Case], summary: Mapping[str, Any] | None = None, *,
                  title: str = "journal_fuzz report", errors: Sequence[str] | None = None) -> str:
    """One self-contained HTML page: the run summarised, then every failing case.

    ``summary`` is a run's ``.journal_fuzz/summary.json`` (the one :func:`load_cases` found, when not given);
    ``errors`` are files that could not be read (by default those :func:`load_cases` collected). Never raises
    for malformed case or summary content: what cannot be shown says so in the page.
    """
    if summary is None:
        summary = getattr(cases, "summary", None)
    errors = list(errors if errors is not None else getattr(cases, "errors", []))
    cases = list(cases)
    headings = []
    for case in cases:
        try:
            headings.append(_heading_for(case))
        except Exception:  # shown as an error inside its own section
            headings.append("A saved case")
    case_ids = {_case_key(c.path): _case_id(n) for n, c in enumerate(cases, 1) if c.path}
    older: set[int] = set()
    if summary is not None:
        this_run = {_case_key(i.get("case")) for i in _items(summary) if i.get("case")}
        older = {n for n, c in enumerate(cases, 1) if _case_key(c.path) not in this_run}
    languages = {c.language for c in cases if c.language} | set(_strs((summary or {}).get("languages")))
    doc = _Doc()
    doc.add("<!DOCTYPE html>\n",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_esc(CSP)}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="journal_fuzz">',
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body><main>")
    _safe(lambda: _banner(doc, cases, summary, title, errors, len(older)), doc, "The verdict")
    _legend(doc)
    if summary is not None:
        _safe(lambda: _matrix(doc, summary, case_ids), doc, "The table of properties")
    _safe(lambda: _case_index(doc, cases, headings, older), doc, "The list of failing cases")
    _safe(lambda: _findings_tables(doc, cases, summary), doc, "The findings by kind")
    _safe(lambda: _run_details(doc, cases, summary), doc, "The run details")
    _safe(lambda: _evidence(doc, summary), doc, "The evidence table")
    _errors(doc, errors)
    for n, case in enumerate(cases, 1):
        heading = headings[n - 1]
        mark = len(doc.parts)
        try:
            _case_section(doc, n, case, heading, n in older)
        except Exception as exc:  # never lose the rest of the report to one odd case file
            del doc.parts[mark:]
            doc.add(f'<section class="case" id="{_case_id(n)}" data-kinds="{_esc(" ".join(_kinds(case)))}">'
                    f"<h2><span class=\"num\">{n}.</span>{_esc(heading)}</h2>"
                    f'<p class="bad">This case could not be shown: {_esc(type(exc).__name__)}: {_esc(exc)}</p>'
                    f"<p>File: <code>{_esc(case.path or '(not saved to a file)')}</code></p></section>")
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    from journal_fuzz import __version__

    doc.add(f"<footer>Written by journal_fuzz {_esc(__version__)} at {_esc(now)}"
            + (f"; note languages: {_esc(', '.join(sorted(languages)))}" if languages else "")
            + ". This file loads nothing from the network.</footer></main></body></html>\n")
    out = "".join(doc.parts)
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from a JSON case: show them as U+FFFD, keep the page valid UTF-8
        out = out.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return out


def write_report(path: str | os.PathLike[str], cases: Sequence[Case], summary: Mapping[str, Any] | None = None, *,
                 title: str = "journal_fuzz report", errors: Sequence[str] | None = None) -> Path:
    """Render the report and write it to ``path`` as UTF-8 (parent directories created); return the path."""
    target = Path(path)
    body = render_report(cases, summary, title=title, errors=errors)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8", newline="\n")
    return target
