"""Real peers for the text adapters: a converter program (for ``cmd:``) and a file-drop system (for ``dir:``).

Both run as separate processes, like the systems they stand for. ``--lossy`` makes them drop negations the way a
stop-word filter would.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

_STOP = re.compile(r"(?i)\s*\b(ej|inte|ingen|inga|inget|no|not)\b")


def convert(text: str, lossy: bool) -> str:
    out = text.replace("\r\n", "\n")
    return _STOP.sub("", out) if lossy else out


def converter(lossy: bool) -> int:
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
    args = parser.parse_args()
    if args.mode == "converter":
        return converter(args.lossy)
    return file_drop(Path(args.inbox), Path(args.outbox), args.lossy, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
