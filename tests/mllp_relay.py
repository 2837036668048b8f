"""An interface-engine-like MLLP relay for testing the ``hl7+mllp`` adapter, built on python-hl7's MLLP streams.

It accepts a message, acknowledges it (MSA|AA from its own MSH-3/MSH-4, ``RELAY``/``LAB``) and forwards it to a
downstream MLLP listener: faithfully by default (parsed and re-serialised by python-hl7, as an engine does), or
through one of the lossy modes that imitate how real engines lose words:

``unescaped``   OBX-5 unescaped (python-hl7 ``Message.unescape``) and re-emitted raw: ``&``/``^``/``|``/``~`` split
                the field, a ``\\.br\\`` becomes a CR that starts a bogus segment
``strip-br``    ``\\.br\\`` removed (and repeated OBX lines run together into one): words glued
``latin1``      the message re-encoded as Latin-1 with errors=replace, MSH-18 still saying UNICODE UTF-8
``truncate=N``  every OBX-5 cut at N characters (of the value as it travels, escapes included)
``drop-word=W`` the word W removed from OBX-5 wherever it stands alone (any case)
``nack``        answers MSA|AE (with MSA-3 and ERR), forwards nothing
``silent``      answers MSA|AA, forwards nothing
``garbage``     answers MSA|AA, forwards an MLLP block of bytes that are not HL7

In a test: ``with MllpRelay(downstream=("127.0.0.1", port)) as relay: relay.address``. As a process:
``python tests/mllp_relay.py --downstream 127.0.0.1:2576 [--listen 127.0.0.1:0] [--mode MODE]`` prints
``mllp_relay listening on HOST:PORT`` and runs until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import re
import signal
import sys
import threading
from typing import Any

import hl7
import hl7.mllp

LIMIT = 64 * 1024 * 1024
SIMPLE_MODES = ("faithful", "unescaped", "strip-br", "latin1", "nack", "silent", "garbage")
GARBAGE = b"<html><body>502 Bad Gateway</body></html>\xff\xfe\x00 definitely not HL7"


def check_mode(mode: str) -> str:
    name, _, arg = mode.partition("=")
    if name in SIMPLE_MODES and not arg:
        return mode
    if name == "truncate" and arg.isdigit():
        return mode
    if name == "drop-word" and arg:
        return mode
    raise ValueError(f"unknown relay mode {mode!r}: one of {', '.join(SIMPLE_MODES)}, truncate=N, drop-word=WORD")


class MllpRelay:
    """An MLLP relay on its own asyncio loop (in a thread via start/stop, or in the foreground via ``run``)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, downstream: tuple[str, int] | None = None,
                 mode: str = "faithful", application: str = "RELAY", facility: str = "LAB", jitter: float = 0.0,
                 rewrite_ids: bool = False, ack_after_forward: bool = False) -> None:
        self.host, self.port = host, port
        self.downstream = downstream
        self.mode = check_mode(mode)
        self.application, self.facility = application, facility
        self.jitter = jitter
        """Up to this many seconds of random delay before each forward (mixes up the order)."""
        self.rewrite_ids = rewrite_ids
        """Give forwarded messages the relay's own MSH-10, as many engines do."""
        self.ack_after_forward = ack_after_forward
        self.received = 0
        self.forwarded = 0
        self.downstream_acks: list[str] = []
        self.errors: list[str] = []
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._down: tuple[Any, Any] | None = None
        self._down_lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    # -- life cycle
    async def open(self) -> None:
        self._down_lock = asyncio.Lock()
        self._server = await hl7.mllp.start_hl7_server(self._on_client, self.host, self.port, limit=LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        me = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not me]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._drop_downstream()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def start(self) -> MllpRelay:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run_loop, args=(loop,), name="mllp-relay", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.open(), loop).result(timeout=5)
        return self

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        asyncio.run_coroutine_threadsafe(self.close(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)

    def __enter__(self) -> MllpRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def run(self) -> None:
        """Serve in the foreground until SIGINT/SIGTERM (for ``main``)."""
        await self.open()
        print(f"mllp_relay listening on {self.host}:{self.port}", flush=True)
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, done.set)
        await done.wait()
        await self.close()

    # -- upstream side
    async def _on_client(self, reader: Any, writer: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                try:
                    block = await reader.readblock()
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.received += 1
                writer.writeblock(await self._handle(block))
                await writer.drain()
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _handle(self, block: bytes) -> bytes:
        msg = hl7.parse(block.decode("utf-8"))
        name = self.mode.partition("=")[0]
        if name == "nack":
            ack = msg.create_ack("AE", application=self.application, facility=self.facility)
            ack.segment("MSA").assign_field("Relay refuses this message", 3)
            err = "ERR|||207^Application internal error^HL70357|E||||Relay in nack mode"
            return (str(ack) + err + "\r").encode("utf-8")
        ack = msg.create_ack("AA", application=self.application, facility=self.facility)
        if name != "silent":
            outgoing = self.transform(msg)
            if self.ack_after_forward:
                await self._forward(outgoing)
            else:
                task = asyncio.get_running_loop().create_task(self._forward(outgoing))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return str(ack).encode("utf-8")

    def transform(self, msg: Any) -> bytes:
        """The bytes this relay forwards for ``msg`` (an ``hl7.Message``), per its mode."""
        name, _, arg = self.mode.partition("=")
        if name == "garbage":
            return GARBAGE
        if self.rewrite_ids:
            msg.segment("MSH")[10] = f"RELAY{next(self._ids)}"
        obx = [s for s in msg if str(s[0]) == "OBX"]
        for seg in obx:
            raw = str(seg[5]) if len(seg) > 5 else ""
            if name == "unescaped":
                raw = msg.unescape(raw)
            elif name == "strip-br":
                raw = raw.replace("\\.br\\", "")
            elif name == "truncate":
                raw = raw[: int(arg)]
            elif name == "drop-word":
                raw = re.sub(rf"(?i)(?<!\w){re.escape(arg)}(?!\w) ?", "", raw)
            if len(seg) > 5:
                seg[5] = raw
        if name == "strip-br" and len(obx) > 1:  # lines of a repeated OBX run together, as one value
            obx[0][5] = "".join(str(s[5]) if len(s) > 5 else "" for s in obx)
            keep = [s for s in msg if str(s[0]) != "OBX" or s is obx[0]]
            msg = msg.create_message(keep)
        text = str(msg)
        if name == "latin1":
            return text.encode("latin-1", errors="replace")
        return text.encode("utf-8")

    # -- downstream side
    async def _forward(self, data: bytes) -> None:
        if self.jitter:
            await asyncio.sleep(random.uniform(0, self.jitter))
        if self.downstream is None:
            self.errors.append("no downstream configured")
            return
        assert self._down_lock is not None
        async with self._down_lock:
            for attempt in (1, 2):
                try:
                    if self._down is None:
                        self._down = await hl7.mllp.open_hl7_connection(*self.downstream, limit=LIMIT)
                    reader, writer = self._down
                    writer.writeblock(data)
                    await writer.drain()
                    ack = await asyncio.wait_for(reader.readblock(), 10)
                    self.forwarded += 1
                    with contextlib.suppress(Exception):
                        self.downstream_acks.append(str(hl7.parse(ack.decode("utf-8")).segment("MSA")[1]))
                    return
                except (OSError, asyncio.IncompleteReadError, TimeoutError, hl7.mllp.InvalidBlockError) as e:
                    await self._drop_downstream()
                    if attempt == 2:
                        self.errors.append(f"forward failed: {e!r}")

    async def _drop_downstream(self) -> None:
        if self._down is not None:
            _, writer = self._down
            self._down = None
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mllp_relay", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to accept messages on (port 0: any)")
    parser.add_argument("--downstream", required=True, help="HOST:PORT to forward messages to")
    parser.add_argument("--mode", default="faithful",
                        help=f"{', '.join(SIMPLE_MODES)}, truncate=N or drop-word=WORD (default faithful)")
    parser.add_argument("--application", default="RELAY", help="MSH-3 of the relay's ACKs")
    parser.add_argument("--facility", default="LAB", help="MSH-4 of the relay's ACKs")
    parser.add_argument("--jitter", type=float, default=0.0, help="random delay before each forward, seconds")
    parser.add_argument("--rewrite-ids", action="store_true", help="give forwarded messages new MSH-10 ids")
    parser.add_argument("--ack-after-forward", action="store_true", help="forward first, then acknowledge")
    args = parser.parse_args(argv)
    try:
        mode = check_mode(args.mode)
    except ValueError as e:
        parser.error(str(e))
    host, port = _host_port(args.listen)
    relay = MllpRelay(host=host, port=port, downstream=_host_port(args.downstream), mode=mode,
                      application=args.application, facility=args.facility, jitter=args.jitter,
                      rewrite_ids=args.rewrite_ids, ack_after_forward=args.ack_after_forward)
    asyncio.run(relay.run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
