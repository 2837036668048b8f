"""Never a false green: a run that proved nothing, a failing target, a wrong setting or patient data in output.

Every test goes through the real entry point (the ``journal-fuzz`` program in a subprocess, or pytest in a
subprocess with the plugin) against real failing systems: a command that does not exist, one that crashes, one that
hangs, a Python function that never returns or returns nothing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from journal_fuzz.cases import load_case
from loopback import free_port, listening

TESTS = Path(__file__).resolve().parent
PEERS = TESTS / "peers.py"

SYSTEMS = '''
import re
import time

def hangs(text):
    time.sleep(3600)
    return text

def returns_nothing(text):
    return None

def drops_negations(text):
    return re.sub(r"(?i)\\s*\\b(ej|inte|ingen|inga|inget|no|not)\\b", "", text)

def faithful(text):
    return text
'''


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
        ) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "journal-fuzz"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout,
                          check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project directory: their systems module in it, nothing on PYTHONPATH."""
    (tmp_path / "systems.py").write_text(SYSTEMS, encoding="utf-8")
    (tmp_path / "sent.txt").write_text("Fraktur påvisas ej.\nWaran 2,5 mg 1x1.\nIngen luxation.\n", encoding="utf-8")
    (tmp_path / "received.txt").write_text("Fraktur påvisas.\nWaran 25 mg 1x1.\nIngen luxation.\n",
                                           encoding="utf-8")
    return tmp_path


def _case(project: Path) -> Path:
    made = cli("incident", "new", "--sent", "sent.txt", "--received", "received.txt", "-o", "cases", cwd=project)
    assert made.returncode == 1, made.stderr
    (case,) = (project / "cases").glob("*.json")
    return case


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


@pytest.mark.parametrize("target", [
    "cmd:no-such-program-anywhere",
    f"cmd:{sys.executable} -c 'import sys; sys.exit(7)'",
    f"cmd:{sys.executable} -c 'import time; time.sleep(60)'",
    "python:systems:returns_nothing",
    "python:systems:hangs",
], ids=["missing-command", "crashing-command", "hanging-command", "returns-none", "hanging-function"])
def test_explore_that_could_check_nothing_exits_2(project: Path, target: str) -> None:
    case = _case(project)
    result = cli("explore", str(case), "--target", target, "--timeout", "1", "--examples", "4", cwd=project,
                 env=_env(), timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "could not be checked" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_explore_that_checked_everything_and_found_nothing_exits_0(project: Path) -> None:
    result = cli("explore", str(_case(project)), "--target", "python:systems:faithful", cwd=project, env=_env())
    assert result.returncode == 0 and "could not be checked" not in result.stdout, result.stdout + result.stderr


def test_a_hanging_python_target_is_a_timeout_not_a_hung_run(project: Path) -> None:
    result = cli("replay", str(_case(project)), "--target", "python:systems:hangs", "--timeout", "1", cwd=project,
                 env=_env(), timeout=60)
    assert result.returncode == 2 and "system error (timeout), not word loss" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The ``pytest`` program, as the README runs it (not ``python -m pytest``, which puts the cwd on sys.path)."""
    exe = Path(sys.executable).parent / "pytest"
    return subprocess.run([str(exe), "-p", "no:cacheprovider", *args], capture_output=True, text=True, cwd=cwd,
                          env=_env(), timeout=240, check=False)


def test_the_battery_times_out_a_hanging_python_target(project: Path) -> None:
    result = _pytest("--journal-fuzz=python:systems:hangs", "--journal-fuzz-timeout=1",
                     "--journal-fuzz-properties=negations", "--journal-fuzz-lang=sv", "--journal-fuzz-examples=2",
                     cwd=project)
    out = result.stdout + result.stderr
    assert result.returncode == 1 and "system error (timeout)" in out, out[-3000:]


def test_a_module_in_the_current_directory_is_found_without_pythonpath(project: Path) -> None:
    replayed = cli("replay", str(_case(project)), "--target", "python:systems:drops_negations", cwd=project,
                   env=_env())
    assert replayed.returncode == 1 and "STILL LOSING WORDS" in replayed.stdout, replayed.stderr
    missing = cli("replay", str(_case(project)), "--target", "python:nosuchmodule:f", cwd=project, env=_env())
    assert missing.returncode == 2 and "looked in" in missing.stderr and str(project) in missing.stderr


def test_the_plugin_finds_a_module_in_the_project_without_pythonpath(project: Path) -> None:
    result = _pytest("--journal-fuzz=python:systems:faithful", "--journal-fuzz-properties=negations",
                     "--journal-fuzz-lang=sv", "--journal-fuzz-examples=2", cwd=project)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def test_selftest_behind_a_lossy_target_blames_the_target_not_the_oracle(project: Path) -> None:
    result = cli("selftest", "--only", "none", "--examples", "3", "--lang", "sv", "--target",
                 "python:systems:drops_negations", cwd=project, env=_env())
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FALSE ALARM" not in result.stdout
    assert "TARGET LOSES WORDS" in result.stdout and "itself loses words" in result.stdout


def test_redact_says_which_findings_reproduce(project: Path) -> None:
    # Two losses in the case (a negation and a dose); the target reproduces only the negation.
    case = _case(project)
    result = cli("redact", str(case), "--target", "python:systems:drops_negations", cwd=project, env=_env())
    assert result.returncode == 1, result.stdout + result.stderr
    assert "still reproduces" not in result.stdout
    assert "reproduces only 1 of 2 findings" in result.stdout
    assert "does NOT reproduce: number-changed" in result.stdout and "reproduces:        negation-dropped" in \
        result.stdout


def test_output_cut_short_by_its_reader_keeps_the_exit_code(tmp_path: Path) -> None:
    sent = "Ingen fraktur.\n" * 4000
    (tmp_path / "a.txt").write_text(sent, encoding="utf-8")
    (tmp_path / "b.txt").write_text(sent.replace("Ingen ", ""), encoding="utf-8")
    exe = Path(sys.executable).parent / "journal-fuzz"
    proc = subprocess.Popen([str(exe), "diff", "a.txt", "b.txt"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    code = proc.wait(timeout=120)
    err = proc.stderr.read().decode()
    assert first.startswith(b"CHANGED") and code == 1 and err == "", (code, err)


def test_incident_with_redact_prints_no_original_identifier(tmp_path: Path) -> None:
    note = ("Pat: Kerstin Lindqvist, 19121212-1212, tel 070-123 45 67.\nDottern Maria informerad.\n"
            "Utlåtande: Ingen feber. Fri gas ses ej.\n")
    (tmp_path / "sent.txt").write_text(note, encoding="utf-8")
    (tmp_path / "received.txt").write_text(note.replace("Ingen feber", "Feber"), encoding="utf-8")
    made = cli("incident", "new", "--sent", "sent.txt", "--received", "received.txt", "--redact", "-o", "cases",
               cwd=tmp_path)
    assert made.returncode == 1 and "negation-dropped" in made.stdout, made.stderr
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "cases").glob("*"))
    for original in ("Lindqvist", "19121212-1212", "070-123 45 67", "Maria"):
        assert original not in made.stdout and original not in made.stderr and original not in written, original


@pytest.mark.parametrize("command", [["diff", "empty.txt", "b.txt"],
                                     ["incident", "new", "--sent", "empty.txt", "--received", "b.txt"]])
def test_an_empty_sent_file_is_an_error(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Alvedon 500 mg 1x3.\n", encoding="utf-8")
    result = cli(*command, cwd=tmp_path)
    assert result.returncode == 2 and "is empty" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["selftest", "--examples", "0"], ["selftest", "--concurrency", "0"],
                                  ["explore", "x.json", "--target", "cmd:cat", "--timeout", "-1"]])
def test_impossible_settings_are_refused_in_one_line(tmp_path: Path, args: list[str]) -> None:
    result = cli(*args, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# -- the plugin: a run that proved nothing never looks green ---------------------------------------------------
SPLITS_EMOJI = '''
import re

def _halves(match):
    c = ord(match.group()) - 0x10000
    return chr(0xD800 + (c >> 10)) + chr(0xDC00 + (c & 0x3FF))

def rtf_export(text):
    # An RTF round trip that writes a character beyond U+FFFF as two \\\\u escapes and reads them back as two lone
    # surrogates (as striprtf does), here the signature emoji it appends to every note; and a stop-word filter
    # that drops negations on the way, so there is a word loss to save.
    text = re.sub(r"(?i)\\s*\\b(ej|inte|ingen|inga|inget)\\b", "", text)
    return re.sub("[\\U00010000-\\U0010FFFF]", _halves, text + " \\U0001F642")
'''


def _battery(project: Path, target: str, *args: str, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    """The battery as a user runs it, small: Swedish, few examples."""
    exe = Path(sys.executable).parent / "pytest"
    return subprocess.run([str(exe), "-p", "no:cacheprovider", f"--journal-fuzz={target}", "--journal-fuzz-lang=sv",
                           "--journal-fuzz-examples=2", "--journal-fuzz-concurrency=2", *args], capture_output=True,
                          text=True, cwd=project, env=env or _env(), timeout=300, check=False)


def _summary(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / ".journal_fuzz" / "summary.json").read_text(encoding="utf-8"))
    return data


def _verdict(html: Path) -> str:
    found = re.search(r'<p class="verdict">(.*?)</p>', html.read_text(encoding="utf-8"))
    assert found, html
    return found.group(1)


@pytest.fixture
def http_404(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server that answers 404 to everything: a FHIR base URL that is wrong."""
    port = free_port()
    (tmp_path / "www").mkdir()
    with listening([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
                    str(tmp_path / "www")], port):
        yield f"fhir+http://127.0.0.1:{port}/fhir"


@pytest.mark.parametrize("kind", ["fhir-unreachable", "fhir-404", "mllp-unreachable", "dir-missing"])
def test_a_target_that_cannot_be_started_leaves_no_stale_green(project: Path, kind: str,
                                                                request: pytest.FixtureRequest) -> None:
    green = _battery(project, "python:systems:faithful", "--journal-fuzz-properties=negations",
                     "--journal-fuzz-report=report.html")
    assert green.returncode == 0, green.stdout[-2000:]
    first = _summary(project)
    assert first["run"]["status"] == "completed" and "Every clinical word was kept" in _verdict(project / "report.html")

    target = {"fhir-unreachable": lambda: f"fhir+http://127.0.0.1:{free_port()}/fhir",
              "fhir-404": lambda: request.getfixturevalue("http_404"),
              "mllp-unreachable": lambda: f"hl7+mllp://127.0.0.1:{free_port()}?listen=127.0.0.1:{free_port()}",
              "dir-missing": lambda: f"dir:{project / 'no-inbox'},{project / 'no-outbox'}"}[kind]()
    failed = _battery(project, target, "--journal-fuzz-timeout=5", "--journal-fuzz-report=report.html")
    out = failed.stdout
    assert failed.returncode == 1 and "Traceback" not in out + failed.stderr, out[-3000:]
    # The run says what happened, in the terminal, in summary.json and in the HTML report.
    assert "= journal_fuzz =" in out and "NOT STARTED: the target" in out, out[-3000:]
    now = _summary(project)
    assert now["run"]["id"] != first["run"]["id"] and now["run"]["status"] == "not-started"
    assert now["run"]["error"] and now["items"] and {i["status"] for i in now["items"]} == {"not-run"}
    assert now["payloads_sent"] == 0 and now["statuses"] == {"not-run": len(now["items"])}
    for html in (project / "report.html",):
        verdict = _verdict(html)
        assert verdict.startswith("Not proven: the target could not be started"), verdict
        assert now["run"]["id"] in html.read_text(encoding="utf-8")
    # `journal-fuzz report` renders this run, not the green one before it.
    rendered = cli("report", ".journal_fuzz/cases", "-o", "again.html", cwd=project, env=_env())
    assert rendered.returncode == 0, rendered.stderr
    assert _verdict(project / "again.html").startswith("Not proven: the target could not be started")
    assert "Every clinical word was kept" not in (project / "again.html").read_text(encoding="utf-8")


def test_an_interrupted_run_says_so_and_lists_what_did_not_run(project: Path) -> None:
    result = _battery(project, "python:systems:drops_negations", "-x", "--journal-fuzz-properties=negations,hedges",
                      "--journal-fuzz-report=report.html")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "INTERRUPTED: the run ended before every property ran: 1 of 2 properties not run" in result.stdout
    data = _summary(project)
    assert data["run"]["status"] == "interrupted" and data["run"]["not_run"] == 1
    assert sorted(i["status"] for i in data["items"]) == ["lost", "not-run"]
    page = (project / "report.html").read_text(encoding="utf-8")
    assert "interrupted before every property ran" in page and "1 property did not run." in page


def test_a_run_killed_before_its_end_is_not_shown_as_the_last_green_one(project: Path) -> None:
    green = _battery(project, "python:systems:faithful", "--journal-fuzz-properties=negations")
    assert green.returncode == 0, green.stdout[-2000:]
    exe = Path(sys.executable).parent / "pytest"
    hung = subprocess.Popen([str(exe), "-p", "no:cacheprovider", "--journal-fuzz=python:systems:hangs",
                             "--journal-fuzz-timeout=600", "--journal-fuzz-lang=sv",
                             "--journal-fuzz-properties=negations"], cwd=project, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(600):
            if _summary(project).get("run", {}).get("status") == "running":
                break
            time.sleep(0.1)
        else:
            pytest.fail("the hanging run never wrote its own summary")
    finally:
        os.killpg(hung.pid, signal.SIGKILL)
        hung.wait(timeout=30)
    rendered = cli("report", ".journal_fuzz/cases", "-o", "report.html", cwd=project, env=_env())
    assert rendered.returncode == 0, rendered.stderr
    assert _verdict(project / "report.html") == "Not proven: this run did not finish"


def test_a_run_stopped_with_ctrl_c_says_it_was_interrupted(project: Path) -> None:
    exe = Path(sys.executable).parent / "pytest"
    stopped = subprocess.Popen([str(exe), "-p", "no:cacheprovider", "--journal-fuzz=python:systems:hangs",
                                "--journal-fuzz-timeout=3", "--journal-fuzz-lang=sv",
                                "--journal-fuzz-properties=negations,hedges"], cwd=project, env=_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               # A run started in the background inherits SIGINT ignored; Ctrl-C is the test.
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for _ in range(600):
        state = project / ".journal_fuzz" / "summary.json"
        if state.is_file() and _summary(project)["run"]["status"] == "running":
            break
        time.sleep(0.1)
    time.sleep(1.5)  # inside the first item, waiting on the function that hangs
    stopped.send_signal(signal.SIGINT)
    out, _ = stopped.communicate(timeout=60)
    assert stopped.returncode == 2 and "KeyboardInterrupt" in out, out[-3000:]
    assert "INTERRUPTED: the run ended before every property ran" in out
    data = _summary(project)
    assert data["run"]["status"] == "interrupted" and data["run"]["not_run"] >= 1


def _exported(project: Path) -> Path:
    test = project / "test_incident.py"
    made = cli("export-test", str(_case(project)), cwd=project, env=_env())
    assert made.returncode == 0, made.stderr
    test.write_text(made.stdout, encoding="utf-8")
    return test


def test_an_exported_test_without_a_target_fails_in_one_line(project: Path) -> None:
    _exported(project)
    result = _pytest("test_incident.py", cwd=project)
    assert result.returncode == 1, result.stdout[-3000:]
    # One line in the error section, no traceback around it (the short summary at the end repeats it under CI,
    # where pytest does not cut summary lines to the terminal's width).
    lines = [line for line in result.stdout.splitlines()
             if "no target for the journal_fuzz_adapter" in line and not line.startswith("ERROR ")]
    assert len(lines) == 1, result.stdout
    assert "--journal-fuzz=SPEC" in lines[0] and "target in [tool.journal_fuzz]" in lines[0]
    assert "Traceback" not in result.stdout and "1 error" in result.stdout
    # With a target it runs (and catches the loss); skipping is the user's explicit choice.
    caught = _pytest("test_incident.py", "--journal-fuzz=python:systems:drops_negations", cwd=project)
    assert caught.returncode == 1 and "negation-dropped" in caught.stdout and "1 failed" in caught.stdout
    flagged = _pytest("test_incident.py", "--journal-fuzz-skip-without-target", cwd=project)
    assert flagged.returncode == 0 and "1 skipped" in flagged.stdout, flagged.stdout[-2000:]
    (project / "pyproject.toml").write_text("[tool.journal_fuzz]\nskip_without_target = true\n", encoding="utf-8")
    configured = _pytest("test_incident.py", "-rs", cwd=project)
    assert configured.returncode == 0 and "1 skipped" in configured.stdout
    assert "skip_without_target is set" in configured.stdout


def test_lone_surrogates_from_the_system_are_reported_saved_and_replayable(project: Path) -> None:
    (project / "rtf.py").write_text(SPLITS_EMOJI, encoding="utf-8")
    result = _battery(project, "python:rtf:rtf_export", "--journal-fuzz-properties=negations")
    out = result.stdout
    assert result.returncode == 1 and "1 failed" in out and "Traceback" not in out, out[-3000:]
    # The finding reads as text (only what UTF-8 cannot carry is escaped), not as one line of escapes.
    assert "\\ud83d\\ude42" in out and "minimal note (sv)" in out and "\\n" not in out.split("minimal note")[0]
    # One case per distinct loss (each negation word the filter drops is its own); every one keeps the halves.
    cases = sorted((project / ".journal_fuzz" / "cases").glob("*.json"))
    assert cases
    for case in cases:
        saved = json.loads(case.read_text(encoding="ascii"))
        assert saved["unencodable"]["code_points"] == ["U+D83D", "U+DE42"]
        assert "UTF-8 cannot carry" in saved["unencodable"]["note"]
        # A JSON reader joins the two halves back into the emoji; the case restores what really came back.
        assert saved["received"]["text"].endswith(" \U0001F642")
        assert load_case(case).received["text"].endswith(" \ud83d\ude42")
    case = cases[0]
    again = cli("replay", str(case), "--target", "python:rtf:rtf_export", cwd=project, env=_env())
    assert again.returncode == 1 and "STILL LOSING WORDS" in again.stdout, again.stdout + again.stderr
    assert "\\ud83d\\ude42" in again.stdout
    fixed = cli("replay", str(case), "--target", "python:systems:faithful", cwd=project, env=_env())
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


BAD_SETTINGS: dict[str, tuple[list[str], str, dict[str, str], tuple[str, ...]]] = {
    # name: (command-line arguments, pyproject [tool.journal_fuzz] body, environment, what the one line says)
    "lexicon-missing": (["--journal-fuzz-lexicon=missing.toml"], "", {},
                        ("--journal-fuzz-lexicon=missing.toml", "not found")),
    "lexicon-latin1-pyproject": ([], 'lexicon = ["latin1.toml"]\n', {},
                                 ('[tool.journal_fuzz] lexicon = ["latin1.toml"]', "not UTF-8")),
    "lexicon-binary-env": ([], "", {"JOURNAL_FUZZ_LEXICON": "binary.toml"},
                           ("JOURNAL_FUZZ_LEXICON=binary.toml", "not UTF-8")),
    "lexicon-broken-toml": (["--journal-fuzz-lexicon=broken.toml"], "", {},
                            ("--journal-fuzz-lexicon=broken.toml", "not valid TOML")),
    "db-unreachable": (["--journal-fuzz-db=redis://127.0.0.1:{port}/0"], "", {},
                       ("--journal-fuzz-db=redis://127.0.0.1:", "cannot be reached")),
    "cases-unwritable": (["--journal-fuzz-cases=blocker/cases"], "", {},
                         ("--journal-fuzz-cases=blocker/cases", "cannot write")),
    "examples-many-pyproject": ([], 'examples = "many"\n', {},
                                ('[tool.journal_fuzz] examples = "many"', "whole number")),
    "examples-0": (["--journal-fuzz-examples=0"], "", {}, ("--journal-fuzz-examples=0", "at least 1")),
    "concurrency-0": (["--journal-fuzz-concurrency=0"], "", {}, ("--journal-fuzz-concurrency=0", "at least 1")),
    "timeout-negative": (["--journal-fuzz-timeout=-1"], "", {}, ("--journal-fuzz-timeout=-1", "more than 0")),
    "timeout-negative-pyproject": ([], "timeout = -5\n", {}, ("[tool.journal_fuzz] timeout = -5", "more than 0")),
    "target-empty": (["--journal-fuzz="], "", {}, ("--journal-fuzz= is empty",)),
}


@pytest.mark.parametrize("name", list(BAD_SETTINGS))
def test_a_bad_setting_is_one_line_before_any_item_runs(project: Path, name: str) -> None:
    args, table, env, said = BAD_SETTINGS[name]
    (project / "latin1.toml").write_bytes("[negation]\npre = [\"ingen f\u00f6r\u00e4ndring\"]\n".encode("latin-1"))
    (project / "binary.toml").write_bytes(bytes(range(256)))
    (project / "broken.toml").write_text("[negation\npre = [", encoding="utf-8")
    (project / "blocker").write_text("a file where the cases directory would go\n", encoding="utf-8")
    if table:
        (project / "pyproject.toml").write_text("[tool.journal_fuzz]\n" + table, encoding="utf-8")
    args = [a.replace("{port}", str(free_port())) for a in args]
    if not any(a.startswith("--journal-fuzz=") for a in args):
        args.append("--journal-fuzz=python:systems:faithful")
    exe = Path(sys.executable).parent / "pytest"
    result = subprocess.run([str(exe), "-p", "no:cacheprovider", "--journal-fuzz-lang=sv",
                             "--journal-fuzz-properties=negations", *args], capture_output=True, text=True,
                            cwd=project, env={**_env(), **env}, timeout=120, check=False)
    assert result.returncode == 4, (result.returncode, result.stdout[-2000:], result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: journal_fuzz: "), result.stderr
    assert all(part in errors[0] for part in said), errors[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "collected" not in result.stdout and "journal_fuzz[" not in result.stdout, result.stdout


def _errors_section(out: str) -> list[str]:
    section = out.split("= ERRORS =", 1)[1]
    section = re.split(r"\n=+ (?:journal_fuzz|short test summary info) =+\n", section)[0]
    return section.strip("=\n ").splitlines()


def test_a_target_that_cannot_be_reached_says_its_cause_once(project: Path) -> None:
    result = _battery(project, f"fhir+http://127.0.0.1:{free_port()}/fhir", "--journal-fuzz-timeout=5")
    assert result.returncode == 1, result.stdout[-3000:]
    section = _errors_section(result.stdout)
    items = [line for line in section if line.startswith("_") and "ERROR at setup of journal_fuzz[" in line]
    assert len(items) == 5 and len(section) == 2 * len(items), section  # each item: its heading, one line
    assert sum("cannot be reached" in line for line in section) == 1, section
    assert sum(line.startswith("not run: the target could not be started") for line in section) == 4, section


def test_the_same_system_error_in_every_item_is_said_once(project: Path) -> None:
    result = _battery(project, "cmd:/nonexistent/converter", "--journal-fuzz-properties=notes,negations,hedges")
    assert result.returncode == 1, result.stdout[-3000:]
    section = _errors_section(result.stdout)
    assert sum("command not found: /nonexistent/converter" in line for line in section) == 1, section
    assert sum("not word loss: the same as journal_fuzz[" in line for line in section) == 2, section


def test_junit_xml_holds_what_a_reader_uses_and_xdist_still_gathers_the_evidence(project: Path) -> None:
    result = _battery(project, "python:systems:drops_negations", "-n", "2", "--junitxml=junit.xml",
                      "--journal-fuzz-properties=negations,labs")
    assert result.returncode == 1 and "2 workers" in result.stdout, result.stdout[-3000:]
    root = ElementTree.parse(project / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == 2
    for testcase in cases:
        props = {p.get("name"): p.get("value") or "" for p in testcase.iter("property")}
        assert props.get("journal_fuzz_status") in ("passed", "lost"), props
        assert not any(v.lstrip().startswith(("{", "[")) for v in props.values()), props  # no internal JSON
        if props["journal_fuzz_status"] == "lost":
            assert props["finding_kinds"] and Path(props["case"]).is_file()
    # The controller gathered every worker's record from the reports themselves.
    data = _summary(project)
    assert sorted(i["item"] for i in data["items"]) == ["labs-sv", "negations-sv"]
    assert data["exercised"]["notes"] > 0 and data["payloads_sent"] == sum(i["sent"] for i in data["items"])
    assert data["statuses"].get("lost", 0) >= 1 and data["run"]["status"] == "completed"


def test_the_embedded_target_is_described_truly_before_and_after_its_start(project: Path) -> None:
    result = _battery(project, "embedded", "-n", "2", "--journal-fuzz-properties=fhir-notes,fhir-bundles",
                      "--journal-fuzz-examples=1", "--journal-fuzz-concurrency=1")
    out = result.stdout
    assert result.returncode == 0, out[-3000:]
    assert "not started" not in out
    header = next(line for line in out.splitlines() if line.startswith("journal_fuzz: target "))
    assert "embedded FHIR server" in header and "on a free port of 127.0.0.1, started for the run" in header
    final = next(line for line in out.splitlines() if " payloads sent to " in line)
    assert re.search(r"at http://127\.0\.0\.1:\d+/fhir", final), final
    assert all(re.search(r"at http://127\.0\.0\.1:\d+/fhir$", d) for d in _summary(project)["described"])


README = TESTS.parent / "README.md"


def test_the_readme_synopsis_lists_every_option_and_says_what_named_paths_do() -> None:
    import _journal_fuzz_pytestplugin as entry

    text = README.read_text(encoding="utf-8")
    synopsis = text.split("## The pytest plugin", 1)[1].split("```", 2)[1]
    for f in entry.options():
        assert entry._flag(f) in synopsis, entry._flag(f)
    keys = re.search(r"`\[tool\.journal_fuzz\]` in pyproject\.toml \(([^)]*)\)", text)
    assert keys, "the README lists the pyproject keys"
    assert {k.strip(" `\n") for k in keys.group(1).split(",")} == {
        f.name for f in entry.options() if entry._row(f).pyproject}
    # Named test paths run alone (the program's behaviour); no sentence may say they run alongside the battery.
    assert "alongside" not in text and "--journal-fuzz-battery" in text.split("## The pytest plugin", 1)[1]


def test_tests_that_need_redis_server_or_chromium_skip_with_a_reason_without_them(tmp_path: Path) -> None:
    # What the README promises: without redis-server and chromium (and without CI set) those tests skip, saying
    # why; none of them passes without having run.
    env = {**_env(), "PATH": str(Path(sys.executable).parent), "JOURNAL_FUZZ_CHROMIUM": str(tmp_path / "none")}
    env.pop("CI", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-q",
                             str(TESTS / "test_report_html.py"), str(TESTS / "test_plugin.py"), "-k",
                             "browser or redis"], capture_output=True, text=True, cwd=TESTS.parent, env=env,
                            timeout=600, check=False)
    out = result.stdout
    assert result.returncode == 0, out[-3000:]
    counts = dict((kind, int(n)) for n, kind in re.findall(r"(\d+) (passed|skipped|failed|error)", out))
    assert counts.get("skipped", 0) >= 5 and "passed" not in counts, out[-3000:]
    assert "redis-server is not installed" in out and "Chromium not found" in out
