"""Realistic lossy (and benign) transformations: the systems journal_fuzz must catch, and those it must pass.

Each lossy mutant imitates one mechanism from the project's domain notes (a stop-word filter eating *inte*, an
HL7 encoder cutting at an unescaped ``&``, Latin-1 with ``errors="ignore"``, an HTML sanitiser eating ``<5``...)
and names the finding kinds it must produce. Benign mutants change only what the oracle's default
:class:`~journal_fuzz.text.Policy` calls benign. The test suite and ``journal-fuzz selftest`` feed notes through
every one of them: each lossy mutant must be caught, each benign one must pass.
"""

from __future__ import annotations

import html.entities
import random
import re
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from journal_fuzz.constants import CAPS
from journal_fuzz.kinds import (
    ENCODING_DAMAGED,
    HEDGE_CHANGED,
    KIND,
    LATERALITY_CHANGED,
    NEGATION_ADDED,
    NEGATION_DROPPED,
    NUMBER_CHANGED,
    REORDERED,
    TERM_CHANGED,
    TERM_DROPPED,
    TRUNCATED,
    UNIT_CHANGED,
    WORD_DROPPED,
    WORDS_MERGED,
)
from journal_fuzz.lexicon import (
    HEDGE_POST,
    HEDGE_PRE,
    NEG_POST,
    NEG_PRE,
    SIDE,
    TERM,
    UNIT,
    Match,
    load_lexicon,
)
from journal_fuzz.negation import Analysis
from journal_fuzz.text import Tokens, tokenize

__all__ = ["BENIGN", "LOSSY", "MUTANTS", "Mutant", "apply"]

Func = Callable[[str, str, random.Random], "str | None"]


@dataclass(frozen=True)
class Mutant:
    """A transformation of note text that imitates a real system."""

    name: str
    mechanism: str
    """What real failure (or harmless habit) it imitates."""
    kinds: frozenset[str]
    """Finding kinds the oracle may report for it; empty for benign mutants."""
    func: Func
    benign: bool = False

    def __call__(self, text: str, language: str = "sv", rng: random.Random | None = None) -> str | None:
        """The transformed text, or None when the text offers nothing for this mutant to act on."""
        out = self.func(text, language, rng or random.Random(0))
        return None if out is None or out == text else out


def _analyse(text: str, language: str) -> tuple[Tokens, Analysis]:
    tokens = tokenize(text)
    return tokens, Analysis(tokens, load_lexicon(language))


def _all_matches(analysis: Analysis) -> list[Match]:
    return analysis.matches(0, len(analysis.tokens))


def _cut(text: str, tokens: Tokens, i: int, j: int, join: str = "") -> str:
    """Remove tokens ``i`` to ``j`` and the whitespace before them (or after, at the start)."""
    a, b = tokens.span(i, j)
    if i > 0:
        a = tokens.span(i - 1, i)[1]
    elif j < len(tokens):
        b = tokens.span(j, j + 1)[0]
    return text[:a] + join + text[b:]


def _pick(rng: random.Random, items: list[Match]) -> Match | None:
    return rng.choice(items) if items else None


def _scoped_cue(analysis: Analysis, roles: tuple[str, ...]) -> list[Match]:
    """Cues of ``roles`` that govern at least one word (so dropping them changes what is said)."""
    out = []
    for m in _all_matches(analysis):
        if m.entry.role not in roles:
            continue
        start, end = analysis.sentence_bounds(m.start)
        governed = [t for t in range(start, end) if analysis.status(t).cue == m]
        if governed:
            out.append(m)
    return out


# -- negation cues, found without the oracle's lexicon -------------------------------------------------------
# The mutants that attack negations find their targets with these lists, written out here independently of the
# oracle's lexicon: when the oracle misses a cue a clinician uses, the tests fail instead of sharing its blind spot.
_CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "sv": {
        "pre": ("inte", "ej", "icke", "ingen", "inget", "inga", "förnekar", "nekar", "aldrig", "utan"),
        "post": ("saknas", "ses ej", "ses inte", "påvisas ej", "påvisas inte", "föreligger ej", "föreligger inte",
                 "noteras ej", "noteras inte", "finns ej", "finns inte", "kan uteslutas", "uteslutes", "negativ",
                 "negativt", "negativa"),
    },
    "en": {
        "pre": ("no", "not", "denies", "denied", "without", "never", "none", "negative for"),
        "post": ("not seen", "not identified", "not present", "not detected", "not found", "not noted",
                 "not visualized", "ruled out", "is negative", "was negative", "are negative", "negative"),
    },
}
# Where the same words do not negate: uncertainty ("kan ej uteslutas"), pseudo-negations ("ingen förändring",
# "no change", "not only"), "utan" after a negation ("inte X utan Y"), a result word describing the next word
# ("negativa T-vågor").
_NOT_NEGATION: dict[str, tuple[str, ...]] = {
    "sv": (r"kan (?:ej|inte) (?:helt |säkert )?uteslutas", r"(?:ej|inte) (?:helt )?uteslut(?:et|en)",
           r"kan (?:ej|inte) utesluta", r"(?:ingen|inga|utan|inte|ej) (?:väsentlig |större |säker )?"
           r"(?:förändring|ändring|ökning|minskning|skillnad)", r"(?:inte|ej) (?:bara|endast|enbart|minst|säkert)",
           r"(?:ej|inte) (?:förändrad|säkerställd|bekräftad)", r"(?:inte|ej|icke|ingen|inget|inga)\b[^.!?\n]*\butan",
           r"negativ[at]? (?=[^\W\d_])"),
    "en": (r"cannot be (?:excluded|ruled out)", r"can ?not be excluded", r"not (?:excluded|ruled out)",
           r"cannot (?:exclude|rule out)", r"no (?:significant |interval |definite |suspicious )*(?:change|increase)",
           r"not (?:only|just|necessarily|certain)", r"gram[- ]negative", r"without difficulty",
           r"negative (?=[^\W\d_])"),
}
_ENDS = {"sv": ("men", "dock", "däremot", "förutom", "utom", "fastän", "trots", "emellertid", "ändå", "medan",
                "vilket", "vilken"),
         "en": ("but", "however", "except", "although", "though", "yet", "still", "whereas", "which", "who",
                "because")}
_STATEMENT_END = re.compile(r"[.!?](?=\s|$)|\r\n|\r|\n")
_WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass(frozen=True)
class _Cue:
    start: int
    end: int
    role: str
    """pre or post"""
    text: str


def _cue_re(language: str) -> re.Pattern[str]:
    forms = sorted({c for role in _CUES[language].values() for c in role}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])", re.IGNORECASE)


_CUE_RES = {lang: _cue_re(lang) for lang in _CUES}
_NOT_RES = {lang: re.compile("|".join(_NOT_NEGATION[lang]), re.IGNORECASE) for lang in _NOT_NEGATION}


def _statement(text: str, at: int) -> tuple[int, int]:
    """The statement around character ``at``, by full stops and line breaks."""
    start = 0
    for m in _STATEMENT_END.finditer(text, 0, at):
        start = m.end()
    nxt = _STATEMENT_END.search(text, at)
    return start, nxt.start() if nxt else len(text)


def negation_cues(text: str, language: str) -> list[_Cue]:
    """Negation cues in ``text`` that govern a word (a pre-cue with a word after it before the statement ends or
    the scope is cut; a post-cue with a word before it), found without the oracle's lexicon."""
    lang = _CUES[language]
    excluded = [m.span() for m in _NOT_RES[language].finditer(text)]
    ends = re.compile(r"\b(?:" + "|".join(_ENDS[language]) + r")\b|[;:]", re.IGNORECASE)
    out = []
    for m in _CUE_RES[language].finditer(text):
        a, b = m.span()
        if any(x < b and a < y for x, y in excluded):
            continue
        form = m.group().casefold()
        role = "pre" if form in lang["pre"] else "post"
        s0, s1 = _statement(text, a)
        if role == "pre":
            scope = text[b:s1]
            cut = ends.search(scope)
            scope = scope[:cut.start()] if cut else scope
            words = [w for w in _WORD.findall(scope) if not _CUE_RES[language].fullmatch(w)]
        else:
            scope = text[s0:a]
            cuts = list(ends.finditer(scope))
            scope = scope[cuts[-1].end():] if cuts else scope
            words = [w for w in _WORD.findall(scope) if not _CUE_RES[language].fullmatch(w)]
        if words:
            out.append(_Cue(a, b, role, m.group()))
    return out


def _remove(text: str, a: int, b: int) -> str:
    """Text without characters ``a`` to ``b`` and the spaces before them (or after them, at a line start)."""
    lo = a
    while lo > 0 and text[lo - 1] in " \t":
        lo -= 1
    if lo == 0 or text[lo - 1] in "\r\n":
        hi = b
        while hi < len(text) and text[hi] in " \t":
            hi += 1
        return text[:a] + text[hi:]
    return text[:lo] + text[b:]


# -- lossy ----------------------------------------------------------------------------------------------------
def _drop_negation(text: str, language: str, rng: random.Random) -> str | None:
    cues = [c for c in negation_cues(text, language) if c.role == "pre" and " " not in c.text]
    if not cues:
        return None
    c = rng.choice(cues)
    return _remove(text, c.start, c.end)


def _eat_post_negation(text: str, language: str, rng: random.Random) -> str | None:
    cues = [c for c in negation_cues(text, language) if c.role == "post"]
    if not cues:
        return None
    c = rng.choice(cues)
    # "ses ej" loses "ej"; a one-word cue ("saknas") is lost whole.
    last = c.text.rsplit(" ", 1)[-1]
    return _remove(text, c.end - len(last), c.end)


_SWAPS = {"sv": {"ingen": "en", "inget": "ett", "inga": "några"}, "en": {"no": "a", "not": "now"}}


def _negation_substitution(text: str, language: str, rng: random.Random) -> str | None:
    swaps = _SWAPS[language]
    cues = [c for c in negation_cues(text, language) if c.role == "pre" and c.text.casefold() in swaps]
    if not cues:
        return None
    c = rng.choice(cues)
    word = swaps[c.text.casefold()]
    if c.text[0].isupper():
        word = word.capitalize()
    return text[:c.start] + word + text[c.end:]


def _drop_hedge(text: str, language: str, rng: random.Random) -> str | None:
    tokens, a = _analyse(text, language)
    m = _pick(rng, _scoped_cue(a, (HEDGE_PRE, HEDGE_POST)))
    return _cut(text, tokens, m.start, m.end) if m else None


def _swap_term(text: str, language: str, rng: random.Random) -> str | None:
    tokens, a = _analyse(text, language)
    lexicon = load_lexicon(language)
    pairs: dict[str, str] = {}
    for x, y in lexicon.data.get("confusables", {}).get("pairs", []):
        pairs[x.casefold()] = y
        pairs[y.casefold()] = x
    terms = [m for m in _all_matches(a) if m.entry.role == TERM]
    swappable = [m for m in terms if tokens.original(m.start, m.end).casefold() in pairs]
    m = _pick(rng, swappable)
    if m is not None:
        s, e = tokens.span(m.start, m.end)
        new = pairs[text[s:e].casefold()]
        if text[s].isupper():
            new = new[:1].upper() + new[1:]
        return text[:s] + new + text[e:]
    # A one-letter slip in a longer term.
    m = _pick(rng, [m for m in terms if len(tokens.keys[m.start]) >= 6])
    if m is None:
        return None
    s, e = tokens.span(m.start, m.start + 1)
    spots = [k for k in range(s + 1, e - 1) if text[k].isascii() and text[k].isalpha()]
    if not spots:
        return None
    k = rng.choice(spots)
    return text[:k] + text[k + 1:]


_SIDE_SWAP = {
    "sv": {"höger": "vänster", "vänster": "höger", "hö": "vä", "vä": "hö", "dx": "sin", "sin": "dx",
           "högra": "vänstra", "vänstra": "högra", "högersidig": "vänstersidig", "vänstersidig": "högersidig"},
    "en": {"right": "left", "left": "right", "rt": "lt", "lt": "rt", "dx": "sin", "sin": "dx"},
}


def _swap_side(text: str, language: str, rng: random.Random) -> str | None:
    tokens, a = _analyse(text, language)
    swaps = _SIDE_SWAP[language]
    m = _pick(rng, [m for m in _all_matches(a) if m.entry.role == SIDE and m.end - m.start == 1
                    and tokens.keys[m.start] in swaps])
    if m is None:
        return None
    s, e = tokens.span(m.start, m.end)
    new = swaps[tokens.keys[m.start]]
    if text[s].isupper():
        new = new.capitalize()
    return text[:s] + new + text[e:]


def _drop_side(text: str, language: str, rng: random.Random) -> str | None:
    tokens, a = _analyse(text, language)
    m = _pick(rng, [m for m in _all_matches(a) if m.entry.role == SIDE])
    if m is None:
        return None
    # "vä." ends in the sentence's own full stop: keep it, drop the word.
    end = m.end - 1 if m.end - m.start > 1 and tokens.keys[m.end - 1] == "." else m.end
    return _cut(text, tokens, m.start, end)


_DECIMAL = re.compile(r"(?<![\d.,])(\d+)[,.](\d+)(?![\d.,])")


def _break_decimal(text: str, language: str, rng: random.Random) -> str | None:
    found = list(_DECIMAL.finditer(text))
    if not found:
        return None
    m = rng.choice(found)
    return text[:m.start()] + m.group(1) + m.group(2) + text[m.end():]


def _lose_micro(text: str, language: str, rng: random.Random) -> str | None:
    spots = [m.start() for m in re.finditer("[µμ]", text)]
    if not spots:
        return None
    k = rng.choice(spots)
    return text[:k] + "m" + text[k + 1:]


def _drop_micro(text: str, language: str, rng: random.Random) -> str | None:
    spots = [m.start() for m in re.finditer("[µμ]", text)]
    if not spots:
        return None
    k = rng.choice(spots)
    return text[:k] + text[k + 1:]


def _drop_comparator(text: str, language: str, rng: random.Random) -> str | None:
    spots = [m for m in re.finditer(r"[<>≤≥]\s*(?=\d)", text)]
    if not spots:
        return None
    m = rng.choice(spots)
    return text[:m.start()] + text[m.end():]


def _change_digit(text: str, language: str, rng: random.Random) -> str | None:
    spots = [m.start() for m in re.finditer(r"\d", text)]
    if not spots:
        return None
    k = rng.choice(spots)
    return text[:k] + str((int(text[k]) + 1 + rng.randrange(8)) % 10) + text[k + 1:]




def _truncate_at_cap(text: str, language: str, rng: random.Random) -> str | None:
    caps = [c for c in CAPS if c < len(text.rstrip())]
    # Short notes meet a short field: keep two thirds.
    cut = caps[-1] if caps else max(1, (2 * len(text.rstrip())) // 3)
    out = text[:cut]
    words = [k for k in tokenize(text).keys if k[:1].isalnum()]
    kept = [k for k in tokenize(out).keys if k[:1].isalnum()]
    # A cut that takes only a final full stop loses no word; this mutant is about lost words.
    return out if kept != words else None


def _hl7_delimiter_cut(text: str, language: str, rng: random.Random) -> str | None:
    m = re.search(r"[|^~\\&]", text)
    return text[:m.start()] if m else None


def _hl7_cr_cut(text: str, language: str, rng: random.Random) -> str | None:
    m = re.search(r"\r\n|\r|\n", text.rstrip())
    return text[:m.start()] if m else None


def _merge_lines(text: str, language: str, rng: random.Random) -> str | None:
    spots = [m for m in re.finditer(r"(?<=\w)[ \t]*(?:\r\n|\r|\n)+[ \t]*(?=\w)", text)]
    if not spots:
        return None
    m = rng.choice(spots)
    return text[:m.start()] + text[m.end():]


def _visible_non_ascii(text: str) -> bool:
    return any(not c.isascii() and not c.isspace() and c not in "\u00ad\u200b\u200c\u200d\u2060\ufeff"
               for c in text)


def _ascii_ignore(text: str, language: str, rng: random.Random) -> str | None:
    # Losing only soft hyphens and zero-width spaces loses nothing a reader sees.
    return text.encode("ascii", "ignore").decode("ascii") if _visible_non_ascii(text) else None


def _ascii_replace(text: str, language: str, rng: random.Random) -> str | None:
    return text.encode("ascii", "replace").decode("ascii") if _visible_non_ascii(text) else None


def _mojibake(text: str, language: str, rng: random.Random) -> str | None:
    return text.encode("utf-8").decode("cp1252", "replace")


_TAG_LIKE = re.compile(r"<[^>]*>?")


def _eat_angle_brackets(text: str, language: str, rng: random.Random) -> str | None:
    if "<" not in text:
        return None
    return _TAG_LIKE.sub("", text)


def _eat_comments(text: str, language: str, rng: random.Random) -> str | None:
    if "<!--" not in text:
        return None
    return re.sub(r"<!--.*?(?:-->|$)", "", text, flags=re.DOTALL)


def _reorder_inline(text: str, language: str, rng: random.Random) -> str | None:
    """A converter that moves inline markup: the cue leaves its place for the start of the statement."""
    cues = []
    for c in negation_cues(text, language):
        s0, _s1 = _statement(text, c.start)
        lead = len(text[s0:c.start]) - len(text[s0:c.start].lstrip())
        if c.role == "pre" and " " not in c.text and text[s0 + lead:c.start].strip():
            cues.append((c, s0 + lead))
    if not cues:
        return None
    c, at = rng.choice(cues)
    removed = _remove(text, c.start, c.end)
    return removed[:at] + c.text + " " + removed[at:]


def _drop_sentence(text: str, language: str, rng: random.Random) -> str | None:
    tokens, a = _analyse(text, language)
    if len(a.sentence_starts) < 2:
        return None  # dropping the only statement is a truncation, not a silently missing section
    terms = [m for m in _all_matches(a) if m.entry.role == TERM]
    m = _pick(rng, terms)
    if m is None:
        return None
    start, end = a.sentence_bounds(m.start)
    return _cut(text, tokens, start, end)


def _drop_term(text: str, language: str, rng: random.Random) -> str | None:
    tokens, a = _analyse(text, language)
    m = _pick(rng, [m for m in _all_matches(a) if m.entry.role == TERM])
    return _cut(text, tokens, m.start, m.end) if m else None


def _drop_full_stop(text: str, language: str, rng: random.Random) -> str | None:
    """A lost full stop lets a negation run on into the next statement (on the same line)."""
    tokens, a = _analyse(text, language)
    cues = [c for c in negation_cues(text, language) if c.role == "pre"]
    ends = re.compile(r"\b(?:" + "|".join(_ENDS[language]) + r")\b|[;:]", re.IGNORECASE)
    cands = []
    for m in re.finditer(r"\.(?=[ \t]+([^\W\d_][^.!?\n]*))", text):
        stop = m.start()
        s0, _s1 = _statement(text, stop)
        # A negation whose scope still reaches the full stop...
        if not any(s0 <= c.start < stop and not ends.search(text[c.end:stop]) for c in cues):
            continue
        nxt = m.group(1)
        # ...and a next statement on the same line that has a clinical term and no cue or header of its own.
        at = m.end() + (len(text) - len(text[m.end():].lstrip(" \t")) - m.end())
        if re.match(r"(?:[^\W\d_]+ ){0,3}[^\W\d_]+:", nxt) or _CUE_RES[language].search(nxt):
            continue
        i = next((k for k in range(len(tokens)) if tokens.span(k, k + 1)[0] >= at), None)
        if i is None:
            continue
        j0, j1 = a.sentence_bounds(i)
        found = a.matches(j0, j1)
        if any(f.entry.role in (HEDGE_PRE, HEDGE_POST, NEG_PRE, NEG_POST) for f in found) \
                or not any(f.entry.role == TERM for f in found):
            continue
        cands.append(stop)
    if not cands:
        return None
    stop = rng.choice(cands)
    return text[:stop] + text[stop + 1:]


def _drop_short_word(text: str, language: str, rng: random.Random) -> str | None:
    """Speech recognition drops short unstressed words (function words) most often."""
    tokens, a = _analyse(text, language)
    plain = a.lexicon.function_words
    cands = [i for i, k in enumerate(tokens.keys) if k.isalpha() and len(k) <= 4 and k in plain
             and a.match_at(i) is None]
    if not cands:
        return None
    i = rng.choice(cands)
    return _cut(text, tokens, i, i + 1)


def _drop_unit(text: str, language: str, rng: random.Random) -> str | None:
    tokens, a = _analyse(text, language)
    m = _pick(rng, [m for m in _all_matches(a) if m.entry.role == UNIT])
    return _cut(text, tokens, m.start, m.end) if m else None


def _rtf_brace_cut(text: str, language: str, rng: random.Random) -> str | None:
    """An RTF reader that stops at an unmatched closing brace loses the rest of the note."""
    k = text.find("}")
    return text[:k] if k >= 0 else None


# -- benign ---------------------------------------------------------------------------------------------------
def _rewrap(text: str, language: str, rng: random.Random) -> str | None:
    width = rng.choice((24, 40, 60, 72))
    paragraphs = re.split(r"(\n[^\S\n]*\n)", text)
    out = []
    for part in paragraphs:
        if part.strip() == "" and "\n" in part:
            out.append(part)
        else:
            out.append(textwrap.fill(" ".join(part.split()), width=width, break_long_words=False,
                                     break_on_hyphens=False))
    return "".join(out)


def _crlf(text: str, language: str, rng: random.Random) -> str | None:
    return re.sub(r"\r\n|\r|\n", "\r\n", text) if "\n" in text else text + "\r\n"


def _cr(text: str, language: str, rng: random.Random) -> str | None:
    return re.sub(r"\r\n|\n", "\r", text) if "\n" in text else None


def _blank_lines(text: str, language: str, rng: random.Random) -> str | None:
    """A blank line becomes a single line break, or a single line break a blank line."""
    if re.search(r"\n[^\S\n]*\n", text):
        return re.sub(r"\n[^\S\n]*\n", "\n", text)
    return text.replace("\n", "\n\n") if "\n" in text else None


def _markdown_list(text: str, language: str, rng: random.Random) -> str | None:
    """Every line becomes a Markdown list item (or, read the other way, a rendered list lost its bullets)."""
    if "\n" not in text.strip():
        return None
    bullet = rng.choice(("- ", "* ", "• "))
    return re.sub(r"(?m)^(?=[^\W\d_])", bullet, text)


def _nfd(text: str, language: str, rng: random.Random) -> str | None:
    return unicodedata.normalize("NFD", text)


def _nbsp(text: str, language: str, rng: random.Random) -> str | None:
    return text.replace(" ", "\u00a0")


_ENTITY_NAMES = {cp: name for name, cp in html.entities.name2codepoint.items()}


def _entities(text: str, language: str, rng: random.Random) -> str | None:
    out = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ord(ch) > 127:
            name = _ENTITY_NAMES.get(ord(ch))
            out.append(f"&{name};" if name and rng.random() < 0.5 else f"&#{ord(ch)};")
        else:
            out.append(ch)
    return "".join(out)


def _trailing_newline(text: str, language: str, rng: random.Random) -> str | None:
    return text.rstrip("\r\n") if text.endswith(("\n", "\r")) else text + "\n"


def _whitespace(text: str, language: str, rng: random.Random) -> str | None:
    return re.sub(r"[ ]+", lambda m: rng.choice(("  ", "\t", " \t ", "   ")), text)


def _upper(text: str, language: str, rng: random.Random) -> str | None:
    return text.upper()


def _soft_hyphens(text: str, language: str, rng: random.Random) -> str | None:
    return re.sub(r"(?<=[^\W\d_]{3})(?=[^\W\d_]{3})", lambda m: "\u00ad" if rng.random() < 0.3 else "", text)


def _micro_sign(text: str, language: str, rng: random.Random) -> str | None:
    if "µ" in text:
        return text.replace("µ", "μ")
    if "μ" in text:
        return text.replace("μ", "µ")
    return None


def _zero_width(text: str, language: str, rng: random.Random) -> str | None:
    return re.sub(r"(?<=[^\W\d_]{2})(?=[^\W\d_]{2})", lambda m: "\u200b" if rng.random() < 0.2 else "", text)


def _m(name: str, mechanism: str, kinds: str | tuple[str, ...], func: Func) -> Mutant:
    found = (kinds,) if isinstance(kinds, str) else kinds
    unknown = [k for k in found if k not in KIND]
    if unknown:
        raise ValueError(f"mutant {name!r} names unknown kinds {unknown}")
    return Mutant(name, mechanism, frozenset(found), func)


def _b(name: str, mechanism: str, func: Func) -> Mutant:
    return Mutant(name, mechanism, frozenset(), func, benign=True)


_ANY_LOSS = (TRUNCATED, WORD_DROPPED, NEGATION_DROPPED, TERM_DROPPED, NUMBER_CHANGED, HEDGE_CHANGED, UNIT_CHANGED,
             LATERALITY_CHANGED, WORDS_MERGED)

LOSSY: tuple[Mutant, ...] = (
    _m("drop-negation", "a stop-word list or dictation drops a pre-negation (inte, ej, ingen, no, denies)",
       NEGATION_DROPPED, _drop_negation),
    _m("eat-post-negation", "editing at the end of a sentence loses the post-negation ('påvisas ej')",
       NEGATION_DROPPED, _eat_post_negation),
    _m("negation-substitution", "one word replaced: 'Ingen fraktur' becomes 'En fraktur'",
       NEGATION_DROPPED, _negation_substitution),
    _m("drop-hedge", "the uncertainty cue is removed: 'Misstänkt lungemboli' becomes 'Lungemboli'",
       HEDGE_CHANGED, _drop_hedge),
    _m("swap-term", "a look-alike or one-letter slip: hypoglykemi becomes hyperglykemi",
       TERM_CHANGED, _swap_term),
    _m("swap-side", "höger and vänster (left and right) swapped", LATERALITY_CHANGED, _swap_side),
    _m("drop-side", "the side word is lost", LATERALITY_CHANGED, _drop_side),
    _m("break-decimal-comma", "a decimal comma read as a separator: 2,5 mg becomes 25 mg",
       NUMBER_CHANGED, _break_decimal),
    _m("lose-micro", "µ shown as m: 50 µg becomes 50 mg", UNIT_CHANGED, _lose_micro),
    _m("drop-micro", "µ dropped by a narrow character set: 50 µg becomes 50 g", UNIT_CHANGED, _drop_micro),
    _m("drop-unit", "the unit after a dose is lost", UNIT_CHANGED, _drop_unit),
    _m("drop-comparator", "'CRP <5' loses its sign", NUMBER_CHANGED, _drop_comparator),
    _m("change-digit", "a digit changes in transcription", NUMBER_CHANGED, _change_digit),
    _m("truncate-at-cap", "a field-length cap (64/200/255/1000/2000/4000/32767/65535) cuts the note",
       TRUNCATED, _truncate_at_cap),
    _m("hl7-delimiter-cut", "an unescaped | ^ ~ \\ & in OBX-5 ends the field", TRUNCATED, _hl7_delimiter_cut),
    _m("hl7-cr-cut", "a CR inside an HL7 field starts a bogus segment and the rest is lost", TRUNCATED,
       _hl7_cr_cut),
    _m("merge-lines", "a line break (or <br/>, \\.br\\) removed without a space: words run together",
       WORDS_MERGED, _merge_lines),
    _m("ascii-ignore", "the text passes a narrow character set with errors='ignore'",
       (ENCODING_DAMAGED, UNIT_CHANGED, NUMBER_CHANGED), _ascii_ignore),
    _m("ascii-replace", "the text passes a narrow character set with errors='replace'",
       (ENCODING_DAMAGED, UNIT_CHANGED), _ascii_replace),
    _m("mojibake", "UTF-8 bytes read as Windows-1252", (ENCODING_DAMAGED, UNIT_CHANGED), _mojibake),
    _m("eat-angle-brackets", "an HTML sanitiser strips what looks like a tag: 'CRP <5, ingen infektion'",
       _ANY_LOSS, _eat_angle_brackets),
    _m("eat-comments", "a sanitiser drops '<!-- ej -->' entirely", _ANY_LOSS, _eat_comments),
    _m("reorder-inline", "a converter moves an inline element ('<b>inte</b>') to the start",
       REORDERED, _reorder_inline),
    _m("drop-sentence", "a converter silently drops a statement or section",
       (TERM_DROPPED, WORD_DROPPED, TRUNCATED), _drop_sentence),
    _m("drop-term", "the clinical term itself is lost", TERM_DROPPED, _drop_term),
    _m("drop-full-stop", "a lost full stop lets a negation run on into the next sentence",
       NEGATION_ADDED, _drop_full_stop),
    _m("drop-short-word", "speech recognition deletes a short unstressed word", WORD_DROPPED, _drop_short_word),
    _m("rtf-brace-cut", "an RTF reader stops at an unmatched '}'", TRUNCATED, _rtf_brace_cut),
)

BENIGN: tuple[Mutant, ...] = (
    _b("rewrap", "lines re-wrapped to another width, blank lines kept", _rewrap),
    _b("crlf", "line endings become CRLF", _crlf),
    _b("cr", "line endings become CR (old Mac, some RTF readers)", _cr),
    _b("blank-lines", "a blank line becomes a single line break, or the other way round", _blank_lines),
    _b("markdown-list", "lines become Markdown list items, or a rendered list loses its bullets", _markdown_list),
    _b("nfd", "Unicode decomposed (ö as o + U+0308)", _nfd),
    _b("nbsp", "spaces become no-break spaces", _nbsp),
    _b("entities", "non-ASCII characters and & spelled as character references", _entities),
    _b("trailing-newline", "a trailing newline added or removed", _trailing_newline),
    _b("whitespace", "spaces doubled or turned into tabs", _whitespace),
    _b("upper-case", "the text upper-cased", _upper),
    _b("soft-hyphens", "soft hyphens inserted into long words", _soft_hyphens),
    _b("micro-sign", "µ (U+00B5) and μ (U+03BC) exchanged", _micro_sign),
    _b("zero-width", "zero-width spaces inside words", _zero_width),
)

MUTANTS: dict[str, Mutant] = {m.name: m for m in (*LOSSY, *BENIGN)}


def apply(name: str, text: str, language: str = "sv", seed: int = 0) -> str | None:
    """Apply the mutant called ``name`` (see ``MUTANTS``) with a seeded choice of target."""
    try:
        mutant = MUTANTS[name]
    except KeyError:
        raise KeyError(f"unknown mutant {name!r}; known: {', '.join(MUTANTS)}") from None
    return mutant(text, language, random.Random(seed))
