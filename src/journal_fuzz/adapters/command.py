"""``cmd:COMMAND``: the note on standard input, what the system kept on standard output (UTF-8, with a timeout).

For converters and export tools that run as programs. A non-zero exit, a timeout or output that is not UTF-8 is
a system error, not word loss.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from typing import ClassVar

from journal_fuzz.adapters.base import Adapter, AdapterConfig, AdapterError, SystemUnderTestError
from journal_fuzz.constants import TEXT, Carrier

__all__ = ["CommandAdapter"]


class CommandAdapter(Adapter):
    scheme: ClassVar[str] = "cmd"
    carries: ClassVar[frozenset[Carrier]] = frozenset({TEXT})

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        super().__init__(spec, config)
        command = spec[len("cmd:"):].strip()
        if not command:
            raise AdapterError("target cmd: needs a command, for example cmd:'python convert.py'")
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise AdapterError(f"cannot parse command {command!r}: {exc}") from None

    def describe(self) -> str:
        return f"command {shlex.join(self.argv)}"

    def roundtrip_text(self, text: str, *, uid: str) -> str:
        env = dict(os.environ, JOURNAL_FUZZ_UID=uid, PYTHONIOENCODING="utf-8")
        try:
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env, start_new_session=True)
        except FileNotFoundError:
            raise SystemUnderTestError(f"command not found: {self.argv[0]}", cause="unreachable") from None
        except PermissionError:
            raise SystemUnderTestError(f"command not executable: {self.argv[0]}", cause="unreachable") from None
        try:
            out, err = proc.communicate(text.encode("utf-8"), timeout=self.config.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise SystemUnderTestError(f"{self.describe()} did not finish within {self.config.timeout:g} s",
                                       cause="timeout") from None
        if proc.returncode != 0:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise SystemUnderTestError(f"{self.describe()} exited with status {proc.returncode}: {tail[0]}",
                                       cause="crashed")
        try:
            return out.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SystemUnderTestError(f"{self.describe()} wrote output that is not UTF-8 (byte "
                                       f"0x{out[exc.start]:02x} at {exc.start})", cause="garbage") from None
