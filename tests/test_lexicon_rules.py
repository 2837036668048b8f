"""Lexicon rules as data: guards for homographs, case-sensitive acronyms, a cue's scope width, terminators and
direction; function and general words; and the lint that no surface form sits in two roles."""

from __future__ import annotations

from pathlib import Path

import pytest

import journal_fuzz as jf
from journal_fuzz.lexicon import LexiconError, load_lexicon
from journal_fuzz.negation import AFFIRMED, NEGATED, Analysis
from journal_fuzz.text import tokenize


@pytest.mark.parametrize("language", ["sv", "en"])
def test_no_surface_form_sits_in_two_roles(language: str) -> None:
    lexicon = load_lexicon(language)
    assert lexicon.collisions() == {}
    assert lexicon.unknown_rules() == []


def _site(tmp_path: Path, body: str) -> Path:
    site = tmp_path / "site.toml"
    site.write_text(body, encoding="utf-8")
    return site


def _status(text: str, lexicon: jf.Lexicon) -> dict[str, str]:
    tok = tokenize(text)
    a = Analysis(tok, lexicon)
    return {k: a.status(i).polarity for i, k in enumerate(tok.keys) if k[:1].isalpha() and not a.is_cue(i)}


@pytest.mark.parametrize(("body", "named"), [
    ('[rules]\n"inet" = { max_scope = 2 }\n', "[rules] 'inet'"),
    ('[rules]\n"inte" = { max_scop = 2 }\n', "[rules] 'inte' max_scop"),
    ('[rules]\n"inte" = { direction = "sideways" }\n', "[rules] 'inte' direction"),
    ('[rules]\n"inte" = { max_scope = -1 }\n', "[rules] 'inte' max_scope"),
    ('[rules]\n"inte" = { not_before = "utan" }\n', "[rules] 'inte' not_before"),
    ('[text]\nfunction_word = ["och"]\n', "[text] function_word"),
    ('[terms.finding]\n"knöl" = { forms = ["knöl"], case_sensitiv = true }\n', "'knöl' case_sensitiv"),
])
def test_a_misspelt_rule_is_one_clear_error(tmp_path: Path, body: str, named: str) -> None:
    site = _site(tmp_path, body)
    with pytest.raises(LexiconError) as err:
        load_lexicon("sv", extra=[site])
    assert named in str(err.value) and str(site) in str(err.value) and "\n" not in str(err.value)


def test_max_scope_from_the_data_limits_how_far_a_cue_reaches(tmp_path: Path) -> None:
    text = "Ingen feber eller hosta."
    assert _status(text, load_lexicon("sv"))["hosta"] == NEGATED
    narrow = load_lexicon("sv", [_site(tmp_path, '[rules]\n"ingen" = { max_scope = 1 }\n')])
    got = _status(text, narrow)
    assert got["feber"] == NEGATED and got["hosta"] == AFFIRMED


def test_terminated_by_from_the_data_ends_a_scope(tmp_path: Path) -> None:
    text = "No fever rather cough."
    assert _status(text, load_lexicon("en"))["cough"] == NEGATED
    lexicon = load_lexicon("en", [_site(tmp_path, '[rules]\n"no" = { terminated_by = ["rather"] }\n')])
    assert _status(text, lexicon)["cough"] == AFFIRMED


def test_direction_both_from_the_data_lets_a_post_cue_govern_forward(tmp_path: Path) -> None:
    text = "Here is not seen any effusion."
    assert _status(text, load_lexicon("en"))["effusion"] == AFFIRMED
    lexicon = load_lexicon("en", [_site(tmp_path, '[rules]\n"not seen" = { direction = "both" }\n')])
    assert _status(text, lexicon)["effusion"] == NEGATED


def test_guards_and_case_from_a_site_lexicon(tmp_path: Path) -> None:
    site = _site(tmp_path, '[terms.diagnosis]\n"ami" = { forms = ["AMI"], case_sensitive = true }\n'
                           '[terms.anatomy]\n"bröst" = { forms = ["bröst"], not_after = ["hand på"] }\n')
    lexicon = load_lexicon("sv", [site])
    tok = tokenize("Ami har AMI. Lägger hand på bröst, smärta i bröst.")
    found = [(tok.keys[m.start], m.start) for m in lexicon.match(tok.keys, cased=tok.cased) if m.entry.role == "term"]
    words = [w for w, _ in found]
    assert words.count("ami") == 1 and tok.keys[found[words.index("ami")][1] - 1] == "har"
    assert words.count("bröst") == 1


def test_a_word_a_site_lists_as_general_is_no_possible_clinical_term(tmp_path: Path) -> None:
    sent, received = "Besök av kurator idag.", "Besök av idag."
    assert jf.compare(sent, received, "sv").findings[0].severity == "critical"
    lexicon = load_lexicon("sv", [_site(tmp_path, '[text]\ngeneral_words = ["kurator"]\n')])
    assert jf.compare(sent, received, "sv", lexicon=lexicon).findings[0].severity == "major"
