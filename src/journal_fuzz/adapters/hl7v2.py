"""HL7 v2 over MLLP: send a note as an ORU^R01 or MDM^T02 message, read it back where the engine forwards it.

``hl7+mllp://HOST:PORT?listen=HOST:PORT[&message=ORU^R01|MDM^T02][&breaks=escape|repeat][&timeout=SECONDS]``

The system under test is an interface engine: it takes a message on HOST:PORT, acknowledges it, and forwards it
(transformed or not) to a downstream system. The adapter plays both ends. It sends the note in OBX-5, checks the
engine's ACK, and keeps an MLLP listener on ``listen`` (``config.listen`` or the ``listen=`` query parameter) that
acknowledges every forwarded message and hands it to the round trip waiting for its control id (MSH-10; when an
engine rewrites MSH-10 the id is also looked for in OBR-2/3, ORC-2/3 and TXA-12).

The forwarded message is read the way a strict HL7 receiver reads it: segments end at CR, OBX-5 ends at the field
separator, a repetition is a line, only the first component and subcomponent are the value, escape sequences are
decoded, and bytes are decoded in the charset MSH-18 names. An engine that forgets to escape ``&`` therefore shows
up as a truncated note, as it would in the receiving record.

Escaping is done here, not by python-hl7: ``hl7.Message.escape`` writes non-ASCII characters as ``\\Xhh\\`` code
points (``ä`` as ``\\Xe4\\``, an emoji as an odd-length ``\\X1f642\\``, LF as ``\\X a\\``), which is wrong in a
UTF-8 message, and ``hl7.Message.unescape`` decodes hex per byte as Latin-1 (UTF-8 ``\\XC3A4\\`` becomes ``Ã¤``),
turns ``\\H\\``/``\\N\\`` into ``_`` and silently drops the rest of a field after an unterminated escape.
python-hl7 is used for MLLP framing only (``hl7.mllp`` streams, with a raised size limit: the default is 64 KiB).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import itertools
import re
import threading
import urllib.parse
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import hl7.mllp

from journal_fuzz.adapters.base import Adapter, AdapterConfig, AdapterError, SystemUnderTestError
from journal_fuzz.constants import TEXT, Carrier
from journal_fuzz.synthetic import TEST_PERSONNUMMER

__all__ = [
    "DEFAULT_DELIMITERS", "MESSAGE_TYPES", "Delimiters", "HL7ParseError", "MllpAdapter", "ParsedMessage",
    "build_message", "escape", "note_text", "parse_message", "unescape",
]

SENDING_APPLICATION = "JOURNAL_FUZZ"
SENDING_FACILITY = "TEST"
VERSION = "2.5.1"
CHARSET = "UNICODE UTF-8"
OBSERVATION = "11506-3^Progress note^LN"
MESSAGE_TYPES = {"ORU^R01": "ORU^R01^ORU_R01", "MDM^T02": "MDM^T02^MDM_T02"}
BREAKS = ("escape", "repeat")
MLLP_LIMIT = 64 * 1024 * 1024
"""Largest MLLP block read (python-hl7's default of 64 KiB is less than a long escaped note)."""

_START_BLOCK, _END_BLOCK = b"\x0b", b"\x1c\x0d"
_QUERY_KEYS = ("listen", "message", "breaks", "timeout")


# -- escaping ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delimiters:
    """The separators of one message (MSH-1 and MSH-2)."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str | None = None
    """HL7 v2.7+ fifth encoding character (``#``), escaped as ``\\P\\``."""

    @property
    def encoding_characters(self) -> str:
        return self.component + self.repetition + self.escape + self.subcomponent + (self.truncation or "")


DEFAULT_DELIMITERS = Delimiters()
_BREAK = re.compile(r"\r\n|\r|\n")
# Control characters that must not travel raw: MLLP framing (VT, FS), segment ends, NUL... Tab travels as it is.
_CONTROLS = "".join(chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)) + "\x7f"


@functools.lru_cache(maxsize=16)
def _escape_table(d: Delimiters) -> tuple[re.Pattern[str], dict[str, str]]:
    e = d.escape
    table = {d.field: f"{e}F{e}", d.component: f"{e}S{e}", d.repetition: f"{e}R{e}", d.escape: f"{e}E{e}",
             d.subcomponent: f"{e}T{e}"}
    if d.truncation:
        table[d.truncation] = f"{e}P{e}"
    for c in _CONTROLS + "\r\n":
        table.setdefault(c, f"{e}X{ord(c):02X}{e}")
    chars = "".join(table)
    return re.compile("\r\n|[" + re.escape(chars) + "]"), table


def escape(text: str, delimiters: Delimiters = DEFAULT_DELIMITERS, *, breaks: bool = True) -> str:
    """Text as it travels in an HL7 v2 field.

    All five delimiters become ``\\F\\ \\S\\ \\R\\ \\E\\ \\T\\``; a line break (CRLF, CR or LF) becomes ``\\.br\\``
    when ``breaks`` (else ``\\X0D\\``/``\\X0A\\``); other C0 controls and DEL become ``\\Xhh\\``; everything else
    (tabs, non-ASCII, emoji, NFD, no-break spaces) stays as it is, to be sent as UTF-8.
    """
    pattern, table = _escape_table(delimiters)
    br = f"{delimiters.escape}.br{delimiters.escape}"

    def one(m: re.Match[str]) -> str:
        s = m.group()
        if breaks and s in ("\r\n", "\r", "\n"):
            return br
        return "".join(table[c] for c in s)

    return pattern.sub(one, text)


_DOT_COMMAND = re.compile(r"\.(br|sp|fi|nf|in|ti|sk|ce)\s*([+-]?\d*)$", re.IGNORECASE)
_HEX = re.compile(r"X((?:[0-9A-Fa-f]{2})+)$")


def unescape(value: str, delimiters: Delimiters = DEFAULT_DELIMITERS, charset: str = "utf-8") -> str:
    """The text an escaped HL7 v2 value stands for (the inverse of :func:`escape`, CR/CRLF read as ``\\n``).

    ``\\.br\\`` and ``\\.sp\\`` are line breaks, ``\\.ce\\`` ends a line, ``\\.sk\\``/``\\.in\\``/``\\.ti\\`` are a
    space, ``\\.fi\\``/``\\.nf\\``/``\\H\\``/``\\N\\`` are dropped; ``\\Xhh..\\`` are bytes in ``charset`` (runs of
    them are joined first, so a character split over two sequences survives; invalid bytes become U+FFFD).
    Unknown sequences (``\\Zxx\\``, charset switches) are dropped, as a receiver does; a lone escape character with no
    closing one is kept as text.
    """
    e = delimiters.escape
    if e not in value:
        return value
    simple = {"F": delimiters.field, "S": delimiters.component, "R": delimiters.repetition, "E": e,
              "T": delimiters.subcomponent, "H": "", "N": ""}
    if delimiters.truncation:
        simple["P"] = delimiters.truncation
    out: list[str] = []
    hexbytes = bytearray()

    def flush() -> None:
        if hexbytes:
            out.append(hexbytes.decode(charset, errors="replace"))
            hexbytes.clear()

    i, n = 0, len(value)
    while i < n:
        j = value.find(e, i)
        if j < 0:
            flush()
            out.append(value[i:])
            break
        if j > i:
            flush()
            out.append(value[i:j])
        k = value.find(e, j + 1)
        if k < 0:  # unterminated: keep the rest as text
            flush()
            out.append(value[j:])
            break
        seq = value[j + 1:k]
        i = k + 1
        hx = _HEX.match(seq)
        if hx:
            hexbytes.extend(bytes.fromhex(hx.group(1)))
            continue
        flush()
        if seq in simple:
            out.append(simple[seq])
            continue
        dot = _DOT_COMMAND.match(seq)
        if dot:
            cmd, num = dot.group(1).lower(), dot.group(2)
            count = max(1, abs(int(num))) if num.lstrip("+-") else 1
            if cmd in ("br", "ce"):
                out.append("\n")
            elif cmd == "sp":
                out.append("\n" * count)
            elif cmd == "sk":
                out.append(" " * count)
            elif cmd in ("in", "ti"):
                out.append(" ")
        # anything else (\Zxx\, \Cxxyy\, \Mxxyyzz\, malformed hex, empty) is dropped
    flush()
    return "".join(out)


# -- building ------------------------------------------------------------------------------------------------------
def _segment(name: str, fields: dict[int, str]) -> str:
    last = max(fields)
    return "|".join([name, *(fields.get(i, "") for i in range(1, last + 1))])


def _timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def build_message(text: str, *, uid: str, message: str = "ORU^R01", breaks: str = "escape",
                  now: datetime | None = None) -> str:
    """The HL7 v2.5.1 message (segments joined by CR, no MLLP framing) that carries ``text`` in OBX-5.

    ``breaks="escape"``: one OBX of type FT with line breaks as ``\\.br\\``; ``"repeat"``: one TX OBX per line.
    """
    if message not in MESSAGE_TYPES:
        raise AdapterError(f"unknown HL7 message type {message!r}: use {' or '.join(MESSAGE_TYPES)}")
    if breaks not in BREAKS:
        raise AdapterError(f"unknown breaks={breaks!r}: use escape or repeat")
    ts = _timestamp(now)
    cid = escape(uid, breaks=False)
    msh = "|".join(["MSH", DEFAULT_DELIMITERS.encoding_characters, SENDING_APPLICATION, SENDING_FACILITY, "", "", ts,
                    "", MESSAGE_TYPES[message], cid, "P", VERSION, "", "", "", "", "SWE", CHARSET])
    pid = _segment("PID", {1: "1", 3: f"{TEST_PERSONNUMMER[0]}^^^SKV&1.2.752.129.2.1.3.1&ISO^NNSWE",
                           5: "Provsson^Anna^^^^^L", 7: "19440813", 8: "F"})
    pv1 = _segment("PV1", {1: "1", 2: "O"})
    value_type = "FT" if breaks == "escape" else "TX"
    lines = [text] if breaks == "escape" else _BREAK.split(text)
    values = [escape(line, breaks=breaks == "escape") for line in lines]
    obx = [_segment("OBX", {1: str(i), 2: value_type, 3: OBSERVATION, 4: "1", 5: v, 11: "F"})
           for i, v in enumerate(values, 1)]
    order = f"{cid}^{SENDING_APPLICATION}"
    if message == "ORU^R01":
        obr = _segment("OBR", {1: "1", 2: order, 3: order, 4: OBSERVATION, 7: ts, 25: "F"})
        segments = [msh, pid, pv1, obr, *obx]
    else:
        evn = _segment("EVN", {1: "T02", 2: ts})
        txa = _segment("TXA", {1: "1", 2: "PN", 3: value_type, 4: ts, 12: order, 17: "AU", 19: "AV"})
        segments = [msh, evn, pid, pv1, txa, *obx]
    return "\r".join(segments) + "\r"


# -- parsing -------------------------------------------------------------------------------------------------------
class HL7ParseError(ValueError):
    """Bytes that are not an HL7 v2 message."""


_CHARSETS = {
    "": "utf-8", "ASCII": "ascii", "UNICODE UTF-8": "utf-8", "UNICODE": "utf-8", "ISO IR192": "utf-8",
    "8859/1": "latin-1", "ISO IR100": "latin-1", "8859/2": "iso8859-2", "8859/3": "iso8859-3",
    "8859/4": "iso8859-4", "8859/5": "iso8859-5", "8859/6": "iso8859-6", "8859/7": "iso8859-7",
    "8859/8": "iso8859-8", "8859/9": "iso8859-9", "8859/15": "iso8859-15", "UNICODE UTF-16": "utf-16",
    "UNICODE UTF-32": "utf-32", "GB 18030-2000": "gb18030", "KS X 1001": "euc-kr", "BIG-5": "big5",
    "CP1252": "cp1252", "WINDOWS-1252": "cp1252",
}
_SEGMENT_NAME = re.compile(r"[A-Z][A-Z0-9]{2}$")


@dataclass(frozen=True)
class ParsedMessage:
    """A message split into segments and raw (still escaped) fields; ``segments[i][n]`` is field n."""

    delimiters: Delimiters
    segments: tuple[tuple[str, ...], ...]
    charset: str
    raw: bytes

    def all(self, name: str) -> Iterator[tuple[str, ...]]:
        return (s for s in self.segments if s[0] == name)

    def value(self, name: str, field: int, component: int = 1) -> str:
        """The unescaped first repetition's component of a field of the first ``name`` segment ('' if absent)."""
        for seg in self.all(name):
            return self.field_value(seg, field, component)
        return ""

    def field_value(self, seg: tuple[str, ...], field: int, component: int = 1) -> str:
        if field >= len(seg):
            return ""
        if _is_msh(seg) and field <= 2:
            return seg[field]
        d = self.delimiters
        rep = seg[field].split(d.repetition, 1)[0]
        comps = rep.split(d.component)
        if component > len(comps):
            return ""
        return unescape(comps[component - 1].split(d.subcomponent, 1)[0], d, self.charset)


def _is_msh(seg: tuple[str, ...]) -> bool:
    return bool(seg) and seg[0] == "MSH"


def parse_message(data: bytes) -> ParsedMessage:
    """Split an HL7 v2 message (no MLLP framing) into segments and fields, decoded in the charset MSH-18 names.

    Segments end at CR (a CRLF or LF right after it is dropped; LF alone separates segments only when the message
    has no CR at all). Raises :class:`HL7ParseError` when the bytes do not start with a usable MSH segment.
    """
    head = data.decode("latin-1").lstrip(" \t\r\n")
    if not head.startswith("MSH") or len(head) < 8:
        raise HL7ParseError(f"does not start with an MSH segment: {data[:60]!r}")
    fs = head[3]
    if fs.isalnum() or fs.isspace():
        raise HL7ParseError(f"MSH has no usable field separator: {head[:20]!r}")
    first = re.split("[\r\n]", head, maxsplit=1)[0]
    msh = first.split(fs)
    enc = msh[1]
    if not 1 <= len(enc) <= 5 or len(set(enc + fs)) != len(enc) + 1 or any(c.isalnum() or c.isspace() for c in enc):
        raise HL7ParseError(f"MSH-2 encoding characters {enc!r} are not usable")
    defaults = DEFAULT_DELIMITERS.encoding_characters
    enc_full = enc + defaults[len(enc):4] if len(enc) < 4 else enc
    d = Delimiters(fs, enc_full[0], enc_full[1], enc_full[2], enc_full[3], enc_full[4] if len(enc_full) > 4 else None)
    label = msh[17].split(d.repetition)[0].strip().upper() if len(msh) > 17 else ""
    charset = _CHARSETS.get(label, "utf-8")
    try:
        text = data.decode(charset, errors="replace").lstrip(" \t\r\n")
    except LookupError:  # pragma: no cover - every charset in the table exists
        charset = "utf-8"
        text = data.decode(charset, errors="replace").lstrip(" \t\r\n")
    lines = [s.strip("\n") for s in text.split("\r")] if "\r" in text else text.split("\n")
    segments: list[tuple[str, ...]] = []
    for line in lines:
        if not line.strip():
            continue
        fields = line.split(fs)
        if fields[0] == "MSH":
            fields.insert(1, fs)
        segments.append(tuple(fields))
    if not segments or segments[0][0] != "MSH":
        raise HL7ParseError(f"does not start with an MSH segment: {data[:60]!r}")
    return ParsedMessage(d, tuple(segments), charset, data)


def note_text(msg: ParsedMessage) -> str:
    """The note text a strict receiver reads from the message's OBX-5 values.

    Each OBX-5 repetition is a line; only its first component and first subcomponent are the value; OBX values are
    joined with ``\\n``.
    """
    d = msg.delimiters
    parts: list[str] = []
    for seg in msg.all("OBX"):
        raw = seg[5] if len(seg) > 5 else ""
        lines = [unescape(rep.split(d.component, 1)[0].split(d.subcomponent, 1)[0], d, msg.charset)
                 for rep in raw.split(d.repetition)]
        parts.append("\n".join(lines))
    return "\n".join(parts)


def _correlation_ids(msg: ParsedMessage) -> list[str]:
    """Where our id may be: MSH-10 first, then the order and document numbers we also put it in."""
    ids = [msg.value("MSH", 10)]
    ids += [msg.value(seg, n) for seg, n in (("OBR", 2), ("OBR", 3), ("ORC", 2), ("ORC", 3), ("TXA", 12))]
    return [i for i in ids if i]


def _ack(code: str, *, to: ParsedMessage | None, control_id: str, text: str = "") -> bytes:
    """An original-mode ACK from us (``JOURNAL_FUZZ``/``TEST``) for a forwarded message."""
    def back(n: int) -> str:
        return escape(to.value("MSH", n), breaks=False) if to else ""

    trigger = escape(to.value("MSH", 9, 2), breaks=False) if to else ""
    msh = "|".join(["MSH", DEFAULT_DELIMITERS.encoding_characters, SENDING_APPLICATION, SENDING_FACILITY, back(3),
                    back(4), _timestamp(), "", f"ACK^{trigger}^ACK" if trigger else "ACK", control_id, "P",
                    back(12) or VERSION, "", "", "", "", "", CHARSET])
    msa = _segment("MSA", {1: code, 2: back(10), 3: escape(text, breaks=False)} if text else {1: code, 2: back(10)})
    return (msh + "\r" + msa + "\r").encode("utf-8")


# -- the adapter ---------------------------------------------------------------------------------------------------
def _host_port(value: str, what: str) -> tuple[str, int]:
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise AdapterError(f"{what} must be HOST:PORT (for example 127.0.0.1:2576), not {value!r}")
    return host, int(port)


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass
class _Connection:
    reader: Any
    writer: Any

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


class MllpAdapter(Adapter):
    """An HL7 v2 interface engine reached over MLLP, whose forwarded messages come back to our listener."""

    scheme: ClassVar[str] = "hl7+mllp"
    carries: ClassVar[frozenset[Carrier]] = frozenset({TEXT})
    max_idle: ClassVar[int] = 16
    """Idle connections to the engine kept for reuse (one per concurrent sender is opened as needed)."""

    def __init__(self, spec: str, config: AdapterConfig) -> None:
        super().__init__(spec, config)
        parts = urllib.parse.urlsplit(spec.strip())
        if parts.scheme != self.scheme:
            raise AdapterError(f"not an hl7+mllp target: {spec!r}")
        example = "hl7+mllp://127.0.0.1:2575?listen=127.0.0.1:2576"
        try:
            port = parts.port
        except ValueError as e:
            raise AdapterError(f"hl7+mllp target has a bad port ({e}); write it as {example}") from None
        if not parts.hostname or port is None:
            raise AdapterError(f"hl7+mllp target needs HOST:PORT, as in {example}")
        if parts.path not in ("", "/"):
            raise AdapterError(f"hl7+mllp target takes no path ({parts.path!r}); write it as {example}")
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        unknown = sorted(set(query) - set(_QUERY_KEYS))
        if unknown:
            raise AdapterError(f"unknown hl7+mllp parameter(s) {', '.join(unknown)}; known: {', '.join(_QUERY_KEYS)}")
        self.host, self.port = parts.hostname, port
        listen = query.get("listen") or config.listen
        if not listen:
            raise AdapterError("hl7+mllp needs where forwarded messages come back: add listen=HOST:PORT to the "
                               f"target ({example}) or set listen in the configuration")
        self.listen_host, self.listen_port = _host_port(listen, "listen")
        self.message = query.get("message", "ORU^R01").strip().upper().replace("_", "^")
        if self.message not in MESSAGE_TYPES:
            raise AdapterError(f"message={query['message']!r} is not supported: use {' or '.join(MESSAGE_TYPES)}")
        self.breaks = query.get("breaks", "escape").strip().lower()
        if self.breaks not in BREAKS:
            raise AdapterError(f"breaks={query['breaks']!r} is not supported: use escape or repeat")
        self.timeout = config.timeout
        if "timeout" in query:
            try:
                self.timeout = float(query["timeout"])
            except ValueError:
                raise AdapterError(f"timeout={query['timeout']!r} is not a number of seconds") from None
        if not self.timeout > 0:
            raise AdapterError("timeout must be more than 0 seconds")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._closing = False
        self._idle: list[_Connection] = []
        self._pending: OrderedDict[str, asyncio.Future[ParsedMessage]] = OrderedDict()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unclaimed: deque[str] = deque(maxlen=5)
        self._ack_ids = itertools.count(1)
        self._software: dict[str, str] = {}
        self._software_lock = threading.Lock()

    # -- what it is
    def describe(self) -> str:
        extra = []
        if self.message != "ORU^R01":
            extra.append(self.message)
        if self.breaks == "repeat":
            extra.append("one OBX per line")
        tail = f"; {', '.join(extra)}" if extra else ""
        return (f"HL7 v2 over MLLP to {_hostport(self.host, self.port)} (forwarded messages back on "
                f"{_hostport(self.listen_host, self.listen_port)}{tail})")

    def software(self) -> dict[str, str]:
        with self._software_lock:
            return dict(self._software)

    @property
    def listen_address(self) -> tuple[str, int]:
        """Where forwarded messages are received (the bound port once started, when ``listen`` asked for 0)."""
        return self.listen_host, self.listen_port

    def _note_software(self, msg: ParsedMessage, prefix: str) -> None:
        found = {f"{prefix}MSH-3": msg.value("MSH", 3), f"{prefix}MSH-4": msg.value("MSH", 4)}
        if not prefix:
            found |= {"name": msg.value("SFT", 3), "vendor": msg.value("SFT", 1), "version": msg.value("SFT", 2)}
        with self._software_lock:
            self._software.update({k: v for k, v in found.items() if v})

    # -- life cycle
    def start(self) -> None:
        if self._loop is not None:
            return
        self._closing = False
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self._run_loop, args=(loop,), name=f"journal_fuzz-mllp-{self.port}",
                                  daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self._open(), loop).result(timeout=self.timeout + 5)
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _open(self) -> None:
        try:
            server = await hl7.mllp.start_hl7_server(self._on_forwarded, self.listen_host, self.listen_port,
                                                     limit=MLLP_LIMIT)
        except OSError as e:
            raise AdapterError(f"cannot listen for forwarded messages on "
                               f"{_hostport(self.listen_host, self.listen_port)}: {e.strerror or e}") from None
        self._server = server
        sock = server.sockets[0].getsockname()
        self.listen_port = int(sock[1])
        # Check the engine answers, and keep the connection for the first message.
        self._idle.append(await self._connect(asyncio.get_running_loop().time() + self.timeout))

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        if loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)

    async def _shutdown(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(SystemUnderTestError(f"{self.describe()}: stopped while waiting", cause="error"))
        me = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not me]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        idle, self._idle = self._idle, []
        await asyncio.gather(*(c.close() for c in idle), return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # -- one round trip
    def roundtrip_text(self, text: str, *, uid: str) -> str:
        loop = self._loop
        if loop is None or self._closing:
            raise AdapterError(f"{self.describe()} is not started")
        try:
            payload = build_message(text, uid=uid, message=self.message, breaks=self.breaks).encode("utf-8")
        except UnicodeEncodeError as e:
            raise AdapterError(f"note text cannot be sent as UTF-8: {e}") from None
        try:
            fut = asyncio.run_coroutine_threadsafe(self._roundtrip(uid, payload), loop)
        except RuntimeError:  # stopped meanwhile
            raise AdapterError(f"{self.describe()} is not started") from None
        try:
            msg = fut.result(timeout=self.timeout + 5)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise SystemUnderTestError(f"{self.describe()}: no answer within {self.timeout:g} s",
                                       cause="timeout") from None
        except concurrent.futures.CancelledError:
            raise SystemUnderTestError(f"{self.describe()}: stopped during the round trip", cause="error") from None
        return note_text(msg)

    async def _roundtrip(self, uid: str, payload: bytes) -> ParsedMessage:
        if uid in self._pending:
            raise AdapterError(f"uid {uid!r} is already waiting for its forwarded message")
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        waiter: asyncio.Future[ParsedMessage] = loop.create_future()
        self._pending[uid] = waiter  # before sending: the engine may forward before it acknowledges
        try:
            ack = await self._send(payload, deadline)
            self._check_ack(ack, uid)
            try:
                return await asyncio.wait_for(waiter, max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise SystemUnderTestError(self._no_forward(uid), cause="timeout") from None
        finally:
            self._pending.pop(uid, None)
            self._tasks.discard(task)
            if not waiter.done():
                waiter.cancel()
            elif not waiter.cancelled():
                waiter.exception()  # retrieved: no "exception never retrieved" noise

    def _no_forward(self, uid: str) -> str:
        msg = (f"{self.describe()} acknowledged message {uid!r} but did not forward it within {self.timeout:g} s")
        if self._unclaimed:
            msg += (f"; forwarded messages with other ids arrived ({', '.join(map(repr, self._unclaimed))}): does "
                    "the engine rewrite MSH-10? (the id is also looked for in OBR-2/3, ORC-2/3 and TXA-12)")
        return msg

    async def _connect(self, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        where = _hostport(self.host, self.port)
        try:
            reader, writer = await asyncio.wait_for(
                hl7.mllp.open_hl7_connection(self.host, self.port, limit=MLLP_LIMIT),
                max(0.0, deadline - loop.time()))
        except TimeoutError:
            raise SystemUnderTestError(f"HL7 engine at {where} did not accept a connection within "
                                       f"{self.timeout:g} s", cause="unreachable") from None
        except OSError as e:
            raise SystemUnderTestError(f"HL7 engine at {where} is unreachable: {e.strerror or e}",
                                       cause="unreachable") from None
        return _Connection(reader, writer)

    async def _send(self, payload: bytes, deadline: float) -> bytes:
        """Send one framed message and return the engine's ACK block, reusing an idle connection when there is one."""
        loop = asyncio.get_running_loop()
        while True:
            reused = bool(self._idle)
            conn = self._idle.pop() if reused else await self._connect(deadline)
            if reused and not conn.usable():
                await conn.close()
                continue
            ok = False
            try:
                conn.writer.writeblock(payload)
                await conn.writer.drain()
                block: bytes = await asyncio.wait_for(conn.reader.readblock(), max(0.0, deadline - loop.time()))
                ok = True
                return block
            except TimeoutError:
                raise SystemUnderTestError(f"{self.describe()}: no ACK within {self.timeout:g} s",
                                           cause="timeout") from None
            except (asyncio.IncompleteReadError, ConnectionError) as e:
                partial = getattr(e, "partial", b"")
                if reused and not partial:
                    continue  # the engine had closed the idle connection: once more on a fresh one
                raise SystemUnderTestError(f"{self.describe()} closed the connection instead of acknowledging",
                                           cause="protocol") from None
            except hl7.mllp.InvalidBlockError:
                raise SystemUnderTestError(f"{self.describe()} answered with bytes outside MLLP framing",
                                           cause="garbage") from None
            except ValueError:  # larger than MLLP_LIMIT
                raise SystemUnderTestError(f"{self.describe()} answered with an oversized block",
                                           cause="garbage") from None
            finally:
                if ok and not self._closing and len(self._idle) < self.max_idle:
                    self._idle.append(conn)
                elif not ok or self._closing:
                    await conn.close()

    def _check_ack(self, block: bytes, uid: str) -> None:
        try:
            ack = parse_message(block)
        except HL7ParseError as e:
            raise SystemUnderTestError(f"{self.describe()} answered with something that is not an HL7 ACK ({e})",
                                       cause="garbage") from None
        self._note_software(ack, "")
        code = ack.value("MSA", 1).strip().upper()
        if not code:
            raise SystemUnderTestError(f"{self.describe()} answered without an MSA segment", cause="protocol")
        about = ack.value("MSA", 2)
        if about and about != uid:
            raise SystemUnderTestError(f"{self.describe()} acknowledged control id {about!r}, not {uid!r}",
                                       cause="protocol")
        if code in ("AA", "CA"):
            return
        if code in ("AE", "AR", "CE", "CR"):
            reasons = [ack.value("MSA", 3)]
            for err in ack.all("ERR"):
                reasons += [ack.field_value(err, 8), ack.field_value(err, 3, 2), ack.field_value(err, 1, 4)]
            why = "; ".join(dict.fromkeys(r for r in reasons if r)) or "no reason given"
            raise SystemUnderTestError(f"{self.describe()} rejected message {uid!r} ({code}): {why}", cause="rejected")
        raise SystemUnderTestError(f"{self.describe()} answered with unknown MSA-1 code {code!r}", cause="protocol")

    # -- the listener
    async def _on_forwarded(self, reader: Any, writer: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while not self._closing:
                try:
                    block: bytes = await reader.readblock()
                except asyncio.IncompleteReadError as e:
                    if e.partial.strip():
                        self._garbage(e.partial, "bytes without MLLP framing")
                    return
                except hl7.mllp.InvalidBlockError:
                    self._garbage(b"", "a block that does not start with <VT>")
                    writer.writeblock(_ack("AR", to=None, control_id=self._ack_id(), text="not MLLP framed"))
                    await writer.drain()
                    continue
                except ValueError:
                    self._garbage(b"", f"a block over {MLLP_LIMIT} bytes")
                    return
                except ConnectionError:
                    return
                try:
                    msg = parse_message(block)
                except HL7ParseError as e:
                    self._garbage(block, str(e))
                    writer.writeblock(_ack("AR", to=None, control_id=self._ack_id(), text="not an HL7 message"))
                else:
                    self._deliver(msg)
                    writer.writeblock(_ack("AA", to=msg, control_id=self._ack_id()))
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    def _ack_id(self) -> str:
        return f"JF{next(self._ack_ids)}"

    def _deliver(self, msg: ParsedMessage) -> None:
        self._note_software(msg, "forwarded ")
        for cid in _correlation_ids(msg):
            fut = self._pending.get(cid)
            if fut is not None and not fut.done():
                fut.set_result(msg)
                return
        self._unclaimed.append(msg.value("MSH", 10))

    def _garbage(self, raw: bytes, why: str) -> None:
        """Fail the round trip this garbage belongs to: the one whose id it contains, else the oldest waiting."""
        waiting = [(uid, f) for uid, f in self._pending.items() if not f.done()]
        if not waiting:  # nobody to blame: a late or unrelated block
            return
        text = raw.decode("latin-1")
        _, fut = next(((u, f) for u, f in waiting if u and u in text), waiting[0])
        fut.set_exception(SystemUnderTestError(
            f"{self.describe()} forwarded something that is not HL7 ({why}): {raw[:80]!r}", cause="garbage"))
