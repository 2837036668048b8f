"""A slow text system in its own process: an HTTP peer with a round-trip latency and a concurrency capacity.

It stands for a real EHR interface that answers in 0.3-5 s and serves a few requests at a time: each ``POST /``
takes one of ``--capacity`` slots (requests beyond that queue, as they would in front of a busy server), holds it
``--latency`` seconds, and answers with the text as stored, after its defects:

- ``cue-after-verb``: drops ingen/inget/inga/no right after a verb of finding (visar, påvisar, ses, finns, shows),
  so one sentence of a long note loses its negation;
- ``cut=N``: keeps the first N characters (a column of N);
- ``decimal-comma``: drops the comma of a decimal number (2,5 becomes 25);
- ``micro``: writes milli for micro (µg becomes mg, μmol becomes mmol);
- ``drop=WORD``: drops WORD wherever it stands (a stop-word list);
- ``cross``: one shared record buffer, written on arrival and read when the answer goes back, so requests served
  at the same time get each other's text (alone, it is faithful).

``GET /stats`` says how busy it was: requests served, and slot-seconds spent serving (what "payloads per second
against capacity" is measured from). :func:`client` is the ``python:`` target that talks to it (the peer's URL in
``SLOW_PEER_URL``), so the battery reaches it over real HTTP on loopback.

    python tests/slow_peer.py --latency 1 --capacity 16 --defect cut=2000 --defect decimal-comma
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_AFTER_VERB = re.compile(r"(?i)\b(visar|påvisar|ses|finns|shows|reveals)\s+(?:ingen|inget|inga|no)\b")
_DECIMAL = re.compile(r"(?<=\d),(?=\d)")
_MICRO = re.compile(r"[µμ](?=g\b|mol\b|mol/)")


def transform(defects: Sequence[str]) -> Callable[[str], str]:
    """The text as a system with ``defects`` stores it (``cross`` is a property of serving, not of the text)."""
    steps: list[Callable[[str], str]] = []
    for defect in defects:
        name, _, arg = defect.partition("=")
        if name == "cue-after-verb":
            steps.append(lambda t: _AFTER_VERB.sub(r"\1", t))
        elif name == "cut":
            steps.append(lambda t, n=int(arg): t[:n])
        elif name == "decimal-comma":
            steps.append(lambda t: _DECIMAL.sub("", t))
        elif name == "micro":
            steps.append(lambda t: _MICRO.sub("m", t))
        elif name == "drop":
            pattern = re.compile(rf"(?i)\s*\b{re.escape(arg)}\b")
            steps.append(lambda t, p=pattern: p.sub("", t))
        elif name != "cross":
            raise ValueError(f"unknown defect {defect!r}")

    def apply(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return apply


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], latency: float, capacity: int, defects: Sequence[str]) -> None:
        super().__init__(address, _Handler)
        self.latency = latency
        self.capacity = capacity
        self.slots = threading.BoundedSemaphore(capacity)
        self.store = transform(defects)
        self.cross = "cross" in defects
        self.shared = ""
        self.lock = threading.Lock()
        self.served = 0
        self.busy = 0.0
        self.started = time.monotonic()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, body: bytes, status: int = 200, kind: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        s = self.server
        with s.lock:
            stats = {"served": s.served, "busy_seconds": s.busy, "capacity": s.capacity, "latency": s.latency,
                     "uptime": time.monotonic() - s.started}
        self._answer(json.dumps(stats).encode(), kind="application/json")

    def do_POST(self) -> None:
        s = self.server
        text = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
        with s.slots:
            began = time.monotonic()
            stored = s.store(text)
            if s.cross:
                s.shared = stored
            time.sleep(s.latency)
            out = s.shared if s.cross else stored
            with s.lock:
                s.served += 1
                s.busy += time.monotonic() - began
        self._answer(out.encode("utf-8"))


def serve(latency: float, capacity: int, defects: Sequence[str], port: int = 0) -> None:
    """Serve until killed; print the port first, so whoever started the process knows where it is."""
    server = _Server(("127.0.0.1", port), latency, capacity, defects)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class SlowPeer:
    """The peer as a separate process, for tests and benchmarks: ``with SlowPeer(1.0, 16, ["cut=2000"]) as p``."""

    def __init__(self, latency: float, capacity: int, defects: Sequence[str] = ()) -> None:
        self.args = [sys.executable, __file__, "--latency", str(latency), "--capacity", str(capacity),
                     *(a for d in defects for a in ("--defect", d))]
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> SlowPeer:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{port}/"
        return self

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(_request(self.url, "GET"))
        return data

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def __enter__(self) -> SlowPeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _request(url: str, method: str, body: bytes | None = None, timeout: float = 120) -> str:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
    try:
        conn.request(method, parts.path or "/", body=body, headers={"Content-Type": "text/plain; charset=utf-8"})
        response = conn.getresponse()
        data = response.read().decode("utf-8")
        if response.status != 200:
            raise RuntimeError(f"peer answered {response.status}")
        return data
    except OSError as exc:
        raise RuntimeError(f"peer unreachable: {exc}") from exc
    finally:
        conn.close()


def client(text: str) -> str:
    """``python:slow_peer:client``: store ``text`` in the peer at ``SLOW_PEER_URL`` and return what it kept."""
    return _request(os.environ["SLOW_PEER_URL"], "POST", text.encode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=1.0, help="seconds each request holds a slot")
    parser.add_argument("--capacity", type=int, default=16, help="requests served at once (more queue)")
    parser.add_argument("--defect", action="append", default=[], help="cue-after-verb, cut=N, decimal-comma, "
                        "micro, drop=WORD, cross (repeatable)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    transform(args.defect)  # an unknown defect is an error before the port is printed
    serve(args.latency, args.capacity, args.defect, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
