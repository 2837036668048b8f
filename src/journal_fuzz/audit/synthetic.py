"""Synthetic exports in the formats the audit reads: an HL7 v2 archive, a FHIR Bulk Data export, tables, texts.

For the tests, the benchmark and the README's example; every identity in them is synthetic (Skatteverket test
personnummer, invented names).
"""

from __future__ import annotations

import base64
import csv
import datetime as _dt
import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from journal_fuzz.adapters.hl7v2 import build_message
from journal_fuzz.synthetic import TEST_PERSONNUMMER

__all__ = ["ACCESSION_SYSTEM", "Record", "document_reference", "write_fhir_export", "write_hl7_archive",
           "write_table", "write_texts"]

ACCESSION_SYSTEM = "https://region.example/identifier/accession"
"""The (invented) identifier system the synthetic FHIR side stores the HL7 accession number (OBR-3) under."""


@dataclass(frozen=True)
class Record:
    key: str
    text: str
    when: _dt.datetime


def document_reference(rec: Record, n: int) -> dict[str, Any]:
    """A DocumentReference holding ``rec.text`` as a text/plain attachment, as a server exports it."""
    return {
        "resourceType": "DocumentReference", "id": f"dr{n}",
        "meta": {"versionId": "1", "lastUpdated": rec.when.isoformat()},
        "identifier": [{"system": ACCESSION_SYSTEM, "value": rec.key}],
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "18748-4",
                             "display": "Diagnostic imaging study"}]},
        "subject": {"reference": f"Patient/p{n % 7}"},
        "date": rec.when.isoformat(),
        "content": [{"attachment": {"contentType": "text/plain;charset=utf-8",
                                    "data": base64.b64encode(rec.text.encode("utf-8")).decode("ascii")}}],
    }


def _patient(n: int) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": f"p{n}",
            "identifier": [{"system": "http://electronichealth.se/identifier/personnummer",
                            "value": TEST_PERSONNUMMER[n % len(TEST_PERSONNUMMER)]}]}


def _open(path: Path, gz: bool) -> IO[str]:
    if gz:
        return gzip.open(path, "wt", encoding="utf-8", newline="\n")
    return open(path, "w", encoding="utf-8", newline="\n")


def write_fhir_export(directory: str | Path, records: Iterable[Record], *, files: int = 1, gzip_files: int = 0,
                      patients: int = 3, malformed: Sequence[int] = ()) -> list[Path]:
    """A Bulk Data export: ``DocumentReference[_k].ndjson`` (the last ``gzip_files`` of them gzipped), a
    ``Patient.ndjson`` with no note text, a bad JSON line after each record number in ``malformed``."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    names = [f"DocumentReference{'' if files == 1 else f'_{k + 1}'}.ndjson" for k in range(files)]
    paths = [root / (name + ".gz" if k >= files - gzip_files else name) for k, name in enumerate(names)]
    handles = [_open(p, p.suffix == ".gz") for p in paths]
    bad = set(malformed)
    try:
        for n, rec in enumerate(records):
            fh = handles[n % files]
            fh.write(json.dumps(document_reference(rec, n), ensure_ascii=False, separators=(",", ":")) + "\n")
            if n in bad:
                fh.write('{"resourceType":"DocumentReference","id":"broken",\n')
    finally:
        for fh in handles:
            fh.close()
    if patients:
        with open(root / "Patient.ndjson", "w", encoding="utf-8") as fh:
            for n in range(patients):
                fh.write(json.dumps(_patient(n)) + "\n")
    return paths


def write_hl7_archive(path: str | Path, records: Iterable[Record], *, framing: str = "cr",
                      batch: bool = True, message: str = "ORU^R01") -> Path:
    """An archive of ORU^R01 (or MDM^T02) messages, OBR-3 (or TXA-12) the record's key: ``framing`` ``cr``
    (segments end in CR, messages follow each other), ``lf`` (as saved by an editor) or ``mllp`` (each message
    in VT ... FS CR); ``batch`` wraps them in FHS/BHS ... BTS/FTS."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    end = "\n" if framing == "lf" else "\r"
    count = 0
    with open(target, "wb") as fh:
        if batch and framing != "mllp":
            fh.write(f"FHS|^~\\&|RIS|SJUKHUSET|||20241101000000{end}BHS|^~\\&|RIS|SJUKHUSET{end}".encode())
        for rec in records:
            msg = build_message(rec.text, uid=rec.key, message=message, now=rec.when)
            if framing == "lf":
                msg = msg.replace("\r", "\n")
            data = msg.encode("utf-8")
            fh.write(b"\x0b" + data + b"\x1c\r" if framing == "mllp" else data)
            count += 1
        if batch and framing != "mllp":
            fh.write(f"BTS|{count}{end}FTS|1{end}".encode())
    return target


def write_table(path: str | Path, records: Iterable[Record], *, key: str = "accession", text: str = "text",
                date: str = "date") -> Path:
    """A CSV, TSV or Parquet table (by extension) with a key, a text and a date column."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    rows = [{key: r.key, date: r.when.date().isoformat(), text: r.text} for r in records]
    if target.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), str(target))
        return target
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[key, date, text], delimiter="\t" if target.suffix == ".tsv" else ",")
        writer.writeheader()
        writer.writerows(rows)
    return target


def write_texts(directory: str | Path, records: Iterable[Record], suffix: str = ".txt") -> Path:
    """One file per record, named by its key."""
    root = Path(directory)
    for rec in records:
        f = root / f"{rec.key}{suffix}"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(rec.text.encode("utf-8"))
    return root
