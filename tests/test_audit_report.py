"""The audit's HTML report: what it says (from a real audit of the example export), escaping, and the page in
headless Chromium (DOM, pixels, no network), as the run report is tested."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

import browser
from journal_fuzz.audit import AuditOptions, run_audit
from journal_fuzz.report.audit_html import CHART_COLORS, render_audit_report, write_audit_report
from journal_fuzz.report.html import CSP, LOST_BACKGROUND, LOST_COLOR
from test_report_html import HOSTILE, _csp_violations, _has_line, _marked_boxes, _near, _rgb, require_chromium

EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "audit"


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    result = run_audit(AuditOptions(str(EXAMPLE / "sent"), str(EXAMPLE / "received"), workers=1))
    return result.summary


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory: pytest.TempPathFactory, summary: dict[str, Any]) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("audit-report")
    write_audit_report(directory / "audit.html", summary)
    yield directory


def parse(page: str) -> Any:
    return lxml_html.document_fromstring(page)


def test_the_example_export_gives_the_readme_figures(summary: dict[str, Any]) -> None:
    t = summary["totals"]
    assert (t["sent_records"], t["received_records"], t["changed"], t["missing"], t["benign"],
            t["unreadable_received"]) == (8, 7, 4, 1, 3, 1)
    assert summary["headline"] == "CHANGED: 4 changed, 1 missing, 1 unreadable of 8 sent records"
    readme = (EXAMPLE.parent.parent / "README.md").read_text(encoding="utf-8")
    assert summary["headline"] in readme


def test_totals_kinds_chart_cases_samples_and_unreadable_are_all_there(summary: dict[str, Any]) -> None:
    doc = parse(render_audit_report(summary))
    assert doc.xpath('string(//header[@id="verdict"]/@class)') == "banner banner-lost"
    totals = {tr.get("data-total"): tr.xpath("string(td)") for tr in doc.xpath('//table[@class="totals"]//tr')}
    assert totals["changed"] == "4" and totals["missing"] == "1" and totals["unreadable_received"] == "1"
    assert {tr.get("data-kind") for tr in doc.xpath('//table[@class="by-kind"]//tr[@data-kind]')} == {
        "negation-dropped", "number-changed", "laterality-changed"}
    bars = {(r.get("data-bucket"), r.get("data-kind"), r.get("data-count")) for r in doc.xpath("//svg//rect")}
    assert ("2024-11-04", "negation-dropped", "1") in bars and ("2024-11-08", "missing", "1") in bars
    assert len(bars) == 5  # four changed records and one missing, each on its own day
    cases = doc.xpath('//section[starts-with(@id, "case-")]')
    assert [c.get("data-key") for c in cases][:1] and len(cases) == 5
    marks = {(d.get("data-kind"), d.text_content()) for d in doc.xpath('//section[starts-with(@id, "case-")]//del')}
    assert ("negation-dropped", "Ingen") in marks and ("number-changed", "2,5") in marks
    missing = next(c for c in cases if c.get("data-kinds") == "missing")
    assert "(no record with this key was stored)" in missing.text_content()
    samples = doc.xpath('//section[starts-with(@id, "benign-")]')
    assert len(samples) == 3 and not doc.xpath('//section[starts-with(@id, "benign-")]//del')
    what = " ".join(s.xpath('string(.//span[@class="what"])') for s in samples)
    assert "Unicode form (NFC/NFD)" in what and "letter case" in what and "compatibility characters" in what
    assert "DocumentReference_2.ndjson.gz:3" in doc.xpath('string(//table[@class="unreadable"])')
    assert "NOT redacted" in doc.xpath('string(//dl[@class="run"])')


def test_record_text_is_escaped_and_the_page_forbids_every_fetch(summary: dict[str, Any]) -> None:
    hostile = copy.deepcopy(summary)
    hostile["top"][0]["key"] = HOSTILE
    hostile["top"][0]["panes"][0]["sent"] = HOSTILE + hostile["top"][0]["panes"][0]["sent"]
    hostile["samples"][0]["received"] = HOSTILE
    page = render_audit_report(hostile)
    doc = parse(page)
    assert not doc.xpath("//script | //img | //link | //iframe")
    assert "<script>alert(1)</script>" in doc.xpath('string(//section[@id="case-1"])')
    assert doc.xpath('string(//meta[@http-equiv="Content-Security-Policy"]/@content)') == CSP
    assert "default-src 'none'" in CSP
    assert not re.search(r"\b(?:src|href)=\"(?:https?:)?//", page)


def test_a_clean_audit_says_so() -> None:
    summary = {"headline": "kept: all 3 sent records came back with every clinical word",
               "totals": {"sent_records": 3, "received_records": 3, "matched": 3, "identical": 3}}
    doc = parse(render_audit_report(summary))
    assert doc.xpath('string(//header[@id="verdict"]/@class)') == "banner banner-kept"
    assert "No record lost or changed a word." in doc.text_content()


# ---------------------------------------------------------------------------------------------------------
def test_browser_dom_holds_the_cases_and_the_chart(page_dir: Path) -> None:
    require_chromium()
    seen = browser.visit(page_dir / "audit.html")
    doc = parse(seen.dom)
    assert len(doc.xpath('//section[starts-with(@id, "case-")]')) == 5
    assert re.search(r'<del class="lost" data-kind="negation-dropped"[^>]*>ej</del>', seen.dom)
    assert len(doc.xpath("//*[local-name()='svg']//*[local-name()='rect']")) == 5
    assert not _csp_violations(seen.console), seen.console
    assert seen.page_requests() == []


def _solid_box(png: browser.Png, color: str, min_w: int, min_h: int) -> bool:
    """A rectangle of at least min_w x min_h pixels filled with ``color`` (a chart bar)."""
    target = _rgb(color)
    runs: dict[tuple[int, int], int] = {}
    for y in range(png.height):
        x = 0
        while x < png.width:
            if _near(png.pixel(x, y), target, 2):
                left = x
                while x < png.width and _near(png.pixel(x, y), target, 2):
                    x += 1
                if x - left >= min_w:
                    runs[(left, x)] = runs.get((left, x), 0) + 1
            x += 1
    return any(h >= min_h for h in runs.values())


def test_browser_paints_the_chart_bars_and_the_struck_words(page_dir: Path, tmp_path: Path) -> None:
    require_chromium()
    png = browser.read_png(browser.screenshot(page_dir / "audit.html", tmp_path / "shot.png", window=(1100, 2600)))
    # The laterality bar's colour is used for nothing else on the page: a solid bar of it is the chart.
    assert _solid_box(png, CHART_COLORS["laterality-changed"], 12, 30), "no laterality-changed bar in the chart"
    lost = _marked_boxes(png, LOST_BACKGROUND)
    assert lost and any(_has_line(png, box, LOST_COLOR) for box in lost), "no struck-through lost word"


def test_browser_opening_the_report_makes_no_network_request(page_dir: Path) -> None:
    require_chromium()
    with browser.serve_directory(page_dir) as (base, served):
        seen = browser.visit(f"{base}/audit.html")
    assert served == ["GET /audit.html HTTP/1.1"], served
    assert seen.page_requests() == []
    assert not _csp_violations(seen.console), seen.console
    assert seen.unexplained_proxy_hosts() == set(), (seen.proxied, seen.requests)
