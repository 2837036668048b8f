"""From one reported word loss to its extent: variations around an incident, sent to the live target.

An engineer with one example wants the bug's shape ("every post-negation *ej* is dropped; pre-negations survive"),
not the example again. :func:`variations` builds deterministic neighbours of a case's note: the guilty sentence
alone, the same cue in other findings and sections, other cues of the same NegEx role, cues of the other roles,
and the note at lengths around the common field caps. :func:`explore` sends each and tabulates what was lost.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

from journal_fuzz.adapters.base import Adapter, SystemUnderTestError
from journal_fuzz.constants import CAPS, FHIR, TEXT
from journal_fuzz.exchange import FhirPayload, Payload, TextPayload, send
from journal_fuzz.lexicon import NEG_POST, NEG_PRE, load_lexicon
from journal_fuzz.notes import Note
from journal_fuzz.oracle import Verdict
from journal_fuzz.strategies.vocab import vocabulary
from journal_fuzz.wording import sentence_at

__all__ = ["Variation", "explore", "neighbourhood", "variations"]


@dataclass
class Variation:
    name: str
    note: Note
    lost: bool | None = None
    kinds: list[str] = field(default_factory=list)
    error: str | None = None
    received: str | None = None


def _guilty(note: Note, verdict: Verdict | None) -> tuple[str, int]:
    """The word(s) the first finding is about and where."""
    if verdict is not None and verdict.findings:
        f = verdict.findings[0]
        return f.sent_text.strip(), f.sent_offset
    return "", 0


def _cue_role(language: str, word: str) -> str | None:
    lex = load_lexicon(language)
    entry = lex.lookup(word)
    if entry is not None:
        return entry.role
    # "ej" lost out of "ses ej": find a post cue that ends with the word.
    for cue in lex.cues("negation", "post"):
        if cue.casefold().split()[-1:] == [word.casefold()]:
            return NEG_POST
    return None


def variations(note: Note, verdict: Verdict | None = None, seed: int = 0) -> list[Variation]:
    """Deterministic neighbours of ``note`` that tell apart what the system loses and what it keeps."""
    language = note.language
    v = vocabulary(language)
    rng = random.Random(seed)
    word, offset = _guilty(note, verdict)
    sentence = sentence_at(note.text, offset)
    out = [Variation("the reported note", note)]
    if sentence and sentence != " ".join(note.text.split()):
        out.append(Variation("the guilty sentence alone", Note(sentence, language)))
    findings = rng.sample(v.findings, 4)
    role = _cue_role(language, word) if word else None
    posts = [f"{lead} {cue}".strip() for lead, cue in v.post]
    same_cue_posts = [c for c in posts if word and word.casefold() in c.casefold().split()]
    same_cue_pres = [c for c in v.pre if word and word.casefold() in c.casefold().split()]
    for term in findings[:2]:
        for cue in same_cue_posts[:2]:
            out.append(Variation(f"same cue '{cue}' after another finding", Note(f"{term.capitalize()} {cue}.",
                                                                                 language)))
        for cue in same_cue_pres[:2]:
            out.append(Variation(f"same cue '{cue}' before another finding", Note(f"{cue} {term}.", language)))
    heading = v.sections[-1]
    if sentence:
        out.append(Variation(f"in another section ({heading})", Note(f"{heading}:\n{sentence}", language)))
        out.append(Variation("after other sentences", Note(f"{v.calm[0]} {v.calm[1]} {sentence}", language)))
    term = findings[2]
    other_posts = [c for c in posts if c not in same_cue_posts][:3]
    other_pres = [c for c in v.pre if c not in same_cue_pres][:3]
    label = "other" if role in (NEG_POST, NEG_PRE) else "a"
    for cue in other_posts:
        out.append(Variation(f"{label} post-negation '{cue}'", Note(f"{term.capitalize()} {cue}.", language)))
    for cue in other_pres:
        out.append(Variation(f"{label} pre-negation '{cue}'", Note(f"{cue} {term}.", language)))
    for cue in v.hedge_post[:1]:
        out.append(Variation(f"a hedge '{cue}'", Note(f"{term.capitalize()} {cue}.", language)))
    length = len(note.text)
    caps = sorted({c for c in CAPS if c <= max(4 * length, 300)} | {length})
    for cap in caps[:4]:
        padded = _pad_to(note.text, cap + 5, v.calm)
        if padded != note.text:
            out.append(Variation(f"the note pushed past {cap} characters", Note(padded, language)))
    seen: set[str] = set()
    unique = []
    for var in out:
        if var.note.text not in seen:
            seen.add(var.note.text)
            unique.append(var)
    return unique


def _pad_to(text: str, target: int, filler: Sequence[str]) -> str:
    if len(text) >= target:
        return text
    lead: list[str] = []
    size = 0
    k = 0
    while size + len(text) + 1 < target:
        sentence = filler[k % len(filler)]
        lead.append(sentence)
        size += len(sentence) + 1
        k += 1
    return " ".join(lead) + " " + text


# Where a note can live in FHIR, for exploring a text incident against a FHIR target.
FHIR_PLACES: tuple[tuple[str, str | None, str], ...] = (
    ("Observation", None, "json"), ("Observation", None, "xml"),
    ("Composition", None, "json"), ("Composition", None, "xml"),
    ("DocumentReference", "text/plain; charset=utf-8", "json"), ("DocumentReference", "text/rtf;charset=utf-8", "json"),
    ("DocumentReference", "text/html;charset=utf-8", "xml"), ("DiagnosticReport", None, "json"),
)


def fhir_variations(items: Sequence[Variation], places: Sequence[tuple[str, str | None, str]] = FHIR_PLACES
                    ) -> list[tuple[Variation, str, str | None, str]]:
    """The reported note in other resource types and wire forms, then the other variations as Observations."""
    out: list[tuple[Variation, str, str | None, str]] = []
    if items:
        for kind, content_type, wire in places:
            first = Variation(f"{items[0].name} as {kind}" + (f" ({content_type.split(';')[0]})" if content_type
                                                                 else "") + f", {wire}", items[0].note)
            out.append((first, kind, content_type, wire))
    for var in items[1:]:
        out.append((var, "Observation", None, "json"))
    return out


def explore(adapter: Adapter, items: Iterable[Variation]) -> list[Variation]:
    """Send every variation through ``adapter`` (started) and record what was lost. A FHIR target gets the note
    embedded in several resource types and wire forms. Every send has its own fresh payload id, so a system that
    refuses a repeated id accepts a second exploration as readily as the first."""
    items = list(items)
    plan: list[tuple[Variation, Payload]]
    if TEXT in adapter.carries:
        plan = [(var, TextPayload(var.note)) for var in items]
    elif FHIR in adapter.carries:
        plan = [(var, FhirPayload.build(kind, [var.note], wire=wire, content_type=content_type))
                for var, kind, content_type, wire in fhir_variations(items)]
    else:
        raise ValueError(f"{adapter.describe()} carries neither text nor FHIR")
    done = []
    for var, payload in plan:
        try:
            exchange = send(adapter, payload)
        except SystemUnderTestError as exc:
            var.error = f"system error ({exc.cause}): {exc}"
            done.append(var)
            continue
        if isinstance(payload, TextPayload):
            var.received = exchange.received
        var.lost = not exchange.ok
        var.kinds = exchange.verdict.kinds
        done.append(var)
    return done


def neighbourhood(note: Note, verdict: Verdict | None = None) -> st.SearchStrategy[Note]:
    """A Hypothesis strategy over a case's variations (for a regression test's property)."""
    return st.sampled_from([v.note for v in variations(note, verdict)])


def table(rows: Sequence[Variation]) -> str:
    width = max((len(r.name) for r in rows), default=10) + 2
    lines = [f"{'variation':<{width}}{'lost?':<8}kinds"]
    for r in rows:
        lost = "error" if r.error else ("YES" if r.lost else "no")
        detail = r.error or ", ".join(r.kinds)
        lines.append(f"{r.name:<{width}}{lost:<8}{detail}")
    return "\n".join(lines)
