"""journal_fuzz's pytest11 entry point: the options, and the plugin proper only when a target is configured.

pytest loads this module in every run wherever journal_fuzz is installed, so, as Hypothesis's
``_hypothesis_pytestplugin`` does, it imports nothing of journal_fuzz (nor Hypothesis). It adds the options, reads
``[tool.journal_fuzz]``, and only when ``--journal-fuzz=SPEC`` or ``target`` names a system imports
:mod:`journal_fuzz.plugin` and registers its session object (``journal_fuzz_session``), which holds the run's
state and hooks. A run without a target pays for reading pyproject.toml and nothing more.

Every option is one field of :class:`Settings`: the field's name is the pyproject key and, after
``--journal-fuzz-``, the command-line flag; its annotation is the type; :func:`option` gives the default, the
help and the metavar or choices. Adding an option is adding one field.
"""

from __future__ import annotations

import json
import os
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

if TYPE_CHECKING:
    from journal_fuzz.adapters.base import Adapter
    from journal_fuzz.plugin import JournalFuzzSession

__all__ = ["NO_TARGET", "PROFILES", "SESSION_PLUGIN", "Option", "Settings", "bad_setting", "configured",
           "on_command_line", "option", "options", "setting_name"]

SESSION_PLUGIN = "journal_fuzz_session"
"""The name the session object is registered under (``config.pluginmanager.getplugin(SESSION_PLUGIN)``)."""

PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"examples": 10, "derandomize": False},
    "ci": {"examples": 25, "derandomize": True},
    "acceptance": {"examples": 300, "derandomize": False},
}

_ROW = "journal_fuzz"
"""The key under which a Settings field's metadata carries its :class:`Option`."""


@dataclass(frozen=True)
class Option:
    """How one :class:`Settings` field shows on the command line and in ``[tool.journal_fuzz]``."""

    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    flag: str | None = None
    """The command-line flag when it is not ``--journal-fuzz-<name>`` (the target's is ``--journal-fuzz``)."""
    pyproject: bool = True
    """Whether ``[tool.journal_fuzz]`` may set it too."""


def option(default: Any, help: str, **how: Any) -> Any:
    """A :class:`Settings` field that is a command-line option and, unless ``pyproject=False``, a pyproject key."""
    return field(default=default, metadata={_ROW: Option(help, **how)})


@dataclass(frozen=True)
class Settings:
    """The run's settings: the command line, then ``[tool.journal_fuzz]``, then the default (an empty value counts
    as not given). Field order is the order of ``pytest --help``."""

    target: str = option("", "system under test: embedded, fhir+http(s)://HOST/BASE, hl7+mllp://HOST:PORT, "
                             "python:MODULE:FUNC, python-fhir:MODULE:FUNC, cmd:COMMAND, dir:INBOX,OUTBOX",
                         metavar="SPEC", flag="--journal-fuzz")
    examples: int = option(0, "examples per property and language (default: from the profile)", metavar="N")
    lang: tuple[str, ...] = option(("sv", "en"), "languages to generate (default sv,en)", metavar="sv,en")
    seed: str | None = option(None, "random seed; 'last' reuses the previous run's (always printed in the header)",
                              metavar="N|last")
    cases: Path = option(Path(".journal_fuzz/cases"), "where failing cases are saved (default .journal_fuzz/cases)",
                         metavar="DIR")
    concurrency: int = option(8, "payloads sent at once per example (default 8): many losses happen only under load",
                              metavar="K")
    profile: str = option("", "quick (10 examples), ci (25, derandomised) or acceptance (300); default quick, ci on "
                              "CI", choices=tuple(PROFILES))
    properties: tuple[str, ...] = option((), "only these properties (comma-separated, e.g. negations,medications)",
                                         metavar="NAMES")
    timeout: float = option(30.0, "per-request timeout for the system under test (default 30)", metavar="SECONDS")
    db: str | None = option(None, "share Hypothesis's failing examples through Redis across CI machines",
                            metavar="redis://HOST:PORT/N")
    auth_env: str | None = option(None, "environment variable holding the target's bearer token or user:password",
                                  metavar="VAR")
    listen: str | None = option(None, "where forwarded HL7 messages come back (hl7+mllp targets)",
                                metavar="HOST:PORT")
    fhir_version: str = option("R4B", "FHIR version of generated resources (default R4B)", choices=("R4B", "R5"))
    lexicon: tuple[str, ...] = option((), "site lexicons (TOML, comma-separated) merged over the packaged ones for "
                                          "the oracle", metavar="PATH,...")
    shrink_budget: str = option("60s", "what reducing each distinct loss to its minimal case may cost: a time "
                                       "(60s, 2m) or round trips (200); default 60s, 0 reports cases unreduced",
                                metavar="TIME|N")
    report: str | None = option(None, "write a self-contained HTML report of the run", metavar="PATH")
    skip_without_target: bool = option(False, "skip the tests that use the journal_fuzz_adapter fixture when no "
                                                   "target is given (by default they fail: a run without a target "
                                                   "proves nothing)")
    battery: bool = option(False, "run the battery also when test paths are named (by default named paths run "
                                  "alone, with the target as the journal_fuzz_adapter fixture)", pyproject=False)

    @property
    def derandomize(self) -> bool:
        """Whether Hypothesis runs derandomised: the profile says so, unless examples are shared through a
        database (Hypothesis ignores its database when derandomised, and sharing one is the point of ``db``)."""
        return bool(PROFILES[self.profile]["derandomize"]) and not self.db

    @classmethod
    def resolve(cls, given: Mapping[str, Any], table: Mapping[str, Any]) -> Settings:
        """Settings from command-line values (``given``, by field name; None = not given) over the pyproject
        ``table``; a value that cannot work is one :class:`pytest.UsageError` line naming the setting (as the
        user wrote it), the value and the reason."""
        values: dict[str, Any] = {}
        for f in options():
            row = _row(f)
            raw = given.get(f.name)
            on_command_line = raw is not None
            if raw is None and row.pyproject:
                raw = table.get(f.name)
            value = _convert(f.name, _types()[f.name], raw, on_command_line)
            # An empty string or list counts as not given; a number is given whatever it is (0 is refused below).
            if value or (value is not None and _base(_types()[f.name]) in (int, float)):
                if row.choices is not None and value not in row.choices:
                    raise bad_setting(f.name, raw, f"unknown {f.name.replace('_', ' ')}; use "
                                      f"{', '.join(row.choices)}", on_command_line)
                values[f.name] = value
        profile = values.setdefault("profile", "ci" if os.environ.get("CI") else "quick")
        values.setdefault("examples", PROFILES[profile]["examples"])
        settings = cls(**values)

        def check(name: str, ok: bool, reason: str) -> None:
            if not ok:
                raise bad_setting(name, given.get(name) if given.get(name) is not None else table.get(name),
                                  reason, given.get(name) is not None)

        bad = [lang for lang in settings.lang if lang not in ("sv", "en")]
        check("lang", not bad, f"unknown language {bad[0]!r}; use sv, en" if bad else "")
        check("examples", settings.examples >= 1, "must be at least 1")
        check("concurrency", settings.concurrency >= 1, "must be at least 1")
        check("timeout", settings.timeout > 0, "must be more than 0 seconds")
        return settings


def setting_name(name: str, on_command_line: bool) -> str:
    """How the user wrote setting ``name``: its command-line flag, or its key in ``[tool.journal_fuzz]``."""
    f = next(f for f in options() if f.name == name)
    return _flag(f) if on_command_line else f"[tool.journal_fuzz] {name}"


def bad_setting(name: str, value: Any, reason: str, on_command_line: bool) -> pytest.UsageError:
    """The one line a setting that cannot work is refused with: where it was set, its value, why."""
    if on_command_line:
        shown = f"{setting_name(name, True)}={value}"
    else:
        shown = f"{setting_name(name, False)} = {json.dumps(value, ensure_ascii=False, default=str)}"
    return pytest.UsageError(f"journal_fuzz: {shown}: {reason}")


@cache
def options() -> tuple[Field[Any], ...]:
    """The table: every :class:`Settings` field that is an option, in ``--help`` order."""
    return tuple(f for f in fields(Settings) if _ROW in f.metadata)


@cache
def _types() -> dict[str, Any]:
    return typing.get_type_hints(Settings)


def _row(f: Field[Any]) -> Option:
    return cast(Option, f.metadata[_ROW])


def _flag(f: Field[Any]) -> str:
    return _row(f).flag or "--journal-fuzz-" + f.name.replace("_", "-")


def _dest(f: Field[Any]) -> str:
    return f"journal_fuzz_{f.name}"


def _base(hint: Any) -> Any:
    """``int | None`` -> int; ``tuple[str, ...]`` -> tuple."""
    if isinstance(hint, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return typing.get_origin(hint) or hint


def _convert(name: str, hint: Any, raw: Any, on_command_line: bool = True) -> Any:
    """A command-line string or a pyproject value as the field's type; None when not given."""
    if raw is None:
        return None
    kind = _base(hint)
    if kind is tuple:
        items = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else [raw]
        return tuple(s for s in (str(v).strip() for v in items) if s)
    if kind is bool:
        if not isinstance(raw, bool):
            raise bad_setting(name, raw, "must be true or false", on_command_line)
        return raw
    parse: Callable[[Any], Any] = kind
    try:
        if kind in (int, float) and isinstance(raw, bool):
            raise ValueError(raw)
        return parse(raw)
    except (TypeError, ValueError):
        what = {int: "a whole number", float: "a number"}.get(kind, "a string")
        raise bad_setting(name, raw, f"must be {what}", on_command_line) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("journal_fuzz", "journal_fuzz: prove the system under test keeps every clinical word")
    for f in options():
        row = _row(f)
        kind = _base(_types()[f.name])
        if kind is bool:
            group.addoption(_flag(f), dest=_dest(f), action="store_true", default=None, help=row.help)
            continue
        how: dict[str, Any] = {"metavar": row.metavar} if row.metavar else {}
        if row.choices is not None:
            how["choices"] = sorted(row.choices)
        if kind in (int, float):
            how["type"] = kind
        group.addoption(_flag(f), dest=_dest(f), help=row.help, **how)


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
            unknown = set(table) - {f.name for f in options() if _row(f).pyproject}
            if unknown:
                raise pytest.UsageError("journal_fuzz: unknown keys in [tool.journal_fuzz]: "
                                        + ", ".join(sorted(unknown)))
            return table
    return {}


def configured(config: pytest.Config) -> Settings | None:
    """The run's settings when a target is configured (command line or pyproject), else None."""
    table = _pyproject(config)
    given = {f.name: config.getoption(_dest(f), default=None) for f in options()}
    if given["target"] is not None and not given["target"].strip():
        raise pytest.UsageError("journal_fuzz: --journal-fuzz= is empty: name the system under test, e.g. "
                                "--journal-fuzz=embedded (see --help for every SPEC)")
    if not (given["target"] or table.get("target")):
        return None
    return Settings.resolve(given, table)


def on_command_line(config: pytest.Config, name: str) -> bool:
    """Whether setting ``name`` came from the command line (else from ``[tool.journal_fuzz]`` or the default)."""
    f = next(f for f in options() if f.name == name)
    return config.getoption(_dest(f), default=None) is not None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "journal_fuzz: an item of the journal_fuzz acceptance battery")
    settings = configured(config)
    if settings is None:
        return
    from journal_fuzz.plugin import JournalFuzzSession

    config.pluginmanager.register(JournalFuzzSession(config, settings), SESSION_PLUGIN)


NO_TARGET = ("journal_fuzz: no target for the journal_fuzz_adapter fixture: pass --journal-fuzz=SPEC or set target "
             "in [tool.journal_fuzz] (or skip_without_target = true there, or --journal-fuzz-skip-without-target, "
             "to skip such tests instead)")


@pytest.fixture(scope="session")
def journal_fuzz_adapter(pytestconfig: pytest.Config) -> Adapter:
    """The configured system under test, started: for regression tests written by ``journal-fuzz export-test``.

    Without a target such a test proves nothing, so it fails (a CI job that forgot the target must not stay
    green) unless the project opted in to skipping it.
    """
    session = cast("JournalFuzzSession | None", pytestconfig.pluginmanager.getplugin(SESSION_PLUGIN))
    if session is None:
        if _skip_without_target(pytestconfig):
            pytest.skip("no journal_fuzz target (skip_without_target is set): pass --journal-fuzz=SPEC to run it")
        pytest.fail(NO_TARGET, pytrace=False)
    return session.started_adapter()


def _skip_without_target(config: pytest.Config) -> bool:
    f = next(f for f in options() if f.name == "skip_without_target")
    given = config.getoption(_dest(f), default=None)
    if given is not None:
        return bool(given)
    raw = _pyproject(config).get("skip_without_target")
    return bool(_convert("skip_without_target", bool, raw, False))
