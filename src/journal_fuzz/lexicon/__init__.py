"""Clinical lexicons as data: negation cues by NegEx role, hedges, sides, terms, drugs, units, routes.

The packaged files (``sv.toml``, ``en.toml``; format in ``SCHEMA.md``) are merged with site lexicons, so a
hospital can add its own terms and product names without editing the package: pass ``extra=[path]`` or set
``JOURNAL_FUZZ_LEXICON`` to one or more paths separated by the platform's path separator.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from journal_fuzz.constants import LANGUAGES
from journal_fuzz.text import Policy, tokenize

__all__ = [
    "ABBREV", "DRUG", "FREQ", "HEDGE_POST", "HEDGE_PRE", "LANGUAGES", "NEG_POST", "NEG_PRE", "PSEUDO",
    "ROUTE", "SIDE", "TERM", "TERMINATION", "UNIT",
    "Entry", "Lexicon", "LexiconError", "Match", "load_lexicon",
]


NEG_PRE = "neg-pre"
NEG_POST = "neg-post"
PSEUDO = "pseudo"
TERMINATION = "termination"
HEDGE_PRE = "hedge-pre"
HEDGE_POST = "hedge-post"
SIDE = "side"
UNIT = "unit"
DRUG = "drug"
TERM = "term"
ROUTE = "route"
FREQ = "frequency"
ABBREV = "abbreviation"

# When two entries match the same tokens, the earlier role wins: "kan ej uteslutas" is a hedge even though
# "ej" alone is a negation, "ingen förändring" is a pseudo-negation.
_PRIORITY = {r: i for i, r in enumerate(
    (PSEUDO, HEDGE_POST, HEDGE_PRE, NEG_POST, NEG_PRE, TERMINATION, SIDE, UNIT, DRUG, TERM, ROUTE, FREQ,
     ABBREV))}

NEGATION_ROLES = frozenset({NEG_PRE, NEG_POST})
HEDGE_ROLES = frozenset({HEDGE_PRE, HEDGE_POST})


class LexiconError(ValueError):
    """A lexicon file that cannot be read or has the wrong shape."""


@dataclass(frozen=True)
class Entry:
    """One lexicon entry: the role its words play and what they stand for."""

    role: str
    value: str
    """The concept (terms), substance (drugs), canonical unit or route, side name, or the cue itself."""
    category: str = ""
    """For terms: finding, symptom, diagnosis, anatomy, procedure or lab."""
    surface: str = ""


@dataclass(frozen=True)
class Match:
    """A lexicon entry found at tokens ``start`` to ``end`` (exclusive)."""

    start: int
    end: int
    entry: Entry


_PLAIN = Policy()


def _phrase_keys(phrase: str) -> tuple[str, ...]:
    return tuple(tokenize(phrase, _PLAIN).keys)


class Lexicon:
    """A compiled lexicon for one language: token-sequence lookup, longest match first."""

    def __init__(self, language: str, data: dict[str, Any], sources: Sequence[str] = ()) -> None:
        self.language = language
        self.data = data
        self.sources = tuple(sources)
        self._index: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        self._entries: list[Entry] = []
        self._compile()

    # -- building ---------------------------------------------------------------------------------------
    def _add(self, phrase: str, entry: Entry) -> None:
        keys = _phrase_keys(phrase)
        if not keys:
            return
        bucket = self._index.setdefault(keys[0], [])
        for i, (k, old) in enumerate(bucket):
            if k == keys:
                if _PRIORITY[entry.role] < _PRIORITY[old.role]:
                    bucket[i] = (keys, entry)
                return
        bucket.append((keys, entry))
        self._entries.append(entry)

    def _compile(self) -> None:
        d = self.data
        for role_key, role in (("pre", NEG_PRE), ("post", NEG_POST), ("pseudo", PSEUDO),
                               ("termination", TERMINATION)):
            for cue in d.get("negation", {}).get(role_key, []):
                self._add(cue, Entry(role, cue.casefold(), surface=cue))
        for role_key, role in (("pre", HEDGE_PRE), ("post", HEDGE_POST)):
            for cue in d.get("hedge", {}).get(role_key, []):
                self._add(cue, Entry(role, cue.casefold(), surface=cue))
        for side, forms in d.get("sides", {}).items():
            for form in forms:
                self._add(form, Entry(SIDE, side, surface=form))
        for category, concepts in d.get("terms", {}).items():
            for concept, forms in concepts.items():
                for form in dict.fromkeys([concept, *forms]):
                    self._add(form, Entry(TERM, concept.casefold(), category, surface=form))
        drugs = d.get("drugs", {})
        for substance, forms in drugs.get("substances", {}).items():
            for form in dict.fromkeys([substance, *forms]):
                self._add(form, Entry(DRUG, substance.casefold(), "substance", surface=form))
        for product, substance in drugs.get("products", {}).items():
            self._add(product, Entry(DRUG, str(substance).casefold(), "product", surface=product))
        for canonical, forms in d.get("units", {}).items():
            for form in dict.fromkeys([canonical, *forms]):
                self._add(form, Entry(UNIT, canonical, surface=form))
        for canonical, forms in d.get("routes", {}).items():
            for form in dict.fromkeys([canonical, *forms]):
                self._add(form, Entry(ROUTE, canonical, surface=form))
        for form in d.get("frequencies", {}).get("forms", []):
            self._add(form, Entry(FREQ, form.casefold(), surface=form))
        for form in d.get("text", {}).get("abbreviations", []):
            self._add(form, Entry(ABBREV, form.casefold(), surface=form))
        for bucket in self._index.values():
            bucket.sort(key=lambda item: (-len(item[0]), _PRIORITY[item[1].role]))

    # -- lookup -----------------------------------------------------------------------------------------
    def match(self, keys: Sequence[str], lo: int = 0, hi: int | None = None) -> list[Match]:
        """Leftmost-longest matches of lexicon entries in ``keys[lo:hi]``."""
        hi = len(keys) if hi is None else hi
        index = self._index
        out: list[Match] = []
        i = lo
        while i < hi:
            bucket = index.get(keys[i])
            if bucket is not None:
                for phrase, entry in bucket:
                    n = len(phrase)
                    if i + n <= hi and (n == 1 or tuple(keys[i:i + n]) == phrase):
                        out.append(Match(i, i + n, entry))
                        i += n
                        break
                else:
                    i += 1
            else:
                i += 1
        return out

    def lookup(self, phrase: str) -> Entry | None:
        """The entry for exactly this phrase, if the lexicon has one."""
        keys = _phrase_keys(phrase)
        for k, entry in self._index.get(keys[0], []) if keys else []:
            if k == keys:
                return entry
        return None

    def entries(self, role: str | None = None) -> Iterator[Entry]:
        """Every distinct entry, optionally of one role."""
        return (e for e in self._entries if role is None or e.role == role)

    def cues(self, section: str, role: str) -> list[str]:
        """Surface forms listed under ``[section] role`` (for example ``cues("negation", "post")``)."""
        return list(self.data.get(section, {}).get(role, []))

    def terms(self, category: str | None = None) -> dict[str, list[str]]:
        """Concept -> surface forms, over all categories or one."""
        out: dict[str, list[str]] = {}
        for cat, concepts in self.data.get("terms", {}).items():
            if category is None or cat == category:
                for concept, forms in concepts.items():
                    out[concept] = list(dict.fromkeys([concept, *forms]))
        return out

    @property
    def abbreviation_keys(self) -> list[tuple[str, ...]]:
        return [_phrase_keys(a) for a in self.data.get("text", {}).get("abbreviations", [])]


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list):
            base[key] = list(dict.fromkeys([*base[key], *value]))
        else:
            base[key] = value


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise LexiconError(f"site lexicon not found: {path}") from None
    except OSError as exc:
        raise LexiconError(f"cannot read lexicon {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LexiconError(f"lexicon {path} is not valid TOML: {exc}") from None
    return data


def _site_paths(extra: Iterable[str | os.PathLike[str]]) -> tuple[str, ...]:
    paths = [os.fspath(p) for p in extra]
    env = os.environ.get("JOURNAL_FUZZ_LEXICON", "")
    paths.extend(p for p in env.split(os.pathsep) if p)
    return tuple(paths)


def load_lexicon(language: str, extra: Iterable[str | os.PathLike[str]] = ()) -> Lexicon:
    """The packaged lexicon for ``language`` merged with any site lexicons."""
    if language not in LANGUAGES:
        raise LexiconError(f"unknown language {language!r}; journal_fuzz knows {', '.join(LANGUAGES)}")
    site = _site_paths(extra)
    stamps = tuple((p, _mtime(p)) for p in site)
    return _load(language, stamps)


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


@lru_cache(maxsize=32)
def _load(language: str, site: tuple[tuple[str, float], ...]) -> Lexicon:
    ref = resources.files("journal_fuzz.lexicon").joinpath(f"{language}.toml")
    data = tomllib.loads(ref.read_text(encoding="utf-8"))
    sources = [f"journal_fuzz/lexicon/{language}.toml"]
    for path, _stamp in site:
        extra = _read(Path(path))
        lang = extra.get("meta", {}).get("language")
        if lang not in (None, language):
            continue
        extra = {k: v for k, v in extra.items() if k != "meta"}
        _merge(data, extra)
        sources.append(path)
    return Lexicon(language, data, sources)
