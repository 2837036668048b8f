"""The ``journal-fuzz diff`` contract: exit 0 kept, 1 changed, 2 error; errors are one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from journal_fuzz.cli import main


def write(path: Path, data: str | bytes) -> str:
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return str(path)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    return {
        "sent": write(tmp_path / "sent.txt", "Fri gas under diafragman ses ej.\n"),
        "lost": write(tmp_path / "lost.txt", "Fri gas under diafragman ses.\n"),
        "kept": write(tmp_path / "kept.txt", "Fri gas under\r\ndiafragman ses ej."),
        "latin1": write(tmp_path / "latin1.txt", "Förnekar".encode("latin-1")),
        "binary": write(tmp_path / "binary.bin", b"\x89PNG\r\n\x1a\n\x00\x00"),
        "dir": str(tmp_path),
    }


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("journal-fuzz") or str(Path(sys.executable).parent / "journal-fuzz")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, check=False)


def test_changed_exits_1_and_names_the_kind(files: dict[str, str]) -> None:
    r = run_cli("diff", files["sent"], files["lost"])
    assert r.returncode == 1
    assert "negation-dropped" in r.stdout and "[-ej-]" in r.stdout and "fri gas" in r.stdout


def test_kept_exits_0(files: dict[str, str]) -> None:
    r = run_cli("diff", files["sent"], files["kept"], "--lang", "sv")
    assert r.returncode == 0, r.stdout
    assert "kept" in r.stdout


def test_json_format(files: dict[str, str]) -> None:
    r = run_cli("diff", files["sent"], files["lost"], "--format", "json")
    data = json.loads(r.stdout)
    assert r.returncode == 1 and data["ok"] is False
    assert data["findings"][0]["kind"] == "negation-dropped"


def test_strict_reports_whitespace(files: dict[str, str]) -> None:
    assert run_cli("diff", files["sent"], files["kept"], "--strict").returncode == 1


@pytest.mark.parametrize(("which", "message"), [
    ("missing", "not found"), ("latin1", "not UTF-8"), ("binary", "binary"), ("dir", "directory"),
])
def test_bad_input_is_one_line_and_exit_2(files: dict[str, str], which: str, message: str) -> None:
    target = files.get(which, files["dir"] + "/missing.txt")
    r = run_cli("diff", files["sent"], target)
    assert r.returncode == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_unknown_language_and_usage_errors(files: dict[str, str]) -> None:
    r = run_cli("diff", files["sent"], files["lost"], "--lang", "fi")
    assert r.returncode == 2 and "unknown language" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("diff", files["sent"])
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_bad_site_lexicon(files: dict[str, str], tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", "[x\n")
    r = run_cli("diff", files["sent"], files["lost"], "--lexicon", bad)
    assert r.returncode == 2 and "not valid TOML" in r.stderr


def test_in_process_main(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", files["sent"], files["lost"]]) == 1
    assert "negation-dropped" in capsys.readouterr().out


def _sample(*args: str) -> list[str]:
    r = run_cli("sample", *args)
    assert r.returncode == 0, r.stderr
    notes = [n.strip("\n") for n in r.stdout.split("--- note ")[1:]]
    return [n.split("---\n", 1)[1] for n in notes]


def test_sample_prints_distinct_notes_that_a_seed_repeats() -> None:
    """Each note of a sample is its own (not the previous one with a sentence changed, as one Hypothesis run
    writes them), the same seed prints the same sample, and another seed another."""
    notes = _sample("--lang", "sv", "--n", "12", "--seed", "3")
    assert len(notes) == 12
    lines = [set(n.splitlines()) - {""} for n in notes]
    for k, a in enumerate(lines):
        for b in lines[k + 1:]:
            shared = a & b
            assert len(shared) <= len(a) // 2, f"two notes share {sorted(shared)}"
    assert _sample("--lang", "sv", "--n", "12", "--seed", "3") == notes
    assert _sample("--lang", "sv", "--n", "12", "--seed", "4") != notes
    english = _sample("--lang", "en", "--n", "3")
    assert len(english) == 3 and all(english)


def test_sample_refuses_no_notes() -> None:
    r = run_cli("sample", "--n", "0")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--n" in r.stderr
