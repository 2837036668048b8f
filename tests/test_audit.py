"""``journal-fuzz audit``: real exports on disk, read, matched, compared, reported.

Every test writes real files (an HL7 v2 archive, a FHIR Bulk Data export with a gzipped file, CSV, Parquet, text
directories) with losses planted where the test knows them, runs the command (or ``run_audit``), and checks that
exactly the planted records are reported, with the right kinds, and that no benign record is.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journal_fuzz.audit import AuditOptions, Interrupted, run_audit
from journal_fuzz.audit import engine as audit_engine
from journal_fuzz.audit import sources as audit_sources
from journal_fuzz.audit.synthetic import (
    ACCESSION_SYSTEM,
    Record,
    write_fhir_export,
    write_hl7_archive,
    write_table,
    write_texts,
)
from journal_fuzz.synthetic import TEST_PERSONNUMMER

NOTES = [
    "Frågeställning: fraktur i höger handled?\nUtlåtande: Ingen fraktur. Ingen luxation.",
    "Lungröntgen: Fri gas under diafragman ses ej. Inga tecken på pneumothorax.",
    "Läkemedel: Waran 2,5 mg 1x1, Levaxin 50 µg 1x1.",
    "Datortomografi hjärna: Ingen blödning. Inga tecken på infarkt.",
    "Ultraljud buk: Gallblåsan utan konkrement. Misstänkt fettlever.",
    "Skelettröntgen vänster knä: Artrosförändringar, ingen fraktur.",
    "Chest X-ray: No pneumothorax. No pleural effusion. Heart size normal.",
    "MRI lumbar spine: Disc herniation L4-L5 on the left side. No spinal stenosis.",
]
T0 = dt.datetime(2024, 11, 4, 9, 0, tzinfo=dt.UTC)
# What the storing system did to some records: planted losses (with the kind the oracle must name) ...
LOSSES = {
    "RAD1000": (lambda t: t.replace("Ingen fraktur. ", "Fraktur. "), "negation-dropped"),
    "RAD1001": (lambda t: t.replace("ses ej", "ses"), "negation-dropped"),
    "RAD1002": (lambda t: t.replace("2,5", "25"), "number-changed"),
    "RAD1007": (lambda t: t.replace("left", "right"), "laterality-changed"),
}
# ... benign changes (which must never be reported) ...
BENIGN = {
    "RAD1003": lambda t: unicodedata.normalize("NFD", t).replace("\n", "\r\n"),
    "RAD1005": lambda t: "  " + t.upper().replace(" ", "\n") + "\n",
    "RAD1006": lambda t: t.replace("No ", "No\u00a0"),
}
MISSING = "RAD1004"


def records(n: int = len(NOTES)) -> list[Record]:
    return [Record(f"RAD{1000 + i}", NOTES[i % len(NOTES)], T0 + dt.timedelta(days=i)) for i in range(n)]


def stored(recs: list[Record]) -> list[Record]:
    out = []
    for r in recs:
        if r.key == MISSING:
            continue
        text = r.text
        if r.key in LOSSES:
            text = LOSSES[r.key][0](text)
        elif r.key in BENIGN:
            text = BENIGN[r.key](text)
        out.append(Record(r.key, text, r.when))
    return out


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "journal-fuzz"
    return subprocess.run([str(exe), "audit", *args], capture_output=True, text=True, cwd=cwd, timeout=600,
                          check=False, env=env)


def read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_table(str(path)).to_pylist())
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def changed_kinds(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in rows:
        if row["status"] == "changed":
            out.setdefault(row["key"], set()).add(row["kind"])
    return out


def assert_planted_found(rows: list[dict[str, Any]], keys: set[str]) -> None:
    kinds = changed_kinds(rows)
    expected = {k for k in LOSSES if k in keys}
    assert set(kinds) == expected, kinds
    for key in expected:
        assert LOSSES[key][1] in kinds[key], (key, kinds[key])
    assert {r["key"] for r in rows if r["status"] == "missing"} == ({MISSING} & keys)
    assert not {r["key"] for r in rows} & set(BENIGN), "a benign record was reported"


@pytest.fixture
def hl7_vs_fhir(tmp_path: Path) -> Path:
    recs = records()
    write_hl7_archive(tmp_path / "sent" / "ris-2024-11.hl7", recs[:5])
    write_hl7_archive(tmp_path / "sent" / "ris-2024-12.hl7", recs[5:], framing="mllp")
    write_fhir_export(tmp_path / "received", stored(recs), files=2, gzip_files=1, malformed=[3])
    return tmp_path


# ---------------------------------------------------------------------------------------------------------
def test_a_fhir_bulk_export_against_an_hl7_archive(hl7_vs_fhir: Path) -> None:
    run = cli("sent", "received", "--out", "findings.parquet", "--report", "audit.html", "--workers", "2",
              cwd=hl7_vs_fhir)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stderr == ""
    rows = read_rows(hl7_vs_fhir / "findings.parquet")
    assert_planted_found(rows, {r.key for r in records()})
    # The malformed line of the gzipped file is counted and named: file, line, reason.
    (bad,) = [r for r in rows if r["status"] == "unreadable"]
    assert bad["side"] == "received"
    assert bad["received_where"] == "received/DocumentReference_2.ndjson.gz:3", bad
    assert bad["explanation"].startswith("not JSON")
    # Where each finding lives: the HL7 line of its message and the NDJSON line of its resource.
    first = next(r for r in rows if r["key"] == "RAD1000")
    assert first["sent_where"] == "sent/ris-2024-11.hl7:3"
    assert first["path"] == "DocumentReference.content[0].attachment"
    assert first["date"] == "2024-11-04"
    out = run.stdout
    assert "CHANGED: 4 changed, 1 missing, 1 unreadable of 8 sent records" in out
    assert "key OBR-3" in out and f"key identifier|{ACCESSION_SYSTEM}" in out
    assert "3 Patient" in out  # resources without a note are counted, not silently dropped
    assert (hl7_vs_fhir / "audit.html").stat().st_size > 5000


def test_the_same_audit_with_one_worker_in_process_and_ndjson_and_csv_outputs(hl7_vs_fhir: Path) -> None:
    a = run_audit(AuditOptions(str(hl7_vs_fhir / "sent"), str(hl7_vs_fhir / "received"),
                               out=str(hl7_vs_fhir / "a.ndjson"), workers=1))
    b = run_audit(AuditOptions(str(hl7_vs_fhir / "sent"), str(hl7_vs_fhir / "received"),
                               out=str(hl7_vs_fhir / "b.csv"), workers=2))
    assert a.exit_code == b.exit_code == 1
    assert a.summary["totals"] == b.summary["totals"]
    import csv

    with open(hl7_vs_fhir / "b.csv", encoding="utf-8", newline="") as fh:
        csv_rows = list(csv.DictReader(fh))
    nd_rows = read_rows(hl7_vs_fhir / "a.ndjson")
    assert [(r["key"], r["status"], r["kind"] or "") for r in csv_rows] == \
        [(r["key"] or "", r["status"], r["kind"] or "") for r in nd_rows]
    t = a.summary["totals"]
    assert (t["identical"], t["benign"], t["changed"], t["missing"]) == (0, 3, 4, 1)
    assert t["benign_fast"] >= 2  # CRLF+NFD and the no-break spaces take the fast path


def test_a_csv_table_against_a_parquet_table(tmp_path: Path) -> None:
    recs = records()
    write_table(tmp_path / "old.csv", recs)
    write_table(tmp_path / "new.parquet", stored(recs), key="doc_id", text="body", date="written")
    run = cli("old.csv", "new.parquet", "--out", "f.ndjson", "--workers", "1", cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    rows = read_rows(tmp_path / "f.ndjson")
    assert_planted_found(rows, {r.key for r in recs})
    assert "key accession" in run.stdout and "key doc_id" in run.stdout
    assert all(r["date"] for r in rows if r["status"] == "changed")


def test_directories_of_texts_matched_by_relative_path_and_nothing_changed(tmp_path: Path) -> None:
    recs = records()
    write_texts(tmp_path / "a", recs)
    write_texts(tmp_path / "b", [Record(r.key, unicodedata.normalize("NFD", r.text), r.when) for r in recs])
    run = cli("a", "b", "--workers", "1", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("kept: all 8 sent records came back with every clinical word")


def test_the_dask_local_cluster_gives_the_same_findings_as_the_local_pool(hl7_vs_fhir: Path) -> None:
    distributed = pytest.importorskip("distributed")
    local = run_audit(AuditOptions(str(hl7_vs_fhir / "sent"), str(hl7_vs_fhir / "received"),
                                   out=str(hl7_vs_fhir / "local.ndjson"), workers=2))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            assert len(client.scheduler_info()["workers"]) == 2
        remote = run_audit(AuditOptions(str(hl7_vs_fhir / "sent"), str(hl7_vs_fhir / "received"),
                                        out=str(hl7_vs_fhir / "dask.ndjson"), scheduler=c.scheduler_address))
    assert remote.summary["runner"].startswith("Dask cluster at tcp://127.0.0.1:")
    assert "(2 workers)" in remote.summary["runner"]
    assert (hl7_vs_fhir / "dask.ndjson").read_text(encoding="utf-8") == \
        (hl7_vs_fhir / "local.ndjson").read_text(encoding="utf-8")
    assert remote.summary["totals"] == local.summary["totals"]
    assert_planted_found(read_rows(hl7_vs_fhir / "dask.ndjson"), {r.key for r in records()})


def test_a_fhir_export_against_a_fhir_export_is_compared_resource_by_resource(tmp_path: Path) -> None:
    recs = records()
    write_fhir_export(tmp_path / "old", recs)
    new = write_fhir_export(tmp_path / "new", stored(recs))
    # The new system also changed a code: structure is compared too (compare_resources).
    lines = new[0].read_text(encoding="utf-8").splitlines()
    res = json.loads(lines[3])
    res["status"] = "entered-in-error"
    lines[3] = json.dumps(res)
    new[0].write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_audit(AuditOptions(str(tmp_path / "old"), str(tmp_path / "new"), out=str(tmp_path / "f.ndjson"),
                                    workers=1))
    rows = read_rows(tmp_path / "f.ndjson")
    kinds = changed_kinds(rows)
    assert "field-changed" in kinds["RAD1003"]
    assert "negation-dropped" in kinds["RAD1000"]
    assert result.summary["mode"] == "fhir"
    assert {r["path"] for r in rows if r["key"] == "RAD1000"} == {"DocumentReference.content[0].attachment"}


# ---------------------------------------------------------------------------------------------------------
# HL7 archives as they come
def test_hl7_framings_batches_several_reports_per_message_and_mdm(tmp_path: Path) -> None:
    recs = records()
    write_hl7_archive(tmp_path / "s" / "cr.hl7", recs[:3], framing="cr")
    write_hl7_archive(tmp_path / "s" / "lf.hl7", recs[3:5], framing="lf", batch=False)
    write_hl7_archive(tmp_path / "s" / "mdm.hl7", recs[5:7], framing="mllp", message="MDM^T02")
    # One ORU with two OBR groups, each its own report.
    two = write_hl7_archive(tmp_path / "two.hl7", [recs[7]], batch=False).read_text(encoding="utf-8")
    second = "OBR|2|RAD2000^X|RAD2000^X|11506-3^Progress note^LN|||20241201090000\rOBX|1|FT|x||Ingen fraktur.||||||F\r"
    (tmp_path / "s" / "two.hl7").write_text(two + second, encoding="utf-8")
    (tmp_path / "two.hl7").unlink()
    texts = {r.key: r.text for r in recs} | {"RAD2000": "Ingen fraktur."}
    write_table(tmp_path / "r.csv", [Record(k, v, T0) for k, v in texts.items()])
    result = run_audit(AuditOptions(str(tmp_path / "s"), str(tmp_path / "r.csv"),
                                    keys=("sent:OBR-3",), workers=1))
    t = result.summary["totals"]
    assert (t["sent_records"], t["matched"], t["identical"], t["changed"]) == (7, 7, 7, 0), t
    # The MDM messages carry the key in TXA-12, not OBR-3: named, never silently dropped.
    assert t["unreadable_sent"] == 2
    assert all("no value at OBR-3" in r["explanation"] for r in result.summary["unreadable"])
    auto = run_audit(AuditOptions(str(tmp_path / "s" / "mdm.hl7"), str(tmp_path / "r.csv"), workers=1))
    assert auto.summary["sent"]["key"] == "TXA-12" and auto.summary["totals"]["identical"] == 2


def test_a_bogus_segment_makes_its_message_unreadable_with_the_line(tmp_path: Path) -> None:
    recs = records(3)
    path = write_hl7_archive(tmp_path / "s.hl7", recs, batch=False)
    data = path.read_bytes().replace(b"Ingen luxation.", b"Ingen luxation.\rsista raden")
    path.write_bytes(data)
    write_table(tmp_path / "r.csv", recs)
    result = run_audit(AuditOptions(str(path), str(tmp_path / "r.csv"), workers=1))
    (bad,) = result.summary["unreadable"]
    assert bad["sent_where"] == f"{path}:1"
    assert "line 6 is not an HL7 segment: 'sista raden" in bad["explanation"]
    assert result.exit_code == 1


def test_line_numbers_stay_right_when_a_large_file_is_read_in_pieces(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_sources, "CHUNK_BYTES", 3000)
    recs = records(40)
    write_fhir_export(tmp_path / "r", recs, malformed=[30], patients=0)
    write_hl7_archive(tmp_path / "s.hl7", recs)
    tasks = audit_sources.plan_tasks("received", audit_sources.open_source(str(tmp_path / "r"), "received"))
    assert len(tasks) > 3
    result = run_audit(AuditOptions(str(tmp_path / "s.hl7"), str(tmp_path / "r"), workers=1))
    (bad,) = result.summary["unreadable"]
    assert bad["received_where"].endswith("DocumentReference.ndjson:32")
    lines = (tmp_path / "r" / "DocumentReference.ndjson").read_text(encoding="utf-8").splitlines()
    assert lines[31].startswith('{"resourceType":"DocumentReference","id":"broken"')
    assert result.summary["totals"]["identical"] == 40


# ---------------------------------------------------------------------------------------------------------
# Long runs: resume, Ctrl-C
def test_an_interrupted_run_resumes_without_recomparing_or_double_counting(hl7_vs_fhir: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    sent, received = str(hl7_vs_fhir / "sent"), str(hl7_vs_fhir / "received")
    whole = run_audit(AuditOptions(sent, received, out=str(hl7_vs_fhir / "whole.ndjson"), workers=1))
    state = hl7_vs_fhir / "state"
    real = audit_engine.compare_partition
    calls: list[int] = []

    def stop_at_the_third(part: int, ctx: Any) -> dict[str, Any]:
        calls.append(part)
        if len(calls) == 3:
            raise KeyboardInterrupt  # what Ctrl-C raises mid-run
        return real(part, ctx)

    monkeypatch.setattr(audit_engine, "compare_partition", stop_at_the_third)
    with pytest.raises(Interrupted) as stopped:
        run_audit(AuditOptions(sent, received, out=str(hl7_vs_fhir / "resumed.ndjson"), workers=1,
                               resume=str(state)))
    assert "2 of 8 partitions compared" in str(stopped.value)
    done = {p.name: p.stat().st_mtime_ns for p in (state / "results").glob("p*.json")}
    assert len(done) == 2
    monkeypatch.setattr(audit_engine, "compare_partition", real)
    calls.clear()
    again = run_audit(AuditOptions(sent, received, out=str(hl7_vs_fhir / "resumed.ndjson"), workers=1,
                                   resume=str(state)))
    assert {p.name: p.stat().st_mtime_ns for p in (state / "results").glob("p*.json") if p.name in done} == done
    assert again.summary["totals"] == whole.summary["totals"]
    assert (hl7_vs_fhir / "resumed.ndjson").read_text() == (hl7_vs_fhir / "whole.ndjson").read_text()
    # Resuming other inputs into the same state is refused.
    other = cli("sent", "sent", "--resume", "state", cwd=hl7_vs_fhir)
    assert other.returncode == 2 and "holds a run of other inputs" in other.stderr


def test_ctrl_c_on_the_command_says_how_to_resume(hl7_vs_fhir: Path) -> None:
    # The real thing: SIGINT to a running command, during a run slowed down only by its size.
    recs = records(4000)
    write_hl7_archive(hl7_vs_fhir / "big" / "s.hl7", recs)
    write_fhir_export(hl7_vs_fhir / "bigr", stored(recs), patients=0)
    exe = Path(sys.executable).parent / "journal-fuzz"
    proc = subprocess.Popen([str(exe), "audit", "big", "bigr", "--workers", "1", "--resume", "st"],
                            cwd=hl7_vs_fhir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import signal
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list((hl7_vs_fhir / "st" / "read").glob("*.json")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 1:  # it finished before the signal landed: nothing to resume
        pytest.skip("the run finished before Ctrl-C arrived")
    assert proc.returncode == 2, out + err
    assert "interrupted" in err and "--resume st" in err, err
    assert "Traceback" not in err
    done = cli("big", "bigr", "--workers", "1", "--resume", "st", "--out", "f.ndjson", cwd=hl7_vs_fhir)
    assert done.returncode == 1, done.stderr
    assert "resuming the run in st" in done.stderr


# ---------------------------------------------------------------------------------------------------------
# Redaction
def test_redact_replaces_patient_identifiers_in_findings_and_report(tmp_path: Path) -> None:
    pnr = TEST_PERSONNUMMER[0]
    sent = [Record("RAD1", f"Pat: Anna Provsson, {pnr}. Ingen fraktur i vänster handled.", T0),
            Record("RAD2", f"Pat: Anna Provsson, {pnr}. Inga tecken på blödning.", T0)]
    received = [Record("RAD1", f"Pat: Anna Provsson, {pnr}. Fraktur i vänster handled.", T0)]
    write_texts(tmp_path / "s", sent)
    write_texts(tmp_path / "r", received)
    run = cli("s", "r", "--redact", "--out", "f.ndjson", "--report", "a.html", "--lang", "sv", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    findings = (tmp_path / "f.ndjson").read_text(encoding="utf-8")
    page = (tmp_path / "a.html").read_text(encoding="utf-8")
    for text in (findings, page, run.stdout):
        assert pnr not in text and pnr[2:] not in text and "Provsson" not in text
    rows = read_rows(tmp_path / "f.ndjson")
    assert {r["kind"] for r in rows if r["status"] == "changed"} == {"negation-dropped"}
    assert "redacted: identifiers replaced" in page
    assert "fraktur" in page and "handled" in page  # the clinical words stay


# ---------------------------------------------------------------------------------------------------------
# Bad input: one clear line, exit 2
def _one_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_an_unknown_format(tmp_path: Path) -> None:
    (tmp_path / "export.bin").write_bytes(b"\x00\x01binary")
    write_table(tmp_path / "r.csv", records())
    line = _one_line(cli("export.bin", "r.csv", cwd=tmp_path))
    assert line.startswith("journal-fuzz: cannot tell what sent export.bin is")


def test_a_key_that_matches_nothing(hl7_vs_fhir: Path) -> None:
    line = _one_line(cli("sent", "received", "--key", "sent:OBR-99", cwd=hl7_vs_fhir))
    assert "--key sent:OBR-99 matches nothing" in line
    line = _one_line(cli("sent", "received", "--key", "sent:MSH-7", "--key", "received:id", cwd=hl7_vs_fhir))
    assert "the keys match nothing" in line and "MSH-7" in line


def test_a_truncated_gzip(hl7_vs_fhir: Path) -> None:
    gz = next((hl7_vs_fhir / "received").glob("*.gz"))
    data = gzip.compress(gzip.decompress(gz.read_bytes()) * 30)
    gz.write_bytes(data[: len(data) // 2])
    tmp = hl7_vs_fhir / "tmp"
    tmp.mkdir()
    line = _one_line(cli("sent", "received", cwd=hl7_vs_fhir, env={**os.environ, "TMPDIR": str(tmp)}))
    assert "is a truncated gzip file" in line and gz.name in line
    assert list(tmp.iterdir()) == []  # the run's temporary state went with it


def test_a_quote_left_open_in_a_table(tmp_path: Path) -> None:
    """An unclosed quote makes every later row one field: an input error naming the file, not a silent merge."""
    write_table(tmp_path / "r.csv", records())
    (tmp_path / "s.csv").write_text('accession,note\nA1,"Ingen feber.\nA2,Inga blåsljud.\n', encoding="utf-8")
    line = _one_line(cli("s.csv", "r.csv", cwd=tmp_path))
    assert "s.csv is not a readable CSV file" in line, line


def test_a_file_that_is_not_utf8(hl7_vs_fhir: Path) -> None:
    nd = next(p for p in (hl7_vs_fhir / "received").glob("DocumentReference*.ndjson"))
    nd.write_bytes(nd.read_bytes().replace(b"RAD1000", "RÄD1000".encode("latin-1")))
    line = _one_line(cli("sent", "received", cwd=hl7_vs_fhir))
    assert "is not UTF-8 text: line 1 has byte 0xc4" in line


@pytest.mark.parametrize("args, words", [
    (("missing-dir", "received"), "sent not found: missing-dir"),
    (("sent", "received", "--out", "f.xlsx"), "write findings to a .parquet, .ndjson or .csv file"),
    (("sent", "received", "--key", "sent:bogus"), "the sent side is matched by an HL7 field"),
    (("sent", "received", "--workers", "0"), "--workers must be at least 1"),
    (("sent", "received", "--scheduler", "tcp://127.0.0.1:9"), "cannot reach the Dask scheduler"),
])
def test_other_bad_arguments(hl7_vs_fhir: Path, args: tuple[str, ...], words: str) -> None:
    assert words in _one_line(cli(*args, cwd=hl7_vs_fhir))


# ---------------------------------------------------------------------------------------------------------
# The HL7 reader's fast unescape is the adapter's unescape
@given(st.lists(st.sampled_from(["a", "ö ", "|", "\\F\\", "\\S\\", "\\T\\", "\\R\\", "\\E\\", "\\.br\\", "\\H\\",
                                 "\\N\\", "\\X0D\\", "\\XC3\\", "\\XA4\\", "\\.sp2\\", "\\Zx\\", "\\", "\\.BR\\",
                                 "\\P\\", "x\\y"]), max_size=12).map("".join))
def test_the_readers_unescape_is_the_adapters(value: str) -> None:
    from journal_fuzz.adapters.hl7v2 import DEFAULT_DELIMITERS, Delimiters, unescape

    for d in (DEFAULT_DELIMITERS, Delimiters(truncation="#")):
        assert audit_sources._unescape(value, d, "utf-8") == unescape(value, d, "utf-8")


# ---------------------------------------------------------------------------------------------------------
def test_the_progress_line_is_drawn_only_when_asked_or_on_a_terminal(hl7_vs_fhir: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    opts = {"sent": str(hl7_vs_fhir / "sent"), "received": str(hl7_vs_fhir / "received"), "workers": 1}
    run_audit(AuditOptions(**opts))  # under pytest stderr is no terminal: silent
    assert capsys.readouterr().err == ""
    run_audit(AuditOptions(**opts, progress=True))
    err = capsys.readouterr().err
    assert "\rreading" in err and "\rcomparing" in err
    assert re.search(r"comparing \[#+\] 7 records, [\d,]+/s, 5 with findings", err), err


def test_importing_journal_fuzz_loads_no_audit_dependency() -> None:
    code = ("import sys, journal_fuzz, journal_fuzz.cli\n"
            "heavy = [m for m in ('pyarrow', 'dask', 'distributed', 'journal_fuzz.audit') if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
