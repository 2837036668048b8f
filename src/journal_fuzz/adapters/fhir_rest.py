"""``fhir+http(s)://HOST:PORT/BASE``: create each resource on a FHIR REST server and read it back.

A resource is created with ``POST [base]/[type]`` (or ``PUT [base]/[type]/[id]`` with an id derived from the
example's uid, when ``client_ids`` is set or the server refuses POST with 405), then read back with
``GET [base]/[type]/[id]`` in the same wire form. The id comes from the ``Location`` header (or the returned
body); the read always goes through the configured base, because servers behind a proxy often answer with their
internal host name. A transaction Bundle goes to ``POST [base]`` and each entry is read back from the response's
``location``s (see :meth:`FhirRestAdapter.transaction`).

Options may ride on the SPEC as query parameters, overriding :class:`~journal_fuzz.adapters.base.AdapterConfig`:
``timeout=`` (seconds), ``retries=``, ``auth_env=`` (the *name* of an environment variable holding ``Bearer
<token>``, a bare token, or ``user:password``), ``client_ids=1`` and ``version=R4B|R5``. Credentials are never
accepted in the SPEC itself, never printed and never put in an error message.

How the server fails decides the :class:`~journal_fuzz.adapters.base.SystemUnderTestError` cause: no connection
``unreachable``, no answer in time ``timeout``, 5xx ``http-5xx``, a body that is not FHIR (an HTML error page,
truncated JSON, XML with a DTD) ``garbage``, any other 4xx ``rejected`` with the OperationOutcome's text. A 4xx
that says the type is not supported (404 on the type endpoint, issue code ``not-supported``, or a type the
CapabilityStatement does not list, when the outcome names no problem with the content) is an
:class:`~journal_fuzz.adapters.base.UnsupportedError`, remembered so later examples of that type fail fast.
429 and 503 are retried with exponential backoff (``Retry-After`` honoured up to :attr:`MAX_RETRY_AFTER` s).

One :class:`httpx.Client` is shared by every thread; nothing else is mutated during a round trip except the set of
unsupported types, which is guarded by a lock.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar, NoReturn

import httpx

from journal_fuzz.adapters.base import (
    Adapter,
    AdapterConfig,
    AdapterError,
    SystemUnderTestError,
    UnsupportedError,
    redact_credentials,
)
from journal_fuzz.constants import FHIR, Carrier
from journal_fuzz.fhir.errors import FhirError, HostileXMLError
from journal_fuzz.fhir.wire import WIRES, from_wire, to_wire

__all__ = ["MEDIA_TYPES", "FhirRestAdapter", "client_id"]

MEDIA_TYPES = {"json": "application/fhir+json", "xml": "application/fhir+xml; charset=utf-8"}
"""``Accept`` and ``Content-Type`` for each wire form."""

_OPTIONS = ("timeout", "retries", "auth_env", "client_ids", "version")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_VERSIONS = {"R4": "R4B", "R4B": "R4B", "R5": "R5"}
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_LOCATION = re.compile(r"(?:^|/)([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/?#]+)?/?(?:[?#].*)?$")
_CONTENT_CODES = frozenset({"structure", "invalid", "required", "value", "invariant", "business-rule", "conflict",
                            "duplicate", "too-long", "code-invalid", "extension", "processing"})
_UUID_NAMESPACE = uuid.UUID("0b7d6a0e-58c4-5a0e-9a3c-7f1e2d4c8b91")


def client_id(uid: str) -> str:
    """A FHIR id (``[A-Za-z0-9-.]{1,64}``) for a client-chosen create, derived from the example's uid.

    Distinct uids give distinct ids; a uid that is already a valid short id is kept readable.
    """
    if re.fullmatch(r"[A-Za-z0-9\-.]{1,61}", uid):
        return f"jf-{uid}"
    return "jf-" + hashlib.sha256(uid.encode("utf-8")).hexdigest()[:48]


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _flag(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise AdapterError(f"option {name}={value!r} must be 1 or 0")


def parse_target(spec: str, config: AdapterConfig) -> tuple[str, AdapterConfig]:
    """The HTTP base URL a ``fhir+http(s)://`` SPEC names, and ``config`` with the SPEC's options applied."""
    text = spec.strip()
    m = re.match(r"^fhir\+(https?)://", text, re.IGNORECASE)
    if not m:
        raise AdapterError(f"target {redact_credentials(text)!r} is not a FHIR REST target: "
                           "use fhir+http://HOST:PORT/BASE or fhir+https://HOST/BASE")
    parts = urllib.parse.urlsplit(text[len("fhir+"):])
    if parts.username is not None or parts.password is not None:
        raise AdapterError(f"target {redact_credentials(text)!r} carries credentials: put them in an environment "
                           "variable and name it with ?auth_env=NAME (credentials in a target end up in logs and "
                           "saved cases)")
    if not parts.hostname:
        raise AdapterError(f"target {redact_credentials(text)!r} names no host: use fhir+http://HOST:PORT/BASE")
    try:
        _ = parts.port
    except ValueError:
        raise AdapterError(f"target {redact_credentials(text)!r} has an invalid port") from None
    if parts.fragment:
        raise AdapterError(f"target {redact_credentials(text)!r} must not have a #fragment")
    changes: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if key not in _OPTIONS:
            raise AdapterError(f"unknown option {key!r} in target {redact_credentials(text)!r}; "
                               f"known: {', '.join(_OPTIONS)}")
        if key == "timeout":
            try:
                seconds = float(value)
            except ValueError:
                raise AdapterError(f"option timeout={value!r} must be a number of seconds") from None
            if not seconds > 0 or seconds == float("inf"):
                raise AdapterError(f"option timeout={value!r} must be a positive number of seconds")
            changes["timeout"] = seconds
        elif key == "retries":
            if not value.isdigit():
                raise AdapterError(f"option retries={value!r} must be a whole number (0 or more)")
            changes["retries"] = int(value)
        elif key == "auth_env":
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
                raise AdapterError(f"option auth_env={value!r} must be the name of an environment variable "
                                   "(not the credential itself)")
            changes["auth_env"] = value
        elif key == "client_ids":
            changes["client_ids"] = _flag(key, value)
        else:
            version = _VERSIONS.get(value.strip().upper())
            if version is None:
                raise AdapterError(f"option version={value!r}: use R4B or R5")
            changes["fhir_version"] = version
    config = replace(config, **changes) if changes else config
    version = _VERSIONS.get(config.fhir_version.upper())
    if version is None:
        raise AdapterError(f"FHIR version {config.fhir_version!r}: use R4B or R5")
    if version != config.fhir_version:
        config = replace(config, fhir_version=version)
    if not config.timeout > 0:
        raise AdapterError(f"timeout {config.timeout!r} must be a positive number of seconds")
    if config.retries < 0:
        raise AdapterError(f"retries {config.retries!r} must be 0 or more")
    base = urllib.parse.urlunsplit((m.group(1).lower(), parts.netloc, parts.path.rstrip("/"), "", ""))
    return base, config


def _authorization(secret: str) -> tuple[str, list[str]]:
    """The Authorization header for a credential, and every form of it that must never be shown."""
    value = secret.strip()
    if not value:
        raise AdapterError("the environment variable named for authentication is empty")
    scheme, _, rest = value.partition(" ")
    if scheme.lower() in ("bearer", "basic") and rest.strip():
        return value, [value, rest.strip()]
    if ":" in value:
        encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
        password = value.split(":", 1)[1]
        return f"Basic {encoded}", [value, encoded, *([password] if len(password) >= 4 else [])]
    return f"Bearer {value}", [value]


def _outcome_text(body: Any) -> tuple[str, set[str]]:
    """The diagnostics of an OperationOutcome, and its issue codes."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return "", set()
    texts: list[str] = []
    codes: set[str] = set()
    issues = body.get("issue")
    for item in issues if isinstance(issues, list) else []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("code"), str):
            codes.add(item["code"])
        details = item.get("details")
        for text in (item.get("diagnostics"), details.get("text") if isinstance(details, dict) else None):
            if isinstance(text, str) and text.strip() and text.strip() not in texts:
                texts.append(text.strip())
    return "; ".join(texts), codes


class FhirRestAdapter(Adapter):
    """A FHIR REST server (R4B by default, R5 with ``version=R5``), reached over HTTP(S)."""

    scheme: ClassVar[str] = "fhir+http"
    carries: ClassVar[frozenset[Carrier]] = frozenset({FHIR})
    BACKOFF: ClassVar[float] = 0.2
    """First retry delay in seconds; doubled on each further retry."""
    MAX_RETRY_AFTER: ClassVar[float] = 10.0
    """The longest ``Retry-After`` waited for; a server asking for more is given up on."""

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        super().__init__(spec, config)
        self.base_url, self.config = self._parse_spec(spec, config)
        self._client: httpx.Client | None = None
        self._secrets: list[str] = []
        self._capability: dict[str, Any] | None = None
        self._types: frozenset[str] | None = None
        self._unsupported: dict[str, UnsupportedError] = {}
        self._lock = threading.Lock()

    def _parse_spec(self, spec: str, config: AdapterConfig) -> tuple[str, AdapterConfig]:
        return parse_target(spec, config)

    # -- lifecycle -------------------------------------------------------------------------------------------
    def _open(self) -> httpx.Client:
        headers = {"User-Agent": "journal-fuzz"}
        secret = self.config.secret()
        if secret is not None:
            headers["Authorization"], self._secrets = _authorization(secret)
        return httpx.Client(headers=headers, timeout=httpx.Timeout(self.config.timeout), follow_redirects=False)

    def start(self) -> None:
        if self._client is None:
            self._client = self._open()
        resp = self._send("GET", "metadata", wire="json", what="reading the CapabilityStatement")
        if resp.status_code != 200:
            self._fail(resp, "GET", "metadata", "reading the CapabilityStatement")
        body = self._parse(resp, "json", "GET [base]/metadata")
        if body.get("resourceType") != "CapabilityStatement":
            raise SystemUnderTestError(self._scrub(
                f"{self.describe()} answered GET [base]/metadata with a {body.get('resourceType')}, not a "
                "CapabilityStatement: is the base URL right?"), cause="garbage")
        self._capability = body
        types: set[str] = set()
        listed = False
        rests = body.get("rest")
        for rest in rests if isinstance(rests, list) else []:
            if isinstance(rest, dict) and rest.get("mode", "server") == "server" and \
                    isinstance(rest.get("resource"), list):
                listed = True
                types.update(r["type"] for r in rest["resource"] if isinstance(r, dict) and
                             isinstance(r.get("type"), str))
        self._types = frozenset(types) if listed else None

    def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- what it says it is ----------------------------------------------------------------------------------
    def describe(self) -> str:
        sw = self.software()
        name = " ".join(v for v in (sw.get("name"), sw.get("version")) if v)
        return f"FHIR server{f' ({name})' if name else ''} at {redact_credentials(self.base_url)}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r})"

    def software(self) -> dict[str, str]:
        sw = (self._capability or {}).get("software")
        if not isinstance(sw, dict):
            return {}
        return {k: sw[k] for k in ("name", "version") if isinstance(sw.get(k), str)}

    @property
    def capability(self) -> dict[str, Any] | None:
        """The CapabilityStatement read by :meth:`start`."""
        return self._capability

    @property
    def resource_types(self) -> frozenset[str] | None:
        """The resource types the CapabilityStatement lists (None when it lists none)."""
        return self._types

    @property
    def fhir_version(self) -> str | None:
        """The FHIR version the server says it speaks (``4.0.1``...)."""
        v = (self._capability or {}).get("fhirVersion")
        return v if isinstance(v, str) else None

    # -- HTTP ------------------------------------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}" if path else self.base_url

    def _retry_delay(self, resp: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before the next try, or None when the server asks for longer than we wait."""
        delay = self.BACKOFF * (1 << attempt)
        header = resp.headers.get("Retry-After", "").strip()
        if not header:
            return delay
        wait: float | None = None
        if header.isdigit():
            wait = float(header)
        else:
            try:
                when = email.utils.parsedate_to_datetime(header)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                wait = max(0.0, (when - datetime.now(UTC)).total_seconds())
        if wait is None:
            return delay
        if wait > self.MAX_RETRY_AFTER:
            return None
        return max(delay, wait)

    def _send(self, method: str, path: str, *, wire: str, what: str, content: bytes | None = None,
              extra: Mapping[str, str] | None = None) -> httpx.Response:
        """One request, retried on 429/503 with backoff; transport failures become SystemUnderTestError."""
        client = self._client
        if client is None:
            raise AdapterError(f"{self.describe()} is not started: call start() first")
        headers = {"Accept": MEDIA_TYPES[wire]}
        if content is not None:
            headers["Content-Type"] = MEDIA_TYPES[wire]
        if extra:
            headers.update(extra)
        where = f"{method} [base]/{path}" if path else f"{method} [base]"
        for attempt in range(self.config.retries + 1):
            try:
                resp = client.request(method, self._url(path), content=content, headers=headers)
            except httpx.TimeoutException as err:
                raise SystemUnderTestError(self._scrub(
                    f"{self.describe()} did not answer {where} ({what}) within {self.config.timeout:g} s "
                    f"({type(err).__name__})"), cause="timeout", retryable=True) from err
            except httpx.TransportError as err:
                raise SystemUnderTestError(self._scrub(
                    f"{self.describe()} cannot be reached for {where} ({what}): {err or type(err).__name__}"),
                    cause="unreachable") from err
            if resp.status_code not in (429, 503):
                return resp
            delay = self._retry_delay(resp, attempt) if attempt < self.config.retries else None
            if delay is None:
                asked = resp.headers.get("Retry-After")
                reason = (f"asked to retry after {asked.strip()} (longer than {self.MAX_RETRY_AFTER:g} s)"
                          if asked and attempt < self.config.retries else
                          f"still {resp.status_code} after {attempt} retr{'y' if attempt == 1 else 'ies'}")
                text, _codes = _outcome_text(self._json_or_none(resp))
                raise SystemUnderTestError(self._scrub(
                    f"{self.describe()} answered {where} ({what}) with {resp.status_code} "
                    f"{resp.reason_phrase}: {reason}{f' ({_clip(text)})' if text else ''}"),
                    cause="http-5xx" if resp.status_code == 503 else "http-4xx", retryable=True)
            time.sleep(delay)
        raise AssertionError("not reached")  # pragma: no cover

    @staticmethod
    def _json_or_none(resp: httpx.Response) -> Any:
        try:
            return resp.json()
        except (ValueError, UnicodeDecodeError):
            return None

    def _fail(self, resp: httpx.Response, method: str, path: str, what: str, rtype: str | None = None,
              type_endpoint: bool = False, wire: str = "json") -> NoReturn:
        """Raise the error a non-success answer means (always raises)."""
        status = resp.status_code
        where = f"{method} [base]/{path}" if path else f"{method} [base]"
        body = self._json_or_none(resp)
        text, codes = _outcome_text(body)
        if not text:
            ctype = resp.headers.get("Content-Type", "")
            snippet = _clip(resp.text, 200) if resp.content and ("json" in ctype or "text/plain" in ctype) else ""
            text = snippet or (f"a {ctype.split(';')[0] or 'body'} of {len(resp.content)} bytes"
                               if resp.content else "no body")
        said = f"{status} {resp.reason_phrase}".strip()
        head = f"{self.describe()} answered {where} ({what}) with {said}"
        if status == 501 and rtype is not None:
            self._remember(rtype, UnsupportedError(self._scrub(
                f"{self.describe()} does not support {rtype} ({said} on {where}): {_clip(text)}"), what=rtype))
        if status >= 500:
            raise SystemUnderTestError(self._scrub(f"{head}: {_clip(text)}"), cause="http-5xx",
                                       retryable=status in (502, 504))
        if status in (401, 403):
            hint = ("check the credential named by auth_env" if self.config.auth_env else
                    "name a credential with ?auth_env=ENV_VAR")
            raise SystemUnderTestError(self._scrub(f"{head}: {_clip(text)} ({hint})"), cause="rejected")
        if status in (406, 415):
            self._remember(f"wire:{wire}", UnsupportedError(self._scrub(
                f"{self.describe()} does not speak FHIR {wire.upper()} ({said} on {where}): {_clip(text)}"),
                what=f"FHIR {wire.upper()}"))
        if rtype is not None and 400 <= status < 500:
            says = (type_endpoint and status == 404) or "not-supported" in codes
            missing = self._types is not None and rtype not in self._types and not codes & _CONTENT_CODES
            if says or missing:
                why = said if says else f"{said}, and {rtype} is not in its CapabilityStatement"
                self._remember(rtype, UnsupportedError(self._scrub(
                    f"{self.describe()} does not support {rtype} ({why} on {where}): {_clip(text)}"),
                    what=rtype))
        if 300 <= status < 400:
            location = resp.headers.get("Location", "")
            raise SystemUnderTestError(self._scrub(
                f"{head}, a redirect{f' to {redact_credentials(location)}' if location else ''}: "
                "use the final base URL"),
                cause="protocol")
        if 400 <= status < 500:
            raise SystemUnderTestError(self._scrub(f"{head}: {_clip(text)}"), cause="rejected")
        raise SystemUnderTestError(self._scrub(f"{head}: unexpected status ({_clip(text)})"), cause="protocol")

    def _remember(self, key: str | None, err: UnsupportedError) -> NoReturn:
        if key is not None:
            with self._lock:
                self._unsupported.setdefault(key, err)
        raise err

    def _parse(self, resp: httpx.Response, wire: str, where: str) -> dict[str, Any]:
        """A response body as a FHIR JSON dict, in the wire form its Content-Type says (untrusted XML parsed safely)."""
        ctype = resp.headers.get("Content-Type", "").lower()
        actual = "xml" if "xml" in ctype else "json" if "json" in ctype else wire
        try:
            return from_wire(resp.content, actual, self.config.fhir_version)
        except HostileXMLError as err:
            raise SystemUnderTestError(self._scrub(
                f"{self.describe()} returned hostile XML for {where}: {err}"), cause="garbage") from None
        except FhirError as err:
            looks_html = "html" in ctype or (actual == "json" and resp.content.lstrip()[:1] == b"<")
            said = "an HTML page, not FHIR" if looks_html else f"not valid FHIR {actual.upper()}"
            raise SystemUnderTestError(self._scrub(
                f"{self.describe()} returned malformed content for {where} ({said}): {_clip(str(err), 200)}"),
                cause="garbage") from None

    # -- round trips -----------------------------------------------------------------------------------------
    def _check(self, resource: Any, wire: str) -> str:
        if wire not in WIRES:
            raise AdapterError(f"unknown wire form {wire!r}; use one of {', '.join(WIRES)}")
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise AdapterError("a FHIR resource must be a JSON object with a resourceType")
        rtype: str = resource["resourceType"]
        if not re.fullmatch(r"[A-Z][A-Za-z]{1,63}", rtype):
            raise AdapterError(f"{rtype!r} is not a FHIR resource type")
        with self._lock:
            known = self._unsupported.get(rtype) or self._unsupported.get(f"wire:{wire}")
        if known is not None:
            raise UnsupportedError(str(known), what=known.what)
        return rtype

    def _encode(self, resource: dict[str, Any], wire: str) -> bytes:
        try:
            return to_wire(resource, wire, self.config.fhir_version)
        except FhirError as err:
            raise AdapterError(f"cannot send the {resource.get('resourceType')} as {wire}: {err}") from None

    def _location(self, value: str, rtype: str | None = None) -> tuple[str, str] | None:
        m = _LOCATION.search(value.strip())
        if not m or (rtype is not None and m.group(1) != rtype):
            return None
        return m.group(1), m.group(2)

    def _created_id(self, resp: httpx.Response, rtype: str, wire: str, where: str) -> str:
        location = resp.headers.get("Location") or resp.headers.get("Content-Location")
        if location:
            found = self._location(location, rtype)
            if found:
                return found[1]
        if resp.content:
            body = self._parse(resp, wire, where)
            rid = body.get("id")
            if body.get("resourceType") == rtype and isinstance(rid, str) and _ID.fullmatch(rid):
                return rid
        raise SystemUnderTestError(self._scrub(
            f"{self.describe()} accepted {where} ({resp.status_code}) but said neither where the {rtype} is "
            f"(Location{f' {redact_credentials(location)!r} names no {rtype}' if location else ' missing'}) "
            "nor its id"),
            cause="protocol")

    def _create(self, resource: dict[str, Any], rtype: str, wire: str, uid: str) -> str:
        """Store ``resource``; its server id."""
        what = f"creating a {rtype}"
        if not self.config.client_ids:
            resp = self._send("POST", rtype, wire=wire, what=what, content=self._encode(resource, wire))
            if resp.status_code in (200, 201, 204):
                return self._created_id(resp, rtype, wire, f"POST [base]/{rtype}")
            if resp.status_code != 405:
                self._fail(resp, "POST", rtype, what, rtype, type_endpoint=True, wire=wire)
        rid = client_id(uid)
        path = f"{rtype}/{rid}"
        body = {**resource, "id": rid}
        resp = self._send("PUT", path, wire=wire, what=what, content=self._encode(body, wire))
        if resp.status_code not in (200, 201, 204):
            self._fail(resp, "PUT", path, what, rtype, wire=wire)
        return rid

    def _read(self, rtype: str, rid: str, wire: str) -> dict[str, Any]:
        path = f"{rtype}/{rid}"
        what = f"reading back the {rtype}"
        resp = self._send("GET", path, wire=wire, what=what)
        if resp.status_code != 200:
            if resp.status_code in (404, 410):
                raise SystemUnderTestError(self._scrub(
                    f"{self.describe()} created {path} but reading it back answered {resp.status_code} "
                    f"{resp.reason_phrase}"), cause="protocol")
            self._fail(resp, "GET", path, what, wire=wire)
        got = self._parse(resp, wire, f"GET [base]/{path}")
        if got.get("resourceType") != rtype:
            text, _codes = _outcome_text(got)
            raise SystemUnderTestError(self._scrub(
                f"{self.describe()} answered GET [base]/{path} with a {got.get('resourceType')}, not a {rtype}"
                f"{f': {_clip(text)}' if text else ''}"), cause="protocol")
        return got

    def roundtrip_fhir(self, resource: dict[str, Any], *, wire: str, uid: str) -> dict[str, Any]:
        """Create ``resource`` (sent as ``wire``: json or xml) and return it as read back, as a FHIR JSON dict.

        A ``transaction``/``batch`` Bundle goes through :meth:`transaction` instead and comes back as a Bundle of
        the same type whose entries are the resources read back (each with its original ``fullUrl``/``request``).
        """
        rtype = self._check(resource, wire)
        if rtype == "Bundle" and resource.get("type") in ("transaction", "batch"):
            return self._roundtrip_transaction(resource, wire)
        rid = self._create(resource, rtype, wire, uid)
        return self._read(rtype, rid, wire)

    def _roundtrip_transaction(self, bundle: dict[str, Any], wire: str) -> dict[str, Any]:
        entries = bundle.get("entry")
        if not isinstance(entries, list) or not entries:
            raise AdapterError("a transaction Bundle needs entries")
        read = self._post_bundle(bundle, wire, [e.get("resource", {}).get("resourceType") if isinstance(e, dict)
                                                 and isinstance(e.get("resource"), dict) else None for e in entries])
        out = {k: v for k, v in bundle.items() if k != "entry"}
        out["entry"] = [{**entry, "resource": got} for entry, got in zip(entries, read, strict=True)]
        return out

    def transaction(self, resources: Sequence[dict[str, Any]], *, wire: str = "json", uid: str = "journal-fuzz",
                    full_urls: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Store ``resources`` in one transaction Bundle (``POST [base]``) and read every one back.

        Each entry is created with POST (PUT with a client id when ``client_ids`` is set); ``full_urls`` (default:
        ``urn:uuid`` values derived from ``uid``) are the entries' fullUrls, so references between the resources may
        use them. The resources come back in the order given.
        """
        if not resources:
            raise AdapterError("a transaction needs at least one resource")
        if full_urls is not None and len(full_urls) != len(resources):
            raise AdapterError("full_urls must give one fullUrl per resource")
        if wire not in WIRES:
            raise AdapterError(f"unknown wire form {wire!r}; use one of {', '.join(WIRES)}")
        types = [self._check(r, wire) for r in resources]
        entries = []
        for i, (resource, rtype) in enumerate(zip(resources, types, strict=True)):
            full = full_urls[i] if full_urls is not None else \
                f"urn:uuid:{uuid.uuid5(_UUID_NAMESPACE, f'{uid}/{i}')}"
            if self.config.client_ids:
                rid = client_id(f"{uid}-{i}")
                entry = {"fullUrl": full, "resource": {**resource, "id": rid},
                         "request": {"method": "PUT", "url": f"{rtype}/{rid}"}}
            else:
                entry = {"fullUrl": full, "resource": resource, "request": {"method": "POST", "url": rtype}}
            entries.append(entry)
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        return self._post_bundle(bundle, wire, list(types))

    def _post_bundle(self, bundle: dict[str, Any], wire: str, types: list[str | None]) -> list[dict[str, Any]]:
        what = f"a {bundle.get('type')} Bundle of {len(types)} entries"
        resp = self._send("POST", "", wire=wire, what=what, content=self._encode(bundle, wire))
        if resp.status_code != 200:
            if resp.status_code in (404, 405) or (400 <= resp.status_code < 500 and
                                                  "not-supported" in _outcome_text(self._json_or_none(resp))[1]):
                text, _codes = _outcome_text(self._json_or_none(resp))
                self._remember(None, UnsupportedError(self._scrub(
                    f"{self.describe()} does not take {bundle.get('type')} Bundles at POST [base] "
                    f"({resp.status_code} {resp.reason_phrase}{f': {_clip(text)}' if text else ''})"),
                    what=str(bundle.get("type"))))
            self._fail(resp, "POST", "", what, wire=wire)
        answer = self._parse(resp, wire, "POST [base]")
        replies = answer.get("entry") if answer.get("resourceType") == "Bundle" else None
        if not isinstance(replies, list) or len(replies) != len(types):
            raise SystemUnderTestError(self._scrub(
                f"{self.describe()} answered {what} with {answer.get('resourceType')} "
                f"{answer.get('type', '')} of {len(replies) if isinstance(replies, list) else 'no'} entries, "
                f"not a response per entry"), cause="protocol")
        out = []
        for i, (reply, rtype) in enumerate(zip(replies, types, strict=True)):
            found: tuple[str, str] | None = None
            response = reply.get("response") if isinstance(reply, dict) else None
            location = response.get("location") if isinstance(response, dict) else None
            if isinstance(location, str):
                found = self._location(location, rtype)
            if found is None and isinstance(reply, dict) and isinstance(reply.get("resource"), dict):
                res = reply["resource"]
                if isinstance(res.get("resourceType"), str) and isinstance(res.get("id"), str) and \
                        (rtype is None or res["resourceType"] == rtype):
                    found = (res["resourceType"], res["id"])
            if found is None:
                raise SystemUnderTestError(self._scrub(
                    f"{self.describe()} answered {what} without a location for entry {i}"), cause="protocol")
            out.append(self._read(found[0], found[1], wire))
        return out
