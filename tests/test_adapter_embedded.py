"""The embedded adapter against the real sekmet-fhir server: every kind, both wire forms, nothing lost."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from fhir_helpers import CLINICAL, HOSTILE_TEXTS, en, sv
from journal_fuzz import Note, compare_resources
from journal_fuzz.adapters import AdapterConfig, AdapterError, SystemUnderTestError, adapter_for
from journal_fuzz.adapters.embedded import MISSING, EmbeddedFhirAdapter
from journal_fuzz.fhir import ATTACHMENT_TYPES, NARRATIVE_STYLES, RESOURCE_KINDS, build_resource

HOSTILE = Note(text="CRP <5 & ingen feber | µg ≥ 5 {Ej}", language="sv")
NOTES = [
    [CLINICAL],
    [HOSTILE, sv("Fraktur påvisas ej. Lungemboli kan ej uteslutas.", ("negation", "ej"))],
    [Note(text=HOSTILE_TEXTS[5], language="sv"), Note(text=HOSTILE_TEXTS[6], language="sv"),
     Note(text=HOSTILE_TEXTS[11], language="sv")],
    [en("No signs of bleeding. Levothyroxine 50 µg daily, left hip.", ("negation", "No"))],
]


@pytest.mark.parametrize("wire", ["json", "xml"])
@pytest.mark.parametrize("kind", RESOURCE_KINDS)
def test_every_kind_round_trips_faithfully(embedded_fhir: EmbeddedFhirAdapter, kind: str, wire: str) -> None:
    for i, notes in enumerate(NOTES):
        uid = f"emb-{kind}-{wire}-{i}"
        built = build_resource(kind, notes, uid=uid, refuted=i == 1)
        received = embedded_fhir.roundtrip_fhir(built.resource, wire=wire, uid=uid)
        assert received["resourceType"] == kind
        assert received.get("id"), "the server assigns an id"
        assert compare_resources(built.resource, received).findings == []


@pytest.mark.parametrize("wire", ["json", "xml"])
def test_attachment_types_and_narrative_styles(embedded_fhir: EmbeddedFhirAdapter, wire: str) -> None:
    for ct in ATTACHMENT_TYPES:
        built = build_resource("DocumentReference", [HOSTILE, CLINICAL], content_type=ct, uid=f"ct-{ct}-{wire}")
        got = embedded_fhir.roundtrip_fhir(built.resource, wire=wire, uid=f"ct-{ct}-{wire}")
        assert compare_resources(built.resource, got).findings == []
    for style in NARRATIVE_STYLES:
        built = build_resource("Composition", [HOSTILE, CLINICAL], style=style, uid=f"st-{style}-{wire}")
        got = embedded_fhir.roundtrip_fhir(built.resource, wire=wire, uid=f"st-{style}-{wire}")
        assert compare_resources(built.resource, got).findings == []


def _patient(note: Note) -> dict[str, object]:
    text = note.text.replace("&", "&amp;").replace("<", "&lt;")
    div = f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>'
    return {"resourceType": "Patient",
            "identifier": [{"system": "http://electronichealth.se/identifier/personnummer", "value": "194408139089"}],
            "name": [{"family": "Tolvansson", "given": ["Tolvan"]}],
            "text": {"status": "additional", "div": div}}


@pytest.mark.parametrize("wire", ["json", "xml"])
def test_patient_round_trips(embedded_fhir: EmbeddedFhirAdapter, wire: str) -> None:
    patient = _patient(HOSTILE)
    got = embedded_fhir.roundtrip_fhir(patient, wire=wire, uid=f"patient-{wire}")
    assert compare_resources(patient, got).findings == []


def test_client_ids_create_with_put(embedded_fhir: EmbeddedFhirAdapter) -> None:
    with adapter_for(f"fhir+{embedded_fhir.base_url}?client_ids=1") as adapter:
        built = build_resource("Condition", [HOSTILE], uid="put-1")
        got = adapter.roundtrip_fhir(built.resource, wire="xml", uid="put-1")
        assert got["id"] == "jf-put-1"
        assert compare_resources(built.resource, got).findings == []
        again = adapter.roundtrip_fhir(built.resource, wire="json", uid="put-1")  # a replay updates in place
        assert again["id"] == "jf-put-1" and again["meta"]["versionId"] == "2"


@pytest.mark.parametrize("wire", ["json", "xml"])
def test_transaction_reads_every_entry_back(embedded_fhir: EmbeddedFhirAdapter, wire: str) -> None:
    patient = _patient(CLINICAL)
    condition = build_resource("Condition", [HOSTILE], uid=f"tx-{wire}").resource
    observation = build_resource("Observation", [CLINICAL, HOSTILE], uid=f"tx-{wire}").resource
    urls = ["urn:uuid:0c8a1f3e-1111-4c1a-9d7e-000000000001", "urn:uuid:0c8a1f3e-1111-4c1a-9d7e-000000000002",
            "urn:uuid:0c8a1f3e-1111-4c1a-9d7e-000000000003"]
    condition = {**condition, "subject": {"reference": urls[0], "display": "Tolvan Tolvansson"}}
    got = embedded_fhir.transaction([patient, condition, observation], wire=wire, uid=f"tx-{wire}", full_urls=urls)
    assert [g["resourceType"] for g in got] == ["Patient", "Condition", "Observation"]
    assert got[1]["subject"]["reference"] == f"Patient/{got[0]['id']}"
    for sent, received in zip([patient, condition, observation], got, strict=True):
        assert compare_resources(sent, received).findings == []


def test_transaction_bundle_through_roundtrip_fhir(embedded_fhir: EmbeddedFhirAdapter) -> None:
    obs = build_resource("Observation", [HOSTILE], uid="txb").resource
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"fullUrl": "urn:uuid:5d1c7a52-2222-4c1a-9d7e-000000000001", "resource": obs,
                         "request": {"method": "POST", "url": "Observation"}}]}
    got = embedded_fhir.roundtrip_fhir(bundle, wire="json", uid="txb")
    assert got["type"] == "transaction"
    assert compare_resources(bundle, got).findings == []


def test_concurrent_round_trips(embedded_fhir: EmbeddedFhirAdapter) -> None:
    errors: list[BaseException] = []
    findings: list[object] = []

    def work(n: int) -> None:
        try:
            for j in range(3):
                kind = RESOURCE_KINDS[(n + j) % len(RESOURCE_KINDS)]
                built = build_resource(kind, [HOSTILE, CLINICAL], uid=f"thr-{n}-{j}")
                got = embedded_fhir.roundtrip_fhir(built.resource, wire="json" if j % 2 else "xml",
                                                   uid=f"thr-{n}-{j}")
                findings.extend(compare_resources(built.resource, got).findings)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert findings == []


def test_describe_and_software(embedded_fhir: EmbeddedFhirAdapter) -> None:
    text = embedded_fhir.describe()
    assert text.startswith("embedded FHIR server (sekmet-fhir ")
    assert text.endswith(f"at {embedded_fhir.base_url}")
    assert embedded_fhir.base_url.startswith("http://127.0.0.1:") and embedded_fhir.base_url.endswith("/fhir")
    assert embedded_fhir.software()["name"]
    assert embedded_fhir.fhir_version == "4.0.1"
    assert embedded_fhir.carries == frozenset({"fhir"})


def test_adapter_for_embedded() -> None:
    adapter = adapter_for("embedded")
    assert isinstance(adapter, EmbeddedFhirAdapter)
    assert adapter.describe().endswith("on a free port of 127.0.0.1, started for the run")


def test_r5_is_refused_up_front() -> None:
    with pytest.raises(AdapterError, match="R4 only"):
        EmbeddedFhirAdapter("embedded", AdapterConfig(fhir_version="R5"))
    with pytest.raises(AdapterError, match="no options"):
        EmbeddedFhirAdapter("embedded:foo", AdapterConfig())


def test_stop_ends_the_server_and_removes_its_directory() -> None:
    adapter = EmbeddedFhirAdapter("embedded", AdapterConfig())
    with adapter:
        assert adapter.process is not None and adapter.tmpdir is not None
        pid, tmpdir = adapter.process.pid, adapter.tmpdir
        assert Path(tmpdir, "settings.yaml").exists()
        built = build_resource("Observation", [HOSTILE], uid="stop")
        got = adapter.roundtrip_fhir(built.resource, wire="json", uid="stop")
        assert compare_resources(built.resource, got).findings == []
    assert not Path(tmpdir).exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    adapter.stop()  # idempotent


def test_missing_sekmet_is_a_clear_adapter_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sekmet" else real(name, *a))
    with pytest.raises(AdapterError) as info:
        adapter_for("embedded")  # at construction: the plugin turns it into a usage error before any test runs
    assert str(info.value) == MISSING


class _NeverReady(EmbeddedFhirAdapter):
    STARTUP_TIMEOUT = 0.8

    def command(self, settings: Path, port: int) -> list[str]:
        return [sys.executable, "-c", "import sys, time; print('sekmet: cannot open database', file=sys.stderr, "
                "flush=True); time.sleep(30)"]


class _Crashes(EmbeddedFhirAdapter):
    def command(self, settings: Path, port: int) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit('Traceback: ImportError: no module named fastapi')"]


def test_a_server_that_never_answers_times_out_with_its_output() -> None:
    adapter = _NeverReady("embedded", AdapterConfig())
    with pytest.raises(SystemUnderTestError) as info:
        adapter.start()
    assert info.value.cause == "unreachable"
    assert "did not answer" in str(info.value) and "cannot open database" in str(info.value)
    assert adapter.process is None and adapter.tmpdir is None


def test_a_server_that_crashes_reports_its_output() -> None:
    adapter = _Crashes("embedded", AdapterConfig())
    with pytest.raises(SystemUnderTestError) as info:
        adapter.start()
    assert info.value.cause == "unreachable"
    assert "exited with status 1" in str(info.value) and "no module named fastapi" in str(info.value)
