"""Redaction of cases: every identifier goes, every clinical word stays, and the loss a case shows survives."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from journal_fuzz import compare, load_lexicon
from journal_fuzz.cases import Case, load_case
from journal_fuzz.incident import new_incident
from journal_fuzz.mutants import MUTANTS
from journal_fuzz.notes import Note
from journal_fuzz.redact import (
    Pseudonyms,
    find_identifiers,
    identifiers,
    is_redacted,
    redact_case,
    redact_text,
    same_findings,
)
from journal_fuzz.strategies import FhirDocument, fhir_documents, notes
from journal_fuzz.synthetic import TEST_PERSONNUMMER as PERSONNUMMER
from journal_fuzz.text import tokenize

# -- realistic synthetic notes (every person, number and address below is invented) -------------------------
RADIOLOGY = """Röntgen vänster fotled
Pat: Anna Andersson, 19121212-1212
Remittent: Dr Erik Johansson, ortopedmottagningen. Undersökt 2024-11-12.

Frågeställning: fraktur?
Fynd: Ingen fraktur. Luxation ses ej. Misstänkt ligamentskada, kan ej uteslutas.
Utlåtande: Ingen skelettskada i vänster fotled. Tidigare undersökning 2024-10-29 jämförd.

/Maria Lindqvist, överläkare"""

WARD = """Omvårdnadsanteckning 13 nov 2024
Patient 121212-1212 (Anna Andersson). Maken har samordningsnummer 701272-1234.
Dottern Lisa Berg och make Per Holm på besök. Kontaktperson: dotter Lisa Berg, tel 070-123 45 67.
Pat har ingen feber. Förnekar bröstsmärta. Waran 2,5 mg 1x1. Levaxin 50 µg på morgonen.
Kalium 3,9 mmol/l, CRP <5, BT 130/80. Smärta i höger höft. Lisa frågar om hemgång.
Ssk Karin Ström"""

DISCHARGE = """Epikris
Namn: Anna Andersson  Personnummer: 191212121212
Adress: Storgatan 12B, 411 19 Göteborg. Tel 031-12 34 56, mobil +46 70 123 45 67, e-post anna.andersson@mejl.se.
Inskriven 2024-11-12, utskriven 2024-11-19. Återbesök 3 december 2024 och 10/12/2024.
Diagnos: Lungemboli höger. Inga tecken på blödning. Eventuellt pneumoni.
Läkemedel: Waran 2,5 mg enligt ordination, Levaxin 50 µg 1x1, Alvedon 1 g vb.
Lab: Hb 132 g/l, HbA1c 52 mmol/mol, B12 normalt, Kalium 3,9 mmol/l, CRP <5.
Felskrivet nummer i remissen: 121212-1213 (fel kontrollsiffra), remissnr 1212121213.
Dr Erik Johansson, leg. läkare"""

ENGLISH = """Discharge summary
Patient: John Smith, DOB 1970-01-01, personal number 19121212-1212.
Seen by Dr Sarah Connor on 12 November 2024. Wife Mary Smith called from 08-123 456 78, john.smith@mail.org.
No fracture. Denies chest pain. Possible pneumonia. Warfarin 2.5 mg daily, levothyroxine 50 µg.
Potassium 3.9 mmol/L, CRP <5, BP 130/80. Pain in the left hip.
Signed by Nurse Kelly Jones"""

NOTES = {"radiology": (RADIOLOGY, "sv"), "ward": (WARD, "sv"), "discharge": (DISCHARGE, "sv"),
         "english": (ENGLISH, "en")}

# What each note must lose: a part of every identifier the note holds, as written in it.
MUST_GO = {
    "radiology": ["Anna", "Andersson", "19121212-1212", "Erik", "Johansson", "Maria", "Lindqvist",
                  "2024-11-12", "2024-10-29"],
    "ward": ["13 nov 2024", "121212-1212", "Anna", "Andersson", "701272-1234", "Lisa", "Berg", "Per", "Holm",
             "070-123 45 67", "Karin", "Ström"],
    "discharge": ["Anna", "Andersson", "191212121212", "Storgatan", "411 19", "Göteborg", "031-12 34 56",
                  "+46 70 123 45 67", "anna.andersson@mejl.se", "2024-11-12", "2024-11-19", "3 december 2024",
                  "10/12/2024", "Erik", "Johansson"],
    "english": ["John", "Smith", "1970-01-01", "19121212-1212", "Sarah", "Connor", "12 November 2024", "Mary",
                "08-123 456 78", "john.smith@mail.org", "Kelly", "Jones"],
}
# Clinical content each note must keep word for word (cues, doses, lab values, sides, drugs, units).
MUST_STAY = {
    "radiology": ["Röntgen vänster fotled", "Ingen fraktur.", "Luxation ses ej.", "Misstänkt ligamentskada",
                  "kan ej uteslutas", "Ingen skelettskada i vänster fotled", "överläkare", "Frågeställning"],
    "ward": ["Pat har ingen feber.", "Förnekar bröstsmärta.", "Waran 2,5 mg 1x1.", "Levaxin 50 µg",
             "Kalium 3,9 mmol/l, CRP <5, BT 130/80.", "Smärta i höger höft.", "Ssk", "samordningsnummer"],
    "discharge": ["Lungemboli höger.", "Inga tecken på blödning.", "Eventuellt pneumoni.",
                  "Waran 2,5 mg enligt ordination, Levaxin 50 µg 1x1, Alvedon 1 g vb.",
                  "Hb 132 g/l, HbA1c 52 mmol/mol, B12 normalt, Kalium 3,9 mmol/l, CRP <5.", "121212-1213",
                  "1212121213", "Personnummer:", "leg. läkare"],
    "english": ["No fracture.", "Denies chest pain.", "Possible pneumonia.", "Warfarin 2.5 mg daily",
                "levothyroxine 50 µg", "Potassium 3.9 mmol/L, CRP <5, BP 130/80.", "Pain in the left hip.",
                "Signed by Nurse"],
}


def word_in(word: str, text: str) -> bool:
    """``word`` standing on its own in ``text`` (not as a part of a longer word or number)."""
    return re.search(rf"(?<![\w+]){re.escape(word)}(?![\w])", text) is not None


def lexicon_sequence(text: str, language: str) -> list[tuple[str, tuple[str, ...]]]:
    """Every lexicon match in ``text`` in order: (role, the words): the clinical skeleton of a note."""
    tokens = tokenize(text)
    return [(m.entry.role, tuple(tokens.keys[m.start:m.end])) for m in load_lexicon(language).match(tokens.keys)]


def assert_only_identifiers_changed(original: str, redacted: str, language: str) -> None:
    """The oracle, comparing the original note with its redaction, finds differences only inside identifiers."""
    spans = [(i.start, i.end) for i in find_identifiers(original, language)]
    verdict = compare(original, redacted, language)
    assert verdict.findings, "nothing was redacted"
    for f in verdict.findings:
        end = f.sent_offset + len(f.sent_text)
        changed = [k for k in range(f.sent_offset, end) if original[k].isalnum()]
        if not changed:  # an insertion: it sits against an identifier
            assert any(a <= f.sent_offset <= b for a, b in spans), f.headline()
            continue
        for k in changed:
            assert any(a <= k < b for a, b in spans), (f.headline(), original[max(0, k - 20):k + 20])


# -- redact_text on realistic notes -----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(NOTES))
def test_identifiers_go_and_clinical_words_stay(name: str) -> None:
    text, language = NOTES[name]
    found = identifiers(text, language)
    for word in MUST_GO[name]:
        assert word in found or any(word in i for i in found), (word, found)
    redacted, mapping = redact_text(text, language=language, mapping=Pseudonyms(seed=7))
    for word in found:
        assert not word_in(word, redacted), (word, redacted)
    for phrase in MUST_STAY[name]:
        assert text.count(phrase) == redacted.count(phrase), (phrase, redacted)
    assert lexicon_sequence(redacted, language) == lexicon_sequence(text, language)
    assert_only_identifiers_changed(text, redacted, language)
    assert "Pseudonyms(" in repr(mapping) and "Anna" not in repr(mapping) and "John" not in repr(mapping)


def test_replacements_keep_their_format() -> None:
    text = ("A 19121212-1212, B 121212-1212, C 191212121212, D 1212121212, E 121212+1212, "
            "F 19850772-5672 (samordningsnummer).")
    redacted, _ = redact_text(text, mapping=Pseudonyms(seed=1))
    numbers = re.findall(r"[A-F] (\S+?)[,. ]", redacted)
    assert [len(n) for n in numbers] == [13, 11, 12, 10, 11, 13]
    assert numbers[0][8] == "-" and numbers[1][6] == "-" and numbers[4][6] == "+" and numbers[5][8] == "-"
    assert numbers[0].replace("-", "") == numbers[2] and numbers[2][2:] == numbers[3]  # one person, one number
    assert numbers[2] in PERSONNUMMER  # Skatteverket's test numbers first
    for n in numbers:  # every replacement is itself a valid number: date and check digit
        assert find_identifiers(f"x {n} x")[0].kind == "personnummer", n
    assert int(numbers[5][6:8]) > 60  # a samordningsnummer stays a samordningsnummer
    assert identifiers(redacted) == list(dict.fromkeys(numbers))


def test_numbers_that_only_look_like_personnummer_are_untouched() -> None:
    text = ("Remiss 121212-1213, lab-id 1212121213, 19121212-1213, 20241112-0000. Waran 2,5 mg. BT 130/80. "
            "Kl 08:30. Hb 132. LPK 7,2. Dos 0,5 g. Ring 1177. Tid 12.30. INR 2,4-3,0. 2,5-5 mg.")
    assert identifiers(text) == []
    assert redact_text(text)[0] == text


def test_phones_emails_addresses() -> None:
    text = ("Tel 070-123 45 67 eller 0701234567, +46 70 123 45 67, 08-123 456 78, 031-12 34 56. "
            "Mejl a.b@vgr.example.se. Bor Östra Hamngatan 5 A, 411 10 Göteborg. Tidigare Ekvägen 3, 43137 Mölndal.")
    redacted, _ = redact_text(text, mapping=Pseudonyms(seed=2))
    phones = re.findall(r"(?:\+46|0)[\d -]+\d", redacted.split("Mejl")[0])
    assert len(phones) == 5
    # one person's mobile, written three ways, is one fictional number (PTS's series for fiction)
    mobiles = [re.sub(r"\D", "", p).removeprefix("46") for p in phones[:3]]
    assert {m.lstrip("0") for m in mobiles} == {"701740605"}
    assert phones[0] == "070-174 06 05" and phones[1] == "0701740605" and phones[2] == "+46 70 174 06 05"
    assert phones[3].startswith("08-465 004") and phones[4].startswith("031-390 06")
    assert "@example.com" in redacted
    for gone in ("Hamngatan", "Ekvägen", "Göteborg", "Mölndal", "411 10", "43137", "vgr"):
        assert gone not in redacted
    assert re.search(r" 5 A, \d{3} \d{2} \w+\. Tidigare \w+vägen 3, \d{5} \w+\.$", redacted), redacted


def test_names_after_cues_and_in_free_text_but_never_clinical_words() -> None:
    text = ("Pat: Inga-Lill Testdotter. Dr Nord och ssk Frank Eriksson. Mamma Eva, pappa Janne. Hans mamma heter "
            "Siv. Ingen feber. Inga tecken på infektion. Hjärta: ua. Vänster höft. Waran 2,5 mg. Parkinsons "
            "sjukdom, Stevens-Johnson. Sjögrens syndrom. Anamnes: Status: Bedömning: Per os. Pat: Mår bra. "
            "Sign: AB")
    redacted, _ = redact_text(text, mapping=Pseudonyms(seed=3))
    for gone in ("Inga-Lill", "Testdotter", "Nord", "Frank", "Eriksson", "Eva", "Janne", "Siv"):
        assert not word_in(gone, redacted), gone
    for kept in ("Hans mamma heter", "Ingen feber.", "Inga tecken på infektion.", "Hjärta: ua.", "Vänster höft.",
                 "Waran 2,5 mg.", "Parkinsons sjukdom", "Stevens-Johnson", "Sjögrens syndrom",
                 "Anamnes: Status: Bedömning: Per os.", "Pat: Mår bra."):
        assert kept in redacted, kept
    assert not redacted.endswith("Sign: AB") and re.search(r"Sign: [A-ZÅÄÖ]{2}$", redacted)
    # a part of a name that is a clinical word stays, so the oracle sees the same cues: "Inga-Lill" -> "Inga-…"
    assert redacted.startswith("Pat: Inga-") and not word_in("Lill", redacted)


def test_names_written_with_invisible_characters_or_references() -> None:
    text = "Dr Kers\u00adtin Ber\u200bgström och Dr &#214;rjan Lindqvist. Dr Bjo\u0308rn Sjöberg. Ingen feber."
    redacted, _ = redact_text(text, mapping=Pseudonyms(seed=16))
    for gone in ("Kers", "tin", "Ber", "gström", "rjan", "Lindqvist", "Bjo", "Sjöberg"):
        assert gone not in redacted, (gone, redacted)
    assert redacted.endswith(". Ingen feber.") and redacted.count("Dr ") == 3


def test_consistent_within_a_mapping() -> None:
    mapping = Pseudonyms(seed=4)
    sent, _ = redact_text("Dr Anna Berg såg pat. Kontakt med Annas dotter Lisa.", mapping=mapping)
    received, _ = redact_text("Dr Anna Berg såg pat. Kontakt med Anna. Lisa ringde.", mapping=mapping)
    first = re.match(r"Dr (\w+) (\w+)", sent)
    assert first is not None
    anna, berg = first.groups()
    assert anna != berg
    assert received.startswith(f"Dr {anna} {berg}")
    assert f"{anna}s dotter" in sent and f"med {anna}." in received  # the genitive follows the name
    lisa = re.search(r"dotter (\w+)\.", sent)
    assert lisa is not None and lisa.group(1) not in (anna, berg)
    assert f"{lisa.group(1)} ringde" in received


def test_learn_keeps_pseudonyms_clear_of_later_originals() -> None:
    sent, received = "Dr Anna Berg.", "Dr Anna Berg och ssk Tolvan Tolvansson."  # Tolvan is the first pseudonym
    mapping = Pseudonyms(seed=19)
    mapping.learn(sent, received)
    out_sent, _ = redact_text(sent, mapping=mapping)
    out_received, _ = redact_text(received, mapping=mapping)
    assert out_received.startswith(out_sent[:-1])
    for original in ("Anna", "Berg", "Tolvan", "Tolvansson"):
        assert not word_in(original, out_sent + out_received), original


def test_two_people_two_pseudonyms_and_never_an_original() -> None:
    # "Kerstin" is both a real name here and the first pseudonym in the pool: it must not be reused.
    text = "Pat: Tolvan Tolvansson. Dotter Kerstin Testsson och son Gunnar. Anna, Maria och Erik."
    redacted, _ = redact_text(text, mapping=Pseudonyms(seed=5))
    originals = ["Tolvan", "Tolvansson", "Kerstin", "Testsson", "Gunnar", "Anna", "Maria", "Erik"]
    words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", redacted)
    pseudonyms = [w for w in words if w[0].isupper() and w not in ("Pat", "Dotter")]
    assert len(pseudonyms) == len(originals) == len(set(pseudonyms))
    assert not set(pseudonyms) & set(originals)


DATE_FORMATS = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|\d{1,2} (?:[a-zA-Zåäö]+) \d{4}")
SV_MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
             "november", "december"]


def parse(date: str) -> dt.date:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return dt.date.fromisoformat(date)
    if "/" in date:
        d, m, y = (int(x) for x in date.split("/"))
        return dt.date(y, m, d)
    day, word, year = date.split()
    month = next(i for i, name in enumerate(SV_MONTHS, 1) if name.startswith(word.casefold()))
    return dt.date(int(year), month, int(day))


def test_dates_move_together_and_keep_their_format() -> None:
    originals = [parse(d) for d in DATE_FORMATS.findall(DISCHARGE)]
    assert len(originals) == 4
    redacted, mapping = redact_text(DISCHARGE, mapping=Pseudonyms(seed=6))
    shifted_texts = DATE_FORMATS.findall(redacted)
    shifted = [parse(d) for d in shifted_texts]
    assert [b - a for a, b in zip(originals, shifted, strict=True)] == [dt.timedelta(mapping.shift_days)] * 4
    assert [re.sub(r"\d", "9", s) for s in shifted_texts[:2]] == ["9999-99-99"] * 2
    assert shifted_texts[3].count("/") == 2 and shifted_texts[2].split()[1] in SV_MONTHS
    assert mapping.shift_days != 0
    # "12 nov 2024" keeps its abbreviation; English dates stay English
    assert re.fullmatch(r"\d{1,2} [a-z]{3} \d{4}", redact_text("Besök 12 nov 2024.")[0].split(" ", 1)[1][:-1])
    english, _ = redact_text("Seen on 12 November 2024 and November 3, 2024.", language="en")
    assert re.fullmatch(r"Seen on \d{1,2} [A-Z][a-z]+ \d{4} and [A-Z][a-z]+ \d{1,2}, \d{4}\.", english)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        redact_text("x", language="de")


# -- whole cases ------------------------------------------------------------------------------------------
def case_json(case: Case) -> str:
    return json.dumps(case.to_dict(), ensure_ascii=False)


def text_case(sent: str, received: str, language: str = "sv") -> Case:
    case, _verdict = new_incident(sent, received, language)
    return case


def test_case_with_negation_dropped_keeps_its_loss(tmp_path: Path) -> None:
    sent = DISCHARGE
    received = DISCHARGE.replace("Inga tecken på blödning.", "Tecken på blödning.")
    case = text_case(sent, received)
    assert "negation-dropped" in case.kinds
    redacted, mapping = redact_case(case, seed=8)
    assert mapping.findings_kept is True
    assert same_findings(case, redacted)
    summary = mapping.summary()  # what a terminal shows: counts only, never an original or the date offset
    assert "1 personnummer" in summary and "names" in summary and "Anna" not in summary
    assert str(abs(mapping.shift_days)) not in summary
    assert "negation-dropped" in redacted.kinds
    assert redacted.kinds == case.kinds
    body = case_json(redacted)
    for word in identifiers(sent):
        assert not word_in(word, body), word
    assert "121212-1213" in body  # not a personnummer: left as written
    assert redacted.source == "incident+redacted" and is_redacted(redacted) and not is_redacted(case)
    # the saved note's facts still point at the same words
    note = redacted.sent_note()
    assert note.text == redacted.sent["text"]
    assert all(note.text[f.start:f.end] == f.text for f in note.facts)
    # the case survives a save and load, and redacting twice changes no loss
    path = redacted.save(tmp_path)
    again = load_case(path)
    assert again.source == "incident+redacted" and again.kinds == case.kinds
    twice, _ = redact_case(again, seed=9)
    assert twice.source == "incident+redacted" and twice.kinds == case.kinds


def test_sent_and_received_get_the_same_pseudonyms() -> None:
    sent = "Kontaktperson: dotter Lisa Nord. Dr Olle Vik bedömer: ingen fraktur."
    received = "Kontaktperson: Lisa Nord. Vik bedömer: fraktur."  # lost "dotter", "Dr" and "ingen"
    case = text_case(sent, received)
    redacted, mapping = redact_case(case, seed=10)
    body = case_json(redacted)
    for word in ("Lisa", "Nord", "Olle", "Vik"):
        assert not word_in(word, body), word
    s, r = redacted.sent["text"], redacted.received["text"]
    lisa_nord = re.search(r"dotter (\w+ \w+)\.", s)
    assert lisa_nord is not None and f"Kontaktperson: {lisa_nord.group(1)}." in r
    vik = re.search(r"Dr \w+ (\w+) bedömer", s)
    assert vik is not None and r.split(".")[1].strip().startswith(f"{vik.group(1)} bedömer")
    assert mapping.findings_kept and "negation-dropped" in redacted.kinds


def test_garbled_and_cut_off_names_are_redacted_too() -> None:
    sent = "Dr Björn Åström: inga tecken på fraktur. Pat: Anna Andersson, 19121212-1212"
    mojibake = sent.encode("utf-8").decode("cp1252")
    case = text_case(sent, mojibake)
    assert "encoding-damaged" in case.kinds
    redacted, mapping = redact_case(case, seed=11)
    body = case_json(redacted)
    for word in ("Björn", "BjÃ¶rn", "Åström", "Ã…strÃ¶m", "Anna", "Andersson", "19121212-1212"):
        assert word not in body, word
    assert mapping.findings_kept, (mapping.kinds_before, mapping.kinds_after)

    cut = text_case(sent, sent[:-9])  # "... 19121212-1" : cut inside the personnummer
    assert "truncated" in cut.kinds
    redacted, mapping = redact_case(cut, seed=12)
    assert "19121212" not in case_json(redacted)
    assert redacted.received["text"] == redacted.sent["text"][:len(redacted.received["text"])]
    assert mapping.findings_kept and redacted.kinds == cut.kinds


def test_a_changed_digit_in_the_received_personnummer_is_redacted_and_still_changed() -> None:
    sent = "Pat: Anna Andersson, 19121212-1212. Ingen fraktur."
    received = "Pat: Anna Andersson, 19121212-1712. Ingen fraktur."  # one digit changed: no longer valid
    case = text_case(sent, received)
    assert case.kinds == ["number-changed"]
    redacted, mapping = redact_case(case, seed=17)
    s = re.search(r"\d{8}-\d{4}", redacted.sent["text"])
    r = re.search(r"\d{8}-\d{4}", redacted.received["text"])
    assert s is not None and r is not None and s.group() != r.group()
    assert sum(a != b for a, b in zip(s.group(), r.group(), strict=True)) == 1
    assert "19121212" not in case_json(redacted)
    assert mapping.findings_kept and redacted.kinds == ["number-changed"]


def test_english_case() -> None:
    received = ENGLISH.replace("No fracture.", "Fracture.")
    case = text_case(ENGLISH, received, "en")
    redacted, mapping = redact_case(case, seed=13)
    assert mapping.findings_kept and "negation-dropped" in redacted.kinds
    body = case_json(redacted)
    for word in identifiers(ENGLISH, "en"):
        assert not word_in(word, body), word


def fhir_case(sent_text: str, received_text: str) -> Case:
    from journal_fuzz.fhir import compare_resources
    from journal_fuzz.fhir.build import build_resource

    note = Note(text=sent_text, language="sv")
    built = build_resource("DocumentReference", [note], personnummer="191212121212")
    sent = built.resource
    received = copy.deepcopy(sent)
    body = received_text.encode("utf-8")
    attachment = received["content"][0]["attachment"]
    attachment["data"] = base64.b64encode(body).decode("ascii")
    attachment["hash"] = base64.b64encode(hashlib.sha1(body).digest()).decode("ascii")
    received["id"] = "server-1"
    verdict = compare_resources(sent, received, "sv")
    return Case(carries="fhir", sent={"resource": sent, "wire": "json", "version": "R4B",
                                      "kind": "DocumentReference", "notes": [note.to_dict()]},
                received={"resource": received}, verdict=verdict.to_dict(), prop="fhir-roundtrip", language="sv")


def attachment_text(resource: dict[str, object]) -> tuple[str, bool]:
    attachment = resource["content"][0]["attachment"]  # type: ignore[index]
    raw = base64.b64decode(attachment["data"])
    return raw.decode("utf-8"), base64.b64encode(hashlib.sha1(raw).digest()).decode() == attachment["hash"]


def test_fhir_case_with_a_base64_attachment() -> None:
    sent_text = ("Pat: Anna Andersson, 19121212-1212. Tel 070-123 45 67.\n"
                 "Fynd: Fraktur påvisas ej. Waran 2,5 mg. Kalium 3,9 mmol/l.")
    case = fhir_case(sent_text, sent_text.replace("påvisas ej", "påvisas"))
    assert "negation-dropped" in case.kinds
    before_sent, ok = attachment_text(case.sent["resource"])
    assert ok and "19121212-1212" in before_sent
    redacted, mapping = redact_case(case, seed=14)
    sent, hash_ok = attachment_text(redacted.sent["resource"])
    received, received_hash_ok = attachment_text(redacted.received["resource"])
    assert hash_ok and received_hash_ok
    for text in (sent, received, case_json(redacted)):
        for word in ("Anna", "Andersson", "19121212-1212", "191212121212", "070-123 45 67", "Tolvan Tolvansson",
                     "Testsson"):
            assert word not in text, (word, text[:200])
    assert "Fynd: Fraktur påvisas ej. Waran 2,5 mg. Kalium 3,9 mmol/l." in sent
    assert "Fraktur påvisas. Waran 2,5 mg." in received
    pnr = re.search(r"Anna|\d{8}-\d{4}", sent)
    assert pnr is not None and pnr.group() in received  # the same replacement on both sides
    assert mapping.findings_kept and "negation-dropped" in redacted.kinds
    assert redacted.sent["notes"][0]["text"] == sent
    assert redacted.sent["resource"]["subject"]["identifier"]["value"] in PERSONNUMMER
    assert mapping.unredacted == []


def test_fhir_rtf_attachment_with_escaped_letters() -> None:
    from journal_fuzz.fhir import compare_resources
    from journal_fuzz.fhir.build import build_resource
    from journal_fuzz.fhir.extract import extract_texts

    note = Note(text="Pat: Märta Åström, 19121212-1212.\nIngen fraktur. Waran 2,5 mg.", language="sv")
    sent = build_resource("DocumentReference", [note], content_type="text/rtf;charset=utf-8").resource
    rtf = base64.b64decode(sent["content"][0]["attachment"]["data"]).decode()
    assert "\\u" in rtf and "Märta" not in rtf  # the letters are escaped in the RTF
    received = copy.deepcopy(sent)
    body = rtf.replace("Ingen fraktur", "Fraktur").encode()
    received["content"][0]["attachment"].update(data=base64.b64encode(body).decode(),
                                                hash=base64.b64encode(hashlib.sha1(body).digest()).decode())
    case = Case(carries="fhir", sent={"resource": sent, "notes": [note.to_dict()]}, received={"resource": received},
                verdict=compare_resources(sent, received, "sv").to_dict(), language="sv")
    redacted, mapping = redact_case(case, seed=18)
    texts = [tf.text for r in (redacted.sent["resource"], redacted.received["resource"]) for tf in extract_texts(r)]
    assert any("Ingen fraktur. Waran 2,5 mg." in t for t in texts)
    for text in (*texts, case_json(redacted)):
        for gone in ("Märta", "Åström", "19121212-1212", "M\\u228?rta"):
            assert gone not in text, (gone, text[:200])
    assert mapping.findings_kept and "negation-dropped" in redacted.kinds


def test_fhir_attachment_that_is_not_text_is_reported() -> None:
    case = fhir_case("Ingen fraktur.", "Fraktur.")
    for resource in (case.sent["resource"], case.received["resource"]):
        resource["content"].append({"attachment": {"contentType": "application/pdf", "data": "JVBERi0xLjQ="}})
    _redacted, mapping = redact_case(case, seed=15)
    assert len(mapping.unredacted) == 2 and "application/pdf" in mapping.unredacted[0]


def test_same_findings() -> None:
    assert same_findings(["negation-dropped", "word-changed"], ["word-changed", "negation-dropped"])
    assert same_findings(["number-changed"], ["number-changed", "number-changed"])  # a shifted date may split
    assert not same_findings(["negation-dropped"], ["negation-dropped", "word-changed"])
    assert not same_findings({"findings": [{"kind": "truncated"}]}, [])


# -- properties over generated notes ----------------------------------------------------------------------
CLINICAL_KINDS = ("negation", "hedge", "term", "side", "number", "unit", "drug")


@settings(max_examples=100)
@given(st.sampled_from(["sv", "en"]).flatmap(lambda lang: notes(lang, header=True) | notes(lang)))
def test_redaction_never_changes_a_clinical_fact(note: Note) -> None:
    redacted, _ = redact_text(note.text, language=note.language)
    pos = 0
    for fact in sorted(note.facts, key=lambda f: f.start):
        if fact.kind not in CLINICAL_KINDS:
            continue
        found = redacted.find(fact.text, pos)
        assert found >= 0, (fact, redacted)
        pos = found + len(fact.text)
    for fact in note.facts_of("id"):
        assert fact.text not in redacted


@settings(max_examples=50)
@given(notes("sv", header=True), st.data())
def test_redacted_case_facts_follow_their_words(note: Note, data: st.DataObject) -> None:
    critical = [f for f in note.facts if f.kind in ("negation", "hedge")]
    received = note.text
    if critical:
        gone = data.draw(st.sampled_from(critical))
        received = note.text[:gone.start] + note.text[gone.end:]
    case = Case(carries="text", sent={"text": note.text, "language": "sv", "note": note.to_dict()},
                received={"text": received}, verdict=compare(note, received).to_dict(), language="sv")
    redacted, mapping = redact_case(case)
    assert mapping.findings_kept, (mapping.kinds_before, mapping.kinds_after)
    new_note = redacted.sent_note()
    kept = [(f.kind, f.text) for f in note.facts if f.kind in CLINICAL_KINDS]
    assert [(f.kind, f.text) for f in new_note.facts if f.kind in CLINICAL_KINDS] == kept
    assert all(new_note.text[f.start:f.end] == f.text for f in new_note.facts)
    for fact in note.facts_of("id"):
        assert fact.text not in case_json(redacted)


@settings(max_examples=100)
@given(notes("sv", header=True) | notes("en", header=True) | notes("sv", header=True, hostile=True),
       st.sampled_from(sorted(MUTANTS)), st.integers(0, 9))
def test_every_kind_of_loss_survives_redaction(note: Note, mutant: str, seed: int) -> None:
    """Whatever a lossy (or benign) system did to a note, the redacted case shows the same kinds of finding and
    holds neither the personnummer nor the names of the original."""
    received = MUTANTS[mutant](note.text, note.language, random.Random(seed))
    assume(received is not None)
    assert received is not None
    case = Case(carries="text", sent={"text": note.text, "language": note.language, "note": note.to_dict()},
                received={"text": received}, verdict=compare(note, received).to_dict(), language=note.language)
    redacted, mapping = redact_case(case, seed=seed)
    assert mapping.findings_kept, (mutant, mapping.kinds_before, mapping.kinds_after)
    body = case_json(redacted)
    for fact in note.facts_of("id"):
        assert fact.text not in body
    header = re.match(r"(?:Pat|Patient): (\S+) (\S+),", note.text)
    if header is not None:
        for name in header.groups():
            for part in name.split("-"):
                if not load_lexicon("sv").lookup(part):  # "Inga" of "Inga-Lill" is a negation cue and stays
                    assert not word_in(part, body) or part.casefold() in mapping._used.get("name", set())


@settings(max_examples=30)
@given(fhir_documents("sv", notes=lambda lang: notes(lang, header=True, max_size=600)), st.data())
def test_fhir_documents_redact_to_valid_resources(doc: FhirDocument, data: st.DataObject) -> None:
    from journal_fuzz.fhir import compare_resources
    from journal_fuzz.fhir.build import validate
    from journal_fuzz.fhir.extract import extract_texts

    received = copy.deepcopy(doc.resource)
    received["id"] = "server-assigned"
    case = Case(carries="fhir", sent={"resource": doc.resource, "wire": doc.wire, "version": doc.version,
                                      "kind": doc.kind, "notes": [n.to_dict() for n in doc.notes]},
                received={"resource": received},
                verdict=compare_resources(doc.resource, received, "sv").to_dict(), language="sv")
    redacted, mapping = redact_case(case, seed=data.draw(st.integers(0, 99)))
    validate(redacted.sent["resource"], doc.version)  # still valid FHIR, hashes included
    assert mapping.findings_kept and redacted.kinds == case.kinds == []
    readable = "\n".join([case_json(redacted), *(tf.text for tf in extract_texts(redacted.sent["resource"]))])
    for note in doc.notes:
        for fact in note.facts_of("id"):
            assert fact.text not in readable
    assert not word_in("Tolvansson", readable) or "tolvansson" in mapping._used.get("name", set())
    assert mapping.unredacted == []
