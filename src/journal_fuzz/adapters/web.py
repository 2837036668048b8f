"""``web:RECIPE.toml``: a real Chromium types (or pastes) each note into the system's own editor, saves it and reads
back what the system shows.

Clinicians write in a browser: words can be lost in the editor itself (autoformat turns a leading ``> `` into a
blockquote, text transformation turns ``<=`` into ``≤``, a paste handler drops tabs) before any interface sees
them. The recipe is data a tester writes for their system: which page, how to log in, which element is the editor,
how to enter the note (``type``: real key events; ``paste``: the clipboard and Ctrl+V, as dictation software
does), how to save, and where to read back (``view``: the rendered text of an element, list markers included, as a
clinician sees it; ``api``: the stored HTML or text through the system's own API, HTML read by the same extractor
as FHIR attachments). A recipe naming several input or read methods gives one battery item per combination
(:meth:`WebAdapter.variants`: ``negations.paste-sv``).

The browser is Debian's Chromium (``/usr/bin/chromium``, or ``browser`` in the recipe, or
``$JOURNAL_FUZZ_CHROMIUM``) driven by Playwright on its own thread and event loop; each concurrent payload gets
its own page (a browser context signed in with the state of one login), up to ``pages``. The clipboard is one per
browser, so pastes take turns. Login credentials come from environment variables the recipe names; they are
typed into the login form and never printed or saved (errors name the variable, not its value).

A page that cannot be opened, a selector that matches nothing, a failed login or a save that never completes is a
:class:`~journal_fuzz.adapters.base.SystemUnderTestError` with one line naming the recipe key, never a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import shutil
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from journal_fuzz.adapters.base import Adapter, AdapterConfig, AdapterError, SystemUnderTestError
from journal_fuzz.constants import TEXT, Carrier

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright

__all__ = ["INPUTS", "READS", "Login", "Recipe", "WebAdapter", "html_text", "load_recipe"]

INPUTS = ("type", "paste")
READS = ("view", "api")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage")
"""Debian Chromium as root on a machine whose network ends at the registries: no sandbox, no background traffic."""
_SCREENSHOTS_KEPT = 64
T = TypeVar("T")


# -- the recipe ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Login:
    url: str
    username: str
    password: str
    submit: str
    success: str
    username_env: str
    password_env: str
    error: str | None = None


@dataclass(frozen=True)
class Recipe:
    """How to write one note in the system's editor and read it back (``load_recipe`` reads it from TOML)."""

    path: str
    url: str
    editor: str
    inputs: tuple[str, ...] = ("type",)
    reads: tuple[str, ...] = ("view",)
    ready: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    save_click: str | None = None
    save_press: str | None = None
    save_wait: str | None = None
    id_from_url: str | None = None
    view: str | None = None
    view_url: str | None = None
    api: str | None = None
    api_field: str | None = None
    api_format: str = "html"
    login: Login | None = None
    editor_version: str | None = None
    browser: str | None = None
    pages: int = 16
    screenshots: bool = True
    viewport: tuple[int, int] = (1000, 800)
    type_limit: int = 2000
    """Characters typed key by key; the rest of a longer note is entered a line at a time (0: no limit)."""


_KEYS = {
    "": {"url", "editor", "ready", "input", "read", "pages", "browser", "screenshots", "viewport", "fields",
         "login", "save", "view", "api", "editor_version", "type_limit"},
    "login": {"url", "username", "password", "submit", "success", "error", "username_env", "password_env"},
    "save": {"click", "press", "wait_for", "id_from_url"},
    "view": {"selector", "url"},
    "api": {"url", "field", "format"},
}


def _strs(value: Any, key: str, path: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise AdapterError(f"recipe {path}: {key} must be one of {', '.join(allowed)} or a list of them")
    bad = [v for v in items if v not in allowed]
    if bad:
        raise AdapterError(f"recipe {path}: {key} {bad[0]!r} is not one of {', '.join(allowed)}")
    return tuple(dict.fromkeys(items))


def load_recipe(path: str) -> Recipe:
    """Read and check a recipe; any problem is one :class:`AdapterError` line naming the key."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AdapterError(f"web recipe not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AdapterError(f"cannot read web recipe {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AdapterError(f"web recipe {path} is not valid TOML: {exc}") from None
    for table, keys in _KEYS.items():
        section = data.get(table, {}) if table else data
        if not isinstance(section, dict):
            raise AdapterError(f"recipe {path}: [{table}] must be a table")
        if unknown := sorted(set(section) - keys):
            where = f"[{table}] " if table else ""
            raise AdapterError(f"recipe {path}: unknown key {where}{unknown[0]!r}; known: {', '.join(sorted(keys))}")

    def need(section: dict[str, Any], key: str, where: str = "") -> str:
        value = section.get(key)
        if not isinstance(value, str) or not value.strip():
            raise AdapterError(f"recipe {path}: {where}{key} is required (a string)")
        return value

    def opt(section: dict[str, Any], key: str, where: str = "") -> str | None:
        value = section.get(key)
        if value is not None and not isinstance(value, str):
            raise AdapterError(f"recipe {path}: {where}{key} must be a string")
        return value

    save, view, api = data.get("save", {}), data.get("view", {}), data.get("api", {})
    if not (save.get("click") or save.get("press")):
        raise AdapterError(f"recipe {path}: [save] needs click (a selector) or press (a key, e.g. Control+S)")
    reads_given = tuple(r for r in READS if data.get(r))
    if not reads_given:
        raise AdapterError(f"recipe {path}: say where to read the note back: [view] selector and/or [api] url")
    reads = _strs(data["read"], "read", path, READS) if "read" in data else reads_given
    for r in reads:
        if r not in reads_given:
            raise AdapterError(f"recipe {path}: read names {r!r} but the recipe has no [{r}] table")
    if "view" in reads:
        need(view, "selector", "[view] ")
    if "api" in reads:
        need(api, "url", "[api] ")
        if api.get("format", "html") not in ("html", "text"):
            raise AdapterError(f"recipe {path}: [api] format must be html or text")
    pattern = opt(save, "id_from_url", "[save] ")
    if pattern is not None:
        try:
            if re.compile(pattern).groups < 1:
                raise AdapterError(f"recipe {path}: [save] id_from_url needs a group: ( ) around the id")
        except re.error as exc:
            raise AdapterError(f"recipe {path}: [save] id_from_url is not a regular expression: {exc}") from None
    fields = data.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise AdapterError(f"recipe {path}: [fields] maps CSS selectors to strings")
    login = None
    if (lg := data.get("login")) is not None:
        login = Login(url=need(lg, "url", "[login] "), username=need(lg, "username", "[login] "),
                      password=need(lg, "password", "[login] "), submit=need(lg, "submit", "[login] "),
                      success=need(lg, "success", "[login] "), username_env=need(lg, "username_env", "[login] "),
                      password_env=need(lg, "password_env", "[login] "), error=opt(lg, "error", "[login] "))
    pages = data.get("pages", 16)
    if not isinstance(pages, int) or pages < 1:
        raise AdapterError(f"recipe {path}: pages must be a positive integer")
    type_limit = data.get("type_limit", 2000)
    if not isinstance(type_limit, int) or type_limit < 0:
        raise AdapterError(f"recipe {path}: type_limit must be a whole number of characters (0: no limit)")
    viewport = data.get("viewport", [1000, 800])
    if not (isinstance(viewport, list) and len(viewport) == 2 and all(isinstance(v, int) for v in viewport)):
        raise AdapterError(f"recipe {path}: viewport is [width, height] in pixels")
    return Recipe(
        path=path, url=need(data, "url"), editor=need(data, "editor"),
        inputs=_strs(data.get("input", "type"), "input", path, INPUTS), reads=reads, ready=opt(data, "ready"),
        fields=dict(fields), save_click=opt(save, "click", "[save] "), save_press=opt(save, "press", "[save] "),
        save_wait=opt(save, "wait_for", "[save] "), id_from_url=pattern, view=opt(view, "selector"),
        view_url=opt(view, "url"), api=opt(api, "url"), api_field=opt(api, "field"),
        api_format=api.get("format", "html"), login=login, editor_version=opt(data, "editor_version"),
        browser=opt(data, "browser"), pages=pages, screenshots=bool(data.get("screenshots", True)),
        viewport=(viewport[0], viewport[1]), type_limit=type_limit)


# -- what a reader sees ------------------------------------------------------------------------------------------
_MARKERS = {"disc": "•", "circle": "◦", "square": "▪"}

_VIEW_TEXT = """el => {
  // The rendered text of el as a clinician reads it: innerText, with each list item's marker (•, 1., 2.) put in
  // front of its first words, since innerText leaves out the markers a list shows, and without struck-through
  // words.
  const markers = {disc: "•", circle: "◦", square: "▪"};
  const added = [];
  for (const li of el.querySelectorAll("li")) {
    const style = getComputedStyle(li);
    if (style.display !== "list-item" || style.listStyleType === "none") continue;
    let mark = markers[style.listStyleType];
    if (!mark) {
      const list = li.parentElement;
      const items = Array.from(list.children).filter(c => c.tagName === "LI");
      const start = list.tagName === "OL" && list.hasAttribute("start") ? list.start : 1;
      mark = (li.hasAttribute("value") ? li.value : start + items.indexOf(li)) + ".";
    }
    const walker = document.createTreeWalker(li, NodeFilter.SHOW_TEXT,
      {acceptNode: n => n.data.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP});
    const first = walker.nextNode();
    const span = document.createElement("span");
    span.textContent = mark + " ";
    if (first) first.parentNode.insertBefore(span, first); else li.prepend(span);
    added.push(span);
  }
  // Struck-through words read as withdrawn in a record: they are not part of what the note says.
  const struck = [];
  for (const node of el.querySelectorAll("*")) {
    if (getComputedStyle(node).textDecorationLine.includes("line-through")
        && !getComputedStyle(node.parentElement).textDecorationLine.includes("line-through")) {
      struck.push([node, node.style.display]);
      node.style.display = "none";
    }
  }
  const text = el.innerText;
  added.forEach(s => s.remove());
  struck.forEach(([node, display]) => { node.style.display = display; });
  return text;
}"""


def html_text(markup: str) -> str:
    """The words of stored HTML as the existing extractor reads them, list markers put back in (as on screen) and
    struck-through words left out (a record reads them as withdrawn)."""
    from journal_fuzz.fhir.extract import markup_text
    from journal_fuzz.fhir.xmlsafe import parse_html

    root = parse_html(markup)
    if root is None:
        return ""
    for struck in [e for e in root.iter("s", "del", "strike") if isinstance(e.tag, str)]:
        struck.drop_tree()  # type: ignore[attr-defined]  # struck-through words read as withdrawn
    for li in root.iter("li"):
        parent = li.getparent()
        if parent is not None and parent.tag == "ol":
            items = [c for c in parent if c.tag == "li"]
            start = int(parent.get("start", "1")) if parent.get("start", "1").isdigit() else 1
            mark = f"{li.get('value') or start + items.index(li)}."
        else:
            mark = _MARKERS["disc"]
        first = next((e for e in li.iter() if isinstance(e.tag, str) and (e.text or "").strip()), li)
        first.text = f"{mark} {first.text or ''}"
    return markup_text(root)


def _lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def _origin(url: str) -> str:
    m = re.match(r"^([a-z][a-z0-9+.-]*://[^/?#]*)", url, re.I)
    return m.group(1) if m else url


def find_browser(recipe: Recipe) -> str:
    """The Chromium to drive: the recipe's ``browser``, ``$JOURNAL_FUZZ_CHROMIUM``, then Debian's on PATH."""
    explicit = recipe.browser or os.environ.get("JOURNAL_FUZZ_CHROMIUM")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise AdapterError(f"browser {explicit} (from the recipe or JOURNAL_FUZZ_CHROMIUM) is not executable")
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    raise AdapterError("the web adapter needs Chromium: apt-get install chromium, or set browser in the recipe")


# -- the adapter -------------------------------------------------------------------------------------------------
class WebAdapter(Adapter):
    """A web editor as the system under test; see the module docstring for the recipe."""

    scheme: ClassVar[str] = "web"
    carries: ClassVar[frozenset[Carrier]] = frozenset({TEXT})

    def __init__(self, spec: str, config: AdapterConfig, *, _parent: WebAdapter | None = None,
                 _method: tuple[str, str] | None = None) -> None:
        super().__init__(spec, config)
        body = spec[len("web:"):].strip()
        path, _, query = body.partition("?")
        if not path:
            raise AdapterError("target web: needs a recipe, for example web:journal-editor.toml")
        self.recipe: Recipe = _parent.recipe if _parent is not None else load_recipe(path)
        inputs, reads = self.recipe.inputs, self.recipe.reads
        for key, value in (p.split("=", 1) for p in query.split("&") if "=" in p):
            if key == "input":
                inputs = _strs(value.split(","), "input (in the target)", path, INPUTS)
            elif key == "read":
                reads = _strs(value.split(","), "read (in the target)", path, self.recipe.reads)
            else:
                raise AdapterError(f"target {spec}: unknown option {key!r} (input= or read=)")
        self.inputs, self.reads = inputs, reads
        self._parent = _parent
        self._method = _method or (inputs[0], reads[0])
        if _parent is None:
            try:
                import playwright.async_api  # noqa: F401
            except ImportError:
                raise AdapterError("the web adapter needs Playwright: pip install 'journal_fuzz[web]'") from None
            self._browser_path = find_browser(self.recipe)
            if self.recipe.login is not None:
                for var in (self.recipe.login.username_env, self.recipe.login.password_env):
                    if not os.environ.get(var):
                        raise AdapterError(f"environment variable {var} (named in the recipe's [login]) is not set")
            self._driver: _Driver | None = None
            self._shots: OrderedDict[str, bytes] = OrderedDict()
            self._shots_lock = threading.Lock()
            self._software: dict[str, str] = {}

    # -- variants: one battery item per input and read method ------------------------------------------------
    def variants(self) -> tuple[str, ...]:
        """``type``/``paste`` (and ``view``/``api``, joined as ``type.api``) when the recipe names several."""
        if len(self.inputs) * len(self.reads) < 2:
            return ()
        return tuple(self._variant_name(i, r) for i, r in itertools.product(self.inputs, self.reads))

    def _variant_name(self, method: str, read: str) -> str:
        return ".".join([method] * (len(self.inputs) > 1) + [read] * (len(self.reads) > 1))

    def variant(self, name: str) -> Adapter:
        combos = dict(zip(self.variants(), itertools.product(self.inputs, self.reads), strict=True))
        if name not in combos:
            return super().variant(name)
        method = combos[name]
        root = self._root
        spec = f"{root.spec.partition('?')[0]}?input={method[0]}&read={method[1]}"
        return WebAdapter(spec, self.config, _parent=root, _method=method)

    @property
    def _root(self) -> WebAdapter:
        return self._parent if self._parent is not None else self

    # -- life cycle -----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._parent is not None:
            return
        driver = _Driver(self.recipe, self._browser_path, self.config.timeout)
        self._driver = driver
        try:
            self._software = driver.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._parent is not None:
            return
        if self._driver is not None:
            self._driver.stop()
            self._driver = None

    def describe(self) -> str:
        path = self.spec.partition("?")[0]
        methods = f"{'+'.join(self.inputs)}, read from {'+'.join(self.reads)}" if self._parent is None else (
            f"{self._method[0]}, read from {self._method[1]}")
        return f"{path} ({self.recipe.url}; {methods})"

    def software(self) -> dict[str, str]:
        out = dict(self._root._software)
        out["input"] = ", ".join(self.inputs) if self._parent is None else self._method[0]
        out["read"] = ", ".join(self.reads) if self._parent is None else self._method[1]
        return out

    def attachments(self, uid: str) -> dict[str, bytes]:
        root = self._root
        with root._shots_lock:
            shot = root._shots.pop(uid, None)
        return {"editor.png": shot} if shot else {}

    def roundtrip_text(self, text: str, *, uid: str) -> str:
        root = self._root
        if root._driver is None:
            raise SystemUnderTestError(f"{self.describe()} was not started", cause="protocol")
        received, shot = root._driver.roundtrip(text, uid, *self._method)
        if shot:
            with root._shots_lock:
                root._shots[uid] = shot
                while len(root._shots) > _SCREENSHOTS_KEPT:
                    root._shots.popitem(last=False)
        return received


# -- the browser, on its own thread ----------------------------------------------------------------------------
class _Driver:
    """Playwright's async API on a private event loop thread; the battery's threads submit round trips to it."""

    def __init__(self, recipe: Recipe, browser_path: str, timeout: float) -> None:
        self.recipe = recipe
        self.browser_path = browser_path
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="journal-fuzz-web", daemon=True)
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None
        self.state: Any = None
        self.idle: list[Page] = []
        self.pages = 0
        self.slots: asyncio.Semaphore | None = None
        self.clipboard: asyncio.Lock | None = None

    def _run(self, make: Callable[[], Coroutine[Any, Any, T]], seconds: float, what: str) -> T:
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(make(), seconds), self.loop)
        try:
            return future.result(seconds + 10)
        except TimeoutError:
            future.cancel()
            raise SystemUnderTestError(f"{what} did not finish within {seconds:g} s", cause="timeout") from None

    def start(self) -> dict[str, str]:
        self.thread.start()
        return self._run(self._start, self.timeout * 3 + 30, "starting the browser")

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()

    def roundtrip(self, text: str, uid: str, method: str, read: str) -> tuple[str, bytes | None]:
        # Each step waits at most the timeout and says which step it was; the whole round trip gets a quarter
        # more, for a page that hangs between steps.
        return self._run(lambda: self._roundtrip(text, uid, method, read), self.timeout * 1.25 + 1,
                         f"writing note {uid} in {self.recipe.url} ({method}, read from {read})")

    # -- on the loop -----------------------------------------------------------------------------------------
    async def _start(self) -> dict[str, str]:
        from playwright.async_api import Error, async_playwright

        self.slots = asyncio.Semaphore(self.recipe.pages)
        self.clipboard = asyncio.Lock()
        self.playwright = await async_playwright().start()
        try:
            self.browser = await self.playwright.chromium.launch(
                executable_path=self.browser_path, headless=True, args=list(CHROMIUM_ARGS),
                timeout=self.timeout * 1000)
        except Error as exc:
            raise SystemUnderTestError(f"cannot start the browser {self.browser_path}: {_first_line(exc)}",
                                       cause="crashed") from None
        if self.recipe.login is not None:
            self.state = await self._login(self.recipe.login)
        # Open the editor once: a wrong URL or selector fails here, before anything is sent.
        page = await self._page()
        try:
            await self._open_editor(page, "jf-start")
            version = ""
            if self.recipe.editor_version:
                try:
                    version = str(await page.evaluate(self.recipe.editor_version) or "")
                except Error as exc:
                    raise SystemUnderTestError(f"recipe {self.recipe.path}: editor_version "
                                               f"{self.recipe.editor_version!r} failed on the editor page: "
                                               f"{_first_line(exc)}", cause="protocol") from None
        except BaseException:
            await page.context.close()
            self.pages -= 1
            raise
        self.idle.append(page)
        out = {"browser": f"Chromium {self.browser.version}"}
        if version:
            out["editor"] = version
        return out

    async def _stop(self) -> None:
        if self.browser is not None:
            with contextlib.suppress(Exception):
                await self.browser.close()
        if self.playwright is not None:
            with contextlib.suppress(Exception):
                await self.playwright.stop()

    async def _context(self, state: Any = None) -> BrowserContext:
        assert self.browser is not None
        ctx = await self.browser.new_context(storage_state=state, viewport={
            "width": self.recipe.viewport[0], "height": self.recipe.viewport[1]})
        ctx.set_default_timeout(self.timeout * 1000)
        ctx.set_default_navigation_timeout(self.timeout * 1000)
        with contextlib.suppress(Exception):  # an origin the browser will not grant: paste then fails clearly
            await ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=_origin(self.recipe.url))
        return ctx

    async def _page(self) -> Page:
        if self.idle:
            return self.idle.pop()
        ctx = await self._context(self.state)
        self.pages += 1
        return await ctx.new_page()

    async def _goto(self, page: Page, url: str, what: str) -> None:
        from playwright.async_api import Error

        try:
            response = await page.goto(url, wait_until="load")
        except Error as exc:
            message = _first_line(exc)
            cause = "timeout" if "Timeout" in message else "unreachable"
            raise SystemUnderTestError(f"cannot open {what} {url}: {message}", cause=cause) from None
        if response is not None and response.status >= 400:
            raise SystemUnderTestError(f"{what} {url} answered HTTP {response.status}",
                                       cause="http-5xx" if response.status >= 500 else "http-4xx")

    async def _find(self, page: Page, selector: str, key: str) -> None:
        from playwright.async_api import Error

        try:
            await page.wait_for_selector(selector, state="visible", timeout=self.timeout * 1000)
        except Error:
            raise SystemUnderTestError(f"recipe {self.recipe.path}: {key} {selector!r} matches nothing visible on "
                                       f"{page.url} within {self.timeout:g} s", cause="protocol") from None

    async def _login(self, login: Login) -> Any:
        from playwright.async_api import Error

        user = os.environ.get(login.username_env, "")
        password = os.environ.get(login.password_env, "")
        ctx = await self._context()
        try:
            page = await ctx.new_page()
            await self._goto(page, login.url, "the login page")
            for key, selector in (("[login] username", login.username), ("[login] password", login.password)):
                await self._find(page, selector, key)
            await page.fill(login.username, user)
            await page.fill(login.password, password)
            await page.click(login.submit)
            try:
                await page.wait_for_selector(login.success, timeout=self.timeout * 1000)
            except Error:
                said = ""
                if login.error:
                    with contextlib.suppress(Error):
                        said = (await page.inner_text(login.error, timeout=1000)).strip()
                said = said.replace(password, "***") if password else said
                raise SystemUnderTestError(
                    f"login failed at {login.url} as the user in ${login.username_env}: {login.success!r} did not "
                    f"appear within {self.timeout:g} s" + (f" (the page says: {said[:160]!r})" if said else ""),
                    cause="rejected") from None
            return await ctx.storage_state()
        finally:
            await ctx.close()

    async def _open_editor(self, page: Page, uid: str) -> None:
        from playwright.async_api import Error

        url = self.recipe.url.replace("{uid}", uid)
        await self._goto(page, url, "the editor page")
        if self.recipe.login is not None and self.recipe.login.url.split("?")[0] in page.url:
            raise SystemUnderTestError(f"the editor page {self.recipe.url} sent the browser to the login page: "
                                       "the session did not stay signed in", cause="rejected")
        try:
            if self.recipe.ready:
                try:
                    await page.wait_for_function(self.recipe.ready, timeout=self.timeout * 1000)
                except Error as exc:
                    raise SystemUnderTestError(f"recipe {self.recipe.path}: ready {self.recipe.ready!r} did not "
                                               f"become true on {page.url}: {_first_line(exc)}",
                                               cause="protocol") from None
            await self._find(page, self.recipe.editor, "editor")
        except SystemUnderTestError:
            if page.url.split("?")[0] != url.split("?")[0] and self.recipe.login is None:
                raise SystemUnderTestError(f"the editor page {self.recipe.url} sent the browser to {page.url} and "
                                           "the editor is not there: a login page? (the recipe has no [login])",
                                           cause="rejected") from None
            raise

    async def _roundtrip(self, text: str, uid: str, method: str, read: str) -> tuple[str, bytes | None]:
        from playwright.async_api import Error

        assert self.slots is not None
        async with self.slots:
            page = await self._page()
            healthy = False
            try:
                out = await self._write_and_read(page, text, uid, method, read)
                healthy = True
                return out
            except Error as exc:  # anything else the page did wrong (crashed, detached, a click that failed)
                raise SystemUnderTestError(f"the browser failed on {page.url} ({method}, read from {read}): "
                                           f"{_first_line(exc)}", cause="protocol") from None
            finally:
                if healthy:
                    self.idle.append(page)
                else:  # a page in an unknown state (cancelled, failed) is not reused
                    self.pages -= 1
                    with contextlib.suppress(Exception):
                        await page.context.close()

    async def _write_and_read(self, page: Page, text: str, uid: str, method: str,
                              read: str) -> tuple[str, bytes | None]:
        from playwright.async_api import Error

        r = self.recipe
        await self._open_editor(page, uid)
        for selector, value in r.fields.items():
            await self._find(page, selector, f"[fields] {selector!r}:")
            await page.fill(selector, value.replace("{uid}", uid))
        editor = page.locator(r.editor).first
        await editor.click()
        if method == "paste":
            await self._paste(page, text)
        else:
            await _type(page, text, r.type_limit)
        shot = None
        if r.screenshots:
            with contextlib.suppress(Error):
                shot = await editor.screenshot(type="png", animations="disabled")
        try:
            if r.save_click:
                await page.click(r.save_click)
            else:
                assert r.save_press is not None
                await page.keyboard.press(r.save_press)
        except Error as exc:
            raise SystemUnderTestError(f"recipe {r.path}: [save] {r.save_click or r.save_press!r} failed: "
                                       f"{_first_line(exc)}", cause="protocol") from None
        record_id = ""
        try:
            if r.id_from_url:
                pattern = re.compile(r.id_from_url)
                await page.wait_for_url(lambda u: bool(pattern.search(u)), timeout=self.timeout * 1000)
                m = pattern.search(page.url)
                record_id = m.group(1) if m else ""
            if r.save_wait:
                await page.wait_for_selector(r.save_wait, timeout=self.timeout * 1000)
        except Error:
            waited = r.save_wait or f"a URL matching {r.id_from_url!r}"
            raise SystemUnderTestError(f"the note was not saved: {waited} did not appear within {self.timeout:g} s "
                                       f"after saving on {r.url}", cause="timeout") from None

        def fill(url: str) -> str:
            return url.replace("{uid}", uid).replace("{id}", record_id)

        if read == "api":
            assert r.api is not None
            return await self._api(page, fill(r.api)), shot
        assert r.view is not None
        if r.view_url:
            await self._goto(page, fill(r.view_url), "the view page")
        await self._find(page, r.view, "[view] selector")
        return str(await page.eval_on_selector(r.view, _VIEW_TEXT)), shot

    async def _paste(self, page: Page, text: str) -> None:
        from playwright.async_api import Error

        assert self.clipboard is not None
        async with self.clipboard:  # one clipboard per browser: pastes from concurrent pages take turns
            try:
                await page.evaluate("t => navigator.clipboard.writeText(t)", text)
            except Error as exc:
                raise SystemUnderTestError(f"cannot put the note on the clipboard on {page.url} (paste needs an "
                                           f"http://localhost or https page): {_first_line(exc)}",
                                           cause="protocol") from None
            await page.keyboard.press("ControlOrMeta+V")
            # Let the paste handler run before the clipboard changes hands.
            await page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")

    async def _api(self, page: Page, url: str) -> str:
        import json

        from playwright.async_api import Error

        r = self.recipe
        try:
            response = await page.context.request.get(url, timeout=self.timeout * 1000)
        except Error as exc:
            raise SystemUnderTestError(f"cannot read the note back from {url}: {_first_line(exc)}",
                                       cause="unreachable") from None
        if response.status >= 400:
            raise SystemUnderTestError(f"the API {url} answered HTTP {response.status}",
                                       cause="http-5xx" if response.status >= 500 else "http-4xx")
        body = await response.text()
        stored: Any = body
        if r.api_field:
            try:
                stored = json.loads(body)
                for part in r.api_field.split("."):
                    stored = stored[int(part)] if isinstance(stored, list) else stored[part]
            except (ValueError, KeyError, IndexError, TypeError):
                raise SystemUnderTestError(f"the API {url} did not return JSON with the field {r.api_field!r} "
                                           "(recipe [api] field)", cause="garbage") from None
            if not isinstance(stored, str):
                raise SystemUnderTestError(f"the API {url} field {r.api_field!r} is not a string", cause="garbage")
        return html_text(stored) if r.api_format == "html" else str(stored)


async def _type(page: Page, text: str, limit: int = 0) -> None:
    """Key events for every character, as a clinician types: Enter once per line break (CR, LF or CRLF), and a
    tab as the character it is (the Tab key would leave the editor, which no clinician means by a tab in a note).

    Past ``limit`` characters (a browser takes a few milliseconds a key, so 65 000 characters would take minutes)
    the rest of each line is entered at once, as a text expander does, with Enter still pressed between lines."""
    budget = limit or len(text)
    for n, line in enumerate(_lines(text)):
        if n:
            await page.keyboard.press("Enter")
            budget -= 1
        for k, chunk in enumerate(line.split("\t")):
            if k:
                await page.keyboard.insert_text("\t")
                budget -= 1
            typed, rest = chunk[:max(budget, 0)], chunk[max(budget, 0):]
            if typed:
                await page.keyboard.type(typed)
                budget -= len(typed)
            if rest:
                await page.keyboard.insert_text(rest)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return re.sub(r"^\w+\.\w+: ", "", line)

