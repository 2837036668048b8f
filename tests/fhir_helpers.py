"""Small helpers shared by the FHIR tests: notes with known facts, and hostile note texts."""

from __future__ import annotations

from journal_fuzz.notes import Fact, Note


def sv(text: str, *facts: tuple[str, str]) -> Note:
    """A Swedish note; each ``(kind, word)`` fact is placed at the word's first occurrence."""
    return Note(text=text, language="sv", facts=tuple(_fact(text, kind, word) for kind, word in facts))


def en(text: str, *facts: tuple[str, str]) -> Note:
    return Note(text=text, language="en", facts=tuple(_fact(text, kind, word) for kind, word in facts))


def _fact(text: str, kind: str, word: str) -> Fact:
    start = text.index(word)
    return Fact(kind=kind, start=start, end=start + len(word), text=word)


CLINICAL = sv("Patienten har inte feber.\nMisstänkt pneumoni i höger lunga. Waran 2,5 mg 1x1.",
              ("negation", "inte"), ("hedge", "Misstänkt"), ("term", "pneumoni"), ("side", "höger"),
              ("drug", "Waran"), ("number", "2,5"), ("unit", "mg"))

# Every character class that has eaten clinical words somewhere.
HOSTILE_TEXTS = [
    "CRP <5, ingen infektion.",
    "a < b > c och a<b>c",
    "Patienten har <!-- ej --> feber.",
    "Ej allergi mot <penicillin>.",
    "Inga<br/>fynd. Inga</p><p>fynd. <script>x</script> &amp; &lt; &#228; &auml;",
    "Hjärta & lungor: ua | ^ ~ \\ & \\.br\\ HL7\\F\\",
    "{\\rtf1 Ej} allergi {\\fldrslt ingen} \\par \\u228? \\'e4 }} {{",
    "\"citat\" 'enkelt' `back` *stjärna* _under_ # rubrik\n1. lista\n[länk](x) \\*redan\\*",
    "Tab\tseparerad\tlista",
    "CRLF\r\nrad två\rCR ensam\nLF\n\nstycke",
    "NFD: Fo\u0308rnekar bro\u0308stsma\u0308rta, a\u030agrar",
    "no-break\u00a0space, zero\u200bwidth, soft\u00adhyphen, joiner\u2060word, bom\ufeffhere",
    "emoji 😀🩺 och ≥ 5 ≤ 10 → µg μg ℃ ½",
    "   inledande och avslutande blanktecken   \n\n",
    "]]> <![CDATA[ ej ]]> <?pi ej?>",
]
