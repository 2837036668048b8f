"""Reading one side of an audit: what format it is, how to cut it into read tasks, and its records.

Every reader yields :class:`Raw` records (or :class:`Unreadable` ones, with the line and the reason) carrying the
record's text (or, for FHIR against FHIR, the resource), its date, and every value it could be matched by (its
*key candidates*: ``OBR-3`` and ``MSH-10`` of an HL7 message, ``identifier|SYSTEM`` of a resource, the columns of a
table, the relative path of a file). Matching picks one candidate per side (``keys.py``).

Damage to a whole file (not UTF-8, a truncated gzip, an unreadable Parquet file) is an :class:`InputError`: one
line, exit 2, because nobody can say which records it hid. Damage to one record (a line that is not JSON, an HL7
message with a bogus segment, a row with too many fields) is an :class:`Unreadable` record: counted, named by file
and line, and reported.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gzip
import io
import itertools
import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from journal_fuzz.inputs import InputError, read_text

__all__ = ["FORMATS", "Raw", "ReadTask", "Source", "Unreadable", "describe_format", "open_source", "plan_tasks",
           "read_records"]

FHIR, HL7, CSV, TSV, PARQUET, TEXT = "fhir", "hl7", "csv", "tsv", "parquet", "text"
FORMATS = (FHIR, HL7, CSV, TSV, PARQUET, TEXT)
_FORMAT_NAMES = {FHIR: "FHIR Bulk Data NDJSON", HL7: "HL7 v2 archive", CSV: "CSV table", TSV: "TSV table",
                 PARQUET: "Parquet table", TEXT: "directory of text files"}
CHUNK_BYTES = 32 * 1024 * 1024
"""Plain NDJSON and HL7 files larger than this are read by several tasks, each from a record boundary."""
FILES_PER_TASK = 2000
_GZ_FACTOR = 5
"""A gzip file is counted as this many times its size when sizing partitions."""

_NDJSON_SUFFIXES = (".ndjson", ".jsonl")
_TABLE_SUFFIXES = {".csv": CSV, ".tsv": TSV, ".tab": TSV, ".parquet": PARQUET, ".pq": PARQUET}
_HL7_SUFFIXES = (".hl7", ".er7", ".hl7v2", ".mllp")
_HL7_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:\x0b)?\s*(?:MSH|FHS|BHS)(?P<sep>[^A-Za-z0-9\s])")
_BREAK = re.compile(rb"\r\n|\r|\n")
_SEGMENT = re.compile(r"[A-Z][A-Z0-9]{2}$")
_HL7_BOUNDARY = re.compile(rb"(?:\r\n|\r|\n)(?=(?:MSH|FHS|BHS)[^A-Za-z0-9\s])")
_BATCH = frozenset({"FHS", "BHS", "BTS", "FTS"})
# Fields holding a date, by format, most clinical first.
_HL7_DATES = (("OBR", 7), ("OBR", 22), ("TXA", 4), ("TXA", 6), ("OBX", 14), ("MSH", 7))
_HL7_KEYS = ("OBR-3", "TXA-12", "OBR-2", "ORC-3", "ORC-2", "MSH-10")
_FHIR_DATES = ("effectiveDateTime", "issued", "date", "recordedDate", "authoredOn", "occurrenceDateTime",
               "onsetDateTime", "created")
_TEXT_COLUMNS = ("text", "note", "notes", "body", "content", "report", "narrative", "document", "value",
                 "anteckning", "journaltext", "text_body", "note_text")
_DATE_COLUMNS = ("date", "datum", "created", "created_at", "timestamp", "time", "datetime", "written",
                 "signed", "issued")
_KEYISH = re.compile(r"(^|_)(id|key|nr|no|number|accession|identifier|uid|guid|ref)$|id$", re.IGNORECASE)
_HIDDEN = (".", "~")


@dataclass(frozen=True)
class Raw:
    """One record as read: where it is, its text (or resource JSON), date and key candidates."""

    offset: int
    """Position in its task (bytes, rows or files): orders duplicates, last one wins."""
    line: int
    """Line (or row, or file number) within its task, from 1."""
    body: str
    date: str
    keys: dict[str, str]
    kind: str = ""
    """The HL7 message type or FHIR resource type."""
    path: str = ""
    """Where in a FHIR resource the text came from (text mode)."""
    name: str = ""
    """For a directory of files: the file's relative path (its location)."""


@dataclass(frozen=True)
class Unreadable:
    """A record that could not be read: where and why."""

    line: int
    reason: str
    name: str = ""


@dataclass(frozen=True)
class Source:
    """One side of the audit: a path, its format and the options that say how to read it."""

    path: str
    format: str
    files: tuple[str, ...]
    """Every file read, in order (relative names for a directory of texts)."""
    sizes: tuple[int, ...]
    mtimes: tuple[float, ...]
    text_column: str | None = None
    date_column: str | None = None
    types: tuple[str, ...] = ()
    """FHIR resource types to read (empty: every type that carries a note)."""
    as_text: bool = True
    """FHIR only: extract the note text (against a text source) instead of keeping the resource."""

    @property
    def label(self) -> str:
        return _FORMAT_NAMES[self.format]

    def fingerprint(self) -> dict[str, Any]:
        return {"path": os.path.abspath(self.path), "format": self.format, "files": list(self.files),
                "sizes": list(self.sizes), "mtimes": list(self.mtimes), "text_column": self.text_column,
                "date_column": self.date_column, "types": list(self.types), "as_text": self.as_text}

    def weight(self) -> int:
        """Bytes of input, with compressed files counted at a typical expansion."""
        return sum(s * (_GZ_FACTOR if f.endswith(".gz") else 1) for f, s in zip(self.files, self.sizes, strict=True))


@dataclass(frozen=True)
class ReadTask:
    """A piece of one side: one file, a byte range of one, or a group of text files."""

    side: str
    index: int
    source: Source
    file: int
    start: int = 0
    end: int = -1
    files: tuple[int, ...] = ()
    """For a directory of texts: the files (indices into ``source.files``) this task reads."""

    @property
    def where(self) -> str:
        if self.source.format == TEXT:
            return self.source.path
        return self.source.files[self.file]


def describe_format(fmt: str) -> str:
    return _FORMAT_NAMES.get(fmt, fmt)


# ---------------------------------------------------------------------------------------------------------
# Format detection
def _stem_suffix(name: str) -> tuple[str, bool]:
    """The format-telling suffix of a file name and whether it is gzip-compressed."""
    lower = name.lower()
    gz = lower.endswith(".gz")
    if gz:
        lower = lower[:-3]
    return Path(lower).suffix, gz


def _sniff_hl7(path: Path) -> bool:
    try:
        with _open_binary(path) as fh:
            head = fh.read(256)
    except (OSError, EOFError, zlib.error):
        return False
    return bool(_HL7_START.match(head))


def _open_binary(path: str | Path) -> IO[bytes]:
    if str(path).lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _file_format(path: Path) -> str | None:
    suffix, _gz = _stem_suffix(path.name)
    if suffix in _NDJSON_SUFFIXES:
        return FHIR
    if suffix in _TABLE_SUFFIXES:
        return _TABLE_SUFFIXES[suffix]
    if suffix in _HL7_SUFFIXES or _sniff_hl7(path):
        return HL7
    return None


def _visible_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(_HIDDEN))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith(_HIDDEN))
    return out


def open_source(path: str, what: str, fmt: str | None = None, *, text_column: str | None = None,
                date_column: str | None = None, types: tuple[str, ...] = ()) -> Source:
    """The side at ``path``: its format (detected unless ``fmt`` names it) and its files."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found: {path}")
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} for {what}; use one of {', '.join(FORMATS)}")
    if p.is_dir():
        files = _visible_files(p)
        if not files:
            raise InputError(f"{what} {path} is an empty directory")
        if fmt is None:
            ndjson = [f for f in files if _stem_suffix(f.name)[0] in _NDJSON_SUFFIXES]
            if ndjson:
                fmt, files = FHIR, ndjson
            else:
                kinds = {_file_format(f) for f in files}
                fmt = kinds.pop() if len(kinds) == 1 and None not in kinds else TEXT
        elif fmt == FHIR:
            files = [f for f in files if _stem_suffix(f.name)[0] in _NDJSON_SUFFIXES]
            if not files:
                raise InputError(f"{what} {path} holds no .ndjson or .ndjson.gz file (a FHIR Bulk Data export "
                                 f"writes one per resource type)")
        names = [str(f.relative_to(p)) if fmt == TEXT else str(f) for f in files]
    else:
        if fmt is None:
            fmt = _file_format(p)
            if fmt is None:
                raise InputError(
                    f"cannot tell what {what} {path} is: use a FHIR Bulk Data export (a directory of .ndjson or "
                    f".ndjson.gz files), an HL7 v2 archive (messages starting with MSH, CR or MLLP framed), a "
                    f".csv, .tsv or .parquet table, or a directory of text files (or name it with --sent-format / "
                    f"--received-format)")
        if fmt == TEXT:
            raise InputError(f"{what} {path} is a file; a text source is a directory of text files")
        files = [p]
        names = [str(p)]
    stats = [f.stat() for f in files]
    assert fmt is not None
    return Source(path=str(p), format=fmt, files=tuple(names), sizes=tuple(s.st_size for s in stats),
                  mtimes=tuple(s.st_mtime for s in stats), text_column=text_column, date_column=date_column,
                  types=types)


# ---------------------------------------------------------------------------------------------------------
# Planning: cut a side into read tasks
def _boundaries(path: str, size: int, pattern: re.Pattern[bytes] | None) -> list[int]:
    """Offsets where a new record starts, about every CHUNK_BYTES: after a newline (NDJSON) or before a message."""
    cuts = [0]
    with open(path, "rb") as fh:
        target = CHUNK_BYTES
        while target < size:
            fh.seek(target)
            window = fh.read(1024 * 1024)
            if not window:
                break
            if pattern is None:
                nl = window.find(b"\n")
                found = target + nl + 1 if nl >= 0 else -1
            else:
                m = pattern.search(window)
                found = target + m.end() if m else -1
            if found < 0 or found >= size:
                target += CHUNK_BYTES
                continue
            cuts.append(found)
            target = found + CHUNK_BYTES
    cuts.append(size)
    return cuts


def plan_tasks(side: str, source: Source, first_index: int = 0) -> list[ReadTask]:
    """The read tasks of one side, numbered from ``first_index``."""
    tasks: list[ReadTask] = []
    if source.format == TEXT:
        for k in range(0, len(source.files), FILES_PER_TASK):
            chunk = tuple(range(k, min(k + FILES_PER_TASK, len(source.files))))
            tasks.append(ReadTask(side, first_index + len(tasks), source, chunk[0], files=chunk))
        return tasks
    for i, (name, size) in enumerate(zip(source.files, source.sizes, strict=True)):
        splittable = source.format in (FHIR, HL7) and not name.lower().endswith(".gz") and size > CHUNK_BYTES
        if not splittable:
            tasks.append(ReadTask(side, first_index + len(tasks), source, i))
            continue
        pattern = None if source.format == FHIR else _mllp_or_plain(name)
        cuts = _boundaries(name, size, pattern)
        for a, b in itertools.pairwise(cuts):
            tasks.append(ReadTask(side, first_index + len(tasks), source, i, a, b))
    return tasks


def _mllp_or_plain(path: str) -> re.Pattern[bytes]:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return re.compile(rb"\x1c\r?\n?(?=\s*\x0b)") if b"\x0b" in head[:64] else _HL7_BOUNDARY


@dataclass
class TaskStats:
    """What one read task saw, beyond its records."""

    records: int = 0
    lines: int = 0
    unreadable: list[tuple[int, str, str]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------
# Reading
def read_records(task: ReadTask, extra_keys: tuple[str, ...] = (), stats: TaskStats | None = None,
                 only: str | None = None) -> Iterator[Raw | Unreadable]:
    """Every record of ``task``; ``extra_keys`` are key specs to compute beyond the usual candidates. ``stats``
    learns how many lines the task's byte range holds (so later ranges of the same file can number theirs);
    ``only`` names the one key wanted (else every candidate is computed, for choosing one)."""
    fmt = task.source.format
    stats = stats if stats is not None else TaskStats()
    if fmt == FHIR:
        yield from _fhir(task, extra_keys, stats)
    elif fmt == HL7:
        yield from _hl7(task, extra_keys, stats, only)
    elif fmt in (CSV, TSV):
        yield from _delimited(task)
    elif fmt == PARQUET:
        yield from _parquet(task)
    else:
        yield from _texts(task)


def _lines(task: ReadTask) -> Iterator[tuple[int, int, bytes]]:
    """(offset, line number, line) of a line-oriented file or byte range; whole-file damage raises InputError."""
    name = task.source.files[task.file]
    gz = name.lower().endswith(".gz")
    with _file_errors(name), _open_binary(name) as raw:
        fh: IO[bytes] = raw
        if not gz and task.start:
            fh.seek(task.start)
        pos = task.start
        limit = task.end if task.end >= 0 and not gz else None
        for n, line in enumerate(fh, 1):
            yield pos, n, line
            pos += len(line)
            if limit is not None and pos >= limit:
                break


@contextlib.contextmanager
def _file_errors(name: str) -> Iterator[None]:
    """Damage to a whole file, as the one line the user sees."""
    try:
        yield
    except EOFError:
        raise InputError(f"{name} is a truncated gzip file (it ends before its end-of-stream marker): "
                         f"export or copy it again") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"{name} is not a readable gzip file ({exc})") from None
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None


def _utf8(data: bytes, name: str, line: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text: line {line} has byte 0x{data[exc.start]:02x} at column "
                         f"{exc.start + 1} (convert the file to UTF-8 first)") from None


# -- FHIR -------------------------------------------------------------------------------------------------
def _fhir(task: ReadTask, extra_keys: tuple[str, ...], stats: TaskStats) -> Iterator[Raw | Unreadable]:
    name = task.source.files[task.file]
    types = set(task.source.types)
    for offset, n, data in _lines(task):
        stats.lines = n
        if n == 1 and offset == 0 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if not data.strip():
            continue
        line = _utf8(data, name, n)
        try:
            resource = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Unreadable(n, f"not JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            yield Unreadable(n, "not a FHIR resource (no resourceType)")
            continue
        rtype = resource["resourceType"]
        if types and rtype not in types:
            yield Unreadable(n, f"skip:{rtype}")
            continue
        keys = fhir_keys(resource, extra_keys)
        date = fhir_date(resource)
        if task.source.as_text:
            got = fhir_text(resource)
            if got is None:
                yield Unreadable(n, f"skip:{rtype}")
                continue
            text, path = got
            yield Raw(offset, n, text, date, keys, rtype, path)
        else:
            from journal_fuzz.fhir import extract_texts

            if not types and not any(tf.text.strip() for tf in extract_texts(resource)):
                yield Unreadable(n, f"skip:{rtype}")
                continue
            yield Raw(offset, n, line.strip(), date, keys, rtype)


def fhir_keys(resource: dict[str, Any], extra: tuple[str, ...] = ()) -> dict[str, str]:
    """The values a resource can be matched by: each identifier by system, the first identifier, the
    masterIdentifier, the id, and any element path asked for."""
    keys: dict[str, str] = {}
    idents = resource.get("identifier")
    if isinstance(idents, dict):
        idents = [idents]
    if isinstance(idents, list):
        for ident in idents:
            if isinstance(ident, dict) and isinstance(ident.get("value"), str):
                keys.setdefault(f"identifier|{ident.get('system') or ''}", ident["value"])
                keys.setdefault("identifier", ident["value"])
    master = resource.get("masterIdentifier")
    if isinstance(master, dict) and isinstance(master.get("value"), str):
        keys["masterIdentifier"] = master["value"]
    if isinstance(resource.get("id"), str):
        keys["id"] = resource["id"]
    for spec in extra:
        if spec not in keys:
            value = element(resource, spec)
            if value is not None:
                keys[spec] = value
    return {k: v.strip() for k, v in keys.items() if v.strip()}


def element(resource: Any, path: str) -> str | None:
    """The first string at a dotted element path (``basedOn.identifier.value``; lists are searched in order)."""
    parts = path.split(".")
    if parts and parts[0] == resource.get("resourceType"):
        parts = parts[1:]

    def walk(obj: Any, rest: list[str]) -> str | None:
        if isinstance(obj, list):
            for item in obj:
                found = walk(item, rest)
                if found is not None:
                    return found
            return None
        if not rest:
            return obj if isinstance(obj, str) else (str(obj) if isinstance(obj, int | float) and
                                                     not isinstance(obj, bool) else None)
        if not isinstance(obj, dict):
            return None
        head, _, system = rest[0].partition("|")
        value = obj.get(head)
        if system and isinstance(value, list):
            value = [v for v in value if isinstance(v, dict) and v.get("system") == system]
        return walk(value, rest[1:])

    return walk(resource, parts)


def fhir_date(resource: dict[str, Any]) -> str:
    for key in _FHIR_DATES:
        value = resource.get(key)
        if isinstance(value, str) and value:
            return value[:10]
    for key in ("effectivePeriod", "period", "context"):
        value = resource.get(key)
        if isinstance(value, dict):
            start = value.get("start") or (value.get("period") or {}).get("start")
            if isinstance(start, str):
                return start[:10]
    return ""


def fhir_text(resource: dict[str, Any]) -> tuple[str, str] | None:
    """The note a resource carries, as one text, and the path of its first field; None when it carries none.

    Attachments, annotations and strings are the note; the resource's own ``text.div`` is used only when there is
    nothing else (a server often generates it from the rest).
    """
    from journal_fuzz.fhir import extract_texts

    fields = [tf for tf in extract_texts(resource) if tf.text.strip() or tf.form == "attachment"]
    own = f"{resource['resourceType']}.text.div"
    body = [tf for tf in fields if tf.path != own] or fields
    if not body:
        return None
    return "\n\n".join(tf.text for tf in body), body[0].path


# -- HL7 v2 -----------------------------------------------------------------------------------------------
def _messages(task: ReadTask, stats: TaskStats) -> Iterator[tuple[int, int, list[str] | None, str]]:
    """(offset, line, segments or None, problem) per message of an HL7 v2 archive, CR/LF or MLLP framed, with
    batch envelopes (FHS, BHS, BTS, FTS) left out."""
    name = task.source.files[task.file]
    with _file_errors(name), _open_binary(name) as fh:
        if task.start:
            fh.seek(task.start)
        data = fh.read(task.end - task.start) if task.end >= 0 else fh.read()
    if task.start == 0 and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("latin-1")  # bytes as they are; each message is decoded in its own charset later
    pieces = re.split(r"\r\n|\r|\n", text)
    stats.lines = len(pieces) - 1
    current: list[str] | None = None
    start_line = start_offset = 0
    problem = ""
    offset = task.start
    for n, piece in enumerate(pieces, 1):
        here = offset
        offset += len(piece) + 1  # (a CRLF counts one more; offsets only order records, they need not be exact)
        seg = piece.strip("\x0b\x1c\x00 \t")
        if not seg:
            continue
        head = seg[:3]
        if head == "MSH":
            if current is not None:
                yield start_offset, start_line, current, problem
            current, start_line, start_offset, problem = [seg], n, here, ""
        elif head in _BATCH and (len(seg) == 3 or not seg[3].isalnum()):
            if current is not None:
                yield start_offset, start_line, current, problem
                current = None
        elif current is None:
            yield here, n, None, f"not part of an HL7 message (no MSH before it): {seg[:40]!r}"
        elif not _SEGMENT.match(head) or (len(seg) > 3 and seg[3] != current[0][3]):
            problem = problem or f"line {n} is not an HL7 segment: {seg[:40]!r}"
            current.append(seg)
        else:
            current.append(seg)
    if current is not None:
        yield start_offset, start_line, current, problem


@functools.lru_cache(maxsize=64)
def _field_spec(spec: str) -> tuple[str, int, int]:
    m = re.fullmatch(r"([A-Z][A-Z0-9]{2})-(\d+)(?:\.(\d+))?", spec)
    if m is None:
        raise InputError(f"not an HL7 field: {spec!r} (write it as SEG-N or SEG-N.C, e.g. OBR-3 or PID-3.1)")
    return m.group(1), int(m.group(2)), int(m.group(3) or 1)


def hl7_field(msg: Any, spec: str, segments: tuple[tuple[str, ...], ...] | None = None) -> str:
    """The value of ``SEG-F[.C]`` (``OBR-3``, ``PID-3.1``, ``MSH-10``) in a parsed message: the first
    repetition, component C (default 1), unescaped."""
    name, fld, comp = _field_spec(spec)
    for seg in segments if segments is not None else msg.segments:
        if seg[0] == name:
            return str(msg.field_value(seg, fld, comp)).strip()
    return ""


def _hl7_date(msg: Any, segments: tuple[tuple[str, ...], ...]) -> str:
    for name, fld in _HL7_DATES:
        for seg in segments:
            if seg[0] == name:
                value = str(msg.field_value(seg, fld, 1)).strip()
                if len(value) >= 8 and value[:8].isdigit():
                    return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
                break
    return ""


def _hl7(task: ReadTask, extra_keys: tuple[str, ...], stats: TaskStats,
         only: str | None = None) -> Iterator[Raw | Unreadable]:
    from journal_fuzz.adapters.hl7v2 import HL7ParseError, ParsedMessage, parse_message

    specs = (only,) if only else tuple(dict.fromkeys((*_HL7_KEYS, *extra_keys)))
    for offset, line, segments, problem in _messages(task, stats):
        if segments is None:
            yield Unreadable(line, problem)
            continue
        if problem:
            yield Unreadable(line, f"malformed message: {problem}")
            continue
        try:  # the MSH segment alone says the delimiters and the charset
            msh = parse_message(segments[0].encode("latin-1"))
        except HL7ParseError as exc:
            yield Unreadable(line, f"not an HL7 message: {exc}")
            continue
        raw = "\r".join(segments).encode("latin-1")
        try:
            text = raw.decode(msh.charset)
        except UnicodeDecodeError as exc:
            yield Unreadable(line, f"bytes not valid in the message's charset {msh.charset} (MSH-18): byte "
                                   f"0x{raw[exc.start]:02x}")
            continue
        fs = msh.delimiters.field
        parsed: list[tuple[str, ...]] = []
        for seg in text.split("\r"):
            fields = seg.split(fs)
            if fields[0] == "MSH":
                fields.insert(1, fs)
            parsed.append(tuple(fields))
        msg = ParsedMessage(msh.delimiters, tuple(parsed), msh.charset, raw)
        kind = msg.value("MSH", 9, 1) + ("^" + msg.value("MSH", 9, 2) if msg.value("MSH", 9, 2) else "")
        groups = _obr_groups(msg.segments)
        for k, group in enumerate(groups):
            keys = {spec: v for spec in specs if (v := hl7_field(msg, spec, group))}
            yield Raw(offset + k, line, _note_text(msg, group), _hl7_date(msg, group), keys, kind)


@functools.lru_cache(maxsize=16)
def _escapes(d: Any) -> tuple[re.Pattern[str], dict[str, str]]:
    e = re.escape(d.escape)
    table = {"F": d.field, "S": d.component, "R": d.repetition, "E": d.escape, "T": d.subcomponent, "H": "",
             "N": "", ".br": "\n"}
    if d.truncation:
        table["P"] = d.truncation
    return re.compile(f"{e}([^{e}]*){e}"), table


def _unescape(value: str, d: Any, charset: str) -> str:
    """:func:`journal_fuzz.adapters.hl7v2.unescape`, in one regex pass for the escapes free text is full of
    (``\\.br\\``, ``\\F\\``, ``\\T\\`` ...); anything else (hex, other formatting commands) goes to it."""
    if d.escape not in value:
        return value
    from journal_fuzz.adapters.hl7v2 import unescape

    pattern, table = _escapes(d)
    odd = False

    def one(m: re.Match[str]) -> str:
        nonlocal odd
        got = table.get(m.group(1))
        if got is None:
            odd = True
            return ""
        return got

    out = pattern.sub(one, value)
    return unescape(value, d, charset) if odd else out


def _note_text(msg: Any, segments: tuple[tuple[str, ...], ...]) -> str:
    """The note of one report (``hl7v2.note_text``'s reading: each OBX-5 repetition a line, its first component
    and subcomponent the value), for the OBX segments of ``segments``."""
    d = msg.delimiters
    parts: list[str] = []
    for seg in segments:
        if seg[0] == "OBX":
            raw = seg[5] if len(seg) > 5 else ""
            parts.append("\n".join(_unescape(rep.split(d.component, 1)[0].split(d.subcomponent, 1)[0], d,
                                             msg.charset) for rep in raw.split(d.repetition)))
    return "\n".join(parts)


def _obr_groups(segments: tuple[tuple[str, ...], ...]) -> list[tuple[tuple[str, ...], ...]]:
    """One group per OBR (the header segments before the first OBR shared), or the whole message."""
    starts = [i for i, s in enumerate(segments) if s[0] == "OBR"]
    if len(starts) < 2:
        return [segments]
    head = segments[:starts[0]]
    bounds = [*starts, len(segments)]
    return [head + segments[a:b] for a, b in itertools.pairwise(bounds)]


# -- tables -------------------------------------------------------------------------------------------------
def _pick_columns(header: list[str], rows: list[list[str]], source: Source,
                  name: str) -> tuple[int, int | None]:
    """The text column and the date column (indices)."""
    lower = [h.strip().lower() for h in header]

    def named(col: str, what: str) -> int:
        if col in header:
            return header.index(col)
        if col.lower() in lower:
            return lower.index(col.lower())
        raise InputError(f"{name} has no column {col!r} for the {what} (columns: {', '.join(header)})")

    if source.text_column:
        text = named(source.text_column, "text")
    else:
        text = next((lower.index(c) for c in _TEXT_COLUMNS if c in lower), -1)
        if text < 0:
            if not rows:
                text = len(header) - 1
            else:
                means = [sum(len(r[i]) for r in rows if i < len(r)) for i in range(len(header))]
                text = max(range(len(header)), key=lambda i: means[i])
    date: int | None = None
    if source.date_column:
        date = named(source.date_column, "date")
    else:
        date = next((lower.index(c) for c in _DATE_COLUMNS if c in lower and lower.index(c) != text), None)
    return text, date


def table_key_order(columns: list[str]) -> list[str]:
    """Columns in the order they are tried as keys: key-like names first."""
    return sorted(columns, key=lambda c: (not _KEYISH.search(c.strip()), columns.index(c)))


def _row_record(offset: int, line: int, header: list[str], row: list[str], text: int,
                date: int | None) -> Raw:
    keys = {h: v.strip() for i, (h, v) in enumerate(zip(header, row, strict=True))
            if i != text and i != date and v is not None and v.strip()}
    day = row[date].strip()[:10] if date is not None and row[date] else ""
    return Raw(offset, line, row[text] or "", day, keys)


def _delimited(task: ReadTask) -> Iterator[Raw | Unreadable]:
    name = task.source.files[task.file]
    delimiter = "\t" if task.source.format == TSV else ","
    with _file_errors(name):
        binary = _open_binary(name)
    try:
        with _file_errors(name), io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="") as fh:
            # strict: a quote left open swallows every row after it into one field; that is damage to the file,
            # not one unreadable row (nobody can say which records it hid)
            reader = csv.reader(fh, delimiter=delimiter, strict=True)
            header = next(reader, None)
            if header is None:
                return
            head: list[list[str]] = []
            last_line = reader.line_num
            pending: list[tuple[int, list[str]]] = []
            for row in reader:
                pending.append((last_line + 1, row))
                last_line = reader.line_num
                if len(pending) >= 50:
                    break
            head = [r for _n, r in pending if len(r) == len(header)]
            text, date = _pick_columns(header, head, task.source, name)

            def emit(line: int, row: list[str]) -> Raw | Unreadable | None:
                if not row or (len(row) == 1 and not row[0].strip()):
                    return None
                if len(row) != len(header):
                    return Unreadable(line, f"row has {len(row)} fields, the header has {len(header)}")
                return _row_record(line, line, header, row, text, date)

            for line, row in pending:
                out = emit(line, row)
                if out is not None:
                    yield out
            for row in reader:
                out = emit(last_line + 1, row)
                last_line = reader.line_num
                if out is not None:
                    yield out
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text: byte 0x{exc.object[exc.start]:02x} cannot be decoded "
                         f"(convert the file to UTF-8 first)") from None
    except csv.Error as exc:
        raise InputError(f"{name} is not a readable {task.source.format.upper()} file: {exc}") from None


def _parquet(task: ReadTask) -> Iterator[Raw | Unreadable]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = task.source.files[task.file]
    try:
        pf = pq.ParquetFile(name)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{name} is not a readable Parquet file: {exc}") from None
    header = list(pf.schema_arrow.names)
    row = 0
    text: int | None = None
    date: int | None = None
    try:
        for batch in pf.iter_batches(batch_size=8192):
            columns = [[None if v is None else str(v) for v in col.to_pylist()] for col in batch.columns]
            rows = [list(r) for r in zip(*columns, strict=True)]
            if text is None:
                text, date = _pick_columns(header, [[c or "" for c in r] for r in rows[:50]], task.source, name)
            for values in rows:
                row += 1
                if values[text] is None:
                    yield Unreadable(row, f"the text column {header[text]!r} is empty (null)")
                    continue
                yield _row_record(row, row, header, [v or "" for v in values], text, date)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{name} is not a readable Parquet file: {exc}") from None


# -- directories of texts -------------------------------------------------------------------------------------
def _texts(task: ReadTask) -> Iterator[Raw | Unreadable]:
    root = Path(task.source.path)
    for n, i in enumerate(task.files, 1):
        rel = task.source.files[i]
        text = read_text(root / rel, "text file")
        posix = Path(rel).as_posix()
        stem = posix[: -len(Path(posix).suffix)] if Path(posix).suffix else posix
        keys = {"path": posix, "stem": stem, "name": Path(stem).name}
        yield Raw(i, n, text, "", keys, name=posix)


def key_preference(fmt: str) -> list[str]:
    """Key candidates in the order they win a tie."""
    if fmt == HL7:
        return list(_HL7_KEYS)
    if fmt == FHIR:
        return ["identifier|*", "masterIdentifier", "identifier", "id"]
    if fmt == TEXT:
        return ["path", "stem", "name"]
    return []
