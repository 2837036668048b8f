"""``python:MODULE:FUNC`` (text -> text) and ``python-fhir:MODULE:FUNC`` (FHIR JSON dict -> dict).

For engineers who can call their export, import or conversion code directly: the fastest way to find a word-loss
bug, and the way to pin one down in a regression test.

MODULE is found where a user standing in their project expects it: on ``sys.path`` as it is, then in the current
directory and the directories named in ``AdapterConfig.search_paths`` (the plugin passes pytest's rootdir), as
pytest's own ``pythonpath`` setting would. Each call runs under the round-trip timeout: a function that hangs is a
system error (timeout), not a hung run.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from journal_fuzz.adapters.base import Adapter, AdapterConfig, AdapterError, SystemUnderTestError
from journal_fuzz.constants import FHIR, TEXT, Carrier

__all__ = ["FunctionAdapter", "PythonFhirAdapter", "PythonTextAdapter", "load_callable"]


def _import(module_name: str, spec: str, search_paths: Sequence[str]) -> Any:
    """Import ``module_name``, looking also in the current directory and ``search_paths`` when sys.path lacks it."""
    extra = [p for p in dict.fromkeys([os.getcwd(), *map(os.fspath, search_paths)]) if p not in sys.path]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise AdapterError(f"cannot import {module_name!r} for target {spec!r}: {exc}") from None
        first = exc
    except ImportError as exc:
        raise AdapterError(f"cannot import {module_name!r} for target {spec!r}: {exc}") from None
    except Exception as exc:  # the module itself failed while importing
        raise AdapterError(f"importing {module_name!r} for target {spec!r} failed: {type(exc).__name__}: {exc}") \
            from None
    if extra:
        # Kept for the rest of the run, as pytest's pythonpath setting does: the module's own imports need it too.
        sys.path[:0] = extra
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise AdapterError(f"cannot import {module_name!r} for target {spec!r}: {exc}") from None
        except Exception as exc:
            raise AdapterError(f"importing {module_name!r} for target {spec!r} failed: "
                               f"{type(exc).__name__}: {exc}") from None
    looked = ", ".join([*extra, "sys.path"])
    raise AdapterError(f"cannot import {module_name!r} for target {spec!r}: {first.msg}; looked in {looked}")


def load_callable(spec: str, scheme: str, search_paths: Sequence[str] = ()) -> Callable[[Any], Any]:
    """The function a ``scheme:MODULE:FUNC`` (or ``scheme:MODULE.FUNC``) spec names."""
    target = spec[len(scheme) + 1:]
    module_name, sep, attr = target.rpartition(":")
    if not sep:
        module_name, sep, attr = target.rpartition(".")
    if not sep or not module_name or not attr:
        raise AdapterError(f"target {spec!r} must look like {scheme}:MODULE:FUNCTION")
    module = _import(module_name, spec, search_paths)
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise AdapterError(f"{module_name!r} has no {attr!r} (target {spec!r})")
    if not callable(obj):
        raise AdapterError(f"{module_name}:{attr} is not callable (target {spec!r})")
    return obj  # type: ignore[no-any-return]


def _call(func: Callable[[Any], Any], arg: Any, spec: str, timeout: float) -> Any:
    """``func(arg)`` in a thread of its own, so a function that never returns costs ``timeout``, not the run."""
    result: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(func(arg))
        except BaseException as exc:  # handed back to the caller, whatever it is
            failure.append(exc)

    worker = threading.Thread(target=run, name="journal-fuzz-python-target", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        # A thread cannot be stopped; it is a daemon, so it does not keep the process alive.
        raise SystemUnderTestError(f"{spec} did not return within {timeout:g} s", cause="timeout")
    if failure:
        exc = failure[0]
        if not isinstance(exc, Exception):
            raise exc
        where = traceback.extract_tb(exc.__traceback__)[-1]
        raise SystemUnderTestError(f"{spec} raised {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})",
                                   cause="crashed") from exc
    return result[0]


class PythonTextAdapter(Adapter):
    scheme: ClassVar[str] = "python"
    carries: ClassVar[frozenset[Carrier]] = frozenset({TEXT})

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        super().__init__(spec, config)
        self.func = load_callable(spec, self.scheme, config.search_paths)

    def describe(self) -> str:
        return f"Python function {self.spec[len(self.scheme) + 1:]}"

    def roundtrip_text(self, text: str, *, uid: str) -> str:
        out = _call(self.func, text, self.spec, self.config.timeout)
        if not isinstance(out, str):
            raise SystemUnderTestError(f"{self.spec} returned {type(out).__name__}, not text", cause="garbage")
        return out


class PythonFhirAdapter(Adapter):
    scheme: ClassVar[str] = "python-fhir"
    carries: ClassVar[frozenset[Carrier]] = frozenset({FHIR})

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        super().__init__(spec, config)
        self.func = load_callable(spec, self.scheme, config.search_paths)

    def describe(self) -> str:
        return f"Python FHIR function {self.spec[len(self.scheme) + 1:]}"

    def roundtrip_fhir(self, resource: dict[str, Any], *, wire: str, uid: str) -> dict[str, Any]:
        out = _call(self.func, resource, self.spec, self.config.timeout)
        if not isinstance(out, dict) or "resourceType" not in out:
            raise SystemUnderTestError(f"{self.spec} returned {type(out).__name__}, not a FHIR resource",
                                       cause="garbage")
        return out


class FunctionAdapter(Adapter):
    """A text system made of a Python function already in hand, optionally behind another adapter (the
    built-in mutants of ``journal-fuzz selftest``, benchmarks)."""

    carries: ClassVar[frozenset[Carrier]] = frozenset({TEXT})

    def __init__(self, name: str, func: Callable[[str], str], inner: Adapter | None = None) -> None:
        super().__init__(name, AdapterConfig())
        self.func = func
        self.inner = inner

    def describe(self) -> str:
        return self.spec if self.inner is None else f"{self.spec} after {self.inner.describe()}"

    def roundtrip_text(self, text: str, *, uid: str) -> str:
        through = self.inner.roundtrip_text(text, uid=uid) if self.inner is not None else text
        return self.func(through)
