"""The findings file: one row per finding (and per missing, extra, superseded or unreadable record), as Parquet,
NDJSON or CSV by the file's extension, written as it streams in (memory stays flat however many rows)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from journal_fuzz.inputs import InputError

__all__ = ["FINDINGS_FORMATS", "ROW_FIELDS", "findings_format", "write_findings"]

ROW_FIELDS = ("key", "status", "side", "date", "kind", "severity", "concept", "path", "sent_text",
              "received_text", "sent_context", "received_context", "explanation", "sent_offset",
              "received_offset", "sent_where", "received_where")
"""The columns of the findings file, in order."""

FINDINGS_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".ndjson": "ndjson", ".jsonl": "ndjson",
                    ".csv": "csv"}
_INT_FIELDS = frozenset({"sent_offset", "received_offset"})
_BATCH = 4096


def findings_format(path: str) -> str:
    fmt = FINDINGS_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(f"--out {path}: write findings to a .parquet, .ndjson or .csv file")
    return fmt


def write_findings(path: str, rows: Iterable[dict[str, Any]]) -> Path:
    """Write ``rows`` (dicts with the :data:`ROW_FIELDS`) to ``path``; return the path."""
    fmt = findings_format(path)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "ndjson":
        with open(target, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps({k: row.get(k) for k in ROW_FIELDS}, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        with open(target, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(ROW_FIELDS), extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in ROW_FIELDS})
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(k, pa.int64() if k in _INT_FIELDS else pa.string()) for k in ROW_FIELDS])
        with pq.ParquetWriter(str(target), schema) as writer:
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append({k: row.get(k) for k in ROW_FIELDS})
                if len(batch) >= _BATCH:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return target
