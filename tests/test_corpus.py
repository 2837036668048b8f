"""The oracle on the hand-written corpus (tests/corpus): every corrupt pair detected, every benign pair passed, the
expected kind on at least 95% of corrupt pairs and the flipped concept named on at least 90%.

The corpus was written by hand from how notes are written, not generated through the lexicon, so these tests do
not share the oracle's blind spots the way the property tests over lexicon-built sentences do.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

HERE = Path(__file__).parent


def _score_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_score", HERE / "corpus" / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


score = _score_module()


@pytest.fixture(scope="module")
def figures() -> Any:
    return score.score()


def _misses(f: Any, what: str) -> str:
    lines = []
    for o in f.misses:
        got = "; ".join(f"{x.kind}/{x.severity}[{x.concept}]" for x in o.verdict.findings) or "no findings"
        lines.append(f"{o.pair.name} ({what}): {o.pair.sent!r} -> {o.pair.received!r}: got {got}")
    return "\n".join(lines[:40])


def test_the_corpus_is_large_and_covers_both_languages_and_both_outcomes() -> None:
    for language in score.LANGUAGES:
        pairs = score.load(language)
        assert len(pairs) >= 150, language
        assert sum(p.benign for p in pairs) >= 40 and sum(not p.benign for p in pairs) >= 100, language
    assert sum(len(score.load(lang)) for lang in score.LANGUAGES) >= 300


def test_every_corrupt_pair_is_detected(figures: Any) -> None:
    a = figures["all"]
    assert a.detected == a.corrupt, _misses(a, "missed")


def test_every_benign_pair_passes(figures: Any) -> None:
    a = figures["all"]
    assert a.passed == a.benign, _misses(a, "false alarm")


def test_the_expected_kind_is_the_headline(figures: Any) -> None:
    a = figures["all"]
    assert a.kind_share >= 0.95, f"{a.kind_right}/{a.corrupt}\n" + _misses(a, "kind")


def test_the_flipped_concept_is_named(figures: Any) -> None:
    a = figures["all"]
    assert a.concept_share >= 0.90, f"{a.concept_right}/{a.with_concept}\n" + _misses(a, "concept")


def test_a_typo_in_the_corpus_is_an_error_not_a_silent_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sv.toml").write_text('[[pair]]\nsent = "a"\nreceived = "b"\nknid = "word-changed"\n',
                                      encoding="utf-8")
    monkeypatch.setattr(score, "HERE", tmp_path)
    with pytest.raises(ValueError, match="unknown keys"):
        score.load("sv")
