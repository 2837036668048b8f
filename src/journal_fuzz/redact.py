"""Redaction of saved cases: take the personal data out of a reported word loss and keep the loss.

A case written from a real incident holds real patient text. Before it leaves the hospital it must lose every
identifier and keep every clinical word, so the redacted case still shows the same loss. The rules:

* **personnummer / samordningsnummer** (10 or 12 digits, ``-``, ``+`` or no separator) are replaced only when the
  date and the check digit are valid; a number that merely looks like one is left alone. The replacement has the
  original's shape (century or not, separator) and comes from Skatteverket's test numbers
  (:data:`journal_fuzz.synthetic.TEST_PERSONNUMMER`), then from a synthetic series born in the 2090s.
* **names** after a cue (``Pat:``, ``Dr``, ``ssk``, ``dotter``, a ``/Signature`` ...), any word of a list of common
  first names, and capitalised words with a family-name ending (-sson, -berg, -ström, -qvist ...): never a word the
  clinical lexicon knows (terms, drugs, cues, sides, units, lab names), never an eponym in free text (Parkinsons
  sjukdom). Pseudonyms are invented names, one per original.
* **phone numbers** become numbers from PTS's series reserved for fiction, **e-mail addresses** become
  ``@example.com`` addresses, **street names**, **postcodes** and **towns** become synthetic ones, and **dates**
  are all moved by one random number of days, so the intervals between them survive.

Detection reads text the way the oracle does (character references decoded, soft hyphens and zero-width characters
dropped, NFC) and RTF with its ``\\u228?`` escapes read, so a name is found however it is written.

One :class:`Pseudonyms` carries the choices over every text of a case, so the sent and the received text get the
same replacements and the oracle sees the same difference after redaction as before. An original met once is
also found where its context was lost (a cue dropped in the received text), where it was damaged (mojibake,
characters dropped, a digit changed, one letter off) and where the text stops inside it; its pseudonym is damaged
the same way, so the finding survives. :func:`redact_case` checks that by running the oracle again.

Limits: names are found by cues, a first-name list and family-name endings, so a bare unusual name in free text
("Vik", "Lo") is found only if the same case also names it after a cue; personnummer need a valid date and check
digit (one without is left as written, unless it is a near miss of a valid one elsewhere in the case); dates need
a year, except with a full month name; postcode and town only together ("411 19 Göteborg"); attachments that are
not text (PDF) are left as they are and listed in :attr:`Pseudonyms.unredacted`.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import dataclasses
import datetime as _dt
import hashlib
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, NamedTuple

from journal_fuzz.cases import Case
from journal_fuzz.constants import FHIR, LANGUAGES
from journal_fuzz.exchange import judge
from journal_fuzz.lexicon import Lexicon, load_lexicon
from journal_fuzz.oracle import Verdict, detect_language
from journal_fuzz.text import Tokens, tokenize

__all__ = ["REDACTED_MARK", "Identifier", "Pseudonyms", "find_identifiers", "identifiers", "is_redacted",
           "redact_case", "redact_text", "same_findings"]

REDACTED_MARK = "+redacted"
"""Appended to :attr:`Case.source` of a redacted case (``incident+redacted``)."""

# -- kinds and their precedence when two detections overlap (lower wins) -------------------------------------
PNR = "personnummer"
EMAIL = "email"
DATE = "date"
PHONE = "phone"
STREET = "street"
POSTCODE = "postcode"
TOWN = "town"
NAME = "name"
_PRIORITY = {EMAIL: 0, PNR: 1, DATE: 2, PHONE: 3, STREET: 4, POSTCODE: 5, TOWN: 6, NAME: 8}
_KNOWN = 7
"""Priority of a known original found again without its context: above a name found here, which may be only a
piece of it ("BjÃ" of a garbled "BjÃ¶rn")."""

# ---------------------------------------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------------------------------------
# Common Swedish and English first names. Left out on purpose: names that are also everyday or clinical words
# (Per, Bo, Hans, Max, Mark, Will, May, Grace, Rose, Iris, Klara, Liv, Stig, Sten, Ester, Linda, Axel, Pat ...);
# those are still found after a cue ("son Per", "Dr Frank").
_FIRST = frozenset(n.casefold() for n in """
Anna Eva Maria Karin Kristina Lena Sara Kerstin Emma Ingrid Marie Malin Jenny Hanna Hannah Annika Susanne
Elin Monica Birgitta Sofia Johanna Carina Elisabeth Julia Ulla Katarina Linnea Linnéa Emelie Ida Helena Camilla
Åsa Anneli Cecilia Sandra Gunilla Ann Maja Ebba Alice Elsa Agnes Astrid Wilma Signe Margareta Inger Britt
Marianne Lisa Anette Ylva Märta Birgit Gunnel Ingegerd Ewa Frida Tove Moa Nora Matilda Tilda Ella Ellen Alva
Lovisa Josefin Therese Jessica Louise Ulrika Pernilla Madeleine Charlotte Viktoria Mona Siv Solveig Ingela
Lars Mikael Michael Anders Johan Erik Karl Carl Peter Jan Thomas Tomas Daniel Fredrik Bengt Mats Stefan
Andreas Magnus Mattias Jonas Niklas Björn Marcus Markus Oskar Oscar Gustav Sven Nils Olof Lennart Gunnar Leif
Kjell Ulf Göran Henrik Christer Tommy Patrik Robert Joakim Martin Roger Håkan Sture Örjan Rolf Bertil Ingvar
Arne Åke Tolvan Viktor Emil Hugo Elias Lucas William Alexander Oliver Filip Jakob Sebastian Simon Anton
Linus Rasmus Jörgen Torbjörn Kenneth Claes Gösta Rune Sören Tore Evert Folke Kent Lasse Janne Pelle Kalle
John James David Mary Jennifer Elizabeth Susan Sarah Karen Nancy Margaret Ashley Emily Michelle Charles
Christopher Matthew Anthony Steven Paul Andrew Joshua Kevin Brian George Edward Jason Jeffrey Ryan Jacob Gary
Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Patrick Dennis Jerry Tyler
Aaron Henry Douglas Adam Nathan Zachary Walter Kyle Harold Arthur Gerald Keith Jeremy Terry Lawrence Sean
Albert Ethan Jesse Bryan Bruce Ralph Noah Dylan Alan Louis Russell Gabriel Philip Harry Vincent Barbara Betty
Dorothy Helen Deborah Carol Amanda Melissa Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Shirley Angela
Brenda Pamela Nicole Ruth Katherine Samantha Christine Catherine Rachel Carolyn Janet Heather Diane Julie Joyce
Kelly Christina Joan Evelyn Lauren Judith Olivia Martha Cheryl Megan Andrea Jacqueline Kathryn Gloria Teresa
Doris Janice Judy Theresa Beverly Denise Marilyn Danielle Abigail Diana Natalie Sophia Lori Jane Susie Margot
""".split())
# Family-name endings; "-son" only after a consonant and not in the words below ("person", "lesson").
_SURNAME_ENDINGS = ("sson", "berg", "ström", "strom", "qvist", "kvist", "quist", "lund", "gren", "dahl", "stedt",
                    "blom", "holm")
_NOT_SURNAMES = frozenset("person lesson arson parson caisson comparison garrison venison damson mason bison "
                          "jason samson reason season poison prison unison orison stockholm".split())
# Eponyms keep their clinical meaning in free text ("Parkinsons sjukdom", "Stevens-Johnson", "Rombergs test").
_EPONYMS = frozenset("""
parkinson wilson sjögren addison hodgkin crohn alzheimer bechterew cushing graves hashimoto raynaud ménière menière
guillain barré tourette asperger huntington kaposi dupuytren colles baker bell horton horner lyme bartholin
trendelenburg lachman babinski romberg lasègue murphy mcburney glasgow apgar willebrand ehlers danlos marfan turner
klinefelter cheyne stokes wernicke korsakoff broca alport fallot osgood schlatter perthes scheuermann bankart
hill sachs weber galeazzi monteggia barton bennett lisfranc achilles wolff creutzfeldt stevens robertson
down sudeck quincke
""".split())
# Capitalised words that are not names even in a name's place ("Dr" then "Han" is the next sentence).
_STOP = frozenset(w.casefold() for w in """
Han Hon Den Det De Dem Vi Jag Du Ni Man Och Men Eller Som Är Var Har Hade Blir Kan Ska Får Vid På I Av Till Från
Efter Enligt Hos Med Om Under Över Inför Pga Ev Ca Kl Se Sedan Nu Idag Igår Imorgon Ring Remiss Svar Ny Nytt
Journal Anteckning Besök Mottagning Avdelning Sjukhus Sjukhuset Akuten Vårdcentral Vårdcentralen Region Regionen
Patient Patienten Pat Tel Telefon Telefonnummer Mobil Mobilnummer Adress Hemadress Postadress Postnummer Mejl
E-post Epost Datum Tid Ort Bor Tfn Personnummer Pnr Samordningsnummer Reservnummer Födelsedatum Ålder Kön Id
He She It They We You The A An And But Or As Is Was Has Had At On In Of To From After With By For About
Under Over Before Since Today Yesterday Tomorrow Call Referral Report Note Discharge Admission Hospital Clinic
Ward Department Phone Address Email Date Time Mobile DOB Age Sex MRN Number
Måndag Tisdag Onsdag Torsdag Fredag Lördag Söndag Monday Tuesday Wednesday Thursday Friday Saturday Sunday
Januari Februari Mars April Maj Juni Juli Augusti September Oktober November December January February March
June July August October Mr Mrs Ms Miss Dr Prof Sir Madam
""".split())
_PARTICLES = frozenset({"von", "af", "van", "de", "der", "den", "la", "le", "di", "da", "del", "mac"})

# Cues after which the next capitalised words are a name. Titles are matched as written (so the unit "ms" is
# not "Ms"); labels need a colon ("Namn: Anna", not "namn på läkemedlet"); the rest are matched in any case.
_TITLES = ("Dr", "Doktor", "Prof", "Professor", "Mr", "Mrs", "Ms", "Miss", "Fru", "Herr", "Pat", "Pt", "Ssk",
           "Usk", "Leg", "Doctor", "Nurse", "RN")
_LABELS = ("patient", "patienten", "namn", "name", "kontaktperson", "kontakt", "contact", "anhörig", "anhöriga",
           "närstående", "next of kin", "remittent", "remitterande", "remitterande läkare", "inremitterande",
           "inremitterande läkare", "ansvarig läkare", "ansvarig", "läkare", "sign", "signatur", "signature",
           "signed", "signerad", "signerat", "vidimerad", "dikterad", "granskad", "utfärdad", "attending",
           "referring physician", "referred by", "dictated by", "signed by", "physician", "provider", "författare",
           "author", "vårdnadshavare", "god man", "ombud", "tolk", "guardian")
_ROLES = {
    "shared": ("son", "partner", "signerad av", "signerat av", "dikterad av", "vidimerad av", "granskad av",
               "skriven av", "signed by", "dictated by", "reviewed by", "seen by", "sjuksköterska",
               "undersköterska", "barnmorska", "överläkare", "underläkare", "specialistläkare", "distriktsläkare",
               "AT-läkare", "ST-läkare", "leg. läkare", "leg. ssk", "leg läkare", "läkare", "ssk", "usk",
               "fysioterapeut", "sjukgymnast", "kurator", "arbetsterapeut", "dietist", "psykolog", "heter",
               "kallad", "named", "called"),
    "sv": ("dotter", "dottern", "döttrar", "sonen", "make", "maken", "maka", "makan", "hustru", "hustrun", "fru",
           "frun", "sambo", "sambon", "mamma", "mamman", "pappa", "pappan", "mor", "far", "modern", "fadern",
           "bror", "brodern", "syster", "systern", "mormor", "morfar", "farmor", "farfar",
           "barnbarn", "granne", "grannen", "vän", "väninna", "pojkvän", "flickvän", "svärson", "svärdotter",
           "styvson", "styvdotter"),
    "en": ("daughter", "wife", "husband", "mother", "father", "brother", "sister", "mom", "mum", "dad",
           "grandson", "granddaughter", "neighbour", "neighbor", "friend", "nurse", "doctor"),
}

_MONTHS = {
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december"),
    "en": ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"),
}
_MONTH_ABBR = {
    "sv": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
}
_MONTH_INDEX: dict[str, list[tuple[str, str, int]]] = {}
for _lang in ("sv", "en"):
    for _i, _m in enumerate(_MONTHS[_lang]):
        _MONTH_INDEX.setdefault(_m, []).append((_lang, "full", _i + 1))
    for _i, _m in enumerate(_MONTH_ABBR[_lang]):
        _MONTH_INDEX.setdefault(_m, []).append((_lang, "abbr", _i + 1))
    _MONTH_INDEX.setdefault("sept", []).append((_lang, "sept", 9))
# Written without a year only when the word cannot be anything else ("2 may be", "3 march").
_NO_YEAR_MONTHS = frozenset(m for lang in ("sv", "en") for m in _MONTHS[lang]) - {"may", "march"}

# Pseudonym pools. Invented names; the first come from the generators' own lists.
_OWN_FIRST = ("Testa", "Provis", "Exemplar", "Fiktus", "Låtsa", "Övnis", "Mönstra", "Påhitta")
_OWN_LAST = ("Exempelsson", "Provqvist", "Testlund", "Låtsasberg", "Fiktivgren", "Påhittström", "Övningsdahl")
_STREET_STEMS = ("Exempel", "Test", "Prov", "Påhitt", "Fiktions", "Låtsas", "Övnings", "Modell", "Mönster")
_TOWNS = ("Exempelby", "Teststad", "Provköping", "Påhittsala", "Fiktivhamn", "Låtsasvik", "Övningsås")
# Post- och telestyrelsen reserves these series for use in books, films and examples (national form).
_PTS_SERIES = {"mobile": ("0701740", 605, 699), "08": ("0846500", 400, 499), "031": ("0313900", 600, 699),
               "040": ("0406280", 400, 499), "other": ("0980319", 200, 299)}

_WORD = r"[^\W\d_]+(?:[-'’][^\W\d_]+)*"
_WORD_RE = re.compile(_WORD)
_SPACE_RE = re.compile(r"[ \t\u00a0]+")


# ---------------------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: str
    surface: str
    info: tuple[Any, ...] = ()
    priority: int = 0


def _luhn(digits: str) -> int:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


_PNR_RE = re.compile(r"(?<![\w+])(?<!\d[.,])(?P<c>18|19|20)?(?P<y>\d\d)(?P<m>\d\d)(?P<d>\d\d)(?P<sep>[-+]?)"
                     r"(?P<n>\d{3})(?P<k>\d)(?!\w)(?![.,]\d)")


def _personnummer(text: str) -> Iterator[_Hit]:
    for m in _PNR_RE.finditer(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        samordning = d > 60
        day = d - 60 if samordning else d
        if not 1 <= mo <= 12 or not 1 <= day <= 31:
            continue
        years = [int(m["c"]) * 100 + y] if m["c"] else [1900 + y, 2000 + y]
        if not any(_valid_day(year, mo, day) for year in years):
            continue
        core = m["y"] + m["m"] + m["d"] + m["n"]
        if _luhn(core) != int(m["k"]):
            continue
        yield _Hit(m.start(), m.end(), PNR, m.group(), (core + m["k"], bool(m["c"]), m["sep"], samordning))


_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")


def _emails(text: str) -> Iterator[_Hit]:
    for m in _EMAIL_RE.finditer(text):
        yield _Hit(m.start(), m.end(), EMAIL, m.group())


_ISO_RE = re.compile(r"(?<![\w\-/.])(?P<y>(?:19|20)\d\d)(?P<s>[-/])(?P<m>\d\d)(?P=s)(?P<d>\d\d)(?![\d/])")
_DMY_RE = re.compile(r"(?<![\w\-/.,])(?P<d>\d{1,2})(?P<s>[/.-])(?P<m>\d{1,2})(?P=s)(?P<y>(?:19|20)\d\d)(?![\d/])")
_MONTH_ALT = "|".join(sorted(_MONTH_INDEX, key=len, reverse=True))
_DMONY_RE = re.compile(r"(?<![\w,.])(?P<d>\d{1,2})(?P<ord>:e|:a|st|nd|rd|th)?(?P<sp1>[ \u00a0])"
                       rf"(?P<mon>{_MONTH_ALT})(?P<dot>\.)?(?:(?P<sp2>[ \u00a0])(?P<y>(?:19|20)\d\d))?(?![\w])",
                       re.IGNORECASE)
_MONDY_RE = re.compile(rf"(?<![\w])(?P<mon>{_MONTH_ALT})(?P<dot>\.)?(?P<sp1>[ \u00a0])(?P<d>\d{{1,2}})"
                       r"(?P<ord>st|nd|rd|th)?(?P<comma>,?)(?P<sp2>[ \u00a0])(?P<y>(?:19|20)\d\d)(?![\w])",
                       re.IGNORECASE)


def _dates(text: str, language: str) -> Iterator[_Hit]:
    for m in _ISO_RE.finditer(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        if _valid_day(y, mo, d):
            yield _Hit(m.start(), m.end(), DATE, m.group(), ("iso", m["s"]))
    for m in _DMY_RE.finditer(text):
        a, b, y = int(m["d"]), int(m["m"]), int(m["y"])
        # Day first (Swedish and British), unless only the other order makes a date.
        if _valid_day(y, b, a):
            order = "dm"
        elif _valid_day(y, a, b):
            order = "md"
        else:
            continue
        yield _Hit(m.start(), m.end(), DATE, m.group(), ("dmy", m["s"], order))
    for m in _DMONY_RE.finditer(text):
        hit = _month_hit(m, language, "dmon")
        if hit is not None:
            yield hit
    for m in _MONDY_RE.finditer(text):
        hit = _month_hit(m, language, "mond")
        if hit is not None:
            yield hit


def _month_hit(m: re.Match[str], language: str, layout: str) -> _Hit | None:
    word = m["mon"].casefold()
    forms = _MONTH_INDEX[word]
    lang, form, month = next(((lg, f, n) for lg, f, n in forms if lg == language), forms[0])
    if m["y"] is None:
        if word not in _NO_YEAR_MONTHS or m["dot"]:
            return None
        year = 2000 if (month, int(m["d"])) == (2, 29) else 2001
    else:
        year = int(m["y"])
    if not _valid_day(year, month, int(m["d"])):
        return None
    return _Hit(m.start(), m.end(), DATE, m.group(), (layout, lang, form))


_PHONE_RE = re.compile(
    r"(?<![\w+])(?<!\d[.,/-])(?:"
    r"(?P<intl>(?:\+|00)46)(?P<isep>[ \-]?)(?P<zero>\(0\)[ \-]?)?(?P<iarea>[1-9]\d{0,2})(?P<asep>[ \-]?)"
    r"(?P<isub>\d{2,8}(?:[ \-]\d{2,4}){0,4})"
    r"|(?P<area>0[1-9]\d{0,2})(?P<nsep>[ \u00a0]?[-–/][ \u00a0]?|[ \u00a0])(?P<sub>\d{2,8}(?:[ \-]\d{2,4}){0,4})"
    r"|(?P<mobile>07\d{8})"
    r")(?![\w])(?![.,]\d)")
_PNR_SHAPE = re.compile(r"\d{6}[-+]\d{4}")


def _phones(text: str) -> Iterator[_Hit]:
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


def _phone_hit(m: re.Match[str]) -> _Hit | None:
    """The longest valid Swedish number the match starts with (a trailing group may belong to the next one)."""
    if m["mobile"]:
        return _Hit(m.start(), m.end(), PHONE, m.group(), (m.group(),))
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
        return _Hit(m.start(), end, PHONE, surface, (national,))
    return None


_STREET_RE = re.compile(
    r"(?<![\w])(?P<name>(?:(?:Östra|Västra|Norra|Södra|Stora|Lilla|Nya|Gamla|Övre|Nedre)[ \u00a0])?"
    r"[A-ZÅÄÖ][a-zåäöéü]+(?:gatan|vägen|gränd|gata|torget|stigen|backen|allén|allé|esplanaden|promenaden))"
    r"(?P<num>[ \u00a0]\d{1,4}(?:[ \u00a0]?[A-Za-z](?![\w]))?)(?![\w])")
_POSTTOWN_RE = re.compile(r"(?<![\w])(?P<pc>[1-9]\d{2}[ \u00a0]?\d{2})(?![\d])[ \u00a0]+"
                          r"(?P<town>[A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?)(?![\w])")


def _addresses(text: str) -> Iterator[tuple[_Hit, ...]]:
    """Street names (the house number stays), and postcode + town pairs."""
    for m in _STREET_RE.finditer(text):
        if len(m["name"]) >= 7:
            yield (_Hit(m.start("name"), m.end("name"), STREET, m["name"]),)
    for m in _POSTTOWN_RE.finditer(text):
        yield (_Hit(m.start("pc"), m.end("pc"), POSTCODE, m["pc"]),
               _Hit(m.start("town"), m.end("town"), TOWN, m["town"]))


class _Protection:
    """Where the clinical lexicon matches a text: those characters are never a name."""

    def __init__(self, tokens: Tokens, language: str) -> None:
        self.lexicon = load_lexicon(language)
        self.other = load_lexicon("en" if language == "sv" else "sv")
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
        return _lexical(word, self.lexicon) or _lexical(word, self.other)


@lru_cache(maxsize=65536)
def _lexical(word: str, lexicon: Lexicon) -> bool:
    if lexicon.lookup(word) is not None:
        return True
    # "Inga-Lill" is a name, but each part of "Höger-vänster" is clinical.
    parts = re.split(r"[-'’]", word)
    return len(parts) > 1 and all(lexicon.lookup(p) is not None for p in parts if p)


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _surname_shape(word: str) -> bool:
    w = word.casefold()
    if w in _NOT_SURNAMES or len(w) < 5:
        return False
    for ending in _SURNAME_ENDINGS:
        if w.endswith(ending) and len(w) - len(ending) >= 2:
            return True
    if w.endswith("son"):
        stem = w[:-3]
        return len(stem) >= 2 and stem[-1] not in "aeiouyåäöé"
    return False


def _first_name(word: str) -> bool:
    w = word.casefold()
    return w in _FIRST or ("-" in w and any(p in _FIRST for p in w.split("-") if p))


def _eponym(word: str) -> bool:
    parts = [p for p in re.split(r"[-'’]", word.casefold()) if p]
    return any(p in _EPONYMS or (p.endswith("s") and p[:-1] in _EPONYMS) for p in parts)


def _genitive_base(word: str, known: Callable[[str], bool]) -> str:
    """``Annas`` -> ``Anna`` when ``Anna`` is a name; the word itself otherwise."""
    if len(word) > 3 and word.endswith("s") and known(word[:-1]):
        return word[:-1]
    return word


@lru_cache(maxsize=4)
def _cue_re(language: str) -> re.Pattern[str]:
    roles = sorted({*_ROLES["shared"], *_ROLES.get(language, ())}, key=len, reverse=True)
    labels = sorted(_LABELS, key=len, reverse=True)
    titles = "|".join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))
    role = "|".join(re.escape(r) for r in roles)
    label = "|".join(re.escape(lb) for lb in labels)
    return re.compile(
        rf"(?<![\w/])(?:(?P<title>{titles})\.?(?=[ \u00a0:])|(?i:(?P<label>{label}))[ \u00a0]*:|"
        rf"(?i:(?P<role>{role}))(?![\w]))(?P<gap>[ \u00a0]*:?[ \u00a0\t]*)"
        r"|(?:(?<=\s)|^)(?P<slash>/)(?=[^\W\d_])", re.MULTILINE)


_CUE_WORDS = frozenset(w.casefold() for w in (*_TITLES, *_LABELS, *(r for v in _ROLES.values() for r in v))
                       if " " not in w)


@lru_cache(maxsize=4)
def _section_words(language: str) -> frozenset[str]:
    """Words of section headings ("Anamnes", "Physical Examination"): never a name."""
    words: set[str] = set()
    for lang in (language, "en" if language == "sv" else "sv"):
        for heading in load_lexicon(lang).data.get("text", {}).get("sections", []):
            words.update(w.casefold() for w in _WORD_RE.findall(str(heading)))
    return frozenset(words)


class _Detector:
    """Every identifier in one text, before overlaps are resolved."""

    def __init__(self, tokens: Tokens, language: str, known_names: Mapping[str, str] | None = None) -> None:
        # Detection reads the text the way the oracle does: entities decoded, soft hyphens and zero-width
        # characters gone, NFC. A name written "Kers\u200btin" or "&#214;rjan" is still found.
        self.tokens = tokens
        self.text = tokens.norm
        self.language = language
        self.prot = _Protection(tokens, language)
        self.known_names = known_names or {}
        self.sections = _section_words(language)

    def hits(self) -> list[_Hit]:
        t = self.text
        out: list[_Hit] = []
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
        return [dataclasses.replace(h, priority=_PRIORITY[h.kind]) for h in out]

    # -- names --------------------------------------------------------------------------------------------
    def _nameable(self, start: int, end: int, word: str, *, free: bool) -> bool:
        w = word.casefold()
        if len(word) < 2 or w in _STOP or w in _CUE_WORDS or w in self.sections:
            return False
        if self.prot.protects(start, end, word):
            return False
        return not (free and _eponym(word))

    def _is_name_word(self, word: str) -> bool:
        return _first_name(word) or word.casefold() in self.known_names

    def names(self) -> list[_Hit]:
        t = self.text
        out: list[_Hit] = []
        taken: set[int] = set()

        def take(hits: Iterable[_Hit]) -> None:
            for h in hits:
                if h.start not in taken:
                    taken.add(h.start)
                    out.append(h)

        for m in _cue_re(self.language).finditer(t):
            # After a label ("Pat:", "Namn:", "/") a sentence may start instead: "Pat: Mår bra."
            guard = m["label"] is not None or m["slash"] is not None or m["title"] in ("Pat", "Pt")
            take(self._run(m.end(), limit=4, free=False, guard=guard))
        for m in _WORD_RE.finditer(t):
            if m.start() in taken:
                continue
            word = m.group()
            if not _capitalised(word):
                continue
            base = _genitive_base(word, self._is_name_word)
            if not (_first_name(base) or _surname_shape(base)):
                continue
            if not self._nameable(m.start(), m.start() + len(base), base, free=True):
                continue
            take([_Hit(m.start(), m.start() + len(base), NAME, base, (0,))])
            # A first name is usually followed by the family name ("Anna Nord").
            take(self._run(m.end(), limit=2, free=True, first_position=1, need_gap=True))
        return out

    def _run(self, pos: int, *, limit: int, free: bool, first_position: int = 0, need_gap: bool = False,
             guard: bool = False) -> Iterator[_Hit]:
        """Capitalised words from ``pos`` on, one space apart: the name written after a cue."""
        t = self.text
        n = first_position
        count = 0
        while count < limit:
            if need_gap or count:
                gap = _SPACE_RE.match(t, pos)
                if gap is None or gap.end() - gap.start() > 1:
                    return
                pos = gap.end()
            m = _WORD_RE.match(t, pos)
            if m is None:
                return
            word = m.group()
            if word.casefold() in _PARTICLES and count:
                # "Ludwig van Beethoven": go on only if a capitalised word follows.
                nxt = _SPACE_RE.match(t, m.end())
                after = _WORD_RE.match(t, nxt.end()) if nxt is not None else None
                if after is None or not _capitalised(after.group()):
                    return
                pos = m.end()
                count += 1
                continue
            if not _capitalised(word):
                return
            base = _genitive_base(word, lambda w: self._is_name_word(w) or _surname_shape(w))
            if not self._nameable(m.start(), m.start() + len(base), base, free=free):
                return
            follows = t[m.end():m.end() + 2]
            if guard and not count and not (self._is_name_word(base) or _surname_shape(base)) \
                    and len(follows) == 2 and follows[0] in " \u00a0" and follows[1].islower():
                return  # a capitalised word then a lower-case one: a sentence, not a name
            yield _Hit(m.start(), m.start() + len(base), NAME, base, (n,))
            n += 1
            count += 1
            pos = m.end()


def _resolve(hits: Iterable[_Hit]) -> list[_Hit]:
    """Non-overlapping hits, the more specific kind winning, in text order."""
    starts: list[int] = []
    chosen: list[_Hit] = []  # sorted by start, never overlapping
    for h in sorted(hits, key=lambda h: (h.priority, h.start, -(h.end - h.start))):
        if h.end <= h.start:
            continue
        k = bisect.bisect_left(starts, h.start)
        if (k > 0 and chosen[k - 1].end > h.start) or (k < len(chosen) and chosen[k].start < h.end):
            continue
        starts.insert(k, h.start)
        chosen.insert(k, h)
    return chosen


# ---------------------------------------------------------------------------------------------------------
# Garbled forms of a word: a name that went through a lossy encoding must go too, and its pseudonym must be
# garbled the same way, or the encoding finding would vanish with the redaction. (Decomposed letters, soft
# hyphens, zero-width characters and character references need no variant: detection reads normalised text.)
# ---------------------------------------------------------------------------------------------------------
def _garblers() -> list[Callable[[str], str]]:
    def cp1252(s: str) -> str:
        return s.encode("utf-8").decode("cp1252", "replace")

    def latin1(s: str) -> str:
        return s.encode("utf-8").decode("latin-1")

    def ascii_ignore(s: str) -> str:
        return s.encode("ascii", "ignore").decode()

    def ascii_replace(s: str) -> str:
        return s.encode("ascii", "replace").decode()

    def fffd(s: str) -> str:
        return "".join(c if c.isascii() else "\ufffd" for c in s)

    def strip_marks(s: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))

    return [cp1252, latin1, ascii_ignore, ascii_replace, fffd, strip_marks]


_GARBLERS = _garblers()


# ---------------------------------------------------------------------------------------------------------
# The mapping
# ---------------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Pseudonyms:
    """The replacements chosen for one case: the same original always gets the same pseudonym.

    It holds the originals, so it must never be printed or saved; ``repr`` shows only counts.
    ``shift_days`` is the one offset every date of the case moves by (random unless given; never 0).
    After :func:`redact_case`, ``kinds_before``/``kinds_after`` hold the oracle's finding kinds on the original
    and the redacted payload, and ``unredacted`` the places (attachments that are not text) redaction could not
    reach.
    """

    seed: int | None = None
    shift_days: int = 0
    kinds_before: list[str] | None = None
    kinds_after: list[str] | None = None
    unredacted: list[str] = field(default_factory=list)
    _maps: dict[str, dict[str, str]] = field(default_factory=dict, init=False)
    """Kind -> original key -> pseudonym."""
    _surfaces: dict[str, tuple[str, str]] = field(default_factory=dict, init=False)
    """Original surface -> (kind, replacement surface), for finding an original again without its context."""
    _reserved: dict[str, set[str]] = field(default_factory=dict, init=False)
    _used: dict[str, set[str]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if not self.shift_days:
            rng = random.Random(self.seed) if self.seed is not None else random.SystemRandom()
            self.shift_days = rng.choice((-1, 1)) * rng.randint(30, 720)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.counts().items()))
        return f"Pseudonyms({counts or 'empty'})"

    # -- public ---------------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many distinct originals of each kind were replaced (dates: how many were moved)."""
        return {kind: len(m) for kind, m in self._maps.items() if m}

    @property
    def findings_kept(self) -> bool | None:
        """Whether the oracle found the same kinds after redaction as before (None before :func:`redact_case`)."""
        if self.kinds_before is None or self.kinds_after is None:
            return None
        return same_findings(self.kinds_before, self.kinds_after)

    def summary(self) -> str:
        """What was replaced, for a terminal ("2 names, 1 personnummer, 3 dates moved alike"); never the originals
        or the date offset."""
        counts = self.counts()
        words = {PNR: ("personnummer", "personnummer"), NAME: ("name", "names"), PHONE: ("phone number",
                 "phone numbers"), EMAIL: ("e-mail address", "e-mail addresses"), STREET: ("street name",
                 "street names"), POSTCODE: ("postcode", "postcodes"), TOWN: ("town", "towns"),
                 DATE: ("date moved", "dates moved alike")}
        parts = [f"{counts[k]} {words[k][counts[k] != 1]}" for k in words if counts.get(k)]
        return ", ".join(parts) if parts else "nothing"

    def learn(self, *texts: str, language: str = "sv") -> None:
        """Reserve every identifier of ``texts`` (so no pseudonym equals one) and choose their pseudonyms."""
        for stage in (RESERVE, ASSIGN):
            for text in texts:
                _edits(text, self, language, stage)

    # -- keys, reservations, choices --------------------------------------------------------------------------
    @staticmethod
    def _key(h: _Hit) -> str:
        if h.kind == PNR:
            return str(h.info[0])
        if h.kind == PHONE:
            return str(h.info[0])
        if h.kind == POSTCODE:
            return re.sub(r"\D", "", h.surface)
        return h.surface.casefold()

    def _reserve(self, kind: str, key: str) -> None:
        reserved = self._reserved.setdefault(kind, set())
        reserved.add(key)
        if kind == NAME and "-" in key:
            reserved.update(part for part in key.split("-") if part)

    def _reserved_any(self, kind: str, key: str) -> bool:
        return key in self._reserved.get(kind, set()) or key in self._used.get(kind, set())

    def _remember(self, kind: str, key: str, value: str, used_key: str) -> str:
        self._maps.setdefault(kind, {})[key] = value
        self._used.setdefault(kind, set()).add(used_key)
        return value

    def _replacement(self, h: _Hit, language: str) -> str:
        if h.kind == DATE:
            out = self._maps.setdefault(DATE, {}).setdefault(h.surface, _shift_date(h, self.shift_days))
        elif h.kind == PNR:
            out = self._pnr(h)
        elif h.kind == PHONE:
            out = self._phone(h)
        elif h.kind == NAME and "-" in h.surface.strip("-"):
            # Each part on its own, so "Anna-Karin" and "Anna" agree; a part the lexicon knows stays, so the
            # oracle still sees the same clinical words ("Inga-Lill": "inga" is a negation cue).
            lexicons = (load_lexicon("sv"), load_lexicon("en"))
            parts = []
            for part in h.surface.split("-"):
                if not part or any(_lexical(part, lx) for lx in lexicons):
                    parts.append(part)
                else:
                    parts.append(self._replacement(dataclasses.replace(h, surface=part), language))
            out = "-".join(parts)
        elif h.kind == NAME:
            name = self._name(h)
            # Initials ("Sign: AB") stay initials.
            out = name[:len(h.surface)].upper() if h.surface.isupper() and len(h.surface) <= 3 \
                else _case_like(h.surface, name)
        elif h.kind == EMAIL:
            out = self._simple(EMAIL, h.surface.casefold(), lambda n: f"person{n}@example.com")
        elif h.kind == STREET:
            suffix = re.search(r"(gatan|vägen|gränd|gata|torget|stigen|backen|allén|allé|esplanaden|promenaden)$",
                               h.surface)
            end = suffix.group() if suffix else "gatan"
            out = self._simple(STREET, h.surface.casefold(),
                               lambda n: _pick(_STREET_STEMS, n) + (str(n // len(_STREET_STEMS))
                                                                    if n >= len(_STREET_STEMS) else "") + end)
        elif h.kind == TOWN:
            out = self._simple(TOWN, h.surface.casefold(),
                               lambda n: _pick(_TOWNS, n) + (f"-{n // len(_TOWNS)}" if n >= len(_TOWNS) else ""))
        else:  # POSTCODE
            key = re.sub(r"\D", "", h.surface)
            code = self._simple(POSTCODE, key, lambda n: f"99{n // 100 % 10}{n % 100:02d}")
            out = _pour(h.surface, code) if len(key) == 5 else code
        self._surfaces.setdefault(h.surface, (h.kind, out))
        return out

    def _simple(self, kind: str, key: str, make: Callable[[int], str]) -> str:
        known = self._maps.get(kind, {}).get(key)
        if known is not None:
            return known
        n = 0
        while True:
            value = make(n)
            if not self._reserved_any(kind, value.casefold()) and value.casefold() != key:
                return self._remember(kind, key, value, value.casefold())
            n += 1

    def _name(self, h: _Hit) -> str:
        key = h.surface.casefold()
        known = self._maps.get(NAME, {}).get(key)
        if known is not None:
            return known
        surname = h.info[0] > 0 if h.info else False
        surname = surname or _surname_shape(h.surface)
        want_ascii = h.surface.isascii()
        first, last = _pools()
        pool = last if surname else first
        for prefer in (True, False):
            for cand in pool:
                if prefer and cand.isascii() != want_ascii:
                    continue
                if not self._reserved_any(NAME, cand.casefold()):
                    return self._remember(NAME, key, cand, cand.casefold())
        n = len(self._maps.get(NAME, {}))
        while True:
            cand = f"{'Efternamn' if surname else 'Namn'}{n}"
            if not self._reserved_any(NAME, cand.casefold()):
                return self._remember(NAME, key, cand, cand.casefold())
            n += 1

    def _pnr(self, h: _Hit) -> str:
        ten, century, sep, samordning = h.info
        twelve = self._maps.get(PNR, {}).get(ten)
        if twelve is None:
            twelve = self._new_pnr(bool(samordning))
            self._remember(PNR, ten, twelve, twelve[2:])
        digits = twelve if century else twelve[2:]
        return f"{digits[:-4]}{sep}{digits[-4:]}"

    def _new_pnr(self, samordning: bool) -> str:
        if not samordning:
            for cand in _test_personnummer():
                if not self._reserved_any(PNR, cand[2:]):
                    return cand
        k = 0
        while True:
            born = _dt.date(2090, 1, 1) + _dt.timedelta(days=(53 * k + 11) % 3652)  # stays in the 2090s
            day = born.day + (60 if samordning else 0)
            core = f"{born:%y%m}{day:02d}{980 + k // 69 % 20:03d}"
            cand = f"{born.year // 100}{core}{_luhn(core)}"
            if not self._reserved_any(PNR, cand[2:]):
                return cand
            k += 1

    def _phone(self, h: _Hit) -> str:
        national = str(h.info[0])
        known = self._maps.get(PHONE, {}).get(national)
        if known is None:
            series = ("mobile" if national.startswith("07") else "08" if national.startswith("08")
                      else "031" if national.startswith("031") else "040" if national.startswith("040") else "other")
            stem, lo, hi = _PTS_SERIES[series]
            for n in range(lo, hi + 1):
                cand = f"{stem}{n:03d}"
                if not self._reserved_any(PHONE, cand):
                    known = self._remember(PHONE, national, cand, cand)
                    break
            else:  # a hundred distinct numbers in one case: fall back to the mobile series' neighbours
                known = self._remember(PHONE, national, f"0701740{len(self._maps[PHONE]) % 1000:03d}", "")
        return _format_phone(h.surface, national, known)


def _pick(pool: Sequence[str], n: int) -> str:
    return pool[n % len(pool)]


@lru_cache(maxsize=1)
def _pools() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Pseudonyms that no lexicon knows ("Inga-Lill" would bring a negation cue into the text)."""
    from journal_fuzz.synthetic import FIRST_NAMES, LAST_NAMES

    sv, en = load_lexicon("sv"), load_lexicon("en")

    def clean(name: str) -> bool:
        return not any(_lexical(p, lx) for p in re.split(r"[-'’ ]", name) if p for lx in (sv, en))

    first = tuple(n for n in dict.fromkeys((*FIRST_NAMES, *_OWN_FIRST)) if clean(n))
    last = tuple(n for n in dict.fromkeys((*LAST_NAMES, *_OWN_LAST)) if clean(n))
    return first, last


@lru_cache(maxsize=1)
def _test_personnummer() -> tuple[str, ...]:
    from journal_fuzz.synthetic import TEST_PERSONNUMMER

    return tuple(p for p in TEST_PERSONNUMMER if len(p) == 12 and p.isdigit())


def _case_like(original: str, pseudonym: str) -> str:
    if len(original) > 1 and original.isupper():
        return pseudonym.upper()
    if original.islower():
        return pseudonym.lower()
    return pseudonym


def _pour(template: str, digits: str) -> str:
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
    if national.startswith(("07", "08")):
        return 3 if national.startswith("07") else 2
    if national.startswith(("031", "040", "011", "013", "016", "018", "019", "021", "023", "026", "035",
                            "036", "042", "044", "046", "054", "060", "063", "090")):
        return 3
    return 4


def _format_phone(surface: str, national: str, replacement: str) -> str:
    prefix = re.match(r"(?:\+|00)46[ \-]?(?:\(0\)[ \-]?)?", surface)
    body_digits = replacement[1:] if prefix else replacement
    template = surface[prefix.end():] if prefix else surface
    if sum(c.isdigit() for c in template) == len(body_digits):
        return (prefix.group() if prefix else "") + _pour(template, body_digits)
    area = _area_length(replacement)
    area_digits, sub = replacement[:area], replacement[area:]
    spaced = bool(re.search(r"\d[ \u00a0]\d", template))
    sub_text = " ".join(_group(sub)) if spaced else sub
    if prefix:
        return f"{prefix.group()}{area_digits[1:]} {sub_text}" if spaced else f"{prefix.group()}{replacement[1:]}"
    sep = re.match(r"0\d+(\s?[-–/]\s?|\s)?", surface)
    sep_text = sep.group(1) if sep and sep.group(1) else ""
    return f"{area_digits}{sep_text}{sub_text}"


def _shift_date(h: _Hit, days: int) -> str:
    s = h.surface
    layout = h.info[0]
    if layout == "iso":
        m = _ISO_RE.fullmatch(s)
        assert m is not None
        d = _dt.date(int(m["y"]), int(m["m"]), int(m["d"])) + _dt.timedelta(days=days)
        sep = m["s"]
        return f"{d.year:04d}{sep}{d.month:02d}{sep}{d.day:02d}"
    if layout == "dmy":
        m = _DMY_RE.fullmatch(s)
        assert m is not None
        order = h.info[2]
        a, b = m["d"], m["m"]
        day_s, mon_s = (a, b) if order == "dm" else (b, a)
        d = _dt.date(int(m["y"]), int(mon_s), int(day_s)) + _dt.timedelta(days=days)
        day_out = f"{d.day:0{len(day_s)}d}" if len(day_s) == 2 else str(d.day)
        mon_out = f"{d.month:0{len(mon_s)}d}" if len(mon_s) == 2 else str(d.month)
        first, second = (day_out, mon_out) if order == "dm" else (mon_out, day_out)
        return f"{first}{m['s']}{second}{m['s']}{d.year:04d}"
    pattern = _DMONY_RE if layout == "dmon" else _MONDY_RE
    m = pattern.fullmatch(s)
    assert m is not None
    lang, form = h.info[1], h.info[2]
    word = m["mon"]
    month = next(n for lg, f, n in _MONTH_INDEX[word.casefold()] if (lg, f) == (lang, form))
    year = int(m["y"]) if m["y"] else (2000 if (month, int(m["d"])) == (2, 29) else 2001)
    d = _dt.date(year, month, int(m["d"])) + _dt.timedelta(days=days)
    names = _MONTHS[lang] if form == "full" else _MONTH_ABBR[lang]
    new_word = "sept" if form == "sept" and d.month == 9 else names[d.month - 1]
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


# ---------------------------------------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------------------------------------
Edit = tuple[int, int, str]
RESERVE, ASSIGN, APPLY = "reserve", "assign", "apply"
"""Stages over a case: reserve every original first (no pseudonym may equal one), then choose pseudonyms in
reading order, then write."""

_NUMERIC = frozenset({PNR, PHONE, POSTCODE, DATE})


def _variants(p: Pseudonyms) -> dict[str, tuple[str, str]]:
    """Every original met so far as it may be written elsewhere: as is, in capitals, or garbled by an encoding
    (with its pseudonym garbled the same way, so an encoding finding survives the redaction)."""
    out: dict[str, tuple[str, str]] = {}
    for s, (kind, rep) in p._surfaces.items():
        if len(s) < 2:
            continue
        out.setdefault(s, (kind, rep))
        if kind in (NAME, TOWN, STREET):
            out.setdefault(s.upper(), (kind, rep.upper()))
            if not s.isascii():
                for garble in _GARBLERS:
                    g = _normalised(garble(s))  # as detection reads it: "Ã…" is "Ã..." there
                    if len(g) > 1 and g != s:
                        out.setdefault(g, (kind, garble(rep)))
    return out


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    return tokenize(text).norm


_NUMBER_RUN = re.compile(r"(?<![\w+])\+?\d[\d \-+/]*\d(?![\w])")


def _near(a: str, b: str, k: int) -> bool:
    """Whether ``b`` is ``a`` with at most ``k`` characters changed in place, or one stretch of up to ``k``
    characters dropped or added (the damage a system does to one identifier), and not ``a`` itself."""
    if a == b or abs(len(a) - len(b)) > k:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= k
    shorter = min(len(a), len(b))
    p = 0
    while p < shorter and a[p] == b[p]:
        p += 1
    q = 0
    while q < shorter - p and a[-1 - q] == b[-1 - q]:
        q += 1
    return p + q >= max(len(a), len(b)) - k


def _echo_change(original: str, changed: str, pseudonym: str) -> str:
    """``pseudonym`` changed the way ``changed`` differs from ``original`` (a digit moved by the same amount, a
    character dropped or added at the same place), so the difference the oracle saw is still there."""
    scale = len(pseudonym) / max(1, len(original))

    def at(i: int) -> int:
        return min(len(pseudonym), round(i * scale)) if len(pseudonym) != len(original) else i

    out: list[str] = []
    last = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, original, changed, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        a, b = at(i1), max(at(i1), at(i2))
        out.append(pseudonym[last:a])
        if tag == "replace" and i2 - i1 == j2 - j1:
            for k, (so, ch) in enumerate(zip(original[i1:i2], changed[j1:j2], strict=True)):
                mine = pseudonym[a + k] if a + k < len(pseudonym) else ""
                if so.isdigit() and ch.isdigit() and mine.isdigit():
                    out.append(str((int(mine) + int(ch) - int(so)) % 10))
                else:
                    out.append(ch if ch != mine else ch.swapcase() if ch.swapcase() != ch else ch + ch)
            b = min(len(pseudonym), a + (i2 - i1))
        elif tag in ("replace", "insert"):
            out.append(changed[j1:j2])
        last = b
    out.append(pseudonym[last:])
    result = "".join(out)
    return result if result != pseudonym else pseudonym + changed[-1:]


def _known_hits(detector: _Detector, p: Pseudonyms, taken: Sequence[_Hit]) -> list[_Hit]:
    """Originals met elsewhere in the case, found here without the context that found them: a cue lost in the
    received text, a name garbled by an encoding or an autocorrect, a digit changed, a number cut off where the
    text ends. Each gets the pseudonym changed the same way, so the finding survives."""
    text = detector.text
    variants = _variants(p)
    out: list[_Hit] = []
    pattern = re.compile("|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))) \
        if variants else None
    pos = 0
    while pattern is not None and (m := pattern.search(text, pos)) is not None:
        a, b = m.span()
        pos = a + 1
        kind, rep = variants[m.group()]
        before = text[a - 1] if a else " "
        after = text[b] if b < len(text) else " "
        if kind in _NUMERIC:
            ok = not (before.isdigit() or before == "+" or after.isdigit())
        else:
            genitive = kind == NAME and after == "s" and not (b + 1 < len(text) and text[b + 1].isalnum())
            ok = not (before.isalnum() or before == "_") and (genitive or not (after.isalnum() or after == "_"))
        if ok:
            out.append(_Hit(a, b, kind, m.group(), ("known", rep), _KNOWN))

    occupied = bytearray(len(text) + 1)
    for h in (*taken, *out):
        occupied[h.start:h.end] = b"\x01" * (h.end - h.start)

    def free(a: int, b: int) -> bool:
        return occupied.find(1, a, b) < 0

    def add(h: _Hit) -> None:
        out.append(h)
        occupied[h.start:h.end] = b"\x01" * (h.end - h.start)

    # Near misses: one or two characters off a known number or date, one letter off a known name.
    numbers = [(s, k, r) for s, (k, r) in variants.items() if k in _NUMERIC and len(s) >= 8]
    if numbers:
        for m in _NUMBER_RUN.finditer(text):
            if not free(m.start(), m.end()):
                continue
            cand = m.group()
            for s, kind, rep in numbers:
                if _near(s, cand, 2):
                    add(_Hit(m.start(), m.end(), kind, cand, ("known", _echo_change(s, cand, rep)), _KNOWN))
                    break
    names = [(s, r) for s, (k, r) in variants.items() if k == NAME and len(s) >= 5 and s.isalpha()]
    if names:
        for m in _WORD_RE.finditer(text):
            cand = m.group()
            if len(cand) < 5 or not _capitalised(cand) or not free(m.start(), m.end()) \
                    or detector.prot.protects(m.start(), m.end(), cand):
                continue
            for s, rep in names:
                if _near(s, cand, 1):
                    add(_Hit(m.start(), m.end(), NAME, cand, ("known", _echo_change(s, cand, rep)), _KNOWN))
                    break

    # A text that stops inside an identifier keeps the cut: "... Anna Anders" -> "... Tolvan Tolva".
    end = len(text.rstrip())
    if end and free(end - 1, end):
        best: _Hit | None = None
        for s, (kind, rep) in variants.items():
            for k in range(min(len(s) - 1, end), 2, -1):
                start = end - k
                if text.startswith(s[:k], start) and (start == 0 or not text[start - 1].isalnum()):
                    if best is None or k > best.end - best.start:
                        best = _Hit(start, end, kind, s[:k], ("known", rep[:k]), _KNOWN)
                    break
        if best is not None and free(best.start, best.end):
            out.append(best)
    return out


def _forced_hits(detector: _Detector, kind: str) -> list[_Hit]:
    """A whole field that is a name, a town or a postcode by its place in a FHIR resource."""
    text = detector.text
    hits: list[_Hit] = []
    if kind == NAME:
        n = 0
        for m in _WORD_RE.finditer(text):
            w = m.group()
            if w.casefold() in _PARTICLES | _CUE_WORDS | _STOP or detector.prot.protects(m.start(), m.end(), w):
                continue
            hits.append(_Hit(m.start(), m.end(), NAME, w, (n,), _KNOWN - 1))
            n += 1
        return hits
    stripped = text.strip()
    if stripped and (kind != POSTCODE or re.fullmatch(r"[\d \u00a0]{5,6}", stripped)):
        a = text.index(stripped)
        hits.append(_Hit(a, a + len(stripped), kind, stripped, ("field",), _PRIORITY[kind]))
    return hits


def _edits(text: str, p: Pseudonyms, language: str, stage: str, force: str | None = None) -> list[Edit]:
    """The replacements for ``text`` (offsets in ``text``); at the reserve stage only what to reserve."""
    tokens = tokenize(text)
    detector = _Detector(tokens, language, p._maps.get(NAME))
    hits = detector.hits()
    if force is not None:
        hits.extend(_forced_hits(detector, force))
    if stage == RESERVE:
        for h in hits:
            p._reserve(h.kind, Pseudonyms._key(h))
        return []
    chosen = _resolve(hits)
    chosen = _resolve([*chosen, *_known_hits(detector, p, chosen)])
    edits: list[Edit] = []
    for h in chosen:
        rep = str(h.info[1]) if h.info[:1] == ("known",) else p._replacement(h, language)
        if rep != h.surface:
            a, b = tokens.orig(h.start), tokens.orig_end(h.end)
            if rep != text[a:b]:
                edits.append((a, b, rep))
    return edits


def _apply(text: str, edits: Sequence[Edit]) -> str:
    out: list[str] = []
    last = 0
    for a, b, rep in edits:
        out.append(text[last:a])
        out.append(rep)
        last = b
    out.append(text[last:])
    return "".join(out)


def _remap(pos: int, edits: Sequence[Edit], *, end: bool) -> int:
    """Where offset ``pos`` of the original text lands in the redacted one. A span edge inside a replaced stretch
    moves to the stretch's start (a start) or end (an end), so a span never cuts a pseudonym."""
    delta = 0
    for a, b, rep in edits:
        if b <= pos:
            delta += len(rep) - (b - a)
        elif a < pos:
            return a + delta + (len(rep) if end else 0)
        else:
            break
    return pos + delta


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    return language


def redact_text(text: str, *, mapping: Pseudonyms | None = None, language: str = "sv") -> tuple[str, Pseudonyms]:
    """``text`` with its identifiers replaced, and the mapping used.

    Pass the mapping on to redact the next text of the same case the same way. A pseudonym is never one of the
    originals seen so far; to be sure it is none of the next text's either, call ``mapping.learn(sent, received)``
    first, or use :func:`redact_case`, which does.
    """
    _check_language(language)
    p = mapping if mapping is not None else Pseudonyms()
    _edits(text, p, language, RESERVE)
    _edits(text, p, language, ASSIGN)
    return _apply(text, _edits(text, p, language, APPLY)), p


class Identifier(NamedTuple):
    """One identifier found in a text: what it is and where."""

    kind: str
    """personnummer, name, phone, email, street, postcode, town or date."""
    start: int
    end: int
    text: str


def find_identifiers(text: str, language: str = "sv") -> list[Identifier]:
    """Every identifier redaction replaces in ``text`` on its own (without what other texts of a case taught)."""
    _check_language(language)
    tokens = tokenize(text)
    out = []
    for h in _resolve(_Detector(tokens, language).hits()):
        a, b = tokens.orig(h.start), tokens.orig_end(h.end)
        out.append(Identifier(h.kind, a, b, text[a:b]))
    return out


def identifiers(text: str, language: str = "sv") -> list[str]:
    """The identifiers redaction replaces in ``text``, as written there, in order, each once."""
    return list(dict.fromkeys(i.text for i in find_identifiers(text, language)))


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------
# Keys whose (string) values are vocabulary of the case format or of FHIR, not text anybody wrote.
_SKIP_KEYS = frozenset({"resourceType", "system", "contentType", "status", "docStatus", "intent", "language",
                        "kind", "severity", "format", "carries", "wire", "version", "hash", "concept", "aspect",
                        "path", "fullUrl", "use", "gender", "code", "features", "role", "polarity", "side",
                        "mode", "type", "url", "div_status"})
_PERSON_REFERENCES = frozenset({"subject", "patient", "author", "performer", "requester", "recorder", "asserter",
                                "informant", "individual", "actor", "party", "attester", "practitioner", "sender",
                                "recipient", "participant", "generalPractitioner", "who", "enterer", "source",
                                "authenticator", "legalAuthenticator", "responsibleParty", "collector",
                                "resultsInterpreter", "verifier", "contact"})
_TEXT_MEDIA = frozenset({"application/xhtml+xml", "application/xml", "application/rtf", "application/json",
                         "application/fhir+json", "application/fhir+xml"})
_ATTACHMENT_KEPT = frozenset({"contentType", "data", "hash", "size", "url", "language"})


class _Walker:
    """Visits every string of a case, once per stage."""

    def __init__(self, p: Pseudonyms, language: str) -> None:
        self.p = p
        self.language = language
        self.stage = RESERVE

    # -- strings ------------------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        edits = _edits(value, self.p, self.language, self.stage)
        return _apply(value, edits) if self.stage == APPLY else value

    def rtf(self, body: str) -> str:
        """RTF writes "Märta" as ``M\\u228?rta`` or ``M\\'e4rta``: read the escapes, write pseudonyms escaped."""
        view, starts, ends = _rtf_view(body)
        edits = _edits(view, self.p, self.language, self.stage)
        if self.stage != APPLY:
            return body
        return _apply(body, [(starts[a], ends[b - 1], _rtf_escape(rep)) for a, b, rep in edits if b > a])

    def forced(self, value: str, kind: str) -> str:
        """A field that is a name, a town or a postcode by its place in a FHIR resource."""
        edits = _edits(value, self.p, self.language, self.stage, force=kind)
        return _apply(value, edits) if self.stage == APPLY else value

    # -- trees --------------------------------------------------------------------------------------------
    def tree(self, obj: Any, path: str = "", parent: str | None = None) -> Any:
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, list):
            return [self.tree(v, f"{path}[{i}]", parent) for i, v in enumerate(obj)]
        if not isinstance(obj, dict):
            return obj
        if isinstance(obj.get("contentType"), str) and isinstance(obj.get("data"), str):
            return self.attachment(obj, path)
        if isinstance(obj.get("text"), str) and isinstance(obj.get("facts"), list) and "language" in obj:
            return self.note(obj, path)
        human = "family" in obj or "given" in obj
        address = any(k in obj for k in ("line", "city", "postalCode", "district"))
        out: dict[str, Any] = {}
        for key, value in obj.items():
            sub = f"{path}.{key}" if path else key
            if human and key in ("family", "given", "text"):
                out[key] = self._strings(value, NAME, sub)
            elif address and key in ("city", "district"):
                out[key] = self._strings(value, TOWN, sub)
            elif address and key == "postalCode":
                out[key] = self._strings(value, POSTCODE, sub)
            elif key == "display" and parent in _PERSON_REFERENCES and isinstance(value, str):
                out[key] = self.forced(value, NAME)
            elif key in _SKIP_KEYS and (isinstance(value, str) or (
                    isinstance(value, list) and all(isinstance(v, str) for v in value))):
                out[key] = value
            else:
                out[key] = self.tree(value, sub, key)
        return out

    def _strings(self, value: Any, kind: str, path: str) -> Any:
        if isinstance(value, str):
            return self.forced(value, kind)
        if isinstance(value, list):
            return [self._strings(v, kind, f"{path}[{i}]") for i, v in enumerate(value)]
        return self.tree(value, path)

    def note(self, obj: dict[str, Any], path: str) -> dict[str, Any]:
        """A saved :class:`Note`: its text redacted and every fact's span moved to match."""
        text = obj["text"]
        edits = _edits(text, self.p, self.language, self.stage)
        if self.stage != APPLY:
            return obj
        new_text = _apply(text, edits)
        out = dict(obj)
        out["text"] = new_text
        facts: list[Any] = []
        for i, f in enumerate(obj["facts"]):
            if not (isinstance(f, dict) and isinstance(f.get("start"), int) and isinstance(f.get("end"), int)):
                facts.append(self.tree(f, f"{path}.facts[{i}]"))
                continue
            g = dict(f)
            g["start"] = _remap(f["start"], edits, end=False)
            g["end"] = max(g["start"], _remap(f["end"], edits, end=True))
            g["text"] = new_text[g["start"]:g["end"]]
            facts.append(g)
        out["facts"] = facts
        return out

    def attachment(self, obj: dict[str, Any], path: str) -> dict[str, Any]:
        """Base64 text decoded with its charset, redacted, encoded the same way; hash and size follow."""
        out = {k: (v if k in _ATTACHMENT_KEPT else self.tree(v, f"{path}.{k}", k)) for k, v in obj.items()}
        ct = obj["contentType"]
        media = ct.split(";", 1)[0].strip().casefold()
        charset = re.search(r"charset\s*=\s*\"?([\w.:\-]+)", ct, re.IGNORECASE)
        data = obj["data"]
        where = path or "attachment"
        try:
            raw = base64.b64decode("".join(data.split()).encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            if self.stage == APPLY:
                self.p.unredacted.append(f"{where}: data is not valid base64, left as it was")
            return out
        if media not in _TEXT_MEDIA and not media.startswith("text/"):
            if self.stage == APPLY:
                self.p.unredacted.append(f"{where}: {media or 'no content type'} is not text, left as it was")
            return out
        try:
            codec = codecs.lookup(charset.group(1) if charset else "utf-8").name
        except LookupError:
            codec = "utf-8"
        # Bytes that are not valid in the charset (damage the case shows) go through untouched.
        body = raw.decode(codec, "surrogateescape")
        new_body = self.rtf(body) if media in ("text/rtf", "application/rtf") else self.text(body)
        if self.stage != APPLY or new_body == body:
            return out
        try:
            new_raw = new_body.encode(codec, "surrogateescape")
        except UnicodeEncodeError:
            new_raw = new_body.encode(codec, "xmlcharrefreplace" if "html" in media or "xml" in media
                                      else "replace")
        encoded = base64.b64encode(new_raw).decode("ascii")
        lines = data.splitlines()
        if len(lines) > 1 and lines[0]:  # keep a server's line wrapping
            width = len(lines[0])
            eol = "\r\n" if "\r\n" in data else "\n"
            encoded = eol.join(encoded[i:i + width] for i in range(0, len(encoded), width))
        out["data"] = encoded
        if isinstance(obj.get("hash"), str):
            out["hash"] = base64.b64encode(hashlib.sha1(new_raw).digest()).decode("ascii")
        if isinstance(obj.get("size"), int) and not isinstance(obj.get("size"), bool):
            out["size"] = len(new_raw)
        return out


_RTF_ESCAPE = re.compile(r"\\u(-?\d{1,5}) ?|\\'([0-9a-fA-F]{2})")


def _rtf_view(body: str) -> tuple[str, list[int], list[int]]:
    """``body`` with RTF's character escapes read (``\\u228?``, ``\\'e4``), and for every character of the
    result where it starts and ends in ``body``."""
    cpg = re.search(r"\\ansicpg(\d+)", body)
    try:
        codepage = codecs.lookup(f"cp{cpg.group(1)}").name if cpg else "cp1252"
    except LookupError:
        codepage = "cp1252"
    uc = re.search(r"\\uc(\d)", body)
    skip = int(uc.group(1)) if uc else 1
    view: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _RTF_ESCAPE.finditer(body):
        if m.start() < pos:
            continue
        for k in range(pos, m.start()):
            view.append(body[k])
            starts.append(k)
            ends.append(k + 1)
        end = m.end()
        if m.group(1) is not None:
            n = int(m.group(1))
            ch = chr(n + 65536 if n < 0 else n) if -32768 <= n <= 65535 else "\ufffd"
            for _ in range(skip):  # the fallback characters a reader without Unicode shows instead
                fallback = re.match(r"\\'[0-9a-fA-F]{2}|[^\\{}]", body[end:])
                if fallback is None:
                    break
                end += fallback.end()
        else:
            ch = bytes([int(m.group(2), 16)]).decode(codepage, "replace")
        view.append(ch)
        starts.append(m.start())
        ends.append(end)
        pos = end
    for k in range(pos, len(body)):
        view.append(body[k])
        starts.append(k)
        ends.append(k + 1)
    return "".join(view), starts, ends


def _rtf_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) > 127:
            n = ord(ch)
            out.append(f"\\u{n - 65536 if n > 32767 else n}?")
        else:
            out.append(ch)
    return "".join(out)


def _case_language(case: Case) -> str:
    if case.language in LANGUAGES:
        return case.language
    lang = case.sent.get("language")
    if isinstance(lang, str) and lang in LANGUAGES:
        return lang
    text = case.sent.get("text")
    return detect_language(text) if isinstance(text, str) else "sv"


def _oracle(case: Case) -> Verdict | None:
    """The oracle's verdict on the case's sent and received payloads, or None when there is nothing to compare."""
    sent: Any
    received: Any
    if case.carries == FHIR:
        sent, received = case.sent.get("resource"), case.received.get("resource")
        if not isinstance(sent, dict) or not isinstance(received, dict):
            return None
    else:
        sent, received = case.sent.get("text"), case.received.get("text")
        if not isinstance(received, str) or not isinstance(sent, str):
            return None
    try:
        return judge(case.payload(), sent, received)
    except (ValueError, TypeError, KeyError):
        return None


Kinds = Verdict | Case | Mapping[str, Any] | Sequence[str]


def _kinds_of(x: Kinds) -> list[str]:
    if isinstance(x, Verdict):
        return [f.kind for f in x.findings]
    if isinstance(x, Case):
        return _kinds_of(x.verdict)
    if isinstance(x, Mapping):
        return [str(f.get("kind")) for f in x.get("findings", []) if isinstance(f, Mapping)]
    return [str(k) for k in x]


def same_findings(before: Kinds, after: Kinds) -> bool:
    """Whether two verdicts (or cases, verdict dicts, kind lists) name the same kinds of finding.

    Kinds are compared as :attr:`Verdict.kinds` lists them, each once, and in any order: a shifted date may
    carry a changed digit into the month as well ("04-25" -> "06-25" may become "2018-11-16" -> "2019-01-16"),
    which splits one number-changed finding into two, and a longer pseudonym moves offsets, never what was lost.
    """
    return set(_kinds_of(before)) == set(_kinds_of(after))


def _cut(text: str, edits: Sequence[Edit], n: int) -> str:
    """The redaction of ``text[:n]`` that is a prefix of the redaction of ``text``."""
    out: list[str] = []
    last = 0
    for a, b, rep in edits:
        if a >= n:
            break
        out.append(text[last:a])
        if b > n:
            out.append(rep[:n - a])
            last = n
            break
        out.append(rep)
        last = b
    out.append(text[last:n])
    return "".join(out)


def _keep_cut(case: Case, sent: dict[str, Any], received: dict[str, Any], p: Pseudonyms, language: str) -> None:
    """A received text that is the sent text cut short stays exactly the redacted sent text cut short, even when
    the cut falls inside an identifier shared by several others ("2019-0" of "2019-08-06" or "2019-09-08")."""
    original, got = case.sent.get("text"), case.received.get("text")
    if not isinstance(original, str) or not isinstance(got, str) or len(got) >= len(original) \
            or not original.startswith(got):
        return
    edits = _edits(original, p, language, APPLY)
    received["text"] = _cut(original, edits, len(got))


def is_redacted(case: Case) -> bool:
    """Whether ``case`` came out of :func:`redact_case` (its ``source`` ends in ``+redacted``)."""
    return case.source.endswith(REDACTED_MARK)


def redact_case(case: Case, *, seed: int | None = None) -> tuple[Case, Pseudonyms]:
    """A copy of ``case`` with every identifier replaced, consistently across its sent and received payloads
    (texts, FHIR string fields, base64 text attachments, saved notes and their fact spans), its findings and its
    reruns; its verdict is the oracle's verdict on the redacted payloads and its source ends in ``+redacted``.

    The :class:`Pseudonyms` returned says what was replaced (``summary()``), whether the oracle finds the same
    kinds as on the original (``findings_kept``, see :func:`same_findings`) and what could not be redacted
    (``unredacted``: attachments that are not text). ``seed`` fixes the date offset (for tests).
    """
    language = _case_language(case)
    p = Pseudonyms(seed=seed)
    walker = _Walker(p, language)
    parts = (case.sent, case.received, case.verdict, case.reruns)
    for stage in (RESERVE, ASSIGN):
        walker.stage = stage
        for part in parts:
            walker.tree(part)
    walker.stage = APPLY
    sent, received, verdict, reruns = (walker.tree(part) for part in parts)
    _keep_cut(case, sent, received, p, language)
    source = case.source if is_redacted(case) else f"{case.source}{REDACTED_MARK}"
    redacted = dataclasses.replace(case, sent=sent, received=received, verdict=verdict, reruns=reruns,
                                   source=source, path=None)
    before = _oracle(case)
    after = _oracle(redacted)
    p.kinds_before = [f.kind for f in before.findings] if before is not None else _kinds_of(case.verdict)
    if after is not None:
        redacted.verdict = after.to_dict()
        p.kinds_after = [f.kind for f in after.findings]
    else:
        p.kinds_after = _kinds_of(verdict)
    return redacted, p
