"""Lint of the packaged lexicons: one role per surface form, no function word as a term, Swedish genders, one
category per concept. Each check is a function returning its problems, so the planted-collision tests below show
that every check fails when it should."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from journal_fuzz.lexicon import GENDERS, LANGUAGES, Lexicon, load_lexicon
from journal_fuzz.text import tokenize

STOPLIST = tomllib.loads((Path(__file__).parent / "data" / "lexicon_stoplist.toml").read_text(encoding="utf-8"))
# Anatomy on the midline: one of each, so a side written next to it is an error in a note.
MIDLINE = {
    "sv": ("hjärta", "buk", "hjärna", "lever", "mjälte", "trakea", "mediastinum", "septum", "kotpelare", "tymus",
           "hypofys", "struphuvud", "korsben", "bukaorta", "urinblåsa", "livmoder", "prostata", "pankreasgång"),
    "en": ("heart", "abdomen", "brain", "liver", "spleen", "trachea", "mediastinum", "septum", "vertebral column",
           "thymus", "pituitary gland", "larynx", "sacrum", "abdominal aorta", "bladder", "uterus", "prostate"),
}


@cache
def _keys(phrase: str) -> tuple[str, ...]:
    return tuple(tokenize(phrase).keys)


def _forms(concept: str, spec: Any) -> list[str]:
    forms = spec.get("forms", []) if isinstance(spec, dict) else spec
    return [concept, *forms]


def _surfaces(data: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], str, str]]:
    """(token keys, role, what it stands for) for every surface form in a merged lexicon."""
    for section in ("negation", "hedge"):
        for role, cues in data.get(section, {}).items():
            for cue in cues:
                yield _keys(cue), f"{section} {role}", cue
    for side, forms in data.get("sides", {}).items():
        for form in forms:
            yield _keys(form), "side", side
    for table in ("units", "routes"):
        for canonical, forms in data.get(table, {}).items():
            for form in [canonical, *forms]:
                yield _keys(form), table[:-1], canonical
    for form in data.get("frequencies", {}).get("forms", []):
        yield _keys(form), "frequency", form
    for form in data.get("text", {}).get("abbreviations", []):
        yield _keys(form), "abbreviation", form
    drugs = data.get("drugs", {})
    for substance, forms in drugs.get("substances", {}).items():
        for form in [substance, *forms]:
            yield _keys(form), "drug", substance.casefold()
    for product, substance in drugs.get("products", {}).items():
        yield _keys(product), "drug", str(substance).casefold()
    for category, concepts in data.get("terms", {}).items():
        for concept, spec in concepts.items():
            for form in _forms(concept, spec):
                yield _keys(form), "term", f"{category}:{concept.casefold()}"


def role_collisions(lex: Lexicon) -> list[str]:
    """A term surface form that is also a cue, side, unit, route, frequency, abbreviation, drug or another term."""
    seen: dict[tuple[str, ...], set[tuple[str, str]]] = defaultdict(set)
    for keys, role, value in _surfaces(lex.data):
        if keys:
            seen[keys].add((role, value))
    out = []
    for keys, uses in seen.items():
        terms = {v for r, v in uses if r == "term"}
        others = {f"{r} {v!r}" for r, v in uses if r != "term"}
        if terms and (others or len(terms) > 1):
            out.append(f"{lex.language}: {' '.join(keys)!r} is {', '.join(sorted(terms | others))}")
    return sorted(out)


def _term_keys(lex: Lexicon) -> Iterator[tuple[tuple[str, ...], str]]:
    for concept, forms in lex.terms().items():
        for form in forms:
            yield _keys(form), concept


def function_words(lex: Lexicon) -> list[str]:
    """A term form that is a function word of the language."""
    stop = {_keys(w) for w in STOPLIST["function"][lex.language]}
    return sorted(f"{lex.language}: {concept!r} has the form {' '.join(k)!r}" for k, concept in _term_keys(lex)
                  if k in stop)


def side_inside_terms(lex: Lexicon) -> list[str]:
    """A multi-word term with a side word among its tokens: the side would hide inside the term, so a lost or
    swapped side could never be reported as a side ("left atrial enlargement" is the side left + the term)."""
    sides = {k[0] for forms in lex.data.get("sides", {}).values() for f in forms if len(k := _keys(f)) == 1}
    return sorted(f"{lex.language}: {concept!r} has the form {' '.join(k)!r}" for k, concept in _term_keys(lex)
                  if len(k) > 1 and sides & set(k))


def _packaged_files(language: str) -> list[tuple[str, dict[str, Any]]]:
    root = resources.files("journal_fuzz.lexicon")
    files = [(f"{language}.toml", root.joinpath(f"{language}.toml"))]
    folder = root.joinpath(language)
    if folder.is_dir():
        files += sorted((f"{language}/{f.name}", f) for f in folder.iterdir() if f.name.endswith(".toml"))
    return [(name, tomllib.loads(f.read_text(encoding="utf-8"))) for name, f in files]


def homographs(language: str, files: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A term in a folder file whose form is a word that in ordinary prose mostly means something else."""
    words = {_keys(w) for w in STOPLIST["homographs"][language]}
    out = []
    for name, data in files:
        if "/" not in name:
            continue
        for category, concepts in data.get("terms", {}).items():
            for concept, spec in concepts.items():
                out += [f"{name}: [terms.{category}] {concept!r} has the form {form!r}"
                        for form in _forms(concept, spec) if _keys(form) in words]
    return out


def genders(language: str, files: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A Swedish long-form term without a valid gender; a Swedish folder term in the short form (no gender)."""
    if language != "sv":
        return []
    out = []
    for name, data in files:
        for category, concepts in data.get("terms", {}).items():
            for concept, spec in concepts.items():
                where = f"{name}: [terms.{category}] {concept!r}"
                if isinstance(spec, dict) and spec.get("gender") not in GENDERS:
                    out.append(f"{where}: gender {spec.get('gender')!r} is not one of {', '.join(GENDERS)}")
                elif not isinstance(spec, dict) and "/" in name:
                    out.append(f"{where}: written without gender (use {{ forms = [...], gender = ... }})")
    return out


def categories(files: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A concept listed under two categories, or in two files (the later would silently replace the earlier)."""
    where: dict[str, list[str]] = defaultdict(list)
    for name, data in files:
        for category, concepts in data.get("terms", {}).items():
            for concept in concepts:
                where[concept.casefold()].append(f"{name} [terms.{category}]")
    return sorted(f"{concept!r} in {' and '.join(places)}" for concept, places in where.items() if len(places) > 1)


def sidedness(lex: Lexicon) -> list[str]:
    """``sided`` outside anatomy, or on anatomy that sits on the midline."""
    out = []
    for category, concepts in lex.data.get("terms", {}).items():
        for concept, spec in concepts.items():
            if isinstance(spec, dict) and spec.get("sided") and (category != "anatomy"
                                                                  or concept in MIDLINE[lex.language]):
                out.append(f"{lex.language}: [terms.{category}] {concept!r} is sided")
    return out


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_surface_form_in_two_roles(language: str) -> None:
    assert role_collisions(load_lexicon(language)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_term_is_a_function_word(language: str) -> None:
    assert function_words(load_lexicon(language)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_side_word_inside_a_term(language: str) -> None:
    assert side_inside_terms(load_lexicon(language)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_folder_terms_are_not_common_homographs(language: str) -> None:
    assert homographs(language, _packaged_files(language)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_swedish_terms_carry_a_valid_gender(language: str) -> None:
    assert genders(language, _packaged_files(language)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_concept_in_one_category_and_one_file(language: str) -> None:
    assert categories(_packaged_files(language)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_paired_anatomy_is_sided(language: str) -> None:
    lex = load_lexicon(language)
    assert sidedness(lex) == []
    assert [c for c in MIDLINE[language] if lex.term(c) is None] == [], "the midline list names real concepts"


# -- the checks fail when they should ------------------------------------------------------------------------------

_PLANTED = """
[terms.finding]
"inget fynd" = { forms = ["inget fynd", "ingen"], gender = "neu" }
"saknas-fynd" = { forms = ["saknas"], gender = "utr" }
"höger-fynd" = { forms = ["höger"], gender = "utr" }
"milligramfynd" = { forms = ["mg"], gender = "utr" }
"pneumoni" = { forms = ["pneumoni"], gender = "utr" }
"warfarinfynd" = { forms = ["Waran"], gender = "utr" }
[terms.symptom]
"fynd utan genus" = { forms = ["fynd utan genus"] }
[terms.anatomy]
"hjärta" = { forms = ["hjärta"], gender = "neu", sided = true }
"levern" = { forms = ["lever"], gender = "utr" }
"vänster förmaksförstoring" = { forms = ["vänster förmaksförstoring"], gender = "utr" }
"""


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Lexicon, list[tuple[str, dict[str, Any]]]]:
    site = tmp_path / "planted.toml"
    site.write_text(_PLANTED, encoding="utf-8")
    files = [*_packaged_files("sv"), ("sv/planted.toml", tomllib.loads(_PLANTED))]
    return load_lexicon("sv", extra=[site]), files


def test_planted_collisions_are_caught(planted: tuple[Lexicon, list[tuple[str, dict[str, Any]]]]) -> None:
    lex, files = planted
    found = "\n".join(role_collisions(lex))
    for clash in ("'saknas' is", "'höger' is", "'mg' is", "'waran' is", "'lever' is"):
        assert clash in found, clash
    assert any("'ingen'" in p for p in function_words(lex))
    assert any("'lever'" in p for p in homographs("sv", files))
    assert any("fynd utan genus" in p for p in genders("sv", files))
    two = "\n".join(categories(files))
    assert "'pneumoni' in sv.toml [terms.diagnosis] and sv/planted.toml [terms.finding]" in two
    assert "'hjärta'" in two
    assert any("'hjärta' is sided" in p for p in sidedness(lex))
    assert any("vänster förmaksförstoring" in p for p in side_inside_terms(lex))
