"""A small journal web application on loopback: editor pages, a save endpoint, a view page and an API.

It stands for an EHR's note editor in the web adapter's tests. Each editor page (``/textarea/new``,
``/ckeditor/new``, ``/quill/new``, ``/prosemirror/new``) has a title field, the editor and a save button; saving
POSTs what the editor stores (plain text for the textarea, the editor's HTML for the rich-text editors) to
``/api/notes`` and opens the view page ``/notes/<id>``, which shows the note as the system would (text in a
``pre-wrap`` block, HTML as it is). ``/api/notes/<id>`` returns the stored note as JSON. With ``credentials`` set,
every page but ``/login`` and the static files needs the session cookie a successful login sets.

The rich-text editors are the real npm packages installed under ``tests/webapps/node_modules`` (``npm ci`` there),
served from this server; no page loads anything from elsewhere.
"""

from __future__ import annotations

import html
import http.server
import json
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent / "webapps"
NODE_MODULES = ROOT / "node_modules"
APPS = ("textarea", "ckeditor", "quill", "prosemirror")
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".map": "application/json", ".json": "application/json"}

LOGIN_PAGE = """<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Logga in</title></head><body>
<h1>Logga in</h1>{error}<form method="post" action="/login?next={next}">
<label>Användarnamn <input id="username" name="username"></label>
<label>Lösenord <input id="password" name="password" type="password"></label>
<button id="login" type="submit">Logga in</button></form></body></html>"""


def installed() -> bool:
    """Whether ``npm ci`` has been run in tests/webapps."""
    return (NODE_MODULES / "ckeditor5" / "package.json").exists()


def package_version(name: str) -> str:
    return str(json.loads((NODE_MODULES / name / "package.json").read_text(encoding="utf-8"))["version"])


@dataclass
class Note:
    id: str
    app: str
    format: str
    body: str
    title: str


@dataclass
class WebApp:
    """The application, on a free loopback port while in a ``with`` block."""

    credentials: tuple[str, str] | None = None
    host: str = "127.0.0.1"
    port: int = 0
    notes: dict[str, Note] = field(default_factory=dict)
    sessions: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)
    """User names of every login attempt (never the password)."""
    requests: list[str] = field(default_factory=list)
    stall_saves: float = 0.0
    """Fault injection: seconds the save endpoint waits before answering."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: http.server.ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> WebApp:
        app = self

        class Handler(_Handler):
            webapp = app

        self._server = http.server.ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def save(self, app: str, fmt: str, body: str, title: str) -> Note:
        with self._lock:
            note = Note(str(len(self.notes) + 1), app, fmt, body, title)
            self.notes[note.id] = note
        return note

    def by_title(self, title: str) -> Note | None:
        with self._lock:
            return next((n for n in self.notes.values() if n.title == title), None)


class _Handler(http.server.BaseHTTPRequestHandler):
    webapp: WebApp
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        self.webapp.requests.append(self.requestline)

    # -- plumbing ------------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes | str, content_type: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = {"Cache-Control": "no-store", **(headers or {})}
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _signed_in(self) -> bool:
        if self.webapp.credentials is None:
            return True
        cookies = dict(part.strip().split("=", 1) for part in (self.headers.get("Cookie") or "").split(";")
                       if "=" in part)
        return cookies.get("sid") in self.webapp.sessions

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    # -- routes --------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path.startswith("/static/") or path.startswith("/node_modules/"):
            return self._static(path)
        if path == "/login":
            nxt = urllib.parse.parse_qs(query).get("next", ["/"])[0]
            return self._send(200, LOGIN_PAGE.format(error="", next=urllib.parse.quote(nxt)))
        if not self._signed_in():
            return self._send(302, "", headers={"Location": "/login?next=" + urllib.parse.quote(self.path)})
        if path == "/":
            return self._send(200, '<p id="signed-in">Inloggad</p>')
        if m := re.fullmatch(r"/([a-z]+)/new", path):
            return self._editor(m.group(1))
        if m := re.fullmatch(r"/notes/([0-9]+)", path):
            return self._view(m.group(1))
        if m := re.fullmatch(r"/api/notes/([0-9]+)", path):
            note = self.webapp.notes.get(m.group(1))
            if note is None:
                return self._send(404, '{"error": "not found"}', "application/json")
            return self._send(200, json.dumps({"id": note.id, "app": note.app, "format": note.format,
                                               "title": note.title, "body": note.body}, ensure_ascii=False),
                              "application/json; charset=utf-8")
        return self._send(404, "<p>Sidan finns inte</p>")

    def do_POST(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/login":
            form = urllib.parse.parse_qs(self._body().decode("utf-8"))
            user = form.get("username", [""])[0]
            password = form.get("password", [""])[0]
            self.webapp.logins.append(user)
            nxt = urllib.parse.parse_qs(query).get("next", ["/"])[0]
            if self.webapp.credentials is not None and (user, password) == self.webapp.credentials:
                sid = secrets.token_hex(16)
                self.webapp.sessions.add(sid)
                return self._send(303, "", headers={"Location": nxt or "/", "Set-Cookie": f"sid={sid}; Path=/"})
            error = '<p id="error">Fel användarnamn eller lösenord</p>'
            return self._send(401, LOGIN_PAGE.format(error=error, next=urllib.parse.quote(nxt)))
        if not self._signed_in():
            return self._send(401, '{"error": "not signed in"}', "application/json")
        if path == "/api/notes":
            data = json.loads(self._body().decode("utf-8"))
            if self.webapp.stall_saves:
                time.sleep(self.webapp.stall_saves)
            note = self.webapp.save(str(data["app"]), str(data["format"]), str(data["body"]), str(data["title"]))
            return self._send(201, json.dumps({"id": note.id}), "application/json")
        return self._send(404, "{}", "application/json")

    def _static(self, path: str) -> None:
        base = ROOT / "static" if path.startswith("/static/") else NODE_MODULES
        rel = urllib.parse.unquote(path.split("/", 2)[2])
        target = (base / rel).resolve()
        if not target.is_relative_to(base.resolve()) or not target.is_file():
            return self._send(404, "not found", "text/plain")
        # The editors' scripts are cached, as a browser caches an EHR's: each note opens a fresh editor page.
        return self._send(200, target.read_bytes(), _TYPES.get(target.suffix, "application/octet-stream"),
                          {"Cache-Control": "max-age=3600"})

    def _editor(self, app: str) -> None:
        page = ROOT / "static" / f"{app}.html"
        if app not in APPS or not page.exists():
            return self._send(404, "<p>Sidan finns inte</p>")
        text = page.read_text(encoding="utf-8")
        if app == "prosemirror":
            version = f"ProseMirror (prosemirror-view {package_version('prosemirror-view')})"
            text = text.replace("<head>", f'<head><meta name="editor-version" content="{version}">', 1)
        return self._send(200, text)

    def _view(self, note_id: str) -> None:
        note = self.webapp.notes.get(note_id)
        if note is None:
            return self._send(404, "<p>Anteckningen finns inte</p>")
        shown = (f'<div id="note" style="white-space: pre-wrap">{html.escape(note.body)}</div>'
                 if note.format == "text" else f'<div id="note">{note.body}</div>')
        return self._send(200, f'<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Anteckning '
                               f'{note.id}</title></head><body><h1>{html.escape(note.title)}</h1>{shown}'
                               f'<p id="saved">Sparad</p></body></html>')


def main() -> None:
    """``python tests/webapp_server.py [--port N] [--seconds S]``: serve the application for a manual run."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=3600, help="stop after this long (default an hour)")
    args = parser.parse_args()
    with WebApp(port=args.port) as app:
        print(app.url, flush=True)
        time.sleep(args.seconds)


if __name__ == "__main__":
    main()
