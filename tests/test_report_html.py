"""The HTML report: marked words, escaping, the summary tables, loading cases, and the page in a real browser.

The browser tests drive headless Debian Chromium (tests/browser.py): they skip with the reason when it is missing,
and fail instead when ``CI`` is set (CI installs it: ``apt-get install -y chromium``).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

import browser
import journal_fuzz as jf
from fhir_helpers import sv
from journal_fuzz.cases import Case, load_cases
from journal_fuzz.report.html import (
    ADDED_BACKGROUND,
    ADDED_COLOR,
    CSP,
    LOST_BACKGROUND,
    LOST_COLOR,
    NOTE_BACKGROUND,
    case_heading,
    mark_diff,
    render_report,
    write_report,
)

FRI_GAS_SENT = "Fri gas under diafragman ses ej."
FRI_GAS_RECEIVED = "Fri gas under diafragman ses."
HOSTILE = "<script>alert(1)</script> </td></tr></table> \"citat\" 'enkelt' <!-- ej --> ]]> </style> &amp; <img src=x>"


def text_case(sent: str, received: str, language: str = "sv", *, prop: str = "negations",
              target: str = "python:lossy_mod:drop", **kwargs: Any) -> Case:
    verdict = jf.compare(sent, received, language)
    return Case(carries="text", sent={"text": sent, "language": language}, received={"text": received},
                verdict=verdict.to_dict(), target=target, seed=543713049, prop=prop, language=language, **kwargs)


def fri_gas_case() -> Case:
    return text_case(FRI_GAS_SENT, FRI_GAS_RECEIVED)


def added_inte_case() -> Case:
    return text_case("Patienten har feber sedan i går.", "Patienten har inte feber sedan i går.")


def fhir_case() -> Case:
    from journal_fuzz.fhir import build_resource, compare_resources

    built = build_resource("Composition", [sv("Ingen feber."), sv("Fraktur påvisas ej.\nInga tecken på blödning.")])
    received = copy.deepcopy(built.resource)
    section = received["section"][1]["text"]
    section["div"] = section["div"].replace(" ej.", ".")
    verdict = compare_resources(built.resource, received)
    return Case(carries="fhir", sent={"resource": built.resource, "wire": "xml", "kind": "Composition"},
                received={"resource": received}, verdict=verdict.to_dict(), target="embedded", seed=7,
                prop="fhir-narrative", language="sv")


def summary_for(cases: list[Case], **overrides: Any) -> dict[str, Any]:
    items = [
        {"item": "negations-sv", "property": "negations", "language": "sv", "status": "lost", "sent": 80,
         "kinds": ["negation-dropped"], "case": str(cases[0].path) if cases and cases[0].path else None,
         "nondeterministic": False, "exercised": {}},
        {"item": "negations-en", "property": "negations", "language": "en", "status": "passed", "sent": 80,
         "kinds": [], "case": None, "nondeterministic": False, "exercised": {}},
        {"item": "labs-sv", "property": "labs", "language": "sv", "status": "system-error", "sent": 3, "kinds": [],
         "case": None, "error": "timeout after 10 s", "exercised": {}},
        {"item": "labs-en", "property": "labs", "language": "en", "status": "unsupported", "sent": 0, "kinds": [],
         "case": None, "exercised": {}},
    ]
    data: dict[str, Any] = {
        "target": "python:lossy_mod:drop", "seed": 543713049, "profile": "quick", "examples": 10, "concurrency": 8,
        "languages": ["sv", "en"], "journal_fuzz": jf.__version__, "system": {"name": "TestEHR", "version": "9.1"},
        "duration_seconds": 75.4, "items": items,
        "statuses": {"lost": 1, "passed": 1, "system-error": 1, "unsupported": 1},
        "finding_kinds": {"negation-dropped": 1},
        "exercised": {"notes": 163, "negation cues (pre)": 57, "µ units": 0, "notes past 65535 characters": 0},
        "never_exercised": ["µ units", "notes past 65535 characters", "personnummer"],
        "longest_note": 4100, "payloads_sent": 163,
    }
    data.update(overrides)
    return data


def parse(page: str) -> Any:
    return lxml_html.document_fromstring(page)


def column_text(doc: Any, case_id: str, side: str) -> str:
    (div,) = doc.xpath(f'//section[@id="{case_id}"]//figure[@class="{side}"]//div[contains(@class, "text")]')
    return str(div.text_content())


# ---------------------------------------------------------------------------------------------------------
# The word-level diff
def test_dropped_ej_is_struck_through_in_the_sent_text() -> None:
    verdict = jf.compare(FRI_GAS_SENT, FRI_GAS_RECEIVED, "sv")
    sent_html, received_html = mark_diff(FRI_GAS_SENT, FRI_GAS_RECEIVED, [f.to_dict() for f in verdict.findings])
    assert re.search(r'<del class="lost" data-kind="negation-dropped" data-severity="critical"[^>]*>ej</del>',
                     sent_html), sent_html
    assert sent_html.startswith("Fri gas under diafragman ses ") and sent_html.endswith("</del>.")
    assert "<del" not in received_html and "<ins" not in received_html
    assert received_html == "Fri gas under diafragman ses."


def test_added_word_is_inserted_in_the_received_text() -> None:
    case = added_inte_case()
    sent_html, received_html = mark_diff(case.sent["text"], case.received["text"], case.verdict["findings"])
    assert re.search(r'<ins class="added" data-kind="negation-added"[^>]*>inte</ins>', received_html), received_html
    assert "<del" not in sent_html and "<ins" not in sent_html


def test_changed_words_are_marked_on_both_sides_with_their_kind() -> None:
    sent, received = "Waran 2,5 mg 1x1. Levaxin 50 µg.", "Waran 25 mg 1x1. Levaxin 50 mg."
    findings = jf.compare(sent, received, "sv").to_dict()["findings"]
    sent_html, received_html = mark_diff(sent, received, findings)
    assert re.search(r'<del class="lost" data-kind="number-changed"[^>]*>2,5</del>', sent_html)
    assert re.search(r'<ins class="added" data-kind="number-changed"[^>]*>25</ins>', received_html)
    assert re.search(r'<del class="lost" data-kind="unit-changed"[^>]*>µg</del>', sent_html)
    assert re.search(r'<ins class="added" data-kind="unit-changed"[^>]*>mg</ins>', received_html)


def test_benign_differences_are_not_marked_and_line_breaks_are_kept() -> None:
    sent = "Fri gas under diafragman ses ej.\nLevaxin 50 µg (U+00B5)."
    received = "fri  gas under\r\ndiafragman ses EJ.\nLevaxin 50 μg (U+00B5)."
    sent_html, received_html = mark_diff(sent, received)
    assert "<del" not in sent_html and "<ins" not in received_html
    assert "\n" in sent_html and "\r\n" in received_html


def test_without_findings_the_oracle_is_asked_and_every_mark_has_a_kind() -> None:
    # The page paints the verdict's own spans; with no verdict given, it asks the oracle rather than diffing itself.
    sent_html, received_html = mark_diff("ett och tre", "ett eller tre")
    assert re.search(r'<del class="lost" data-kind="word-changed" data-severity="major"[^>]*>och</del>',
                     sent_html)
    assert '<ins class="added" data-kind="word-changed"' in received_html
    assert mark_diff("ett och tre", "ett eller tre", findings=[]) == ("ett och tre", "ett eller tre")


def test_a_long_unchanged_stretch_is_shortened_but_the_change_is_shown() -> None:
    filler = "Status idag utan anmärkning. " * 400
    sent, received = filler + "Ingen fraktur.", filler + "Fraktur."
    sent_html, _ = mark_diff(sent, received, jf.compare(sent, received, "sv").to_dict()["findings"])
    assert 'class="elided"' in sent_html and "unchanged characters not shown" in sent_html
    assert re.search(r'<del class="lost" data-kind="negation-dropped"[^>]*>Ingen</del>', sent_html)
    assert len(sent_html) < len(sent) // 2


def test_a_note_cut_at_65535_characters_shows_the_cut_without_the_whole_tail() -> None:
    sent = "Patienten har ingen feber. Waran 2,5 mg. " * 2000
    received = sent[:65535]
    case = text_case(sent, received, prop="lengths")
    doc = parse(render_report([case]))
    (section,) = doc.xpath('//section[@id="case-1"]')
    assert section.get("data-kinds") == "truncated"
    assert ("The text was cut at 65 535 characters, a common field cap: the last 16 465 characters of 82 000 were "
            "lost" in section.xpath("string(.//h2)"))
    assert len(sent) - len(received) == 16_465
    (cut,) = section.xpath('.//figure[@class="sent"]//del[@class="lost"]')
    assert cut.get("data-kind") == "truncated" and "more characters not shown" in cut.text_content()
    assert len(render_report([case])) < 40_000


_ALPHABET = st.sampled_from([
    "a", "b", " ", "  ", "\n", "\r\n", "\t", "ej", "inte", "ingen", "Ingen", "fri gas", "fraktur", ".", ",", "<", ">",
    "&", '"', "'", "/", "!", "-", "=", ";", "µ", "μ", "åäö", "2,5", "25", "mg", "µg", "höger", "vänster",
    "<script>", "</td>", "<!--", "-->", "]]>", "&amp;", "&auml;", "\u00a0", "\u200b", "\u00ad", "😀",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join), st.lists(_ALPHABET, max_size=40).map("".join))
def test_marked_texts_render_back_to_exactly_the_original_texts(sent: str, received: str) -> None:
    # Whatever the texts hold, the page shows them verbatim: the markup only wraps, never adds or eats a character
    # (an HTML parser reads CRLF as LF, as it must).
    sent_html, received_html = mark_diff(sent, received, jf.compare(sent, received, "sv").to_dict()["findings"])
    for original, fragment in ((sent, sent_html), (received, received_html)):
        root = lxml_html.fragment_fromstring(f"<div>{fragment}</div>")
        assert root.text_content() == original.replace("\r\n", "\n")
        assert {el.tag for el in root.iter()} <= {"div", "del", "ins"}


# ---------------------------------------------------------------------------------------------------------
# Headings, sections, escaping
def test_case_heading_is_plain_language() -> None:
    verdict = jf.compare(FRI_GAS_SENT, FRI_GAS_RECEIVED, "sv").to_dict()
    assert case_heading(verdict["findings"][0]) == "A negation was dropped: 'fri gas' now reads as present"
    added = added_inte_case().verdict["findings"][0]
    assert case_heading(added) == "A negation was added: 'feber' now reads as absent"
    dose = jf.compare("Waran 2,5 mg.", "Waran 25 mg.", "sv").to_dict()["findings"][0]
    assert case_heading(dose) == "A number changed: '2,5' now reads '25' (warfarin)"
    assert case_heading({"kind": "something-new", "explanation": "x"}) == "something-new: x"


def test_case_section_has_id_kinds_heading_both_texts_and_replay(tmp_path: Path) -> None:
    case = fri_gas_case()
    case.path = tmp_path / "my cases" / "negations-sv-negation-dropped-abc.json"
    page = render_report([case])
    doc = parse(page)
    (section,) = doc.xpath('//section[@id="case-1"]')
    assert section.get("data-kinds") == "negation-dropped"
    assert "A negation was dropped: 'fri gas' now reads as present" in section.xpath("string(.//h2)")
    assert column_text(doc, "case-1", "sent") == FRI_GAS_SENT
    assert column_text(doc, "case-1", "received") == FRI_GAS_RECEIVED
    (struck,) = section.xpath('.//figure[@class="sent"]//del[@class="lost"]')
    assert struck.text == "ej" and struck.get("data-kind") == "negation-dropped"
    assert section.xpath('.//table[@class="findings"]//tr[@data-kind="negation-dropped"]')
    assert "'ej' of the negation 'ses ej' was lost" in section.xpath('string(.//p[@class="explanation"])')
    (replay,) = section.xpath('.//p[@class="replay"]/code')
    assert replay.text == f"journal-fuzz replay '{case.path}' --target python:lossy_mod:drop"
    assert 'lang="sv"' in page and "nondeterministic" not in section.get("class", "")


def test_nondeterministic_case_says_so_and_shows_what_came_back_later() -> None:
    case = text_case(FRI_GAS_SENT, FRI_GAS_RECEIVED, nondeterministic=True, reruns=[FRI_GAS_SENT, FRI_GAS_SENT])
    doc = parse(render_report([case]))
    (section,) = doc.xpath('//section[@id="case-1"]')
    assert "Nondeterministic word loss" in section.text_content()
    assert section.xpath("string(.//h2)").endswith("Only sometimes: a negation was dropped: 'fri gas' now reads as "
                                                   "present")
    assert len(section.xpath('.//h3[contains(., "Sent again")]/following-sibling::div[@class="text"]')) == 2


def test_fhir_case_shows_the_text_at_the_findings_path() -> None:
    case = fhir_case()
    doc = parse(render_report([case]))
    (section,) = doc.xpath('//section[@id="case-1"]')
    assert section.get("data-kinds") == "negation-dropped"
    assert section.xpath('string(.//p[@class="field"]/code)') == "Composition.section[1].text.div"
    assert column_text(doc, "case-1", "sent") == "Fraktur påvisas ej.\nInga tecken på blödning."
    assert column_text(doc, "case-1", "received") == "Fraktur påvisas.\nInga tecken på blödning."
    assert [d.text for d in section.xpath('.//del[@class="lost"]')] == ["ej"]
    assert "FHIR Composition sent as XML" in section.text_content()
    assert "--target embedded" in section.xpath('string(.//p[@class="replay"]/code)')


def test_hostile_note_text_renders_as_text_never_as_markup() -> None:
    case = text_case(f"Patienten har <script>alert(1)</script> ingen feber. {HOSTILE}",
                     f"Patienten har <script>alert(1)</script> feber. {HOSTILE}", prop=HOSTILE, target=HOSTILE)
    case.verdict["findings"][0]["concept"] = HOSTILE
    case.verdict["findings"][0]["explanation"] = HOSTILE
    case.verdict["findings"][0]["path"] = HOSTILE
    summary = summary_for([case], target=HOSTILE, exercised={HOSTILE: 0, "notes": 1})
    summary["items"][2]["error"] = HOSTILE
    page = render_report([case], summary, title=HOSTILE)
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<!-- ej" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    doc = parse(page)
    assert not doc.xpath("//script | //img | //iframe | //object | //embed | //link | //base | //form")
    assert not [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
    assert column_text(doc, "case-1", "sent") == case.sent["text"]
    assert column_text(doc, "case-1", "received") == case.received["text"]
    assert doc.xpath("string(//title)") == HOSTILE
    assert [d.text for d in doc.xpath('//section[@id="case-1"]//del[@class="lost"]')] == ["ingen"]


def test_the_page_is_self_contained_and_forbids_every_fetch() -> None:
    page = render_report([fri_gas_case(), fhir_case()], summary_for([]))
    doc = parse(page)
    (meta,) = doc.xpath('//meta[@http-equiv="Content-Security-Policy"]')
    assert meta.get("content") == CSP and CSP.startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert doc.xpath("//meta/@charset") == ["utf-8"] and doc.get("lang") == "en"
    assert not re.search(r"https?:|//[a-z]|url\(|@import|@font-face", page.split("<footer>")[0], re.I)
    assert all(href.startswith("#") for href in doc.xpath("//@href"))
    assert not doc.xpath("//@src | //@srcset | //@action | //@data | //@poster")
    assert not doc.xpath("//script")


def test_lone_surrogates_and_control_characters_do_not_break_the_file(tmp_path: Path) -> None:
    case = fri_gas_case()
    case.sent["text"] = "Fri gas \ud800 ses\x00 ej.\x1b"
    path = write_report(tmp_path / "out" / "report.html", [case])
    text = path.read_bytes().decode("utf-8")
    assert "\ufffd" in text and path.parent.name == "out"


# ---------------------------------------------------------------------------------------------------------
# The summary
def test_banner_and_properties_by_languages_table(tmp_path: Path) -> None:
    case = fri_gas_case()
    case.path = case.save(tmp_path)
    doc = parse(render_report([case], summary_for([case])))
    banner = doc.xpath('//header[@id="verdict"]')[0]
    assert "banner-lost" in banner.get("class")
    assert "Words were lost: 1 of 4 properties lost clinical words" in banner.text_content()
    assert "1 property could not be checked: system errors" in banner.text_content()
    assert "Never exercised: µ units, notes past 65535 characters, personnummer" in banner.text_content()
    rows = {tr.xpath("string(th)"): tr for tr in doc.xpath('//table[@class="matrix"]/tbody/tr')}
    assert list(rows) == ["negations", "labs"]
    neg_sv, neg_en = rows["negations"].xpath("td")[1:]
    assert neg_sv.get("class") == "lost" and neg_sv.xpath("a/@href") == ["#case-1"]
    assert "negation-dropped" in neg_sv.text_content() and "80 sent" in neg_sv.text_content()
    assert neg_en.get("class") == "kept" and "kept every word" in neg_en.text_content()
    labs_sv, labs_en = rows["labs"].xpath("td")[1:]
    assert labs_sv.get("class") == "error" and "timeout after 10 s" in labs_sv.text_content()
    assert labs_en.get("class") == "unsupported"
    assert "negations before and after the finding" in rows["negations"].xpath("string(td[1])")


@pytest.mark.parametrize(("statuses", "cls", "words"), [
    ({"passed": 3}, "banner-kept", "Every clinical word was kept: 3 properties passed"),
    ({"passed": 2, "system-error": 1}, "banner-error", "Not proven: 1 of 3 properties could not be checked"),
    ({"unsupported": 1}, "banner-none", "Nothing was checked"),
])
def test_banner_without_loss(statuses: dict[str, int], cls: str, words: str) -> None:
    each = [status for status, n in statuses.items() for _ in range(n)]
    items: list[dict[str, Any]] = [{"item": f"p{i}-sv", "property": f"p{i}", "language": "sv", "status": status,
                                    "sent": 5, "kinds": [], "case": None, "exercised": {}}
                                   for i, status in enumerate(each)]
    summary = summary_for([], items=items, statuses=statuses, finding_kinds={}, never_exercised=[],
                          exercised={"notes": 15})
    banner = parse(render_report([], summary)).xpath('//header[@id="verdict"]')[0]
    assert cls in banner.get("class") and words in banner.text_content()
    assert "Never exercised" not in banner.text_content()


def test_findings_by_kind_and_by_severity() -> None:
    cases = [fri_gas_case(), text_case("Misstänkt pneumoni i höger lunga. Waran 2,5 mg.",
                                       "Pneumoni i vänster lunga. Waran 25 mg.", prop="notes")]
    doc = parse(render_report(cases, summary_for(cases)))
    by_kind = {tr.get("data-kind"): [td.text_content() for td in tr.xpath("td")]
               for tr in doc.xpath('//table[@class="by-kind"]/tbody/tr')}
    assert by_kind["negation-dropped"][2:] == ["1", "1", "1"]
    assert by_kind["number-changed"][2:] == ["1", "1", "0"]
    assert set(by_kind) == {"negation-dropped", "hedge-changed", "laterality-changed", "number-changed"}
    assert "something absent now reads as present" in by_kind["negation-dropped"][1]
    by_severity = {tr.get("data-severity"): tr.xpath("string(td[3])")
                   for tr in doc.xpath('//table[@class="by-severity"]/tbody/tr')}
    assert by_severity == {"critical": "4", "major": "0", "minor": "0"}


def test_run_details_target_seed_versions_duration() -> None:
    case = fri_gas_case()
    case.versions = {"journal_fuzz": "0.1.0", "hypothesis": "6.170.17", "python": "3.11.9"}
    doc = parse(render_report([case], summary_for([case])))
    details = dict(zip([dt.text_content() for dt in doc.xpath('//dl[@class="run"]/dt')],
                       [dd.text_content() for dd in doc.xpath('//dl[@class="run"]/dd')], strict=True))
    assert details["Target (system under test)"] == "python:lossy_mod:drop"
    assert details["Seed"] == "543713049"
    assert details["Duration"] == "1 min 15 s"
    assert "hypothesis 6.170.17" in details["Versions"] and "python 3.11.9" in details["Versions"]
    assert details["The system says it is"] == "name TestEHR; version 9.1"
    seedless = parse(render_report([], summary_for([], seed=None)))
    assert "none (derandomised)" in seedless.xpath('string(//dl[@class="run"])')


def test_evidence_flags_zero_counts_plainly() -> None:
    doc = parse(render_report([], summary_for([])))
    rows = {tr.xpath("string(td[1])"): tr for tr in doc.xpath('//table[@class="evidence"]/tbody/tr')}
    assert rows["notes"].get("class") is None and rows["notes"].xpath("string(td[2])") == "163"
    for key in ("µ units", "notes past 65535 characters", "personnummer"):
        assert rows[key].get("class") == "never", key
        assert rows[key].xpath("string(td[2])") == "0 — never exercised"
    warning = doc.xpath('string(//p[@class="warn"][strong="Never exercised:"])')
    assert "µ units, notes past 65535 characters, personnummer" in warning


def test_without_a_summary_the_report_says_what_it_does_not_know() -> None:
    doc = parse(render_report([fri_gas_case()]))
    assert "Words were lost: 1 failing case" in doc.xpath('string(//header[@id="verdict"])')
    assert "No run summary was given" in doc.text_content()
    assert not doc.xpath('//table[@class="matrix"] | //table[@class="evidence"]')
    empty = parse(render_report([]))
    assert "No failing cases" in empty.xpath('string(//header[@id="verdict"])')


def test_cases_from_earlier_runs_are_labelled(tmp_path: Path) -> None:
    this_run, earlier = fri_gas_case(), added_inte_case()
    this_run.path, earlier.path = this_run.save(tmp_path), earlier.save(tmp_path)
    doc = parse(render_report([this_run, earlier], summary_for([this_run])))
    assert "earlier run" not in doc.xpath('string(//section[@id="case-1"])')
    assert "saved by an earlier run" in doc.xpath('string(//section[@id="case-2"])')
    assert "1 saved case below came from earlier runs" in doc.xpath('string(//header[@id="verdict"])')


# ---------------------------------------------------------------------------------------------------------
# Loading and writing
def test_load_cases_collects_what_it_cannot_read_and_never_crashes(tmp_path: Path) -> None:
    good = fri_gas_case()
    good.save(tmp_path)
    (tmp_path / "notes.json").write_text('{"hello": "world"}', encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"format": ', encoding="utf-8")
    (tmp_path / "binary.json").write_bytes(b"\x00\x01\x02")
    (tmp_path / "summary.json").write_text(json.dumps(summary_for([])), encoding="utf-8")
    (tmp_path / "ignored.txt").write_text("not json", encoding="utf-8")
    cases = load_cases(tmp_path)
    assert [c.kinds for c in cases] == [["negation-dropped"]]
    assert cases.summary is not None and cases.summary["seed"] == 543713049
    assert len(cases.errors) == 3
    assert any("notes.json is not a journal_fuzz case" in e for e in cases.errors)
    assert any("broken.json is not JSON" in e for e in cases.errors)
    assert any("binary.json" in e and "binary" in e for e in cases.errors)
    page = render_report(cases)
    doc = parse(page)
    assert len(doc.xpath('//ul[@class="errors"]/li')) == 3
    assert "3 files could not be read" in doc.xpath('string(//header[@id="verdict"])')
    assert doc.xpath('//table[@class="matrix"]')  # the summary found among the files is used
    missing = load_cases(tmp_path / "nowhere")
    assert list(missing) == [] and missing.errors == [f"cases directory not found: {tmp_path / 'nowhere'}"]


def test_malformed_case_content_is_reported_in_its_section_not_raised() -> None:
    odd = Case(carries="text", sent={"text": 42}, received={"text": None}, verdict={"findings": "nonsense"})
    odder = Case(carries="fhir", sent={"resource": "not a dict"}, received=None,  # type: ignore[arg-type]
                 verdict={"findings": [{"kind": "field-dropped", "severity": "critical", "path": 5}, 3]})
    doc = parse(render_report([odd, odder, fri_gas_case()], {"items": "garbage", "statuses": None}))
    assert len(doc.xpath("//section[starts-with(@id, 'case-')]")) == 3
    assert "Saved case with no findings" in doc.xpath('string(//section[@id="case-1"]/h2)')
    assert "This case could not be shown" in doc.xpath('string(//section[@id="case-2"])')
    assert doc.xpath('//section[@id="case-3"]//del[@class="lost"]')


def test_write_report_returns_the_path_of_an_utf8_file(tmp_path: Path) -> None:
    path = write_report(tmp_path / "report.html", [fri_gas_case()], summary_for([]), title="Röntgen: fynd")
    assert path == tmp_path / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<title>Röntgen: fynd</title>" in text


# ---------------------------------------------------------------------------------------------------------
# In a real browser: headless Chromium
def require_chromium() -> str:
    found = browser.find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Chromium was not found: the CI image must install it "
                        "(apt-get install -y chromium) or set JOURNAL_FUZZ_CHROMIUM")
        pytest.skip("Chromium not found (apt-get install -y chromium, or set JOURNAL_FUZZ_CHROMIUM); "
                    "with CI set this is a failure")
    return found


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("report")
    cases = [fri_gas_case(), added_inte_case(),
             text_case(f"Patienten har {HOSTILE} ingen feber.", f"Patienten har {HOSTILE} feber.", prop="hostile")]
    for case in cases:
        case.path = case.save(directory / "cases")
    write_report(directory / "report.html", cases, summary_for(cases))
    yield directory


def _csp_violations(console: list[str]) -> list[str]:
    return [line for line in console if "Content Security Policy" in line]


def test_browser_dom_holds_the_failing_case_and_the_struck_ej(report_dir: Path) -> None:
    require_chromium()
    seen = browser.visit(report_dir / "report.html")
    dom = seen.dom
    assert seen.url.startswith("file://")
    assert re.search(r'<section class="case worst-critical" id="case-1" data-kinds="negation-dropped"', dom)
    assert re.search(r'<del class="lost" data-kind="negation-dropped"[^>]*>ej</del>', dom)
    assert re.search(r'<ins class="added" data-kind="negation-added"[^>]*>inte</ins>', dom)
    assert "A negation was dropped: 'fri gas' now reads as present" in dom
    # The hostile note is text in the browser's DOM too: no script element was ever created.
    doc = parse(dom)
    assert not doc.xpath("//script | //img")
    assert "<script>alert(1)</script>" in doc.xpath('string(//section[@id="case-3"]//figure[@class="sent"])')
    assert not _csp_violations(seen.console), seen.console
    assert seen.page_requests() == []


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16)


def _near(p: tuple[int, int, int], q: tuple[int, int, int], tol: int) -> bool:
    return abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol and abs(p[2] - q[2]) <= tol


def _marked_boxes(png: browser.Png, background: str) -> list[tuple[int, int, int, int]]:
    """Boxes (top, bottom, left, right) of ``background`` that sit inside a note text box: a horizontal run that
    starts with the mark's background and has the note box's background just left and right of it."""
    note, mark = _rgb(NOTE_BACKGROUND), _rgb(background)
    runs: dict[tuple[int, int], list[int]] = {}
    # With --force-color-profile=srgb flat fills come out exact: look closely only at rows holding both colours.
    both = [y for y, row in enumerate(png.rows) if bytes(mark) in row and bytes(note) in row]
    for y in both or range(png.height):
        x = 1
        while x < png.width:
            if _near(png.pixel(x, y), mark, 3) and _near(png.pixel(x - 1, y), note, 3):
                left = x
                while x < png.width and not _near(png.pixel(x, y), note, 3):
                    x += 1
                if x < png.width and x - left < 400:
                    runs.setdefault((left, x), []).append(y)
            x += 1
    return [(min(ys), max(ys), left, right) for (left, right), ys in runs.items() if len(ys) >= 4]


def _has_line(png: browser.Png, box: tuple[int, int, int, int], color: str) -> bool:
    """A row inside the box (or just below it, for an underline) drawn almost all the way across in ``color``."""
    top, bottom, left, right = box
    target = _rgb(color)
    for y in range(top, min(bottom + 4, png.height)):
        hits = sum(_near(png.pixel(x, y), target, 40) for x in range(left, right))
        if hits >= 0.9 * (right - left):
            return True
    return False


def test_browser_renders_lost_words_struck_through_in_red_and_added_words_in_green(tmp_path: Path) -> None:
    require_chromium()
    # One case per page keeps the screenshot small; the page is the real report, summary tables and all.
    single = tmp_path / "single.html"
    cases = [fri_gas_case(), added_inte_case()]
    write_report(single, cases)
    png = browser.read_png(browser.screenshot(single, tmp_path / "shot.png", window=(1000, 2600)))
    lost_boxes = _marked_boxes(png, LOST_BACKGROUND)
    assert lost_boxes, "no struck-through word inside a note text box in the screenshot"
    assert any(_has_line(png, box, LOST_COLOR) for box in lost_boxes), "the lost word has no red strike-through"
    added_boxes = _marked_boxes(png, ADDED_BACKGROUND)
    assert added_boxes, "no added word inside a note text box in the screenshot"
    assert any(_has_line(png, box, ADDED_COLOR) for box in added_boxes), "the added word has no green underline"
    # The marks are small: a word, not a whole column.
    assert all(right - left < 120 for _t, _b, left, right in lost_boxes + added_boxes)


def test_browser_opening_the_report_makes_no_network_request(report_dir: Path) -> None:
    require_chromium()
    # The report is served from loopback by a server that logs every request; every other request the browser
    # makes goes to a dead-end proxy; the NetLog names the initiator of each. Only the report may be fetched.
    with browser.serve_directory(report_dir) as (base, served):
        seen = browser.visit(f"{base}/report.html")
    assert served == ["GET /report.html HTTP/1.1"], served
    assert seen.page_requests() == [], seen.page_requests()
    assert [r.url for r in seen.requests if r.url.startswith(base)] == [f"{base}/report.html"]
    assert not _csp_violations(seen.console), seen.console
    assert re.search(r'<del class="lost" data-kind="negation-dropped"[^>]*>ej</del>', seen.dom)
    # Whatever reached the proxy is the browser's own background traffic (component updates, sign-in), never
    # the page's: every host there is one the NetLog shows the browser itself asking for.
    assert seen.unexplained_proxy_hosts() == set(), (seen.proxied, seen.requests)


def test_browser_network_checks_do_see_a_page_that_fetches(tmp_path: Path) -> None:
    # The control: the same instruments catch a page that loads an image, a stylesheet and a relative file; the
    # report's own CSP, put on such a page, blocks the fetches and says so in the console; and a preconnect, which
    # CSP lets through, is caught by the proxy.
    require_chromium()
    (tmp_path / "open.html").write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="https://fonts.canary.example/a.css"></head>'
        '<body><img src="http://img.canary.example/x.png"><img src="/relative.png"></body></html>',
        encoding="utf-8")
    (tmp_path / "guarded.html").write_text(
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<link rel="preconnect" href="https://preconnect.canary.example">'
        '<style>@import url("http://css.canary.example/b.css");</style></head>'
        '<body><img src="http://img.canary.example/y.png"></body></html>', encoding="utf-8")
    with browser.serve_directory(tmp_path) as (base, served):
        opened = browser.visit(f"{base}/open.html")
        guarded = browser.visit(f"{base}/guarded.html")
    page_urls = {r.url for r in opened.page_requests()}
    assert {"https://fonts.canary.example/a.css", "http://img.canary.example/x.png",
            f"{base}/relative.png"} <= page_urls, opened.requests
    assert "GET /relative.png HTTP/1.1" in served
    assert guarded.page_requests() == []
    assert len(_csp_violations(guarded.console)) >= 2, guarded.console
    # CSP does not govern preconnect: the page opened a connection with no request in the NetLog. The proxy
    # caught it, and it is exactly what the report test's "unexplained proxy hosts" check fails on.
    assert guarded.unexplained_proxy_hosts() == {"preconnect.canary.example"}, guarded.proxied
    assert {"fonts.canary.example", "img.canary.example"} <= opened.unexplained_proxy_hosts()
