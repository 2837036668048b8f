"""``journal-fuzz selftest``: every lossy mutant caught, every faithful system passes (a small matrix here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from journal_fuzz.selftest import selftest

PEERS = Path(__file__).with_name("peers.py")


def test_selftest_matrix_catches_lossy_and_passes_faithful() -> None:
    rows = selftest(examples=5, languages=("sv",), concurrency=2,
                    mutants=["drop-negation", "break-decimal-comma", "lose-micro", "swap-side", "rewrap", "nfd"])
    by_name = {r.system: r for r in rows}
    for name in ("drop-negation", "break-decimal-comma", "lose-micro", "swap-side"):
        assert by_name[name].ok and by_name[name].examples_until_caught, by_name[name]
    assert by_name["drop-negation"].kinds[0] == "negation-dropped"
    assert by_name["lose-micro"].kinds[0] == "unit-changed"
    for name in ("identity", "benign rewrap", "benign nfd"):
        assert by_name[name].ok, by_name[name].detail


def test_selftest_cli_behind_a_real_command_target() -> None:
    exe = Path(sys.executable).parent / "journal-fuzz"
    target = f"cmd:{sys.executable} {PEERS} converter"
    result = subprocess.run([str(exe), "selftest", "--examples", "3", "--lang", "en", "--concurrency", "2",
                             "--only", "drop-negation,change-digit,crlf", "--target", target],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "drop-negation" in result.stdout and "caught by" in result.stdout
    assert "2/2 lossy mutants caught, 2/2 faithful systems passed" in result.stdout
