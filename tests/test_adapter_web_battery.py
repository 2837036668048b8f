"""The battery through a real browser: `pytest --journal-fuzz=web:RECIPE.toml` against the test application.

The plain textarea keeps every word typed and pasted (one item per property and input method), signed in with
credentials that appear in no output and no file; CKEditor 5 typed into loses words the battery catches with the
right kind and a screenshot of the editor; a saved case replays through the input method that found it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import webapp_server
from journal_fuzz.adapters.base import AdapterConfig, adapter_for
from journal_fuzz.battery import PROPERTIES, RunConfig, run
from journal_fuzz.cases import Case, load_case
from journal_fuzz.constants import Status
from journal_fuzz.kinds import WORDS_MERGED
from web_helpers import PASSWORD_ENV, USER_ENV, need_browser_and_editors, recipe

SECRET = "hemligt-Lösen-8731"


@pytest.fixture(scope="module")
def webapp() -> Iterator[webapp_server.WebApp]:
    need_browser_and_editors()
    with webapp_server.WebApp(credentials=("doktor", SECRET)) as app:
        yield app


def test_the_textarea_passes_the_battery_typed_and_pasted_and_no_secret_leaks(
        pytester: pytest.Pytester, webapp: webapp_server.WebApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(USER_ENV, "doktor")
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    path = recipe(pytester.path, webapp.url, "textarea", inputs=("type", "paste"), reads=("view",), login=True)
    props = "negations,labs,hostile"  # (structure's notes of up to 3,000 characters, typed, double the time)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--journal-fuzz=web:{path.name}", "--journal-fuzz-profile=ci",
        "--journal-fuzz-examples=4", "--journal-fuzz-concurrency=4", "--journal-fuzz-lang=sv",
        f"--journal-fuzz-properties={props}", "--journal-fuzz-timeout=120", "--junitxml=junit.xml", timeout=900)
    result.assert_outcomes(passed=6)
    out = result.stdout.str() + result.stderr.str()
    for name in props.split(","):
        assert f"{name}.type-sv" in out and f"{name}.paste-sv" in out
    assert "browser Chromium " in out and "input type, paste" in out
    summary = json.loads((pytester.path / ".journal_fuzz" / "summary.json").read_text(encoding="utf-8"))
    assert summary["statuses"] == {"passed": 6}
    assert summary["system"]["browser"].startswith("Chromium ") and summary["system"]["input"] == "type, paste"
    assert "doktor" in webapp.logins  # it did sign in
    # The password: in no output, and in no file the run wrote (summary, JUnit XML, Hypothesis's database).
    assert SECRET not in out
    for file in pytester.path.rglob("*"):
        if file.is_file():
            assert SECRET.encode() not in file.read_bytes(), file


def test_ckeditor_typed_into_loses_words_the_battery_catches(webapp: webapp_server.WebApp, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A tab entered as text (as a text expander does) puts CKEditor's caret out of step: the next space lands at
    # the end of the paragraph and two words run together. The hostile property writes tabs.
    monkeypatch.setenv(USER_ENV, "doktor")
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    path = recipe(tmp_path, webapp.url, "ckeditor", inputs=("type",), login=True)
    hostile = next(p for p in PROPERTIES if p.name == "hostile")
    with adapter_for(f"web:{path}", AdapterConfig(timeout=120)) as adapter:
        # Typing a hostile note of up to 2,800 characters takes CKEditor seconds, and the battery goes on after the
        # first loss: four derandomised examples (up to 16 notes; the first loss is in the fifth) are enough.
        outcome = run(hostile, "sv", adapter, RunConfig(examples=4, derandomize=True, concurrency=4, shrink=False))
    assert outcome.status == Status.LOST and outcome.loss is not None
    assert WORDS_MERGED in outcome.loss.verdict.kinds and "\t" in outcome.loss.exchange.sent
    assert not outcome.loss.nondeterministic  # it comes back every time
    png = outcome.loss.exchange.extra["attachments"]["editor.png"]
    assert png.startswith(b"\x89PNG")
    case = Case.from_exchange(outcome.loss.exchange, prop="hostile", language="sv", target=f"web:{path}")
    saved = load_case(case.save(tmp_path / "cases"))
    assert saved.files and (tmp_path / "cases" / saved.files[0]).read_bytes() == png


def test_a_case_replays_through_the_input_method_that_found_it(webapp: webapp_server.WebApp, tmp_path: Path) -> None:
    import journal_fuzz as jf

    with webapp_server.WebApp() as open_app:  # no login: the replay command takes the recipe as it is
        path = recipe(tmp_path, open_app.url, "ckeditor", inputs=("type", "paste"))
        sent, received = "Temp:\n> 38,5 grader.", "Temp:\n38,5 grader."
        verdict = jf.compare(sent, received, language="sv")
        codes = {}
        for prop in ("labs.type", "labs.paste"):
            case = Case(carries="text", sent={"text": sent, "language": "sv"}, received={"text": received},
                        verdict=verdict.to_dict(), target=f"web:{path}", prop=prop, language="sv")
            file = case.save(tmp_path / prop)
            proc = subprocess.run([sys.executable, "-m", "journal_fuzz.cli", "replay", str(file), "--target",
                                   f"web:{path}", "--timeout", "60"], capture_output=True, text=True, timeout=300,
                                  env={**os.environ})
            codes[prop] = proc.returncode
            assert proc.stderr == "", proc.stderr
    # Typed, CKEditor's autoformat turns '> ' into a blockquote (the sign is lost); pasted, the text is kept.
    assert codes == {"labs.type": 1, "labs.paste": 0}
