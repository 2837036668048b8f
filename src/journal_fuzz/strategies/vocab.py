"""Word lists for the generators, drawn from the packaged lexicons plus the few grammatical frames they need.

Terms, drugs, units, routes, frequencies and cues come from ``lexicon/*.toml`` so a site lexicon widens what the
generators write; the frames ("{cue} {term}.", "{term} {post}.") and realistic dose tables are hand-written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from journal_fuzz.lexicon import load_lexicon

__all__ = ["Vocabulary", "vocabulary"]

# (substance as named in the lexicon, dose values, unit spelling) — realistic orders, not advice.
_DOSES = {
    "sv": [
        ("warfarin", ("2,5", "5", "7,5", "1,25"), ("mg",)),
        ("levotyroxin", ("25", "50", "75", "100", "12,5"), ("µg", "mikrog", "μg")),
        ("paracetamol", ("1", "0,5"), ("g",)),
        ("paracetamol", ("500", "665"), ("mg",)),
        ("insulin aspart", ("4", "6", "8", "12"), ("E", "IE", "enheter")),
        ("cyanokobalamin", ("1",), ("mg",)),
        ("cyanokobalamin", ("1000",), ("µg", "mikrog")),
        ("metoprolol", ("25", "50", "100", "12,5"), ("mg",)),
        ("furosemid", ("20", "40", "80"), ("mg",)),
        ("morfin", ("2,5", "5", "10"), ("mg",)),
        ("fentanyl", ("12", "25", "50"), ("µg/h", "mikrog/h")),
        ("enoxaparin", ("40", "20"), ("mg",)),
        ("dalteparin", ("5000", "2500"), ("IE",)),
        ("amoxicillin", ("500", "750"), ("mg",)),
    ],
    "en": [
        ("warfarin", ("2.5", "5", "7.5", "1.25"), ("mg",)),
        ("levothyroxine", ("25", "50", "75", "100", "12.5"), ("µg", "mcg", "μg")),
        ("acetaminophen", ("1", "0.5"), ("g",)),
        ("acetaminophen", ("500", "650"), ("mg",)),
        ("insulin aspart", ("4", "6", "8", "12"), ("units", "IU")),
        ("metoprolol", ("25", "50", "100", "12.5"), ("mg",)),
        ("furosemide", ("20", "40", "80"), ("mg",)),
        ("morphine", ("2.5", "5", "10"), ("mg",)),
        ("enoxaparin", ("40", "30"), ("mg",)),
        ("digoxin", ("0.125", "0.25"), ("mg",)),
    ],
}

# (lab name, value choices, unit or "") and whether a comparison sign is natural for it.
_LABS = {
    "sv": [
        ("CRP", ("5", "12", "48", "130"), "mg/l", True), ("Hb", ("98", "132", "145"), "g/l", False),
        ("Kalium", ("3,2", "3,9", "4,6"), "mmol/l", False), ("Natrium", ("131", "139", "146"), "mmol/l", False),
        ("Kreatinin", ("64", "85", "142"), "µmol/l", False), ("Troponin T", ("5", "14", "52"), "ng/l", True),
        ("Glukos", ("4,8", "7,9", "15,2"), "mmol/l", False), ("HbA1c", ("38", "52", "71"), "mmol/mol", False),
        ("LPK", ("4,1", "7,2", "15,8"), "", False), ("TPK", ("150", "238", "412"), "", False),
        ("D-dimer", ("0,2", "0,5", "1,8"), "mg/l", True), ("PK(INR)", ("1,0", "2,4", "3,1"), "", True),
    ],
    "en": [
        ("CRP", ("5", "12", "48", "130"), "mg/L", True), ("Hb", ("98", "132", "145"), "g/L", False),
        ("Potassium", ("3.2", "3.9", "4.6"), "mmol/L", False), ("Sodium", ("131", "139", "146"), "mmol/L", False),
        ("Creatinine", ("64", "85", "142"), "µmol/L", False), ("Troponin T", ("5", "14", "52"), "ng/L", True),
        ("Glucose", ("4.8", "7.9", "15.2"), "mmol/L", False), ("HbA1c", ("38", "52", "71"), "mmol/mol", False),
        ("WBC", ("4.1", "7.2", "15.8"), "10^9/L", False), ("INR", ("1.0", "2.4", "3.1"), "", True),
        ("D-dimer", ("0.2", "0.5", "1.8"), "mg/L", True),
    ],
}

# Grammatical frames that carry a cue: the lexicon says which words are cues, these say how a note uses them.
_PRE = {
    "sv": ("Ingen", "Inga", "Inget", "Inga tecken på", "Förnekar", "Nekar till", "Ej", "Inte", "Utan",
           "Ingen misstanke om", "Inga hållpunkter för", "Avsaknad av", "Inget som talar för", "Negativ för",
           "Ingen känd", "Inga fynd av", "Ej tecken på", "Frånvaro av"),
    "en": ("No", "No signs of", "Denies", "Without", "No evidence of", "Negative for", "Absence of", "Free of",
           "No history of", "Never", "Not"),
}
_PRE_MID = {"sv": ("Patienten har inte", "Har ej", "Pat har ingen", "Har sedan igår inte"),
            "en": ("The patient does not have", "Patient has no", "Since yesterday no")}
# (verb that leads to the post-negation, the cue itself)
_POST = {
    "sv": (("", "saknas"), ("", "ses ej"), ("", "påvisas ej"), ("", "föreligger ej"), ("", "kan uteslutas"),
           ("", "ses inte"), ("", "påvisas inte"), ("", "noteras ej"), ("", "finns ej"), ("", "kunde ej påvisas"),
           ("", "uteslutes")),
    "en": (("is", "not seen"), ("was", "ruled out"), ("", "not identified"), ("", "not present"),
           ("is", "ruled out"), ("", "not detected"), ("", "not demonstrated"), ("", "not found")),
}
_HEDGE_PRE = {
    "sv": ("Misstänkt", "Möjligen", "Eventuellt", "Trolig", "Troligen", "Sannolikt", "Oklar", "Tveksam",
           "Talar för", "Förenligt med", "Misstanke om", "Kan inte utesluta"),
    "en": ("Suspected", "Possible", "Probable", "Likely", "Consistent with", "Suggestive of", "Questionable",
           "Concern for", "Cannot rule out"),
}
_HEDGE_POST = {
    "sv": ("kan ej uteslutas", "kan inte uteslutas", "ej uteslutet", "misstänks", "ifrågasatt",
           "kan inte helt uteslutas"),
    "en": ("cannot be excluded", "cannot be ruled out", "is suspected", "is possible", "not ruled out"),
}
# (pseudo-negation cue, the word that leads on to the finding)
_PSEUDO = {
    "sv": (("Ingen förändring", "av"), ("Ingen ökning", "av"), ("Ingen skillnad", "i"),
           ("Ingen väsentlig förändring", "av")),
    "en": (("No change", "in"), ("No significant change", "in"), ("No interval change", "in"),
           ("No increase", "in")),
}
_TERMINATION = {"sv": ("men", "dock", "däremot", "förutom"), "en": ("but", "however", "except", "although")}
_SIDES: dict[str, dict[str, tuple[str, ...]]] = {
    "sv": {"right": ("höger", "hö", "dx"), "left": ("vänster", "vä", "sin")},
    "en": {"right": ("right", "rt"), "left": ("left", "lt")},
}
_BILATERAL = {"sv": ("bilateralt", "bilateral"), "en": ("bilateral",)}
_PAIN = {"sv": ("Smärta i", "Svullnad i", "Ömhet över", "Fraktur i"), "en": ("Pain in the", "Swelling of the",
                                                                       "Tenderness over the", "Fracture of the")}
_AFFIRMED = {"sv": ("Patienten har", "Noterar", "Tydlig", "Känd", "Konstaterad", "Kvarstående"),
             "en": ("Patient has", "Noted", "Clear", "Known", "Confirmed", "Persistent")}
_CALM = {
    "sv": ("Mår bra.", "Äter och dricker.", "Återbesök om två veckor.", "Gott allmäntillstånd.",
           "Informerad om planeringen.", "Sover gott.", "Hemgång i dag."),
    "en": ("Feels well.", "Eating and drinking.", "Follow-up in two weeks.", "Good general condition.",
           "Informed about the plan.", "Sleeps well.", "Discharged today."),
}
_SECTIONS = {"sv": ("Anamnes", "Status", "Lab", "Bedömning", "Åtgärd"),
             "en": ("History", "Examination", "Laboratory", "Assessment", "Plan")}
_SINCE = {"sv": "sedan {n} dagar", "en": "for {n} days"}


@dataclass(frozen=True)
class Vocabulary:
    language: str
    findings: tuple[str, ...]
    anatomy: tuple[str, ...]
    long_compounds: tuple[str, ...]
    doses: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]
    """(substance, names to write it as, dose values, unit spellings)."""
    labs: tuple[tuple[str, tuple[str, ...], str, bool], ...]
    routes: tuple[str, ...]
    frequencies: tuple[str, ...]
    pre: tuple[str, ...]
    pre_mid: tuple[str, ...]
    post: tuple[tuple[str, str], ...]
    hedge_pre: tuple[str, ...]
    hedge_post: tuple[str, ...]
    pseudo: tuple[tuple[str, str], ...]
    termination: tuple[str, ...]
    sides: dict[str, tuple[str, ...]]
    bilateral: tuple[str, ...]
    pain: tuple[str, ...]
    affirmed: tuple[str, ...]
    calm: tuple[str, ...]
    sections: tuple[str, ...]
    since: str


def _single_role(language: str, phrase: str, role: str) -> bool:
    entry = load_lexicon(language).lookup(phrase)
    return entry is not None and entry.role == role


@lru_cache(maxsize=4)
def vocabulary(language: str) -> Vocabulary:
    """The generators' word lists for ``language`` (cached; built from the lexicon once)."""
    lex = load_lexicon(language)

    def terms(*categories: str) -> tuple[str, ...]:
        out = []
        for category in categories:
            for concept in lex.terms(category):
                if _single_role(language, concept, "term") and concept.replace(" ", "").replace("-", "").isalpha():
                    out.append(concept)
        return tuple(sorted(set(out)))

    findings = terms("finding", "symptom", "diagnosis")
    anatomy = terms("anatomy")
    # Swedish writes long compounds as one word; English has long multi-word terms instead.
    long_compounds = tuple(t for t in findings + terms("procedure") if len(t) > 20 and (" " not in t
                                                                                          or language == "en"))
    products = lex.data.get("drugs", {}).get("products", {})
    doses = []
    for substance, values, units in _DOSES[language]:
        names = [substance, *sorted(p for p, s in products.items() if str(s).casefold() == substance)]
        doses.append((substance, tuple(names), values, units))
    # Doses in the tables are oral, intravenous or subcutaneous; other routes would read as nonsense.
    routes = tuple(r for r in ("po", "iv", "sc") if r in lex.data.get("routes", {}))
    frequencies = tuple(lex.data.get("frequencies", {}).get("forms", ()))
    return Vocabulary(
        language=language, findings=findings, anatomy=anatomy, long_compounds=long_compounds,
        doses=tuple(doses), labs=tuple(_LABS[language]), routes=routes, frequencies=frequencies,
        pre=_PRE[language], pre_mid=_PRE_MID[language], post=_POST[language], hedge_pre=_HEDGE_PRE[language],
        hedge_post=_HEDGE_POST[language], pseudo=_PSEUDO[language], termination=_TERMINATION[language],
        sides=_SIDES[language], bilateral=_BILATERAL[language], pain=_PAIN[language],
        affirmed=_AFFIRMED[language], calm=_CALM[language], sections=_SECTIONS[language], since=_SINCE[language],
    )
