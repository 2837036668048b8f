"""The pytest plugin proper: ``pytest --journal-fuzz=SPEC`` runs the acceptance battery against a system under test.

Imported (by the entry point, ``_journal_fuzz_pytestplugin``) only when a target is configured. One collected item
per property and language (``journal_fuzz[negations-sv]``), each a Hypothesis property over the generators, run
only where the adapter can carry it. A word loss fails the item with the clinical finding first; a system that
cannot be reached, times out or returns garbage is an *error*, never a pass.

All of a run's state lives on one :class:`JournalFuzzSession`, registered as a plugin so its methods are the hooks:
two runs in one process (pytester, an IDE) never share settings, adapters or outcomes, and nothing is written to
``os.environ`` (site lexicons travel in the battery's :class:`~journal_fuzz.battery.RunConfig`).
"""

from __future__ import annotations

import json
import os
import random
import shlex
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import TerminalRepr  # what repr_failure may return; pytest exports no public name
from hypothesis.database import ExampleDatabase

from _journal_fuzz_pytestplugin import PROFILES, Settings
from journal_fuzz.adapters.base import (
    Adapter,
    AdapterConfig,
    AdapterError,
    SystemUnderTestError,
    adapter_for,
    redact_credentials,
)
from journal_fuzz.battery import Loss, Outcome, Property, RunConfig, properties_for, run
from journal_fuzz.cases import Case, CaseError, load_case, system_software, versions
from journal_fuzz.constants import Status
from journal_fuzz.evidence import summary
from journal_fuzz.exchange import TextPayload
from journal_fuzz.preflight import check_settings, shrink_budget
from journal_fuzz.report.failure import failure_message, failures_message
from journal_fuzz.report.terminal import evidence_table
from journal_fuzz.runs import how_it_ended, new_run, not_run, write_record
from journal_fuzz.wording import printable

__all__ = ["PROFILES", "BatteryItem", "JournalFuzzSession", "Settings", "SystemUnderTestFailure",
           "WordLossFailure", "summary"]

_STATE_DIR = ".journal_fuzz"


class WordLossFailure(Exception):
    """A word was lost: the item fails with the clinical explanation."""


class SystemUnderTestFailure(Exception):
    """The system under test failed: reported as an error, not as word loss and never as a pass."""


class JournalFuzzSession:
    """One pytest run's journal_fuzz state and hooks, registered as ``journal_fuzz_session`` (as pytest-xdist
    registers its DSession).

    Holds the settings, the seed actually used, the adapter (whether it was started, and why it could not be),
    the example database and every item's outcome, gathered from reports so xdist workers' results arrive too.
    """

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.worker = getattr(config, "workerinput", None) is not None
        root = config.rootpath
        state = root / _STATE_DIR
        self.seed = _seed(config, settings.seed, state)
        self.cases = root / settings.cases
        """Where failing cases are saved (a relative ``cases`` is under the root directory)."""
        self.lexicons = tuple(str(root / p) for p in settings.lexicon)
        """Site lexicon files for the oracle, by absolute path (relative ones are under the root directory)."""
        self.shrink_budget = shrink_budget(config, settings)
        if not self.worker:  # the controller checked them before any worker started
            check_settings(config, settings, self.lexicons, self.cases)
        try:
            self.adapter: Adapter = adapter_for(settings.target, AdapterConfig(
                timeout=settings.timeout, auth_env=settings.auth_env, listen=settings.listen,
                fhir_version=settings.fhir_version, search_paths=(str(config.rootpath),)))
        except AdapterError as exc:
            raise pytest.UsageError(f"journal_fuzz: {exc}") from None
        self.adapter_started = False
        self.start_error: SystemUnderTestError | None = None
        self.outcomes: dict[str, dict[str, Any]] = {}
        """Per item node id, what it sent and found (each report's ``journal_fuzz`` attribute)."""
        self.expected: list[str] = []
        """The node ids of the battery items this run is to run (those never reported did not run)."""
        self.system_errors: dict[str, str] = {}
        """A system error's text -> the first item it was reported for (later items say "the same as")."""
        self.run = new_run()
        self.started = time.monotonic()
        self.final: dict[str, Any] | None = None
        """The run's summary once it ended (written in ``pytest_sessionfinish``, printed after)."""
        self._written: list[str] = []
        self._database: ExampleDatabase | None = None
        if not self.worker:
            state.mkdir(parents=True, exist_ok=True)
            (state / "last_seed").write_text(f"{self.seed}\n", encoding="utf-8")

    # -- what items use ---------------------------------------------------------------------------------------
    def started_adapter(self) -> Adapter:
        """The session's adapter, started on first use and stopped when the session ends.

        A start that fails is remembered and its cause said once: every later item is one line at once.
        """
        if self.start_error is not None:
            raise SystemUnderTestFailure(f"not run: the target could not be started (system error "
                                         f"({self.start_error.cause}), the cause is shown once, above)")
        if not self.adapter_started:
            try:
                self.adapter.start()
            except SystemUnderTestError as exc:
                self.start_error = exc
                raise SystemUnderTestFailure(f"system error ({exc.cause}), not word loss: the target could not be "
                                             f"started: {exc}") from None
            self.adapter_started = True
            self.config.add_cleanup(self.adapter.stop)
        return self.adapter

    def database(self) -> ExampleDatabase | None:
        """The shared Hypothesis example database (``--journal-fuzz-db``), connected once per session."""
        db = self.settings.db
        if not db:
            return None
        if self._database is None:  # the URL, the package and the server were checked before the run
            import redis
            from hypothesis.extra.redis import RedisExampleDatabase

            self._database = RedisExampleDatabase(redis.Redis.from_url(db))
        return self._database

    def run_config(self, on_progress: Callable[[int, int], None] | None = None) -> RunConfig:
        """How the battery runs each property: the settings, the seed, the database and the site lexicons."""
        s = self.settings
        return RunConfig(examples=s.examples, seed=self.seed, derandomize=s.derandomize,
                         concurrency=s.concurrency, database=self.database(), fhir_version=s.fhir_version,
                         on_progress=on_progress, lexicons=self.lexicons, shrink_budget=self.shrink_budget)

    # -- hooks ------------------------------------------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist: every worker runs with the controller's seed."""
        node.workerinput["journal_fuzz_seed"] = self.seed

    @property
    def records(self) -> bool:
        """Whether this process writes the run's record: the controller of a run meant to send something
        (not a worker, not ``--collect-only``, ``--setup-only`` or ``--setup-plan``)."""
        o = self.config.option
        return not (self.worker or getattr(o, "collectonly", False) or getattr(o, "setuponly", False)
                    or getattr(o, "setupplan", False))

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # From now on the summary is this run's: a run killed before its end leaves "running", never the last
        # run's verdict.
        if self.records:
            self._write(self._summary(None))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.expected = [item.nodeid for item in session.items if isinstance(item, BatteryItem)]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """pytest-xdist: the controller collects nothing itself; the workers' collection says what is to run."""
        if not self.expected:
            self.expected = [nodeid for nodeid in ids if nodeid.startswith("journal_fuzz[")]

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        s = self.settings
        if s.derandomize:
            mode = f"derandomised (seed {self.seed} unused)"
        elif s.db:
            mode = (f"seed {self.seed} (not applied: failures replay from the example database "
                    f"{redact_credentials(s.db)})")
        else:
            mode = f"seed {self.seed}"
        return [f"journal_fuzz: target {self.adapter.describe()}; {mode}; "
                f"profile {s.profile}: {s.examples} examples x {s.concurrency} at once; "
                f"languages {','.join(s.lang)}; cases in {self.cases}"]

    def _explicit_args(self) -> bool:
        return self.config.args_source == pytest.Config.ArgsSource.ARGS

    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        # `pytest --journal-fuzz=SPEC` alone runs the battery only; `pytest PATHS --journal-fuzz=SPEC` runs those
        # tests against the target (the journal_fuzz_adapter fixture); --journal-fuzz-battery runs both.
        return True if not self._explicit_args() else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        if self._explicit_args() and not self.settings.battery:
            return
        try:
            props = properties_for(self.adapter, list(self.settings.properties) or None)
        except ValueError as exc:
            raise pytest.UsageError(f"journal_fuzz: {exc}") from None
        battery: list[pytest.Item] = []
        for prop in props:
            for language in self.settings.lang:
                name = f"journal_fuzz[{prop.name}-{language}]"
                battery.append(BatteryItem.from_parent(session, name=name, nodeid=name, prop=prop,
                                                       language=language, journal_fuzz=self))
        items.extend(battery)
        # Report them as collected, so "collected N items" counts the battery too.
        config.hook.pytest_collectreport(report=pytest.CollectReport(
            nodeid="journal_fuzz", outcome="passed", longrepr=None,
            result=list[pytest.Item | pytest.Collector](battery)))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport,
                                                                             pytest.TestReport]:
        report = yield
        if not isinstance(item, BatteryItem):
            return report
        if call.when == "setup" and call.excinfo is not None and \
                isinstance(call.excinfo.value, SystemUnderTestFailure):
            # pytest renders a setup exception as a traceback; a system error reads as its cause, as in the call.
            report.longrepr = item.repr_failure(call.excinfo)
        if item.record is not None:
            # The item's record travels on the report (pytest-xdist serialises a report's attributes), not as a
            # JUnit property: JUnit XML keeps only what a reader uses (status, finding kinds, case).
            vars(report)["journal_fuzz"] = item.record
        if item.side_by_side and report.when == "call" and item.config.pluginmanager.hasplugin("html"):
            import pytest_html

            # pytest-html reads the ad-hoc attribute ``report.extras``; TestReport does not declare it.
            vars(report)["extras"] = [*getattr(report, "extras", []), pytest_html.extras.html(item.side_by_side)]
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "journal_fuzz", None)
        if isinstance(record, dict):
            self.outcomes[report.nodeid] = record

    def _summary(self, exitstatus: int | None) -> dict[str, Any]:
        """The run's record: every item (those that never ran as not run) and, once it ended, how."""
        records = dict(self.outcomes)
        if exitstatus is not None:
            for nodeid in self.expected:
                records.setdefault(nodeid, not_run(nodeid.removeprefix("journal_fuzz[").removesuffix("]")))
        run_ = self.run if exitstatus is None else how_it_ended(self.run, list(records.values()), exitstatus)
        s = self.settings
        return summary(records, target=s.target, seed=self.seed, profile=s.profile, examples=s.examples,
                       concurrency=s.concurrency, languages=s.lang, started=self.started, run=run_,
                       battery=self.battery_runs)

    def _write(self, data: dict[str, Any]) -> list[str]:
        cases = []
        lines: list[str] = []
        for item in data["items"]:
            for path in item.get("cases") or ([item["case"]] if item.get("case") else []):
                try:
                    cases.append(load_case(path))
                except CaseError as exc:
                    lines.append(f"journal_fuzz: {exc}")
        report = str(self.config.rootpath / self.settings.report) if self.settings.report else None
        return lines + write_record(self.config.rootpath / _STATE_DIR, data, report, cases)

    @property
    def battery_runs(self) -> bool:
        return not self._explicit_args() or self.settings.battery

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # Here, not in the terminal summary: written however the run ends (interrupted, internal error, -p
        # no:terminal), before the terminal reporter prints its summary.
        if not self.records:
            return
        self.final = self._summary(int(exitstatus))
        self._written = self._write(self.final)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        data = self.final
        if data is None:
            return
        tr = terminalreporter
        tr.section("journal_fuzz")
        if not self.battery_runs:
            tr.write_line("the battery did not run: named test paths run alone (add --journal-fuzz-battery to run "
                          "both)")
        else:
            for line in evidence_table(data, target=", ".join(data["described"]) or self.adapter.describe()):
                tr.write_line(line)
        for line in self._written:
            tr.write_line(line)
        if data["statuses"].get("lost"):
            tr.write_line(f"failing cases saved in {self.cases}")


def _seed(config: pytest.Config, raw: str | None, state: Path) -> int:
    worker = getattr(config, "workerinput", None)
    if worker is not None and "journal_fuzz_seed" in worker:
        return int(worker["journal_fuzz_seed"])
    last = state / "last_seed"
    if raw is None:
        return random.SystemRandom().randrange(2**31)
    if raw == "last":
        try:
            return int(last.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            raise pytest.UsageError(f"journal_fuzz: --journal-fuzz-seed=last, but no previous seed in {last}") from None
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"journal_fuzz: seed must be a number or 'last', not {raw!r}") from None


class BatteryItem(pytest.Item):
    """One property in one language. The setup sends the payloads through the system; the call is the verdict.

    The exchange runs in ``setup()`` so that a system that cannot be started, or fails during the run, is what
    pytest means by an *error* (in the terminal and in JUnit XML alike), while a word loss fails the call.
    """

    def __init__(self, *, prop: Property, language: str, journal_fuzz: JournalFuzzSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prop = prop
        self.language = language
        self.journal_fuzz = journal_fuzz
        self.outcome: Outcome | None = None
        self.record: dict[str, Any] | None = None
        """What the item sent and found, for the run's summary (it travels on the item's reports)."""
        self.side_by_side: str | None = None
        """The sent and received text with the changed words marked, for pytest-html's report."""
        self.add_marker("journal_fuzz")

    def setup(self) -> None:
        if self.config.getoption("setuponly", default=False):
            return  # --setup-only / --setup-plan: show the plan, send nothing
        session = self.journal_fuzz
        try:
            adapter = session.started_adapter()
        except SystemUnderTestFailure:
            self._keep(not_run(self.item_name, str(session.start_error), not_started=True))
            raise
        progress = _Progress(self.config, self.name)
        outcome = run(self.prop, self.language, adapter,
                      session.run_config(progress.update if progress.enabled else None))
        progress.done()
        self._record(outcome, adapter)
        if outcome.status == Status.SYSTEM_ERROR:
            cause = getattr(outcome.error, "cause", "error")
            first = session.system_errors.setdefault(str(outcome.error), self.name)
            if first != self.name:  # the cause once; every later item with the same error is one line
                raise SystemUnderTestFailure(f"system error ({cause}), not word loss: the same as {first} (above)")
            raise SystemUnderTestFailure(f"system error ({cause}), not word loss: {outcome.error}\n"
                                         f"property: {self.item_name}   seed: {session.seed}   "
                                         f"target: {adapter.describe()}")
        self.outcome = outcome

    def runtest(self) -> None:
        outcome = self.outcome
        if outcome is None:
            raise RuntimeError(f"journal_fuzz: {self.name} was called without its setup")
        if outcome.status == Status.UNSUPPORTED:
            pytest.skip(f"not supported by the target: {outcome.error}")
        if outcome.status == Status.LOST and outcome.loss is not None:
            raise WordLossFailure(self._report_losses(outcome, self.journal_fuzz.adapter))

    def _record(self, outcome: Outcome, adapter: Adapter, cases: list[str] | None = None) -> None:
        cases = cases or []
        record = {
            "item": outcome.item_name, "property": self.prop.name, "language": self.language,
            "status": outcome.status, "sent": outcome.sent, "replayed": outcome.replayed,
            "first_loss_at": outcome.first_loss_at, "duration": round(outcome.duration, 3), "longest": outcome.longest,
            "kinds": list(dict.fromkeys(k for loss in outcome.losses for k in loss.verdict.kinds)),
            "case": cases[0] if cases else None, "cases": cases,
            "losses": [{"signature": loss.signature, "kinds": loss.verdict.kinds, "seen": loss.seen,
                        "case": cases[n] if n < len(cases) else None, "nondeterministic": loss.nondeterministic,
                        "reduction": loss.reduction.to_dict() if loss.reduction else None}
                       for n, loss in enumerate(outcome.losses)],
            "nondeterministic": bool(outcome.loss and outcome.loss.nondeterministic),
            "error": str(outcome.error) if outcome.error else None, "exercised": dict(outcome.exercised),
            "system": system_software(adapter), "described": adapter.describe(),
        }
        self._keep(record)

    @property
    def item_name(self) -> str:
        return f"{self.prop.name}-{self.language}"

    def _keep(self, record: dict[str, Any]) -> None:
        # Plain JSON types only: pytest-xdist serialises the report it travels on.
        self.record = json.loads(json.dumps(record, ensure_ascii=False))
        props = [p for p in self.user_properties if p[0] != "journal_fuzz_status"]
        self.user_properties[:] = [("journal_fuzz_status", str(record["status"])), *props]

    def _report_losses(self, outcome: Outcome, adapter: Adapter) -> str:
        """Save every distinct loss as its own case and say each one: its finding, minimal case and replay line."""
        messages: list[str] = []
        paths: list[str] = []
        views: list[str] = []
        for loss in outcome.losses:
            message, path, view = self._report_loss(loss, outcome, adapter)
            messages.append(message)
            paths.append(path)
            views.append(view)
        self.user_properties.append(("finding_kinds", ",".join(
            dict.fromkeys(k for loss in outcome.losses for k in loss.verdict.kinds))))
        for path in paths:
            self.user_properties.append(("case", path))
        self._record(outcome, adapter, paths)
        self.side_by_side = "".join(views)
        text = failures_message(outcome.item_name, messages)
        if outcome.error is not None:
            text += f"\n\nthe system also failed during the run (a system error, not word loss): {outcome.error}"
        return text

    def _report_loss(self, loss: Loss, outcome: Outcome, adapter: Adapter) -> tuple[str, str, str]:
        session = self.journal_fuzz
        exchange = loss.exchange
        payload = exchange.payload
        finding = loss.finding
        if isinstance(payload, TextPayload):
            sent_text, received_text, what = exchange.sent, exchange.received, f"note ({self.language})"
        else:
            sent_text, received_text = _texts_at(exchange.sent, exchange.received, finding.path)
            what = f"{payload.kind} ({payload.wire}, {self.language})"
        case = Case.from_exchange(exchange, prop=self.prop.name, language=self.language,
                                  target=session.settings.target, seed=session.seed,
                                  nondeterministic=loss.nondeterministic, reruns=loss.reruns,
                                  versions=versions(adapter), signature=loss.signature,
                                  reduction=loss.reduction.to_dict() if loss.reduction else None, seen=loss.seen,
                                  companions=loss.companions)
        path = case.save(session.cases)
        shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
        replay = (f"journal-fuzz replay {shlex.quote(shown)} "
                  f"--target {shlex.quote(redact_credentials(session.settings.target))}")
        view = _side_by_side(sent_text, received_text, loss.verdict.to_dict()["findings"], self.language)
        reduction = loss.reduction.describe() if loss.reduction else "not reduced (shrinking is off)"
        seen = f"seen in {loss.seen} of {outcome.sent} payloads sent" if loss.seen > 1 else None
        message = failure_message(verdict=loss.verdict, sent=sent_text, received=received_text, what=what,
                                  item=f"{self.prop.name}-{self.language}", seed=session.seed,
                                  target=adapter.describe(), case_path=shown, replay=replay,
                                  nondeterministic=loss.nondeterministic,
                                  reruns=[r for r in loss.reruns if isinstance(r, str)], finding=finding,
                                  reduction=reduction, seen=seen)
        return message, str(path), view

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, (WordLossFailure, SystemUnderTestFailure)):
            return _Failure(printable(str(excinfo.value)))
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "journal_fuzz", None, self.name


class _Crash:
    """What pytest's short summary and JUnit's ``message`` attribute show: the headline alone."""

    def __init__(self, message: str) -> None:
        self.message = message


class _Failure(TerminalRepr):
    """An item's failure text for pytest: printed whole in the failures section, but only its first line in the
    short summary (pytest prints a plain-string failure there again in full when it runs on CI)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.reprcrash = _Crash(next((line for line in text.splitlines() if line.strip()), text))

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


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


def _texts_at(sent: dict[str, Any], received: dict[str, Any], path: str | None) -> tuple[str, str]:
    """The sent and received text of the field a FHIR finding points at."""
    from journal_fuzz.fhir import extract_texts

    def at(resource: dict[str, Any]) -> str:
        for field_ in extract_texts(resource):
            if path and (path == field_.path or path.startswith(field_.path)):
                return field_.text
        return ""

    return at(sent), at(received)
