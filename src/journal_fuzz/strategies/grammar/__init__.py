"""The grammar of journal notes: sentence frames, sections and dosing tables (``sv.toml``, ``en.toml``) resolved
against the loaded lexicon.

The TOML files say where a cue can stand and what it agrees with; the lexicon says which words are cues. Resolving
the two here means a frame only ever writes a cue the oracle knows in that role, and a cue the lexicon knows but
the grammar does not list (a site lexicon's) is written in the generic frames of its role.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from journal_fuzz.lexicon import (
    HEDGE_POST,
    HEDGE_PRE,
    NEG_POST,
    NEG_PRE,
    PSEUDO,
    TERMINATION,
    Lexicon,
    load_lexicon,
)

__all__ = ["CONSTRUCTIONS", "ROLES", "Drug", "Frame", "Grammar", "Lab", "Piece", "Slot", "Status", "Word",
           "grammar", "leads", "raw_grammar"]

ROLES: dict[str, tuple[str, str, str, str]] = {
    # grammar role -> (lexicon section, lexicon key, fact kind, fact role)
    NEG_PRE: ("negation", "pre", "negation", "pre"),
    NEG_POST: ("negation", "post", "negation", "post"),
    PSEUDO: ("negation", "pseudo", "negation", "pseudo"),
    TERMINATION: ("negation", "termination", "negation", "termination"),
    HEDGE_PRE: ("hedge", "pre", "hedge", "pre"),
    HEDGE_POST: ("hedge", "post", "hedge", "post"),
}

CONSTRUCTIONS: dict[str, str] = {
    "initial": "cue opening the sentence (Ingen feber.)",
    "after-term": "cue after the finding (Fri gas ses ej.)",
    "after-verb": "cue after the finite verb (Röntgen visar ingen fraktur.)",
    "copula": "cue after är/is (Buken är inte öm.)",
    "modal": "cue after a modal or auxiliary (kan inte gå)",
    "subordinate": "cue in a subordinate clause (att hon inte har haft feber)",
    "list-item": "cue in a coordinated list (hosta, ingen feber)",
    "status-line": "cue in an organ status line (Cor: rr, inga blåsljud.)",
    "parenthesis": "cue in parentheses (Penicillinallergi (ej verifierad).)",
    "question": "a question mark as uncertainty (Fraktur?)",
    "existential": "Det finns inga / there is no",
    "hedged": "uncertainty cue before or after the finding",
    "pseudo": "pseudo-negation (ingen förändring avseende ...)",
    "affirmed": "a finding stated without a cue",
    "sided": "a side on paired anatomy (vänster knä, höft sin, bilateralt)",
    "medication": "a drug order with its real route and frequency",
    "lab": "lab values with units and signs",
    "tab-table": "a lab table with tabs between name, value and unit",
    "plus-minus": "+ / - results (nitrit -, leukocyter ++)",
    "double-dash-range": "a range written 2--3 mg",
    "line-start-sign": "a line starting with < or > (Temp\\n>38,5 °C)",
    "numbered-list": "a numbered list (1. ...)",
    "star-word": "a line starting with *word",
    "lone-cr": "a lone CR after a line without a full stop",
    "radiology-answer": "a radiology answer (Frågeställning, Fynd, Bedömning)",
    "discharge-summary": "a discharge summary (Inskrivningsorsak, Förlopp, Läkemedel)",
}
"""Every construction the generators write, counted per note as ``construction:<name>`` features."""

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_SPECIAL = frozenset({"finding", "other", "?", "side", "side-after", "both", "organ", "organs", "exam"})


@dataclass(frozen=True)
class Word:
    """A noun as written, the concept it stands for (None: not a lexicon term) and its gender or number."""

    text: str
    concept: str | None
    gender: str | None


@dataclass(frozen=True)
class Slot:
    """Where cues of one role can stand; ``forms`` maps a gender (``*`` for any) to the cues that agree with it."""

    name: str
    role: str
    forms: dict[str, tuple[str, ...]]

    @property
    def agreeing(self) -> bool:
        return "*" not in self.forms

    def cues(self, gender: str | None) -> tuple[str, ...]:
        if not self.agreeing:
            return self.forms["*"]
        return self.forms.get(gender or "", ())

    @property
    def every_cue(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for cues in self.forms.values() for c in cues))


@dataclass(frozen=True)
class Piece:
    """One part of a frame's text: literal text, or a placeholder (``kind``, ``arg``) and whether to capitalise it."""

    kind: str
    arg: str = ""
    cap: bool = False


@dataclass(frozen=True)
class Status:
    labels: tuple[str, ...]
    subject: str
    copula: str
    normal: tuple[str, ...]
    adjectives: tuple[str, ...]
    findings: tuple[Word, ...]


@dataclass(frozen=True, eq=False)
class Frame:
    construction: str
    text: str
    pieces: tuple[Piece, ...]
    polarity: str
    terms: tuple[Word, ...]
    """What ``{finding}`` can be, agreement already applied."""
    others: tuple[Word, ...]
    status: tuple[tuple[int, tuple[Word, ...]], ...] = ()
    """For status frames: each usable organ system and the findings that agree in it."""
    organs: tuple[tuple[Word, str | None], ...] = ()
    """(body part, its definite plural) for sided frames."""
    gendered_word: str | None = None
    """A ``{w:...}`` table by gender that sets the agreement when the frame has no ``{finding}``."""
    slots: frozenset[str] = frozenset()
    space: tuple[tuple[int, str | None, int | None, tuple[tuple[Any, ...], ...]], ...] = ()
    """Every way to write the frame, as groups (size, gender, organ system, one tuple of choices per choice the
    frame makes): one integer picks a whole sentence, and 0 is the simplest."""
    size: int = 1
    exams: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = ()
    """For frames naming an examination (``{exam}``): per body region, its examinations and the concepts they
    show, so a finding is only ever written after an examination that can show it."""

    @property
    def features(self) -> frozenset[str]:
        return frozenset({f"construction:{self.construction}"})

    def decode(self, index: int) -> tuple[str | None, int | None, list[Any]]:
        """(gender, organ system, the choices) of the ``index``-th way to write the frame.

        Two placeholders of one sentence never name the same concept ("Har ont, inget ont"): a later one that
        would takes the next word of its own choices that does not (the same gender, so agreement holds)."""
        for size, gender, system, dims in self.space:
            if index < size:
                ks = []
                for dim in reversed(dims):
                    index, k = divmod(index, len(dim))
                    ks.append(k)
                ks.reverse()
                out: list[Any] = []
                named: set[str] = set()
                for dim, k in zip(dims, ks, strict=True):
                    choice = dim[k]
                    if isinstance(choice, Word) and choice.concept is not None:
                        for step in range(len(dim)):
                            other = dim[(k + step) % len(dim)]
                            if not isinstance(other, Word) or other.concept not in named:
                                choice = other
                                break
                        if choice.concept is not None:
                            named.add(choice.concept)
                    out.append(choice)
                return gender, system, out
            index -= size
        raise IndexError(index)


@dataclass(frozen=True)
class Drug:
    substance: str
    names: tuple[str, ...]
    doses: tuple[str, ...]
    units: tuple[str, ...]
    routes: tuple[str, ...]
    frequencies: tuple[str, ...]
    ranges: tuple[str, ...]


@dataclass(frozen=True)
class Lab:
    name: str
    values: tuple[str, ...]
    unit: str
    signed: bool


@dataclass
class Grammar:
    """One language's grammar resolved against one loaded lexicon."""

    language: str
    lexicon: Lexicon
    slots: dict[str, Slot]
    words: dict[str, dict[str, tuple[str, ...]]]
    frames: tuple[Frame, ...]
    sections: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    """section name -> (headings, builders)."""
    note_types: tuple[tuple[str, str | None, tuple[str, ...], str | None], ...]
    """(name, construction, sections, follow-up section)."""
    statuses: tuple[Status, ...]
    drugs: tuple[Drug, ...]
    labs: tuple[Lab, ...]
    dipstick: dict[str, Any]
    vitals: dict[str, str]
    follow_up: tuple[str, ...]
    calm: tuple[str, ...]
    """How the patient is ("Mår bra."): for the history and the course."""
    calm_plan: tuple[str, ...]
    """What is decided or said ("Hemgång i dag."): for the plan and the follow-up."""
    sides: dict[str, tuple[tuple[str, str], ...]]
    """before/after/bilateral -> ((side, word), ...)."""
    aux: dict[str, tuple[str, ...]]
    findings: tuple[str, ...]
    unused: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Cues the grammar lists that the lexicon does not know in that role (a test keeps this empty)."""
    by_section: dict[str, tuple[Frame, ...]] = field(default_factory=dict)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def cues(self, role: str) -> tuple[str, ...]:
        """Every cue of ``role`` the generators can write."""
        return tuple(dict.fromkeys(c for s in self.slots.values() if s.role == role for c in s.every_cue))


def raw_grammar(language: str) -> dict[str, Any]:
    """The packaged grammar file for ``language``, as read."""
    text = resources.files("journal_fuzz.strategies.grammar").joinpath(f"{language}.toml").read_text(
        encoding="utf-8")
    return tomllib.loads(text)


_CACHE: dict[tuple[str, int], Grammar] = {}


def grammar(language: str, lexicons: Sequence[str] = ()) -> Grammar:
    """The grammar for ``language`` resolved against the packaged lexicon merged with ``lexicons``."""
    lex = load_lexicon(language, lexicons)
    key = (language, id(lex))
    found = _CACHE.get(key)
    if found is None or found.lexicon is not lex:
        found = _CACHE[key] = _resolve(language, lex, raw_grammar(language))
    return found


# -- resolving ------------------------------------------------------------------------------------------------
def _role_of(lex: Lexicon, cue: str) -> str | None:
    entry = lex.lookup(cue)
    return entry.role if entry is not None else None


def _slots(lex: Lexicon, data: dict[str, Any],
           packaged: frozenset[str]) -> tuple[dict[str, Slot], dict[str, tuple[str, ...]]]:
    """The grammar's cue slots, filled from ``lex``; ``packaged`` (casefolded) are the packaged lexicon's cues, the
    rest came from a site lexicon."""
    slots: dict[str, Slot] = {}
    unused: dict[str, list[str]] = {}
    listed: dict[str, set[str]] = {}
    for name, spec in data.get("slots", {}).items():
        role = spec["role"]
        forms: dict[str, tuple[str, ...]] = {}
        for key, cues in spec.items():
            if key in ("role", "generic"):
                continue
            ok = []
            for cue in cues:
                listed.setdefault(role, set()).add(cue.casefold())
                if _role_of(lex, cue) == role:
                    ok.append(cue)
                else:
                    unused.setdefault(name, []).append(cue)
            forms["*" if key == "cues" else key] = tuple(ok)
        slots[name] = Slot(name, role, forms)
    skip = {c.casefold() for c in data.get("skip", {}).get("cues", [])}
    # Cues of a role that no slot lists go to that role's generic slot: a site lexicon's cue is written too.
    for name, spec in data.get("slots", {}).items():
        if not spec.get("generic"):
            continue
        slot = slots[name]
        section, key, _kind, _role = ROLES[slot.role]
        extra = [c for c in lex.cues(section, key) if c.casefold() not in listed.get(slot.role, set())
                 and c.casefold() not in skip and _role_of(lex, c) == slot.role]
        if extra:
            base = tuple(dict.fromkeys([*slot.forms["*"], *extra]))
            # A site's own cues are what its notes say and what its system must keep: each is written about as often
            # as a quarter of the packaged ones together (listed again), not as one cue among fifty.
            site = [c for c in dict.fromkeys(extra) if c.casefold() not in packaged]
            weight = max(1, (len(base) - len(site)) // (4 * len(site))) if site else 1
            slots[name] = Slot(name, slot.role, {"*": base + tuple(site) * (weight - 1)})
    return slots, {k: tuple(v) for k, v in unused.items()}


def _words(data: dict[str, Any]) -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, value in data.get("words", {}).items():
        out[name] = {"*": tuple(value)} if isinstance(value, list) else {g: tuple(v) for g, v in value.items()}
    return out


def _usable(lex: Lexicon, concept: str) -> bool:
    entry = lex.lookup(concept)
    return entry is not None and entry.role == "term" and concept.replace(" ", "").replace("-", "").isalpha()


def _sv_gender(concept: str, forms: set[str]) -> str | None:
    if " " in concept:
        return None
    c = concept
    if c[-1] in "aeiouyåäöé":
        utr, neu = c + "n", c + "t"
    else:
        utr, neu = c + "en", c + "et"
        if c.endswith(("el", "er")):
            if c + "n" in forms:
                return "utr"
            neu = c[:-2] + c[-1] + "et"
    # Check -et/-t first: the definite plural of an ett-word can look like an en-word's singular (aneurysmen).
    if neu in forms:
        return "neu"
    if utr in forms:
        return "utr"
    return None


def _sv_plural(concept: str, gender: str, forms: set[str]) -> str | None:
    c = concept
    if gender == "neu":
        if c[-1] not in "aeiouyåäö":
            return c
        return c + "n" if c + "n" in forms else None
    stem = c[:-1] if c[-1] in "ae" else c
    for cand in (stem + "ar", stem + "er", stem + "or", c + "r", c + "er"):
        if cand in forms:
            return cand
    return None


def _en_plural(concept: str, forms: set[str]) -> str | None:
    for cand in (concept + "s", concept + "es"):
        if cand in forms:
            return cand
    return None


def _en_number(concept: str) -> str:
    """English terms named in the plural ("night sweats", "crackles") take plural agreement."""
    last = concept.rsplit(" ", 1)[-1]
    return "pl" if last.endswith("s") and not last.endswith(("ss", "is", "us", "tes")) else "sg"


def _nouns(language: str, lex: Lexicon, categories: Sequence[str], plural_categories: Sequence[str],
           adjective_endings: tuple[str, ...] = (), heads: dict[str, str] | None = None) -> tuple[
        tuple[Word, ...], tuple[Word, ...]]:
    """(singular words with their gender, plural words) for the lexicon terms of ``categories``."""
    singular: list[Word] = []
    plural: list[Word] = []
    heads = heads or {}
    for category in categories:
        for concept in sorted(lex.terms(category)):
            if not _usable(lex, concept) or (" " not in concept and concept.endswith(adjective_endings)) \
                    or concept.casefold() in lex.measurements:
                continue  # a measured quantity (puls, BMI) has a value; it is never present or absent
            info = lex.term(concept)
            forms = {f.casefold() for f in info.forms} if info else {concept}
            # Written as the lexicon spells it ("ST-höjning", "AV-block"), not as its lower-case key.
            cased = {f.casefold(): f for f in (info.forms if info else ()) if not f.islower()}
            if language == "sv":
                head = next((g for h, g in heads.items() if concept.endswith(h)), None)
                gender = info.gender if info and info.gender else head or _sv_gender(concept, forms)
                if gender == "pl":
                    plural.append(Word(cased.get(concept, concept), concept, "pl"))
                    continue
                singular.append(Word(cased.get(concept, concept), concept, gender))
                pl = _sv_plural(concept, gender, forms) if gender and category in plural_categories else None
            else:
                number = info.gender if info and info.gender in ("sg", "pl") else _en_number(concept)
                (plural if number == "pl" else singular).append(Word(cased.get(concept, concept), concept, number))
                pl = _en_plural(concept, forms) if category in plural_categories and number == "sg" else None
            if pl:
                plural.append(Word(cased.get(pl, pl), concept, "pl"))
    # Shortest first: a failing sentence shrinks towards "Ingen feber", not towards the longest term.
    return tuple(sorted(singular, key=_short)), tuple(sorted(plural, key=_short))


def _short(word: Word) -> tuple[int, str]:
    return len(word.text), word.text


def _pieces(text: str) -> tuple[Piece, ...]:
    out: list[Piece] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() > pos:
            out.append(Piece("lit", text[pos:m.start()]))
        name = m.group(1)
        cap = name[:1].isupper()
        low = name[:1].lower() + name[1:]
        if low.startswith("w:"):
            out.append(Piece("word", low[2:], cap))
        elif low.startswith("n:"):
            out.append(Piece("num", low[2:]))
        elif low.startswith("s:"):
            out.append(Piece("status", low[2:], cap))
        elif low in _SPECIAL:
            out.append(Piece(low, "", cap))
        else:
            out.append(Piece("slot", low, cap))
        pos = m.end()
    if pos < len(text):
        out.append(Piece("lit", text[pos:]))
    return tuple(out)


def _agrees(word: Word, slots: Sequence[Slot], words: Sequence[dict[str, tuple[str, ...]]]) -> bool:
    return all(s.cues(word.gender) for s in slots if s.agreeing) and all(
        ("*" in w) or bool(w.get(word.gender or "")) for w in words)


def _polarity(spec: dict[str, Any], roles: set[str], question: bool) -> str:
    if "polarity" in spec:
        return str(spec["polarity"])
    if roles & {NEG_PRE, NEG_POST}:
        return "negated"
    if roles & {HEDGE_PRE, HEDGE_POST} or question:
        return "uncertain"
    return "affirmed"


def _organs(language: str, lex: Lexicon, data: dict[str, Any]) -> dict[str, tuple[tuple[Word, str | None], ...]]:
    groups: dict[str, list[tuple[Word, str | None]]] = {}
    listed: set[str] = set()
    for group, table in data.get("anatomy", {}).items():
        out = groups.setdefault(group, [])
        for organ, plural in table.items():
            listed.add(organ)
            if _usable(lex, organ):
                out.append((Word(organ, organ, None), plural))
    # Anatomy the lexicon marks as sided joins the generic group (plural read from its forms when it can be).
    extra = groups.setdefault("paired", [])
    for concept in sorted(lex.terms("anatomy")):
        info = lex.term(concept)
        if info is None or not info.sided or concept in listed or not _usable(lex, concept):
            continue
        forms = [f for f in info.forms if f != concept]
        plural = next((f for f in forms if f.endswith("na") or (language == "en" and f == concept + "s")), None)
        extra.append((Word(concept, concept, None), plural))
    return {k: tuple(v) for k, v in groups.items()}


def _resolve(language: str, lex: Lexicon, data: dict[str, Any]) -> Grammar:
    meta = data.get("meta", {})
    own = load_lexicon(language)
    packaged = frozenset(c.casefold() for section, key, _kind, _role in ROLES.values() for c in own.cues(section, key))
    slots, unused = _slots(lex, data, packaged)
    words = _words(data)
    plural_categories = tuple(meta.get("plural_categories", ()))
    adjective_endings = tuple(meta.get("adjective_endings", ()))
    copula = str(meta.get("copula", ""))
    statuses = []
    for spec in data.get("status", []):
        findings = []
        for noun, gender in spec.get("findings", {}).items():
            concept = noun if _usable(lex, noun) else None
            findings.append(Word(noun, concept, gender))
            if language == "sv" and gender == "neu" and noun[-1] not in "aeiouyåäö":
                findings.append(Word(noun, concept, "pl"))
        statuses.append(Status(tuple(spec["label"]), spec["subject"], spec.get("is", copula), tuple(spec["normal"]),
                               tuple(spec.get("adj", ())), tuple(findings)))
    organ_groups = _organs(language, lex, data)
    noun_cache: dict[tuple[str, ...], tuple[tuple[Word, ...], tuple[Word, ...]]] = {}

    def nouns(categories: tuple[str, ...]) -> tuple[tuple[Word, ...], tuple[Word, ...]]:
        if categories not in noun_cache:
            noun_cache[categories] = _nouns(language, lex, categories, plural_categories, adjective_endings,
                                            data.get("heads", {}))
        return noun_cache[categories]

    sides = sides_of(data, lex)
    shown = lex.imaging
    imageable = frozenset().union(*shown.values())
    exams = tuple((tuple(spec.get("exams", ())), shown[region]) for region, spec in data.get("imaging", {}).items()
                  if region in shown and spec.get("exams"))
    frames: list[Frame] = []
    for spec in data.get("frame", []):
        pieces = _pieces(spec["text"])
        used = [slots[p.arg] for p in pieces if p.kind == "slot"]
        if any(not s.every_cue for s in used):
            continue  # a slot the lexicon left empty: the frame cannot be written
        gendered = [words[p.arg] for p in pieces if p.kind == "word" and "*" not in words[p.arg]]
        kinds = {p.kind for p in pieces}
        terms: tuple[Word, ...] = ()
        if "finding" in kinds and not spec.get("status"):
            singular, plural = nouns(tuple(spec.get("terms", ())))
            pool = {"only": plural}.get(spec.get("plural", ""), singular + plural)
            terms = tuple(w for w in pool if _agrees(w, used, gendered))
            if spec.get("imaging") or "exam" in kinds:
                terms = tuple(w for w in terms if w.concept in imageable)
            if not terms:
                continue
        others: tuple[Word, ...] = ()
        if "other" in kinds:
            others = nouns(tuple(spec.get("other_terms", ("symptom",))))[0]
        status: tuple[tuple[int, tuple[Word, ...]], ...] = ()
        if spec.get("status"):
            status = tuple((i, tuple(w for w in s.findings if _agrees(w, used, gendered)))
                           for i, s in enumerate(statuses))
            status = tuple((i, ws) for i, ws in status if ws or "finding" not in kinds)
            if not status:
                continue
        organs: tuple[tuple[Word, str | None], ...] = ()
        if "organs" in spec:
            organs = tuple(o for o in organ_groups.get(spec["organs"], ()) if o[1] or "organs" not in kinds)
            if not organs:
                continue
        gendered_word = None
        if "finding" not in kinds and not spec.get("status"):
            gendered_word = next((p.arg for p in pieces if p.kind == "word" and "*" not in words[p.arg]), None)
        frame = Frame(
            construction=spec["construction"], text=spec["text"], pieces=pieces,
            polarity=_polarity(spec, {s.role for s in used}, "?" in kinds), terms=terms, others=others,
            status=status, organs=organs, gendered_word=gendered_word, slots=frozenset(s.name for s in used),
            exams=exams if "exam" in kinds else ())
        frames.append(with_space(frame, slots, words, statuses, sides, dict(data.get("aux", {}))))
    substances = {s.casefold() for s in lex.data.get("drugs", {}).get("substances", {})}
    drugs = tuple(Drug(d["substance"], tuple(d["names"]), tuple(d["doses"]), tuple(d["units"]), tuple(d["routes"]),
                       tuple(d["frequencies"]), tuple(d.get("ranges", ())))
                  for d in data.get("drug", []) if d["substance"].casefold() in substances)
    labs = tuple(Lab(d["name"], tuple(d["values"]), d.get("unit", ""), bool(d.get("signed", False)))
                 for d in data.get("lab", []))
    sections = {name: (tuple(s["headings"]), tuple(s["builders"])) for name, s in data.get("sections", {}).items()}
    note_types = tuple((name, n.get("construction"), tuple(n["sections"]), n.get("follow_up"))
                       for name, n in data.get("notes", {}).items() for _ in range(int(n.get("weight", 1))))
    singular, _plural = nouns(("finding", "symptom", "diagnosis"))
    out = Grammar(
        language=language, lexicon=lex, slots=slots, words=words, frames=tuple(frames), sections=sections,
        note_types=note_types, statuses=tuple(statuses), drugs=drugs, labs=labs, dipstick=data.get("dipstick", {}),
        vitals=data.get("vitals", {}), follow_up=tuple(data.get("follow_up", {}).get("lead", ())),
        calm=tuple(data.get("calm", {}).get("sentences", ())), calm_plan=tuple(data.get("calm", {}).get("plan", ())),
        sides=sides,
        aux={k: tuple(v) for k, v in data.get("aux", {}).items()}, findings=tuple(w.text for w in singular),
        unused=unused)
    out.by_section = {name: tuple(f for f, spec in zip(frames, _frame_specs(data, frames), strict=True)
                                  if name in spec.get("sections", ())) for name in sections}
    # A radiology answer's question and findings hold only what imaging shows ("Frågeställning: Fraktur?", never
    # "Frågeställning: Hiv?").
    aux = dict(data.get("aux", {}))
    for name, spec in data.get("sections", {}).items():
        if spec.get("imaging"):
            out.by_section[name] = tuple(
                f for f in (_shown_only(f, imageable, slots, words, statuses, sides, aux)
                            for f in out.by_section[name]) if f is not None)
    return out


def _shown_only(frame: Frame, imageable: frozenset[str], slots: dict[str, Slot],
                words: dict[str, dict[str, tuple[str, ...]]], statuses: Sequence[Status],
                sides: dict[str, tuple[tuple[str, str], ...]], aux: dict[str, list[str]]) -> Frame | None:
    """``frame`` writing only concepts imaging shows (None when it has none); a frame without terms as it is."""
    if not frame.terms:
        return frame
    kept = tuple(w for w in frame.terms if w.concept in imageable)
    if len(kept) == len(frame.terms):
        return frame
    if not kept:
        return None
    return with_space(dataclasses.replace(frame, terms=kept), slots, words, statuses, sides, aux)


def _frame_specs(data: dict[str, Any], frames: Sequence[Frame]) -> list[dict[str, Any]]:
    """The TOML spec of each resolved frame (frames the lexicon left unwritable were dropped)."""
    specs = iter(data.get("frame", []))
    out = []
    for frame in frames:
        for spec in specs:
            if spec["text"] == frame.text and spec["construction"] == frame.construction:
                out.append(spec)
                break
    return out


def sides_of(data: dict[str, Any], lex: Lexicon) -> dict[str, tuple[tuple[str, str], ...]]:
    """before/after/bilateral -> ((side, word), ...): the grammar's side words the lexicon knows as sides."""
    sides: dict[str, list[tuple[str, str]]] = {"before": [], "after": [], "bilateral": []}
    lex_sides = {side: {f.casefold() for f in forms} for side, forms in lex.data.get("sides", {}).items()}
    for where, forms in data.get("sides", {}).items():
        for form in forms:
            for side in (("bilateral",) if where == "bilateral" else ("right", "left")):
                if form.casefold() in lex_sides.get(side, set()):
                    sides[where].append((side, form))
    return {k: tuple(v) for k, v in sides.items()}


def _dims(frame: Frame, gender: str | None, system: Status | None, first: tuple[Any, ...] | None,
          slots: dict[str, Slot], words: dict[str, dict[str, tuple[str, ...]]],
          sides: dict[str, tuple[tuple[str, str], ...]], aux: dict[str, list[str]],
          exams: tuple[str, ...] = ()) -> tuple[tuple[Any, ...], ...]:
    """One tuple of choices per choice the frame makes, in the order of its pieces."""
    dims: list[tuple[Any, ...]] = []
    seen_side = seen_organ = False
    for piece in frame.pieces:
        kind, arg = piece.kind, piece.arg
        dim: tuple[Any, ...] | None = None
        if kind == "finding":
            dim = first
        elif kind == "other":
            dim = frame.others
        elif kind == "exam":
            dim = exams
        elif kind == "slot":
            cues = slots[arg].cues(gender)
            dim = tuple((lead, c) for c in cues for lead in aux.get(c, [""])) if leads(arg) else cues
        elif kind == "word":
            table = words[arg]
            dim = first if arg == frame.gendered_word else (table.get("*") or table.get(gender or "", ()))
        elif kind == "status" and system is not None:
            dim = {"label": system.labels, "subject": (system.subject,), "normal": system.normal,
                   "adj": system.adjectives, "is": (system.copula,)}[arg]
        elif kind == "num":
            lo, _, hi = arg.partition("-")
            dim = tuple(str(n) for n in range(int(lo), int(hi) + 1))
        elif kind in ("side", "side-after") and not seen_side:
            seen_side = True
            dim = sides["before" if kind == "side" else "after"]
        elif kind == "both":
            dim = sides["bilateral"]
        elif kind in ("organ", "organs") and not seen_organ:
            seen_organ = True
            dim = frame.organs
        if dim is not None:
            dims.append(dim or ("",))
    return tuple(dims)


def leads(slot: str) -> bool:
    """Whether the cues of ``slot`` are written after a lead from ``[aux]`` ("CT does" + "not reveal")."""
    return slot == "aux" or slot.startswith("aux_")


def _size(dims: Sequence[Sequence[Any]]) -> int:
    n = 1
    for d in dims:
        n *= len(d)
    return n


def with_space(frame: Frame, slots: dict[str, Slot], words: dict[str, dict[str, tuple[str, ...]]],
               statuses: Sequence[Status], sides: dict[str, tuple[tuple[str, str], ...]],
               aux: dict[str, list[str]]) -> Frame:
    """``frame`` with its choice space: grouped by the gender the cues must agree with (and, for a frame naming
    an examination, by the body region whose examinations show the finding)."""
    groups: list[tuple[int, str | None, int | None, tuple[tuple[Any, ...], ...]]] = []

    def add(gender: str | None, system: int | None, first: tuple[Any, ...] | None,
            exams: tuple[str, ...] = ()) -> None:
        dims = _dims(frame, gender, statuses[system] if system is not None else None, first, slots, words, sides,
                     aux, exams)
        groups.append((_size(dims), gender, system, dims))

    def by_gender(items: Sequence[Word]) -> dict[str | None, tuple[Word, ...]]:
        out: dict[str | None, list[Word]] = {}
        for w in items:
            out.setdefault(w.gender, []).append(w)
        return {g: tuple(ws) for g, ws in out.items()}

    if frame.status:
        for system, findings in frame.status:
            if findings:
                for gender, ws in by_gender(findings).items():
                    add(gender, system, ws)
            else:
                add(None, system, None)
    elif frame.exams:
        for exams, concepts in frame.exams:
            for gender, ws in by_gender([w for w in frame.terms if w.concept in concepts]).items():
                add(gender, None, ws, exams)
    elif frame.terms:
        for gender, ws in by_gender(frame.terms).items():
            add(gender, None, ws)
    elif frame.gendered_word is not None:
        for gender, texts in words[frame.gendered_word].items():
            add(gender, None, texts)
    else:
        add(None, None, None)
    return dataclasses.replace(frame, space=tuple(groups), size=sum(g[0] for g in groups))
