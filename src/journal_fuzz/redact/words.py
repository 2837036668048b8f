"""The word lists redaction reads (``lexicon/identifiers.toml``), loaded once.

They are data next to the clinical lexicons so that a list can grow without touching the code that uses it; the
patterns built from them stay in the code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from journal_fuzz.constants import LANGUAGES

__all__ = ["PhoneSeries", "Words", "words"]

SOURCE = "journal_fuzz/lexicon/identifiers.toml"


@dataclass(frozen=True)
class PhoneSeries:
    """A number series reserved for fiction: ``stem`` followed by a number from ``first`` to ``last``."""

    name: str
    prefix: str
    """What an original's national number starts with to be replaced from this series ("" for any)."""
    stem: str
    first: int
    last: int


@dataclass(frozen=True)
class Words:
    """Every list of ``identifiers.toml``; membership lists are casefolded, ordered lists kept as written."""

    first_names: frozenset[str]
    surname_endings: tuple[str, ...]
    not_surnames: frozenset[str]
    eponyms: frozenset[str]
    stop: frozenset[str]
    particles: frozenset[str]
    titles: tuple[str, ...]
    labels: tuple[str, ...]
    roles: Mapping[str, tuple[str, ...]]
    """"shared" and one entry per language."""
    months: Mapping[str, tuple[str, ...]]
    month_abbreviations: Mapping[str, tuple[str, ...]]
    other_month_abbreviations: Mapping[str, int]
    months_needing_a_year: frozenset[str]
    street_prefixes: tuple[str, ...]
    street_suffixes: tuple[str, ...]
    two_digit_areas: tuple[str, ...]
    three_digit_areas: tuple[str, ...]
    phone_series: tuple[PhoneSeries, ...]
    pseudonym_first_names: tuple[str, ...]
    pseudonym_last_names: tuple[str, ...]
    street_stems: tuple[str, ...]
    towns: tuple[str, ...]

    def series(self, name: str) -> PhoneSeries:
        """The series called ``name`` (the mobile one is the fallback when a case uses up a series)."""
        return next(s for s in self.phone_series if s.name == name)


class _Reader:
    """Typed access to the TOML tables, failing with the list's name when the file has the wrong shape."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def table(self, path: str) -> Mapping[str, Any]:
        node: Any = self.data
        for key in path.split("."):
            node = node.get(key) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            raise ValueError(f"{SOURCE}: [{path}] is missing or not a table")
        return node

    def strings(self, path: str) -> tuple[str, ...]:
        table, _, key = path.rpartition(".")
        value = self.table(table).get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"{SOURCE}: {path} must be a list of non-empty strings")
        return tuple(value)

    def folded(self, path: str) -> frozenset[str]:
        return frozenset(w.casefold() for w in self.strings(path))

    def per_language(self, path: str, *, length: int | None = None) -> dict[str, tuple[str, ...]]:
        out = {lang: self.strings(f"{path}.{lang}") for lang in LANGUAGES}
        if length is not None and any(len(v) != length for v in out.values()):
            raise ValueError(f"{SOURCE}: every list of [{path}] must have {length} entries")
        return out


@lru_cache(maxsize=1)
def words() -> Words:
    """The lists, read and checked on first use."""
    text = resources.files("journal_fuzz.lexicon").joinpath("identifiers.toml").read_text(encoding="utf-8")
    r = _Reader(tomllib.loads(text))
    series = tuple(
        PhoneSeries(name, str(s["prefix"]), str(s["stem"]), int(s["first"]), int(s["last"]))
        for name, s in r.table("phones.series").items())
    if not any(s.prefix == "" for s in series) or not any(s.name == "mobile" for s in series):
        raise ValueError(f"{SOURCE}: [phones.series] needs a 'mobile' series and one with an empty prefix")
    other = {str(k): int(v) for k, v in r.table("dates.other_abbreviations").items()}
    return Words(
        first_names=r.folded("names.first"),
        surname_endings=r.strings("names.surname_endings"),
        not_surnames=r.folded("names.not_surnames"),
        eponyms=r.folded("names.eponyms"),
        stop=r.folded("names.stop"),
        particles=r.folded("names.particles"),
        titles=r.strings("cues.titles"),
        labels=r.strings("cues.labels"),
        roles={"shared": r.strings("cues.roles.shared"), **r.per_language("cues.roles")},
        months=r.per_language("dates.months", length=12),
        month_abbreviations=r.per_language("dates.month_abbreviations", length=12),
        other_month_abbreviations=other,
        months_needing_a_year=r.folded("dates.months_needing_a_year"),
        street_prefixes=r.strings("addresses.street_prefixes"),
        street_suffixes=r.strings("addresses.street_suffixes"),
        two_digit_areas=r.strings("phones.two_digit_areas"),
        three_digit_areas=r.strings("phones.three_digit_areas"),
        phone_series=series,
        pseudonym_first_names=r.strings("pseudonyms.first_names"),
        pseudonym_last_names=r.strings("pseudonyms.last_names"),
        street_stems=r.strings("pseudonyms.street_stems"),
        towns=r.strings("pseudonyms.towns"),
    )
