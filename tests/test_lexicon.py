"""The lexicons: sizes, roles, sources, and site lexicons added without editing the package."""

from __future__ import annotations

from pathlib import Path

import pytest

import journal_fuzz as jf
from journal_fuzz.lexicon import (
    DRUG,
    HEDGE_POST,
    NEG_POST,
    NEG_PRE,
    PSEUDO,
    SIDE,
    TERM,
    UNIT,
    LexiconError,
    load_lexicon,
)


@pytest.mark.parametrize(("language", "terms"), [("sv", 300), ("en", 200)])
def test_sizes(language: str, terms: int) -> None:
    lex = load_lexicon(language)
    assert len(lex.terms()) >= terms
    drugs = lex.data["drugs"]
    assert len(drugs["substances"]) + len(drugs["products"]) >= 100
    for unit in ("mg", "µg", "g", "ml", "mmol/l", "µmol/l", "ng/l", "%", "°C"):
        assert lex.lookup(unit) is not None and lex.lookup(unit).role == UNIT, unit  # type: ignore[union-attr]
    assert lex.data["meta"]["sources"], "each lexicon says where its lists come from"


@pytest.mark.parametrize(("language", "phrase", "role"), [
    ("sv", "inte", NEG_PRE), ("sv", "inga tecken på", NEG_PRE), ("sv", "ingen misstanke om", NEG_PRE),
    ("sv", "ses ej", NEG_POST), ("sv", "saknas", NEG_POST), ("sv", "kan ej uteslutas", HEDGE_POST),
    ("sv", "ingen förändring", PSEUDO), ("sv", "höger", SIDE), ("sv", "dx", SIDE), ("sv", "feber", TERM),
    ("sv", "frakturen", TERM), ("sv", "Waran", DRUG), ("sv", "mikrog", UNIT), ("sv", "IE", UNIT),
    ("en", "denies", NEG_PRE), ("en", "no evidence of", NEG_PRE), ("en", "no change", PSEUDO),
    ("en", "cannot be excluded", HEDGE_POST), ("en", "left", SIDE), ("en", "fracture", TERM),
])
def test_roles(language: str, phrase: str, role: str) -> None:
    entry = load_lexicon(language).lookup(phrase)
    assert entry is not None and entry.role == role


def test_inflected_forms_share_a_concept() -> None:
    lex = load_lexicon("sv")
    assert {lex.lookup(f).value for f in ("fraktur", "frakturen", "frakturer")} == {"fraktur"}  # type: ignore[union-attr]


def test_site_lexicon_by_argument_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[meta]\nlanguage = "sv"\n[terms.finding]\n"zylofrakt" = ["zylofrakt", "zylofrakten"]\n'
                    '[negation]\npost = ["icke påvisbar"]\n', encoding="utf-8")
    assert load_lexicon("sv").lookup("zylofrakten") is None
    assert load_lexicon("sv", [site]).lookup("zylofrakten") is not None
    monkeypatch.setenv("JOURNAL_FUZZ_LEXICON", str(site))
    lex = load_lexicon("sv")
    assert lex.lookup("icke påvisbar").role == NEG_POST  # type: ignore[union-attr]
    assert str(site) in lex.sources
    verdict = jf.compare("Zylofrakt icke påvisbar.", "Zylofrakt påvisbar.", "sv", lexicon=lex)
    assert verdict.findings[0].concept == "zylofrakt"


def test_site_lexicon_for_another_language_is_ignored(tmp_path: Path) -> None:
    site = tmp_path / "en-site.toml"
    site.write_text('[meta]\nlanguage = "en"\n[terms.finding]\n"zylofrakt" = ["zylofrakt"]\n', encoding="utf-8")
    assert load_lexicon("sv", [site]).lookup("zylofrakt") is None


def test_bad_site_lexicon_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[terms\n", encoding="utf-8")
    with pytest.raises(jf.LexiconError, match="not valid TOML"):
        load_lexicon("sv", [bad])
    with pytest.raises(jf.LexiconError, match="not found"):
        load_lexicon("sv", [tmp_path / "missing.toml"])
    with pytest.raises(jf.LexiconError, match="unknown language"):
        load_lexicon("fr")


@pytest.mark.parametrize(("body", "named"), [
    ('[negaton]\npre = ["aldrig någonsin"]\n', "[negaton]"),
    ('[negation]\nprre = ["aldrig någonsin"]\n', "[negation] prre"),
    ('[negation]\npre = "aldrig"\n', "[negation] pre"),
    ('[terms.fynd]\n"knöl" = ["knöl"]\n', "[terms.fynd]"),
    ('[terms.finding]\n"knöl" = {forms = ["knöl"], genus = "utr"}\n', "'knöl' genus"),
    ('[terms.finding]\n"knöl" = {forms = ["knöl"], gender = "masc"}\n', "'knöl' gender"),
    ('[drugs.products]\n"Kalcipos" = ["kalcium"]\n', "[drugs.products] 'Kalcipos'"),
    ('[units]\n"mg" = "milligram"\n', "[units] 'mg'"),
])
def test_a_site_lexicon_out_of_schema_is_one_clear_error(tmp_path: Path, body: str, named: str) -> None:
    site = tmp_path / "site.toml"
    site.write_text(body, encoding="utf-8")
    with pytest.raises(LexiconError) as err:
        load_lexicon("sv", extra=[site])
    message = str(err.value)
    assert str(site) in message and named in message and "\n" not in message


def test_a_term_can_carry_gender_and_sidedness(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[terms.anatomy]\n"armbåge" = {forms = ["armbåge", "armbågen"], gender = "utr", sided = true}\n',
                    encoding="utf-8")
    lex = load_lexicon("sv", extra=[site])
    info = lex.term("armbåge")
    assert info is not None and info.gender == "utr" and info.sided and "armbågen" in info.forms
    assert lex.lookup("armbågen") is not None
