"""The ``hl7+mllp`` adapter: escaping, message shape, and round trips through a real MLLP relay over loopback."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hl7
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz.adapters import AdapterConfig, AdapterError, SystemUnderTestError, adapter_for
from journal_fuzz.adapters.hl7v2 import (
    Delimiters,
    HL7ParseError,
    MllpAdapter,
    build_message,
    escape,
    note_text,
    parse_message,
    unescape,
)
from journal_fuzz.strategies import notes
from mllp_relay import MllpRelay

BREAK = re.compile(r"\r\n|\r|\n")
COMBOS = [("ORU^R01", "escape"), ("ORU^R01", "repeat"), ("MDM^T02", "escape"), ("MDM^T02", "repeat")]
COMBO_IDS = [f"{m.split('^')[0]}-{b}" for m, b in COMBOS]

HOSTILE_NOTES = [
    "Hjärta & lungor: ua.",
    "BT 130/80 | puls 72 ^ sat 97 % ~ ingen feber.",
    "Anamnes\\.br\\Ej rökare. Sökväg C:\\journal\\ej\\klar.",
    "Rad ett\r\nRad två\rRad tre\nRad fyra\n\nInga fynd.",
    "Mår bra 🙂, ingen feber 🌡️. Sat ≥95 % → ingen syrgas, B12 1000 µg.",
    "Fo\u0308rnekar bro\u0308stsma\u0308rta (NFD).",
    "Ingen\u00a0feber,\tinga\u00a0fynd\u00ad. Zero\u200bwidth.",
    "Kontrolltecken \x0b\x1c\x1d\x00 och DEL \x7f ska inte bryta ramen.",
    "\\X41\\ \\F\\ \\S\\ \\E\\ \\.sp\\ \\H\\ — escape sequences as text, not as escapes.",
    "Trailing backslash \\",
    "",
]


def normalised(text: str) -> str:
    return BREAK.sub("\n", text)


@contextmanager
def engine(mode: str = "faithful", *, message: str = "ORU^R01", breaks: str = "escape", timeout: float = 5.0,
           **relay_options: Any) -> Iterator[tuple[MllpAdapter, MllpRelay]]:
    """A relay playing the interface engine, and an adapter whose listener is the relay's downstream."""
    with MllpRelay(mode=mode, **relay_options) as relay:
        adapter = adapter_for(f"hl7+mllp://127.0.0.1:{relay.port}?listen=127.0.0.1:0&message={message}"
                              f"&breaks={breaks}&timeout={timeout}")
        assert isinstance(adapter, MllpAdapter)
        adapter.start()
        try:
            relay.downstream = adapter.listen_address
            yield adapter, relay
        finally:
            adapter.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def eventually(condition: Callable[[], object], within: float = 2.0) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def adapter_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("journal_fuzz-mllp")]


# -- escaping ------------------------------------------------------------------------------------------------------
_ESCAPED = re.compile(r"(?:[^|^~&\\\r\n\x0b\x1c]|\\(?:[FSRTE]|\.br|X[0-9A-F]{2})\\)*")


@given(st.text())
def test_escape_round_trips_any_text(text: str) -> None:
    escaped = escape(text)
    assert _ESCAPED.fullmatch(escaped), escaped
    assert unescape(escaped) == normalised(text)


@given(st.text())
def test_escape_without_breaks_round_trips_exactly(text: str) -> None:
    escaped = escape(text, breaks=False)
    assert "\r" not in escaped and "\n" not in escaped
    assert unescape(escaped) == text


@given(st.text(st.one_of(st.characters(exclude_categories=("Cc", "Cs")), st.sampled_from("\r\n"))))
def test_python_hl7_reads_our_escaping(text: str) -> None:
    """An independent reader (python-hl7's unescape) gets the text back; it reads \\.br\\ as CR."""
    message = hl7.parse(build_message("x", uid="1"))
    assert message.unescape(escape(text)) == BREAK.sub("\r", text)


@given(st.text(alphabet=st.sampled_from("ab\\FSTRE.brXH0123456789AFZ|^&~ ")))
def test_unescape_never_raises(value: str) -> None:
    assert isinstance(unescape(value), str)


@pytest.mark.parametrize(("text", "escaped"), [
    ("Hjärta & lungor: ua", "Hjärta \\T\\ lungor: ua"),
    ("a|b^c~d\\e&f", "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f"),
    ("Anamnes\\.br\\Ej rökare", "Anamnes\\E\\.br\\E\\Ej rökare"),
    ("rad\r\nrad\rrad\nrad", "rad\\.br\\rad\\.br\\rad\\.br\\rad"),
    ("tab\tnbsp\u00a0🙂 a\u0308", "tab\tnbsp\u00a0🙂 a\u0308"),
    ("\x0b\x1c\x00\x7f", "\\X0B\\\\X1C\\\\X00\\\\X7F\\"),
])
def test_escape_examples(text: str, escaped: str) -> None:
    assert escape(text) == escaped


@pytest.mark.parametrize(("value", "text"), [
    ("\\XC3A4\\", "ä"),
    ("\\XC3\\\\XA4\\", "ä"),  # one character split over two hex sequences
    ("\\XFF\\", "\ufffd"),
    ("a\\H\\b\\N\\c", "abc"),
    ("a\\.sp2\\b\\.sk3\\c\\.in+4\\d\\.fi\\e\\.ce\\f", "a\n\nb   c de\nf"),
    ("a\\.BR\\b", "a\nb"),
    ("a\\Zfoo\\b\\C2842\\c", "abc"),
    ("a \\ b", "a \\ b"),  # unterminated: kept
    ("a\\\\b", "ab"),  # empty sequence: dropped
])
def test_unescape_examples(value: str, text: str) -> None:
    assert unescape(value) == text


def test_unescape_hex_in_the_message_charset_and_other_delimiters() -> None:
    assert unescape("\\XE4\\", charset="latin-1") == "ä"
    d = Delimiters(field="#", component="!", repetition="%", escape="/", subcomponent="$")
    assert unescape(escape("a#b!c%d/e$f\\g|h", d), d) == "a#b!c%d/e$f\\g|h"


# -- message shape -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("message", "breaks"), COMBOS, ids=COMBO_IDS)
def test_message_shape_read_by_python_hl7(message: str, breaks: str) -> None:
    text = "Hjärta & lungor: ua | ^ ~ \\\nEj rökare."
    m = hl7.parse(build_message(text, uid="JF0001", message=message, breaks=breaks))
    msh = m.segment("MSH")
    assert str(msh[1]) == "|" and str(msh[2]) == "^~\\&"
    assert (str(msh[3]), str(msh[4])) == ("JOURNAL_FUZZ", "TEST")
    assert str(msh[9]) == {"ORU^R01": "ORU^R01^ORU_R01", "MDM^T02": "MDM^T02^MDM_T02"}[message]
    assert (str(msh[10]), str(msh[11]), str(msh[12]), str(msh[18])) == ("JF0001", "P", "2.5.1", "UNICODE UTF-8")
    assert str(m.segment("PID")[3]).startswith("194408139089^")
    names = [str(s[0]) for s in m]
    if message == "ORU^R01":
        assert names[:4] == ["MSH", "PID", "PV1", "OBR"]
    else:
        assert names[:5] == ["MSH", "EVN", "PID", "PV1", "TXA"]
        assert str(m.segment("TXA")[12]).startswith("JF0001")
    obx = list(m.segments("OBX"))
    assert len(obx) == (1 if breaks == "escape" else 2)
    for seg in obx:
        assert str(seg[2]) == ("FT" if breaks == "escape" else "TX")
        assert len(seg) == 12 and str(seg[11]) == "F"  # no delimiter leaked out of OBX-5
        assert len(seg[5]) == 1 and isinstance(seg[5][0], str)  # one repetition, not split into components
    joined = "\r".join(m.unescape(str(seg[5])) for seg in obx)
    assert joined == text.replace("\n", "\r")
    assert note_text(parse_message(build_message(text, uid="x", message=message, breaks=breaks).encode())) == text


def test_strict_reading_of_obx5() -> None:
    raw = "MSH|^~\\&|A|B|||||ORU^R01|1|P|2.5.1\rOBX|1|TX|X|1|Hjärta & lungor~rad två^komponent\rOBX|2|TX|X|1|sist"
    assert note_text(parse_message(raw.encode())) == "Hjärta \nrad två\nsist"
    # LF-only segment ends and a Latin-1 message labelled as such
    latin = "MSH|^~\\&|A|B|||||ORU^R01|1|P|2.5.1||||||8859/1\nOBX|1|TX|X|1|Förnekar \\XE4\\\n".encode("latin-1")
    assert note_text(parse_message(latin)) == "Förnekar ä"


@given(st.binary(max_size=200),
       st.sampled_from([b"", b"MSH|^~\\&|", b"MSH|^~\\&|A|B|||||ORU^R01|1|P|2.5.1\rOBX|1|TX|X|1|"]))
def test_parse_only_ever_raises_hl7_parse_error(tail: bytes, head: bytes) -> None:
    try:
        msg = parse_message(head + tail)
    except HL7ParseError:
        return
    assert isinstance(note_text(msg), str)


@pytest.mark.parametrize("data", [b"", b"hello", b"MSH", b"MSHA^~\\&|", b"PID|1\rMSH|^~\\&|", b"MSH|||"])
def test_parse_rejects_what_is_not_hl7(data: bytes) -> None:
    with pytest.raises(HL7ParseError):
        parse_message(data)


# -- SPEC and configuration ----------------------------------------------------------------------------------------
def test_spec_parsing_and_describe() -> None:
    a = adapter_for("hl7+mllp://127.0.0.1:2575?listen=127.0.0.1:2576")
    assert isinstance(a, MllpAdapter) and a.carries == frozenset({"text"})
    assert a.describe() == "HL7 v2 over MLLP to 127.0.0.1:2575 (forwarded messages back on 127.0.0.1:2576)"
    b = adapter_for("hl7+mllp://engine.example:2575?message=MDM%5ET02&breaks=repeat&timeout=2.5",
                    AdapterConfig(listen="0.0.0.0:2576"))
    assert isinstance(b, MllpAdapter)
    assert (b.message, b.breaks, b.timeout, b.listen_address) == ("MDM^T02", "repeat", 2.5, ("0.0.0.0", 2576))
    assert b.describe() == ("HL7 v2 over MLLP to engine.example:2575 (forwarded messages back on 0.0.0.0:2576; "
                            "MDM^T02, one OBX per line)")
    c = adapter_for("hl7+mllp://[::1]:2575?listen=[::1]:2576&message=mdm_t02")
    assert c.describe().startswith("HL7 v2 over MLLP to [::1]:2575 (forwarded messages back on [::1]:2576")


@pytest.mark.parametrize(("spec", "words"), [
    ("hl7+mllp://127.0.0.1:2575", "listen=HOST:PORT"),
    ("hl7+mllp://127.0.0.1?listen=127.0.0.1:1", "HOST:PORT"),
    ("hl7+mllp://127.0.0.1:2575?listen=nowhere", "listen must be HOST:PORT"),
    ("hl7+mllp://127.0.0.1:2575?listen=127.0.0.1:1&message=ADT^A01", "ORU^R01 or MDM^T02"),
    ("hl7+mllp://127.0.0.1:2575?listen=127.0.0.1:1&breaks=crlf", "escape or repeat"),
    ("hl7+mllp://127.0.0.1:2575?listen=127.0.0.1:1&timeout=soon", "number of seconds"),
    ("hl7+mllp://127.0.0.1:2575?listen=127.0.0.1:1&timeout=0", "more than 0"),
    ("hl7+mllp://127.0.0.1:2575?listen=127.0.0.1:1&lisen=x", "unknown hl7+mllp parameter"),
    ("hl7+mllp://127.0.0.1:2575/path?listen=127.0.0.1:1", "no path"),
])
def test_bad_specs_are_user_errors(spec: str, words: str) -> None:
    with pytest.raises(AdapterError, match=re.escape(words)):
        adapter_for(spec)


def test_roundtrip_before_start_is_a_user_error() -> None:
    a = adapter_for("hl7+mllp://127.0.0.1:2575?listen=127.0.0.1:0")
    with pytest.raises(AdapterError, match="not started"):
        a.roundtrip_text("x", uid="1")
    a.stop()  # harmless


# -- faithful round trips ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=COMBOS, ids=COMBO_IDS)
def faithful(request: pytest.FixtureRequest) -> Iterator[tuple[MllpAdapter, MllpRelay]]:
    message, breaks = request.param
    with engine(message=message, breaks=breaks) as pair:
        yield pair


_counter = iter(range(10**9))


@settings(max_examples=30)
@given(note=st.one_of(notes("sv", hostile=True), notes("en", hostile=True)))
def test_faithful_engine_keeps_hostile_generated_notes(faithful: tuple[MllpAdapter, MllpRelay], note: jf.Note) -> None:
    adapter, _ = faithful
    received = adapter.roundtrip_text(note.text, uid=f"H{next(_counter)}")
    verdict = jf.compare(note, received)
    assert verdict.ok and not verdict.findings, verdict.explain()
    assert received == normalised(note.text)


@pytest.mark.parametrize("text", HOSTILE_NOTES, ids=range(len(HOSTILE_NOTES)))
def test_faithful_engine_keeps_fixed_hostile_notes(faithful: tuple[MllpAdapter, MllpRelay], text: str) -> None:
    adapter, relay = faithful
    received = adapter.roundtrip_text(text, uid=f"F{next(_counter)}")
    assert jf.compare(text, received, "sv").ok
    assert received == normalised(text)
    # the relay reads our listener's ACK after the round trip has already returned
    assert eventually(lambda: relay.downstream_acks and set(relay.downstream_acks) == {"AA"}), relay.downstream_acks
    assert not relay.errors
    assert adapter.software() == {"MSH-3": "RELAY", "MSH-4": "LAB",
                                  "forwarded MSH-3": "JOURNAL_FUZZ", "forwarded MSH-4": "TEST"}


def test_long_note_beyond_python_hl7_default_block_limit() -> None:
    text = ("Ingen feber & inga fynd | åäö 🙂.\n" * 4000)  # ~150 kB escaped, > 64 KiB
    with engine() as (adapter, _):
        assert adapter.roundtrip_text(text, uid="LONG") == text


# -- lossy engines are caught --------------------------------------------------------------------------------------
LOSSY = [
    ("unescaped", "Hjärta & lungor: ua. Inga blåsljud.", {"truncated", "word-dropped", "term-dropped"}),
    ("strip-br", "Anamnes\nEj rökare.", {"words-merged"}),
    ("latin1", "Förnekar bröstsmärta.", {"encoding-damaged"}),
    ("truncate=30", "Patienten har inte feber. Fraktur påvisas ej.", {"truncated"}),
    ("drop-word=ej", "Fraktur påvisas ej.", {"negation-dropped"}),
]


@pytest.mark.parametrize(("message", "breaks"), COMBOS, ids=COMBO_IDS)
@pytest.mark.parametrize(("mode", "text", "kinds"), LOSSY, ids=[m for m, _, _ in LOSSY])
def test_lossy_engine_is_caught_with_the_right_kind(mode: str, text: str, kinds: set[str], message: str,
                                                    breaks: str) -> None:
    with engine(mode, message=message, breaks=breaks) as (adapter, _):
        received = adapter.roundtrip_text(text, uid="LOSSY1")
    verdict = jf.compare(text, received, "sv")
    assert not verdict.ok
    assert kinds & set(verdict.kinds), f"{mode}: {received!r}\n{verdict.explain()}"


# -- system errors -------------------------------------------------------------------------------------------------
def test_nack_is_rejected_with_the_engine_reason() -> None:
    with engine("nack") as (adapter, _), pytest.raises(SystemUnderTestError) as e:
        adapter.roundtrip_text("Inga fynd.", uid="N1")
    assert e.value.cause == "rejected"
    assert "AE" in str(e.value) and "Relay refuses this message" in str(e.value)


def test_silent_engine_times_out() -> None:
    with engine("silent", timeout=0.3) as (adapter, _):
        t = time.perf_counter()
        with pytest.raises(SystemUnderTestError) as e:
            adapter.roundtrip_text("Inga fynd.", uid="S1")
        assert e.value.cause == "timeout" and "did not forward" in str(e.value)
        assert time.perf_counter() - t < 2


def test_garbage_forward_fails_fast() -> None:
    with engine("garbage", timeout=10) as (adapter, _):
        t = time.perf_counter()
        with pytest.raises(SystemUnderTestError) as e:
            adapter.roundtrip_text("Inga fynd.", uid="G1")
        assert e.value.cause == "garbage" and "not HL7" in str(e.value)
        assert time.perf_counter() - t < 2


def test_unreachable_at_start_and_during_the_run() -> None:
    before = len(adapter_threads())
    a = adapter_for(f"hl7+mllp://127.0.0.1:{free_port()}?listen=127.0.0.1:0&timeout=2")
    with pytest.raises(SystemUnderTestError) as e:
        a.start()
    assert e.value.cause == "unreachable"
    assert len(adapter_threads()) == before
    with engine() as (adapter, relay):
        assert adapter.roundtrip_text("Inga fynd.", uid="U1") == "Inga fynd."
        relay.stop()
        with pytest.raises(SystemUnderTestError) as e:
            adapter.roundtrip_text("Inga fynd.", uid="U2")
        assert e.value.cause == "unreachable"


@contextmanager
def fake_engine(answer: bytes | None) -> Iterator[int]:
    """A TCP server that reads one block and answers ``answer`` (None: closes without answering)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.02)
    port = server.getsockname()[1]
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            with conn:
                data = b""
                while not data.endswith(b"\x1c\r"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if data and answer is not None:
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        done.set()
        thread.join(timeout=2)
        server.close()


@pytest.mark.parametrize(("answer", "cause"), [
    (b"\x0bHTTP/1.1 400 Bad Request\x1c\r", "garbage"),
    (b"\x0bMSH|^~\\&|E|F|||||ACK|9|P|2.5.1\rMSA|AR|wrong-id\x1c\r", "protocol"),
    (b"\x0bMSH|^~\\&|E|F|||||ACK|9|P|2.5.1\rMSA|AR|A1|no such patient\rERR||||E||||PID-3 unknown\x1c\r",
     "rejected"),
    (None, "protocol"),
])
def test_bad_acks(answer: bytes | None, cause: str) -> None:
    with fake_engine(answer) as port:
        a = adapter_for(f"hl7+mllp://127.0.0.1:{port}?listen=127.0.0.1:0&timeout=2")
        with a, pytest.raises(SystemUnderTestError) as e:
            a.roundtrip_text("Inga fynd.", uid="A1")
    assert e.value.cause == cause, str(e.value)
    if cause == "rejected":
        assert "no such patient" in str(e.value) and "PID-3 unknown" in str(e.value)


def test_listener_answers_non_hl7_with_a_reject() -> None:
    with engine() as (adapter, _), socket.create_connection(adapter.listen_address, timeout=2) as s:
        s.sendall(b"\x0bnot hl7 at all\x1c\r")
        reply = s.recv(4096)
        assert reply.startswith(b"\x0bMSH|^~\\&|JOURNAL_FUZZ|TEST|") and b"MSA|AR" in reply
        s.sendall(b"no start block\x1c\r")
        assert b"MSA|AR" in s.recv(4096)


# -- concurrency and correlation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("message", "breaks", "rewrite_ids"), [
    ("ORU^R01", "escape", False), ("MDM^T02", "repeat", False), ("ORU^R01", "repeat", True),
    ("MDM^T02", "escape", True),
], ids=["ORU-escape", "MDM-repeat", "ORU-repeat-rewritten-ids", "MDM-escape-rewritten-ids"])
def test_concurrent_round_trips_correlate(message: str, breaks: str, rewrite_ids: bool) -> None:
    threads, per_thread = 8, 5
    barrier = threading.Barrier(threads)

    def worker(t: int) -> list[tuple[str, str]]:
        barrier.wait()
        out = []
        for i in range(per_thread):
            text = f"Tråd {t} not {i}: ingen feber & inga fynd | ^ ~ \\.\nPatient {t}-{i} mår bra 🙂."
            out.append((text, adapter.roundtrip_text(text, uid=f"C{t}x{i}")))
        return out

    with engine(message=message, breaks=breaks, jitter=0.01, rewrite_ids=rewrite_ids) as (adapter, relay):
        with ThreadPoolExecutor(threads) as pool:
            results = [pair for chunk in pool.map(worker, range(threads)) for pair in chunk]
        assert eventually(lambda: relay.forwarded == threads * per_thread), relay.forwarded
    assert len(results) == threads * per_thread
    for sent, received in results:
        assert received == normalised(sent)


def test_engine_that_forwards_before_acknowledging() -> None:
    with engine(ack_after_forward=True) as (adapter, _):
        assert adapter.roundtrip_text("Ej rökare.", uid="B1") == "Ej rökare."


# -- life cycle and the relay as a process -------------------------------------------------------------------------
def test_stop_leaves_no_threads_and_is_idempotent() -> None:
    before = len(adapter_threads())
    with engine() as (adapter, _):
        adapter.roundtrip_text("Inga fynd.", uid="L1")
        assert len(adapter_threads()) == before + 1
    assert len(adapter_threads()) == before
    adapter.stop()
    with pytest.raises(AdapterError):
        adapter.roundtrip_text("Inga fynd.", uid="L2")


def test_relay_runs_as_a_process() -> None:
    listen = free_port()  # the adapter's listener: the relay must know it before the adapter starts
    relay = [sys.executable, str(Path(__file__).with_name("mllp_relay.py")), "--downstream", f"127.0.0.1:{listen}",
             "--mode", "drop-word=ej"]
    with subprocess.Popen(relay, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        try:
            line = proc.stdout.readline()
            assert line.startswith("mllp_relay listening on 127.0.0.1:"), line
            port = int(line.rsplit(":", 1)[1])
            with adapter_for(f"hl7+mllp://127.0.0.1:{port}?listen=127.0.0.1:{listen}&timeout=5") as a:
                received = a.roundtrip_text("Fraktur påvisas ej.", uid="P1")
            assert "negation-dropped" in jf.compare("Fraktur påvisas ej.", received, "sv").kinds
        finally:
            proc.terminate()
            assert proc.wait(timeout=5) == 0


def test_stop_during_a_round_trip_fails_it_promptly_and_start_works_again() -> None:
    with engine("silent", timeout=30) as (adapter, relay):
        errors: list[BaseException] = []

        def send() -> None:
            try:
                adapter.roundtrip_text("Inga fynd.", uid="W1")
            except BaseException as e:
                errors.append(e)

        sender = threading.Thread(target=send)
        sender.start()
        assert eventually(lambda: relay.received == 1)
        t = time.perf_counter()
        adapter.stop()
        sender.join(timeout=5)
        assert not sender.is_alive() and time.perf_counter() - t < 5
        assert len(errors) == 1 and isinstance(errors[0], SystemUnderTestError), errors
        relay.mode = "faithful"
        adapter.start()
        relay.downstream = adapter.listen_address
        assert adapter.roundtrip_text("Inga fynd.", uid="W2") == "Inga fynd."
