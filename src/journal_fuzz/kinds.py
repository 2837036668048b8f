"""The kinds of word loss, as a registry: each kind one named entry with its meaning and its plain-language heading,
and the rules that decide a changed stretch's kind, tried in one documented order.

The oracle (:mod:`journal_fuzz.oracle`) aligns the two texts and, for every changed stretch (a *hunk*), gathers
what it knows into :class:`HunkFacts`: the words, the lexicon roles on each side, the numbers, units and sides, any
encoding accident that explains the change, and the concepts whose polarity or side the change flipped. It then
asks :func:`classify`, which tries :data:`RULES` in order; the first rule that applies names the kind, the severity
and the explanation. The order is the precedence, most specific first (a dropped *inte* is ``negation-dropped``,
never ``word-dropped``):

{rules}

A kind that no rule below names is decided elsewhere in the oracle: ``reordered`` (a deletion paired with an
insertion of the same words nearby), the concept-only findings (a lost full stop that widens a scope, reported as
the kind of the concept change), ``field-dropped`` and ``field-changed`` (:mod:`journal_fuzz.fhir.compare`).

Adding a kind is one :func:`kind` entry plus its rule and its tests; the HTML report, the mutants and the README read
the registry.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from journal_fuzz.constants import CRITICAL, MAJOR, MINOR, SEVERITIES
from journal_fuzz.lexicon import DRUG, HEDGE_POST, HEDGE_PRE, NEG_POST, NEG_PRE, PSEUDO, SIDE, TERM, UNIT, Match
from journal_fuzz.wording import clip

__all__ = [
    "CRITICAL", "KIND", "KINDS", "MAJOR", "MINOR", "RULES", "SEVERITIES", "Classification", "HunkFacts", "Kind",
    "Rule", "classify", "heading", "kind_for_change", "meaning", "severity_rank", "worst",
]

# -- severities ----------------------------------------------------------------------------------------------
SEVERITY_MEANINGS: dict[str, str] = {
    CRITICAL: "changes what the note says clinically: a negation, an uncertainty, a side, a number, a unit, "
              "a clinical term",
    MAJOR: "other words changed",
    MINOR: "punctuation changed without changing what any word refers to",
}
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    """0 for critical, 1 major, 2 minor, 3 for anything unknown (so it sorts last)."""
    return _RANK.get(severity, len(SEVERITIES))


def worst(severities: Iterable[str]) -> str | None:
    """The most severe of ``severities``, or None when there are none."""
    return min(severities, key=severity_rank, default=None)


# -- the registry of kinds -----------------------------------------------------------------------------------
Heading = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class Kind:
    """One kind of finding: what it means to a reader, and how a finding of it is headed in a report."""

    name: str
    meaning: str
    """One line for a clinician: what happened to the note."""
    heading: Heading
    """A plain sentence for one finding (a finding as its ``to_dict()``, so saved cases read the same)."""


KIND: dict[str, Kind] = {}
"""Every kind by name, in the order of :data:`KINDS`."""


def kind(name: str, meaning: str, heading: Heading) -> str:
    """Register a kind; returns its name, so the name is a constant the rules and tests can use."""
    if name in KIND:
        raise ValueError(f"kind {name!r} is registered twice")
    KIND[name] = Kind(name, meaning, heading)
    return name


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _q(text: str | None) -> str:
    """A quoted, clipped word for a heading: 'ej'."""
    return f"'{clip(text or '', 60)}'"


_STATE = {"affirmed": "present", "negated": "absent", "uncertain": "uncertain"}


def _state(value: Any) -> str:
    return _STATE.get(_s(value), _s(value) or "unknown")


def _polarity(f: Mapping[str, Any]) -> dict[str, Any] | None:
    concepts = f.get("concepts")
    changes = [c for c in concepts if isinstance(c, dict) and c.get("aspect") == "polarity"] \
        if isinstance(concepts, list) else []
    chosen = [c for c in changes if c.get("term")] or changes
    return chosen[0] if chosen else None


def _reads(f: Mapping[str, Any]) -> str:
    change = _polarity(f)
    return f"{_q(_s(change.get('concept')))} now reads as {_state(change.get('received'))}" if change else ""


def _became(f: Mapping[str, Any]) -> str:
    sent, received = _s(f.get("sent_text")), _s(f.get("received_text"))
    if not received:
        return f"{_q(sent)} was lost"
    if not sent:
        return f"{_q(received)} appeared"
    return f"{_q(sent)} now reads {_q(received)}"


def _about(f: Mapping[str, Any]) -> str:
    concept = _s(f.get("concept"))
    return f" ({clip(concept, 40)})" if concept else ""


def _and_reads(f: Mapping[str, Any]) -> str:
    reads = _reads(f)
    return f"; {reads}" if reads else ""


def _hedge_heading(f: Mapping[str, Any]) -> str:
    change = _polarity(f)
    if change:
        return (f"The certainty changed: {_q(_s(change.get('concept')))} was {_state(change.get('sent'))}, "
                f"now reads as {_state(change.get('received'))}")
    return f"The certainty changed: {_q(_s(f.get('sent_text')) or _s(f.get('received_text')))}{_about(f)}"


def _truncated_heading(f: Mapping[str, Any]) -> str:
    """The oracle's own account (it counted the characters of both texts and knows the field caps)."""
    explanation = re.sub(r"^the text was ", "", _s(f.get("explanation")), flags=re.IGNORECASE)
    if explanation.startswith("cut"):
        return f"The text was {clip(explanation, 160)}"
    if explanation:
        return f"The text was cut off: {clip(explanation, 160)}"
    sent = _s(f.get("sent_text"))
    return "The text was cut off" + (f", from {_q(sent)}" if sent else "")


NEGATION_DROPPED = kind(
    "negation-dropped", "a negation (no, not, ingen, inte, ej) was lost: something absent now reads as present",
    lambda f: "A negation was dropped: " + (_reads(f) or f"{_q(_s(f.get('sent_text')))} is gone{_about(f)}"))
NEGATION_ADDED = kind(
    "negation-added", "a negation appeared that was not sent: something present now reads as absent",
    lambda f: "A negation was added: " + (_reads(f) or f"{_q(_s(f.get('received_text')))} appeared{_about(f)}"))
HEDGE_CHANGED = kind(
    "hedge-changed", "a word of uncertainty (suspected, misstänkt, kan ej uteslutas) was lost or added",
    _hedge_heading)
TERM_DROPPED = kind("term-dropped", "a clinical term was lost",
                    lambda f: f"A clinical term was dropped: {_q(_s(f.get('concept')) or _s(f.get('sent_text')))}")
TERM_CHANGED = kind("term-changed", "a clinical term became another one",
                    lambda f: f"A clinical term changed: {_became(f)}")
NUMBER_CHANGED = kind("number-changed", "a number changed (a dose, a lab value, a date)",
                      lambda f: f"A number changed: {_became(f)}{_about(f)}")
UNIT_CHANGED = kind("unit-changed", "a unit changed (µg, mg, E, mmol/l)",
                    lambda f: f"A unit changed: {_became(f)}{_about(f)}")
LATERALITY_CHANGED = kind("laterality-changed", "the side changed (left, right, höger, vänster)",
                          lambda f: f"The side changed: {_became(f)}{_about(f)}")
WORDS_MERGED = kind("words-merged", "words were run together",
                    lambda f: f"Words were run together: {_became(f)}")
REORDERED = kind("reordered", "words were moved to another place",
                 lambda f: f"Words were moved: {_q(_s(f.get('sent_text')) or _s(f.get('received_text')))}"
                           + _and_reads(f))
TRUNCATED = kind("truncated", "the text was cut off", _truncated_heading)
ENCODING_DAMAGED = kind("encoding-damaged", "characters were garbled (a wrong character set)",
                        lambda f: f"Characters were garbled: {_became(f)}")
WORD_DROPPED = kind("word-dropped", "a word was lost",
                    lambda f: f"A word was dropped: {_q(_s(f.get('sent_text')))}" + _and_reads(f))
WORD_ADDED = kind("word-added", "a word was added that was not sent",
                  lambda f: f"A word was added: {_q(_s(f.get('received_text')))}" + _and_reads(f))
WORD_CHANGED = kind("word-changed", "a word became another one",
                    lambda f: f"A word changed: {_became(f)}" + _and_reads(f))
FIELD_DROPPED = kind("field-dropped", "a whole text field did not come back",
                     lambda f: f"A text field did not come back: {_s(f.get('path')) or _q(_s(f.get('sent_text')))}")
FIELD_CHANGED = kind("field-changed", "a structured field changed",
                     lambda f: f"A field changed: {_s(f.get('path')) or _became(f)}")
RECORD_CROSSED = kind(
    "record-crossed", "another payload's text came back in this record: another patient's words in this patient's "
                      "record (a privacy incident), sent at the same time",
    lambda f: f"Another record's text came back in this one: {_q(_s(f.get('received_text')))}")

KINDS: tuple[str, ...] = tuple(KIND)
"""Every kind a finding can have, in registry order."""


def meaning(name: str) -> str:
    """What a kind means, for a reader; an unknown name (a newer case file) says so rather than failing."""
    k = KIND.get(name)
    return k.meaning if k is not None else f"a change the oracle calls {name!r}"


def heading(finding: Mapping[str, Any]) -> str:
    """One plain sentence for a finding: "A negation was dropped: 'fri gas' now reads as present"."""
    name = _s(finding.get("kind"))
    k = KIND.get(name)
    if k is not None:
        return k.heading(finding)
    explanation = _s(finding.get("explanation"))
    return f"{name or 'A change'}: {clip(explanation, 120)}" if explanation else (name or "A change")


# -- what the oracle knows about one changed stretch ---------------------------------------------------------
_NEG_ROLES = frozenset({NEG_PRE, NEG_POST, PSEUDO})
_HEDGE_ROLES = frozenset({HEDGE_PRE, HEDGE_POST})
_TERM_ROLES = frozenset({TERM, DRUG})


@dataclass
class HunkFacts:
    """Everything the rules may look at for one changed stretch (``S`` sent tokens became ``R`` received ones)."""

    language: str
    sent_text: str
    received_text: str
    sent_keys: list[str]
    received_keys: list[str]
    sent_matches: list[Match]
    """Lexicon matches overlapping the sent tokens."""
    received_matches: list[Match]
    sent_numbers: list[str]
    """The sent tokens that are part of a written quantity (digits, signs, comparators)."""
    received_numbers: list[str]
    sent_roles: list[str | None]
    """Per sent token, the lexicon role it plays (None for a plain word)."""
    base_severity: str
    """critical when a critical word (cue, term, side, unit, number) or a concept is involved, else major when
    words are, else minor."""
    damage: str | None
    """How an encoding accident explains the change ("UTF-8 bytes read as Latin-1"), if one does."""
    whole_sentences: bool
    """The stretch is whole sentences, deleted (nothing came in their place)."""
    truncated: bool
    """The received text ends where the stretch starts."""
    kept_tail: str
    """The last words the received text kept (for a truncation)."""
    changes: list[Any] = field(default_factory=list)
    """The :class:`~journal_fuzz.oracle.ConceptChange` s this stretch caused."""
    change_kind: str | None = None
    """The kind of the leading concept change (see :func:`kind_for_change`), when there is one."""
    sent_names: list[str] = field(default_factory=list)
    """The concepts among the sent words: lexicon terms by their lemma, and runs of content words the lexicon does
    not know (a lost *infektion* is a possible clinical term even when no list has it)."""
    received_names: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Which of the names are not in the lexicon (reported as possible clinical terms)."""
    statement_added: bool = False
    """The stretch is whole statements, inserted (nothing was sent in their place)."""
    equivalent: str | None = None
    """How the received characters spell the same thing ("'≤' written as '<='"), if they do."""
    invisible: str | None = None
    """What changed that only a strict policy sees, named by code point ("a line break became a space")."""
    cut: str = ""
    """For a truncation: where the text was cut and how much was lost, counted exactly."""
    hits: list[str] = field(default_factory=list)
    """Critical words an encoding accident damaged ("the side 'hö' (right)")."""

    # derived once, read by several rules
    def __post_init__(self) -> None:
        self.sent_units = [m.entry.value for m in self.sent_matches if m.entry.role == UNIT]
        self.received_units = [m.entry.value for m in self.received_matches if m.entry.role == UNIT]
        self.sent_sides = [m.entry.value for m in self.sent_matches if m.entry.role == SIDE]
        self.received_sides = [m.entry.value for m in self.received_matches if m.entry.role == SIDE]
        self.sent_negations = [m for m in self.sent_matches if m.entry.role in _NEG_ROLES]
        self.received_negations = [m for m in self.received_matches if m.entry.role in _NEG_ROLES]
        self.sent_hedges = [m for m in self.sent_matches if m.entry.role in _HEDGE_ROLES]
        self.received_hedges = [m for m in self.received_matches if m.entry.role in _HEDGE_ROLES]
        self.sent_terms = [m for m in self.sent_matches if m.entry.role in _TERM_ROLES]
        self.sent_term_tokens = any(r in _TERM_ROLES for r in self.sent_roles)
        self.received_term_tokens = any(m.entry.role in _TERM_ROLES for m in self.received_matches)
        self.polarity = [c for c in self.changes if c.aspect == "polarity"]
        self.statement_gone = not self.polarity and not self.received_keys and (self.whole_sentences or any(
            r not in _NEG_ROLES and r not in _HEDGE_ROLES and k[:1].isalpha()
            for r, k in zip(self.sent_roles, self.sent_keys, strict=True)))
        if self.statement_added and not self.polarity:
            self.statement_gone = True

    @property
    def lost(self) -> bool:
        """Only sent words, nothing in their place."""
        return bool(self.sent_keys) and not self.received_keys

    @property
    def added(self) -> bool:
        return bool(self.received_keys) and not self.sent_keys


@dataclass(frozen=True)
class Classification:
    kind: str
    severity: str
    explanation: str


RuleFunc = Callable[[HunkFacts], Classification | None]


@dataclass(frozen=True)
class Rule:
    """One named way of recognising a kind."""

    name: str
    kind: str
    doc: str
    check: RuleFunc


RULES: list[Rule] = []
"""The classification rules, in the order they are tried (the first that applies wins)."""


def rule(kind_name: str, name: str) -> Callable[[RuleFunc], RuleFunc]:
    """Register ``check`` as the next rule; its docstring says, in one line, when it applies."""
    if kind_name not in KIND:
        raise ValueError(f"rule {name!r} names the unknown kind {kind_name!r}")

    def register(check: RuleFunc) -> RuleFunc:
        RULES.append(Rule(name, kind_name, " ".join((check.__doc__ or "").split()), check))
        return check
    return register


def classify(facts: HunkFacts) -> Classification:
    """The kind of one changed stretch: the first rule of :data:`RULES` that applies."""
    for r in RULES:
        found = r.check(facts)
        if found is not None:
            return found
    raise AssertionError("the last rule always applies")  # pragma: no cover


def kind_for_change(aspect: str, sent: str, received: str) -> str:
    """The kind of a concept change: a side, or a polarity that lost or gained a negation or an uncertainty."""
    if aspect == "side":
        return LATERALITY_CHANGED
    if sent == "negated":
        return NEGATION_DROPPED
    if received == "negated":
        return NEGATION_ADDED
    return HEDGE_CHANGED


# -- wording helpers for the rules ---------------------------------------------------------------------------
def join(items: Iterable[str]) -> str:
    """Distinct items, in order, comma-separated."""
    return ", ".join(dict.fromkeys(items))


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _lost(what: str, cue: str, s_text: str, r_text: str) -> str:
    out = f"the {what} '{cue}' was lost" if _squash(cue) == _squash(s_text) else \
        f"'{clip(s_text)}' of the {what} '{cue}' was lost"
    return out + (f", replaced by '{clip(r_text)}'" if r_text else "")


_MASS_UNITS = {"kg": 1e3, "g": 1.0, "mg": 1e-3, "µg": 1e-6, "ng": 1e-9, "pg": 1e-12}


def _unit_factor(s_unit: Sequence[str], r_unit: Sequence[str]) -> str:
    if len(s_unit) != 1 or len(r_unit) != 1:
        return ""
    a, b = _MASS_UNITS.get(s_unit[0]), _MASS_UNITS.get(r_unit[0])
    if a is None or b is None or a == b:
        return ""
    ratio = b / a
    return f"the same number now means {ratio:g}× the amount" if ratio > 1 else \
        f"the same number now means 1/{1 / ratio:g} of the amount"


def number_value(key: str, language: str) -> float | None:
    """The value a number token writes ("2,5" and "2.5" are 2.5; "1,000" is 1000 in English)."""
    text = key
    if language == "en" and re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        text = text.replace(",", "")
    text = text.replace(",", ".")
    if text.count(".") > 1:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _garbled(s: str, r: str) -> bool:
    """Whether ``r`` shows the damage (replacement marks or characters ``s`` never had)."""
    return "?" in r or "\ufffd" in r or bool(set(c for c in r if not c.isascii()) - set(s))


# -- the rules, in order -------------------------------------------------------------------------------------
@rule(WORD_CHANGED, "invisible difference")
def _invisible(h: HunkFacts) -> Classification | None:
    """Only a strict policy sees the change (letter case, the kind of whitespace, a Unicode form, a soft hyphen):
    minor, and named by code point so a reader can see what changed."""
    if h.invisible is None:
        return None
    return Classification(WORD_CHANGED, MINOR, h.invisible)


@rule(TRUNCATED, "cut off")
def _truncated(h: HunkFacts) -> Classification | None:
    """The received text is a strict prefix of the sent one: everything after the cut was lost."""
    if not h.truncated:
        return None
    return Classification(TRUNCATED, h.base_severity, h.cut or f"cut off: nothing came back of '{clip(h.sent_text)}'")


@rule(WORDS_MERGED, "run together")
def _merged(h: HunkFacts) -> Classification | None:
    """The same characters came back as fewer words (a lost space or line break)."""
    if h.sent_keys and h.received_keys and "".join(h.sent_keys) == "".join(h.received_keys) \
            and len(h.received_keys) < len(h.sent_keys):
        return Classification(WORDS_MERGED, h.base_severity,
                              f"'{clip(h.sent_text)}' ran together into '{clip(h.received_text)}'")
    return None


@rule(NUMBER_CHANGED, "equivalent spelling")
def _equivalent(h: HunkFacts) -> Classification | None:
    """The same thing spelled with other characters (≤ as <=, − as -, 2--3 as 2–3, µg as ug, u.a. as ua): minor.
    A different comparator or unit is not this."""
    if h.equivalent is None:
        return None
    kind = NUMBER_CHANGED if h.sent_numbers or h.received_numbers else \
        UNIT_CHANGED if h.sent_units or h.received_units else WORD_CHANGED
    return Classification(kind, MINOR, f"{h.equivalent}: the same meaning, spelled differently")


@rule(UNIT_CHANGED, "unit garbled")
def _unit_garbled(h: HunkFacts) -> Classification | None:
    """An encoding accident changed a unit (µg read as Âµg or lost to '?')."""
    if h.damage and (h.sent_units or h.received_units) and h.sent_units != h.received_units:
        return Classification(UNIT_CHANGED, CRITICAL, f"the unit '{join(h.sent_units)}' became "
                              f"'{join(h.received_units) or h.received_text}' ({h.damage})")
    return None


@rule(NUMBER_CHANGED, "number garbled")
def _number_garbled(h: HunkFacts) -> Classification | None:
    """An encoding accident changed a number or its sign (≤ lost to nothing) without leaving a visible mark."""
    if h.damage and h.sent_numbers != h.received_numbers and not _garbled(h.sent_text, h.received_text):
        return Classification(NUMBER_CHANGED, CRITICAL,
                              f"'{clip(h.sent_text)}' became '{clip(h.received_text)}' ({h.damage})")
    return None


@rule(ENCODING_DAMAGED, "characters garbled")
def _encoding(h: HunkFacts) -> Classification | None:
    """The change is what an encoding accident does to the sent characters (mojibake, '?', U+FFFD, lost
    accents, lone surrogates); major even where only a space or a symbol was hit, because the pipeline is corrupting
    characters; critical when a cue, a side, a term or a number was hit, and those are named."""
    if not h.damage:
        return None
    explanation = f"'{clip(h.sent_text)}' came back as '{clip(h.received_text)}': {h.damage}"
    if h.hits:
        explanation += f"; this damages {join(h.hits)}"
    return Classification(ENCODING_DAMAGED, CRITICAL if h.base_severity == CRITICAL or h.hits else MAJOR,
                          explanation)


def _cue_change(h: HunkFacts, sent: list[Match], received: list[Match], what: str, a_what: str, lost: str,
                gained: str) -> Classification | None:
    """A cue lost or gained, unless it went with a whole statement (that is the statement's loss, not the cue's)."""
    if len(sent) == len(received) or (h.statement_gone and len(sent) != len(received)):
        return None
    if len(sent) > len(received):
        return Classification(lost, CRITICAL, _lost(what, join(m.entry.surface for m in sent), h.sent_text,
                                                     h.received_text))
    return Classification(gained, CRITICAL, f"{a_what} '{join(m.entry.surface for m in received)}' appeared that "
                                            "was not sent")


@rule(NEGATION_DROPPED, "negation cue lost or gained")
def _negation(h: HunkFacts) -> Classification | None:
    """A negation cue was lost (negation-dropped) or gained (negation-added), not as part of a whole statement
    that went missing or was added."""
    return _cue_change(h, h.sent_negations, h.received_negations, "negation", "a negation", NEGATION_DROPPED,
                       NEGATION_ADDED)


@rule(HEDGE_CHANGED, "uncertainty cue lost or gained")
def _hedge(h: HunkFacts) -> Classification | None:
    """An uncertainty cue was lost or gained (not as part of a whole statement that went missing or was added)."""
    return _cue_change(h, h.sent_hedges, h.received_hedges, "uncertainty cue", "an uncertainty cue", HEDGE_CHANGED,
                       HEDGE_CHANGED)


def _named(names: Sequence[str], unknown: Sequence[str]) -> str:
    """"the clinical term 'fraktur'", or for a word no list has, "'mässling' (possibly a clinical term)"."""
    known = [n for n in names if n not in unknown]
    guessed = [n for n in names if n in unknown]
    parts = []
    if known:
        parts.append(f"the clinical term{'s' if len(known) > 1 else ''} '{join(known)}'")
    if guessed:
        parts.append(f"'{join(guessed)}' (not in the lexicon, but a content word: possibly a clinical term)")
    return " and ".join(parts)


@rule(TERM_DROPPED, "statement dropped")
def _statement(h: HunkFacts) -> Classification | None:
    """Whole statements were deleted and no concept elsewhere changed with them: the statement is gone, and with it
    its clinical terms (term-dropped) or only other words (word-dropped)."""
    if not h.whole_sentences or h.changes:
        return None
    names = _named(h.sent_names, h.unknown)
    return Classification(TERM_DROPPED if h.sent_names else WORD_DROPPED,
                          CRITICAL if h.sent_names else h.base_severity,
                          f"the statement '{clip(h.sent_text)}' was dropped"
                          + (f", and with it {names}" if names else ""))


@rule(WORD_ADDED, "statement added")
def _statement_added(h: HunkFacts) -> Classification | None:
    """Whole statements appeared that were not sent (a dose, a finding): critical when they say something clinical."""
    if not h.statement_added or h.polarity:
        return None
    names = _named(h.received_names, h.unknown)
    what = f": it names {names}" if names else ""
    if h.received_numbers:
        what += f"{'; ' if what else ': '}it carries the numbers '{join(h.received_numbers)}'"
    return Classification(WORD_ADDED, CRITICAL if h.received_names or h.received_numbers else h.base_severity,
                          f"the statement '{clip(h.received_text)}' appeared that was not sent{what}")


@rule(TERM_DROPPED, "clinical term lost or changed")
def _term(h: HunkFacts) -> Classification | None:
    """A clinical term (a finding, a drug, an anatomical site), or a word the lexicon does not know that is no
    function word (possibly a clinical term), was lost, replaced, or appeared. This outranks a side that changed
    with it: the side is then a second finding."""
    s_names, r_names = h.sent_names, h.received_names
    if not (s_names or (r_names and not h.polarity)):
        return None
    if s_names and not h.received_keys:
        return Classification(TERM_DROPPED, CRITICAL, f"{_named(s_names, h.unknown)} was dropped"
                              if len(h.sent_keys) <= 2 else
                              f"'{clip(h.sent_text)}' was dropped, and with it {_named(s_names, h.unknown)}")
    if s_names:
        if s_names == r_names and not h.unknown:
            return Classification(TERM_CHANGED, MAJOR, f"the clinical term '{join(s_names)}' changed form: "
                                  f"'{clip(h.sent_text)}' became '{clip(h.received_text)}'")
        return Classification(TERM_CHANGED, CRITICAL,
                              f"'{clip(h.sent_text)}' became '{clip(h.received_text)}': {_named(s_names, h.unknown)} "
                              "is gone")
    if h.sent_keys:
        return Classification(WORD_CHANGED, CRITICAL, f"'{clip(h.sent_text)}' became {_named(r_names, h.unknown)}")
    return Classification(WORD_ADDED, CRITICAL, f"{_named(r_names, h.unknown)} appeared that was not sent")


@rule(LATERALITY_CHANGED, "side word changed")
def _side(h: HunkFacts) -> Classification | None:
    """A side word (höger, vä, dx, left, bilateral) was lost, added or swapped."""
    if h.sent_sides == h.received_sides:
        return None
    return Classification(LATERALITY_CHANGED, CRITICAL, side_explanation(h))


def side_explanation(h: HunkFacts) -> str:
    """"the side 'left' became '(none)'"."""
    return f"the side '{join(h.sent_sides) or '(none)'}' became '{join(h.received_sides) or '(none)'}'"


@rule(NUMBER_CHANGED, "number changed")
def _number(h: HunkFacts) -> Classification | None:
    """The written quantities differ: a digit, a decimal comma, a sign, a comparator, a result sign (Troponin T +),
    a number in words; major when only the way the same value is written changed (2,5 for 2.5)."""
    s_num, r_num = h.sent_numbers, h.received_numbers
    if s_num == r_num:
        return None
    s_vals = [number_value(k, h.language) for k in s_num]
    r_vals = [number_value(k, h.language) for k in r_num]
    same_value = s_vals == r_vals and None not in s_vals and len(s_num) == len(r_num) and \
        [k for k in s_num if not k[:1].isdigit()] == [k for k in r_num if not k[:1].isdigit()]
    explanation = f"'{clip(h.sent_text)}' became '{clip(h.received_text)}'" if h.sent_text and h.received_text \
        else f"'{clip(h.sent_text)}' was lost" if h.sent_text else f"'{clip(h.received_text)}' was added"
    if same_value:
        explanation += ": same value, written differently"
    elif len(s_vals) == 1 == len(r_vals) and s_vals[0] and r_vals[0]:
        ratio = r_vals[0] / s_vals[0]
        if ratio >= 2 or ratio <= 0.5:
            explanation += f" ({ratio:.3g}× the value sent)"
    elif any(k in _RESULT_SIGNS for k in s_num + r_num):
        explanation += " (a test result)"
    return Classification(NUMBER_CHANGED, MAJOR if same_value and not h.changes else CRITICAL, explanation)


_RESULT_SIGNS = frozenset({"+", "-", "−"})


@rule(UNIT_CHANGED, "unit changed")
def _unit(h: HunkFacts) -> Classification | None:
    """A unit was lost, added or replaced; minor when only its spelling changed (µg for mikrog, mcg)."""
    s_unit, r_unit = h.sent_units, h.received_units
    if s_unit == r_unit:
        if s_unit and not h.sent_names and not h.received_names and h.sent_numbers == h.received_numbers:
            return Classification(UNIT_CHANGED, MINOR, f"the unit '{join(s_unit)}' written as "
                                  f"'{clip(h.received_text)}' instead of '{clip(h.sent_text)}': the same unit, "
                                  "spelled differently")
        return None
    explanation = f"the unit '{join(s_unit) or h.sent_text}' became '{join(r_unit) or h.received_text or '(none)'}'"
    factor = _unit_factor(s_unit, r_unit)
    if factor:
        explanation += f": {factor}"
    return Classification(UNIT_CHANGED, CRITICAL, explanation)


@rule(NEGATION_DROPPED, "concept flipped")
def _concept(h: HunkFacts) -> Classification | None:
    """Plain words changed, and with them what a cue governs: a concept's polarity or side differs."""
    if not h.changes or h.change_kind is None:
        return None
    what = f"'{clip(h.sent_text)}' was lost" if h.lost else (
        f"'{clip(h.received_text)}' was added" if h.added else
        f"'{clip(h.sent_text)}' became '{clip(h.received_text)}'")
    return Classification(h.change_kind, CRITICAL, f"{what}, which changes what the sentence says")


@rule(WORD_CHANGED, "word split")
def _split(h: HunkFacts) -> Classification | None:
    """The same characters came back as more words (a space inserted): minor."""
    if h.sent_keys and h.received_keys and "".join(h.sent_keys) == "".join(h.received_keys):
        return Classification(WORD_CHANGED, MINOR,
                              f"'{clip(h.sent_text)}' was split into '{clip(h.received_text)}'")
    return None


@rule(WORD_DROPPED, "word dropped")
def _dropped(h: HunkFacts) -> Classification | None:
    """Words were lost."""
    return Classification(WORD_DROPPED, h.base_severity, f"'{clip(h.sent_text)}' was dropped") if h.lost else None


@rule(WORD_ADDED, "word added")
def _added(h: HunkFacts) -> Classification | None:
    """Words appeared that were not sent."""
    return Classification(WORD_ADDED, h.base_severity, f"'{clip(h.received_text)}' appeared that was not sent") \
        if h.added else None


@rule(WORD_CHANGED, "word changed")
def _changed(h: HunkFacts) -> Classification | None:
    """Anything else: words became other words."""
    return Classification(WORD_CHANGED, h.base_severity, f"'{clip(h.sent_text)}' became '{clip(h.received_text)}'")


def rules_table() -> str:
    """The rules in order, one line each (for the docs)."""
    return "\n".join(f"{n}. ``{r.kind}`` ({r.name}): {r.doc}" for n, r in enumerate(RULES, 1))


__doc__ = (__doc__ or "").replace("{rules}", rules_table())
