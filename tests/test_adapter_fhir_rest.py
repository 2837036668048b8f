"""The FHIR REST adapter: SPEC options, the real path (sekmet on loopback, plain and through a lossy proxy), and
every way a server fails, injected by tiny loopback HTTP servers."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from fhir_helpers import CLINICAL
from journal_fuzz import Note, compare_resources
from journal_fuzz.adapters import AdapterConfig, AdapterError, SystemUnderTestError, UnsupportedError, adapter_for
from journal_fuzz.adapters.embedded import EmbeddedFhirAdapter
from journal_fuzz.adapters.fhir_rest import MEDIA_TYPES, FhirRestAdapter, client_id, parse_target
from journal_fuzz.fhir import build_resource, to_wire
from lossy_proxy import LossyProxy, drop_words

HOSTILE = Note(text="CRP <5 & ingen feber | µg ≥ 5 {Ej}", language="sv")
NEGATED = Note(text="Patienten har inte feber. Fraktur påvisas ej. Ingen blödning.", language="sv")
TOKEN = "s3cr3t-T0ken-value"


# -- SPEC -------------------------------------------------------------------------------------------------
def test_spec_options_override_the_config() -> None:
    base, cfg = parse_target("fhir+https://ehr.example.se:8443/fhir/r4/?timeout=2.5&retries=0&auth_env=EHR_TOKEN"
                             "&client_ids=1&version=R5", AdapterConfig())
    assert base == "https://ehr.example.se:8443/fhir/r4"
    assert (cfg.timeout, cfg.retries, cfg.auth_env, cfg.client_ids, cfg.fhir_version) == \
        (2.5, 0, "EHR_TOKEN", True, "R5")
    base, cfg = parse_target("fhir+http://127.0.0.1:8090/fhir", AdapterConfig(timeout=7, client_ids=True))
    assert base == "http://127.0.0.1:8090/fhir" and cfg.timeout == 7 and cfg.client_ids
    assert parse_target("fhir+http://h/fhir?version=r4", AdapterConfig())[1].fhir_version == "R4B"
    adapter = adapter_for("fhir+https://ehr.example.se/fhir")
    assert isinstance(adapter, FhirRestAdapter) and adapter.base_url == "https://ehr.example.se/fhir"
    assert adapter.carries == frozenset({"fhir"})


@pytest.mark.parametrize(("spec", "message"), [
    ("fhir+http://h/fhir?timeout=abc", "timeout"),
    ("fhir+http://h/fhir?timeout=-1", "positive"),
    ("fhir+http://h/fhir?client_ids=maybe", "client_ids"),
    ("fhir+http://h/fhir?version=DSTU2", "R4B or R5"),
    ("fhir+http://h/fhir?tokn=x", "unknown option"),
    ("fhir+http://h/fhir?auth_env=Bearer%20abc", "name of an environment variable"),
    ("fhir+http:///fhir", "no host"),
    ("fhir+http://h:99999/fhir", "port"),
])
def test_bad_specs_are_adapter_errors(spec: str, message: str) -> None:
    with pytest.raises(AdapterError, match=message):
        adapter_for(spec)


def test_credentials_in_the_spec_are_refused_without_echoing_them() -> None:
    with pytest.raises(AdapterError) as info:
        adapter_for(f"fhir+https://doctor:{TOKEN}@ehr.example.se/fhir")
    assert TOKEN not in str(info.value) and "auth_env" in str(info.value)


def test_client_id_is_a_valid_distinct_fhir_id() -> None:
    assert client_id("abc-123") == "jf-abc-123"
    ids = {client_id(u) for u in ("a b", "a_b", "a/b", "x" * 200, "x" * 201, "å")}
    assert len(ids) == 6
    assert all(len(i) <= 64 and all(c.isalnum() or c in "-." for c in i) for i in ids)


# -- the real path ----------------------------------------------------------------------------------------
def test_fhir_http_against_the_real_server(embedded_fhir: EmbeddedFhirAdapter) -> None:
    with adapter_for(f"fhir+{embedded_fhir.base_url}?timeout=10") as adapter:
        assert adapter.software() == embedded_fhir.software()
        assert "FHIR server (" in adapter.describe() and embedded_fhir.base_url in adapter.describe()
        for wire in ("json", "xml"):
            for kind in ("Observation", "Bundle", "DocumentReference"):
                built = build_resource(kind, [HOSTILE, CLINICAL], uid=f"rest-{kind}-{wire}")
                got = adapter.roundtrip_fhir(built.resource, wire=wire, uid=f"rest-{kind}-{wire}")
                assert compare_resources(built.resource, got).findings == []


def test_drop_words() -> None:
    assert drop_words("Patienten har inte feber. Ingen blödning, ej smärta.", ["ej", "inte", "ingen"]) == \
        "Patienten har feber. blödning, smärta."
    assert drop_words("Intet ejder", ["ej", "inte"]) == "Intet ejder"


@pytest.mark.parametrize("wire", ["json", "xml"])
@pytest.mark.parametrize("kind", ["Observation", "Condition", "Composition", "MedicationRequest"])
def test_a_lossy_proxy_is_caught(embedded_fhir: EmbeddedFhirAdapter, kind: str, wire: str) -> None:
    with LossyProxy(embedded_fhir.base_url, ["ej", "inte", "ingen"]) as proxy, \
            adapter_for(f"fhir+{proxy.url}/fhir?timeout=10") as adapter:
        built = build_resource(kind, [NEGATED, HOSTILE], uid=f"lossy-{kind}-{wire}")
        got = adapter.roundtrip_fhir(built.resource, wire=wire, uid=f"lossy-{kind}-{wire}")
        kinds = {f.kind for f in compare_resources(built.resource, got).findings}
        assert "negation-dropped" in kinds


def test_the_lossy_proxy_runs_as_a_process(embedded_fhir: EmbeddedFhirAdapter) -> None:
    script = Path(__file__).with_name("lossy_proxy.py")
    proc = subprocess.Popen([sys.executable, str(script), "--upstream", embedded_fhir.base_url, "--port", "0",
                             "--drop", "ej,inte,ingen"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        with adapter_for(f"fhir+{url}/fhir?timeout=10") as adapter:
            built = build_resource("Observation", [NEGATED], uid="lossy-process")
            got = adapter.roundtrip_fhir(built.resource, wire="json", uid="lossy-process")
        assert "negation-dropped" in {f.kind for f in compare_resources(built.resource, got).findings}
    finally:
        proc.terminate()
        proc.wait(5)


# -- fault injection: tiny loopback servers ---------------------------------------------------------------
Reply = tuple[int, dict[str, str], bytes]

CAPS: dict[str, Any] = {
    "resourceType": "CapabilityStatement", "status": "active", "date": "2024-11-12", "kind": "instance",
    "fhirVersion": "4.0.1", "format": ["json", "xml"], "software": {"name": "FakeFHIR", "version": "9.9"},
    "rest": [{"mode": "server", "resource": [{"type": t} for t in ("Observation", "Condition", "Patient")]}]}


def fhir_json(status: int, body: Any, **headers: str) -> Reply:
    return status, {"Content-Type": "application/fhir+json", **headers}, json.dumps(body).encode()


def outcome(status: int, text: str, code: str = "processing") -> Reply:
    return fhir_json(status, {"resourceType": "OperationOutcome",
                              "issue": [{"severity": "error", "code": code, "diagnostics": text}]})


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Fake:
    """A FHIR-ish server: ``app`` answers each request; by default a store that keeps what it is sent."""

    app: Callable[[Fake, Seen], Reply | None] | None = None
    seen: list[Seen] = field(default_factory=list)
    stored: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    port: int = 0

    @property
    def spec(self) -> str:
        return f"fhir+http://127.0.0.1:{self.port}/fhir"

    def count(self, method: str, prefix: str = "") -> int:
        return sum(1 for s in self.seen if s.method == method and s.path.startswith(prefix))

    def default(self, req: Seen) -> Reply:
        path = req.path.split("?", 1)[0]
        if path == "/fhir/metadata":
            return fhir_json(200, CAPS)
        parts = [p for p in path.split("/") if p][1:]
        if req.method == "POST" and len(parts) == 1:
            rid = str(len(self.stored) + 1)
            self.stored[f"{parts[0]}/{rid}"] = (req.headers.get("Content-Type", ""), req.body)
            return 201, {"Location": f"{parts[0]}/{rid}/_history/1"}, b""
        if req.method == "PUT" and len(parts) == 2:
            self.stored["/".join(parts)] = (req.headers.get("Content-Type", ""), req.body)
            return 201, {}, b""
        if req.method == "GET" and "/".join(parts) in self.stored:
            ctype, body = self.stored["/".join(parts)]
            return 200, {"Content-Type": ctype}, body
        return outcome(404, f"no {path}", "not-found")


@pytest.fixture
def fake() -> Iterator[Fake]:
    state = Fake()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def handle_one(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            req = Seen(self.command, self.path, dict(self.headers.items()), body)
            state.seen.append(req)
            reply = (state.app(state, req) if state.app else None) or state.default(req)
            status, headers, data = reply
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass

        do_GET = do_POST = do_PUT = handle_one

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def observation(uid: str = "u1") -> dict[str, Any]:
    return build_resource("Observation", [HOSTILE], uid=uid).resource


def started(spec: str, **config: Any) -> FhirRestAdapter:
    adapter = adapter_for(spec, AdapterConfig(**{"timeout": 1.0, "retries": 2, **config}))
    assert isinstance(adapter, FhirRestAdapter)
    adapter.start()
    return adapter


@pytest.mark.parametrize("wire", ["json", "xml"])
def test_create_then_read_through_the_base(fake: Fake, wire: str) -> None:
    adapter = started(fake.spec)
    assert adapter.software() == {"name": "FakeFHIR", "version": "9.9"}
    assert adapter.resource_types == frozenset({"Observation", "Condition", "Patient"})
    assert adapter.describe() == f"FHIR server (FakeFHIR 9.9) at http://127.0.0.1:{fake.port}/fhir"
    sent = observation()
    got = adapter.roundtrip_fhir(sent, wire=wire, uid="u1")
    assert compare_resources(sent, got).findings == []
    post, get = fake.seen[-2], fake.seen[-1]
    assert (post.method, post.path, get.method, get.path) == ("POST", "/fhir/Observation", "GET", "/fhir/Observation/1")
    assert post.headers["Content-Type"] == post.headers["Accept"] == get.headers["Accept"] == MEDIA_TYPES[wire]
    assert post.body == to_wire(sent, wire)
    assert "Authorization" not in post.headers
    adapter.stop()


def test_post_refused_with_405_falls_back_to_put_with_a_client_id(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(405, "POST not allowed") if r.method == "POST" else None
    adapter = started(fake.spec)
    got = adapter.roundtrip_fhir(observation(), wire="json", uid="abc")
    assert got["id"] == "jf-abc"
    assert [(s.method, s.path) for s in fake.seen[1:]] == [
        ("POST", "/fhir/Observation"), ("PUT", "/fhir/Observation/jf-abc"), ("GET", "/fhir/Observation/jf-abc")]


def test_client_ids_put_directly(fake: Fake) -> None:
    adapter = started(fake.spec + "?client_ids=1")
    adapter.roundtrip_fhir(observation(), wire="xml", uid="x1")
    assert [(s.method, s.path) for s in fake.seen[1:]] == [("PUT", "/fhir/Observation/jf-x1"),
                                                           ("GET", "/fhir/Observation/jf-x1")]


def test_without_location_the_body_id_is_used(fake: Fake) -> None:
    def app(f: Fake, r: Seen) -> Reply | None:
        if r.method == "POST":
            f.stored["Observation/77"] = ("application/fhir+json", r.body)
            return fhir_json(201, {**json.loads(r.body), "id": "77"})
        return None

    fake.app = app
    started(fake.spec).roundtrip_fhir(observation(), wire="json", uid="u")
    assert fake.seen[-1].path == "/fhir/Observation/77"


def test_absolute_location_on_another_host_is_read_through_our_base(fake: Fake) -> None:
    def app(f: Fake, r: Seen) -> Reply | None:
        if r.method == "POST":
            f.stored["Observation/9"] = ("application/fhir+json", r.body)
            return 201, {"Location": "http://internal-node-7:8080/fhir/Observation/9/_history/3"}, b""
        return None

    fake.app = app
    started(fake.spec).roundtrip_fhir(observation(), wire="json", uid="u")
    assert fake.seen[-1].path == "/fhir/Observation/9"


def slow() -> None:
    time.sleep(1.0)


def test_timeout(fake: Fake) -> None:
    fake.app = lambda f, r: slow() if r.method == "POST" else None
    adapter = started(fake.spec, timeout=0.2)
    t0 = time.monotonic()
    with pytest.raises(SystemUnderTestError) as info:
        adapter.roundtrip_fhir(observation(), wire="json", uid="u")
    assert info.value.cause == "timeout" and "within 0.2 s" in str(info.value)
    assert time.monotonic() - t0 < 0.9


def test_timeout_on_metadata(fake: Fake) -> None:
    fake.app = lambda f, r: slow()
    with pytest.raises(SystemUnderTestError) as info:
        started(fake.spec, timeout=0.2)
    assert info.value.cause == "timeout"


def test_500(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(500, "NullPointerException in NoteService") if r.method == "POST" else None
    with pytest.raises(SystemUnderTestError) as info:
        started(fake.spec).roundtrip_fhir(observation(), wire="json", uid="u")
    assert info.value.cause == "http-5xx" and "NullPointerException in NoteService" in str(info.value)


def test_500_on_metadata(fake: Fake) -> None:
    fake.app = lambda f, r: (500, {"Content-Type": "text/html"}, b"<html><body>Internal Server Error</body></html>")
    with pytest.raises(SystemUnderTestError) as info:
        started(fake.spec)
    assert info.value.cause == "http-5xx"


def test_html_instead_of_a_capability_statement(fake: Fake) -> None:
    fake.app = lambda f, r: (200, {"Content-Type": "text/html"}, b"<html><body><h1>Log in</h1></body></html>")
    with pytest.raises(SystemUnderTestError) as info:
        started(fake.spec)
    assert info.value.cause == "garbage" and "malformed" in str(info.value) and "HTML" in str(info.value)


@pytest.mark.parametrize(("reply", "wire", "says"), [
    ((200, {"Content-Type": "application/fhir+json"}, b'{"resourceType": "Observation", "status": "fin'), "json",
     "malformed"),
    ((200, {"Content-Type": "text/html"}, b"<html><body>502 Proxy Error</body></html>"), "json", "malformed"),
    ((200, {"Content-Type": "application/fhir+json"}, b"[1, 2]"), "json", "malformed"),
    ((200, {"Content-Type": "application/fhir+xml"},
      b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
      b'<Observation xmlns="http://hl7.org/fhir"><status value="&lol2;"/></Observation>'), "xml", "hostile"),
])
def test_garbage_on_read_back(fake: Fake, reply: Reply, wire: str, says: str) -> None:
    fake.app = lambda f, r: reply if r.method == "GET" and r.path != "/fhir/metadata" else None
    with pytest.raises(SystemUnderTestError) as info:
        started(fake.spec).roundtrip_fhir(observation(), wire=wire, uid="u")
    assert info.value.cause == "garbage" and says in str(info.value)


def test_another_resource_type_on_read_back(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(200, "weird") if r.method == "GET" and "metadata" not in r.path else None
    with pytest.raises(SystemUnderTestError) as info:
        started(fake.spec).roundtrip_fhir(observation(), wire="json", uid="u")
    assert info.value.cause == "protocol" and "OperationOutcome" in str(info.value)


def test_503_then_success_is_retried(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(503, "busy") if r.method == "POST" and f.count("POST") == 1 else None
    adapter = started(fake.spec)
    sent = observation()
    assert compare_resources(sent, adapter.roundtrip_fhir(sent, wire="json", uid="u")).findings == []
    assert fake.count("POST") == 2


def test_retry_after_is_honoured(fake: Fake) -> None:
    def app(f: Fake, r: Seen) -> Reply | None:
        if r.method == "POST" and f.count("POST") == 1:
            return 503, {"Retry-After": "1", "Content-Type": "text/plain"}, b"maintenance"
        return None

    fake.app = app
    adapter = started(fake.spec)
    t0 = time.monotonic()
    adapter.roundtrip_fhir(observation(), wire="json", uid="u")
    assert 0.95 <= time.monotonic() - t0 < 1.8
    assert fake.count("POST") == 2


def test_429_forever_gives_up_after_the_retries(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(429, "slow down") if r.method == "POST" else None
    adapter = started(fake.spec, retries=2)
    t0 = time.monotonic()
    with pytest.raises(SystemUnderTestError) as info:
        adapter.roundtrip_fhir(observation(), wire="json", uid="u")
    assert fake.count("POST") == 3
    assert info.value.retryable and "429" in str(info.value) and "after 2 retries" in str(info.value)
    assert 0.55 <= time.monotonic() - t0 < 1.5


def test_503_forever_is_http_5xx(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(503, "down") if r.method == "POST" else None
    with pytest.raises(SystemUnderTestError) as info:
        started(fake.spec, retries=1).roundtrip_fhir(observation(), wire="json", uid="u")
    assert info.value.cause == "http-5xx" and fake.count("POST") == 2


def test_a_long_retry_after_is_not_waited_for(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # What the adapter asks to wait is recorded, not timed: a loaded machine must not make this flaky.
    waits: list[float] = []
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: (waits.append(s), real_sleep(min(s, 0.01)))[1])
    fake.app = lambda f, r: (503, {"Retry-After": "3600"}, b"") if r.method == "POST" else None
    with pytest.raises(SystemUnderTestError, match="3600"):
        started(fake.spec).roundtrip_fhir(observation(), wire="json", uid="u")
    assert fake.count("POST") == 1 and not [w for w in waits if w >= 1], waits


def test_404_on_the_type_endpoint_is_unsupported_and_remembered(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(404, "Unknown resource type", "not-found") if r.method == "POST" else None
    adapter = started(fake.spec)
    with pytest.raises(UnsupportedError) as info:
        adapter.roundtrip_fhir(observation(), wire="json", uid="u")
    assert info.value.what == "Observation" and info.value.cause == "unsupported"
    with pytest.raises(UnsupportedError):
        adapter.roundtrip_fhir(observation(), wire="xml", uid="u2")
    assert fake.count("POST") == 1, "a type known to be unsupported is not sent again"


def test_not_supported_issue_code_is_unsupported(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(400, "Conditions are read-only here", "not-supported") \
        if r.method == "POST" else None
    with pytest.raises(UnsupportedError) as info:
        started(fake.spec).roundtrip_fhir(build_resource("Condition", [HOSTILE]).resource, wire="json", uid="u")
    assert info.value.what == "Condition" and "read-only" in str(info.value)


def test_a_type_missing_from_the_capability_statement_is_unsupported(fake: Fake) -> None:
    fake.app = lambda f, r: (400, {}, b"") if r.method == "POST" else None
    resource = build_resource("DiagnosticReport", [HOSTILE]).resource
    with pytest.raises(UnsupportedError) as info:
        started(fake.spec).roundtrip_fhir(resource, wire="json", uid="u")
    assert info.value.what == "DiagnosticReport" and "CapabilityStatement" in str(info.value)


def test_other_4xx_is_rejected_with_the_outcome_text(fake: Fake) -> None:
    fake.app = lambda f, r: fhir_json(422, {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "invariant", "details": {"text": "valueString longer than 255"}}]}) \
        if r.method == "POST" else None
    with pytest.raises(SystemUnderTestError) as info:
        started(fake.spec).roundtrip_fhir(observation(), wire="json", uid="u")
    assert not isinstance(info.value, UnsupportedError)
    assert info.value.cause == "rejected" and "valueString longer than 255" in str(info.value)


def test_xml_refused_with_415_is_unsupported(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(415, "XML not supported") if "xml" in r.headers.get("Content-Type", "") \
        else None
    adapter = started(fake.spec)
    with pytest.raises(UnsupportedError) as info:
        adapter.roundtrip_fhir(observation(), wire="xml", uid="u")
    assert info.value.what == "FHIR XML"
    adapter.roundtrip_fhir(observation(), wire="json", uid="u")  # JSON still works


def test_a_redirect_is_a_protocol_error(fake: Fake) -> None:
    fake.app = lambda f, r: (302, {"Location": "https://login.example.se/"}, b"") if r.method == "POST" else None
    with pytest.raises(SystemUnderTestError) as info:
        started(fake.spec).roundtrip_fhir(observation(), wire="json", uid="u")
    assert info.value.cause == "protocol" and "redirect" in str(info.value)


def test_transactions_unsupported(fake: Fake) -> None:
    fake.app = lambda f, r: outcome(404, "no system endpoint", "not-found") if r.path == "/fhir" else None
    with pytest.raises(UnsupportedError) as info:
        started(fake.spec).transaction([observation()])
    assert info.value.what == "transaction"


def test_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SystemUnderTestError) as info:
        started(f"fhir+http://127.0.0.1:{port}/fhir")
    assert info.value.cause == "unreachable"


def test_not_started_is_an_adapter_error(fake: Fake) -> None:
    with pytest.raises(AdapterError, match="not started"):
        adapter_for(fake.spec).roundtrip_fhir(observation(), wire="json", uid="u")


# -- credentials ------------------------------------------------------------------------------------------
def _echo_auth(status: int) -> Callable[[Fake, Seen], Reply | None]:
    def app(f: Fake, r: Seen) -> Reply | None:
        if r.method == "POST":
            return outcome(status, f"refused {r.headers.get('Authorization')} for {TOKEN}")
        return None
    return app


@pytest.mark.parametrize(("secret", "header"), [
    (TOKEN, f"Bearer {TOKEN}"),
    (f"Bearer {TOKEN}", f"Bearer {TOKEN}"),
    (f"doctor:{TOKEN}", "Basic " + base64.b64encode(f"doctor:{TOKEN}".encode()).decode()),
])
def test_credentials_from_the_environment_are_sent_and_never_shown(
        fake: Fake, monkeypatch: pytest.MonkeyPatch, secret: str, header: str) -> None:
    monkeypatch.setenv("JF_TEST_TOKEN", secret)
    adapter = started(fake.spec + "?auth_env=JF_TEST_TOKEN")
    assert fake.seen[0].headers["Authorization"] == header
    adapter.roundtrip_fhir(observation(), wire="json", uid="u")
    assert all(s.headers["Authorization"] == header for s in fake.seen)
    shown = [adapter.describe(), repr(adapter), str(adapter.__dict__.get("spec"))]
    for status, cause in ((401, "rejected"), (500, "http-5xx")):
        fake.app = _echo_auth(status)
        with pytest.raises(SystemUnderTestError) as info:
            adapter.roundtrip_fhir(observation(), wire="json", uid="u")
        assert info.value.cause == cause
        shown.append(str(info.value))
    encoded = header.split(" ", 1)[1]
    for text in shown:
        assert TOKEN not in text and encoded not in text
    assert "auth_env" in shown[-2]


def test_a_missing_credential_variable_is_an_adapter_error(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JF_NOT_SET", raising=False)
    with pytest.raises(AdapterError, match="JF_NOT_SET"):
        started(fake.spec + "?auth_env=JF_NOT_SET")
    assert fake.seen == []
