"""Real peers for the text adapters: a converter program (for ``cmd:``) and a file-drop system (for ``dir:``).

Both run as separate processes, like the systems they stand for. ``--lossy`` makes them drop negations the way a
stop-word filter would; ``--dedupe FILE`` makes the converter refuse a message id it has seen before (the id comes in
``JOURNAL_FUZZ_UID``; the ids seen are kept in FILE), as interface engines that deduplicate on a control id do.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import sys
import time
from pathlib import Path

_STOP = re.compile(r"(?i)\s*\b(ej|inte|ingen|inga|inget|no|not)\b")


def convert(text: str, lossy: bool) -> str:
    out = text.replace("\r\n", "\n")
    return _STOP.sub("", out) if lossy else out


def seen_before(uid: str, state: Path) -> bool:
    """Record ``uid`` in ``state``; True when it was already there (a repeated message id)."""
    with state.open("a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        if uid in fh.read().split():
            return True
        fh.write(uid + "\n")
    return False


def converter(lossy: bool, dedupe: Path | None = None) -> int:
    if dedupe is not None:
        uid = os.environ.get("JOURNAL_FUZZ_UID", "")
        if not uid or seen_before(uid, dedupe):
            sys.stderr.write(f"rejected: duplicate message id {uid!r}\n")
            return 3
    data = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(convert(data, lossy).encode("utf-8"))
    return 0


def file_drop(inbox: Path, outbox: Path, lossy: bool, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in sorted(inbox.glob("*.txt")):
            text = path.read_bytes().decode("utf-8")
            tmp = outbox / f".{path.name}.part"
            tmp.write_bytes(convert(text, lossy).encode("utf-8"))
            tmp.replace(outbox / path.name)
            path.unlink()
        time.sleep(0.01)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("converter", "file-drop"))
    parser.add_argument("--lossy", action="store_true")
    parser.add_argument("--inbox")
    parser.add_argument("--outbox")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--dedupe", type=Path, help="refuse a JOURNAL_FUZZ_UID seen before (ids kept in this file)")
    args = parser.parse_args()
    if args.mode == "converter":
        return converter(args.lossy, args.dedupe)
    return file_drop(Path(args.inbox), Path(args.outbox), args.lossy, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
