"""The pytest plugin: ``pytest --journal-fuzz=SPEC`` runs the acceptance battery against a system under test.

One collected item per property and language (``journal_fuzz[negations-sv]``), each a Hypothesis property over
the generators, run only where the adapter can carry it. A word loss fails the item with the clinical finding
first; a system that cannot be reached, times out or returns garbage is reported as an *error*, never a pass.
Settings come from the command line or ``[tool.journal_fuzz]`` in pyproject.toml (the command line wins).
"""

from __future__ import annotations

import json
import os
import random
import shlex
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from journal_fuzz.adapters.base import Adapter
    from journal_fuzz.battery import Outcome, Property

__all__ = ["PROFILES", "Settings"]

PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"examples": 10, "derandomize": False},
    "ci": {"examples": 25, "derandomize": True},
    "acceptance": {"examples": 300, "derandomize": False},
}
_STATE_DIR = ".journal_fuzz"
_OPTIONS = ("target", "examples", "lang", "seed", "cases", "concurrency", "profile", "properties", "timeout", "db",
            "auth_env", "listen", "fhir_version", "report")


@dataclass
class Settings:
    target: str
    examples: int
    languages: list[str]
    seed: int | None
    cases: Path
    concurrency: int
    profile: str
    derandomize: bool
    properties: list[str]
    timeout: float
    db: str | None
    auth_env: str | None
    listen: str | None
    fhir_version: str
    report: str | None
    adapter: Adapter | None = None
    adapter_error: BaseException | None = None
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per item, what it sent and found: gathered from reports, so xdist workers' results arrive too."""
    started: float = field(default_factory=time.monotonic)


_KEY = pytest.StashKey[Settings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("journal_fuzz", "journal_fuzz: prove the system under test keeps every clinical word")
    group.addoption("--journal-fuzz", dest="journal_fuzz_target", metavar="SPEC",
                    help="system under test: embedded, fhir+http(s)://HOST/BASE, hl7+mllp://HOST:PORT, "
                         "python:MODULE:FUNC, python-fhir:MODULE:FUNC, cmd:COMMAND, dir:INBOX,OUTBOX")
    group.addoption("--journal-fuzz-examples", dest="journal_fuzz_examples", type=int, metavar="N",
                    help="examples per property and language (default: from the profile)")
    group.addoption("--journal-fuzz-lang", dest="journal_fuzz_lang", metavar="sv,en",
                    help="languages to generate (default sv,en)")
    group.addoption("--journal-fuzz-seed", dest="journal_fuzz_seed", metavar="N|last",
                    help="random seed; 'last' reuses the previous run's (always printed in the header)")
    group.addoption("--journal-fuzz-cases", dest="journal_fuzz_cases", metavar="DIR",
                    help="where failing cases are saved (default .journal_fuzz/cases)")
    group.addoption("--journal-fuzz-concurrency", dest="journal_fuzz_concurrency", type=int, metavar="K",
                    help="payloads sent at once per example (default 8): many losses happen only under load")
    group.addoption("--journal-fuzz-profile", dest="journal_fuzz_profile", choices=sorted(PROFILES),
                    help="quick (10 examples), ci (25, derandomised) or acceptance (300); default quick, ci on CI")
    group.addoption("--journal-fuzz-properties", dest="journal_fuzz_properties", metavar="NAMES",
                    help="only these properties (comma-separated, e.g. negations,medications)")
    group.addoption("--journal-fuzz-timeout", dest="journal_fuzz_timeout", type=float, metavar="SECONDS",
                    help="per-request timeout for the system under test (default 30)")
    group.addoption("--journal-fuzz-db", dest="journal_fuzz_db", metavar="redis://HOST:PORT/N",
                    help="share Hypothesis's failing examples through Redis across CI machines")
    group.addoption("--journal-fuzz-auth-env", dest="journal_fuzz_auth_env", metavar="VAR",
                    help="environment variable holding the target's bearer token or user:password")
    group.addoption("--journal-fuzz-listen", dest="journal_fuzz_listen", metavar="HOST:PORT",
                    help="where forwarded HL7 messages come back (hl7+mllp targets)")
    group.addoption("--journal-fuzz-fhir-version", dest="journal_fuzz_fhir_version", choices=("R4B", "R5"),
                    help="FHIR version of generated resources (default R4B)")
    group.addoption("--journal-fuzz-report", dest="journal_fuzz_report", metavar="PATH",
                    help="write a self-contained HTML report of the run")
    group.addoption("--journal-fuzz-battery", dest="journal_fuzz_battery", action="store_true", default=False,
                    help="run the battery also when test paths are named (by default named paths run alone, "
                         "with the target as the journal_fuzz_adapter fixture)")


def _pyproject(config: pytest.Config) -> dict[str, Any]:
    candidates = [config.inipath] if config.inipath and config.inipath.name == "pyproject.toml" else []
    candidates.append(config.rootpath / "pyproject.toml")
    for path in candidates:
        if path and path.is_file():
            try:
                with path.open("rb") as fh:
                    table = tomllib.load(fh).get("tool", {}).get("journal_fuzz", {})
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise pytest.UsageError(f"journal_fuzz: cannot read {path}: {exc}") from None
            if not isinstance(table, dict):
                raise pytest.UsageError(f"journal_fuzz: [tool.journal_fuzz] in {path} must be a table")
            unknown = set(table) - set(_OPTIONS) - {"lexicon"}
            if unknown:
                raise pytest.UsageError("journal_fuzz: unknown keys in [tool.journal_fuzz]: "
                                        + ", ".join(sorted(unknown)))
            return table
    return {}


def _option(config: pytest.Config, table: dict[str, Any], name: str) -> Any:
    value = config.getoption(f"journal_fuzz_{name}", default=None)
    return value if value is not None else table.get(name)


def _listish(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v).strip() for v in value]


def _seed(config: pytest.Config, raw: Any, state: Path) -> int:
    worker = getattr(config, "workerinput", None)
    if worker is not None and "journal_fuzz_seed" in worker:
        return int(worker["journal_fuzz_seed"])
    last = state / "last_seed"
    if raw is None:
        return random.SystemRandom().randrange(2**31)
    if str(raw) == "last":
        try:
            return int(last.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            raise pytest.UsageError(f"journal_fuzz: --journal-fuzz-seed=last, but no previous seed in {last}") from None
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"journal_fuzz: seed must be a number or 'last', not {raw!r}") from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "journal_fuzz: an item of the journal_fuzz acceptance battery")
    table = _pyproject(config)
    target = _option(config, table, "target")
    if not target:
        return
    from journal_fuzz.adapters.base import AdapterConfig, AdapterError, adapter_for

    state = config.rootpath / _STATE_DIR
    profile = _option(config, table, "profile") or ("ci" if os.environ.get("CI") else "quick")
    if profile not in PROFILES:
        raise pytest.UsageError(f"journal_fuzz: unknown profile {profile!r}; use {', '.join(PROFILES)}")
    languages = _listish(_option(config, table, "lang")) or ["sv", "en"]
    bad = [lang for lang in languages if lang not in ("sv", "en")]
    if bad:
        raise pytest.UsageError(f"journal_fuzz: unknown language {bad[0]!r}; use sv, en")
    examples = int(_option(config, table, "examples") or PROFILES[profile]["examples"])
    concurrency = int(_option(config, table, "concurrency") or 8)
    if examples < 1 or concurrency < 1:
        raise pytest.UsageError("journal_fuzz: examples and concurrency must be at least 1")
    cases = Path(_option(config, table, "cases") or state / "cases")
    if not cases.is_absolute():
        cases = config.rootpath / cases
    settings = Settings(
        target=str(target), examples=examples, languages=languages, seed=_seed(config, _option(config, table, "seed"),
                                                                             state),
        # Hypothesis ignores its example database when derandomised; sharing one is the point of --journal-fuzz-db.
        cases=cases, concurrency=concurrency, profile=profile,
        derandomize=PROFILES[profile]["derandomize"] and not _option(config, table, "db"),
        properties=_listish(_option(config, table, "properties")),
        timeout=float(_option(config, table, "timeout") or 30.0), db=_option(config, table, "db"),
        auth_env=_option(config, table, "auth_env"), listen=_option(config, table, "listen"),
        fhir_version=_option(config, table, "fhir_version") or "R4B", report=_option(config, table, "report"),
    )
    if lexicons := _listish(table.get("lexicon")):
        os.environ["JOURNAL_FUZZ_LEXICON"] = os.pathsep.join(str(config.rootpath / p) for p in lexicons)
    try:
        settings.adapter = adapter_for(settings.target, AdapterConfig(
            timeout=settings.timeout, auth_env=settings.auth_env, listen=settings.listen,
            fhir_version=settings.fhir_version))
    except AdapterError as exc:
        raise pytest.UsageError(f"journal_fuzz: {exc}") from None
    if getattr(config, "workerinput", None) is None:
        state.mkdir(parents=True, exist_ok=True)
        (state / "last_seed").write_text(f"{settings.seed}\n", encoding="utf-8")
    config.stash[_KEY] = settings


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker runs with the controller's seed."""
    settings = node.config.stash.get(_KEY, None)
    if settings is not None:
        node.workerinput["journal_fuzz_seed"] = settings.seed


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(_KEY, None)
    if settings is None or settings.adapter is None:
        return []
    from journal_fuzz.adapters.base import redact_credentials

    if settings.derandomize:
        mode = f"derandomised (seed {settings.seed} unused)"
    elif settings.db:
        mode = (f"seed {settings.seed} (not applied: failures replay from the example database "
                f"{redact_credentials(settings.db)})")
    else:
        mode = f"seed {settings.seed}"
    return [f"journal_fuzz: target {settings.adapter.describe()}; {mode}; "
            f"profile {settings.profile}: {settings.examples} examples x {settings.concurrency} at once; "
            f"languages {','.join(settings.languages)}; cases in {settings.cases}"]


def _explicit_args(config: pytest.Config) -> bool:
    return config.args_source == pytest.Config.ArgsSource.ARGS


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # `pytest --journal-fuzz=SPEC` alone runs the battery only; `pytest PATHS --journal-fuzz=SPEC` runs those tests
    # against the target (the journal_fuzz_adapter fixture); --journal-fuzz-battery runs both.
    if config.stash.get(_KEY, None) is not None and not _explicit_args(config):
        return True
    return None


def _battery_wanted(config: pytest.Config) -> bool:
    return not _explicit_args(config) or bool(config.getoption("journal_fuzz_battery", default=False))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = config.stash.get(_KEY, None)
    if settings is None or settings.adapter is None or not _battery_wanted(config):
        return
    from journal_fuzz.battery import properties_for

    try:
        props = properties_for(settings.adapter, settings.properties or None)
    except ValueError as exc:
        raise pytest.UsageError(f"journal_fuzz: {exc}") from None
    battery: list[pytest.Item] = []
    for prop in props:
        for language in settings.languages:
            name = f"journal_fuzz[{prop.name}-{language}]"
            battery.append(BatteryItem.from_parent(session, name=name, nodeid=name, prop=prop, language=language))
    items.extend(battery)
    # Report them as collected, so "collected N items" counts the battery too.
    config.hook.pytest_collectreport(report=pytest.CollectReport(
        nodeid="journal_fuzz", outcome="passed", longrepr=None, result=list[pytest.Item | pytest.Collector](battery)))


class WordLossFailure(Exception):
    """A word was lost: the item fails with the clinical explanation."""


class SystemUnderTestFailure(Exception):
    """The system under test failed: reported as an error, not as word loss and never as a pass."""


class BatteryItem(pytest.Item):
    def __init__(self, *, prop: Property, language: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prop = prop
        self.language = language
        self.add_marker("journal_fuzz")

    def _settings(self) -> Settings:
        return self.config.stash[_KEY]

    def _adapter(self) -> Adapter:
        return started_adapter(self.config)

    def runtest(self) -> None:
        from journal_fuzz.battery import RunConfig, run

        settings = self._settings()
        adapter = self._adapter()
        progress = _Progress(self.config, self.name)
        outcome = run(self.prop, self.language, adapter, RunConfig(
            examples=settings.examples, seed=settings.seed, derandomize=settings.derandomize,
            concurrency=settings.concurrency, database=_database(settings), fhir_version=settings.fhir_version,
            on_progress=progress.update if progress.enabled else None))
        progress.done()
        self._record(outcome, adapter)
        if outcome.status == "unsupported":
            pytest.skip(f"not supported by the target: {outcome.error}")
        if outcome.status == "system-error":
            err = outcome.error
            cause = getattr(err, "cause", "error")
            raise SystemUnderTestFailure(f"system error ({cause}), not word loss: {err}\n"
                                         f"property: {self.prop.name}-{self.language}   seed: {settings.seed}   "
                                         f"target: {adapter.describe()}")
        if outcome.status == "lost" and outcome.loss is not None:
            raise WordLossFailure(self._report_loss(outcome, adapter))

    def _record(self, outcome: Outcome, adapter: Adapter, case: str | None = None) -> None:
        from journal_fuzz.cases import system_software

        summary = {
            "item": outcome.item_name, "property": self.prop.name, "language": self.language,
            "status": outcome.status, "sent": outcome.sent, "first_loss_at": outcome.first_loss_at,
            "duration": round(outcome.duration, 3), "longest": outcome.longest,
            "kinds": outcome.loss.verdict.kinds if outcome.loss else [], "case": case,
            "nondeterministic": bool(outcome.loss and outcome.loss.nondeterministic),
            "error": str(outcome.error) if outcome.error else None, "exercised": dict(outcome.exercised),
            "system": system_software(adapter),
        }
        props: list[tuple[str, object]] = [p for p in self.user_properties if p[0] != "journal_fuzz_outcome"]
        props.append(("journal_fuzz_outcome", json.dumps(summary, ensure_ascii=False)))
        self.user_properties[:] = props

    def _report_loss(self, outcome: Outcome, adapter: Adapter) -> str:
        from journal_fuzz.adapters.base import redact_credentials
        from journal_fuzz.cases import Case, versions
        from journal_fuzz.exchange import TextPayload
        from journal_fuzz.report.failure import failure_message

        settings = self._settings()
        loss = outcome.loss
        assert loss is not None
        exchange = loss.exchange
        payload = exchange.payload
        if isinstance(payload, TextPayload):
            sent_text, received_text, what = exchange.sent, exchange.received, f"note ({self.language})"
        else:
            first = loss.verdict.findings[0]
            sent_text, received_text = _texts_at(exchange.sent, exchange.received, first.path)
            what = f"{payload.kind} ({payload.wire}, {self.language})"
        case = Case.from_exchange(exchange, prop=self.prop.name, language=self.language, target=settings.target,
                                  seed=settings.seed, nondeterministic=loss.nondeterministic, reruns=loss.reruns,
                                  versions=versions(adapter))
        path = case.save(settings.cases)
        shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
        replay = (f"journal-fuzz replay {shlex.quote(shown)} "
                  f"--target {shlex.quote(redact_credentials(settings.target))}")
        self.user_properties.append(("finding_kinds", ",".join(loss.verdict.kinds)))
        self.user_properties.append(("case", str(path)))
        self._record(outcome, adapter, str(path))
        self.side_by_side = _side_by_side(sent_text, received_text, loss.verdict.to_dict()["findings"], self.language)
        return failure_message(verdict=loss.verdict, sent=sent_text, received=received_text, what=what,
                               item=f"{self.prop.name}-{self.language}", seed=settings.seed,
                               target=adapter.describe(), case_path=shown, replay=replay,
                               nondeterministic=loss.nondeterministic,
                               reruns=[r for r in loss.reruns if isinstance(r, str)])

    side_by_side: str | None = None
    """The sent and received text with the changed words marked, for pytest-html's report."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, (WordLossFailure, SystemUnderTestFailure)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "journal_fuzz", None, self.name


def _side_by_side(sent: str, received: str, findings: list[dict[str, Any]], language: str) -> str:
    from journal_fuzz.report.html import mark_diff

    left, right = mark_diff(sent, received, findings, language)
    return ('<style>.jf-sbs td{vertical-align:top;white-space:pre-wrap;padding:4px 8px;border:1px solid #ccc}'
            '.jf-sbs del.lost{color:#b00020;text-decoration:line-through;background:#fde7ea}'
            '.jf-sbs ins.added{color:#0a6b2d;text-decoration:underline;background:#e3f6e8}</style>'
            '<table class="jf-sbs"><tr><th>sent</th><th>received</th></tr>'
            f"<tr><td>{left}</td><td>{right}</td></tr></table>")



class _Progress:
    """A live "120 sent, 0 findings" line on an interactive terminal; silent in CI logs, under xdist, when piped."""

    def __init__(self, config: pytest.Config, name: str) -> None:
        self.writer = config.get_terminal_writer()
        self.capture = config.pluginmanager.getplugin("capturemanager")
        self.name = name
        self.enabled = (self.writer.hasmarkup and not os.environ.get("CI")
                        and getattr(config, "workerinput", None) is None)
        self.last = 0.0
        self.shown = False

    def update(self, sent: int, findings: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5:
            return
        self.last = now
        self._write(f"\r  {self.name}: {sent} sent, {findings} with lost words so far ")
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self._write("\r" + " " * (self.writer.fullwidth - 1) + "\r")

    def _write(self, text: str) -> None:
        # Output is captured while a test runs; step around the capture for this one line.
        if self.capture is not None:
            with self.capture.global_and_fixture_disabled():
                self.writer.write(text, flush=True)
        else:
            self.writer.write(text, flush=True)


def started_adapter(config: pytest.Config) -> Adapter:
    """The session's adapter, started on first use and stopped when the session ends."""
    from journal_fuzz.adapters.base import SystemUnderTestError

    settings = config.stash[_KEY]
    if settings.adapter_error is not None:
        raise SystemUnderTestFailure(f"system error: {settings.adapter_error}")
    assert settings.adapter is not None
    if not getattr(settings.adapter, "_journal_fuzz_started", False):
        try:
            settings.adapter.start()
        except SystemUnderTestError as exc:
            settings.adapter_error = exc
            raise SystemUnderTestFailure(f"system error ({exc.cause}): {exc}") from None
        settings.adapter._journal_fuzz_started = True  # type: ignore[attr-defined]
        config.add_cleanup(settings.adapter.stop)
    return settings.adapter


@pytest.fixture(scope="session")
def journal_fuzz_adapter(pytestconfig: pytest.Config) -> Adapter:
    """The configured system under test, started: for regression tests written by ``journal-fuzz export-test``."""
    if pytestconfig.stash.get(_KEY, None) is None:
        pytest.skip("no journal_fuzz target: pass --journal-fuzz=SPEC or set target in [tool.journal_fuzz]")
    return started_adapter(pytestconfig)



def _texts_at(sent: dict[str, Any], received: dict[str, Any], path: str | None) -> tuple[str, str]:
    """The sent and received text of the field a FHIR finding points at."""
    from journal_fuzz.fhir import extract_texts

    def at(resource: dict[str, Any]) -> str:
        for field_ in extract_texts(resource):
            if path and (path == field_.path or path.startswith(field_.path)):
                return field_.text
        return ""

    return at(sent), at(received)


def _database(settings: Settings) -> Any:
    if not settings.db:
        return None
    cached = getattr(settings, "_db", None)
    if cached is not None:
        return cached
    if not settings.db.startswith("redis://"):
        raise pytest.UsageError(f"journal_fuzz: --journal-fuzz-db must be a redis:// URL, not {settings.db!r}")
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise pytest.UsageError("journal_fuzz: --journal-fuzz-db needs the redis package: pip install redis") from None
    db = RedisExampleDatabase(redis.Redis.from_url(settings.db))
    settings._db = db  # type: ignore[attr-defined]
    return db


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if isinstance(item, BatteryItem) and item.side_by_side and report.when == "call" and \
            item.config.pluginmanager.hasplugin("html"):
        import pytest_html

        report.extras = [*getattr(report, "extras", []), pytest_html.extras.html(item.side_by_side)]
    if isinstance(item, BatteryItem) and call.excinfo is not None and \
            isinstance(call.excinfo.value, SystemUnderTestFailure) and report.when == "call":
        # A failing system is an error of the run, not a word-loss failure: pytest shows non-call failures as errors.
        report.when = "setup"



def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = getattr(report, "config", None) or _CONFIG.get("config")
    if config is None:
        return
    settings = config.stash.get(_KEY, None)
    if settings is None:
        return
    for name, value in getattr(report, "user_properties", ()):
        if name == "journal_fuzz_outcome":
            settings.outcomes[report.nodeid] = json.loads(value)


_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config


def summary(settings: Settings) -> dict[str, Any]:
    """The run as evidence: what was tried, per property and language, and what was found."""
    from journal_fuzz import __version__
    from journal_fuzz.adapters.base import redact_credentials
    from journal_fuzz.battery import EVIDENCE

    items = [settings.outcomes[k] for k in sorted(settings.outcomes)]
    totals: Counter[str] = Counter()
    for item in items:
        totals.update(item["exercised"])
    systems = [i["system"] for i in items if i.get("system")]
    fhir = any(i["property"].startswith("fhir-") for i in items)
    wanted = [key for key in EVIDENCE if key != "resources" or fhir]
    return {
        "target": redact_credentials(settings.target),
        "seed": settings.seed, "profile": settings.profile, "examples": settings.examples,
        "concurrency": settings.concurrency, "languages": settings.languages,
        "journal_fuzz": __version__, "system": systems[0] if systems else {},
        "duration_seconds": round(time.monotonic() - settings.started, 1),
        "items": items,
        "statuses": dict(Counter(i["status"] for i in items)),
        "finding_kinds": dict(Counter(k for i in items for k in i["kinds"])),
        "exercised": {key: totals.get(key, 0) for key in wanted} | {
            k: v for k, v in sorted(totals.items()) if k not in EVIDENCE},
        "never_exercised": [key for key in wanted if not totals.get(key)],
        "longest_note": max((i["longest"] for i in items), default=0),
        "payloads_sent": sum(i["sent"] for i in items),
    }


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    settings = config.stash.get(_KEY, None)
    if settings is None or not settings.outcomes or getattr(config, "workerinput", None) is not None:
        return
    data = summary(settings)
    tr = terminalreporter
    tr.section("journal_fuzz")
    labels = {"passed": "kept every word", "system-error": "SYSTEM ERROR", "unsupported": "not supported by the target"}
    for item in data["items"]:
        status = labels.get(item["status"]) or (
            ("NONDETERMINISTIC " if item["nondeterministic"] else "") + f"LOST WORDS ({', '.join(item['kinds'])})")
        tr.write_line(f"{item['item']:<28} {item['sent']:>6} sent  {item['duration']:6.1f} s  {status}")
    tr.write_line("")
    tr.write_line("exercised (what an acceptance sign-off can cite):")
    for key, count in data["exercised"].items():
        tr.write_line(f"  {key:<40} {count:>7}" + ("   <- NEVER EXERCISED" if count == 0 else ""))
    tr.write_line(f"  {'longest note (characters)':<40} {data['longest_note']:>7}")
    system = data["system"]
    software = f" ({', '.join(f'{k} {v}' for k, v in system.items())})" if system else ""
    tr.write_line(f"{data['payloads_sent']} payloads sent to {settings.adapter.describe() if settings.adapter else ''}"
                  f"{software}; seed {settings.seed}; {data['duration_seconds']} s; "
                  + ", ".join(f"{n} {s}" for s, n in sorted(data["statuses"].items())))
    path = config.rootpath / _STATE_DIR / "summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tr.write_line(f"summary written to {path}")
    if settings.report:
        from journal_fuzz.cases import CaseError, load_case
        from journal_fuzz.report.html import write_report

        cases = []
        for item in data["items"]:
            if item.get("case"):
                try:
                    cases.append(load_case(item["case"]))
                except CaseError as exc:
                    tr.write_line(f"journal_fuzz: {exc}")
        report = write_report(settings.report, cases, data)
        tr.write_line(f"HTML report written to {report}")
    if data["statuses"].get("lost"):
        tr.write_line(f"failing cases saved in {settings.cases}")
