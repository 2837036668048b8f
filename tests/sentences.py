"""Sentences built from the packaged lexicons, for property tests of the oracle and the mutants.

Deliberately plain: every sentence carries at least one critical word (a cue, a term, a dose, a side) whose
role the lexicon knows, so a mutant always has something to act on.
"""

from __future__ import annotations

from hypothesis import strategies as st

from journal_fuzz.lexicon import load_lexicon

_SV = load_lexicon("sv")
_EN = load_lexicon("en")


def _single_word_terms(lexicon_language: str, category: str) -> list[str]:
    lex = _SV if lexicon_language == "sv" else _EN
    return sorted(c for c in lex.terms(category) if " " not in c and "-" not in c and c.isalpha() and len(c) > 3
                  and lex.lookup(c) is not None and lex.lookup(c).role == "term")  # type: ignore[union-attr]


TERMS = {lang: {cat: _single_word_terms(lang, cat) for cat in ("finding", "symptom", "diagnosis", "anatomy")}
         for lang in ("sv", "en")}

WORDS = {
    "sv": {
        "pre": ["Ingen", "Inga tecken på", "Förnekar", "Ej", "Inget som talar för", "Patienten har inte",
                "Patienten har ingen", "Har sedan igår inte"],
        "post": ["ses ej", "påvisas ej", "saknas", "föreligger ej", "kan uteslutas"],
        "hedge_pre": ["Misstänkt", "Möjligen", "Eventuellt", "Trolig", "Bild förenlig med"],
        "hedge_post": ["kan ej uteslutas", "kan inte uteslutas"],
        "pseudo": ["Ingen förändring av"],
        "sides": ["höger", "vänster"],
        "pain": "Smärta i",
        "affirmed": ["Patienten har", "Noterar", "Tydlig", "Känd"],
        "drugs": [("Waran", "2,5", "mg", "po", "1x1"), ("Levaxin", "50", "µg", "po", "1x1"),
                  ("Novorapid", "8", "E", "sc", "1x3"), ("Alvedon", "1", "g", "po", "1x4"),
                  ("Behepan", "1", "mg", "po", "1x1")],
        "labs": [("CRP", "<", "5"), ("Hb", "", "132 g/l"), ("Kalium", "", "3,9 mmol/l"), ("Troponin", ">", "52 ng/l"),
                 ("BT", "", "130/80"), ("Temp", "", "37,8 °C"), ("Sat", "≥", "95 %")],
        "calm": ["Mår bra.", "Äter och dricker.", "Återbesök om två veckor."],
    },
    "en": {
        "pre": ["No", "No signs of", "Denies", "Without", "No evidence of", "Patient does not have",
                "Patient has no", "Since yesterday no"],
        "post": ["is not seen", "was ruled out", "not identified", "not present"],
        "hedge_pre": ["Suspected", "Possible", "Probable", "Findings consistent with"],
        "hedge_post": ["cannot be excluded", "cannot be ruled out"],
        "pseudo": ["No change in"],
        "sides": ["right", "left"],
        "pain": "Pain in the",
        "affirmed": ["Patient has", "Noted", "Clear", "Known"],
        "drugs": [("warfarin", "2.5", "mg", "po", "daily"), ("levothyroxine", "50", "µg", "po", "daily"),
                  ("insulin aspart", "8", "units", "sc", "tid"), ("acetaminophen", "1", "g", "po", "qid")],
        "labs": [("CRP", "<", "5"), ("Hb", "", "132 g/L"), ("Potassium", "", "3.9 mmol/L"),
                 ("Troponin", ">", "52 ng/L"), ("BP", "", "130/80"), ("Temp", "", "37.8 °C")],
        "calm": ["Feels well.", "Eating and drinking.", "Follow-up in two weeks."],
    },
}


@st.composite
def sentence(draw: st.DrawFn, language: str) -> str:
    w = WORDS[language]
    terms = TERMS[language]
    term = draw(st.sampled_from(terms["finding"] + terms["symptom"] + terms["diagnosis"]))
    anatomy = draw(st.sampled_from(terms["anatomy"]))
    kind = draw(st.sampled_from(["pre", "post", "hedge_pre", "hedge_post", "side", "drug", "lab", "affirmed",
                                 "pseudo", "calm"]))
    if kind == "pre":
        return f"{draw(st.sampled_from(w['pre']))} {term}."
    if kind == "post":
        return f"{term.capitalize()} {draw(st.sampled_from(w['post']))}."
    if kind == "hedge_pre":
        return f"{draw(st.sampled_from(w['hedge_pre']))} {term}."
    if kind == "hedge_post":
        return f"{term.capitalize()} {draw(st.sampled_from(w['hedge_post']))}."
    if kind == "side":
        return f"{w['pain']} {draw(st.sampled_from(w['sides']))} {anatomy}."
    if kind == "drug":
        drug, dose, unit, route, freq = draw(st.sampled_from(w["drugs"]))
        return f"{drug} {dose} {unit} {route} {freq}."
    if kind == "lab":
        name, sign, value = draw(st.sampled_from(w["labs"]))
        return f"{name} {sign}{value}."
    if kind == "pseudo":
        return f"{draw(st.sampled_from(w['pseudo']))} {term}."
    if kind == "calm":
        return str(draw(st.sampled_from(w["calm"])))
    return f"{draw(st.sampled_from(w['affirmed']))} {term}."


@st.composite
def note_text(draw: st.DrawFn, language: str, max_sentences: int = 6) -> str:
    parts = draw(st.lists(sentence(language), min_size=1, max_size=max_sentences))
    out = parts[0]
    for p in parts[1:]:
        out += draw(st.sampled_from([" ", " ", "\n", "\n\n"])) + p
    return out
