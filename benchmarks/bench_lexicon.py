"""Terminology size, coverage on held-out condition names, and cold load time of the packaged lexicons.

    python benchmarks/bench_lexicon.py            # all three, for sv and en
    python benchmarks/bench_lexicon.py --runs 7   # more fresh processes for the load time (median)

Coverage is measured on lists the lexicon was NOT built from (``tests/data/heldout_conditions_*.txt``: the issue's
examples and patient-facing A-Z condition names, written before the term lists). A name counts as *named* when the
lexicon finds a term or drug anywhere in it (the oracle can then name the concept instead of a nearby word), and as
*whole* when one term spans every token of the name. Each figure is printed for the base file alone
(``sv.toml``/``en.toml``) and for the whole packaged lexicon (base plus ``sv/*.toml``/``en/*.toml``), in the same run.
Load time is ``load_lexicon(language)`` in a fresh interpreter (nothing cached), median of several runs, next to the
base file alone compiled the same way.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tomllib
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from journal_fuzz.lexicon import DRUG, LANGUAGES, TERM, TERM_CATEGORIES, Lexicon, load_lexicon
from journal_fuzz.text import tokenize

HELDOUT = Path(__file__).resolve().parent.parent / "tests" / "data"

_COLD = """
import sys, time
t0 = time.perf_counter()
from journal_fuzz import lexicon as L
t1 = time.perf_counter()
if sys.argv[2] == "base":
    import tomllib
    from importlib import resources
    text = resources.files("journal_fuzz.lexicon").joinpath(sys.argv[1] + ".toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    L._check(data, sys.argv[1] + ".toml")
    L.Lexicon(sys.argv[1], data)
else:
    L.load_lexicon(sys.argv[1])
print(time.perf_counter() - t1)
"""


def base_lexicon(language: str) -> Lexicon:
    """The base file alone, compiled as the loader compiles it (the lexicon before the per-source files)."""
    text = resources.files("journal_fuzz.lexicon").joinpath(f"{language}.toml").read_text(encoding="utf-8")
    return Lexicon(language, tomllib.loads(text))


def counts(data: dict[str, Any]) -> Counter[str]:
    c: Counter[str] = Counter({cat: len(data.get("terms", {}).get(cat, {})) for cat in TERM_CATEGORIES})
    c["substance"] = len(data.get("drugs", {}).get("substances", {}))
    c["product"] = len(data.get("drugs", {}).get("products", {}))
    return c


def heldout(language: str) -> list[str]:
    path = HELDOUT / f"heldout_conditions_{language}.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def coverage(lex: Lexicon, names: list[str]) -> tuple[int, int, list[str]]:
    named = whole = 0
    missed = []
    for name in names:
        keys = tokenize(name).keys
        found = [m for m in lex.match(keys) if m.entry.role in (TERM, DRUG)]
        if found:
            named += 1
        else:
            missed.append(name)
        if any(m.start == 0 and m.end == len(keys) and m.entry.role == TERM for m in found):
            whole += 1
    return named, whole, missed


def cold_load(language: str, which: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _COLD, language, which], capture_output=True, text=True,
                             check=True)
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per load-time figure (median)")
    parser.add_argument("--missed", action="store_true", help="list the held-out names no term was found in")
    args = parser.parse_args()
    cats = [*TERM_CATEGORIES, "substance", "product"]
    print("Concepts per category (base file / whole packaged lexicon)")
    print(f"{'':4}" + "".join(f"{c:>16}" for c in [*cats, "terms total"]))
    for language in LANGUAGES:
        base, full = counts(base_lexicon(language).data), counts(load_lexicon(language).data)
        row = [f"{base[c]}/{full[c]}" for c in cats]
        row.append(f"{sum(base[c] for c in TERM_CATEGORIES)}/{sum(full[c] for c in TERM_CATEGORIES)}")
        print(f"{language:4}" + "".join(f"{r:>16}" for r in row))
    print("\nHeld-out condition names (tests/data/heldout_conditions_*.txt): base file -> whole lexicon")
    for language in LANGUAGES:
        names = heldout(language)
        n0, w0, _ = coverage(base_lexicon(language), names)
        n1, w1, missed = coverage(load_lexicon(language), names)
        total = len(names)
        print(f"{language}: {total} names; a term found in the name {n0}/{total} ({n0 / total:.0%}) -> "
              f"{n1}/{total} ({n1 / total:.0%}); the whole name one term {w0}/{total} ({w0 / total:.0%}) -> "
              f"{w1}/{total} ({w1 / total:.0%})")
        if args.missed:
            print("   no term found in: " + ", ".join(missed))
    print(f"\nCold load_lexicon() in a fresh interpreter, median of {args.runs} runs")
    for language in LANGUAGES:
        t_base = cold_load(language, "base", args.runs)
        t_full = cold_load(language, "full", args.runs)
        print(f"{language}: base file alone {t_base:.3f}s, whole packaged lexicon {t_full:.3f}s "
              f"({t_full / t_base:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
