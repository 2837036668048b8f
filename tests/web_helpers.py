"""Recipes for the test web application (tests/webapp_server.py), written as a tester would write them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import webapp_server

EDITORS = {
    # app: (editor selector, JS naming the editor version)
    "textarea": ("#editor", None),
    "ckeditor": (".ck-editor__editable", "window.editorVersion"),
    "quill": (".ql-editor", "window.editorVersion"),
    "prosemirror": (".ProseMirror", "window.editorVersion"),
}
USER_ENV, PASSWORD_ENV = "JF_TEST_EHR_USER", "JF_TEST_EHR_PASSWORD"


def need_browser_and_editors() -> None:
    """Skip with the reason when Chromium, Playwright or the npm editors are missing; in CI, fail instead."""
    import os

    missing = []
    if shutil.which("chromium") is None:
        missing.append("Chromium (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("Playwright (pip install 'journal_fuzz[web]')")
    if not webapp_server.installed():
        missing.append("the npm editors (node and npm, then: npm ci --prefix tests/webapps)"
                       if shutil.which("npm") else "node and npm (for the editors in tests/webapps)")
    if missing:
        message = "web adapter tests need " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + " (CI installs them: .ci/run)")
        pytest.skip(message)


def recipe(tmp_path: Path, base: str, app: str, *, inputs: tuple[str, ...] = ("type",),
           reads: tuple[str, ...] = ("view",), login: bool = False, editor: str | None = None,
           url: str | None = None, extra: str = "", name: str | None = None) -> Path:
    selector, version = EDITORS[app]
    lines = [
        f'url = "{url or base + "/" + app + "/new"}"',
        f'editor = "{editor or selector}"',
        'ready = "window.editorReady === true"',
        f"input = {list(inputs)!r}".replace("'", '"'),
        f"read = {list(reads)!r}".replace("'", '"'),
    ]
    if version:
        lines.append(f'editor_version = "{version}"')
    lines += [extra, "", "[fields]", '"#title" = "{uid}"', "",
              "[save]", 'click = "#save"', 'wait_for = "#saved"', 'id_from_url = "/notes/([0-9]+)"', "",
              "[view]", 'selector = "#note"', "",
              "[api]", f'url = "{base}/api/notes/{{id}}"', 'field = "body"',
              f'format = "{"text" if app == "textarea" else "html"}"']
    if login:
        lines += ["", "[login]", f'url = "{base}/login"', 'username = "#username"', 'password = "#password"',
                  'submit = "#login"', 'success = "#signed-in"', 'error = "#error"',
                  f'username_env = "{USER_ENV}"', f'password_env = "{PASSWORD_ENV}"']
    path = tmp_path / (name or f"{app}.toml")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
