"""``python:MODULE:FUNC`` (text -> text) and ``python-fhir:MODULE:FUNC`` (FHIR JSON dict -> dict).

For engineers who can call their export, import or conversion code directly: the fastest way to find a word-loss
bug, and the way to pin one down in a regression test.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

from journal_fuzz.adapters.base import Adapter, AdapterConfig, AdapterError, SystemUnderTestError
from journal_fuzz.constants import FHIR, TEXT, Carrier

__all__ = ["FunctionAdapter", "PythonFhirAdapter", "PythonTextAdapter", "load_callable"]


def load_callable(spec: str, scheme: str) -> Callable[[Any], Any]:
    """The function a ``scheme:MODULE:FUNC`` (or ``scheme:MODULE.FUNC``) spec names."""
    target = spec[len(scheme) + 1:]
    module_name, sep, attr = target.rpartition(":")
    if not sep:
        module_name, sep, attr = target.rpartition(".")
    if not sep or not module_name or not attr:
        raise AdapterError(f"target {spec!r} must look like {scheme}:MODULE:FUNCTION")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AdapterError(f"cannot import {module_name!r} for target {spec!r}: {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise AdapterError(f"{module_name!r} has no {attr!r} (target {spec!r})")
    if not callable(obj):
        raise AdapterError(f"{module_name}:{attr} is not callable (target {spec!r})")
    return obj  # type: ignore[no-any-return]


def _call(func: Callable[[Any], Any], arg: Any, spec: str) -> Any:
    try:
        return func(arg)
    except Exception as exc:  # the system under test crashed: a system error
        where = traceback.extract_tb(exc.__traceback__)[-1]
        raise SystemUnderTestError(f"{spec} raised {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})",
                                   cause="crashed") from exc


class PythonTextAdapter(Adapter):
    scheme: ClassVar[str] = "python"
    carries: ClassVar[frozenset[Carrier]] = frozenset({TEXT})

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        super().__init__(spec, config)
        self.func = load_callable(spec, self.scheme)

    def describe(self) -> str:
        return f"Python function {self.spec[len(self.scheme) + 1:]}"

    def roundtrip_text(self, text: str, *, uid: str) -> str:
        out = _call(self.func, text, self.spec)
        if not isinstance(out, str):
            raise SystemUnderTestError(f"{self.spec} returned {type(out).__name__}, not text", cause="garbage")
        return out


class PythonFhirAdapter(Adapter):
    scheme: ClassVar[str] = "python-fhir"
    carries: ClassVar[frozenset[Carrier]] = frozenset({FHIR})

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        super().__init__(spec, config)
        self.func = load_callable(spec, self.scheme)

    def describe(self) -> str:
        return f"Python FHIR function {self.spec[len(self.scheme) + 1:]}"

    def roundtrip_fhir(self, resource: dict[str, Any], *, wire: str, uid: str) -> dict[str, Any]:
        out = _call(self.func, resource, self.spec)
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
