"""Never a false green: a run that proved nothing, a failing target, a wrong setting or patient data in output.

Every test goes through the real entry point (the ``journal-fuzz`` program in a subprocess, or pytest in a
subprocess with the plugin) against real failing systems: a command that does not exist, one that crashes, one that
hangs, a Python function that never returns or returns nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
