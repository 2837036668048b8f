"""The audit's HTML report: one self-contained page a patient-safety team can open and share.

It says first how many records lost or changed words, then the totals, the findings by kind and severity, a
chart of damaged records over time by kind (an inline SVG: the record's date, by day, week or month), the most
severe records side by side with the lost words struck through (``report.html``'s :func:`mark_diff`, so the
marks are the oracle's own spans), a sample of the benign differences that were ignored and what they were, the
records that could not be read, and how the run was set up.

Like the run report it loads nothing: no script, no font, no image from anywhere, the same Content-Security-Policy
(``default-src 'none'``), and everything that came from a record is escaped.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from journal_fuzz.kinds import KIND, SEVERITY_MEANINGS, meaning, severity_rank
from journal_fuzz.kinds import heading as finding_heading
from journal_fuzz.report.html import _CSS as RUN_REPORT_CSS  # the run report's look: one stylesheet for both
from journal_fuzz.report.html import CSP, _duration, mark_diff
from journal_fuzz.wording import clip, plural

__all__ = ["CHART_COLORS", "render_audit_report", "write_audit_report"]

CHART_COLORS = {
    "missing": "#6b6760", "negation-dropped": "#5c0a14", "negation-added": "#9c1c2e", "hedge-changed": "#2e7d6b",
    "term-dropped": "#7a3e9d", "term-changed": "#9d5fbf", "number-changed": "#b26a00", "unit-changed": "#d18f1d",
    "laterality-changed": "#1f5f8b", "words-merged": "#4b7bb5", "reordered": "#5b8c3a", "truncated": "#a0522d",
    "encoding-damaged": "#c2185b", "word-dropped": "#37474f", "word-added": "#607d8b", "word-changed": "#78909c",
    "field-dropped": "#3e2723", "field-changed": "#795548",
}
"""Bar colour per finding kind (and for missing records) in the chart."""
_OTHER_COLORS = ("#455a64", "#8d6e63", "#00796b", "#5d4037")
_LABELS = {"sent_records": "sent records", "received_records": "received records", "matched": "matched by key",
           "identical": "identical", "benign": "benign differences only (ignored)",
           "benign_fast": "… of which settled by the fast path", "minor": "minor differences (punctuation)",
           "changed": "CHANGED: lost or changed clinical words", "missing": "MISSING: sent, never received",
           "extra": "extra: received, never sent", "unreadable_sent": "unreadable sent records",
           "unreadable_received": "unreadable received records",
           "superseded_sent": "sent records superseded by a later one with the same key",
           "superseded_received": "received records superseded by a later one with the same key"}
_BAD = frozenset({"changed", "missing", "extra", "unreadable_sent", "unreadable_received"})
_MAX_UNREADABLE = 200
_EXTRA_CSS = """
table.totals td.bad{background:#5c0a14;color:#fff;font-weight:700}
.chart{background:#fff;border:1px solid #d5d2cc;border-radius:8px;padding:.6rem;max-width:100%;overflow-x:auto}
.chart svg{display:block}
.chart .axis{stroke:#8a867d;stroke-width:1}
.chart text{font:12px system-ui,"DejaVu Sans",Arial,sans-serif;fill:#4a4741}
.keys{display:flex;flex-wrap:wrap;gap:.3rem 1rem;margin:.4rem 0 0;padding:0;list-style:none;font-size:.9rem}
.keys i{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;margin-right:.3rem;vertical-align:-2px}
section.benign{border-left-color:#1e6b3a}
"""


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _n(value: Any) -> str:
    return f"{value:,}".replace(",", "\u202f") if isinstance(value, int) else _esc(value)


def _color(label: str, others: dict[str, str]) -> str:
    if label in CHART_COLORS:
        return CHART_COLORS[label]
    return others.setdefault(label, _OTHER_COLORS[len(others) % len(_OTHER_COLORS)])


# ---------------------------------------------------------------------------------------------------------
def _bucket(days: list[str]) -> tuple[str, Any]:
    """How to group dates: by day for up to two months, by week for up to a year, else by month."""
    parsed = sorted(_dt.date.fromisoformat(d) for d in days)
    span = (parsed[-1] - parsed[0]).days if parsed else 0
    if span <= 62:
        return "day", lambda d: d.isoformat()
    if span <= 366:
        return "week", lambda d: (d - _dt.timedelta(days=d.weekday())).isoformat()
    return "month", lambda d: d.strftime("%Y-%m")


def _valid_day(value: str) -> bool:
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _chart(parts: list[str], chart: Sequence[Sequence[Any]]) -> None:
    parts.append('<h2 id="chart">Damaged records over time</h2>')
    dated = [(str(d), str(k), int(n)) for d, k, n in chart if _valid_day(str(d))]
    undated = sum(int(n) for d, _k, n in chart if not _valid_day(str(d)))
    if not dated:
        parts.append("<p>No damaged record carries a date" + (f" ({_n(undated)} damaged records without one)"
                                                             if undated else "") + ".</p>")
        return
    unit, key = _bucket([d for d, _k, _n in dated])
    stacks: dict[str, Counter[str]] = defaultdict(Counter)
    for d, k, n in dated:
        stacks[key(_dt.date.fromisoformat(d))][k] += n
    buckets = sorted(stacks)
    labels = sorted({k for _d, k, _n in dated}, key=lambda k: (k != "missing", k not in KIND, k))
    others: dict[str, str] = {}
    peak = max(sum(c.values()) for c in stacks.values())
    width, height, left, bottom, top = max(420, min(1100, 60 + 28 * len(buckets))), 260, 48, 40, 12
    bar = (width - left - 10) / len(buckets)
    scale = (height - bottom - top) / peak
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-labelledby="chart-title"><title id="chart-title">Damaged records per {unit}, by kind</title>',
           f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}"/>',
           f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}"/>']
    for tick in sorted({0, peak, max(1, peak // 2)}):
        y = height - bottom - tick * scale
        svg.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    step = max(1, len(buckets) // 12)
    for i, b in enumerate(buckets):
        x = left + i * bar + bar * 0.12
        y = float(height - bottom)
        for label in labels:
            count = stacks[b].get(label, 0)
            if not count:
                continue
            h = count * scale
            y -= h
            svg.append(f'<rect class="bar" data-kind="{_esc(label)}" data-bucket="{_esc(b)}" data-count="{count}" '
                       f'x="{x:.1f}" y="{y:.1f}" width="{bar * 0.76:.1f}" height="{h:.1f}" '
                       f'fill="{_color(label, others)}"><title>{_esc(b)}: {count} {_esc(label)}</title></rect>')
        if i % step == 0:
            svg.append(f'<text x="{left + i * bar + bar / 2:.1f}" y="{height - bottom + 16}" '
                       f'text-anchor="middle">{_esc(b[5:] if unit != "month" else b)}</text>')
    svg.append(f'<text x="{left}" y="{height - 6}">{_esc(buckets[0][:4])}, per {unit}</text></svg>')
    parts.append(f'<div class="chart">{"".join(svg)}<ul class="keys">'
                 + "".join(f'<li><i style="background:{_color(k, others)}"></i>{_esc(k)}</li>' for k in labels)
                 + "</ul></div>")
    if undated:
        parts.append(f"<p>{_n(undated)} damaged records carry no date and are not in the chart.</p>")
    parts.append(f'<table class="chart-data"><thead><tr><th>{_esc(unit)}</th>'
                 + "".join(f"<th>{_esc(k)}</th>" for k in labels) + "</tr></thead><tbody>")
    for b in buckets:
        parts.append(f"<tr><td>{_esc(b)}</td>" + "".join(f'<td class="num">{stacks[b].get(k, 0)}</td>'
                                                           for k in labels) + "</tr>")
    parts.append("</tbody></table>")


def _totals(parts: list[str], totals: Mapping[str, int]) -> None:
    parts.append('<h2 id="totals">Totals</h2><table class="totals"><tbody>')
    for name, label in _LABELS.items():
        value = int(totals.get(name, 0))
        if name in ("benign_fast", "superseded_sent", "superseded_received") and not value:
            continue
        cls = ' class="num bad"' if name in _BAD and value else ' class="num"'
        parts.append(f'<tr data-total="{_esc(name)}"><th>{_esc(label)}</th><td{cls}>{_n(value)}</td></tr>')
    parts.append("</tbody></table>")


def _kinds(parts: list[str], summary: Mapping[str, Any]) -> None:
    by_kind: Mapping[str, int] = summary.get("by_kind") or {}
    records: Mapping[str, int] = summary.get("records_by_kind") or {}
    parts.append('<h2 id="findings">What was found</h2>')
    if not by_kind:
        parts.append("<p>No record lost or changed a clinical word.</p>")
        return
    parts.append('<table class="by-kind"><thead><tr><th>kind</th><th>what it means</th><th class="num">findings'
                 '</th><th class="num">records</th></tr></thead><tbody>')
    for kind, count in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])):
        parts.append(f'<tr data-kind="{_esc(kind)}"><td><code>{_esc(kind)}</code></td>'
                     f"<td>{_esc(meaning(kind))}</td><td class=\"num\">{_n(count)}</td>"
                     f'<td class="num">{_n(records.get(kind, 0))}</td></tr>')
    parts.append("</tbody></table>")
    by_sev: Mapping[str, int] = summary.get("by_severity") or {}
    parts.append('<table class="by-severity"><thead><tr><th>severity</th><th>what it means</th>'
                 '<th class="num">findings</th></tr></thead><tbody>')
    for sev in sorted(by_sev, key=severity_rank):
        parts.append(f'<tr data-severity="{_esc(sev)}"><td><span class="sev sev-{_esc(sev)}">{_esc(sev)}</span>'
                     f"</td><td>{_esc(SEVERITY_MEANINGS.get(sev, ''))}</td><td class=\"num\">{_n(by_sev[sev])}"
                     "</td></tr>")
    parts.append("</tbody></table>")


def _side_by_side(sent: str, received: str, findings: list[dict[str, Any]], language: str,
                  received_empty: str = "(nothing came back)") -> str:
    sent_html, received_html = mark_diff(sent, received, findings, language or "sv")
    lang = f' lang="{_esc(language)}"' if language in ("sv", "en") else ""

    def box(body: str, raw: str, empty: str) -> str:
        return f'<div class="text"{lang}>{body}</div>' if raw else f'<div class="text empty">{_esc(empty)}</div>'

    return ('<div class="sbs">'
            f'<figure class="sent"><figcaption>Sent <small>({plural(len(sent), "character")})</small></figcaption>'
            f"{box(sent_html, sent, '(nothing was sent)')}</figure>"
            f'<figure class="received"><figcaption>Stored <small>({plural(len(received), "character")})</small>'
            f"</figcaption>{box(received_html, received, received_empty)}</figure></div>")


def _case(parts: list[str], n: int, case: Mapping[str, Any]) -> None:
    panes = list(case.get("panes") or [])
    findings = [f for p in panes for f in p.get("findings", [])]
    missing = case.get("status") == "missing"
    head = min(findings, key=lambda f: severity_rank(str(f.get("severity")))) if findings else None
    title = "The whole note never arrived" if missing else (finding_heading(head) if head else "Changed record")
    worst = str(case.get("worst") or "critical")
    parts.append(f'<section class="case worst-{_esc(worst)}" id="case-{n}" data-key="{_esc(case.get("key"))}" '
                 f'data-kinds="{_esc(" ".join(case.get("kinds") or []))}" data-severity="{_esc(worst)}">'
                 f'<h2><span class="num">{n}.</span>{_esc(title)}</h2>')
    meta = [f"record <strong>{_esc(case.get('key'))}</strong>"]
    if case.get("date"):
        meta.append(f"dated {_esc(case['date'])}")
    if case.get("sent_where"):
        meta.append(f"sent at <code>{_esc(case['sent_where'])}</code>")
    if case.get("received_where"):
        meta.append(f"stored at <code>{_esc(case['received_where'])}</code>")
    if findings:
        meta.append(plural(len(findings), "finding"))
    parts.append(f'<p class="meta">{" · ".join(meta)}</p>')
    language = str(case.get("language") or "sv")
    for pane in panes:
        if pane.get("path"):
            parts.append(f'<p class="field">Text at <code>{_esc(pane["path"])}</code>.</p>')
        parts.append(_side_by_side(str(pane.get("sent") or ""), str(pane.get("received") or ""),
                                   list(pane.get("findings") or []), language,
                                   "(no record with this key was stored)" if missing else "(nothing came back)"))
    if head is not None:
        parts.append(f'<p class="explanation"><strong>What changed:</strong> {_esc(head.get("explanation"))}</p>')
        parts.append('<table class="findings"><thead><tr><th>#</th><th>kind</th><th>severity</th><th>concept</th>'
                     "<th>sent</th><th>stored</th><th>explanation</th></tr></thead><tbody>")
        for k, f in enumerate(findings, 1):
            sev = str(f.get("severity"))
            where = f"<small>at <code>{_esc(f.get('path'))}</code></small>" if f.get("path") else ""
            parts.append(f'<tr data-kind="{_esc(f.get("kind"))}"><td class="num">{k}</td><td><code>'
                         f'{_esc(f.get("kind"))}</code></td><td><span class="sev sev-{_esc(sev)}">{_esc(sev)}</span>'
                         f'</td><td>{_esc(f.get("concept") or "")}</td>'
                         f'<td>{_esc(clip(str(f.get("sent_text") or ""), 120))}</td>'
                         f'<td>{_esc(clip(str(f.get("received_text") or ""), 120))}</td>'
                         f'<td>{_esc(f.get("explanation"))}{where}</td></tr>')
        parts.append("</tbody></table>")
    parts.append("</section>")


def _samples(parts: list[str], samples: Sequence[Mapping[str, Any]], totals: Mapping[str, int]) -> None:
    parts.append('<h2 id="benign">What was ignored: a sample of benign differences</h2>')
    if not samples:
        parts.append("<p>No matched record differed only benignly.</p>")
        return
    parts.append(f"<p>{_n(int(totals.get('benign', 0)))} records differ from what was sent only in ways that change "
                 "no word (line endings, Unicode form, whitespace, letter case, µ written as μ …). "
                 f"{plural(len(samples), 'of them is', 'of them are')} shown, unmarked, with what differed.</p>")
    for i, s in enumerate(samples, 1):
        what = ", ".join(str(w) for w in s.get("what") or [])
        parts.append(f'<section class="case benign" id="benign-{i}" data-key="{_esc(s.get("key"))}">'
                     f'<p class="meta">record <strong>{_esc(s.get("key"))}</strong> · differs in: '
                     f'<span class="what">{_esc(what)}</span></p>'
                     f'{_side_by_side(str(s.get("sent") or ""), str(s.get("received") or ""), [], "")}</section>')


def _unreadable(parts: list[str], summary: Mapping[str, Any]) -> None:
    rows = list(summary.get("unreadable") or [])
    if not rows:
        return
    total = int(summary.get("unreadable_total", len(rows)))
    parts.append(f'<h2 id="unreadable">Records that could not be read ({_n(total)})</h2>'
                 '<p class="warn">These records were not compared: nothing is known about whether they kept their '
                 'words.</p><table class="unreadable"><thead><tr><th>side</th><th>where</th><th>why</th></tr>'
                 "</thead><tbody>")
    for row in rows[:_MAX_UNREADABLE]:
        where = row.get("sent_where") or row.get("received_where")
        parts.append(f"<tr><td>{_esc(row.get('side'))}</td><td><code>{_esc(where)}</code></td>"
                     f"<td>{_esc(row.get('explanation'))}</td></tr>")
    parts.append("</tbody></table>")
    if total > _MAX_UNREADABLE:
        parts.append(f"<p>… and {_n(total - _MAX_UNREADABLE)} more, all in the findings file.</p>")


def _details(parts: list[str], summary: Mapping[str, Any]) -> None:
    choice = summary.get("key_choice") or {}
    how = {"option": "named with --key", "overlap": f"chosen: {choice.get('overlap', 0)} shared values in a sample "
                                                    f"of {choice.get('sample', ['?', '?'])[0]} and "
                                                    f"{choice.get('sample', ['?', '?'])[1]} records",
           "default": "the usual field (no shared value in the sample)"}.get(str(choice.get("chosen_by")), "")
    rows = []
    for side in ("sent", "received"):
        info = summary.get(side) or {}
        skipped = info.get("skipped") or {}
        extra = f"; not compared (no note text): {', '.join(f'{n} {k}' for k, n in skipped.items())}" if skipped \
            else ""
        rows.append((side.capitalize(), f"<code>{_esc(info.get('path'))}</code> ({_esc(info.get('format'))}, "
                                         f"{plural(int(info.get('files', 0)), 'file')}){_esc(extra)}"))
    rows.append(("Matched by", f"sent <code>{_esc((summary.get('sent') or {}).get('key'))}</code> = received "
                               f"<code>{_esc((summary.get('received') or {}).get('key'))}</code> ({_esc(how)})"))
    rows.append(("Compared as", "FHIR resources (compare_resources)" if summary.get("mode") == "fhir" else
                 "note texts (compare)"))
    rows.append(("Language", _esc(summary.get("language"))))
    rows.append(("Ran on", _esc(summary.get("runner"))))
    rows.append(("Duration", _esc(_duration(summary.get("seconds")))))
    rows.append(("Personal data", "redacted: identifiers replaced by synthetic ones" if summary.get("redacted")
                 else "NOT redacted: this report holds patient text; share it only as patient data"))
    rows.append(("journal_fuzz", _esc(summary.get("journal_fuzz"))))
    parts.append('<h2 id="run">The run</h2><dl class="run">'
                 + "".join(f"<dt>{_esc(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>")


def render_audit_report(summary: Mapping[str, Any], *, title: str = "journal_fuzz audit") -> str:
    """The report page for an audit's summary (what :func:`journal_fuzz.audit.run_audit` returns)."""
    totals: Mapping[str, int] = summary.get("totals") or {}
    damaged = int(totals.get("changed", 0)) + int(totals.get("missing", 0))
    unreadable = int(totals.get("unreadable_sent", 0)) + int(totals.get("unreadable_received", 0))
    cls = "banner-lost" if damaged else ("banner-error" if unreadable or totals.get("extra") else "banner-kept")
    parts = ["<!DOCTYPE html>\n", '<html lang="en"><head><meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{_esc(CSP)}">',
             '<meta name="referrer" content="no-referrer">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<meta name="generator" content="journal_fuzz">',
             f"<title>{_esc(title)}</title><style>{RUN_REPORT_CSS}{_EXTRA_CSS}</style></head><body><main>",
             f'<header class="banner {cls}" id="verdict"><h1>{_esc(title)}</h1>'
             f'<p class="verdict">{_esc(summary.get("headline"))}</p>'
             f"<p>{_n(int(totals.get('sent_records', 0)))} records sent, {_n(int(totals.get('received_records', 0)))} "
             f"stored, {_n(int(totals.get('matched', 0)))} matched by key and compared word by word.</p>"
             + (f"<p>{plural(unreadable, 'record')} could not be read (listed below).</p>" if unreadable else "")
             + "</header>",
             '<div class="legend"><strong>How to read this report.</strong> Each damaged record shows the note as '
             'it was <strong>sent</strong> (left) and as it was <strong>stored</strong> (right). '
             '<del class="lost">Red, struck through</del>: sent, but not stored. <ins class="added">Green, '
             'underlined</ins>: stored, but never sent. Differences that change no word are not marked; a sample '
             'of them is shown at the end.</div>']
    _totals(parts, totals)
    _kinds(parts, summary)
    _chart(parts, list(summary.get("chart") or []))
    top = list(summary.get("top") or [])
    parts.append('<h2 id="cases">The most severe records</h2>')
    if top:
        parts.append(f"<p>The {plural(len(top), 'record')} with the most severe findings, side by side.</p>")
    else:
        parts.append("<p>No record lost or changed a word.</p>")
    for n, case in enumerate(top, 1):
        _case(parts, n, case)
    _samples(parts, list(summary.get("samples") or []), totals)
    _unreadable(parts, summary)
    _details(parts, summary)
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    parts.append(f"<footer>Written by journal_fuzz {_esc(summary.get('journal_fuzz'))} at {_esc(now)}. This file "
                 "loads nothing from the network.</footer></main></body></html>\n")
    out = "".join(parts)
    return out.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def write_audit_report(path: str | Path, summary: Mapping[str, Any]) -> Path:
    """Render the report and write it to ``path`` (UTF-8, parent directories created); return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_audit_report(summary), encoding="utf-8", newline="\n")
    return target
