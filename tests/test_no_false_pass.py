"""The suite must fail when the oracle is broken: run the oracle's tests against sabotaged oracles."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent

SABOTAGE = '''
import journal_fuzz, journal_fuzz.oracle as oracle, journal_fuzz.negation as negation
from journal_fuzz.lexicon import load_lexicon, Lexicon
import pytest

_MADE = {{}}


def _once(make, language, extra):
    """A sabotaged lexicon is built once per language and site files, as the real loader caches its own."""
    key = (make.__name__, language, tuple(extra))
    if key not in _MADE:
        _MADE[key] = make(language, extra)
    return _MADE[key]

@pytest.fixture(autouse=True)
def _sabotage(monkeypatch):
    kind = {sabotage!r}
    if kind == "always-ok":
        monkeypatch.setattr(journal_fuzz, "compare", lambda s, r, language="auto", **kw: oracle.Verdict([], "sv"))
    elif kind == "no-negation-cues":
        real = load_lexicon
        def gutted(language, extra=()):
            lex = real(language, extra)
            data = dict(lex.data)
            data["negation"] = {{"pre": [], "post": [], "pseudo": [], "termination": []}}
            data.pop("rules", None)
            return Lexicon(language, data)
        monkeypatch.setattr(oracle, "load_lexicon", lambda language, extra=(): _once(gutted, language, extra))
    elif kind == "no-concepts":
        monkeypatch.setattr(oracle._Comparison, "_attach_concepts", lambda self, hunks: [])
    elif kind == "no-content-fallback":
        monkeypatch.setattr(negation.Analysis, "is_content", lambda self, i: False)
    elif kind == "two-segmentations":
        monkeypatch.setattr(negation.Analysis, "share", lambda self, partner: None)
    elif kind == "no-scope-rules":
        real_rules = load_lexicon
        def plain(language, extra=()):
            lex = real_rules(language, extra)
            data = dict(lex.data)
            data.pop("rules", None)
            return Lexicon(language, data)
        monkeypatch.setattr(oracle, "load_lexicon", lambda language, extra=(): _once(plain, language, extra))
'''


@pytest.mark.parametrize(("sabotage", "suite"), [
    ("always-ok", "test_oracle_kinds.py"), ("no-negation-cues", "test_oracle_kinds.py"),
    ("no-concepts", "test_oracle_kinds.py"), ("no-content-fallback", "test_oracle_real_text.py"),
    ("two-segmentations", "test_oracle_real_text.py"), ("no-scope-rules", "test_oracle_real_text.py"),
])
def test_the_oracle_tests_fail_against_a_broken_oracle(pytester: pytest.Pytester, sabotage: str, suite: str) -> None:
    pytester.makeconftest(SABOTAGE.format(sabotage=sabotage))
    # Under its own module name: the suite's copy is already imported in this process.
    pytester.makepyfile(**{f"test_sabotaged_{suite[5:-3]}": (HERE / suite).read_text(encoding="utf-8")})
    pytester.makepyfile(sentences=(HERE / "sentences.py").read_text(encoding="utf-8"))
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) > 0, result.stdout.str()
