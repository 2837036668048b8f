"""Drive headless Chromium from the tests with nothing but its command line and the standard library.

Every visit runs a fresh browser (its own temporary profile) whose proxy is a dead-end listener on loopback, so no
request can leave the machine, and whose NetLog is read back afterwards, so every request the page made is known
with its initiator. ``visit`` returns the DOM, the console messages, the requests and what reached the proxy;
``dump_dom`` and ``screenshot`` are the two everyday shortcuts. ``read_png`` decodes a screenshot (8-bit RGB or
RGBA, non-interlaced: what Chromium writes) with zlib alone.

In CI, install the browser with ``apt-get install -y chromium`` (Debian); elsewhere set ``JOURNAL_FUZZ_CHROMIUM``
to a Chromium or Chrome binary.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "Png", "ProxyTrap", "Request", "Visit", "dump_dom", "find_chromium", "read_png",
           "screenshot", "serve_directory", "url_of", "visit"]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-default-apps", "--no-default-browser-check", "--disable-domain-reliability", "--no-pings",
    "--disable-client-side-phishing-detection", "--disable-features=NetworkTimeServiceQuerying,Translate",
    "--disable-dev-shm-usage", "--force-color-profile=srgb", "--hide-scrollbars", "--mute-audio",
)
"""Headless, no sandbox (tests run as root in containers), and as little of the browser's own traffic as it lets
itself be talked out of. Whatever background traffic remains goes to the dead-end proxy and is told apart from
the page's own requests by its initiator in the NetLog."""

TIMEOUT = 60.0


def find_chromium() -> str | None:
    """The Chromium (or Chrome) binary to use: ``$JOURNAL_FUZZ_CHROMIUM``, then the usual names on PATH."""
    explicit = os.environ.get("JOURNAL_FUZZ_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/snap/bin/chromium"):
        if os.access(path, os.X_OK):
            return path
    return None


def url_of(path_or_url: str | os.PathLike[str]) -> str:
    text = os.fspath(path_or_url)
    if "://" in text:
        return text
    fragment = ""
    if "#" in text and not Path(text).exists():
        text, fragment = text.split("#", 1)
        fragment = "#" + fragment
    return Path(text).resolve().as_uri() + fragment


# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """One URL request from the NetLog. ``initiator`` is the origin of the page that asked for it; the browser's
    own requests (and top-level navigations) have none."""

    url: str
    method: str
    initiator: str | None


@dataclass
class ProxyTrap:
    """A loopback listener posing as the browser's proxy: it records the first line of what arrives and answers
    nothing, so no request passes through it anywhere."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[str] = field(default_factory=list)
    _sock: socket.socket | None = None
    _thread: threading.Thread | None = None
    _closed: bool = False

    def __enter__(self) -> ProxyTrap:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        sock.listen(64)
        sock.settimeout(0.2)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._closed:
            try:
                conn, _addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1.0)
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                self.received.append(data.split(b"\r\n", 1)[0].decode("latin-1") or "(connection, no request)")

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._sock is not None:
            self._sock.close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def hosts(self) -> set[str]:
        """The hosts the proxy was asked for: ``CONNECT host:443`` or ``GET http://host/...``."""
        return {_host(parts[1]) for parts in (line.split() for line in self.received) if len(parts) >= 2}


class _LoggingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:
        self.requests.append(self.requestline)


@contextlib.contextmanager
def serve_directory(directory: str | os.PathLike[str]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``directory`` over HTTP on loopback; yield the base URL and the list every request line lands in."""
    requests: list[str] = []
    handler = type("Handler", (_LoggingHandler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(handler, directory=os.fspath(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


# ---------------------------------------------------------------------------------------------------------
@dataclass
class Visit:
    url: str
    dom: str
    console: list[str]
    """Console messages (CSP violations among them), from Chromium's log on stderr."""
    requests: list[Request]
    """Every URL request in the NetLog: the page's own, the navigation, and the browser's background traffic."""
    proxied: list[str]
    """First lines of what reached the dead-end proxy."""
    stderr: str

    def page_requests(self) -> list[Request]:
        """Requests the page itself made: those whose initiator is an origin (the page's, or "null" for file:)."""
        return [r for r in self.requests if r.initiator not in (None, "not an origin")]

    def browser_hosts(self) -> set[str]:
        """Hosts of the requests the browser made on its own (no initiator): updates, sign-in, the navigation."""
        return {_host(r.url) for r in self.requests if r.initiator in (None, "not an origin")}

    def unexplained_proxy_hosts(self) -> set[str]:
        """Hosts that reached the proxy and that none of the browser's own requests account for.

        Connections a page opens without a URL request, which CSP does not govern (``<link rel="preconnect">``),
        land here: the proxy sees them, the NetLog has no request for them.
        """
        return ProxyTrap(received=self.proxied).hosts() - self.browser_hosts()


def _host(url: str) -> str:
    rest = url.split("://", 1)[1] if "://" in url else url
    return rest.split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]


def _read_netlog(path: Path) -> list[Request]:
    if not path.exists():
        raise AssertionError(f"Chromium wrote no NetLog at {path}")
    raw = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:  # a log cut short: close the event list by hand
        data = json.loads(raw.rstrip().rstrip(",") + "]}")
    names = {v: k for k, v in data["constants"]["logEventTypes"].items()}
    out = []
    for event in data.get("events", []):
        if names.get(event.get("type")) != "URL_REQUEST_START_JOB":
            continue
        params = event.get("params") or {}
        if "url" not in params:  # the end of a job: its start carried the URL
            continue
        out.append(Request(url=params.get("url", ""), method=params.get("method", ""),
                           initiator=params.get("initiator")))
    return out


def visit(path_or_url: str | os.PathLike[str], *, screenshot_to: str | os.PathLike[str] | None = None,
          window: tuple[int, int] = (1280, 1600), extra: tuple[str, ...] = (),
          timeout: float = TIMEOUT) -> Visit:
    """Open a page in a fresh headless Chromium; return its DOM (or take a screenshot), console and requests."""
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("Chromium not found: apt-get install -y chromium, or set JOURNAL_FUZZ_CHROMIUM")
    url = url_of(path_or_url)
    with tempfile.TemporaryDirectory(prefix="journal_fuzz-chromium-") as tmp, ProxyTrap() as trap:
        netlog = Path(tmp) / "netlog.json"
        action = [f"--screenshot={os.fspath(screenshot_to)}"] if screenshot_to else ["--dump-dom"]
        cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", f"--window-size={window[0]},{window[1]}",
               f"--proxy-server={trap.url}", f"--log-net-log={netlog}",
               "--enable-logging=stderr", "--v=0", *extra, *action, url]
        stdout, stderr, returncode = _run(cmd, timeout)
        if returncode != 0:
            raise RuntimeError(f"Chromium exited with {returncode}: {stderr[-2000:]}")
        if screenshot_to and not Path(screenshot_to).exists():
            raise RuntimeError(f"Chromium wrote no screenshot: {stderr[-2000:]}")
        requests = _read_netlog(netlog)
    console = [line for line in stderr.splitlines() if ":CONSOLE" in line]
    return Visit(url=url, dom=stdout, console=console, requests=requests, proxied=list(trap.received), stderr=stderr)


def _run(cmd: list[str], timeout: float) -> tuple[str, str, int]:
    """Run Chromium in its own process group; one that hangs is killed with all its children (that group only)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                            errors="replace", start_new_session=True, env={**os.environ, "LANG": "C.UTF-8"})
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RuntimeError(f"Chromium did not finish within {timeout:.0f} s: {' '.join(cmd)}") from None
    return stdout, stderr, proc.returncode


def dump_dom(path_or_url: str | os.PathLike[str]) -> str:
    """The DOM Chromium builds from the page, serialised (``--dump-dom``)."""
    return visit(path_or_url).dom


def screenshot(path_or_url: str | os.PathLike[str], png_path: str | os.PathLike[str], *,
               window: tuple[int, int] = (1280, 1600)) -> Path:
    """A PNG of the page's first ``window`` pixels (``--screenshot``); return its path."""
    visit(path_or_url, screenshot_to=png_path, window=window)
    return Path(png_path)


# ---------------------------------------------------------------------------------------------------------
@dataclass
class Png:
    width: int
    height: int
    rows: list[bytes]
    """One ``bytes`` of R, G, B per pixel per row (alpha dropped)."""

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        row = self.rows[y]
        return row[3 * x], row[3 * x + 1], row[3 * x + 2]


def _paeth(row: bytearray, prev: bytes, bpp: int) -> None:
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF


def read_png(path: str | os.PathLike[str]) -> Png:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG with zlib alone."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat = 8, []
    width = height = color = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _comp, _filt, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG: depth {depth}, colour type {color}, interlace {interlace}")
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    prev = bytes(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        row = bytearray(raw[start + 1:start + 1 + stride])
        if ftype == 1:  # Sub
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif ftype == 2:  # Up
            row = bytearray((x + p) & 0xFF for x, p in zip(row, prev, strict=True))
        elif ftype == 3:  # Average
            for i in range(stride):
                row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 0xFF
        elif ftype == 4:
            _paeth(row, prev, bpp)
        elif ftype != 0:
            raise ValueError(f"bad PNG filter type {ftype} in row {y}")
        prev = bytes(row)
        if bpp == 4:
            del row[3::4]
        rows.append(bytes(row))
    return Png(width, height, rows)
