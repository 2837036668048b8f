"""``dir:INBOX,OUTBOX``: write each note as a file into an inbox, wait for the system's result in an outbox.

Many integrations are file drops. The note goes to ``INBOX/<uid>.txt`` (UTF-8), written under a temporary name
and renamed so the system never reads half a file; the result is ``OUTBOX/<uid>.txt`` (or any file in OUTBOX
whose name starts with the uid), read once its size has stopped changing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import ClassVar

from journal_fuzz.adapters.base import Adapter, AdapterConfig, AdapterError, SystemUnderTestError
from journal_fuzz.constants import TEXT, Carrier

__all__ = ["DirectoryAdapter"]

_POLL = 0.02


class DirectoryAdapter(Adapter):
    scheme: ClassVar[str] = "dir"
    carries: ClassVar[frozenset[Carrier]] = frozenset({TEXT})

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        super().__init__(spec, config)
        inbox, sep, outbox = spec[len("dir:"):].partition(",")
        if not sep or not inbox.strip() or not outbox.strip():
            raise AdapterError(f"target {spec!r} must look like dir:INBOX,OUTBOX")
        self.inbox = Path(inbox.strip()).expanduser()
        self.outbox = Path(outbox.strip()).expanduser()

    def describe(self) -> str:
        return f"file drop {self.inbox} -> {self.outbox}"

    def start(self) -> None:
        for what, path in (("inbox", self.inbox), ("outbox", self.outbox)):
            if not path.is_dir():
                raise SystemUnderTestError(f"{what} {path} is not a directory", cause="unreachable")
            if not os.access(path, os.W_OK if what == "inbox" else os.R_OK):
                raise SystemUnderTestError(f"{what} {path} is not accessible", cause="unreachable")

    def _result(self, uid: str) -> Path | None:
        exact = self.outbox / f"{uid}.txt"
        if exact.exists():
            return exact
        for candidate in self.outbox.glob(f"{uid}*"):
            if not candidate.name.startswith(".") and candidate.is_file():
                return candidate
        return None

    def roundtrip_text(self, text: str, *, uid: str) -> str:
        tmp = self.inbox / f".{uid}.tmp"
        tmp.write_bytes(text.encode("utf-8"))
        os.replace(tmp, self.inbox / f"{uid}.txt")
        deadline = time.monotonic() + self.config.timeout
        found: Path | None = None
        last_size = -1
        while time.monotonic() < deadline:
            found = found or self._result(uid)
            if found is not None:
                size = found.stat().st_size
                if size == last_size:
                    break
                last_size = size
            time.sleep(_POLL)
        else:
            raise SystemUnderTestError(f"no result for {uid} in {self.outbox} within {self.config.timeout:g} s",
                                       cause="timeout")
        assert found is not None
        data = found.read_bytes()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SystemUnderTestError(f"result file {found} is not UTF-8 (byte 0x{data[exc.start]:02x} at "
                                       f"{exc.start})", cause="garbage") from None
