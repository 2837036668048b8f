"""Hypothesis strategies for journal notes whose every critical word is known.

A note is assembled from *sentences*, each a tuple of parts (text plus what it is: a negation cue, a term and its
polarity, a dose, a side...). Assembly records every part's exact span, so ``note.text[f.start:f.end] == f.text``
for every fact, whatever hostile characters, line endings or lengths were mixed in. Notes are lists of sections
of sentences, so Hypothesis shrinks a failing note by dropping sections and sentences until one short sentence
with the guilty cue is left.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hypothesis import strategies as st

from journal_fuzz.constants import CAPS
from journal_fuzz.notes import Fact, Note
from journal_fuzz.strategies.vocab import Vocabulary, vocabulary
from journal_fuzz.synthetic import FIRST_NAMES, LAST_NAMES, TEST_PERSONNUMMER

__all__ = [
    "HOSTILE_FEATURES", "Part", "Sentence", "assemble", "hedged_findings", "hostile_sentences",
    "hostile_text", "lab_results", "lengths_near", "long_compounds", "medication_orders", "negated_findings", "notes",
    "sentences", "sided_findings",
]


HOSTILE_FEATURES = ("hl7-delimiters", "markup", "comment", "angle-brackets", "rtf-braces", "quotes", "tab", "crlf",
                    "cr", "nfd", "nbsp", "zero-width", "soft-hyphen", "emoji", "non-latin1", "backslash")


@dataclass(frozen=True)
class Part:
    """A piece of a sentence: its text and, when it is critical, the kind of fact it is."""

    text: str
    kind: str | None = None
    attrs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Sentence:
    parts: tuple[Part, ...]
    features: frozenset[str] = field(default_factory=frozenset)
    """Labels for what the sentence exercises (``post-negation``, ``decimal-comma``, ``micro`` ...)."""
    joiner: str = " "
    """What follows this sentence when another comes after it in the same section."""

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts)


@cache
def _sf(items: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """``sampled_from`` built once per tuple: a fresh strategy per draw costs Hypothesis a validation each time."""
    return st.sampled_from(items)


@cache
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


_BOOLS = st.booleans()


def _p(text: str, kind: str | None = None, **attrs: Any) -> Part:
    return Part(text, kind, tuple(sorted(attrs.items())))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- sentence builders ------------------------------------------------------------------------------------------
@cache
def _product(language: str, name: str) -> tuple[tuple[Any, ...], ...]:
    """Every combination a sentence frame allows, as one tuple: one Hypothesis choice picks a whole sentence's
    words (half the choices per note of drawing each word), and index 0 is still the simplest sentence."""
    v = vocabulary(language)
    hedges = tuple(("pre", c) for c in v.hedge_pre) + tuple(("post", c) for c in v.hedge_post)
    tables: dict[str, tuple[tuple[Any, ...], ...]] = {
        "pre": (v.pre + v.pre_mid, v.findings), "post": (v.post, v.findings), "pseudo": (v.pseudo, v.findings),
        "hedge": (hedges, v.findings), "sided": (v.pain, v.anatomy, _side_forms(language)),
        "affirmed": (v.affirmed, v.findings), "orders": (v.routes, v.frequencies),
        "compound": (tuple(("pre", c) for c in v.pre) + tuple(("post", c) for c in v.post)
                     + tuple(("affirmed", c) for c in v.affirmed) + tuple(("hedge-pre", c) for c in v.hedge_pre)
                     + tuple(("hedge-post", c) for c in v.hedge_post), v.long_compounds),
    }
    return tuple(itertools.product(*tables[name]))


@cache
def _findings(language: str) -> st.SearchStrategy[str]:
    return st.sampled_from(vocabulary(language).findings)


@cache
def _choose(language: str, name: str) -> st.SearchStrategy[tuple[Any, ...]]:
    """One choice over :func:`_product` (cached by name: hashing a large tuple per draw would cost more)."""
    return st.sampled_from(_product(language, name))


def _term(concept: str, polarity: str, side: str | None = None, text: str | None = None) -> Part:
    return _p(text if text is not None else concept, "term", polarity=polarity, concept=concept, side=side)


def _pre_negated(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    frame, term = draw(_choose(v.language, "pre"))
    if frame in v.pre_mid:
        *lead, cue = frame.rsplit(" ", 1)
        parts = [_p(" ".join(lead) + " "), _p(cue, "negation", role="pre"), _p(" ")]
        feats = {"pre-negation", "negation-mid-sentence"}
    else:
        parts = [_p(frame, "negation", role="pre"), _p(" ")]
        feats = {"pre-negation"}
    parts.append(_term(term, "negated"))
    if draw(_ints(0, 4)) == 4:
        other = draw(_findings(v.language))
        parts += [_p(", "), _p(draw(_sf(v.termination)), "negation", role="termination"), _p(" "),
                  _term(other, "affirmed")]
        feats.add("termination")
    parts.append(_p("."))
    return Sentence(tuple(parts), frozenset(feats | _long(term)))


def _post_negated(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    (lead, cue), term = draw(_choose(v.language, "post"))
    return Sentence((_term(term, "negated", text=_cap(term)), _p(f" {lead} " if lead else " "),
                     _p(cue, "negation", role="post"), _p(".")),
                    frozenset({"post-negation"} | _long(term)))


def _pseudo(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    (cue, lead_on), term = draw(_choose(v.language, "pseudo"))
    return Sentence((_p(cue, "negation", role="pseudo"), _p(f" {lead_on} "), _term(term, "affirmed"), _p(".")),
                    frozenset({"pseudo-negation"} | _long(term)))


def _hedged(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    (where, cue), term = draw(_choose(v.language, "hedge"))
    if where == "pre":
        return Sentence((_p(cue, "hedge", role="pre"), _p(" "), _term(term, "uncertain"), _p(".")),
                        frozenset({"hedge", "hedge-pre"} | _long(term)))
    return Sentence((_term(term, "uncertain", text=_cap(term)), _p(" "), _p(cue, "hedge", role="post"), _p(".")),
                    frozenset({"hedge", "hedge-post"} | _long(term)))


@cache
def _side_forms(language: str) -> tuple[tuple[str, str, bool], ...]:
    """(side, word, written after the organ): "vänster höft", "höft sin", "hip bilateral"."""
    v = vocabulary(language)
    out = [(side, word, word in ("dx", "sin")) for side in ("right", "left") for word in v.sides[side]]
    out += [(side, word, True) for side in ("right", "left") for word in v.sides[side][:1]]
    out += [("bilateral", word, True) for word in v.bilateral]
    return tuple(out)


def _sided(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    frame, organ, (side, word, after) = draw(_choose(v.language, "sided"))
    if side == "bilateral":
        return Sentence((_p(frame + " "), _term(organ, "affirmed", side="bilateral"), _p(" "),
                         _p(word, "side", side="bilateral"), _p(".")), frozenset({"side", "bilateral"}))
    if after:
        parts = (_p(frame + " "), _term(organ, "affirmed", side=side), _p(" "), _p(word, "side", side=side),
                 _p("."))
    else:
        parts = (_p(frame + " "), _p(word, "side", side=side), _p(" "), _term(organ, "affirmed", side=side),
                 _p("."))
    return Sentence(parts, frozenset({"side", f"side-{side}"}))


def _affirmed(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    lead, term = draw(_choose(v.language, "affirmed"))
    parts = [_p(lead + " "), _term(term, "affirmed")]
    feats = set(_long(term))
    days = draw(_ints(0, 13))  # 0: no duration; it shrinks away
    if days:
        n = days + 1
        before, _, after = v.since.partition("{n}")
        parts += [_p(" " + before), _p(str(n), "number"), _p(after)]
        feats.add("number")
    parts.append(_p("."))
    return Sentence(tuple(parts), frozenset(feats))


def _compound(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    """A long Swedish compound (over 20 letters) under a negation, a hedge or plainly stated."""
    (mode, cue), term = draw(_choose(v.language, "compound"))
    feats = {"long-compound"}
    if mode == "post":
        lead, words = cue
        return Sentence((_term(term, "negated", text=_cap(term)), _p(f" {lead} " if lead else " "),
                         _p(words, "negation", role="post"), _p(".")), frozenset(feats | {"post-negation"}))
    if mode == "pre":
        return Sentence((_p(cue, "negation", role="pre"), _p(" "), _term(term, "negated"), _p(".")),
                        frozenset(feats | {"pre-negation"}))
    if mode == "affirmed":
        return Sentence((_p(cue + " "), _term(term, "affirmed"), _p(".")), frozenset(feats))
    if mode == "hedge-pre":
        return Sentence((_p(cue, "hedge", role="pre"), _p(" "), _term(term, "uncertain"), _p(".")),
                        frozenset(feats | {"hedge"}))
    return Sentence((_term(term, "uncertain", text=_cap(term)), _p(" "), _p(cue, "hedge", role="post"), _p(".")),
                    frozenset(feats | {"hedge"}))


def _long(term: str) -> set[str]:
    return {"long-compound"} if len(term) > 20 else set()


def _number_features(value: str, language: str) -> set[str]:
    if "," in value:
        return {"decimal-comma"}
    if "." in value:
        return {"decimal-point"}
    return set()


def _unit_features(unit: str) -> set[str]:
    feats = {f"unit-{unit}"}
    if "µ" in unit or "μ" in unit:
        feats.add("micro")
    if unit.startswith(("mikro", "mcg")):
        feats.add("micro-spelled")
    if "%" in unit:
        feats.add("percent")
    if "°" in unit:
        feats.add("celsius")
    return feats


@cache
def _dose_forms(language: str) -> tuple[tuple[str, str, str, str], ...]:
    """Every (substance, name as written, dose, unit) the dose tables allow: one choice per order."""
    return tuple((substance, name, value, unit) for substance, names, values, units in vocabulary(language).doses
                 for name in names for value in values for unit in units)


@cache
def _doses(language: str) -> st.SearchStrategy[tuple[str, str, str, str]]:
    return st.sampled_from(_dose_forms(language))


def _medication(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    substance, name, value, unit = draw(_doses(v.language))
    route, freq = draw(_choose(v.language, "orders"))
    parts = (_p(_cap(name), "drug", concept=substance), _p(" "),
             _p(value, "number"), _p(" "), _p(unit, "unit"), _p(" "), _p(route), _p(" "), _p(freq), _p("."))
    feats = {"medication", "dose"} | _number_features(value, v.language) | _unit_features(unit)
    return Sentence(parts, frozenset(feats))


def _lab(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    count = draw(_ints(1, 3))
    parts: list[Part] = []
    feats: set[str] = {"lab"}
    for k in range(count):
        name, values, unit, signed = draw(_sf(v.labs))
        value = draw(_sf(values))
        if k:
            parts.append(_p(", "))
        parts += [_p(name, "term", polarity="affirmed", concept=name.casefold()), _p(" ")]
        sign = draw(_sf(("", "", "<", ">", "≤", "≥"))) if signed else ""
        if sign:
            parts.append(_p(sign, "number", comparator=True))
            feats.add("comparison")
            if sign in "≤≥":
                feats.add("non-latin1")
        parts.append(_p(value, "number"))
        feats |= _number_features(value, v.language)
        if not sign and draw(_ints(0, 4)) == 4:
            dash = draw(_sf(("–", "-")))
            upper = draw(_sf(values))
            parts += [_p(dash), _p(upper, "number")]
            feats.add("range")
        if unit:
            parts += [_p(" "), _p(unit, "unit")]
            feats |= _unit_features(unit)
    # One choice picks which vital sign follows (if any): fewer draws, and it shrinks to "none".
    vital = draw(_ints(0, 3))
    if vital == 1:
        diastolic = draw(_ints(50, 100))
        systolic = diastolic + draw(_ints(30, 90))
        bp = "BT" if v.language == "sv" else "BP"
        parts += [_p(", " + bp + " "), _p(f"{systolic}/{diastolic}", "number")]
        feats.add("slash")
    elif vital == 2:
        sat = draw(_ints(85, 100))
        parts += [_p(", saturation "), _p(str(sat), "number"), _p(" "), _p("%", "unit")]
        feats.add("percent")
    elif vital == 3:
        tenths = draw(_ints(350, 409))
        sep = "," if v.language == "sv" else "."
        temp = f"{tenths // 10}{sep}{tenths % 10}"
        parts += [_p(", temp "), _p(temp, "number"), _p(" " if tenths % 2 else ""), _p("°C", "unit")]
        feats |= {"celsius", "vital-signs"} | _number_features(temp, v.language)
    parts.append(_p("."))
    return Sentence(tuple(parts), frozenset(feats))


def _dated(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    day_of_span = draw(_ints(0, 8 * 336 - 1))  # eight years of 12 x 28 days
    year, rest = divmod(day_of_span, 336)
    month, day = divmod(rest, 28)
    date = f"{2019 + year}-{month + 1:02d}-{day + 1:02d}"
    lead = "Återbesök" if v.language == "sv" else "Follow-up on"
    return Sentence((_p(lead + " "), _p(date, "date"), _p(".")), frozenset({"date"}))


def _calm(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    return Sentence((_p(draw(_sf(v.calm))),), frozenset())


def _header(v: Vocabulary, name: str, pnr: str, layout: int) -> Sentence:
    shown = {0: pnr, 1: f"{pnr[:8]}-{pnr[8:]}", 2: f"{pnr[2:8]}-{pnr[8:]}", 3: pnr[2:]}[layout]
    label = "Patient" if v.language == "en" else "Pat"
    return Sentence((_p(f"{label}: {name}, "), _p(shown, "id"), _p(".")), frozenset({"personnummer"}))


# -- hostile sentences -----------------------------------------------------------------------------------------
_HOSTILE: dict[str, list[tuple[str, tuple[tuple[str, str | None], ...]]]] = {
    "sv": [
        ("hl7-delimiters", (("Hjärta ", None), ("&", None), (" lungor: ", None), ("ua", None), (".", None))),
        ("hl7-delimiters", (("BT 130/80 | puls 72 ^ sat 97 % ~ ", None), ("ingen", "negation"), (" feber", None),
                            (".", None))),
        ("angle-brackets", (("Ej", "negation"), (" allergi mot <penicillin>.", None))),
        ("angle-brackets", (("CRP ", None), ("<5", "number"), (", ", None), ("ingen", "negation"),
                            (" infektion.", None))),
        ("comment", (("Har <!-- ", None), ("ej", "negation"), (" --> feber.", None))),
        ("markup", (("Patienten har <b>", None), ("inte", "negation"), ("</b> feber.", None))),
        ("markup", (("Värde a < b > c, ", None), ("inga", "negation"), (" fynd.", None))),
        ("rtf-braces", (("{", None), ("Ej", "negation"), ("} allergi, {\\fldrslt se} journal.", None))),
        ("quotes", (('Patienten säger "', None), ("ingen", "negation"), (' smärta" och \'mår bra\'.', None))),
        ("backslash", (("Sökväg C:\\journal\\", None), ("ej", "negation"), ("\\klar.", None))),
        ("emoji", (("Mår bra 🙂, ", None), ("ingen", "negation"), (" feber 🌡️.", None))),
        ("non-latin1", (("Sat ", None), ("≥", "number"), ("95 % → ", None), ("ingen", "negation"),
                        (" syrgas, B12 1000 µg.", None))),
    ],
    "en": [
        ("hl7-delimiters", (("Heart ", None), ("&", None), (" lungs: normal.", None))),
        ("hl7-delimiters", (("BP 130/80 | pulse 72 ^ sat 97 % ~ ", None), ("no", "negation"), (" fever.", None))),
        ("angle-brackets", (("No", "negation"), (" allergy to <penicillin>.", None))),
        ("angle-brackets", (("CRP ", None), ("<5", "number"), (", ", None), ("no", "negation"),
                            (" infection.", None))),
        ("comment", (("Has <!-- ", None), ("not", "negation"), (" --> fever.", None))),
        ("markup", (("Patient has <b>", None), ("no", "negation"), ("</b> fever.", None))),
        ("markup", (("Value a < b > c, ", None), ("no", "negation"), (" findings.", None))),
        ("rtf-braces", (("{", None), ("No", "negation"), ("} allergy, {\\fldrslt see} chart.", None))),
        ("quotes", (('Patient says "', None), ("no", "negation"), (' pain" and \'feels well\'.', None))),
        ("backslash", (("Path C:\\chart\\", None), ("not", "negation"), ("\\done.", None))),
        ("emoji", (("Feels well 🙂, ", None), ("no", "negation"), (" fever 🌡️.", None))),
        ("non-latin1", (("Sat ", None), ("≥", "number"), ("95 % → ", None), ("no", "negation"),
                        (" oxygen, B12 1000 µg.", None))),
    ],
}


def hostile_sentences(language: str = "sv") -> st.SearchStrategy[Sentence]:
    """A sentence carrying what breaks real pipelines: HL7 delimiters, markup-like text, RTF braces, emoji..."""
    return _frames(_check_language(language).language, ("hostile",))


def _hostile(draw: st.DrawFn, v: Vocabulary) -> Sentence:
    feature, pieces = draw(_sf(tuple(_HOSTILE[v.language])))
    parts = tuple(_p(t, k, role="pre") if k == "negation" else _p(t, k) for t, k in pieces)
    feats = {feature, "hostile"}
    text = "".join(t for t, _k in pieces)
    if any(c in text for c in "|^~\\&"):
        feats.add("hl7-delimiters")
    if "<" in text:
        feats.add("angle-brackets")
    if not all(ord(c) < 256 for c in text):
        feats.add("non-latin1")
    if "\\" in text:
        feats.add("backslash")
    return Sentence(parts, frozenset(feats))


# -- transforms that keep spans exact ---------------------------------------------------------------------------
def _transform(sentence: Sentence, how: str) -> Sentence:
    """Apply a hostile character habit to every part, so spans stay exact."""
    def each(text: str) -> str:
        if how == "nfd":
            return unicodedata.normalize("NFD", text)
        if how == "nbsp":
            return text.replace(" ", "\u00a0")
        if how == "tab":
            return text.replace(" ", "\t", 1)
        if how in ("soft-hyphen", "zero-width"):
            mark = "\u00ad" if how == "soft-hyphen" else "\u200b"
            return " ".join(_split_word(w, mark) for w in text.split(" "))
        return text
    parts = tuple(Part(each(p.text), p.kind, p.attrs) for p in sentence.parts)
    changed = any(a.text != b.text for a, b in zip(parts, sentence.parts, strict=True))
    return Sentence(parts, sentence.features | ({how, "hostile"} if changed else set()), sentence.joiner)


def _split_word(word: str, mark: str) -> str:
    if len(word) < 8 or not word.isalpha():
        return word
    return word[: len(word) // 2] + mark + word[len(word) // 2:]


# -- assembly ---------------------------------------------------------------------------------------------------
def assemble(sections: Sequence[tuple[str | None, Sequence[Sentence]]], language: str,
             section_break: str = "\n\n", extra_features: Iterable[str] = ()) -> Note:
    """Join sections of sentences into a :class:`Note`, recording every fact's exact span."""
    out: list[str] = []
    facts: list[Fact] = []
    features: set[str] = set(extra_features)
    pos = 0

    def put(text: str, kind: str | None = None, attrs: tuple[tuple[str, Any], ...] = ()) -> None:
        nonlocal pos
        if kind is not None and text:
            a = dict(attrs)
            facts.append(Fact(kind=kind, start=pos, end=pos + len(text), text=text, polarity=a.get("polarity"),
                              side=a.get("side"), role=a.get("role"), concept=a.get("concept")))
        out.append(text)
        pos += len(text)

    nonempty = [(h, s) for h, s in sections if s or h]
    for k, (heading, sentences) in enumerate(nonempty):
        if k:
            put(section_break)
        if heading:
            put(heading + ":")
            put("\n" if sentences else "")
            features.add("heading")
        for n, sentence in enumerate(sentences):
            if n:
                put(sentences[n - 1].joiner)
            for part in sentence.parts:
                put(part.text, part.kind, part.attrs)
            features |= sentence.features
    text = "".join(out)
    if "\r\n" in text:
        features.add("crlf")
    if re.search("\r(?!\n)", text):
        features.add("cr")
    if "\n\n" in text or "\r\n\r\n" in text:
        features.add("blank-line")
    if any(f.kind == "negation" and f.role == "post" for f in facts):
        features.add("post-negation")
    features.add(f"length-{_length_band(len(text))}")
    features |= {f"past-cap-{c}" for c in CAPS if len(text) > c}
    return Note(text=text, language=language, facts=tuple(facts), features=frozenset(features))


def _length_band(n: int) -> str:
    for limit, name in ((200, "short"), (1000, "medium"), (4000, "long")):
        if n <= limit:
            return name
    return "very-long"


# -- public strategies --------------------------------------------------------------------------------------------
_BUILDERS: dict[str, Callable[[st.DrawFn, Vocabulary], Sentence]] = {
    "pre": _pre_negated, "post": _post_negated, "hedge": _hedged, "sided": _sided, "medication": _medication,
    "lab": _lab, "affirmed": _affirmed, "pseudo": _pseudo, "dated": _dated, "calm": _calm, "hostile": _hostile,
    "compound": _compound,
}
_CLINICAL = ("pre", "post", "hedge", "sided", "medication", "lab", "affirmed", "pseudo", "dated", "calm")


@st.composite
def _frames_draw(draw: st.DrawFn, language: str, names: tuple[str, ...]) -> Sentence:
    # One choice picks the frame and the frame's builder draws into this same span: no nested strategies.
    name = names[draw(_ints(0, len(names) - 1))] if len(names) > 1 else names[0]
    return _BUILDERS[name](draw, vocabulary(language))


@cache
def _frames(language: str, names: tuple[str, ...]) -> st.SearchStrategy[Sentence]:
    return _frames_draw(language, names)


def _clinical(v: Vocabulary) -> st.SearchStrategy[Sentence]:
    return _frames(v.language, _CLINICAL)


def _check_language(language: str) -> Vocabulary:
    if language not in ("sv", "en"):
        raise ValueError(f"unknown language {language!r}; use 'sv' or 'en'")
    return vocabulary(language)


def _as_note(sentence: st.SearchStrategy[Sentence], language: str) -> st.SearchStrategy[Note]:
    return sentence.map(lambda s: assemble([(None, [s])], language))


def sentences(language: str = "sv") -> st.SearchStrategy[Note]:
    """One clinical sentence of any kind, as a Note."""
    return _as_note(_clinical(_check_language(language)), language)


def negated_findings(language: str = "sv") -> st.SearchStrategy[Note]:
    """A finding negated before ("Ingen feber", "Denies chest pain") or after ("Fri gas ses ej")."""
    return _as_note(_frames(_check_language(language).language, ("pre", "post", "pseudo")), language)


def hedged_findings(language: str = "sv") -> st.SearchStrategy[Note]:
    """A finding under an uncertainty cue ("Misstänkt lungemboli", "kan ej uteslutas", "possible")."""
    return _as_note(_frames(_check_language(language).language, ("hedge",)), language)


def medication_orders(language: str = "sv") -> st.SearchStrategy[Note]:
    """A drug order: name, dose (decimal comma in Swedish), unit (mg, µg, mikrog, E, IE...), route, frequency."""
    return _as_note(_frames(_check_language(language).language, ("medication",)), language)


def sided_findings(language: str = "sv") -> st.SearchStrategy[Note]:
    """A finding with its side: "Smärta i vänster höft", "höft sin", "pain in the right knee", "bilateral"."""
    return _as_note(_frames(_check_language(language).language, ("sided",)), language)


def long_compounds(language: str = "sv") -> st.SearchStrategy[Note]:
    """A long compound (over 20 letters in Swedish) negated, hedged or stated."""
    return _as_note(_frames(_check_language(language).language, ("compound",)), language)


def lab_results(language: str = "sv") -> st.SearchStrategy[Note]:
    """Lab values with <, >, ≤, ≥, ranges, slashes ("BT 130/80"), percentages and °C."""
    return _as_note(_frames(_check_language(language).language, ("lab",)), language)


def hostile_text(language: str = "sv") -> st.SearchStrategy[Note]:
    """Short notes that mix clinical sentences with what breaks pipelines (delimiters, markup, NFD, emoji...)."""
    v = _check_language(language)
    return st.builds(
        lambda hostile, clinical, how, joiner: assemble(
            [(None, [Sentence(s.parts, s.features, joiner) for s in (_transform(clinical, how), hostile)])],
            language),
        hostile_sentences(language), _clinical(v),
        _sf(("none", "nfd", "nbsp", "tab", "soft-hyphen", "zero-width")),
        _sf((" ", "\n", "\r\n", "\r", "\t")))


@cache
def _bodies(language: str, hostile: bool, max_sentences: int) -> st.SearchStrategy[list[Sentence]]:
    body = _frames(language, (*_CLINICAL, "hostile") if hostile else _CLINICAL)
    return st.lists(body, min_size=1, max_size=max_sentences)


@cache
def _section(language: str, hostile: bool, max_sentences: int) -> st.SearchStrategy[
        tuple[str | None, list[Sentence]]]:
    return _section_draw(vocabulary(language), hostile, max_sentences)


@st.composite
def _section_draw(draw: st.DrawFn, v: Vocabulary, hostile: bool,
                  max_sentences: int) -> tuple[str | None, list[Sentence]]:
    heading = draw(_sf(v.sections)) if draw(_BOOLS) else None
    sentences = draw(_bodies(v.language, hostile, max_sentences))
    # One layout per section, as writers keep one: prose, one statement per line, or a list.
    layout = draw(_sf((" ", "\n", "- ", " ", "\r\n", "\r") if hostile else (" ", "\n", "- ")))
    as_list = layout == "- "
    joiner = "\n" if as_list else layout
    # Statements on lines of their own are often written without a full stop ("Cor: ua", "Pulm: ua").
    terse = joiner.strip(" ") != "" and draw(_BOOLS)
    out = []
    for s in sentences:
        how = draw(_sf(("none",) * 6 + ("nfd", "nbsp", "tab", "soft-hyphen", "zero-width"))) \
            if hostile else "none"
        s = _transform(s, how)
        if terse and s.parts and s.parts[-1].text == "." and s.parts[-1].kind is None:
            s = Sentence(s.parts[:-1], s.features | {"unpunctuated-lines"}, s.joiner)
        if as_list:
            s = Sentence((_p("- "), *s.parts), s.features | {"list"}, joiner)
        else:
            s = Sentence(s.parts, s.features, joiner)
        out.append(s)
    return heading, out


@st.composite
def notes(draw: st.DrawFn, language: str = "sv", min_size: int | None = None, max_size: int | None = None,
          hostile: bool = False, header: bool | None = None) -> Note:
    """Realistic journal notes: sections of negated, hedged, sided, dosed and measured findings.

    Mostly short (fast to send, easy to shrink) with a steady share of long ones; ``min_size``/``max_size``
    bound the length in characters; ``hostile=True`` mixes in delimiters, markup-like text, RTF braces, quotes,
    tabs, CR/CRLF, NFD, no-break and zero-width spaces, soft hyphens, emoji and characters outside Latin-1.
    """
    v = _check_language(language)
    if min_size is not None and max_size is not None and min_size > max_size:
        raise ValueError("min_size must not exceed max_size")
    # About one note in ten is long (1-6 kB): long enough to cross the common caps, rare enough to stay fast.
    long_note = draw(_ints(0, 9)) == 9 and (max_size is None or max_size > 1200)
    n_sections = draw(_ints(1, 4))
    sections = [draw(_section(language, hostile, 4)) for _ in range(n_sections)]
    if long_note:
        target = draw(_sf((1200, 2500, 6000)))
        min_size = max(min_size or 0, target if max_size is None else min(target, max_size))
    if header if header is not None else draw(_ints(0, 3)) == 3:  # rare, and shrinks away
        pnr = draw(_sf(TEST_PERSONNUMMER))
        name = f"{draw(_sf(FIRST_NAMES))} {draw(_sf(LAST_NAMES))}"
        sections.insert(0, (None, [_header(v, name, pnr, draw(_ints(0, 3)))]))
    break_ = draw(_sf(("\n\n", "\n\n", "\r\n\r\n", "\n"))) if hostile else "\n\n"
    note = assemble(sections, language, break_)
    if min_size is not None:
        while len(note.text) < min_size:
            # Add sections on an estimate of their length, then assemble once (not once per section).
            size = len(note.text)
            while size < min_size:
                section = draw(_section(language, hostile, 8))
                sections.append(section)
                size += len(break_) + sum(len(s.text) for s in section[1])
            note = assemble(sections, language, break_)
    if max_size is not None and len(note.text) > max_size:
        note = _fit(sections, language, break_, max_size)
    return note


def _fit(sections: list[tuple[str | None, list[Sentence]]], language: str, break_: str, max_size: int) -> Note:
    """Drop sentences from the end until the note fits ``max_size``."""
    kept = [(h, list(s)) for h, s in sections]
    while kept:
        note = assemble(kept, language, break_)
        if len(note.text) <= max_size:
            return note
        _heading, body = kept[-1]
        if body:
            body.pop()
        if not body:
            kept.pop()
    return assemble([], language)


@st.composite
def lengths_near(draw: st.DrawFn, language: str = "sv", caps: Sequence[int] = CAPS) -> Note:
    """A note whose critical word sits just past (or across) a common field cap, after benign filler."""
    v = _check_language(language)
    cap = draw(_sf(tuple(caps)))
    critical = draw(_frames(language, ("post", "pre", "medication", "hedge", "sided")))
    crit_note = assemble([(None, [critical])], language)
    facts = [f for f in crit_note.facts if f.kind in ("negation", "hedge", "unit", "number", "side")]
    target = facts[-1] if facts else crit_note.facts[-1]
    # Where the critical word should start, relative to the cap: straddling it or a few characters past it.
    shift = draw(_ints(-(target.end - target.start) + 1, 3))
    prefix_len = max(0, cap + shift - target.start)
    calm = list(v.calm)
    filler: list[str] = []
    size = 0
    while size + 40 < prefix_len:
        sentence = calm[(len(filler) * 7 + cap) % len(calm)] + " "
        filler.append(sentence)
        size += len(sentence)
    lead = "".join(filler) + " " * (prefix_len - size)
    prefix = Sentence((_p(lead),), frozenset())
    note = assemble([(None, [Sentence(prefix.parts, prefix.features, ""), critical])], language,
                    extra_features={f"near-cap-{cap}"})
    return note
