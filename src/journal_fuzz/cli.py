"""The ``journal-fuzz`` command.

Exit codes are part of the contract: 0 kept, 1 changed (a word-loss finding), 2 error (bad input, unreachable
system). Errors are one line on stderr, never a traceback (set ``JOURNAL_FUZZ_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from journal_fuzz.lexicon import LANGUAGES, LexiconError, load_lexicon
from journal_fuzz.oracle import compare, detect_language
from journal_fuzz.text import Policy

__all__ = ["InputError", "main", "read_text"]

EXIT_KEPT = 0
EXIT_CHANGED = 1
EXIT_ERROR = 2


class InputError(Exception):
    """Input the tool cannot use; the message is the one line the user sees."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"journal-fuzz: {message} (see journal-fuzz --help)\n")


def read_text(path: str, what: str = "file") -> str:
    """Read a UTF-8 text file or raise :class:`InputError` saying plainly why not."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{what} is a directory, not a file: {path}") from None
    except PermissionError:
        raise InputError(f"{what} is not readable (permission denied): {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise InputError(f"{what} {path} is binary (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start} cannot be decoded (convert it to UTF-8 first)") from None


def _language(value: str) -> str:
    if value != "auto" and value not in LANGUAGES:
        raise argparse.ArgumentTypeError(f"unknown language {value!r}; use {', '.join(LANGUAGES)} or auto")
    return value


def _cmd_diff(args: argparse.Namespace) -> int:
    sent = read_text(args.sent, "sent file")
    received = read_text(args.received, "received file")
    language = args.lang if args.lang != "auto" else detect_language(sent)
    lexicon = load_lexicon(language, args.lexicon or ())
    policy = Policy.strict() if args.strict else Policy()
    verdict = compare(sent, received, language, policy=policy, lexicon=lexicon)
    if args.format == "json":
        print(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(verdict.explain())
    return EXIT_KEPT if verdict.ok else EXIT_CHANGED


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="journal-fuzz", description="Prove that a health record system keeps every clinical "
                                                       "word: compare, replay, explore, self-test.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    diff = sub.add_parser("diff", help="compare a sent and a received text (exit 0 kept, 1 changed, 2 error)")
    diff.add_argument("sent", metavar="SENT_FILE")
    diff.add_argument("received", metavar="RECEIVED_FILE")
    diff.add_argument("--lang", type=_language, default="auto", help="sv, en or auto (default)")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.add_argument("--lexicon", action="append", metavar="PATH",
                      help="a site lexicon (TOML) merged over the packaged one; may be repeated")
    diff.add_argument("--strict", action="store_true",
                      help="report whitespace, Unicode form, case and entity differences too")
    diff.set_defaults(func=_cmd_diff)
    return parser


def _version() -> str:
    from journal_fuzz import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except (InputError, LexiconError) as exc:
        print(f"journal-fuzz: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("journal-fuzz: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:
        if os.environ.get("JOURNAL_FUZZ_DEBUG"):
            traceback.print_exc()
        print(f"journal-fuzz: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
