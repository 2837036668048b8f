"""What every adapter for a system under test is, how a SPEC string picks one, and how systems fail.

An adapter carries payloads through the system under test and brings back what the system kept: text adapters
(``python:``, ``cmd:``, ``dir:``, ``hl7+mllp://``) take note text, FHIR adapters (``embedded``, ``fhir+http(s)://``,
``python-fhir:``) take FHIR JSON resources. The battery asks an adapter what it ``carries`` and runs only the
properties it can. Adapters know nothing of the oracle.

A system that cannot be reached, times out, answers 5xx or returns garbage raises :class:`SystemUnderTestError`:
a *system error*, reported apart from word loss and never counted as a pass.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, ClassVar

from journal_fuzz.constants import Carrier

__all__ = [
    "ENTRY_POINT_GROUP", "Adapter", "AdapterConfig", "AdapterError", "SystemUnderTestError", "UnsupportedError",
    "adapter_for", "known_schemes", "redact_credentials", "register",
]

ENTRY_POINT_GROUP = "journal_fuzz.adapters"



class AdapterError(ValueError):
    """A SPEC or adapter setting that cannot work (a user error, reported before anything is sent)."""


class SystemUnderTestError(Exception):
    """The system under test failed: unreachable, timed out, answered an error, or returned garbage.

    Distinct from word loss: nothing can be said about words a system did not return.
    """

    def __init__(self, message: str, *, cause: str = "error", retryable: bool = False) -> None:
        super().__init__(message)
        self.cause = cause
        """A short tag: unreachable, timeout, http-5xx, http-4xx, garbage, protocol, rejected, crashed."""
        self.retryable = retryable


class UnsupportedError(SystemUnderTestError):
    """The target does not support this resource type or operation at all (reported once, not as loss)."""

    def __init__(self, message: str, *, what: str) -> None:
        super().__init__(message, cause="unsupported")
        self.what = what


@dataclass(frozen=True)
class AdapterConfig:
    """Settings an adapter may use; from ``[tool.journal_fuzz]`` and the command line (command line wins)."""

    timeout: float = 30.0
    """Seconds for one round trip (request, command run, file wait)."""
    retries: int = 3
    """Retries with backoff on 429/503 only."""
    auth_env: str | None = None
    """Name of an environment variable holding ``Bearer <token>``, a bare token, or ``user:password``."""
    client_ids: bool = False
    """Create with PUT and client-chosen ids instead of POST."""
    listen: str | None = None
    """HOST:PORT where forwarded HL7 messages come back."""
    fhir_version: str = "R4B"
    search_paths: tuple[str, ...] = ()
    """Directories where a ``python:`` target's module is looked for besides sys.path and the current directory
    (the plugin passes pytest's rootdir)."""
    extra: Mapping[str, str] = field(default_factory=dict)

    def secret(self) -> str | None:
        """The credential named by ``auth_env``, or None; never printed anywhere."""
        if not self.auth_env:
            return None
        value = os.environ.get(self.auth_env)
        if value is None:
            raise AdapterError(f"environment variable {self.auth_env} (named for authentication) is not set")
        return value


class Adapter:
    """One system under test. Subclasses override the round trips they carry."""

    scheme: ClassVar[str] = ""
    carries: ClassVar[frozenset[Carrier]] = frozenset()
    """``{"text"}`` for text adapters, ``{"fhir"}`` for FHIR adapters."""

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        self.spec = spec
        self.config = config

    def start(self) -> None:
        """Connect, start a server, check the target answers; raise SystemUnderTestError if it does not."""

    def stop(self) -> None:
        """Release what :meth:`start` took."""

    def describe(self) -> str:
        """The target as it may be printed (credentials removed)."""
        return redact_credentials(self.spec)

    def software(self) -> dict[str, str]:
        """What the system says it is (FHIR CapabilityStatement.software, HL7 MSH-3/MSH-4), when it says."""
        return {}

    def attachments(self, uid: str) -> dict[str, bytes]:
        """Evidence files for the payload sent under ``uid`` (a screenshot of the editor), by file-name suffix;
        asked once after every send, kept with a failing case. Most adapters have none."""
        return {}

    def variants(self) -> tuple[str, ...]:
        """Ways of driving this one system that each get their own battery items (a web editor typed into and
        pasted into); empty for most adapters."""
        return ()

    def variant(self, name: str) -> Adapter:
        """The adapter for one of :meth:`variants`, sharing this one's connection (started with it)."""
        raise AdapterError(f"{self.describe()} has no variant {name!r}; it has {', '.join(self.variants()) or 'none'}")

    def variant_for(self, prop: str) -> Adapter:
        """The variant a battery property name ran through (``negations.paste`` → ``paste``), else this adapter."""
        head, _, tail = prop.partition(".")
        return self.variant(tail) if head and tail in self.variants() else self

    def roundtrip_text(self, text: str, *, uid: str) -> str:
        """Send note text and return the text the system kept. ``uid`` is unique per example."""
        raise AdapterError(f"{self.describe()} does not carry plain text")

    def roundtrip_fhir(self, resource: dict[str, Any], *, wire: str, uid: str) -> dict[str, Any]:
        """Store a FHIR resource (sent in ``wire`` form: json or xml) and return it as read back."""
        raise AdapterError(f"{self.describe()} does not carry FHIR resources")

    def __enter__(self) -> Adapter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


AdapterFactory = Callable[[str, AdapterConfig], Adapter]
_REGISTRY: dict[str, AdapterFactory] = {}
_BUILTIN = {
    "embedded": "journal_fuzz.adapters.embedded:EmbeddedFhirAdapter",
    "fhir+http": "journal_fuzz.adapters.fhir_rest:FhirRestAdapter",
    "fhir+https": "journal_fuzz.adapters.fhir_rest:FhirRestAdapter",
    "hl7+mllp": "journal_fuzz.adapters.hl7v2:MllpAdapter",
    "python": "journal_fuzz.adapters.python:PythonTextAdapter",
    "python-fhir": "journal_fuzz.adapters.python:PythonFhirAdapter",
    "cmd": "journal_fuzz.adapters.command:CommandAdapter",
    "dir": "journal_fuzz.adapters.files:DirectoryAdapter",
    "web": "journal_fuzz.adapters.web:WebAdapter",
}


def register(scheme: str, factory: AdapterFactory) -> None:
    """Register an adapter for ``scheme`` (third parties usually use the entry-point group instead)."""
    _REGISTRY[scheme] = factory


def _load(target: str) -> AdapterFactory:
    module_name, _, attr = target.partition(":")
    module = __import__(module_name, fromlist=[attr])
    factory: AdapterFactory = getattr(module, attr)
    return factory


def known_schemes() -> list[str]:
    schemes = set(_BUILTIN) | set(_REGISTRY)
    schemes.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(schemes)


_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)(?::|$)")


def scheme_of(spec: str) -> str:
    m = _SCHEME.match(spec.strip())
    if not m:
        raise AdapterError(f"cannot read target {spec!r}: use one of {', '.join(known_schemes())} "
                           "(for example embedded, fhir+http://host/base, python:module:function, cmd:command)")
    return m.group(1)


def adapter_for(spec: str, config: AdapterConfig | None = None) -> Adapter:
    """The adapter a SPEC names (``embedded``, ``fhir+http://...``, ``python:mod:func``...), not yet started."""
    config = config or AdapterConfig()
    scheme = scheme_of(spec)
    factory = _REGISTRY.get(scheme)
    if factory is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == scheme:
                factory = ep.load()
                break
    if factory is None and scheme in _BUILTIN:
        factory = _load(_BUILTIN[scheme])
    if factory is None:
        raise AdapterError(f"no adapter for {scheme!r} in target {redact_credentials(spec)!r}; "
                           f"known: {', '.join(known_schemes())}")
    return factory(spec.strip(), config)


def redact_credentials(spec: str) -> str:
    """A target with any user name, password or token removed, safe to print and to save in a case."""
    out = re.sub(r"(//)[^/@\s]*@", r"\1***@", spec)
    parsed = urllib.parse.urlsplit(out) if "://" in out else None
    if parsed and parsed.query:
        pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        safe = [(k, "***" if re.search(r"token|secret|pass|key|auth", k, re.I) and not k.endswith("_env")
                 else v) for k, v in pairs]
        out = urllib.parse.urlunsplit(parsed._replace(query=urllib.parse.urlencode(safe, safe="*:")))
    return out
