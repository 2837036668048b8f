"""The web adapter: recipes as data, a real Chromium typing and pasting into the test application's plain textarea,
and every way a system can fail (wrong selector, unreachable page, failed login, a save that never completes, a
timeout) as a system error with one line, never a pass. Login secrets never appear in an error.

The browser tests use Debian's Chromium through Playwright and the application in tests/webapp_server.py; they
skip with the reason when Chromium, Playwright or the npm packages are missing, and fail instead when ``CI`` is
set (.ci/run installs them).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import journal_fuzz as jf
import webapp_server
from journal_fuzz.adapters.base import AdapterConfig, AdapterError, SystemUnderTestError, adapter_for
from journal_fuzz.adapters.web import WebAdapter, html_text, load_recipe
from journal_fuzz.battery import properties_for
from journal_fuzz.exchange import TextPayload, send
from journal_fuzz.notes import Note
from web_helpers import PASSWORD_ENV, USER_ENV, need_browser_and_editors, recipe

SECRET = "s3cret-Lösen!ord"


# -- recipes: data a tester writes, checked before anything runs ----------------------------------------------
def _write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "r.toml"
    path.write_text(body, encoding="utf-8")
    return str(path)


MINIMAL = 'url = "http://127.0.0.1:9/new"\neditor = "#e"\n[save]\nclick = "#s"\n[view]\nselector = "#v"\n'


def test_minimal_recipe_reads_with_defaults(tmp_path: Path) -> None:
    r = load_recipe(_write(tmp_path, MINIMAL))
    assert (r.inputs, r.reads, r.editor, r.save_click, r.view) == (("type",), ("view",), "#e", "#s", "#v")
    assert r.login is None and r.type_limit == 2000


@pytest.mark.parametrize(("body", "says"), [
    ('editor = "#e"\n[save]\nclick = "#s"\n[view]\nselector = "#v"\n', "url is required"),
    (MINIMAL.replace('editor = "#e"\n', 'editor = "#e"\ninput = "dictate"\n'), "is not one of type, paste"),
    (MINIMAL.replace('editor = "#e"\n', 'editor = "#e"\ninput = ["type", "speak"]\n'), "'speak' is not one of"),
    (MINIMAL.replace('[save]\nclick = "#s"\n', "[save]\n"), "[save] needs click"),
    (MINIMAL.replace('[view]\nselector = "#v"\n', ""), "say where to read the note back"),
    (MINIMAL.replace('editor = "#e"\n', 'editor = "#e"\nread = "api"\n'), "no [api] table"),
    (MINIMAL.replace('editor = "#e"\n', 'editor = "#e"\ncolour = "red"\n'), "unknown key 'colour'"),
    (MINIMAL + 'colour = "red"\n', "unknown key [view] 'colour'"),
    (MINIMAL.replace('click = "#s"', 'click = "#s"\nid_from_url = "/notes/[0-9]+"'), "needs a group"),
    (MINIMAL + '[login]\nurl = "http://x/login"\n', "[login] username is required"),
    ("url = [", "not valid TOML"),
])
def test_a_bad_recipe_is_one_line_naming_the_key(tmp_path: Path, body: str, says: str) -> None:
    with pytest.raises(AdapterError) as err:
        load_recipe(_write(tmp_path, body))
    assert says in str(err.value) and "\n" not in str(err.value)


def test_a_missing_recipe_or_credential_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AdapterError, match="web recipe not found"):
        adapter_for(f"web:{tmp_path / 'nope.toml'}")
    with pytest.raises(AdapterError, match="needs a recipe"):
        adapter_for("web:")
    login = (MINIMAL + '[login]\nurl = "http://x/login"\nusername = "#u"\npassword = "#p"\nsubmit = "#b"\n'
             f'success = "#ok"\nusername_env = "{USER_ENV}"\npassword_env = "{PASSWORD_ENV}"\n')
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.setenv(USER_ENV, "doktor")
    with pytest.raises(AdapterError, match=f"environment variable {PASSWORD_ENV} .* is not set"):
        adapter_for(f"web:{_write(tmp_path, login)}")


def test_variants_are_the_input_and_read_methods_named(tmp_path: Path) -> None:
    both = _write(tmp_path, MINIMAL.replace('editor = "#e"\n', 'editor = "#e"\ninput = ["type", "paste"]\n'))
    adapter = adapter_for(f"web:{both}")
    assert adapter.variants() == ("type", "paste")
    names = [p.name for p in properties_for(adapter, ["negations"])]
    assert names == ["negations.type", "negations.paste"]
    assert [p.name for p in properties_for(adapter, ["negations.paste"])] == ["negations.paste"]
    paste = adapter.variant_for("negations.paste")
    assert isinstance(paste, WebAdapter) and paste.software()["input"] == "paste"
    assert adapter.variant_for("negations") is adapter
    assert adapter_for(f"web:{both}?input=paste").variants() == ()
    with pytest.raises(ValueError, match="unknown properties"):
        properties_for(adapter, ["negations.dictate"])
    one = adapter_for(f"web:{_write(tmp_path, MINIMAL)}")
    assert one.variants() == () and [p.name for p in properties_for(one, ["negations"])] == ["negations"]


def test_stored_html_is_read_as_a_reader_sees_it() -> None:
    # List markers are shown on screen, so they are part of the text; struck-through words read as withdrawn.
    assert html_text("<ol><li>Ingen fraktur.</li><li><p>Ingen luxation.</p></li></ol>") == (
        "1. Ingen fraktur.\n2. Ingen luxation.")
    assert html_text('<ol start="3"><li>Ingen feber.</li></ol><ul><li>Ingen hosta.</li></ul>') == (
        "3. Ingen feber.\n• Ingen hosta.")
    assert html_text("<p>Fraktur <s>ej</s> påvisad.</p>") == "Fraktur  påvisad."
    assert html_text("<p>Ingen<br>fraktur</p><blockquote><p>38,5</p></blockquote>") == "Ingen\nfraktur\n38,5"
    assert html_text("") == ""


# -- the real browser ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def webapp() -> Iterator[webapp_server.WebApp]:
    need_browser_and_editors()
    with webapp_server.WebApp(credentials=("doktor", SECRET)) as app:
        yield app


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(USER_ENV, "doktor")
    monkeypatch.setenv(PASSWORD_ENV, SECRET)


@pytest.fixture(scope="module")
def textarea(webapp: webapp_server.WebApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebAdapter]:
    os.environ[USER_ENV], os.environ[PASSWORD_ENV] = "doktor", SECRET
    try:
        path = recipe(tmp_path_factory.mktemp("web"), webapp.url, "textarea", inputs=("type", "paste"),
                      reads=("view", "api"), login=True)
        adapter = adapter_for(f"web:{path}", AdapterConfig(timeout=60))
        assert isinstance(adapter, WebAdapter)
        with adapter:
            yield adapter
    finally:
        os.environ.pop(USER_ENV, None)
        os.environ.pop(PASSWORD_ENV, None)


HOSTILE = ("Anamnes: Ingen feber sedan i går.\n- Inga frossbrytningar.\n> 38,5 grader, CRP <= 5 mg/l, Hb -> 120.\r\n"
           "Waran 1/2 tablett -- ej  två  mellanslag.\tFlik.\rGammal radbrytning. 50 µg (c) \"citat\" *kursiv*"
           " ~~ej~~ Höger\u00a0sida, zero\u200bwidth, mjuk\u00adbindestreck, e\u0301, 😀 <b>ej</b> | ^ ~ \\ &.")


@pytest.mark.parametrize("variant", ["type.view", "type.api", "paste.view", "paste.api"])
def test_the_textarea_keeps_every_character_typed_or_pasted(textarea: WebAdapter, variant: str) -> None:
    # A faithful editor: what comes back is exactly what went in (the browser turns CR and CRLF into LF).
    adapter = textarea.variant(variant)
    got = adapter.roundtrip_text(HOSTILE, uid="jf-textarea-1")
    assert got == HOSTILE.replace("\r\n", "\n").replace("\r", "\n")
    assert jf.compare(HOSTILE, got, language="sv").findings == []


def test_the_textarea_types_past_the_type_limit_and_keeps_the_end(textarea: WebAdapter) -> None:
    # Past type_limit the rest is entered a line at a time: a critical word at the end still comes back.
    text = "Status: " + "ingen hosta, " * 200 + "\nFri gas ses ej."
    got = textarea.variant("type.api").roundtrip_text(text, uid="jf-long")
    assert got == text and len(text) > textarea.recipe.type_limit


def test_names_the_browser_editor_and_methods(textarea: WebAdapter) -> None:
    sw = textarea.software()
    assert sw["browser"].startswith("Chromium ") and sw["input"] == "type, paste" and sw["read"] == "view, api"
    assert textarea.variant("paste.api").software()["input"] == "paste"
    assert "textarea" in textarea.describe() and SECRET not in textarea.describe()


def test_concurrent_pages_keep_each_note_apart(textarea: WebAdapter, webapp: webapp_server.WebApp) -> None:
    # Eight pages at once, half pasting: the one clipboard is shared, so a race would cross records.
    from concurrent.futures import ThreadPoolExecutor

    notes = [f"Patient {i}: ingen feber, CRP {i},5 mg/l." for i in range(8)]
    variants = ["paste.view", "type.view"] * 4
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda k: textarea.variant(variants[k]).roundtrip_text(notes[k], uid=f"jf-c{k}"),
                            range(8)))
    assert got == notes
    assert {webapp.by_title(f"jf-c{k}").body for k in range(8)} == set(notes)  # type: ignore[union-attr]


def test_a_failing_exchange_carries_a_screenshot_of_the_editor(textarea: WebAdapter, tmp_path: Path) -> None:
    from journal_fuzz.cases import Case, load_case

    class Lossy(WebAdapter):
        """The real textarea round trip, then a lost 'ej' (a loss the oracle must see)."""

        def roundtrip_text(self, text: str, *, uid: str) -> str:
            return super().roundtrip_text(text, uid=uid).replace(" ej", "")

    lossy = Lossy(textarea.spec + "?input=paste&read=view", textarea.config, _parent=textarea,
                  _method=("paste", "view"))
    exchange = send(lossy, TextPayload(Note("Fri gas ses ej.", "sv")))
    assert not exchange.ok
    png = exchange.extra["attachments"]["editor.png"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    path = Case.from_exchange(exchange, prop="negations.paste", target=textarea.spec).save(tmp_path)
    case = load_case(path)
    assert case.files == [f"{path.stem}.editor.png"]
    assert (tmp_path / case.files[0]).read_bytes() == png
    kept = send(textarea.variant("paste.view"), TextPayload(Note("Fri gas ses ej.", "sv")))
    assert kept.ok and "attachments" not in kept.extra  # nothing kept for a note that came back whole


# -- system errors: one line, never a pass -----------------------------------------------------------------------
def _start_error(path: Path, timeout: float = 10) -> SystemUnderTestError:
    adapter = adapter_for(f"web:{path}", AdapterConfig(timeout=timeout))
    with pytest.raises(SystemUnderTestError) as err:
        adapter.start()
    adapter.stop()
    assert "\n" not in str(err.value)
    return err.value


def test_a_wrong_editor_selector_is_a_system_error(webapp: webapp_server.WebApp, tmp_path: Path,
                                                   signed_in: None) -> None:
    err = _start_error(recipe(tmp_path, webapp.url, "textarea", editor="#no-such-editor", login=True), timeout=8)
    assert "editor '#no-such-editor' matches nothing visible" in str(err) and err.cause == "protocol"


def test_an_unreachable_page_is_a_system_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    need_browser_and_editors()
    err = _start_error(recipe(tmp_path, f"http://127.0.0.1:{port}", "textarea"))
    assert err.cause == "unreachable" and "ERR_CONNECTION_REFUSED" in str(err)


def test_a_missing_page_is_a_system_error(webapp: webapp_server.WebApp, tmp_path: Path, signed_in: None) -> None:
    err = _start_error(recipe(tmp_path, webapp.url, "textarea", url=webapp.url + "/nothing/new", login=True))
    assert err.cause == "http-4xx" and "answered HTTP 404" in str(err)


def test_a_failed_login_is_a_system_error_that_never_shows_the_password(
        webapp: webapp_server.WebApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(USER_ENV, "doktor")
    monkeypatch.setenv(PASSWORD_ENV, SECRET + "-wrong")
    err = _start_error(recipe(tmp_path, webapp.url, "textarea", login=True), timeout=8)
    assert err.cause == "rejected" and "login failed" in str(err) and f"${USER_ENV}" in str(err)
    assert "Fel användarnamn eller lösenord" in str(err)
    assert SECRET not in str(err) and "doktor" not in str(err)


def test_no_login_where_one_is_needed_is_a_system_error(webapp: webapp_server.WebApp, tmp_path: Path) -> None:
    err = _start_error(recipe(tmp_path, webapp.url, "textarea"), timeout=8)
    assert err.cause == "rejected" and "login page" in str(err)


def test_a_save_that_never_completes_is_a_system_error(webapp: webapp_server.WebApp, tmp_path: Path,
                                                       signed_in: None) -> None:
    path = recipe(tmp_path, webapp.url, "textarea", login=True)
    path.write_text(path.read_text(encoding="utf-8").replace('wait_for = "#saved"', 'wait_for = "#never"'),
                    encoding="utf-8")
    with (adapter_for(f"web:{path}", AdapterConfig(timeout=8)) as adapter,
          pytest.raises(SystemUnderTestError, match="the note was not saved: #never did not appear")):
        adapter.roundtrip_text("Ingen feber.", uid="jf-nosave")


def test_the_timeout_is_honoured(webapp: webapp_server.WebApp, tmp_path: Path, signed_in: None) -> None:
    # Fault injection: the save endpoint stalls; the round trip gives up after the configured timeout.
    path = recipe(tmp_path, webapp.url, "textarea", login=True)
    timeout = 8.0
    with adapter_for(f"web:{path}", AdapterConfig(timeout=timeout)) as adapter:
        webapp.stall_saves = 120.0
        try:
            started = time.monotonic()
            with pytest.raises(SystemUnderTestError) as err:
                adapter.roundtrip_text("Ingen feber.", uid="jf-stall")
            elapsed = time.monotonic() - started
            assert err.value.cause == "timeout" and f"within {timeout:g} s" in str(err.value)
            assert timeout <= elapsed < timeout * 1.25 + 1 + 5  # each step the timeout, the whole a quarter more
        finally:
            webapp.stall_saves = 0.0
        assert adapter.roundtrip_text("Ingen feber.", uid="jf-after") == "Ingen feber."  # and works on after it


def test_the_core_install_does_not_import_the_browser_driver() -> None:
    import subprocess
    import sys

    code = ("import sys, journal_fuzz, journal_fuzz.plugin, journal_fuzz.cli\n"
            "from journal_fuzz.adapters.base import adapter_for\n"
            "adapter_for('cmd:cat')\n"
            "print(sorted(m for m in sys.modules if m.startswith(('playwright', 'journal_fuzz.adapters.web'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
