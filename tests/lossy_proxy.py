"""A lossy integration on loopback: an HTTP proxy that deletes words from every request body it forwards.

It stands for the engine between an EHR and its store that "cleans" text with a stop-word list (Swedish stop-word
lists contain *inte, ej, ingen, nej*): each string value of a JSON body, and each ``value`` attribute and text node
of an XML body, loses the listed words (whole words, any case) and the space after them. Responses pass through
unchanged. Request paths are kept as they are; only scheme, host and port of ``--upstream`` are used.

Use it from tests (``LossyProxy(upstream, drop).start()``) or run it as a process in CI::

    python tests/lossy_proxy.py --upstream http://127.0.0.1:8090/fhir --port 8091 --drop ej,inte,ingen

and point journal_fuzz at ``fhir+http://127.0.0.1:8091/fhir``: the run must fail with negation-dropped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lxml import etree

__all__ = ["LossyProxy", "drop_words", "main"]

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
                        "transfer-encoding", "upgrade", "host", "content-length"})


def drop_words(text: str, words: Sequence[str]) -> str:
    """``text`` without ``words`` (whole words, any case) and the blank that followed each."""
    if not words:
        return text
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)[ \t]?"
    return re.sub(pattern, "", text, flags=re.IGNORECASE)


def _strip_json(value: Any, words: Sequence[str]) -> Any:
    if isinstance(value, str):
        return drop_words(value, words)
    if isinstance(value, list):
        return [_strip_json(v, words) for v in value]
    if isinstance(value, dict):
        return {k: _strip_json(v, words) for k, v in value.items()}
    return value


def _strip_xml(body: bytes, words: Sequence[str]) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(body, parser=parser)
    for el in root.iter():
        if isinstance(el.tag, str) and "value" in el.attrib:
            el.set("value", drop_words(el.get("value", ""), words))
        if el.text:
            el.text = drop_words(el.text, words)
        if el.tail:
            el.tail = drop_words(el.tail, words)
    out: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


def degrade(body: bytes, content_type: str, words: Sequence[str]) -> bytes:
    """The body as the lossy integration passes it on (unchanged when it is neither JSON nor XML)."""
    if not body or not words:
        return body
    try:
        if "json" in content_type:
            return json.dumps(_strip_json(json.loads(body), words), ensure_ascii=False).encode("utf-8")
        if "xml" in content_type:
            return _strip_xml(body, words)
    except (ValueError, etree.XMLSyntaxError):
        return body
    return body


class _Handler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        body = degrade(body, content_type, self.server.words)
        if self.server.rewrite is not None and body:
            body = self.server.rewrite(body, content_type)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        up = self.server.upstream
        conn_cls = http.client.HTTPSConnection if up.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(up.hostname or "127.0.0.1", up.port or (443 if up.scheme == "https" else 80), timeout=60)
        try:
            conn.request(self.command, self.path, body=body if body or length else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status, reason, out_headers = resp.status, resp.reason, resp.getheaders()
        except OSError as err:
            data = f"lossy proxy: upstream failed: {err}".encode()
            status, reason, out_headers = 502, "Bad Gateway", [("Content-Type", "text/plain")]
        finally:
            conn.close()
        self.send_response(status, reason)
        for key, value in out_headers:
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], upstream: str, words: Sequence[str], verbose: bool,
                 rewrite: Callable[[bytes, str], bytes] | None = None) -> None:
        super().__init__(address, _Handler)
        self.rewrite = rewrite
        self.upstream = urllib.parse.urlsplit(upstream)
        self.words = tuple(words)
        self.verbose = verbose


class LossyProxy:
    """The proxy on a loopback port, in a background thread."""

    def __init__(self, upstream: str, words: Sequence[str] = ("ej", "inte", "ingen"), *, host: str = "127.0.0.1",
                 port: int = 0, verbose: bool = False, rewrite: Callable[[bytes, str], bytes] | None = None) -> None:
        """``rewrite(body, content_type)``, when given, changes each request body after the words are dropped."""
        self.host = host
        self.server = _ProxyServer((host, port), upstream, words, verbose, rewrite)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="lossy-proxy", daemon=True)

    @property
    def port(self) -> int:
        port: int = self.server.server_address[1]
        return port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LossyProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LossyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--upstream", required=True, help="where to forward (scheme://host:port; paths are kept)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on the first line)")
    parser.add_argument("--drop", default="ej,inte,ingen", help="comma-separated words to delete")
    parser.add_argument("--verbose", action="store_true", help="log each request")
    args = parser.parse_args(argv)
    words = [w.strip() for w in args.drop.split(",") if w.strip()]
    proxy = LossyProxy(args.upstream, words, host=args.host, port=args.port, verbose=args.verbose)
    print(f"lossy proxy on {proxy.url} -> {args.upstream} dropping {','.join(words)}", flush=True)
    try:
        proxy.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
