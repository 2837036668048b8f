"""The suite must fail when the oracle is broken: run the kind tests against sabotaged oracles."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.parametrize("sabotage", ["always-ok", "no-negation-cues", "no-concepts"])
def test_kind_tests_fail_against_a_broken_oracle(pytester: pytest.Pytester, sabotage: str) -> None:
    pytester.makeconftest(f"""
import journal_fuzz, journal_fuzz.oracle as oracle
from journal_fuzz.lexicon import load_lexicon, Lexicon
import pytest

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
            return Lexicon(language, data)
        monkeypatch.setattr(oracle, "load_lexicon", gutted)
    elif kind == "no-concepts":
        monkeypatch.setattr(oracle._Comparison, "_attach_concepts", lambda self, hunks: [])
""")
    pytester.makepyfile(test_kinds=(HERE / "test_oracle_kinds.py").read_text(encoding="utf-8"))
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) > 0, result.stdout.str()
