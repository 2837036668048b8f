"""Clinical lexicons as data: negation cues by NegEx role, hedges, sides, terms, drugs, units, routes.

The packaged files (``sv.toml``, ``en.toml``, and every ``sv/*.toml``, ``en/*.toml`` beside them; format in
``SCHEMA.md``) are merged with site lexicons, so a hospital can add its own terms and product names without editing
the package: pass ``extra=[path]`` or set ``JOURNAL_FUZZ_LEXICON`` to one or more paths separated by the platform's
path separator. Every file is checked against the schema when it is read: an unknown table or key (``[negaton]``,
``prre = [...]``) is an error naming the file, the table and the key, never a silent no-op.

Entries may carry rules (``[rules."form"]``, or inline in a term's table): context guards for homographs (*lever*
the organ or the verb, *sin* the side or the pronoun), case-sensitive acronyms (*KOL*, not charcoal's *kol*), and a
cue's scope width, terminators and direction, as medspaCy's ConText rules carry them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from journal_fuzz.constants import LANGUAGES
from journal_fuzz.text import Policy, tokenize

__all__ = [
    "ABBREV",
    "CUE_ROLES",
    "DIRECTIONS",
    "DRUG",
    "FREQ",
    "GENDERS",
    "HEDGE_POST",
    "HEDGE_PRE",
    "LANGUAGES",
    "NEG_POST",
    "NEG_PRE",
    "PSEUDO",
    "ROUTE",
    "SIDE",
    "TERM",
    "TERMINATION",
    "TERM_CATEGORIES",
    "UNIT",
    "Entry",
    "Lexicon",
    "LexiconError",
    "Match",
    "Rules",
    "TermInfo",
    "load_lexicon",
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
CUE_ROLES = frozenset({NEG_PRE, NEG_POST, HEDGE_PRE, HEDGE_POST, PSEUDO, TERMINATION})
"""Roles whose words steer other words (and so are never a concept themselves)."""
DIRECTIONS = ("forward", "backward", "both")
"""Which way a cue's scope runs; ``both``: a post-cue that governs forward when nothing it could govern stands
before it in its clause (Swedish verb-second order: *Det finns inte tecken på X*)."""


class LexiconError(ValueError):
    """A lexicon file that cannot be read or has the wrong shape."""


TERM_CATEGORIES = ("finding", "symptom", "diagnosis", "anatomy", "procedure", "lab", "drug-class")
"""The categories under ``[terms]``."""
GENDERS = ("utr", "neu", "pl")
"""Grammatical gender of a Swedish noun (en-ord, ett-ord) or a plural-only noun: what ingen/inget/inga agree with."""


@dataclass(frozen=True)
class Rules:
    """What one entry needs besides its words: guards that decide whether it applies here, and its scope."""

    case_sensitive: bool = False
    """The capitals written in the form are required (KOL, TIA); lower-case letters match either case."""
    not_before: tuple[tuple[str, ...], ...] = ()
    """The entry does not apply when one of these phrases follows it ("hand" in "tar hand om")."""
    not_after: tuple[tuple[str, ...], ...] = ()
    """The entry does not apply when one of these phrases precedes it ("lever" in "pat lever")."""
    not_before_word: bool = False
    """The entry does not apply when a word follows it that is not a function word or a cue: "sin" in "sin fru"
    is the pronoun, "negativa" in "negativa T-vågor" describes the waves."""
    max_scope: int | None = None
    """How many words a cue reaches (forward for a pre-cue, back for a post-cue)."""
    terminated_by: tuple[tuple[str, ...], ...] = ()
    """Phrases that end this cue's scope and then govern nothing themselves ("utan" in "inte X utan Y")."""
    direction: str | None = None
    """forward, backward or both (see :data:`DIRECTIONS`); None for the role's own direction."""

    @property
    def guarded(self) -> bool:
        return bool(self.case_sensitive or self.not_before or self.not_after or self.not_before_word)


_NO_RULES = Rules()
_BOOL, _INT, _STRS, _DIR = "true or false", "a whole number (0 or more)", "a list of strings", \
    f"one of {', '.join(DIRECTIONS)}"
_RULE_KEYS = {"case_sensitive": _BOOL, "not_before": _STRS, "not_after": _STRS, "not_before_word": _BOOL,
              "max_scope": _INT, "terminated_by": _STRS, "direction": _DIR}
"""Keys of a ``[rules."form"]`` table, and what each holds."""
_TERM_KEYS = {"forms": _STRS, "gender": f"one of {', '.join(GENDERS)}", "sided": _BOOL,
              "case_sensitive": _BOOL, "not_before": _STRS, "not_after": _STRS}
"""Keys of a term written as a table."""


@dataclass(frozen=True)
class TermInfo:
    """What the lexicon says about one concept besides its surface forms."""

    concept: str
    category: str
    forms: tuple[str, ...]
    gender: str | None = None
    """utr, neu or pl (Swedish nouns); None when not given."""
    sided: bool = False
    """Anatomy that has a right and a left (knä, lunga, öra; not hjärta, buk)."""


@dataclass(frozen=True)
class Entry:
    """One lexicon entry: the role its words play and what they stand for."""

    role: str
    value: str
    """The concept (terms), substance (drugs), canonical unit or route, side name, or the cue itself."""
    category: str = ""
    """For terms: finding, symptom, diagnosis, anatomy, procedure or lab."""
    surface: str = ""
    rules: Rules = field(default=_NO_RULES, compare=False)


@dataclass(frozen=True)
class Match:
    """A lexicon entry found at tokens ``start`` to ``end`` (exclusive)."""

    start: int
    end: int
    entry: Entry


_PLAIN = Policy()
_CASED = Policy(case=False)


def _phrase_keys(phrase: str) -> tuple[str, ...]:
    return tuple(tokenize(phrase, _PLAIN).keys)


@lru_cache(maxsize=4096)
def _cased_keys(phrase: str) -> tuple[str, ...]:
    return tuple(tokenize(phrase, _CASED).keys)


def _capitals_kept(form: str, text: str) -> bool:
    """Whether ``text`` has a capital wherever ``form`` has one."""
    return len(form) <= len(text) and all(t.isupper() for f, t in zip(form, text, strict=False) if f.isupper())


Cased = Callable[[int], str]
"""The original (not case-folded) text of token ``i``."""


class Lexicon:
    """A compiled lexicon for one language: token-sequence lookup, longest match first."""

    def __init__(self, language: str, data: dict[str, Any], sources: Sequence[str] = ()) -> None:
        self.language = language
        self.data = data
        self.sources = tuple(sources)
        self._index: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        self._entries: list[Entry] = []
        self._terms: dict[str, TermInfo] = {}
        self._rules: dict[str, Rules] = {}
        self._roles: dict[tuple[str, ...], set[str]] = {}
        text = data.get("text", {})
        self.function_words: frozenset[str] = frozenset(w.casefold() for w in text.get("function_words", []))
        """Grammar words (pronouns, articles, prepositions, conjunctions, auxiliaries): never a concept."""
        self.general_words: frozenset[str] = frozenset(w.casefold() for w in text.get("general_words", []))
        """Words that carry meaning but never name a clinical concept (patient, signs, finns, mild, today)."""
        self.plain_words = self.function_words | self.general_words
        self.number_words: frozenset[str] = frozenset(w.casefold() for w in text.get("number_words", []))
        """Numbers written as words ("tre", "two"): a changed one is a changed number."""
        self._compile()
        self.cue_starts: frozenset[str] = frozenset(k[0] for k, roles in self._roles.items() if roles & CUE_ROLES)
        """First words of every cue phrase."""

    # -- building ---------------------------------------------------------------------------------------
    def _add(self, phrase: str, entry: Entry) -> None:
        keys = _phrase_keys(phrase)
        if not keys:
            return
        if entry.role != ABBREV:
            self._roles.setdefault(keys, set()).add(entry.role)
        rules = self._rules.get(phrase.casefold())
        if rules is not None and rules is not entry.rules:
            entry = Entry(entry.role, entry.value, entry.category, entry.surface, _merge_rules(entry.rules, rules))
        bucket = self._index.setdefault(keys[0], [])
        for i, (k, old) in enumerate(bucket):
            if k == keys and old.surface == entry.surface:
                if _PRIORITY[entry.role] < _PRIORITY[old.role]:
                    bucket[i] = (keys, entry)
                return
            if k == keys and not entry.rules.case_sensitive and not old.rules.case_sensitive:
                if _PRIORITY[entry.role] < _PRIORITY[old.role]:
                    bucket[i] = (keys, entry)
                return
        bucket.append((keys, entry))
        self._entries.append(entry)

    def _compile(self) -> None:
        d = self.data
        for form, spec in d.get("rules", {}).items():
            self._rules[form.casefold()] = _rules_from(spec)
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
            for concept, spec in concepts.items():
                info = _term_info(concept, category, spec)
                self._terms.setdefault(concept.casefold(), info)
                inline = _rules_from({k: v for k, v in spec.items() if k in _RULE_KEYS}) \
                    if isinstance(spec, dict) else _NO_RULES
                for form in info.forms:
                    self._add(form, Entry(TERM, concept.casefold(), category, surface=form, rules=inline))
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
            # Longest first; at equal length a case-sensitive form (KOL) before a plain one, then by role.
            bucket.sort(key=lambda item: (-len(item[0]), not item[1].rules.case_sensitive,
                                          _PRIORITY[item[1].role]))

    def unknown_rules(self) -> list[str]:
        """Forms under ``[rules]`` that no entry has (a misspelt rule would otherwise do nothing)."""
        known = {e.surface.casefold() for e in self._entries}
        return sorted(set(self._rules) - known)

    # -- lookup -----------------------------------------------------------------------------------------
    def match(self, keys: Sequence[str], lo: int = 0, hi: int | None = None, cased: Cased | None = None) -> list[Match]:
        """Leftmost-longest matches of lexicon entries in ``keys[lo:hi]``.

        ``cased`` gives a token's original text, for case-sensitive entries; without it they match in any case.
        An entry whose guard rejects its context is skipped (its words are then plain words).
        """
        hi = len(keys) if hi is None else hi
        index = self._index
        out: list[Match] = []
        i = lo
        while i < hi:
            bucket = index.get(keys[i])
            if bucket is not None:
                for phrase, entry in bucket:
                    n = len(phrase)
                    if i + n <= hi and (n == 1 or tuple(keys[i:i + n]) == phrase) \
                            and (not entry.rules.guarded or self._applies(entry, keys, i, i + n, lo, hi, cased)):
                        out.append(Match(i, i + n, entry))
                        i += n
                        break
                else:
                    i += 1
            else:
                i += 1
        return out

    def _applies(self, entry: Entry, keys: Sequence[str], a: int, b: int, lo: int, hi: int,
                 cased: Cased | None) -> bool:
        """Whether a guarded entry found at ``keys[a:b]`` applies in its context."""
        r = entry.rules
        if r.case_sensitive and cased is not None:
            form = _cased_keys(entry.surface)
            if not all(_capitals_kept(f, cased(i)) for f, i in zip(form, range(a, b), strict=False)):
                return False
        for phrase in r.not_before:
            if tuple(keys[b:b + len(phrase)]) == phrase and b + len(phrase) <= hi:
                return False
        for phrase in r.not_after:
            if a - len(phrase) >= lo and tuple(keys[a - len(phrase):a]) == phrase:
                return False
        if r.not_before_word and b < hi:
            nxt = keys[b]
            if nxt.isalpha() and nxt not in self.function_words and nxt not in self.cue_starts:
                return False
        return True

    def lookup(self, phrase: str) -> Entry | None:
        """The entry for exactly this phrase, if the lexicon has one."""
        keys = _phrase_keys(phrase)
        for k, entry in self._index.get(keys[0], []) if keys else []:
            if k == keys and (not entry.rules.case_sensitive or all(
                    _capitals_kept(f, c) for f, c in zip(_cased_keys(entry.surface), _cased_keys(phrase),
                                                         strict=False))):
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
                for concept, spec in concepts.items():
                    out[concept] = list(_term_info(concept, cat, spec).forms)
        return out

    def term(self, concept: str) -> TermInfo | None:
        """Gender, sidedness and forms of a concept (by its lemma), if the lexicon has it."""
        return self._terms.get(concept.casefold())

    @property
    def measurements(self) -> frozenset[str]:
        """Concepts that are measured quantities or readings (``[concepts] measurement``): never a finding."""
        return frozenset(c.casefold() for c in self.data.get("concepts", {}).get("measurement", []))

    @property
    def imaging(self) -> dict[str, frozenset[str]]:
        """Region -> the concepts imaging of that region shows (``[concepts.imaging]``)."""
        return {region: frozenset(c.casefold() for c in concepts)
                for region, concepts in self.data.get("concepts", {}).get("imaging", {}).items()}

    def unknown_concepts(self) -> list[str]:
        """Keys under ``[concepts]`` that no term has (a misspelt key would otherwise classify nothing)."""
        listed = set(self.measurements).union(*self.imaging.values())
        return sorted(c for c in listed if c not in self._terms)

    def collisions(self) -> dict[str, list[str]]:
        """Surface forms listed in more than one role (a cue that is also a term, a side that is also a cue):
        the matcher can honour only one, so each is a mistake in the data. Abbreviations are not a role."""
        return {" ".join(k): sorted(roles) for k, roles in self._roles.items() if len(roles) > 1}

    @property
    def abbreviation_keys(self) -> list[tuple[str, ...]]:
        return [_phrase_keys(a) for a in self.data.get("text", {}).get("abbreviations", [])]

    @property
    def section_keys(self) -> list[tuple[str, ...]]:
        """Section headings ("Anamnes", "Past Medical History") as token keys."""
        return [_phrase_keys(a) for a in self.data.get("text", {}).get("sections", [])]


def _merge_rules(a: Rules, b: Rules) -> Rules:
    """``b`` over ``a``: guards and terminators add up, a set scope or direction wins."""
    return Rules(case_sensitive=a.case_sensitive or b.case_sensitive, not_before=a.not_before + b.not_before,
                 not_after=a.not_after + b.not_after, not_before_word=a.not_before_word or b.not_before_word,
                 max_scope=b.max_scope if b.max_scope is not None else a.max_scope,
                 terminated_by=a.terminated_by + b.terminated_by, direction=b.direction or a.direction)


def _rules_from(spec: dict[str, Any]) -> Rules:
    if not spec:
        return _NO_RULES
    return Rules(case_sensitive=bool(spec.get("case_sensitive", False)),
                 not_before=tuple(_phrase_keys(p) for p in spec.get("not_before", []) if _phrase_keys(p)),
                 not_after=tuple(_phrase_keys(p) for p in spec.get("not_after", []) if _phrase_keys(p)),
                 not_before_word=bool(spec.get("not_before_word", False)),
                 max_scope=spec.get("max_scope"),
                 terminated_by=tuple(_phrase_keys(p) for p in spec.get("terminated_by", []) if _phrase_keys(p)),
                 direction=spec.get("direction"))


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list):
            base[key] = list(dict.fromkeys([*base[key], *value]))
        else:
            base[key] = value


def _term_info(concept: str, category: str, spec: Any) -> TermInfo:
    if isinstance(spec, dict):
        forms = spec.get("forms", [])
        # A case-sensitive acronym's key is not a form of its own: "kol" (charcoal) is not "KOL".
        listed = forms or [concept] if spec.get("case_sensitive") else [concept, *forms]
        return TermInfo(concept, category, tuple(dict.fromkeys(listed)), spec.get("gender"),
                        bool(spec.get("sided", False)))
    return TermInfo(concept, category, tuple(dict.fromkeys([concept, *spec])))


_STR_LIST = _STRS
_SCHEMA: dict[str, dict[str, str]] = {
    "meta": {"language": "a string", "sources": _STR_LIST, "description": "a string"},
    "negation": {"pre": _STR_LIST, "post": _STR_LIST, "pseudo": _STR_LIST, "termination": _STR_LIST},
    "hedge": {"pre": _STR_LIST, "post": _STR_LIST},
    "sides": {"right": _STR_LIST, "left": _STR_LIST, "bilateral": _STR_LIST},
    "frequencies": {"forms": _STR_LIST},
    "text": {"abbreviations": _STR_LIST, "sections": _STR_LIST, "function_words": _STR_LIST,
             "general_words": _STR_LIST, "number_words": _STR_LIST},
    "confusables": {"pairs": "a list of [term, term] pairs"},
}
"""Tables with a fixed set of keys, and what each key holds. ``[terms.*]``, ``[drugs.*]``, ``[units]``,
``[routes]`` and ``[rules]`` are keyed by concept or form instead, and checked by :func:`_check`."""


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _holds(want: str, value: Any) -> bool:
    """Whether ``value`` is what a schema description ``want`` asks for."""
    if want == "a string":
        return isinstance(value, str)
    if want == _STRS:
        return _is_str_list(value)
    if want == _BOOL:
        return isinstance(value, bool)
    if want == _INT:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if want == _DIR:
        return value in DIRECTIONS
    if want.startswith("one of"):
        return value in GENDERS
    return isinstance(value, list) and all(_is_str_list(v) and len(v) == 2 for v in value)


Bad = Callable[[str, str], LexiconError]


def _check_table(where: str, spec: Any, keys: dict[str, str], bad: Bad) -> None:
    if not isinstance(spec, dict):
        raise bad(where, "must be a table")
    for key, value in spec.items():
        want = keys.get(key)
        if want is None:
            raise bad(f"{where} {key}", f"unknown key; known: {', '.join(keys)}")
        if not _holds(want, value):
            raise bad(f"{where} {key}", f"must be {want}")


def _check(data: dict[str, Any], source: str) -> None:
    """Raise :class:`LexiconError` naming ``source``, the table and the key of the first thing out of schema."""
    def bad(where: str, why: str) -> LexiconError:
        return LexiconError(f"lexicon {source}: {where}: {why} (see journal_fuzz/lexicon/SCHEMA.md)")

    known = [*_SCHEMA, "terms", "drugs", "units", "routes", "rules", "concepts"]
    for table, body in data.items():
        if table not in known:
            raise bad(f"[{table}]", f"unknown table; known: {', '.join(known)}")
        if not isinstance(body, dict):
            raise bad(table, "must be a table")
        if table in _SCHEMA:
            _check_table(f"[{table}]", body, _SCHEMA[table], bad)
        elif table == "terms":
            for category, concepts in body.items():
                if category not in TERM_CATEGORIES:
                    raise bad(f"[terms.{category}]", f"unknown category; known: {', '.join(TERM_CATEGORIES)}")
                if not isinstance(concepts, dict):
                    raise bad(f"[terms.{category}]", "must be a table of concept = [forms]")
                for concept, spec in concepts.items():
                    if not _is_str_list(spec):
                        if not isinstance(spec, dict):
                            raise bad(f"[terms.{category}] {concept!r}",
                                      "must be a list of forms or a table {forms = [...], gender = ..., sided = ...}")
                        _check_table(f"[terms.{category}] {concept!r}", spec, _TERM_KEYS, bad)
        elif table == "concepts":
            for key, value in body.items():
                if key == "measurement":
                    if not _is_str_list(value):
                        raise bad("[concepts] measurement", "must be a list of concept keys")
                elif key == "imaging":
                    if not isinstance(value, dict) or not all(_is_str_list(v) for v in value.values()):
                        raise bad("[concepts.imaging]", "must be a table of region = [concept keys]")
                else:
                    raise bad(f"[concepts] {key}", "unknown key; known: measurement, imaging")
        elif table == "rules":
            for form, spec in body.items():
                _check_table(f"[rules] {form!r}", spec, _RULE_KEYS, bad)
        elif table == "drugs":
            for key, value in body.items():
                if key not in ("substances", "products"):
                    raise bad(f"[drugs.{key}]", "unknown table; known: substances, products")
                if not isinstance(value, dict):
                    raise bad(f"[drugs.{key}]", "must be a table")
                for name, forms in value.items():
                    if key == "substances" and not _is_str_list(forms):
                        raise bad(f"[drugs.substances] {name!r}", "must be a list of strings")
                    if key == "products" and not isinstance(forms, str):
                        raise bad(f"[drugs.products] {name!r}", "must be the substance it contains (a string)")
        else:
            for name, forms in body.items():
                if not _is_str_list(forms):
                    raise bad(f"[{table}] {name!r}", "must be a list of strings")
def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise LexiconError(f"site lexicon not found: {path}") from None
    except IsADirectoryError:
        raise LexiconError(f"lexicon {path} is a directory, not a TOML file") from None
    except OSError as exc:
        raise LexiconError(f"cannot read lexicon {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LexiconError(f"lexicon {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"lexicon {path} is not valid TOML: {exc}") from None
    _check(data, str(path))
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


def _packaged(language: str) -> list[tuple[str, str]]:
    """The packaged files for ``language``: ``<language>.toml`` then ``<language>/*.toml`` by name."""
    root = resources.files("journal_fuzz.lexicon")
    files = [(f"{language}.toml", root.joinpath(f"{language}.toml").read_text(encoding="utf-8"))]
    folder = root.joinpath(language)
    if folder.is_dir():
        files += sorted((f"{language}/{f.name}", f.read_text(encoding="utf-8")) for f in folder.iterdir()
                        if f.name.endswith(".toml"))
    return files


@lru_cache(maxsize=32)
def _load(language: str, site: tuple[tuple[str, float], ...]) -> Lexicon:
    data: dict[str, Any] = {}
    sources: list[str] = []
    for name, text in _packaged(language):
        part = tomllib.loads(text)
        _check(part, f"journal_fuzz/lexicon/{name}")
        _merge(data, part)
        sources.append(f"journal_fuzz/lexicon/{name}")
    for path, _stamp in site:
        extra = _read(Path(path))
        lang = extra.get("meta", {}).get("language")
        if lang not in (None, language):
            continue
        extra = {k: v for k, v in extra.items() if k != "meta"}
        _merge(data, extra)
        sources.append(path)
    lexicon = Lexicon(language, data, sources)
    unknown = lexicon.unknown_rules()
    if unknown:
        raise LexiconError(f"lexicon {', '.join(sources)}: [rules] {unknown[0]!r}: no entry has this form "
                           "(see journal_fuzz/lexicon/SCHEMA.md)")
    return lexicon
