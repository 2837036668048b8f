"""Small text helpers for messages people read: one line, clipped, counted."""

from __future__ import annotations

import re

__all__ = ["LONE_SURROGATE", "clip", "oneline", "plural", "printable", "sentence_at"]

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""Code points a str may hold but UTF-8 cannot encode (half of a UTF-16 pair, e.g. a split emoji)."""
_WS = re.compile(r"\s+")
# A sentence ends at . ! ? before a capital letter, a digit or the end (not at a "?" an encoding accident left
# inside a word: "Bradypn? saknas"), and at a blank line.
_END = re.compile(r"(?<=[.!?])\s+(?=[^\W_a-zåäöæøüé]|$)|\n\s*\n")


def oneline(text: str) -> str:
    """``text`` with every run of whitespace (line breaks included) made one space."""
    return _WS.sub(" ", text)


def printable(text: str) -> str:
    """``text`` with every lone surrogate written as ``\\udXXX``: a terminal cannot be sent one, and pytest would
    otherwise show the whole message as escapes."""
    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def clip(text: str, limit: int = 80) -> str:
    """``text`` on one line, stripped, and cut to ``limit`` characters with an ellipsis."""
    text = oneline(str(text)).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def plural(n: int, one: str, many: str | None = None) -> str:
    """"1 word", "3 words", "12 345 characters" (thin space as thousands separator)."""
    return f"{n:,}".replace(",", "\u202f") + f" {one if n == 1 else (many or one + 's')}"


def sentence_at(text: str, offset: int) -> str:
    """The sentence (or line group) of ``text`` around ``offset``, whitespace collapsed."""
    offset = max(0, min(offset, len(text)))
    start = 0
    for m in _END.finditer(text):
        if m.end() <= offset:
            start = m.end()
        elif m.start() >= offset:
            return " ".join(text[start:m.start()].split())
    return " ".join(text[start:].split())
