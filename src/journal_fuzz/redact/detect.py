"""Finding identifiers in one text: personnummer and samordningsnummer, e-mail addresses, dates, phone numbers,
street names, postcodes with towns, and names.

Detection knows nothing of what other texts of a case taught (that is :mod:`journal_fuzz.redact.recall`) and
chooses no replacement (that is :mod:`journal_fuzz.redact.pseudonyms`). It reads the text the way the oracle does
(:func:`journal_fuzz.text.tokenize`: references decoded, soft hyphens and zero-width characters gone, NFC) and never
takes a word the clinical lexicon knows for a name.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as _dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from journal_fuzz.constants import LANGUAGES
from journal_fuzz.lexicon import Lexicon, load_lexicon
from journal_fuzz.redact.words import words
from journal_fuzz.text import Tokens, tokenize

W = words()

# -- kinds and their precedence when two detections overlap (lower wins) -------------------------------------
PNR = "personnummer"
EMAIL = "email"
DATE = "date"
PHONE = "phone"
STREET = "street"
POSTCODE = "postcode"
TOWN = "town"
NAME = "name"
PRIORITY = {EMAIL: 0, PNR: 1, DATE: 2, PHONE: 3, STREET: 4, POSTCODE: 5, TOWN: 6, NAME: 8}
KNOWN = 7
"""Priority of a known original found again without its context: above a name found here, which may be only a
piece of it ("BjÃ" of a garbled "BjÃ¶rn")."""
NUMERIC = frozenset({PNR, PHONE, POSTCODE, DATE})

# -- month names, from the word lists ---------------------------------------------------------------------------
FULL, ABBR = "full", "abbr"
MONTH_INDEX: dict[str, list[tuple[str, str, int]]] = {}
"""Month word (casefolded) -> (language, form, month number) for every way it is written: the full name, the
abbreviation, or another abbreviation (the form is then the word itself, "sept")."""
for _lang in LANGUAGES:
    for _i, _m in enumerate(W.months[_lang]):
        MONTH_INDEX.setdefault(_m.casefold(), []).append((_lang, FULL, _i + 1))
    for _i, _m in enumerate(W.month_abbreviations[_lang]):
        MONTH_INDEX.setdefault(_m.casefold(), []).append((_lang, ABBR, _i + 1))
    for _m, _n in W.other_month_abbreviations.items():
        MONTH_INDEX.setdefault(_m.casefold(), []).append((_lang, _m.casefold(), _n))
# Written without a year only when the word cannot be anything else ("2 may be", "3 march").
_NO_YEAR_MONTHS = frozenset(m.casefold() for lang in LANGUAGES for m in W.months[lang]) - W.months_needing_a_year

_WORD = r"[^\W\d_]+(?:[-'’][^\W\d_]+)*"
WORD_RE = re.compile(_WORD)
SPACE_RE = re.compile(r"[ \t\u00a0]+")


def _alternation(items: Iterable[str]) -> str:
    return "|".join(re.escape(i) for i in items)


@dataclass(frozen=True)
class Hit:
    """One detection: offsets in the normalised text (``Tokens.norm``), what it is and what it says about it."""

    start: int
    end: int
    kind: str
    surface: str
    info: tuple[Any, ...] = ()
    priority: int = 0


def luhn(digits: str) -> int:
    """The check digit of a personnummer's first nine digits."""
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


def valid_day(year: int, month: int, day: int) -> bool:
    """Whether the date exists: a number is a personnummer or a date only if its date does."""
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


# -- personnummer, e-mail ------------------------------------------------------------------------------------
_PNR_RE = re.compile(r"(?<![\w+])(?<!\d[.,])(?P<c>18|19|20)?(?P<y>\d\d)(?P<m>\d\d)(?P<d>\d\d)(?P<sep>[-+]?)"
                     r"(?P<n>\d{3})(?P<k>\d)(?!\w)(?![.,]\d)")


def _personnummer(text: str) -> Iterator[Hit]:
    for m in _PNR_RE.finditer(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        samordning = d > 60
        day = d - 60 if samordning else d
        if not 1 <= mo <= 12 or not 1 <= day <= 31:
            continue
        years = [int(m["c"]) * 100 + y] if m["c"] else [1900 + y, 2000 + y]
        if not any(valid_day(year, mo, day) for year in years):
            continue
        core = m["y"] + m["m"] + m["d"] + m["n"]
        if luhn(core) != int(m["k"]):
            continue
        yield Hit(m.start(), m.end(), PNR, m.group(), (core + m["k"], bool(m["c"]), m["sep"], samordning))


_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")


def _emails(text: str) -> Iterator[Hit]:
    for m in _EMAIL_RE.finditer(text):
        yield Hit(m.start(), m.end(), EMAIL, m.group())


# -- dates ---------------------------------------------------------------------------------------------------
ISO_RE = re.compile(r"(?<![\w\-/.])(?P<y>(?:19|20)\d\d)(?P<s>[-/])(?P<m>\d\d)(?P=s)(?P<d>\d\d)(?![\d/])")
DMY_RE = re.compile(r"(?<![\w\-/.,])(?P<d>\d{1,2})(?P<s>[/.-])(?P<m>\d{1,2})(?P=s)(?P<y>(?:19|20)\d\d)(?![\d/])")
_MONTH_ALT = _alternation(sorted(MONTH_INDEX, key=len, reverse=True))
DMONY_RE = re.compile(r"(?<![\w,.])(?P<d>\d{1,2})(?P<ord>:e|:a|st|nd|rd|th)?(?P<sp1>[ \u00a0])"
                      rf"(?P<mon>{_MONTH_ALT})(?P<dot>\.)?(?:(?P<sp2>[ \u00a0])(?P<y>(?:19|20)\d\d))?(?![\w])",
                      re.IGNORECASE)
MONDY_RE = re.compile(rf"(?<![\w])(?P<mon>{_MONTH_ALT})(?P<dot>\.)?(?P<sp1>[ \u00a0])(?P<d>\d{{1,2}})"
                      r"(?P<ord>st|nd|rd|th)?(?P<comma>,?)(?P<sp2>[ \u00a0])(?P<y>(?:19|20)\d\d)(?![\w])",
                      re.IGNORECASE)


def _dates(text: str, language: str) -> Iterator[Hit]:
    for m in ISO_RE.finditer(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        if valid_day(y, mo, d):
            yield Hit(m.start(), m.end(), DATE, m.group(), ("iso", m["s"]))
    for m in DMY_RE.finditer(text):
        a, b, y = int(m["d"]), int(m["m"]), int(m["y"])
        # Day first (Swedish and British), unless only the other order makes a date.
        if valid_day(y, b, a):
            order = "dm"
        elif valid_day(y, a, b):
            order = "md"
        else:
            continue
        yield Hit(m.start(), m.end(), DATE, m.group(), ("dmy", m["s"], order))
    for m in DMONY_RE.finditer(text):
        hit = _month_hit(m, language, "dmon")
        if hit is not None:
            yield hit
    for m in MONDY_RE.finditer(text):
        hit = _month_hit(m, language, "mond")
        if hit is not None:
            yield hit


def _month_hit(m: re.Match[str], language: str, layout: str) -> Hit | None:
    word = m["mon"].casefold()
    forms = MONTH_INDEX[word]
    lang, form, month = next(((lg, f, n) for lg, f, n in forms if lg == language), forms[0])
    if m["y"] is None:
        if word not in _NO_YEAR_MONTHS or m["dot"]:
            return None
        year = 2000 if (month, int(m["d"])) == (2, 29) else 2001
    else:
        year = int(m["y"])
    if not valid_day(year, month, int(m["d"])):
        return None
    return Hit(m.start(), m.end(), DATE, m.group(), (layout, lang, form))


# -- phone numbers -------------------------------------------------------------------------------------------
_PHONE_RE = re.compile(
    r"(?<![\w+])(?<!\d[.,/-])(?:"
    r"(?P<intl>(?:\+|00)46)(?P<isep>[ \-]?)(?P<zero>\(0\)[ \-]?)?(?P<iarea>[1-9]\d{0,2})(?P<asep>[ \-]?)"
    r"(?P<isub>\d{2,8}(?:[ \-]\d{2,4}){0,4})"
    r"|(?P<area>0[1-9]\d{0,2})(?P<nsep>[ \u00a0]?[-–/][ \u00a0]?|[ \u00a0])(?P<sub>\d{2,8}(?:[ \-]\d{2,4}){0,4})"
    r"|(?P<mobile>07\d{8})"
    r")(?![\w])(?![.,]\d)")
_PNR_SHAPE = re.compile(r"\d{6}[-+]\d{4}")


def _phones(text: str) -> Iterator[Hit]:
    pos = 0
    while True:
        m = _PHONE_RE.search(text, pos)
        if m is None:
            return
        hit = _phone_hit(m)
        if hit is None:
            pos = m.start() + 1
            continue
        yield hit
        pos = hit.end


def _phone_hit(m: re.Match[str]) -> Hit | None:
    """The longest valid Swedish number the match starts with (a trailing group may belong to the next one)."""
    if m["mobile"]:
        return Hit(m.start(), m.end(), PHONE, m.group(), (m.group(),))
    area = "0" + m["iarea"] if m["intl"] else m["area"]
    sub_key = "isub" if m["intl"] else "sub"
    sub_start = m.start(sub_key)
    groups = list(re.finditer(r"\d+", m[sub_key]))
    for n in range(len(groups), 0, -1):
        end = sub_start + groups[n - 1].end()
        sub_digits = "".join(g.group() for g in groups[:n])
        national = area + sub_digits
        surface = m.string[m.start():end]
        if not 5 <= len(sub_digits) <= 8 or not 8 <= len(national) <= 10 or len(area) > 4:
            continue
        if _PNR_SHAPE.fullmatch(surface):
            return None
        if end < len(m.string) and (m.string[end].isalnum() or (m.string[end] in ".," and end + 1 < len(m.string)
                                                                 and m.string[end + 1].isdigit())):
            continue
        return Hit(m.start(), end, PHONE, surface, (national,))
    return None


# -- addresses -----------------------------------------------------------------------------------------------
STREET_SUFFIX_RE = re.compile(rf"(?:{_alternation(W.street_suffixes)})$")
_STREET_RE = re.compile(
    rf"(?<![\w])(?P<name>(?:(?:{_alternation(W.street_prefixes)})[ \u00a0])?"
    rf"[A-ZÅÄÖ][a-zåäöéü]+(?:{_alternation(W.street_suffixes)}))"
    r"(?P<num>[ \u00a0]\d{1,4}(?:[ \u00a0]?[A-Za-z](?![\w]))?)(?![\w])")
_POSTTOWN_RE = re.compile(r"(?<![\w])(?P<pc>[1-9]\d{2}[ \u00a0]?\d{2})(?![\d])[ \u00a0]+"
                          r"(?P<town>[A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?)(?![\w])")


def _addresses(text: str) -> Iterator[tuple[Hit, ...]]:
    """Street names (the house number stays), and postcode + town pairs."""
    for m in _STREET_RE.finditer(text):
        if len(m["name"]) >= 7:
            yield (Hit(m.start("name"), m.end("name"), STREET, m["name"]),)
    for m in _POSTTOWN_RE.finditer(text):
        yield (Hit(m.start("pc"), m.end("pc"), POSTCODE, m["pc"]),
               Hit(m.start("town"), m.end("town"), TOWN, m["town"]))


# -- names ---------------------------------------------------------------------------------------------------
def lexicons() -> tuple[Lexicon, ...]:
    """Every language's clinical lexicon: a word any of them knows is never a name."""
    return tuple(load_lexicon(lang) for lang in LANGUAGES)


class Protection:
    """Where the clinical lexicon matches a text: those characters are never a name."""

    def __init__(self, tokens: Tokens, language: str) -> None:
        self.lexicon = load_lexicon(language)
        self.others = tuple(load_lexicon(lang) for lang in LANGUAGES if lang != language)
        # Offsets in the normalised text (``tokens.norm``), where detection runs.
        spans = [(tokens.start(mt.start), tokens.end(mt.end - 1)) for mt in self.lexicon.match(tokens.keys)]
        self.spans = sorted(spans)
        self.starts = [a for a, _ in self.spans]

    def covers(self, start: int, end: int) -> bool:
        """Whether a lexicon match overlaps ``text[start:end]`` (matches never overlap each other)."""
        k = bisect.bisect_right(self.starts, end - 1) - 1
        return k >= 0 and self.spans[k][1] > start

    def protects(self, start: int, end: int, word: str) -> bool:
        """Whether the word at ``start`` is clinical. A hyphenated word is clinical when the lexicon knows it
        whole or knows every part ("Inga-Lill" is a name although "inga" is a negation cue)."""
        if self.word(word):
            return True
        if "-" not in word:
            return self.covers(start, end)
        pos = start
        for part in word.split("-"):
            if part and not self.covers(pos, pos + len(part)):
                return False
            pos += len(part) + 1
        return True

    def word(self, word: str) -> bool:
        return lexical(word, self.lexicon) or any(lexical(word, lx) for lx in self.others)


@lru_cache(maxsize=65536)
def lexical(word: str, lexicon: Lexicon) -> bool:
    """Whether ``lexicon`` knows ``word``, whole or every part of it."""
    if lexicon.lookup(word) is not None:
        return True
    # "Inga-Lill" is a name, but each part of "Höger-vänster" is clinical.
    parts = re.split(r"[-'’]", word)
    return len(parts) > 1 and all(lexicon.lookup(p) is not None for p in parts if p)


def capitalised(word: str) -> bool:
    """Names are capitalised; a lower-case word after a cue is the sentence going on."""
    return word[:1].isupper()


def surname_shape(word: str) -> bool:
    """Whether ``word`` looks like a family name (-sson, -berg, -ström ... or -son after a consonant)."""
    w = word.casefold()
    if w in W.not_surnames or len(w) < 5:
        return False
    for ending in W.surname_endings:
        if w.endswith(ending) and len(w) - len(ending) >= 2:
            return True
    if w.endswith("son"):
        stem = w[:-3]
        return len(stem) >= 2 and stem[-1] not in "aeiouyåäöé"
    return False


def _first_name(word: str) -> bool:
    w = word.casefold()
    return w in W.first_names or ("-" in w and any(p in W.first_names for p in w.split("-") if p))


def _eponym(word: str) -> bool:
    parts = [p for p in re.split(r"[-'’]", word.casefold()) if p]
    return any(p in W.eponyms or (p.endswith("s") and p[:-1] in W.eponyms) for p in parts)


def _genitive_base(word: str, known: Callable[[str], bool]) -> str:
    """``Annas`` -> ``Anna`` when ``Anna`` is a name; the word itself otherwise."""
    if len(word) > 3 and word.endswith("s") and known(word[:-1]):
        return word[:-1]
    return word


@lru_cache(maxsize=4)
def _cue_re(language: str) -> re.Pattern[str]:
    roles = sorted({*W.roles["shared"], *W.roles.get(language, ())}, key=len, reverse=True)
    labels = sorted(W.labels, key=len, reverse=True)
    titles = _alternation(sorted(W.titles, key=len, reverse=True))
    role = _alternation(roles)
    label = _alternation(labels)
    return re.compile(
        rf"(?<![\w/])(?:(?P<title>{titles})\.?(?=[ \u00a0:])|(?i:(?P<label>{label}))[ \u00a0]*:|"
        rf"(?i:(?P<role>{role}))(?![\w]))(?P<gap>[ \u00a0]*:?[ \u00a0\t]*)"
        r"|(?:(?<=\s)|^)(?P<slash>/)(?=[^\W\d_])", re.MULTILINE)


_CUE_WORDS = frozenset(w.casefold() for w in (*W.titles, *W.labels, *(r for v in W.roles.values() for r in v))
                       if " " not in w)
NEVER_NAMES = W.particles | _CUE_WORDS | W.stop
"""Words that are never a name, even in a field that holds one."""


@lru_cache(maxsize=4)
def _section_words(language: str) -> frozenset[str]:
    """Words of section headings ("Anamnes", "Physical Examination"): never a name."""
    found: set[str] = set()
    for lang in (language, *(lg for lg in LANGUAGES if lg != language)):
        for heading in load_lexicon(lang).data.get("text", {}).get("sections", []):
            found.update(w.casefold() for w in WORD_RE.findall(str(heading)))
    return frozenset(found)


class Detector:
    """Every identifier in one text, before overlaps are resolved."""

    def __init__(self, tokens: Tokens, language: str, known_names: Mapping[str, str] | None = None) -> None:
        # Detection reads the text the way the oracle does: entities decoded, soft hyphens and zero-width
        # characters gone, NFC. A name written "Kers\u200btin" or "&#214;rjan" is still found.
        self.tokens = tokens
        self.text = tokens.norm
        self.language = language
        self.prot = Protection(tokens, language)
        self.known_names = known_names or {}
        self.sections = _section_words(language)

    def hits(self) -> list[Hit]:
        t = self.text
        out: list[Hit] = []
        out.extend(_emails(t))
        out.extend(_personnummer(t))
        out.extend(_dates(t, self.language))
        out.extend(_phones(t))
        for group in _addresses(t):
            town = group[-1]
            if town.kind == TOWN and not self._nameable(town.start, town.end, town.surface, free=False):
                continue
            out.extend(group)
        out.extend(self.names())
        return [dataclasses.replace(h, priority=PRIORITY[h.kind]) for h in out]

    def forced(self, kind: str) -> list[Hit]:
        """The whole text as a name, a town or a postcode: a field that is one by its place in a FHIR resource."""
        text = self.text
        hits: list[Hit] = []
        if kind == NAME:
            n = 0
            for m in WORD_RE.finditer(text):
                w = m.group()
                if w.casefold() in NEVER_NAMES or self.prot.protects(m.start(), m.end(), w):
                    continue
                hits.append(Hit(m.start(), m.end(), NAME, w, (n,), KNOWN - 1))
                n += 1
            return hits
        stripped = text.strip()
        if stripped and (kind != POSTCODE or re.fullmatch(r"[\d \u00a0]{5,6}", stripped)):
            a = text.index(stripped)
            hits.append(Hit(a, a + len(stripped), kind, stripped, ("field",), PRIORITY[kind]))
        return hits

    # -- names --------------------------------------------------------------------------------------------
    def _nameable(self, start: int, end: int, word: str, *, free: bool) -> bool:
        w = word.casefold()
        if len(word) < 2 or w in W.stop or w in _CUE_WORDS or w in self.sections:
            return False
        if self.prot.protects(start, end, word):
            return False
        return not (free and _eponym(word))

    def _is_name_word(self, word: str) -> bool:
        return _first_name(word) or word.casefold() in self.known_names

    def names(self) -> list[Hit]:
        t = self.text
        out: list[Hit] = []
        taken: set[int] = set()

        def take(hits: Iterable[Hit]) -> None:
            for h in hits:
                if h.start not in taken:
                    taken.add(h.start)
                    out.append(h)

        for m in _cue_re(self.language).finditer(t):
            # After a label ("Pat:", "Namn:", "/") a sentence may start instead: "Pat: Mår bra."
            guard = m["label"] is not None or m["slash"] is not None or m["title"] in ("Pat", "Pt")
            take(self._run(m.end(), limit=4, free=False, guard=guard))
        for m in WORD_RE.finditer(t):
            if m.start() in taken:
                continue
            word = m.group()
            if not capitalised(word):
                continue
            base = _genitive_base(word, self._is_name_word)
            if not (_first_name(base) or surname_shape(base)):
                continue
            if not self._nameable(m.start(), m.start() + len(base), base, free=True):
                continue
            take([Hit(m.start(), m.start() + len(base), NAME, base, (0,))])
            # A first name is usually followed by the family name ("Anna Nord").
            take(self._run(m.end(), limit=2, free=True, first_position=1, need_gap=True))
        return out

    def _run(self, pos: int, *, limit: int, free: bool, first_position: int = 0, need_gap: bool = False,
             guard: bool = False) -> Iterator[Hit]:
        """Capitalised words from ``pos`` on, one space apart: the name written after a cue."""
        t = self.text
        n = first_position
        count = 0
        while count < limit:
            if need_gap or count:
                gap = SPACE_RE.match(t, pos)
                if gap is None or gap.end() - gap.start() > 1:
                    return
                pos = gap.end()
            m = WORD_RE.match(t, pos)
            if m is None:
                return
            word = m.group()
            if word.casefold() in W.particles and count:
                # "Ludwig van Beethoven": go on only if a capitalised word follows.
                nxt = SPACE_RE.match(t, m.end())
                after = WORD_RE.match(t, nxt.end()) if nxt is not None else None
                if after is None or not capitalised(after.group()):
                    return
                pos = m.end()
                count += 1
                continue
            if not capitalised(word):
                return
            base = _genitive_base(word, lambda w: self._is_name_word(w) or surname_shape(w))
            if not self._nameable(m.start(), m.start() + len(base), base, free=free):
                return
            follows = t[m.end():m.end() + 2]
            if guard and not count and not (self._is_name_word(base) or surname_shape(base)) \
                    and len(follows) == 2 and follows[0] in " \u00a0" and follows[1].islower():
                return  # a capitalised word then a lower-case one: a sentence, not a name
            yield Hit(m.start(), m.start() + len(base), NAME, base, (n,))
            n += 1
            count += 1
            pos = m.end()


def resolve(hits: Iterable[Hit]) -> list[Hit]:
    """Non-overlapping hits, the more specific kind winning, in text order."""
    starts: list[int] = []
    chosen: list[Hit] = []  # sorted by start, never overlapping
    for h in sorted(hits, key=lambda h: (h.priority, h.start, -(h.end - h.start))):
        if h.end <= h.start:
            continue
        k = bisect.bisect_left(starts, h.start)
        if (k > 0 and chosen[k - 1].end > h.start) or (k < len(chosen) and chosen[k].start < h.end):
            continue
        starts.insert(k, h.start)
        chosen.insert(k, h)
    return chosen


# -- public ---------------------------------------------------------------------------------------------------
def check_language(language: str) -> str:
    """``language``, if journal_fuzz has lexicons for it: redaction without one would take clinical words for
    names."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    return language


class Identifier(NamedTuple):
    """One identifier found in a text: what it is and where."""

    kind: str
    """personnummer, name, phone, email, street, postcode, town or date."""
    start: int
    end: int
    text: str


def find_identifiers(text: str, language: str = "sv") -> list[Identifier]:
    """Every identifier redaction replaces in ``text`` on its own (without what other texts of a case taught)."""
    check_language(language)
    tokens = tokenize(text)
    out = []
    for h in resolve(Detector(tokens, language).hits()):
        a, b = tokens.orig(h.start), tokens.orig_end(h.end)
        out.append(Identifier(h.kind, a, b, text[a:b]))
    return out


def identifiers(text: str, language: str = "sv") -> list[str]:
    """The identifiers redaction replaces in ``text``, as written there, in order, each once."""
    return list(dict.fromkeys(i.text for i in find_identifiers(text, language)))
