"""Redaction of RTF attachments: identifiers go wherever RTF puts them, every other character stays, characters
beyond the BMP included."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from typing import Any

from journal_fuzz.cases import Case
from journal_fuzz.fhir import build_resource, compare_resources
from journal_fuzz.fhir.rtf import read_rtf
from journal_fuzz.notes import Note
from journal_fuzz.redact import find_identifiers, redact_case

RTF = "text/rtf;charset=utf-8"
SMILE = "\U0001f642"  # 🙂, in RTF \u-10179?\u-8638?


def _set_body(resource: dict[str, Any], body: str) -> None:
    raw = body.encode("utf-8")
    resource["content"][0]["attachment"].update(data=base64.b64encode(raw).decode("ascii"),
                                                hash=base64.b64encode(hashlib.sha1(raw).digest()).decode("ascii"))


def rtf_case(sent_text: str, received_text: str | None = None, *, sent_body: str | None = None,
             received_body: str | None = None, display: str | None = None) -> Case:
    """A DocumentReference with the note as an RTF attachment, sent and received (the received one with its
    text changed, or its RTF written by hand)."""
    note = Note(text=sent_text, language="sv")
    sent = build_resource("DocumentReference", [note], content_type=RTF).resource
    if display is not None:
        sent["subject"]["display"] = display
    if sent_body is not None:
        _set_body(sent, sent_body)
    received = copy.deepcopy(sent)
    if received_body is not None:
        _set_body(received, received_body)
    elif received_text is not None:
        other = build_resource("DocumentReference", [Note(text=received_text, language="sv")],
                               content_type=RTF).resource
        received["content"] = other["content"]
    received["id"] = "server-1"
    verdict = compare_resources(sent, received, "sv")
    return Case(carries="fhir", sent={"resource": sent, "notes": [note.to_dict()]}, received={"resource": received},
                verdict=verdict.to_dict(), prop="fhir-attachments", language="sv")


def rtf_of(resource: dict[str, Any]) -> str:
    return base64.b64decode(resource["content"][0]["attachment"]["data"]).decode("utf-8")


def text_of(resource: dict[str, Any]) -> str:
    result = read_rtf(rtf_of(resource))
    assert result.problem is None, result.problem  # redaction never breaks the document's structure
    return result.text


def case_json(case: Case) -> str:
    return json.dumps(case.to_dict(), ensure_ascii=False)


def assert_gone(case: Case, *originals: str) -> None:
    """No original anywhere: not in the case file, not in an attachment's RTF, not in the text RTF reads as."""
    sides = (case.sent["resource"], case.received["resource"])
    places = [case_json(case), *(rtf_of(r) for r in sides), *(text_of(r) for r in sides)]
    for original in originals:
        for place in places:
            assert original not in place, (original, place[:300])


def assert_no_damaged_characters(text: str) -> None:
    assert "\ufffd" not in text and "\uf642" not in text
    assert not any("\ud800" <= ch <= "\udfff" for ch in text)


def test_a_character_beyond_the_bmp_survives_redaction_of_an_rtf_attachment() -> None:
    sent = f"Pat: Märta Åström, 19121212-1212.\nMår bra {SMILE} Ingen feber. Waran 2,5 mg."
    case = rtf_case(sent, sent.replace("Ingen feber", "Feber"))
    assert "negation-dropped" in case.kinds
    redacted, mapping = redact_case(case, seed=21)
    assert_gone(redacted, "Märta", "Åström", "M\\u228?rta", "\\u197?str\\u246?m", "19121212-1212", "121212-1212")
    found = []
    for resource in (redacted.sent["resource"], redacted.received["resource"]):
        text = text_of(resource)
        m = re.fullmatch(rf"Pat: ([\w-]+) ([\w-]+), (\d{{8}}-\d{{4}})\.\nMår bra {SMILE} (?:Ingen f|F)eber\. "
                         r"Waran 2,5 mg\.", text)
        assert m is not None, text
        found.append(m.groups())
        assert text.count(SMILE) == 1
        assert_no_damaged_characters(text)
        body = rtf_of(resource)
        assert "\\u-10179?\\u-8638?" in body and "\\u63042" not in body  # the pair, as write_rtf writes it
    assert found[0] == found[1]  # the same pseudonyms on both sides
    first, last, number = found[0]
    assert {first, last}.isdisjoint({"Märta", "Åström"})
    assert [i.kind for i in find_identifiers(f"Pnr {number}.")] == ["personnummer"]  # a valid number, not the old
    assert mapping.findings_kept and redacted.kinds == case.kinds


def test_identifiers_right_next_to_characters_beyond_the_bmp() -> None:
    sent = (f"Pat: Anna Andersson{SMILE}, {SMILE}19121212-1212{SMILE} tel 070-123 45 67{SMILE}.\n"
            f"Dottern Lisa{SMILE}Sandberg ringde. Ingen feber.")
    case = rtf_case(sent, sent.replace("Ingen feber", "Feber"))
    redacted, mapping = redact_case(case, seed=22)
    assert_gone(redacted, "Anna", "Andersson", "19121212-1212", "070-123 45 67", "Lisa", "Sandberg")
    for resource in (redacted.sent["resource"], redacted.received["resource"]):
        text = text_of(resource)
        assert re.fullmatch(rf"Pat: [\w-]+ [\w-]+{SMILE}, {SMILE}\d{{8}}-\d{{4}}{SMILE} tel 070-\d{{3}} \d\d \d\d"
                            rf"{SMILE}\.\nDottern [\w-]+{SMILE}[\w-]+ ringde\. (?:Ingen f|F)eber\.", text), text
        assert text.count(SMILE) == 5
        assert_no_damaged_characters(text)
    assert mapping.findings_kept and "negation-dropped" in redacted.kinds


def test_a_name_written_with_a_character_beyond_the_bmp_goes_from_the_attachment_too() -> None:
    # 𠮷 (U+20BB7) is the form of 吉 many Japanese family names are written with: one character, two \uN in RTF.
    name = "\U00020bb7田 花子"
    sent = f"Pat: {name}, 19121212-1212. Mår bra {SMILE} Ingen feber."
    case = rtf_case(sent, sent.replace("Ingen feber", "Feber"), display=name)
    assert "\\u-10174?\\u-8265?" in rtf_of(case.sent["resource"])
    redacted, mapping = redact_case(case, seed=23)
    assert_gone(redacted, "\U00020bb7田", "花子", "19121212-1212")
    display = redacted.sent["resource"]["subject"]["display"]
    for resource in (redacted.sent["resource"], redacted.received["resource"]):
        text = text_of(resource)
        assert text.startswith(f"Pat: {display}, ") and f"Mår bra {SMILE} " in text, (display, text)
        assert_no_damaged_characters(text)
    assert mapping.findings_kept and "negation-dropped" in redacted.kinds


def test_a_name_split_into_formatting_runs_is_found_and_the_markup_kept() -> None:
    # Word writes a word in several runs when its revision marks or formatting change inside it.
    body = (r"{\rtf1\ansi\ansicpg1252\uc1{\fonttbl{\f0 Calibri;}}\f0 "
            r"{\insrsid1 Pat: M}{\b\insrsid2 \'e4rta} {\insrsid1 \u197?str}{\insrsid3 \u246?m}, 19121212-1212.\par "
            r"Ingen fraktur.}")
    received = body.replace("Ingen fraktur", "Fraktur")
    case = rtf_case("Pat: Märta Åström, 19121212-1212.\nIngen fraktur.", sent_body=body, received_body=received)
    assert read_rtf(body).text == "Pat: Märta Åström, 19121212-1212.\nIngen fraktur."
    redacted, mapping = redact_case(case, seed=24)
    assert_gone(redacted, "Märta", "Åström", "\\'e4rta", "19121212-1212")
    out = rtf_of(redacted.sent["resource"])
    # every group is still there, each run's formatting included
    assert out.count("{") == body.count("{") and out.count("}") == body.count("}")
    assert "{\\b\\insrsid2 " in out and "{\\insrsid3 " in out
    assert re.fullmatch(r"Pat: [\w-]+ [\w-]+, \d{8}-\d{4}\.\nIngen fraktur\.", text_of(redacted.sent["resource"]))
    assert mapping.findings_kept and "negation-dropped" in redacted.kinds


def test_identifiers_in_the_documents_properties_and_fields_are_redacted_too() -> None:
    # A reader shows neither \author nor a field's instruction, but the document carries them.
    body = (r"{\rtf1\ansi{\info{\title Epikris}{\author Anna Andersson}{\operator Erik Johansson}}"
            r"Svar till {\field{\*\fldinst HYPERLINK \"mailto:anna.andersson@mejl.se\"}{\fldrslt "
            r"anna.andersson@mejl.se}}. Ingen fraktur.}")
    case = rtf_case("Svar till anna.andersson@mejl.se. Ingen fraktur.", sent_body=body,
                    received_body=body.replace("Ingen fraktur", "Fraktur"))
    redacted, mapping = redact_case(case, seed=25)
    assert_gone(redacted, "Anna", "Andersson", "Erik", "Johansson", "anna.andersson@mejl.se")
    out = rtf_of(redacted.sent["resource"])
    assert "{\\title Epikris}" in out and "@example.com" in out
    assert re.fullmatch(r"Svar till person\d+@example\.com\. Ingen fraktur\.", text_of(redacted.sent["resource"]))
    assert mapping.findings_kept and "negation-dropped" in redacted.kinds
