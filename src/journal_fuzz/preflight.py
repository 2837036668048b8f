"""The run's settings checked once, before any item runs: a setting that cannot work is one line, not an error in
every item.

Without this a lexicon that is not UTF-8, a Redis that is not there or a cases directory that cannot be written
surfaces inside every battery item (counted like word loss, with a traceback each), or only after the run, when a
case or the report cannot be saved. Each check raises :class:`pytest.UsageError` naming the setting as the user
wrote it (the flag, the ``[tool.journal_fuzz]`` key or the environment variable), its value and the reason.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from _journal_fuzz_pytestplugin import Settings, bad_setting, on_command_line
from journal_fuzz.lexicon import LexiconError, load_lexicon
from journal_fuzz.reduce import Budget, BudgetError

__all__ = ["LEXICON_ENV", "check_settings", "shrink_budget"]

LEXICON_ENV = "JOURNAL_FUZZ_LEXICON"
"""Site lexicons the oracle always merges (see :mod:`journal_fuzz.lexicon`)."""


def check_settings(config: pytest.Config, settings: Settings, lexicons: tuple[str, ...], cases: Path) -> None:
    """Every check, in the order a user would fix them; ``lexicons`` and ``cases`` are the resolved paths."""
    check_lexicons(config, settings, lexicons)
    check_writable_dir(config, "cases", str(settings.cases), cases)
    if settings.report:
        report = config.rootpath / settings.report
        if report.is_dir():
            raise _bad(config, "report", settings.report, "is a directory; name the HTML file to write")
        check_writable_dir(config, "report", settings.report, report.parent)
    if settings.db:
        check_database(config, settings.db, settings.timeout)


def shrink_budget(config: pytest.Config, settings: Settings) -> Budget:
    """The reduction budget the settings name (every process reads it; a bad one is one line naming it)."""
    try:
        return Budget.parse(settings.shrink_budget)
    except BudgetError as exc:
        raise _bad(config, "shrink_budget", settings.shrink_budget, str(exc)) from None


def _bad(config: pytest.Config, name: str, value: object, reason: str) -> pytest.UsageError:
    return bad_setting(name, value, reason, on_command_line(config, name))


def check_lexicons(config: pytest.Config, settings: Settings, lexicons: tuple[str, ...]) -> None:
    """Load every language's lexicon with the site files: first those from the environment alone, so the error
    names the setting that brought the bad file."""
    for language in settings.lang:
        try:
            load_lexicon(language, ())
        except LexiconError as exc:
            raise pytest.UsageError(f"journal_fuzz: {LEXICON_ENV}={os.environ.get(LEXICON_ENV, '')}: {exc}") from None
        try:
            load_lexicon(language, lexicons)
        except LexiconError as exc:
            given = ",".join(settings.lexicon) if on_command_line(config, "lexicon") else list(settings.lexicon)
            raise _bad(config, "lexicon", given, str(exc)) from None


def check_writable_dir(config: pytest.Config, name: str, value: str, directory: Path) -> None:
    """``directory`` exists (created if need be) and a file can be written in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".journal-fuzz-write-check-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except FileExistsError:
        raise _bad(config, name, value, f"{directory} is a file, not a directory") from None
    except OSError as exc:
        raise _bad(config, name, value, f"cannot write in {directory}: {exc.strerror or exc}") from None


def check_database(config: pytest.Config, db: str, timeout: float) -> None:
    """The shared example database is a Redis URL, the redis package is there, and the server answers."""
    from journal_fuzz.adapters.base import redact_credentials

    shown = redact_credentials(db)
    if not db.startswith("redis://"):
        raise _bad(config, "db", shown, "must be a redis:// URL")
    try:
        import redis
    except ImportError:
        raise _bad(config, "db", shown, "needs the redis package: pip install redis") from None
    try:
        client = redis.Redis.from_url(db, socket_connect_timeout=timeout, socket_timeout=timeout)
    except ValueError as exc:
        raise _bad(config, "db", shown, f"is not a usable Redis URL: {exc}") from None
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        raise _bad(config, "db", shown, f"cannot be reached: {exc}") from None
    finally:
        client.close()
