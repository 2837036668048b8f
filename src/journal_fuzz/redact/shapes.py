"""A replacement written the way its original was: the same case, grouping, separators, date layout and language.

The oracle compares the redacted sent text with the redacted received one; a pseudonym in another shape than its
original would add differences (a date reformatted, a phone number regrouped) that the case never showed.
"""

from __future__ import annotations

import datetime as _dt
import re

from journal_fuzz.redact.detect import ABBR, DMONY_RE, DMY_RE, FULL, ISO_RE, MONDY_RE, MONTH_INDEX, Hit
from journal_fuzz.redact.words import words


def case_like(original: str, pseudonym: str) -> str:
    """``pseudonym`` in the original's case: a letter-case change would be a finding the case never had."""
    if len(original) > 1 and original.isupper():
        return pseudonym.upper()
    if original.islower():
        return pseudonym.lower()
    return pseudonym


def pour(template: str, digits: str) -> str:
    """``template`` with its digits replaced, in order, by ``digits`` (same count)."""
    it = iter(digits)
    return "".join(next(it) if c.isdigit() else c for c in template)


def _group(digits: str) -> list[str]:
    """Swedish grouping of a subscriber number: 123 45 67, 123 456 78, 12 34 56."""
    n = len(digits)
    sizes = {5: [3, 2], 6: [2, 2, 2], 7: [3, 2, 2], 8: [3, 3, 2]}.get(n, [n])
    out, i = [], 0
    for s in sizes:
        out.append(digits[i:i + s])
        i += s
    return out


def _area_length(national: str) -> int:
    w = words()
    if national.startswith(w.two_digit_areas):
        return 2
    if national.startswith(w.three_digit_areas):
        return 3
    return 4


def format_phone(surface: str, national: str, replacement: str) -> str:
    """``replacement`` (a national number) written like ``surface``: +46 or not, its separators and grouping."""
    prefix = re.match(r"(?:\+|00)46[ \-]?(?:\(0\)[ \-]?)?", surface)
    body_digits = replacement[1:] if prefix else replacement
    template = surface[prefix.end():] if prefix else surface
    if sum(c.isdigit() for c in template) == len(body_digits):
        return (prefix.group() if prefix else "") + pour(template, body_digits)
    area = _area_length(replacement)
    area_digits, sub = replacement[:area], replacement[area:]
    spaced = bool(re.search(r"\d[ \u00a0]\d", template))
    sub_text = " ".join(_group(sub)) if spaced else sub
    if prefix:
        return f"{prefix.group()}{area_digits[1:]} {sub_text}" if spaced else f"{prefix.group()}{replacement[1:]}"
    sep = re.match(r"0\d+(\s?[-–/]\s?|\s)?", surface)
    sep_text = sep.group(1) if sep and sep.group(1) else ""
    return f"{area_digits}{sep_text}{sub_text}"


def shift_date(h: Hit, days: int) -> str:
    """The date of ``h`` moved by ``days``, in its layout, language, abbreviation and padding."""
    s = h.surface
    layout = h.info[0]
    if layout == "iso":
        m = ISO_RE.fullmatch(s)
        assert m is not None
        d = _dt.date(int(m["y"]), int(m["m"]), int(m["d"])) + _dt.timedelta(days=days)
        sep = m["s"]
        return f"{d.year:04d}{sep}{d.month:02d}{sep}{d.day:02d}"
    if layout == "dmy":
        m = DMY_RE.fullmatch(s)
        assert m is not None
        order = h.info[2]
        a, b = m["d"], m["m"]
        day_s, mon_s = (a, b) if order == "dm" else (b, a)
        d = _dt.date(int(m["y"]), int(mon_s), int(day_s)) + _dt.timedelta(days=days)
        day_out = f"{d.day:0{len(day_s)}d}" if len(day_s) == 2 else str(d.day)
        mon_out = f"{d.month:0{len(mon_s)}d}" if len(mon_s) == 2 else str(d.month)
        first, second = (day_out, mon_out) if order == "dm" else (mon_out, day_out)
        return f"{first}{m['s']}{second}{m['s']}{d.year:04d}"
    pattern = DMONY_RE if layout == "dmon" else MONDY_RE
    m = pattern.fullmatch(s)
    assert m is not None
    lang, form = h.info[1], h.info[2]
    word = m["mon"]
    month = next(n for lg, f, n in MONTH_INDEX[word.casefold()] if (lg, f) == (lang, form))
    year = int(m["y"]) if m["y"] else (2000 if (month, int(m["d"])) == (2, 29) else 2001)
    d = _dt.date(year, month, int(m["d"])) + _dt.timedelta(days=days)
    w = words()
    names = w.months[lang] if form == FULL else w.month_abbreviations[lang]
    # Another abbreviation ("sept") stays while the date stays in its month.
    new_word = form if form not in (FULL, ABBR) and d.month == month else names[d.month - 1]
    if word.isupper() and len(word) > 1:
        new_word = new_word.upper()
    elif word[:1].isupper():
        new_word = new_word.capitalize()
    day_s = m["d"]
    day_out = f"{d.day:02d}" if len(day_s) == 2 and day_s.startswith("0") else str(d.day)
    ordinal = m["ord"] or ""
    if ordinal and lang == "en" and ordinal.casefold() in ("st", "nd", "rd", "th"):
        ordinal = _english_ordinal(d.day, ordinal)
    dot = m["dot"] or ""
    if layout == "dmon":
        year_part = f"{m['sp2']}{d.year:04d}" if m["y"] else ""
        return f"{day_out}{ordinal}{m['sp1']}{new_word}{dot}{year_part}"
    return f"{new_word}{dot}{m['sp1']}{day_out}{ordinal}{m['comma']}{m['sp2']}{d.year:04d}"


def _english_ordinal(day: int, like: str) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return suffix.upper() if like.isupper() else suffix
