"""The battery end to end against real systems: the embedded FHIR server, the same server behind a lossy proxy,
and an MLLP relay (faithful and lossy). This is the path users take: `pytest --journal-fuzz=SPEC`."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from journal_fuzz.adapters.embedded import EmbeddedFhirAdapter
from lossy_proxy import LossyProxy
from mllp_relay import MllpRelay


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def battery(pytester: pytest.Pytester, target: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--journal-fuzz={target}",
                                         "--journal-fuzz-profile=ci", "--journal-fuzz-examples=8",
                                         "--journal-fuzz-concurrency=4", *args, timeout=600)


def test_embedded_server_keeps_every_word(pytester: pytest.Pytester) -> None:
    result = battery(pytester, "embedded", "--journal-fuzz-lang=sv")
    result.assert_outcomes(passed=5)
    out = result.stdout.str()
    assert "embedded FHIR server (sekmet-fhir" in out and "fhir-attachments-sv" in out
    summary = json.loads((pytester.path / ".journal_fuzz" / "summary.json").read_text(encoding="utf-8"))
    assert summary["statuses"] == {"passed": 5} and summary["exercised"]["resources"] > 0
    assert summary["system"].get("name")


def test_lossy_proxy_in_front_of_the_server_is_caught(pytester: pytest.Pytester,
                                                      embedded_fhir: EmbeddedFhirAdapter) -> None:
    with LossyProxy(embedded_fhir.base_url.rsplit("/fhir", 1)[0], ("ej", "inte", "ingen")) as proxy:
        result = battery(pytester, f"fhir+http://127.0.0.1:{proxy.port}/fhir", "--journal-fuzz-lang=sv",
                         "--journal-fuzz-properties=fhir-notes,fhir-narrative")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "finding kinds: negation-dropped" in out
    lost = [line for line in out.splitlines() if "LOST WORDS (" in line]
    assert len(lost) == 2 and all("negation-dropped" in line for line in lost), lost
    # One case per distinct loss of each item: the proxy drops three words, so at most three per item.
    cases = list((pytester.path / ".journal_fuzz" / "cases").glob("fhir-*.json"))
    assert len(cases) == out.count("replay: journal-fuzz replay") and 2 <= len(cases) <= 6
    for path in cases:
        case = json.loads(path.read_text(encoding="utf-8"))
        assert case["carries"] == "fhir" and case["sent"]["resource"]["resourceType"]
        assert case["signature"] in {"cue-lost:ej", "cue-lost:inte", "cue-lost:ingen"}, case["signature"]


@pytest.fixture
def relay(request: pytest.FixtureRequest) -> Iterator[tuple[MllpRelay, int]]:
    listen = _free_port()
    r = MllpRelay(downstream=("127.0.0.1", listen), mode=getattr(request, "param", "faithful")).start()
    try:
        yield r, listen
    finally:
        r.stop()


@pytest.mark.parametrize(("relay", "kind"), [("faithful", None), ("drop-word=ej", "negation-dropped"),
                                             ("strip-br", "words-merged")], indirect=["relay"])
def test_hl7_relay(pytester: pytest.Pytester, relay: tuple[MllpRelay, int], kind: str | None) -> None:
    r, listen = relay
    props = "negations,structure" if kind != "negation-dropped" else "negations"
    result = battery(pytester, f"hl7+mllp://127.0.0.1:{r.port}?listen=127.0.0.1:{listen}",
                     "--journal-fuzz-lang=sv", f"--journal-fuzz-properties={props}")
    out = result.stdout.str()
    if kind is None:
        result.assert_outcomes(passed=2)
        assert "RELAY" in out  # the relay's MSH-3 is reported as the system's software
    else:
        assert result.parseoutcomes().get("failed", 0) >= 1, out
        assert kind in out


def test_explore_a_text_incident_against_a_fhir_target(tmp_path: Path, embedded_fhir: EmbeddedFhirAdapter) -> None:
    from journal_fuzz.adapters import adapter_for
    from journal_fuzz.explore import explore, variations
    from journal_fuzz.incident import new_incident

    case, verdict = new_incident("Fri gas under diafragman ses ej.", "Fri gas under diafragman ses.", "sv")
    note = case.sent_note()
    with LossyProxy(embedded_fhir.base_url.rsplit("/fhir", 1)[0], ("ej",)) as proxy:
        adapter = adapter_for(f"fhir+http://127.0.0.1:{proxy.port}/fhir")
        with adapter:
            rows = explore(adapter, variations(note, verdict)[:6])
    names = [r.name for r in rows]
    assert any("as DocumentReference (text/rtf), json" in n for n in names)
    assert any("xml" in n for n in names)
    # The proxy strips "ej" from JSON and XML strings, not from base64 attachments: the table shows exactly that.
    lost = {r.name for r in rows if r.lost}
    assert any("Observation, json" in n for n in lost) and any("Composition, xml" in n for n in lost)
    assert not any("DocumentReference" in n for n in lost)
    assert all("negation-dropped" in r.kinds for r in rows if r.lost)
