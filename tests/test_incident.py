"""From a reported word loss to a regression test: incident new, explore, export-test, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures" / "incident"
RIS = '''
import re

def post_ej_lost(text):
    # A radiology system that drops a trailing "ej": post-negations go, pre-negations survive.
    return re.sub(r"(?i)\\s+ej(?=\\s*[.\\n]|$)", "", text)

def faithful(text):
    return text
'''


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "journal-fuzz"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300,
                          check=False)


def test_incident_to_regression_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(ris=RIS)
    env = dict(os.environ, PYTHONPATH=str(pytester.path))
    sent = pytester.path / "sent.txt"
    received = pytester.path / "received.txt"
    sent.write_text("Röntgen vänster fotled.\nFraktur påvisas ej.\nIngen luxation.\n", encoding="utf-8")
    received.write_text("Röntgen vänster fotled.\nFraktur påvisas.\nIngen luxation.\n", encoding="utf-8")

    made = cli("incident", "new", "--sent", str(sent), "--received", str(received), cwd=pytester.path, env=env)
    assert made.returncode == 1, made.stderr
    assert "negation-dropped" in made.stdout and "case written:" in made.stdout
    case_path = Path(made.stdout.split("case written: ")[1].split()[0])
    if not case_path.is_absolute():
        case_path = pytester.path / case_path
    case = json.loads(case_path.read_text(encoding="utf-8"))
    assert case["source"] == "incident" and case["kinds"] == ["negation-dropped"]

    explored = cli("explore", str(case_path), "--target", "python:ris:post_ej_lost", cwd=pytester.path, env=env)
    assert explored.returncode == 1, explored.stderr
    table = explored.stdout
    lines = table.splitlines()
    assert "the reported note" in table and "lost words in" in table
    # The extent of the bug: post-negations with ej are lost, pre-negations survive.
    assert any("'ses ej'" in line and " YES " in line for line in lines), table
    assert any("pre-negation" in line and " no " in line for line in lines), table

    test_file = pytester.path / "test_incident_123.py"
    exported = cli("export-test", str(case_path), cwd=pytester.path, env=env)
    assert exported.returncode == 0
    test_file.write_text(exported.stdout, encoding="utf-8")
    still_broken = pytester.runpytest_subprocess("-p", "no:cacheprovider", str(test_file),
                                                 "--journal-fuzz=python:ris:post_ej_lost")
    still_broken.assert_outcomes(failed=1)
    assert "negation-dropped" in still_broken.stdout.str()
    fixed = pytester.runpytest_subprocess("-p", "no:cacheprovider", str(test_file),
                                          "--journal-fuzz=python:ris:faithful")
    fixed.assert_outcomes(passed=1)

    report = cli("report", str(case_path.parent), "-o", str(pytester.path / "incident.html"), cwd=pytester.path)
    assert report.returncode == 0, report.stderr
    page = (pytester.path / "incident.html").read_text(encoding="utf-8")
    assert 'class="lost"' in page and "påvisas" in page and "http://" not in page.split("</head>")[1]


def test_incident_new_with_the_shipped_fixture_and_bad_input(tmp_path: Path) -> None:
    made = cli("incident", "new", "--sent", str(FIXTURES / "radiology_sent.txt"), "--received",
               str(FIXTURES / "radiology_received.txt"), "-o", str(tmp_path), cwd=tmp_path)
    assert made.returncode == 1 and len(list(tmp_path.glob("*.json"))) == 1
    case = next(tmp_path.glob("*.json"))
    crashed = cli("replay", str(case), "--target", "python:json:loads", cwd=tmp_path)
    assert crashed.returncode == 2 and "system error (crashed), not word loss" in crashed.stderr
    assert len(crashed.stderr.strip().splitlines()) == 1 and "Traceback" not in crashed.stderr
    missing = cli("incident", "new", "--sent", str(tmp_path / "nope.txt"), "--received",
                  str(FIXTURES / "radiology_received.txt"), cwd=tmp_path)
    assert missing.returncode == 2 and "not found" in missing.stderr and "Traceback" not in missing.stderr
    bad_case = tmp_path / "bad.json"
    bad_case.write_text('{"format": "something else"}', encoding="utf-8")
    for command in (["explore", str(bad_case), "--target", "python:textwrap:dedent"], ["export-test", str(bad_case)],
                    ["replay", str(bad_case), "--target", "python:textwrap:dedent"]):
        result = cli(*command, cwd=tmp_path)
        assert result.returncode == 2 and "not a journal_fuzz case" in result.stderr, command


PII_NOTE = ("Pat: Kerstin Lindqvist, 19121212-1212, tel 070-123 45 67, Storgatan 12, 123 45 Borås.\n"
            "Remiss 2024-11-12 från Dr Anders Berg. Dottern Maria informerad.\n"
            "Utlåtande: Fri gas under diafragman ses ej. Ingen fraktur. Waran 2,5 mg 1x1, Levaxin 50 µg. CRP <5.\n")
IDENTIFIERS = ("Lindqvist", "19121212-1212", "070-123 45 67", "Storgatan", "Anders Berg", "Maria", "2024-11-12")


def test_redact_keeps_the_loss_and_reproduces_against_the_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(ris=RIS)
    env = dict(os.environ, PYTHONPATH=str(pytester.path))
    (pytester.path / "sent.txt").write_text(PII_NOTE, encoding="utf-8")
    (pytester.path / "received.txt").write_text(PII_NOTE.replace("ses ej.", "ses."), encoding="utf-8")
    made = cli("incident", "new", "--sent", "sent.txt", "--received", "received.txt", "--redact", "-o", "cases",
               cwd=pytester.path, env=env)
    assert made.returncode == 1 and "personal data redacted" in made.stdout, made.stderr
    written = list((pytester.path / "cases").glob("*.json"))
    assert len(written) == 1
    body = written[0].read_text(encoding="utf-8")
    assert not [i for i in IDENTIFIERS if i in body], body
    for clinical in ("ses ej", "Ingen fraktur", "Waran 2,5 mg", "Levaxin 50 µg", "CRP <5"):
        assert clinical in body

    plain = cli("incident", "new", "--sent", "sent.txt", "--received", "received.txt", "-o", "plain",
                cwd=pytester.path, env=env)
    case = next((pytester.path / "plain").glob("*.json"))
    redacted = cli("redact", str(case), "--target", "python:ris:post_ej_lost", cwd=pytester.path, env=env)
    assert plain.returncode == 1 and redacted.returncode == 0, redacted.stdout + redacted.stderr
    assert "still reproduces (negation-dropped)" in redacted.stdout
    out = case.with_name(case.stem + ".redacted.json").read_text(encoding="utf-8")
    assert not [i for i in IDENTIFIERS if i in out]
    gone = cli("redact", str(case), "-o", "r2.json", "--target", "python:ris:faithful", cwd=pytester.path, env=env)
    assert gone.returncode == 1 and "does NOT reproduce" in gone.stdout
