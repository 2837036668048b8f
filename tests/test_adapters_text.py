"""The python:, cmd: and dir: adapters against real peers (a converter process, a file-drop process)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import journal_fuzz as jf
from journal_fuzz.adapters import AdapterConfig, AdapterError, SystemUnderTestError, adapter_for, redact_credentials
from journal_fuzz.battery import PROPERTIES, RunConfig, run

PEERS = Path(__file__).with_name("peers.py")
NOTE = "Fri gas ses ej.\r\nIngen feber. Waran 2,5 mg 1x1.\n\nHjärta & lungor: ua | BT 130/80 ~ µg ≥ 5 {Ej}"


def _cmd(*args: str) -> str:
    return "cmd:" + shlex.join([sys.executable, str(PEERS), *args])


def test_cmd_faithful_and_lossy() -> None:
    with adapter_for(_cmd("converter")) as faithful:
        assert jf.compare(NOTE, faithful.roundtrip_text(NOTE, uid="u1")).findings == []
    with adapter_for(_cmd("converter", "--lossy")) as lossy:
        verdict = jf.compare(NOTE, lossy.roundtrip_text(NOTE, uid="u2"))
    assert "negation-dropped" in verdict.kinds


def test_cmd_failures_are_system_errors(tmp_path: Path) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text("import time; time.sleep(5)\n", encoding="utf-8")
    with pytest.raises(SystemUnderTestError) as info:
        adapter_for(f"cmd:{sys.executable} {slow}", AdapterConfig(timeout=0.3)).roundtrip_text("x", uid="u")
    assert info.value.cause == "timeout"
    failing = tmp_path / "fail.py"
    failing.write_text("import sys; sys.stderr.write('boom\\n'); sys.exit(3)\n", encoding="utf-8")
    with pytest.raises(SystemUnderTestError, match="status 3: boom"):
        adapter_for(f"cmd:{sys.executable} {failing}").roundtrip_text("x", uid="u")
    latin = tmp_path / "latin.py"
    latin.write_text("import sys; sys.stdout.buffer.write('Förnekar'.encode('latin-1'))\n", encoding="utf-8")
    with pytest.raises(SystemUnderTestError) as info:
        adapter_for(f"cmd:{sys.executable} {latin}").roundtrip_text("x", uid="u")
    assert info.value.cause == "garbage"
    with pytest.raises(SystemUnderTestError) as info:
        adapter_for("cmd:/no/such/program").roundtrip_text("x", uid="u")
    assert info.value.cause == "unreachable"
    with pytest.raises(AdapterError):
        adapter_for("cmd:")


@pytest.fixture
def drop(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    outbox.mkdir()
    args = [sys.executable, str(PEERS), "file-drop", "--inbox", str(inbox), "--outbox", str(outbox)]
    if getattr(request, "param", False):
        args.append("--lossy")
    proc = subprocess.Popen(args)
    try:
        yield f"dir:{inbox},{outbox}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("drop", [False, True], indirect=True, ids=["faithful", "lossy"])
def test_dir_adapter_with_a_real_file_drop(drop: str, request: pytest.FixtureRequest) -> None:
    lossy = "lossy" in request.node.callspec.id
    adapter = adapter_for(drop, AdapterConfig(timeout=10))
    with adapter:
        prop = next(p for p in PROPERTIES if p.name == "negations")
        outcome = run(prop, "sv", adapter, RunConfig(examples=5, concurrency=4, derandomize=True))
    if lossy:
        assert outcome.status == "lost" and outcome.loss is not None
        assert "negation-dropped" in outcome.loss.verdict.kinds
    else:
        assert outcome.status == "passed", outcome.loss and outcome.loss.verdict.explain()


def test_dir_adapter_timeout_and_missing_dirs(tmp_path: Path) -> None:
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    outbox.mkdir()
    adapter = adapter_for(f"dir:{inbox},{outbox}", AdapterConfig(timeout=0.2))
    adapter.start()
    with pytest.raises(SystemUnderTestError) as info:
        adapter.roundtrip_text("Ingen feber.", uid="nobody-home")
    assert info.value.cause == "timeout"
    with pytest.raises(SystemUnderTestError, match="not a directory"):
        adapter_for(f"dir:{tmp_path / 'nope'},{outbox}").start()
    with pytest.raises(AdapterError, match="dir:INBOX,OUTBOX"):
        adapter_for(f"dir:{inbox}")


def test_python_adapters_and_spec_errors() -> None:
    assert adapter_for("python:textwrap:dedent").roundtrip_text("  a", uid="u") == "a"
    with pytest.raises(AdapterError, match="cannot import"):
        adapter_for("python:no_such_module_xyz:f")
    with pytest.raises(AdapterError, match="no adapter"):
        adapter_for("gopher://x")
    with pytest.raises(SystemUnderTestError) as info:
        adapter_for("python:json:loads").roundtrip_text("not json", uid="u")
    assert info.value.cause == "crashed"


def test_redact_removes_credentials() -> None:
    assert redact_credentials("fhir+https://user:s3cret@host/fhir") == "fhir+https://***@host/fhir"
    assert "tok123" not in redact_credentials("fhir+https://host/fhir?token=tok123&auth_env=FHIR_TOKEN")
    assert "FHIR_TOKEN" in redact_credentials("fhir+https://host/fhir?auth_env=FHIR_TOKEN")
