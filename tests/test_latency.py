"""Against real, slow systems: every distinct loss in one run, minimal cases found with the system's concurrency
within a budget, and crossed records reported as ``record-crossed``.

The end-to-end tests run the plugin in pytest subprocesses against ``tests/slow_peer.py``, an HTTP peer in its own
process with a latency and a concurrency capacity, whose defects are real transformations of the stored text.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz import strategies as jst
from journal_fuzz.adapters.base import adapter_for
from journal_fuzz.adapters.python import FunctionAdapter
from journal_fuzz.battery import PROPERTIES, RunConfig, run
from journal_fuzz.crossing import crossed_with
from journal_fuzz.exchange import Exchange, TextPayload, send, send_many
from journal_fuzz.mutants import LOSSY
from journal_fuzz.notes import Note
from journal_fuzz.reduce import (
    Budget,
    BudgetError,
    reduce_loss,
    sentence_spans,
    signature,
    signatures,
    subnote,
    word_spans,
)
from slow_peer import SlowPeer, transform

EXE = Path(sys.executable).parent / "journal-fuzz"


# -- signatures: one defect is one loss, different defects are different losses ------------------------------------
def _sigs(sent: str, received: str) -> list[str]:
    return signatures(jf.compare(sent, received, "sv"))


def test_one_defect_on_different_concepts_is_one_signature() -> None:
    assert _sigs("Röntgen visar ingen fraktur.", "Röntgen visar fraktur.") == \
        _sigs("DT visar ingen blödning i hjärnan.", "DT visar blödning i hjärnan.")
    assert _sigs("Waran 2,5 mg 1x1.", "Waran 25 mg 1x1.") == _sigs("Kalium 3,9 mmol/l.", "Kalium 39 mmol/l.")
    long_a = "Mår bra. " * 240 + "Ingen feber."
    long_b = "Sover gott. " * 180 + "Inga klagomål."
    assert _sigs(long_a, long_a[:2000]) == _sigs(long_b, long_b[:2000]) == ["truncated:cut near 2000 characters"]
    # The same cap after the system removed characters earlier in the note (a decimal comma, a cue): the sent
    # offset of the cut lies past 2000, the stored text is still cut at 2000.
    shifted = "Waran 2,5 mg 1x1. Ingen feber. " + "Mår bra. " * 240
    stored = shifted.replace("2,5", "25").replace(" Ingen feber.", "")[:2000]
    assert "truncated:cut near 2000 characters" in _sigs(shifted, stored), _sigs(shifted, stored)


def test_a_stretch_lost_with_its_cue_is_not_a_cue_word() -> None:
    """A negation lost inside a long lost stretch: the signature names the stretch's size, not the stretch."""
    sig = signature({"kind": "negation-dropped", "sent_text": "mardröm, dock muskelkramp och inga kräkningar",
                     "received_text": ""})
    assert sig == "cue-lost:4+ words"


def test_independent_defects_are_different_signatures() -> None:
    note = "Röntgen visar ingen fraktur. Waran 2,5 mg 1x1. Levaxin 50 µg."
    found = {
        "cue": _sigs(note, note.replace(" ingen", "")),
        "decimal": _sigs(note, note.replace("2,5", "25")),
        "micro": _sigs(note, note.replace("µg", "mg")),
        "cut": _sigs(note * 80, (note * 80)[:2000]),
    }
    flat = [s for sigs in found.values() for s in sigs]
    assert all(found.values()) and len(set(flat)) == len(flat), found


def test_a_signature_is_the_same_for_a_finding_and_its_saved_form() -> None:
    verdict = jf.compare("Ingen feber. Waran 2,5 mg.", "Feber. Waran 25 mg.", "sv")
    assert [signature(f) for f in verdict.findings] == [signature(f.to_dict()) for f in verdict.findings]


# -- units of a note: facts are never cut, spans stay exact --------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(jst.notes("sv", min_size=100, max_size=1500), st.data())
def test_sub_notes_keep_exact_fact_spans(note: Note, data: st.DataObject) -> None:
    spans = sentence_spans(note)
    assert "".join(note.text[s:e] for s, e in spans) == note.text
    for f in note.facts:
        assert any(s <= f.start and f.end <= e for s, e in spans), f
    chosen = data.draw(st.lists(st.sampled_from(spans), min_size=1, unique=True))
    sub = subnote(note, chosen)
    for f in sub.facts:
        assert sub.text[f.start:f.end] == f.text
    start, end = chosen[0]
    words = word_spans(note, start, end)
    assert "".join(note.text[s:e] for s, e in words) == note.text[start:end]
    for f in note.facts:
        if start <= f.start and f.end <= end:
            assert any(s <= f.start and f.end <= e for s, e in words), f


# -- crossing: another payload's text is caught, a lossy system is never called crossing ----------------------------
def test_another_payloads_text_is_a_crossed_record() -> None:
    a = "Röntgen visar ingen fraktur i vänster handled. Waran 2,5 mg 1x1."
    b = "DT hjärna: ingen blödning. Kalium 3,9 mmol/l. Återbesök om två veckor."
    assert crossed_with(b, a, [a, b]) is not None
    mixed = a[:30] + " Kalium 3,9 mmol/l. Återbesök om två veckor."
    found = crossed_with(mixed, a, ["Sover gott.", b])
    assert found is not None and found.other == 1 and not found.whole
    assert crossed_with(a, a, [b]) is None


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(jst.notes("sv"), min_size=2, max_size=4), st.sampled_from(LOSSY), st.randoms(use_true_random=False))
def test_a_lossy_system_is_never_called_crossing(notes: list[Note], mutant: object, rng: random.Random) -> None:
    """Every lossy mutant of one note, among other notes of the same generator: never ``record-crossed``."""
    own, others = notes[0], [n.text for n in notes[1:]]
    changed = mutant(own.text, "sv", rng)  # type: ignore[operator]
    if changed is None or changed == own.text:
        return
    assert crossed_with(changed, own.text, others) is None, (getattr(mutant, "name", mutant), changed, others)


# -- the budget ------------------------------------------------------------------------------------------------
def test_budget_reads_time_or_round_trips_and_refuses_the_rest() -> None:
    assert Budget.parse("60s") == Budget(seconds=60) and Budget.parse("2m") == Budget(seconds=120)
    assert Budget.parse("200") == Budget(round_trips=200) and Budget.parse("0").zero
    for bad in ("fast", "-5", "1.5", "10h"):
        with pytest.raises(BudgetError):
            Budget.parse(bad)


def test_reduction_sends_whole_rounds_at_once_and_stops_at_its_budget() -> None:
    """In-process, but every candidate goes through send_many: rounds run K at a time, the budget is kept, and
    the case found is smaller and still loses the same way."""
    in_flight, peak, lock = [0], [0], threading.Lock()
    lossy = transform(["cue-after-verb"])

    def system(text: str) -> str:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.01)
        with lock:
            in_flight[0] -= 1
        return lossy(text)

    adapter = FunctionAdapter("drops a negation after a verb", system)
    note = jf.Note("Anamnes: Mår bra. Äter och dricker. Sover gott.\nRöntgen visar ingen fraktur i handleden.\n"
                   "Planering: Återbesök om två veckor. Gott allmäntillstånd.", "sv")
    first = send(adapter, TextPayload(note))
    sig = signatures(first.verdict)[0]
    full = reduce_loss(adapter, first, sig, budget=Budget.parse("60s"), concurrency=8)
    assert full.complete and full.size < len(note.text) and "visar ingen" in full.exchange.sent
    assert sig in signatures(full.exchange.verdict) and 2 < peak[0] <= 8
    assert full.rounds < full.round_trips  # rounds of several candidates, not one at a time
    short = reduce_loss(adapter, first, sig, budget=Budget.parse("5"), concurrency=8)
    assert not short.complete and short.round_trips == 5 and "budget" in short.reason
    assert sig in signatures(short.exchange.verdict)


# -- end to end, against the slow peer --------------------------------------------------------------------------
@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert(str(Path(__file__).parent))
    return pytester


def _battery(pytester: pytest.Pytester, peer: SlowPeer, *args: str) -> pytest.RunResult:
    os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
    os.environ["SLOW_PEER_URL"] = peer.url
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--journal-fuzz=python:slow_peer:client",
                                         "--journal-fuzz-profile=ci", "--journal-fuzz-lang=sv", *args, timeout=600)


def _cases(pytester: pytest.Pytester) -> list[dict[str, object]]:
    return [json.loads(p.read_text(encoding="utf-8")) | {"path": str(p)}
            for p in sorted((pytester.path / ".journal_fuzz" / "cases").glob("*.json"))]


def _replay(case: dict[str, object], peer: SlowPeer) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SLOW_PEER_URL=peer.url,
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([str(EXE), "replay", str(case["path"]), "--target", "python:slow_peer:client"],
                          capture_output=True, text=True, env=env, check=False)


@pytest.fixture
def two_defects() -> Iterator[SlowPeer]:
    with SlowPeer(0.05, 8, ["decimal-comma", "cue-after-verb"]) as peer:
        yield peer


def test_one_run_reports_two_distinct_losses_of_one_system(project: pytest.Pytester, two_defects: SlowPeer) -> None:
    result = _battery(project, two_defects, "--journal-fuzz-properties=notes", "--journal-fuzz-examples=40",
                      "--journal-fuzz-concurrency=8", "--junitxml=junit.xml")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert re.search(r"\d+ distinct word losses in notes-sv", out), out
    cases = _cases(project)
    sigs = {str(c["signature"]) for c in cases}
    assert "number-changed:,→" in sigs and any(s.startswith("cue-lost:") for s in sigs), sigs
    assert out.count("replay: journal-fuzz replay") == len(cases)
    junit = (project.path / "junit.xml").read_text(encoding="utf-8")
    assert junit.count('name="case"') == len(cases)
    for case in cases:
        reduction = case["reduction"]
        assert isinstance(reduction, dict) and reduction["characters"] <= reduction["original_characters"]
        assert _replay(case, two_defects).returncode == 1


def test_a_budget_that_ends_reduction_early_still_saves_and_replays_the_case(project: pytest.Pytester) -> None:
    with SlowPeer(0.05, 8, ["cue-after-verb"]) as peer:
        result = _battery(project, peer, "--journal-fuzz-properties=structure", "--journal-fuzz-examples=40",
                          "--journal-fuzz-shrink-budget=3", "--journal-fuzz-report=report.html")
        result.assert_outcomes(failed=1)
        assert "NOT FULLY REDUCED (the shrink budget of 3 round trips ran out)" in result.stdout.str()
        assert 'class="warn not-reduced"' in (project.path / "report.html").read_text(encoding="utf-8")
        cases = _cases(project)
        assert cases
        for case in cases:
            reduction = case["reduction"]
            assert isinstance(reduction, dict) and reduction["round_trips"] <= 3
            replayed = _replay(case, peer)
            assert replayed.returncode == 1 and "STILL LOSING WORDS" in replayed.stdout
        assert any(isinstance(c["reduction"], dict) and not c["reduction"]["complete"] for c in cases)
    with SlowPeer(0.05, 8) as fixed:
        assert _replay(cases[0], fixed).returncode == 0


def test_a_bad_budget_is_one_clear_usage_error(project: pytest.Pytester) -> None:
    with SlowPeer(0.01, 2) as peer:
        result = _battery(project, peer, "--journal-fuzz-shrink-budget=soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "shrink budget must be a time like 60s" in result.stderr.str() and "Traceback" not in result.stderr.str()


def test_a_system_that_crosses_records_is_reported_as_record_crossed(project: pytest.Pytester) -> None:
    with SlowPeer(0.2, 8, ["cross"]) as peer:
        result = _battery(project, peer, "--journal-fuzz-properties=notes", "--journal-fuzz-examples=6",
                          "--journal-fuzz-concurrency=8")
        result.assert_outcomes(failed=1)
        out = result.stdout.str()
        assert "record-crossed, critical" in out and "another patient's text" in out
        crossed = [c for c in _cases(project) if c["signature"] == "record-crossed"]
        assert crossed and all(c["companions"] for c in crossed)
        # The first loss is the crossing (critical, and met first), and a replay sends the pair together again.
        assert out.index("record-crossed, critical") < min(
            (out.index(k) for k in ("term-dropped,", "word-added,", "word-dropped,") if k in out), default=len(out))
        replayed = _replay(crossed[0], peer)
        assert replayed.returncode == 1 and "STILL LOSING WORDS: record-crossed" in replayed.stdout
    with SlowPeer(0.2, 8) as alone:
        assert _replay(crossed[0], alone).returncode == 0


def test_crossed_records_in_a_batch_are_one_finding_each() -> None:
    """send_many against the crossing peer: every payload whose record holds another's text is record-crossed,
    with no word-level kinds beside it."""
    notes = [jf.Note(t, "sv") for t in ("Röntgen visar ingen fraktur i vänster handled. Återbesök om två veckor.",
                                        "DT hjärna utan blödning. Kalium 3,9 mmol/l. Sover gott om nätterna.",
                                        "Patienten förnekar bröstsmärta. Waran 2,5 mg 1x1 enligt ordination.")]
    with SlowPeer(0.2, 8, ["cross"]) as peer:
        os.environ["SLOW_PEER_URL"] = peer.url
        adapter = adapter_for("python:slow_peer:client")
        results = send_many(adapter, [TextPayload(n) for n in notes], concurrency=3)
    lost = [r for r in results if isinstance(r, Exchange) and not r.ok]
    assert lost, "the peer served them one by one: nothing crossed"
    for r in lost:
        assert r.verdict.kinds == ["record-crossed"], r.verdict.explain()
        assert r.extra["crossed"] in [TextPayload(n) for n in notes]


def test_the_battery_reports_all_losses_in_process_too() -> None:
    """battery.run on its own (as selftest and the benchmarks drive it): the losses, most severe first, each with
    its reduction, and the first as ``outcome.loss`` as before."""
    adapter = FunctionAdapter("two defects", transform(["decimal-comma", "drop=ej"]))
    prop = next(p for p in PROPERTIES if p.name == "notes")
    outcome = run(prop, "sv", adapter, RunConfig(examples=40, concurrency=4, derandomize=True))
    assert outcome.status == "lost" and outcome.loss is outcome.losses[0]
    sigs = [loss.signature for loss in outcome.losses]
    assert "number-changed:,→" in sigs and "cue-lost:ej" in sigs, sigs
    for loss in outcome.losses:
        assert loss.reduction is not None and loss.reduction.size <= loss.reduction.original_size
        assert loss.signature in signatures(loss.verdict) and not loss.nondeterministic


def test_the_minimal_case_is_kept_in_the_database_and_sent_first_next_run() -> None:
    """With an example database, each loss's minimal case is kept and sent before anything is generated next time
    (so the next run, on any machine, meets the defect in its first round trip, already reduced); once the system
    is fixed the kept case passes and is forgotten."""
    from hypothesis.database import InMemoryExampleDatabase

    db = InMemoryExampleDatabase()
    prop = next(p for p in PROPERTIES if p.name == "negations")
    lossy = FunctionAdapter("drops ingen", transform(["drop=ingen"]))
    first = run(prop, "sv", lossy, RunConfig(examples=30, concurrency=4, database=db))
    assert first.status == "lost" and first.replayed == 0
    minimal = first.losses[0].exchange.payload.note.text  # type: ignore[union-attr]
    assert minimal and len(minimal) <= first.losses[0].reduction.original_size  # type: ignore[union-attr]
    # One example: the kept case goes first, so the loss is met at payload 1 and it is the reduced note.
    again = run(prop, "sv", lossy, RunConfig(examples=1, concurrency=4, database=db))
    assert again.replayed >= 1 and again.first_loss_at == 1, (again.replayed, again.first_loss_at)
    assert minimal in [loss.first.payload.note.text for loss in again.losses  # type: ignore[union-attr]
                      if loss.first is not None]
    # Fixed: the kept case passes, and is deleted.
    fixed = run(prop, "sv", FunctionAdapter("faithful", lambda t: t),
                RunConfig(examples=1, concurrency=4, database=db))
    assert fixed.status == "passed" and fixed.replayed == again.replayed
    after = run(prop, "sv", FunctionAdapter("faithful", lambda t: t),
                RunConfig(examples=1, concurrency=4, database=db))
    assert after.replayed == 0


def test_a_kept_case_is_the_same_record_every_time_it_is_kept() -> None:
    """The example database is a set of records: a FHIR case kept again after a replay must not be a new record
    (a fresh uid per save would add one every run)."""
    from journal_fuzz.cases import payload_from_record, payload_record
    from journal_fuzz.exchange import FhirPayload

    note = Note("Ingen fraktur.", "sv")
    built = FhirPayload.build("Observation", [note])
    first = payload_record(built)
    replayed = payload_from_record(json.loads(json.dumps(first)))
    assert replayed is not None
    assert json.dumps(payload_record(replayed)) == json.dumps(first)
    assert payload_record(TextPayload(note)) == payload_record(TextPayload(note))


def test_ctrl_c_while_the_pipeline_waits_is_not_swallowed() -> None:
    """Ctrl-C while the battery waits for payloads in flight stops the run: it is not taken for a send's own
    failure (which the pipeline raises once, later) and dropped."""
    import signal

    from journal_fuzz.exchange import Pipeline

    def slow(text: str) -> str:
        time.sleep(1.5)
        return text

    # A test run started in the background has SIGINT ignored; Ctrl-C is what this test is about.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with FunctionAdapter("slow", slow) as adapter, Pipeline(adapter, concurrency=2) as pipeline:
            pipeline.submit(TextPayload(Note("Ingen feber.", "sv")))
            timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            started = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                pipeline.drain()
            waited = time.monotonic() - started
            timer.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert waited < 1.4  # raised while waiting, not after the send came back
