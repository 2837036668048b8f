"""The pytest plugin end to end, in real pytest subprocesses: options, header, battery items, failures people can
act on, saved cases and replay, system errors, seeds, pyproject settings, xdist and the Redis example database."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopback import free_port, listening

SYSTEMS = '''
import re, time

def faithful(text):
    return text.replace("\\n", "\\r\\n")

def stop_words(text):
    # A search index's stop-word list applied to the stored text: drops Swedish and English negations.
    return re.sub(r"(?i)\\s*\\b(ej|inte|ingen|inga|inget|no|not)\\b", "", text)

def crash(text):
    raise RuntimeError("converter crashed on input")

def flaky(text):
    # Loses words only on its first call for a given text: a nondeterministic system.
    seen = flaky.__dict__.setdefault("seen", set())
    if text not in seen and re.search(r"(?i)\\bej\\b", text):
        seen.add(text)
        return re.sub(r"(?i)\\s*\\bej\\b", "", text)
    return text
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(systems=SYSTEMS)
    pytester.syspathinsert()
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    env_path = os.pathsep.join([str(pytester.path), os.environ.get("PYTHONPATH", "")])
    os.environ["PYTHONPATH"] = env_path
    profile = () if any(a.startswith("--journal-fuzz-profile") for a in args) else ("--journal-fuzz-profile=quick",)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--journal-fuzz-examples=4",
                                         "--journal-fuzz-concurrency=2", *profile, *args, timeout=300)


def test_options_have_their_own_group_in_help(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*journal_fuzz: prove the system under test keeps every clinical word*",
                                 "*--journal-fuzz=SPEC*", "*--journal-fuzz-concurrency=K*"])


def test_faithful_system_passes_every_property(project: pytest.Pytester) -> None:
    result = run(project, "--journal-fuzz=python:systems:faithful", "--journal-fuzz-seed=7")
    result.stdout.fnmatch_lines(["journal_fuzz: target Python function systems:faithful; seed 7*profile quick*",
                                 "collected 20 items"])
    result.assert_outcomes(passed=20)
    assert "journal_fuzz[negations-sv] " in result.stdout.str() or "negations-sv" in result.stdout.str()


def test_lossy_system_fails_with_the_clinical_finding_and_a_replayable_case(project: pytest.Pytester) -> None:
    # A fixed seed: which cue words a few random notes hold (and so which losses lead) is the same every run.
    result = run(project, "--journal-fuzz=python:systems:stop_words", "--journal-fuzz-lang=sv",
                 "--journal-fuzz-properties=negations,medications", "--journal-fuzz-report=out/report.html",
                 "--junitxml=junit.xml", "--journal-fuzz-seed=7")
    result.assert_outcomes(failed=1, passed=1)
    page = (project.path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'class="lost"' in page and "negation-dropped" in page and "journal-fuzz replay" in page
    junit = (project.path / "junit.xml").read_text(encoding="utf-8")
    assert 'name="finding_kinds" value="negation-dropped' in junit and 'name="case"' in junit
    out = result.stdout.str()
    assert "journal_fuzz[negations-sv]" in out
    first = next(line for line in out.splitlines() if line.startswith("negation-dropped, critical:"))
    assert "came back as" in first and "concept" in first
    assert "finding kinds: negation-dropped" in out
    assert "replay: journal-fuzz replay" in out
    # One case per distinct loss (a stop-word filter loses each negation word it knows: each is its own loss).
    cases = sorted((project.path / ".journal_fuzz" / "cases").glob("*.json"))
    distinct = re.search(r"(\d+) distinct word losses in negations-sv", out)
    assert len(cases) == (int(distinct.group(1)) if distinct else 1)
    assert out.count("replay: journal-fuzz replay") == len(cases)
    for path in cases:
        case = json.loads(path.read_text(encoding="utf-8"))
        # A lost "ej" is one loss whether it negated ("ej påvisad") or hedged ("ej säkerställd") its finding.
        assert case["kinds"][0] in ("negation-dropped", "hedge-changed"), case["kinds"]
        assert case["target"] == "python:systems:stop_words"
        assert case["versions"]["journal_fuzz"] and case["seed"] is not None
        assert case["signature"].startswith("cue-lost:") and case["reduction"]["round_trips"] >= 1
    exe = Path(sys.executable).parent / "journal-fuzz"
    env = dict(os.environ, PYTHONPATH=str(project.path))
    negation = next(p for p in cases if json.loads(p.read_text(encoding="utf-8"))["kinds"][0] == "negation-dropped")
    still = subprocess.run([str(exe), "replay", str(negation), "--target", "python:systems:stop_words"],
                           capture_output=True, text=True, env=env, check=False)
    assert still.returncode == 1 and "STILL LOSING WORDS: negation-dropped" in still.stdout
    fixed = subprocess.run([str(exe), "replay", str(negation), "--target", "python:systems:faithful"],
                           capture_output=True, text=True, env=env, check=False)
    assert fixed.returncode == 0 and "FIXED" in fixed.stdout


def test_crashing_system_is_a_system_error_not_a_pass_or_a_word_loss(project: pytest.Pytester) -> None:
    result = run(project, "--journal-fuzz=python:systems:crash", "--journal-fuzz-lang=sv",
                 "--journal-fuzz-properties=notes")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "system error (crashed), not word loss" in out and "converter crashed on input" in out
    assert not list((project.path / ".journal_fuzz" / "cases").glob("*.json"))


def test_unreachable_command_is_a_system_error(project: pytest.Pytester) -> None:
    result = run(project, "--journal-fuzz=cmd:/nonexistent/converter", "--journal-fuzz-lang=sv",
                 "--journal-fuzz-properties=notes,negations")
    result.assert_outcomes(errors=2)
    assert "command not found" in result.stdout.str()


def test_nondeterministic_loss_is_reported_as_such(project: pytest.Pytester) -> None:
    result = run(project, "--journal-fuzz=python:systems:flaky", "--journal-fuzz-lang=sv",
                 "--journal-fuzz-properties=negations", "--journal-fuzz-examples=30")
    result.assert_outcomes(failed=1)
    assert "nondeterministic word loss" in result.stdout.str()


def test_bad_spec_is_one_clear_usage_error(project: pytest.Pytester) -> None:
    result = run(project, "--journal-fuzz=nosuch://x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no adapter for 'nosuch'" in result.stderr.str()
    result = run(project, "--journal-fuzz=python:no_such_module:f")
    assert result.ret == pytest.ExitCode.USAGE_ERROR and "cannot import" in result.stderr.str()


def test_seed_last_reuses_the_previous_seed(project: pytest.Pytester) -> None:
    first = run(project, "--journal-fuzz=python:systems:faithful", "--journal-fuzz-properties=notes",
                "--journal-fuzz-lang=sv")
    seed = first.stdout.str().split("; seed ")[1].split()[0]
    again = run(project, "--journal-fuzz=python:systems:faithful", "--journal-fuzz-properties=notes",
                "--journal-fuzz-lang=sv", "--journal-fuzz-seed=last")
    assert f"seed {seed}" in again.stdout.str()


def test_pyproject_settings_and_the_command_line_wins(project: pytest.Pytester) -> None:
    project.makepyprojecttoml('[tool.journal_fuzz]\ntarget = "python:systems:stop_words"\nlang = ["sv"]\n'
                              'properties = ["negations"]\nprofile = "ci"\n')
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--journal-fuzz-examples=3")
    result.assert_outcomes(failed=1)
    assert "profile ci" in result.stdout.str()
    overridden = project.runpytest_subprocess("-p", "no:cacheprovider", "--journal-fuzz-examples=3",
                                              "--journal-fuzz=python:systems:faithful")
    overridden.assert_outcomes(passed=1)


def test_named_paths_run_alone_with_the_target_as_a_fixture(project: pytest.Pytester) -> None:
    project.makepyfile(test_mine="def test_mine(journal_fuzz_adapter):\n"
                                 "    assert journal_fuzz_adapter.roundtrip_text('Ingen feber.', uid='u') "
                                 "== 'Ingen feber.'\n")
    battery_only = run(project, "--journal-fuzz=python:systems:faithful", "--journal-fuzz-properties=notes",
                       "--journal-fuzz-lang=sv")
    battery_only.assert_outcomes(passed=1)
    assert "journal_fuzz[notes-sv]" in battery_only.stdout.str() or "notes-sv" in battery_only.stdout.str()
    mine_only = run(project, "--journal-fuzz=python:systems:faithful", "test_mine.py")
    mine_only.assert_outcomes(passed=1)
    both = run(project, "--journal-fuzz=python:systems:faithful", "--journal-fuzz-properties=notes",
               "--journal-fuzz-lang=sv", "--journal-fuzz-battery", "test_mine.py")
    both.assert_outcomes(passed=2)
    without_target = project.runpytest_subprocess("-p", "no:cacheprovider", "test_mine.py")
    without_target.assert_outcomes(errors=1)


def test_xdist_spreads_items_and_shares_the_seed(project: pytest.Pytester) -> None:
    result = run(project, "-n", "2", "--journal-fuzz=python:systems:stop_words", "--journal-fuzz-seed=99",
                 "--journal-fuzz-properties=negations,hedges")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 2 and outcomes.get("failed", 0) + outcomes.get("passed", 0) == 4
    out = result.stdout.str()
    assert "seed 99" in out and "2 workers" in out
    cases = list((project.path / ".journal_fuzz" / "cases").glob("*.json"))
    assert {json.loads(c.read_text(encoding="utf-8"))["seed"] for c in cases} == {99}
    # At least one case per failed item (an item saves one case per distinct loss).
    assert len(cases) >= outcomes["failed"]
    assert {json.loads(c.read_text(encoding="utf-8"))["property"] for c in cases} >= {"negations"}


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: .ci/run must install it")
        pytest.skip("redis-server is not installed here")
    port = free_port()
    with listening([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", str(tmp_path)], port):
        yield f"redis://127.0.0.1:{port}/0"


def test_redis_database_shares_failing_examples(project: pytest.Pytester, redis_url: str) -> None:
    import redis

    result = run(project, "--journal-fuzz=python:systems:stop_words", f"--journal-fuzz-db={redis_url}",
                 "--journal-fuzz-properties=negations", "--journal-fuzz-lang=sv")
    result.assert_outcomes(failed=1)
    keys = redis.Redis.from_url(redis_url).keys("*")
    assert keys, "Hypothesis stored nothing in Redis"
    assert any(b".minimal" in k for k in keys), f"no minimal case kept: {keys}"
    # A second machine with the same database starts from the stored failure: the kept minimal case is sent
    # first, so the loss is met at the first payload.
    shutil.rmtree(project.path / ".journal_fuzz")
    again = run(project, "--journal-fuzz=python:systems:stop_words", f"--journal-fuzz-db={redis_url}",
                "--journal-fuzz-properties=negations", "--journal-fuzz-lang=sv")
    again.assert_outcomes(failed=1)
    item = json.loads((project.path / ".journal_fuzz" / "summary.json").read_text(encoding="utf-8"))["items"][0]
    assert item["replayed"] >= 1 and item["first_loss_at"] == 1, item


def test_pytest_html_attaches_the_side_by_side_view(project: pytest.Pytester) -> None:
    result = run(project, "--journal-fuzz=python:systems:stop_words", "--journal-fuzz-lang=sv",
                 "--journal-fuzz-properties=negations", "--html=ph.html", "--self-contained-html")
    result.assert_outcomes(failed=1)
    page = (project.path / "ph.html").read_text(encoding="utf-8")
    assert "jf-sbs" in page and "lost" in page and "negation-dropped" in page


def test_a_run_without_a_target_imports_nothing_of_journal_fuzz(project: pytest.Pytester) -> None:
    # Every pytest run where journal_fuzz is installed loads its entry point; without a target it must stay cheap.
    # The fixture is requested first (it fails without a target) and still imports nothing.
    project.makepyfile(test_clean='''
import sys

def test_a_uses_the_fixture(journal_fuzz_adapter):
    pass

def test_b_nothing_of_journal_fuzz_was_imported():
    assert "_journal_fuzz_pytestplugin" in sys.modules
    assert not any(m == "journal_fuzz" or m.startswith("journal_fuzz.") for m in sys.modules)
''')
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "test_clean.py")
    result.assert_outcomes(passed=1, errors=1)


def test_the_entry_point_imports_neither_journal_fuzz_nor_hypothesis() -> None:
    code = ("import sys, _journal_fuzz_pytestplugin\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('journal_fuzz', 'hypothesis')]\n"
            "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_every_option_is_one_row_of_the_settings_table() -> None:
    # The option names are a contract (README, DESIGN.md): the flags, the pyproject keys and the Settings fields
    # all come from the one table.
    from dataclasses import fields

    import _journal_fuzz_pytestplugin as entry

    flags = {entry._flag(f) for f in entry.options()}
    keys = {f.name for f in entry.options() if entry._row(f).pyproject}
    assert flags == {"--journal-fuzz", *(f"--journal-fuzz-{n}" for n in (
        "examples", "lang", "seed", "cases", "concurrency", "profile", "properties", "timeout", "db", "auth-env",
        "listen", "fhir-version", "lexicon", "shrink-budget", "report", "skip-without-target", "battery"))}
    assert keys == {"target", "examples", "lang", "seed", "cases", "concurrency", "profile", "properties", "timeout",
                    "db", "auth_env", "listen", "fhir_version", "lexicon", "shrink_budget", "report",
                    "skip_without_target"}
    assert {f.name for f in entry.options()} == {f.name for f in fields(entry.Settings)}


SITE_LEXICON = '''
[meta]
language = "sv"
# At this clinic a leading "∅" means "no": "∅ feber" is "no fever".
[negation]
pre = ["∅"]
'''

BOXED = '''
def boxed(text):
    # A template that prefixes every note with a "∅" glyph: harmless text anywhere but where "∅" means "no".
    return "∅ " + text
'''

ENV_UNTOUCHED = '''
import os

def test_the_plugin_left_the_environment_alone():
    assert "JOURNAL_FUZZ_LEXICON" not in os.environ
'''


def test_pyproject_lexicon_reaches_the_oracle_and_leaves_the_environment_alone(project: pytest.Pytester) -> None:
    project.makepyfile(boxed=BOXED, test_env=ENV_UNTOUCHED)
    (project.path / "site.toml").write_text(SITE_LEXICON, encoding="utf-8")
    settings = ('[tool.journal_fuzz]\ntarget = "python:boxed:boxed"\nlang = ["sv"]\nproperties = ["sides"]\n'
                'examples = 3\nconcurrency = 2\nprofile = "quick"\n')
    args = ("-p", "no:cacheprovider", "--journal-fuzz-battery", "test_env.py")
    project.makepyprojecttoml(settings)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("JOURNAL_FUZZ_LEXICON", raising=False)  # the subprocess inherits this process's environment
        without = project.runpytest_subprocess(*args)
        # Without the site lexicon a prefixed "∅" is only an added symbol: a minor difference, kept.
        without.assert_outcomes(passed=2)
        project.makepyprojecttoml(settings + 'lexicon = ["site.toml"]\n')
        with_lexicon = project.runpytest_subprocess(*args)
    # With it, "∅" negates the finding that follows: the battery's oracle saw the site lexicon.
    with_lexicon.assert_outcomes(passed=1, failed=1)
    out = with_lexicon.stdout.str()
    assert "negation-added" in out and "journal_fuzz[sides-sv]" in out


def test_system_errors_are_errors_in_junit_xml_too(project: pytest.Pytester) -> None:
    # A system that fails during the run, and one that cannot be started at all: pytest errors, in the terminal
    # and in JUnit XML (<error>, not <failure>), never word loss.
    crashed = run(project, "--journal-fuzz=python:systems:crash", "--journal-fuzz-lang=sv",
                  "--journal-fuzz-properties=notes", "--junitxml=crash.xml")
    crashed.assert_outcomes(errors=1)
    unreachable = run(project, f"--journal-fuzz=fhir+http://127.0.0.1:{free_port()}/fhir",
                      "--journal-fuzz-lang=sv", "--journal-fuzz-properties=fhir-notes", "--journal-fuzz-timeout=5",
                      "--junitxml=unreachable.xml")
    unreachable.assert_outcomes(errors=1)
    assert "system error (unreachable)" in unreachable.stdout.str()
    for name, cause in (("crash.xml", "system error (crashed), not word loss"),
                        ("unreachable.xml", "system error (unreachable)")):
        junit = (project.path / name).read_text(encoding="utf-8")
        assert 'errors="1" failures="0"' in junit and "<failure" not in junit
        assert f'<error message="failed on setup with &quot;{cause}' in junit


def test_in_process_runs_share_nothing(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two runs in one process (as pytester and IDEs do): the first one's site lexicon must not reach the second.
    monkeypatch.delenv("JOURNAL_FUZZ_LEXICON", raising=False)
    project.makepyfile(boxed=BOXED)
    (project.path / "site.toml").write_text(SITE_LEXICON, encoding="utf-8")
    args = ("-p", "no:cacheprovider", "--journal-fuzz=python:boxed:boxed", "--journal-fuzz-lang=sv",
            "--journal-fuzz-properties=sides", "--journal-fuzz-examples=2", "--journal-fuzz-concurrency=2",
            "--journal-fuzz-profile=quick")
    first = project.runpytest_inprocess(*args, "--journal-fuzz-lexicon=site.toml")
    first.assert_outcomes(failed=1)
    assert "negation-added" in first.stdout.str()
    assert "JOURNAL_FUZZ_LEXICON" not in os.environ
    second = project.runpytest_inprocess(*args)
    second.assert_outcomes(passed=1)


def test_a_missing_site_lexicon_is_one_clear_usage_error(project: pytest.Pytester) -> None:
    result = run(project, "--journal-fuzz=python:systems:faithful", "--journal-fuzz-lexicon=missing.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "site lexicon not found" in result.stderr.str() and "Traceback" not in result.stderr.str()
