"""Reading what a user hands the tool: one clear sentence when a file cannot be used, never a traceback."""

from __future__ import annotations

from pathlib import Path

__all__ = ["InputError", "read_bytes", "read_text"]


class InputError(ValueError):
    """Input the tool cannot use; the message is the one line the user sees."""


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    """The bytes of ``path``, or :class:`InputError` saying plainly why not."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{what} is a directory, not a file: {path}") from None
    except PermissionError:
        raise InputError(f"{what} is not readable (permission denied): {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def read_text(path: str | Path, what: str = "file") -> str:
    """A UTF-8 text file (a byte-order mark is allowed), or :class:`InputError` saying plainly why not."""
    data = read_bytes(path, what)
    if b"\x00" in data:
        raise InputError(f"{what} {path} is binary (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start} cannot be decoded (convert it to UTF-8 first)") from None
