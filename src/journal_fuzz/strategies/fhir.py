"""Hypothesis strategies for FHIR resources that carry generated notes, in JSON or XML wire form.

Each example knows which notes it embeds and where (``embeds``), so a comparison knows what every field must
still say after a round trip through a server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from journal_fuzz.fhir import ATTACHMENT_TYPES, NARRATIVE_STYLES, RESOURCE_KINDS, Embedded, build_resource, to_wire
from journal_fuzz.fhir.wire import WIRES
from journal_fuzz.notes import Note
from journal_fuzz.strategies.clinical import notes as note_strategy
from journal_fuzz.synthetic import TEST_PERSONNUMMER

__all__ = ["FhirDocument", "fhir_documents"]

VERSIONS = ("R4B", "R5")


@dataclass(frozen=True)
class FhirDocument:
    """A resource built around notes, and its bytes on the wire."""

    kind: str
    version: str
    wire: str
    resource: dict[str, Any]
    payload: bytes
    embeds: tuple[Embedded, ...]
    content_type: str | None
    style: str
    uid: str
    personnummer: str | None = None
    refuted: bool = False

    @property
    def notes(self) -> tuple[Note, ...]:
        return tuple(e.note for e in self.embeds)

    @property
    def features(self) -> frozenset[str]:
        feats = {f"resource-{self.kind}", f"wire-{self.wire}", f"fhir-{self.version}", f"narrative-{self.style}"}
        if self.content_type:
            feats.add(f"attachment-{self.content_type.split(';')[0]}")
        for note in self.notes:
            feats |= note.features
        return frozenset(feats)


def _refuted(note: Note) -> bool:
    terms = note.facts_of("term")
    return bool(terms) and terms[0].polarity == "negated"


@st.composite
def fhir_documents(draw: st.DrawFn, language: str = "sv", version: str = "R4B",
                   kinds: Sequence[str] = RESOURCE_KINDS, wires: Sequence[str] = WIRES,
                   hostile: bool = False, max_note_size: int = 4000,
                   content_types: Sequence[str] = ATTACHMENT_TYPES,
                   styles: Sequence[str] = NARRATIVE_STYLES,
                   notes: Callable[[str], st.SearchStrategy[Note]] | None = None,
                   lexicons: Sequence[str] = ()) -> FhirDocument:
    """Valid FHIR resources (R4B by default, R5 on request) embedding 1-3 generated notes.

    ``kinds`` picks resource types from :data:`~journal_fuzz.fhir.RESOURCE_KINDS`; ``wires`` the wire forms
    (``json``, ``xml``). DocumentReference attachments come in each of the text content types, narratives in each
    style (paragraphs, line breaks, lists, tables, inline bold/italic); ``content_types`` and ``styles`` narrow
    those choices (each written with and without whitespace between blocks); ``notes`` replaces the note generator
    (for example ``lengths_near``); ``lexicons`` are site lexicons whose words the notes use too.
    """
    if version not in VERSIONS:
        raise ValueError(f"unknown FHIR version {version!r}; use R4B or R5")
    unknown = [k for k in kinds if k not in RESOURCE_KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown resource kinds {unknown}; use {', '.join(RESOURCE_KINDS)}")
    kind = draw(st.sampled_from(tuple(kinds)))
    wire = draw(st.sampled_from(tuple(wires)))
    source = notes(language) if notes is not None else note_strategy(language, max_size=max_note_size,
                                                                     hostile=hostile, lexicons=lexicons)
    embedded = draw(st.lists(source, min_size=1, max_size=3))
    style = draw(st.sampled_from(tuple(styles)))
    content_type = draw(st.sampled_from(tuple(content_types))) if kind == "DocumentReference" else None
    uid = draw(st.uuids()).hex
    personnummer = draw(st.sampled_from(TEST_PERSONNUMMER))
    refuted = _refuted(embedded[0])
    built = build_resource(kind, embedded, version=version, content_type=content_type, style=style, uid=uid,
                           personnummer=personnummer, refuted=refuted)
    payload = to_wire(built.resource, wire, version)
    return FhirDocument(kind=kind, version=version, wire=wire, resource=built.resource, payload=payload,
                        embeds=tuple(built.embeds), content_type=content_type, style=style, uid=uid,
                        personnummer=personnummer, refuted=refuted)
