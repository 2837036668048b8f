"""``embedded``: a real FHIR R4 server on loopback for the session, started and stopped by journal_fuzz.

The server is `sekmet-fhir <https://pypi.org/project/sekmet-fhir/>`_ (FastAPI + SQLite, the ``embedded`` extra),
run as a child process (``python -m sekmet.cli serve``) in its own process group, on a free port of 127.0.0.1, with
its settings, SQLite database and log in a fresh temporary directory that :meth:`EmbeddedFhirAdapter.stop` removes.
The settings turn off what would change stored resources or slow the run: the workflow simulator (it answers a
MedicationRequest by writing to it), the traffic log and authentication; inbound validation stays ``strict``.

sekmet speaks FHIR R4 (4.0.1) and validates with the fhir.resources R4B models, the same ones journal_fuzz builds
with, so every kind journal_fuzz generates is accepted as it is, in JSON and in XML (sekmet converts XML with those
models both ways). R5 resources are refused up front. Everything else is :class:`FhirRestAdapter`: create, read
back, and the same error handling.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar

import httpx

from journal_fuzz.adapters.base import AdapterConfig, AdapterError, SystemUnderTestError
from journal_fuzz.adapters.fhir_rest import FhirRestAdapter
from journal_fuzz.constants import FHIR, Carrier

__all__ = ["EmbeddedFhirAdapter"]

MISSING = "the embedded FHIR server needs sekmet-fhir: pip install 'journal_fuzz[embedded]'"
HOST = "127.0.0.1"
_PORT_IN_USE = ("address already in use", "errno 98", "errno 48", "only one usage of each socket address")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _kill(proc: subprocess.Popen[bytes] | None, grace: float = 5.0) -> None:
    """End the server's process group: SIGTERM, then SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGTERM)
        else:  # pragma: no cover
            proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)
            else:  # pragma: no cover
                proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)


def _cleanup(proc: subprocess.Popen[bytes] | None, tmpdir: str | None) -> None:
    _kill(proc)
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)


class EmbeddedFhirAdapter(FhirRestAdapter):
    """sekmet-fhir on a free loopback port, for the session."""

    scheme: ClassVar[str] = "embedded"
    carries: ClassVar[frozenset[Carrier]] = frozenset({FHIR})
    STARTUP_TIMEOUT: ClassVar[float] = 30.0
    """Seconds to wait for ``/metadata`` to answer."""
    PORT_ATTEMPTS: ClassVar[int] = 3
    """Ports tried when another process takes the free port first."""

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        super().__init__(spec, config)
        self.tmpdir: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._version: str | None = None

    def _parse_spec(self, spec: str, config: AdapterConfig) -> tuple[str, AdapterConfig]:
        if spec.strip() != "embedded":
            raise AdapterError(f"target {spec.strip()!r}: the embedded server takes no options; use embedded")
        if importlib.util.find_spec("sekmet") is None:
            raise AdapterError(MISSING)
        if config.fhir_version.upper() == "R5":
            raise AdapterError("the embedded FHIR server (sekmet-fhir) speaks FHIR R4 only: use R4B resources, "
                               "or a fhir+http(s):// target for R5")
        # The server runs without authentication; a credential named for another target is not needed here.
        return "", replace(config, auth_env=None, fhir_version="R4B")

    # -- what it is ------------------------------------------------------------------------------------------
    @property
    def sekmet_version(self) -> str:
        if self._version is None:
            try:
                self._version = version("sekmet-fhir")
            except PackageNotFoundError:
                self._version = "not installed"
        return self._version

    def describe(self) -> str:
        # Before start() there is no address yet: say what will be there, true before and after the start.
        where = f"at {self.base_url}" if self.base_url else f"on a free port of {HOST}, started for the run"
        return f"embedded FHIR server (sekmet-fhir {self.sekmet_version}) {where}"

    # -- lifecycle -------------------------------------------------------------------------------------------
    def command(self, settings: Path, port: int) -> list[str]:
        """The server's command line (tests swap it for a server that never starts)."""
        return [sys.executable, "-m", "sekmet.cli", "serve", "-c", str(settings), "--host", HOST, "--port", str(port)]

    def settings(self, tmpdir: Path, port: int) -> dict[str, Any]:
        """sekmet's settings.yaml (JSON is YAML): everything in ``tmpdir``, nothing that rewrites resources."""
        data = tmpdir / "data"
        return {
            "base_url": f"http://{HOST}:{port}/fhir", "host": HOST, "port": port,
            "data_dir": str(data), "db_path": str(data / "sekmet.db"),
            "own_private_key_path": str(tmpdir / "keys" / "sekmet_private.pem"),
            "software_name": "SEKMET FHIR R4 Tester", "log_inbound": False,
            "server_auth": {"types": ["none"]},
            "validation": {"inbound": "strict"},
            "simulator": {"enabled": False, "auto": []},
            "subscriptions": {"retries": 0},
        }

    def start(self) -> None:
        if self.process is not None:
            return
        if importlib.util.find_spec("sekmet") is None:
            raise AdapterError(MISSING)
        self.tmpdir = tempfile.mkdtemp(prefix="journal-fuzz-sekmet-")
        self._finalizer = weakref.finalize(self, _cleanup, None, self.tmpdir)
        try:
            for attempt in range(self.PORT_ATTEMPTS):
                if self._launch(Path(self.tmpdir), _free_port(), last=attempt == self.PORT_ATTEMPTS - 1):
                    break
            super().start()
        except BaseException:
            self.stop()
            raise

    def _launch(self, tmpdir: Path, port: int, *, last: bool) -> bool:
        """Start the server on ``port`` and wait for it; False when the port was taken meanwhile."""
        settings = tmpdir / "settings.yaml"
        settings.write_text(json.dumps(self.settings(tmpdir, port), indent=2), "utf-8")
        log = tmpdir / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEKMET_")}
        env["PYTHONUNBUFFERED"] = "1"
        with open(log, "ab") as out:
            try:
                proc = subprocess.Popen(self.command(settings, port), stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, cwd=tmpdir, env=env,
                                        start_new_session=os.name == "posix")
            except OSError as err:
                raise SystemUnderTestError(f"cannot start the embedded FHIR server: {err}",
                                           cause="unreachable") from err
        self.process = proc
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _cleanup, proc, str(tmpdir))
        base = f"http://{HOST}:{port}/fhir"
        deadline = time.monotonic() + self.STARTUP_TIMEOUT
        with httpx.Client(timeout=2.0) as probe:
            while True:
                code = proc.poll()
                if code is not None:
                    tail = _tail(log)
                    self.process = None
                    if not last and any(s in tail.lower() for s in _PORT_IN_USE):
                        return False
                    raise SystemUnderTestError(
                        f"the embedded FHIR server (sekmet-fhir {self.sekmet_version}) exited with status {code} "
                        f"before answering; its output ends:\n{tail or '(nothing)'}", cause="unreachable")
                try:
                    if probe.get(f"{base}/metadata").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    _kill(proc)
                    self.process = None
                    raise SystemUnderTestError(
                        f"the embedded FHIR server (sekmet-fhir {self.sekmet_version}) did not answer {base}/metadata "
                        f"within {self.STARTUP_TIMEOUT:g} s; its output ends:\n{_tail(log) or '(nothing)'}",
                        cause="unreachable")
                time.sleep(0.05)
        self.base_url = base
        return True

    def stop(self) -> None:
        super().stop()
        finalizer, self._finalizer = self._finalizer, None
        if finalizer is not None:
            finalizer()
        self.process = None
        self.tmpdir = None
