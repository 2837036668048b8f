"""Hypothesis strategies for journal notes whose every critical word is known.

A note is assembled from *sentences*, each a tuple of parts (text plus what it is: a negation cue, a term and its
polarity, a dose, a side...). Sentences are written from the grammar (``strategies/grammar/*.toml``): frames with
the cue in every position real notes put it (sentence-initial, after the finite verb, after *är*/*is*, after a
modal, in a subordinate clause, a list, an organ status line, parentheses, a question, *Det finns inga*), in the
sections of a journal note, a radiology answer or a discharge summary. Assembly records every part's exact span, so
``note.text[f.start:f.end] == f.text`` for every fact, whatever hostile characters, line endings or lengths were
mixed in. Notes are lists of sections of sentences, so Hypothesis shrinks a failing note by dropping sections and
sentences until one short sentence with the guilty cue is left.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from hypothesis import strategies as st

from journal_fuzz.constants import CAPS
from journal_fuzz.notes import Fact, Note
from journal_fuzz.strategies.grammar import CONSTRUCTIONS, ROLES, Frame, Grammar, Word, grammar, leads
from journal_fuzz.synthetic import FIRST_NAMES, LAST_NAMES, TEST_PERSONNUMMER

__all__ = [
    "CONSTRUCTIONS", "HOSTILE_FEATURES", "Part", "Sentence", "assemble", "hedged_findings", "hostile_sentences",
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
    """Labels for what the sentence exercises (``construction:after-verb``, ``decimal-comma``, ``micro`` ...)."""
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


def _int(draw: st.DrawFn, lo: int, hi: int) -> int:
    """An integer from ``lo`` to ``hi``, straight from the test case when ``draw`` is one's bound ``draw``.

    ``draw(st.integers(...))`` opens a span per integer; the shrinker and the mutator work on the spans of what a
    note is made of (a section, a sentence), and the span around each of ~100 integers a note cost Hypothesis
    time without helping either. The same choice is made either way."""
    data = getattr(draw, "__self__", None)
    if data is not None and hasattr(data, "draw_integer"):
        return int(data.draw_integer(lo, hi))
    return draw(_ints(lo, hi))


def _bool(draw: st.DrawFn) -> bool:
    """A fair coin, straight from the test case as :func:`_int`; shrinks to False."""
    data = getattr(draw, "__self__", None)
    if data is not None and hasattr(data, "draw_boolean"):
        return bool(data.draw_boolean(0.5))
    return draw(_ints(0, 1)) == 1


@cache
def _label(name: str) -> int:
    """A span label of its own for what is drawn from the same function with other data (a sentence of one
    section, a section of a note type). Hypothesis labels a composite's spans by the function, and its mutator
    copies a span over another of the same label: a sentence copied into a section whose choices mean other
    things read the rest of the note misaligned, and ran past its end."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


def _pick(draw: st.DrawFn, items: Sequence[Any]) -> Any:
    """One of ``items`` (the first when there is one: no choice is spent on it)."""
    return items[_int(draw, 0, len(items) - 1)] if len(items) > 1 else items[0]


def _p(text: str, kind: str | None = None, **attrs: Any) -> Part:
    return Part(text, kind, tuple(sorted(attrs.items()))) if attrs else Part(text, kind)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _construction(*names: str) -> frozenset[str]:
    return frozenset(f"construction:{n}" for n in names)


# -- sentences from the grammar's frames ----------------------------------------------------------------------------
_ROLE_FEATURES = {"pre": "pre-negation", "post": "post-negation", "pseudo": "pseudo-negation",
                  "termination": "termination"}


def _term(word: Word, polarity: str, side: str | None = None, cap: bool = False) -> Part:
    text = _cap(word.text) if cap else word.text
    if word.concept is None:
        return _p(text)
    return _p(text, "term", polarity=polarity, concept=word.concept, side=side)


_SPREAD = 2654435761
"""A prime (so multiplying by it modulo a frame's size permutes the frame's sentences, 0 staying 0). Hypothesis
favours small integers, and a frame's index read as it is would write its first cue and its first finding far
more often than its last (a site lexicon's cue, appended last, was in 1 note in 230); spread, every cue and term
of a frame is written about as often."""


def _frame(g: Grammar, frame: Frame, index: int) -> Sentence:
    """Write sentence ``index`` of ``frame``: every placeholder filled, agreement kept, every critical word a fact.

    One integer picks the whole sentence (see :meth:`Frame.decode`): fewer choices per note than drawing each
    word, and 0 is the simplest sentence, so shrinking goes there (the integer is spread, see ``_SPREAD``)."""
    _gender, _system, choices = frame.decode(index * _SPREAD % frame.size)
    values = iter(choices)
    parts: list[Part] = []
    feats = set(frame.features)
    side: tuple[str, str] | None = None
    organ: tuple[Word, str | None] | None = None
    seen_text = False
    for piece in frame.pieces:
        kind = piece.kind
        if kind == "lit":
            parts.append(_p(_after(parts, piece.arg)))
        elif kind == "finding":
            finding: Word = next(values)
            parts.append(_term(finding, frame.polarity, cap=piece.cap))
            if len(finding.text) > 20:
                feats.add("long-compound")
        elif kind == "other":
            parts.append(_term(next(values), "affirmed", cap=piece.cap))
        elif kind == "slot":
            slot = g.slots[piece.arg]
            value = next(values)
            lead, cue = value if leads(piece.arg) else ("", value)
            if lead:
                parts.append(_p(lead + " "))
            _section, _key, fact_kind, role = ROLES[slot.role]
            if seen_text or lead:
                feats.add("negation-mid-sentence" if fact_kind == "negation" else "hedge-mid-sentence")
            parts.append(_p(_cap(cue) if piece.cap else cue, fact_kind, role=role))
            feats.add(_ROLE_FEATURES[role] if fact_kind == "negation" else f"hedge-{role}")
            if fact_kind == "hedge":
                feats.add("hedge")
        elif kind in ("word", "status", "num", "exam"):
            text = next(values)
            parts.append(_p(_cap(text) if piece.cap else text, "number" if kind == "num" else None))
            if kind == "num":
                feats.add("number")
        elif kind == "?":
            parts.append(_p("?", "hedge", role="post"))
            feats |= {"hedge", "question"}
        elif kind in ("side", "side-after", "both"):
            if kind == "both" or side is None:
                side = next(values)
            else:  # a second side word names the same side
                where = "before" if kind == "side" else "after"
                side = next((c for c in g.sides[where] if c[0] == side[0]), side)
            assert side is not None
            parts.append(_p(_cap(side[1]) if piece.cap else side[1], "side", side=side[0]))
            feats |= {"side", "bilateral"} if side[0] == "bilateral" else {"side", f"side-{side[0]}"}
        elif kind in ("organ", "organs"):
            if organ is None:
                organ = next(values)
            assert organ is not None
            word = organ[0] if kind == "organ" else Word(organ[1] or organ[0].text, organ[0].concept, None)
            parts.append(_term(word, "affirmed", side=side[0] if side else None, cap=piece.cap))
        seen_text = seen_text or bool(parts and parts[-1].text.strip())
    # A side written after the organ names it too ("knä dx").
    if side is not None and organ is not None:
        parts = [Part(p.text, p.kind, tuple(sorted({**dict(p.attrs), "side": side[0]}.items())))
                 if p.kind == "term" and dict(p.attrs).get("concept") == organ[0].concept else p for p in parts]
    return Sentence(_capitalised(parts), frozenset(feats))


def _after(parts: Sequence[Part], text: str) -> str:
    """``text`` as written after ``parts``: a full stop is not written twice when the sentence ends in a word with
    its own (an abbreviation such as *utan anm.*, *neg.*, *ev.*, *b.i.d.*)."""
    if text.startswith(".") and parts and parts[-1].text.endswith("."):
        return text[1:]
    return text


def _capitalised(parts: Sequence[Part]) -> tuple[Part, ...]:
    """A sentence starts with a capital letter, whatever part it starts with."""
    if parts and parts[0].text[:1].islower():
        return (Part(_cap(parts[0].text), parts[0].kind, parts[0].attrs), *parts[1:])
    return tuple(parts)


@cache
def _section_frames(g: Grammar, section: str, constructions: tuple[str, ...] = ()) -> tuple[Frame, ...]:
    frames = g.by_section.get(section, ())
    if constructions:
        frames = tuple(f for f in frames if f.construction in constructions)
    return frames


@cache
def _all_frames(g: Grammar, constructions: tuple[str, ...]) -> tuple[Frame, ...]:
    return tuple(f for f in g.frames if f.construction in constructions)


# -- numbers, doses, labs -------------------------------------------------------------------------------------------
def _number_features(value: str) -> set[str]:
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
def _dose_forms(g: Grammar) -> tuple[tuple[int, str, str, str, str, str, bool], ...]:
    """Every (drug, name, dose or range, unit, route, frequency, is a range) the dosing tables allow."""
    out = []
    for k, d in enumerate(g.drugs):
        for doses in (d.doses, d.ranges):
            for name, dose in ((name, dose) for name in d.names for dose in doses):
                for unit in d.units:
                    for route in d.routes:
                        for freq in d.frequencies:
                            out.append((k, name, dose, unit, route, freq, doses is d.ranges))
    return tuple(out)


@cache
def _drug_spans(g: Grammar) -> tuple[slice, ...]:
    forms = _dose_forms(g)
    # One span per drug and per drug's as-needed ranges: a range is as likely as a drug.
    starts = [i for i, f in enumerate(forms) if i == 0 or forms[i - 1][0] != f[0] or forms[i - 1][6] != f[6]]
    return tuple(slice(a, b) for a, b in zip(starts, [*starts[1:], len(forms)], strict=True))


_RANGE = re.compile(r"^(\d+(?:[.,]\d+)?)(-+|–)(\d+(?:[.,]\d+)?)$")


def _medication(draw: st.DrawFn, g: Grammar) -> Sentence:
    # The drug first, then how it is ordered: each drug (and each drug's as-needed range) as likely, however many
    # ways it can be written.
    k, name, dose, unit, route, freq, _range = _pick(draw, _dose_forms(g)[_pick(draw, _drug_spans(g))])
    drug = g.drugs[k]
    feats = {"medication", "dose"} | _unit_features(unit) | _construction("medication")
    parts = [_p(name, "drug", concept=drug.substance), _p(" ")]
    m = _RANGE.match(dose)
    if m:
        parts += [_p(m.group(1), "number"), _p(m.group(2)), _p(m.group(3), "number")]
        feats |= {"range"} | _number_features(m.group(1))
        if m.group(2) == "--":
            feats |= _construction("double-dash-range")
        if m.group(2) == "–":
            feats.add("non-latin1")
    else:
        parts.append(_p(dose, "number"))
        feats |= _number_features(dose)
    parts += [_p(" "), _p(unit, "unit"), _p(" "), _p(route), _p(" "), _p(freq)]
    parts.append(_p(_after(parts, ".")))
    return Sentence(_capitalised(parts), frozenset(feats))


def _lab_value(draw: st.DrawFn, g: Grammar, lab: Any, feats: set[str], sep: str = " ",
               line_start: bool = False) -> list[Part]:
    """``CRP <5 mg/l``, ``Hb 98–112 g/l``, ``Hb 98 → 112 g/l``: the parts after the lab's name."""
    at = _int(draw, 0, len(lab.values) - 1)
    value = lab.values[at]
    parts: list[Part] = []
    sign = _pick(draw, ("", "", "<", ">", "≤", "≥")) if lab.signed else ""
    if sign:
        parts.append(_p("\n" if line_start else sep))
        parts.append(_p(sign, "number", comparator=True))
        feats.add("comparison")
        if line_start:
            feats |= _construction("line-start-sign")
    else:
        parts.append(_p(sep))
    parts.append(_p(value, "number"))
    feats |= _number_features(value)
    if not sign and sep == " " and at + 1 < len(lab.values):
        how = _int(draw, 0, 6)  # 0-4: one value; a range or a trend (to a higher value) shrinks away
        if how >= 5:
            dash = _pick(draw, ("–", "-") if how == 5 else (" → ", " -> "))
            parts += [_p(dash), _p(lab.values[at + 1], "number")]
            feats.add("range" if how == 5 else "trend")
    if lab.unit:
        parts += [_p(sep), _p(lab.unit, "unit")]
        feats |= _unit_features(lab.unit)
    return parts


def _distinct(lab: Any, labs: Sequence[Any], used: set[str]) -> Any:
    """``lab``, or the next one not yet in this sentence: a clinician writes each analyte once."""
    at = labs.index(lab)
    for step in range(len(labs)):
        candidate = labs[(at + step) % len(labs)]
        if candidate.name not in used:
            used.add(candidate.name)
            return candidate
    return lab


def _lab(draw: st.DrawFn, g: Grammar) -> Sentence:
    count = _int(draw, 1, 3)
    parts: list[Part] = []
    feats: set[str] = {"lab"} | set(_construction("lab"))
    line_start = _int(draw, 0, 3) >= 2  # half the time the first value on a line of its own
    used: set[str] = set()
    for k in range(count):
        lab = _distinct(_pick(draw, g.labs), g.labs, used)
        if k:
            parts.append(_p(", "))
        parts.append(_p(lab.name, "term", polarity="affirmed", concept=lab.name.casefold()))
        parts += _lab_value(draw, g, lab, feats, line_start=line_start and k == 0)
    parts.append(_p("."))
    return Sentence(tuple(parts), frozenset(feats))


@cache
def _signed_labs(g: Grammar) -> tuple[Any, ...]:
    return tuple(lab for lab in g.labs if lab.signed) or g.labs


def _lab_line(draw: st.DrawFn, g: Grammar) -> Sentence:
    """A lab printout pasted with the value on its own line: ``CRP\n<5 mg/l``, the line starting with a sign."""
    lab = _pick(draw, _signed_labs(g))
    sign = _pick(draw, ("<", ">", "≤", "≥"))
    value = lab.values[0] if sign in "<≤" else lab.values[-1]  # under a detection limit, over a cut-off
    parts = [_p(lab.name, "term", polarity="affirmed", concept=lab.name.casefold()), _p("\n"),
             _p(sign, "number", comparator=True), _p(value, "number")]
    feats = {"lab", "comparison"} | _construction("line-start-sign", "lab") | _number_features(parts[-1].text)
    if lab.unit:
        parts += [_p(" "), _p(lab.unit, "unit")]
        feats |= _unit_features(lab.unit)
    return Sentence(tuple(parts), frozenset(feats))


def _lab_flags(draw: st.DrawFn, g: Grammar) -> Sentence:
    """One value under the detection limit and one over the cut-off: ``CRP <5 mg/l, Troponin T >52 ng/l.``"""
    labs = _signed_labs(g)
    first = _int(draw, 0, len(labs) - 1)
    parts: list[Part] = []
    feats = {"lab", "comparison"} | set(_construction("lab"))
    for k, sign in enumerate(("<", ">")):
        lab = labs[(first + k) % len(labs)]
        value = lab.values[0] if sign == "<" else lab.values[-1]
        if k:
            parts.append(_p(", "))
        parts += [_p(lab.name, "term", polarity="affirmed", concept=lab.name.casefold()), _p(" "),
                  _p(sign, "number", comparator=True), _p(value, "number")]
        feats |= _number_features(value)
        if lab.unit:
            parts += [_p(" "), _p(lab.unit, "unit")]
            feats |= _unit_features(lab.unit)
    parts.append(_p("."))
    return Sentence(tuple(parts), frozenset(feats))


def _lab_table(draw: st.DrawFn, g: Grammar) -> Sentence:
    """Lab values as a pasted table: name, value and unit separated by tabs, one row a line."""
    rows = _int(draw, 2, 4)
    parts: list[Part] = []
    feats: set[str] = {"lab", "tab"} | set(_construction("tab-table", "lab"))
    used: set[str] = set()
    for k in range(rows):
        lab = _distinct(_pick(draw, g.labs), g.labs, used)
        if k:
            parts.append(_p("\n"))
        parts.append(_p(lab.name, "term", polarity="affirmed", concept=lab.name.casefold()))
        parts += _lab_value(draw, g, lab, feats, sep="\t")
    return Sentence(tuple(parts), frozenset(feats))


def _dipstick(draw: st.DrawFn, g: Grammar) -> Sentence:
    """``U-sticka: nitrit -, leukocyter ++``: results written as signs."""
    d = g.dipstick
    parts = [_p(_pick(draw, tuple(d["lead"])) + ": ")]
    fields = tuple(d["fields"])
    start = _int(draw, 0, len(fields) - 1)
    for k in range(_int(draw, 1, 3)):
        if k:
            parts.append(_p(", "))
        parts += [_p(fields[(start + k) % len(fields)] + " "), _p(_pick(draw, tuple(d["results"])), "number")]
    parts.append(_p("."))
    return Sentence(tuple(parts), frozenset({"lab"}) | _construction("plus-minus"))


def _vitals(draw: st.DrawFn, g: Grammar) -> Sentence:
    v = g.vitals
    diastolic = _int(draw, 50, 100)
    systolic = diastolic + _int(draw, 30, 90)
    parts = [_p(f"{v['blood_pressure']} "), _p(f"{systolic}/{diastolic}", "number")]
    feats = {"slash", "vital-signs", "lab"}
    extra = _int(draw, 0, 3)
    if extra & 1:
        parts += [_p(f", {v['saturation']} "), _p(str(_int(draw, 85, 100)), "number"), _p(" "), _p("%", "unit")]
        feats.add("percent")
    if extra & 2:
        fever = _bool(draw)
        tenths = _int(draw, 385, 409) if fever else _int(draw, 350, 384)
        temp = f"{tenths // 10}{v['decimal']}{tenths % 10}"
        # Written as a line of its own, a fever is often ">38,5": a Markdown reader takes the sign for a quote.
        if fever:
            parts += [_p(f", {v['temperature']}\n"), _p(">", "number", comparator=True), _p(temp, "number")]
            feats |= {"comparison"} | _construction("line-start-sign")
        else:
            parts += [_p(f", {v['temperature']} "), _p(temp, "number")]
        parts += [_p(" " if tenths % 2 else ""), _p("°C", "unit")]
        feats |= {"celsius"} | _number_features(temp)
    parts.append(_p("."))
    return Sentence(tuple(parts), frozenset(feats))


def _calm(draw: st.DrawFn, g: Grammar) -> Sentence:
    return Sentence((_p(_pick(draw, g.calm)),), frozenset())


def _calm_plan(draw: st.DrawFn, g: Grammar) -> Sentence:
    return Sentence((_p(_pick(draw, g.calm_plan)),), frozenset())


def _dated(draw: st.DrawFn, g: Grammar) -> Sentence:
    day_of_span = _int(draw, 0, 8 * 336 - 1)  # eight years of 12 x 28 days
    year, rest = divmod(day_of_span, 336)
    month, day = divmod(rest, 28)
    date = f"{2019 + year}-{month + 1:02d}-{day + 1:02d}"
    return Sentence((_p(_pick(draw, g.follow_up) + " "), _p(date, "date"), _p(".")), frozenset({"date"}))


def _header(g: Grammar, name: str, pnr: str, layout: int) -> Sentence:
    shown = {0: pnr, 1: f"{pnr[:8]}-{pnr[8:]}", 2: f"{pnr[2:8]}-{pnr[8:]}", 3: pnr[2:]}[layout]
    label = "Patient" if g.language == "en" else "Pat"
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




def hostile_sentences(language: str = "sv", lexicons: Sequence[str] = ()) -> st.SearchStrategy[Sentence]:
    """A sentence carrying what breaks real pipelines: HL7 delimiters, markup-like text, RTF braces, emoji..."""
    return _options(_grammar(language, lexicons), ("hostile",))


def _hostile(draw: st.DrawFn, g: Grammar) -> Sentence:
    feature, pieces = draw(_sf(tuple(_HOSTILE[g.language])))
    parts = tuple(_p(t, k, role="pre") if k == "negation" else _p(t, k) for t, k in pieces)
    return Sentence(parts, frozenset({feature, "hostile"}))


# -- transforms that keep spans exact ---------------------------------------------------------------------------
def _transform(sentence: Sentence, how: str) -> Sentence:
    """Apply a hostile character habit to every part, so spans stay exact."""
    if how == "none":
        return sentence

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
_MARKUP_LIKE = re.compile(r"<[^<>]*>")


def _text_features(text: str) -> set[str]:
    """What the finished text carries that breaks pipelines, wherever in the note it came from."""
    feats: set[str] = set()
    if any(c in text for c in "|^~\\&"):
        feats.add("hl7-delimiters")
    if "<" in text or ">" in text:
        feats.add("angle-brackets")
        if _MARKUP_LIKE.search(text):
            feats.add("markup")
    if "\t" in text:
        feats.add("tab")
    if "\\" in text:
        feats.add("backslash")
    if not text.isascii() and any(ord(c) > 255 for c in text):
        feats.add("non-latin1")
    if "\r\n" in text:
        feats.add("crlf")
    if re.search("\r(?!\n)", text):
        feats.add("cr")
    if "\n\n" in text or "\r\n\r\n" in text:
        feats.add("blank-line")
    return feats


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
    features |= _text_features(text)
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


# -- choosing what to write -------------------------------------------------------------------------------------
_BUILDERS: dict[str, Callable[[st.DrawFn, Grammar], Sentence]] = {
    "medication": _medication, "lab": _lab, "lab-table": _lab_table, "lab-line": _lab_line, "lab-flags": _lab_flags,
    "dipstick": _dipstick, "vitals": _vitals,
    "calm": _calm, "calm-plan": _calm_plan, "hostile": _hostile,
}
Option = Frame | str


_UNIFORM = 1 << 24
"""Hypothesis draws an integer uniformly below 2**24 and favours small ones above (7 times in 8)."""


@st.composite
def _options_draw(draw: st.DrawFn, g: Grammar, options: tuple[Option, ...], unit: int) -> Sentence:
    """One of ``options`` and one of its sentences: one integer for both when they fit (``unit``, the largest
    frame's size; 0 when too many to name in one uniform integer: two draws), the option's own draws after it for
    a builder. Integer 0 is the first option's simplest sentence, where shrinking goes."""
    if unit:
        # Option first (the last digit): Hypothesis draws a wide integer far from uniformly (small ones are
        # likelier: 1 in 2 draws of 0..4.7M is under 11,000), so the last digit is what spreads evenly.
        n = _int(draw, 0, len(options) * unit - 1)
        option = options[n % len(options)]
        index = n // len(options) % option.size if isinstance(option, Frame) else 0
    else:
        option = _pick(draw, options)
        index = _int(draw, 0, option.size - 1) if isinstance(option, Frame) and option.size > 1 else 0
    if isinstance(option, str):
        return _BUILDERS[option](draw, g)
    return _frame(g, option, index)


def _unit(options: tuple[Option, ...]) -> int:
    """The span of integers each option owns when every option's sentences fit in one uniform draw, else 0."""
    unit = max((o.size for o in options if isinstance(o, Frame)), default=1)
    return unit if len(options) * unit <= _UNIFORM else 0


_OPTION_CACHE: dict[tuple[int, tuple[Any, ...]], st.SearchStrategy[Sentence]] = {}


def _options(g: Grammar, options: tuple[Option, ...]) -> st.SearchStrategy[Sentence]:
    key = (id(g), tuple(id(o) if isinstance(o, Frame) else o for o in options))
    found = _OPTION_CACHE.get(key)
    if found is None:
        if not options:
            raise ValueError(f"the {g.language} grammar has nothing to write here")
        found = _OPTION_CACHE[key] = _options_draw(g, options, _unit(options))
    return found


@cache
def _section_options(g: Grammar, section: str, hostile: bool) -> tuple[Option, ...]:
    _headings, builders = g.sections[section]
    out: list[Option] = []
    for builder in builders:
        out.extend(_section_frames(g, section) if builder == "frames" else (builder,))
    return (*out, "hostile") if hostile else tuple(out)


@cache
def _every_option(g: Grammar) -> tuple[Option, ...]:
    """Every frame and builder once: what ``sentences()`` draws from (the simplest frame first)."""
    return (*g.frames, "medication", "lab", "lab-table", "lab-line", "lab-flags", "dipstick", "vitals")


def _grammar(language: str, lexicons: Sequence[str] = ()) -> Grammar:
    if language not in ("sv", "en"):
        raise ValueError(f"unknown language {language!r}; use 'sv' or 'en'")
    return grammar(language, tuple(lexicons))


def _as_note(sentence: st.SearchStrategy[Sentence], language: str) -> st.SearchStrategy[Note]:
    return sentence.map(lambda s: assemble([(None, [s])], language))


def _negating(f: Frame) -> bool:
    return f.polarity == "negated" or f.construction == "pseudo"


# -- public strategies --------------------------------------------------------------------------------------------
def sentences(language: str = "sv", lexicons: Sequence[str] = ()) -> st.SearchStrategy[Note]:
    """One clinical sentence of any kind and construction, as a Note."""
    g = _grammar(language, lexicons)
    return _as_note(_options(g, _every_option(g)), language)


def negated_findings(language: str = "sv", lexicons: Sequence[str] = ()) -> st.SearchStrategy[Note]:
    """A negated finding in every construction: "Ingen feber", "Röntgen visar ingen fraktur", "Buken är inte
    öm", "Cor: rr, inga blåsljud", "Fri gas ses ej", "CT shows no hemorrhage", and pseudo-negations."""
    g = _grammar(language, lexicons)
    return _as_note(_options(g, tuple(f for f in g.frames if _negating(f))), language)


def hedged_findings(language: str = "sv", lexicons: Sequence[str] = ()) -> st.SearchStrategy[Note]:
    """A finding under an uncertainty cue ("Misstänkt lungemboli", "kan ej uteslutas", "possible", "Fraktur?")."""
    g = _grammar(language, lexicons)
    return _as_note(_options(g, tuple(f for f in g.frames if f.polarity == "uncertain")), language)


def medication_orders(language: str = "sv", lexicons: Sequence[str] = ()) -> st.SearchStrategy[Note]:
    """A drug order with the routes, units and frequencies the drug is really given by (decimal comma in
    Swedish, µg/mikrog/mg/E/IE, as-needed ranges such as 2--3 mg)."""
    return _as_note(_options(_grammar(language, lexicons), ("medication",)), language)


def sided_findings(language: str = "sv", lexicons: Sequence[str] = ()) -> st.SearchStrategy[Note]:
    """A finding with its side, only on paired anatomy: "Smärta i vänster höft", "knä dx", "pain in the right
    knee", "Ödem i underbenen bilateralt"."""
    g = _grammar(language, lexicons)
    return _as_note(_options(g, tuple(f for f in g.frames if f.organs)), language)


@cache
def _long_frames(g: Grammar) -> tuple[Frame, ...]:
    out = []
    for f in g.frames:
        if f.construction not in ("initial", "after-term", "hedged", "affirmed") or f.others or f.status:
            continue
        longs = tuple(w for w in f.terms if len(w.text) > 20 and (" " not in w.text or g.language == "en"))
        if longs:
            out.append(replace(f, terms=longs))
    return tuple(out)


def long_compounds(language: str = "sv", lexicons: Sequence[str] = ()) -> st.SearchStrategy[Note]:
    """A long compound (over 20 letters in Swedish) negated, hedged or stated."""
    return _as_note(_options(_grammar(language, lexicons), _long_frames(_grammar(language, lexicons))), language)


def lab_results(language: str = "sv", lexicons: Sequence[str] = ()) -> st.SearchStrategy[Note]:
    """Lab values with <, >, ≤, ≥, ranges, trends, tab tables, +/- results, slashes ("BT 130/80"), % and °C."""
    lab = ("lab", "lab-table", "lab-line", "lab-flags", "dipstick", "vitals")
    return _as_note(_options(_grammar(language, lexicons), lab), language)


def hostile_text(language: str = "sv", lexicons: Sequence[str] = ()) -> st.SearchStrategy[Note]:
    """Short notes that mix clinical sentences with what breaks pipelines (delimiters, markup, NFD, emoji...)."""
    g = _grammar(language, lexicons)
    return st.builds(
        lambda hostile, clinical, how, joiner: assemble(
            [(None, [Sentence(s.parts, s.features, joiner) for s in (_transform(clinical, how), hostile)])],
            language),
        hostile_sentences(language, lexicons), _options(g, _every_option(g)),
        _sf(("none", "nfd", "nbsp", "tab", "soft-hyphen", "zero-width")),
        _sf((" ", "\n", "\r\n", "\r", "\t")))


# One layout per section, as writers keep one: prose, a statement per line, a list, a numbered list, lines starting
# with *, lines ended by a lone CR (as some editors save them) and, in hostile mode, CRLF.
_LAYOUTS = (" ", "\n", "- ", "1. ", "*", "\r")
_HOSTILE_LAYOUTS = (*_LAYOUTS, "\r\n")
_HOW = ("none",) * 6 + ("nfd", "nbsp", "tab", "soft-hyphen", "zero-width")


@cache
def _sentence_strategy(g: Grammar, name: str, hostile: bool) -> tuple[st.SearchStrategy[Sentence], int]:
    """A section's sentence strategy and its span label, looked up once (not per section drawn)."""
    return _options(g, _section_options(g, name, hostile)), _label(f"sentence:{g.language}:{name}:{hostile}")


def _sentences(draw: st.DrawFn, g: Grammar, name: str, hostile: bool, count: int) -> list[Sentence]:
    """``count`` sentences, each its own span. The count is drawn before them (in the section's style), not as
    an "another?" choice inside or between them: Hypothesis's mutator copies one sentence over another of the
    same section, and with the choice inside, a copied "yes" over the last sentence's "no" misaligned the rest of
    the note and overran (a third of all test cases, each more costly than a note)."""
    options, label = _sentence_strategy(g, name, hostile)
    return [draw(options, label) for _ in range(count)]


@cache
def _styles(headings: tuple[str, ...], hostile: bool,
            max_sentences: int) -> tuple[tuple[str | None, str, bool, str, int], ...]:
    """Every way to write a section, in the order one integer names them (0: no heading, prose, full stops, no
    character habit, one sentence): a heading half the time, the layout, terseness, (hostile) character habit
    and how many sentences. The count varies fastest: the shrinker deletes a sentence and lowers this integer
    by one together."""
    return tuple(itertools.product((None,) * len(headings) + tuple(headings),
                                   _HOSTILE_LAYOUTS if hostile else _LAYOUTS, (False, True),
                                   _HOW if hostile else ("none",), range(1, max_sentences + 1)))


@st.composite
def _section_draw(draw: st.DrawFn, g: Grammar, name: str, hostile: bool,
                  max_sentences: int) -> tuple[str | None, list[Sentence]]:
    headings, _builders = g.sections[name]
    # One choice for how the section is written (fewer choices a note: Hypothesis's cost is per choice). A
    # character habit belongs to where a section's text came from (pasted from a Mac, typed in one editor), so it
    # is drawn per section, not per sentence.
    heading, layout, terse, how, count = _pick(draw, _styles(tuple(headings), hostile, max_sentences))
    sentences = _sentences(draw, g, name, hostile, count)
    joiner = layout if layout in (" ", "\n", "\r", "\r\n") else "\n"
    # Statements on lines of their own are often written without a full stop ("Cor: ua", "Pulm: ua"); a lone CR
    # is a risk exactly there (a converter that drops it joins the lines). Prose keeps its full stops.
    terse = layout == "\r" or (joiner != " " and terse)
    # Nobody writes the same sentence twice in a section, the same analyte or drug twice, or a finding both present
    # and absent ("Ingen feber." ... "Feber sedan tre dagar.").
    sentences = _coherent(sentences)
    out = []
    items = 0
    for n, s in enumerate(sentences):
        s = _transform(s, how)
        feats = s.features
        parts = s.parts
        if terse and parts and parts[-1].text == "." and parts[-1].kind is None:
            parts = parts[:-1]
            feats |= {"unpunctuated-lines"}
        # A block of lines (a pasted table, a value on a line of its own) is not a list item: it stands between the
        # items without a marker, as it does when pasted into a list.
        marker = "" if any("\n" in p.text for p in parts) else layout
        if marker == "- ":
            parts, feats = (_p("- "), *parts), feats | {"list"}
        elif marker == "1. ":
            items += 1
            parts, feats = (_p(f"{items}. "), *parts), feats | {"list"} | _construction("numbered-list")
        elif marker == "*":
            parts, feats = (_p("*"), *parts), feats | {"list"} | _construction("star-word")
        elif layout == "\r" and n + 1 < len(sentences):
            feats |= _construction("lone-cr")
        out.append(Sentence(parts, feats, joiner))
    return heading, out


_DIPSTICK = "construction:plus-minus"


class _Coherence:
    """What one section has said so far: each concept's polarity, and the analytes, drugs and dipstick it wrote
    (once a section). Kept with a long note's section, so a sentence added later is checked against it without
    walking the section again."""

    def __init__(self, sentences: Iterable[Sentence] = ()) -> None:
        self.polarity: dict[str, Any] = {}
        self.written: set[str] = set()
        self.texts: set[str] = set()
        for sentence in sentences:
            self.admit(sentence)

    def admit(self, s: Sentence) -> bool:
        """Take ``s`` unless it repeats a sentence, contradicts an earlier one or repeats its analyte or drug."""
        if s.text in self.texts:
            return False
        terms = [dict(p.attrs) for p in s.parts if p.kind == "term"]
        if _DIPSTICK in s.features:
            terms.append({"concept": _DIPSTICK})
        if "medication" in s.features:
            terms += [dict(p.attrs) for p in s.parts if p.kind == "drug"]
        once = "lab" in s.features or "medication" in s.features
        named = [(str(t.get("concept")), t.get("polarity")) for t in terms]
        if any((once and concept in self.written) or self.polarity.get(concept, pol) != pol for concept, pol in named):
            return False
        for concept, pol in named:
            self.polarity.setdefault(concept, pol)
            if once:
                self.written.add(concept)
        self.texts.add(s.text)
        return True


def _coherent(sentences: list[Sentence]) -> list[Sentence]:
    """The sentences of one section, without one that repeats or contradicts an earlier one or repeats its
    analyte or its drug."""
    said = _Coherence()
    return [s for s in sentences if said.admit(s)]


@cache
def _section(g: Grammar, name: str, hostile: bool, max_sentences: int) -> st.SearchStrategy[
        tuple[str | None, list[Sentence]]]:
    return _section_draw(g, name, hostile, max_sentences)


_TAKEN = threading.local()
"""The sections the note being drawn already has (a stack: notes are drawn one inside another's strategy, never
interleaved), so the strategy below is built once and not per note."""


@st.composite
def _picked_section(draw: st.DrawFn, g: Grammar, names: tuple[str, ...],
                    hostile: bool) -> tuple[int, tuple[str | None, list[Sentence]]]:
    """Which section and the section: one span, so deleting it removes both."""
    taken: set[int] = _TAKEN.stack[-1]
    i = _int(draw, 0, len(names) - 1) if len(names) > 1 else 0
    while i in taken:  # a section already written: the next one that is not
        i = (i + 1) % len(names)
    taken.add(i)
    return i, draw(_section(g, names[i], hostile, 4), _label(f"section:{g.language}:{names[i]}:{hostile}"))


@cache
def _picked_section_strategy(g: Grammar, names: tuple[str, ...], hostile: bool) -> st.SearchStrategy[
        tuple[int, tuple[str | None, list[Sentence]]]]:
    return _picked_section(g, names, hostile)


def _picked_sections(draw: st.DrawFn, g: Grammar, names: tuple[str, ...], hostile: bool, count: int) -> list[
        tuple[int, tuple[str | None, list[Sentence]]]]:
    """``count`` of the note type's sections, each once, in the note type's order: (its index, the section).

    Each section is drawn with its index in one span: the shrinker deletes a section whole (lowering the count
    drawn before them with it), and an index means the same section whatever came before, so a failing note
    shrinks to the one section that matters."""
    stack = getattr(_TAKEN, "stack", None)
    if stack is None:
        stack = _TAKEN.stack = []
    stack.append(set())
    try:
        chosen = [draw(_picked_section_strategy(g, names, hostile)) for _ in range(min(count, len(names)))]
    finally:
        stack.pop()
    return sorted(chosen, key=lambda item: item[0])


_MOST_SECTIONS = 5
_FULL = 3
"""Times a section of a long note may have nothing new to take before no more is added to it (Hypothesis often
repeats a span it has drawn, so once is too few; the simplest test case pays for every try, so not many)."""


@st.composite
def notes(draw: st.DrawFn, language: str = "sv", min_size: int | None = None, max_size: int | None = None,
          hostile: bool = False, header: bool | None = None, lexicons: Sequence[str] = ()) -> Note:
    """Realistic journal notes, radiology answers and discharge summaries, every cue in every construction.

    Mostly short (fast to send, easy to shrink) with a steady share of long ones; ``min_size``/``max_size``
    bound the length in characters; ``hostile=True`` mixes in more of what breaks pipelines (delimiters,
    markup-like text, RTF braces, quotes, CRLF, NFD, no-break and zero-width spaces, soft hyphens, emoji); ordinary
    notes already carry tabs, lone CRs, ``<``/``>`` signs, ``^``, ``&`` and characters outside Latin-1 as real
    notes do. ``lexicons`` are site lexicons whose cues and terms are written too.
    """
    g = _grammar(language, lexicons)
    if min_size is not None and max_size is not None and min_size > max_size:
        raise ValueError("min_size must not exceed max_size")
    # About one note in ten is long (1-6 kB): long enough to cross the common caps, rare enough to stay fast.
    # One integer for the note type, whether the note is long and how many sections it has (the count varies
    # fastest, so the shrinker lowers it by one as it deletes a section).
    plan = _int(draw, 0, len(g.note_types) * 10 * _MOST_SECTIONS - 1)
    long_note = plan // _MOST_SECTIONS % 10 == 9 and (max_size is None or max_size > 1200)
    _kind, construction, names, follow_up = g.note_types[plan // (10 * _MOST_SECTIONS)]
    chosen = _picked_sections(draw, g, tuple(names), hostile, plan % _MOST_SECTIONS + 1)
    picked = [i for i, _section in chosen]
    sections = [section for _i, section in chosen]
    if follow_up in [names[i] for i in picked] and _bool(draw):  # at most one date a note
        at = [names[i] for i in picked].index(follow_up)
        heading, body = sections[at]
        sections[at] = (heading, [*body, Sentence(_dated(draw, g).parts, frozenset({"date"}), body[-1].joiner)])
    extra = _construction(construction) if construction else frozenset()
    if long_note:
        target = draw(_sf((1200, 2500, 6000)))
        min_size = max(min_size or 0, target if max_size is None else min(target, max_size))
    if header if header is not None else _int(draw, 0, 3) == 3:  # rare, and shrinks away
        pnr = draw(_sf(TEST_PERSONNUMMER))
        name = f"{draw(_sf(FIRST_NAMES))} {draw(_sf(LAST_NAMES))}"
        sections.insert(0, (None, [_header(g, name, pnr, _int(draw, 0, 3))]))
        picked.insert(0, -1)
    break_ = draw(_sf(("\n\n", "\n\n", "\r\n\r\n", "\n"))) if hostile else "\n\n"
    note = assemble(sections, language, break_, extra)
    if min_size is not None:
        failed: Counter[int] = Counter()  # times each section had nothing new to take
        said: dict[int, _Coherence] = {}
        while len(note.text) < min_size:
            # Add sentences on an estimate of their length, then assemble once (not once per section).
            size = len(note.text)
            while size < min_size:
                i = _int(draw, 0, len(names) - 1)
                open_ = [j % len(names) for j in range(i, i + len(names)) if failed[j % len(names)] < _FULL]
                i = open_[0] if open_ else i
                section = draw(_section(g, names[i], hostile, 8))
                grown = _grow(sections, picked, i, section, len(break_), said, again=not open_)
                if not grown:
                    failed[i] += 1
                size += grown
            note = assemble(sections, language, break_, extra)
    if max_size is not None and len(note.text) > max_size:
        note = _fit(sections, language, break_, max_size, extra)
    return note


def _grow(sections: list[tuple[str | None, list[Sentence]]], picked: list[int], i: int,
          section: tuple[str | None, list[Sentence]], break_: int, said: dict[int, _Coherence],
          again: bool = False) -> int:
    """Lengthen a note by ``section`` (section ``i`` of its note type); return about how many characters it
    added (``break_`` is the section break's length), 0 for nothing. ``said`` keeps what each grown section has
    said, across calls.

    A long note has more to say in the sections it has, not the same heading twice: a section already written
    takes the new sentences that neither repeat nor contradict it (before its follow-up date), and a new one goes
    where its note type puts it. Only ``again`` (every section had nothing new to take, as in a shrunk test case
    that writes the same sentence every time) writes a section a second time, so the note always grows."""
    heading, body = section
    if i in picked and not again:
        at = picked.index(i)
        old_heading, old = sections[at]
        date = old[-1:] if old and "date" in old[-1].features else []
        kept = old[:len(old) - len(date)]
        if i not in said:
            said[i] = _Coherence(kept)
        new = [s for s in body if said[i].admit(s)]
        if not new:
            return 0
        if kept:  # the new sentences start a paragraph of their own (they may be a list after prose)
            kept[-1] = replace(kept[-1], joiner="\n")
        sections[at] = (old_heading, kept + new + date)
        return sum(len(s.text) + 1 for s in new)
    if i in picked:
        picked.append(i)
        sections.append(section)
    else:
        at = next((k for k, j in enumerate(picked) if j > i), len(picked))
        picked.insert(at, i)
        sections.insert(at, section)
    return break_ + len(heading or "") + sum(len(s.text) + 1 for s in body)


def _fit(sections: list[tuple[str | None, list[Sentence]]], language: str, break_: str, max_size: int,
         extra: Iterable[str] = ()) -> Note:
    """Drop sentences from the end until the note fits ``max_size``."""
    kept = [(h, list(s)) for h, s in sections]
    while kept:
        note = assemble(kept, language, break_, extra)
        if len(note.text) <= max_size:
            return note
        _heading, body = kept[-1]
        if body:
            body.pop()
        if not body:
            kept.pop()
    return assemble([], language)


@st.composite
def lengths_near(draw: st.DrawFn, language: str = "sv", caps: Sequence[int] = CAPS,
                 lexicons: Sequence[str] = ()) -> Note:
    """A note whose critical word sits just past (or across) a common field cap, after benign filler."""
    g = _grammar(language, lexicons)
    cap = draw(_sf(tuple(caps)))
    critical = draw(_options(g, _critical_options(g)))
    crit_note = assemble([(None, [critical])], language)
    facts = [f for f in crit_note.facts if f.kind in ("negation", "hedge", "unit", "number", "side")]
    # The last critical word that filler can still move onto the cap (in a long sentence under a short cap, the
    # last one may already lie past it).
    placeable = [f for f in facts if f.start <= cap] or facts
    target = placeable[-1] if placeable else crit_note.facts[-1]
    # Where the critical word should start, relative to the cap: straddling it or a few characters past it.
    shift = _int(draw, -(target.end - target.start) + 1, 3)
    prefix_len = max(0, cap + shift - target.start)
    calm = list(g.calm)
    filler: list[str] = []
    size = 0
    while size + 40 < prefix_len:
        sentence = calm[(len(filler) * 7 + cap) % len(calm)] + " "
        filler.append(sentence)
        size += len(sentence)
    lead = "".join(filler) + " " * (prefix_len - size)
    prefix = Sentence((_p(lead),), frozenset())
    return assemble([(None, [Sentence(prefix.parts, prefix.features, ""), critical])], language,
                    extra_features={f"near-cap-{cap}"})


@cache
def _critical_options(g: Grammar) -> tuple[Option, ...]:
    """Sentences whose last critical word is a cue, a side or a dose: what a cap must not cut. (Not the question
    frames: the oracle does not yet count a lost "?" as a lost hedge, so a cut there would not be caught.)"""
    return (*(f for f in g.frames if (f.polarity != "affirmed" or f.organs) and f.construction != "question"),
            "medication")
