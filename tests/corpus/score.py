"""Score the oracle on the hand-written corpus (``tests/corpus/sv.toml``, ``en.toml``).

    python tests/corpus/score.py              # the figures, per language and in total
    python tests/corpus/score.py --misses     # and every pair that missed, with the verdict
    python tests/corpus/score.py --holdout    # the held-out pairs, written after the oracle work

For every corrupt pair: was it detected (the verdict is not ok), is the headline finding (the first finding of the
highest severity) of the expected kind, and does it name the expected concept. For every benign pair: did it pass.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import journal_fuzz as jf
from journal_fuzz.kinds import severity_rank

HERE = Path(__file__).parent
LANGUAGES = ("sv", "en")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")


@dataclass(frozen=True)
class Pair:
    language: str
    number: int
    sent: str
    received: str
    benign: bool
    kinds: tuple[str, ...]
    also: tuple[str, ...]
    concepts: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.language}-{self.number:03d}"


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def load(language: str, prefix: str = "") -> list[Pair]:
    """The pairs of one language, checked for shape (a typo in the corpus must not pass silently)."""
    data = tomllib.loads((HERE / f"{prefix}{language}.toml").read_text(encoding="utf-8"))
    known = {"sent", "received", "benign", "kind", "also", "concept", "cut", "escapes"}
    out = []
    for n, raw in enumerate(data["pair"], 1):
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"{language} pair {n}: unknown keys {sorted(unknown)}")
        sent = raw["sent"]
        received = sent[:raw["cut"]] if "cut" in raw else raw["received"]
        if raw.get("escapes"):
            received = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), received)
        benign = bool(raw.get("benign", False))
        kinds = _strings(raw.get("kind"))
        if benign == bool(kinds):
            raise ValueError(f"{language} pair {n}: give either benign = true or the expected kind")
        for k in (*kinds, *_strings(raw.get("also"))):
            if k not in jf.KINDS:
                raise ValueError(f"{language} pair {n}: unknown kind {k!r}")
        out.append(Pair(language, n, sent, received, benign, kinds, _strings(raw.get("also")),
                        _strings(raw.get("concept"))))
    return out


def _accepted(pair: Pair) -> set[str]:
    """The expected concepts, and the lemma the lexicon gives each ("vomited" is named "vomiting", "malignancy"
    "cancer"): naming a concept by its lemma names it."""
    lexicon = jf.load_lexicon(pair.language)
    out = {c.casefold() for c in pair.concepts}
    for c in pair.concepts:
        entry = lexicon.lookup(c)
        if entry is not None and entry.role in ("term", "drug"):
            out.add(entry.value.casefold())
    return out


def headline(verdict: jf.Verdict) -> jf.Finding | None:
    """The finding a reader sees first: the earliest of the most severe ones."""
    if not verdict.findings:
        return None
    worst = min(severity_rank(f.severity) for f in verdict.findings)
    return next(f for f in verdict.findings if severity_rank(f.severity) == worst)


@dataclass
class Outcome:
    pair: Pair
    verdict: jf.Verdict
    detected: bool
    kind_right: bool | None
    concept_right: bool | None

    @property
    def missed(self) -> bool:
        return not self.detected or self.kind_right is False or self.concept_right is False


def judge(pair: Pair) -> Outcome:
    verdict = jf.compare(pair.sent, pair.received, pair.language)
    if pair.benign:
        return Outcome(pair, verdict, verdict.ok, None, None)
    head = headline(verdict)
    kind_right = head is not None and not verdict.ok and head.kind in pair.kinds \
        and all(k in verdict.kinds for k in pair.also)
    concept_right: bool | None = None
    if pair.concepts:
        named = (head.concept or "").casefold() if head is not None else ""
        concept_right = named in _accepted(pair)
    return Outcome(pair, verdict, not verdict.ok, kind_right, concept_right)


@dataclass
class Figures:
    corrupt: int = 0
    detected: int = 0
    benign: int = 0
    passed: int = 0
    kind_right: int = 0
    with_concept: int = 0
    concept_right: int = 0
    misses: list[Outcome] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        if o.pair.benign:
            self.benign += 1
            self.passed += o.detected
        else:
            self.corrupt += 1
            self.detected += o.detected
            self.kind_right += bool(o.kind_right)
            if o.concept_right is not None:
                self.with_concept += 1
                self.concept_right += o.concept_right
        if o.missed:
            self.misses.append(o)

    @property
    def kind_share(self) -> float:
        return self.kind_right / self.corrupt if self.corrupt else 1.0

    @property
    def concept_share(self) -> float:
        return self.concept_right / self.with_concept if self.with_concept else 1.0


def score(languages: tuple[str, ...] = LANGUAGES, prefix: str = "") -> dict[str, Figures]:
    """Figures per language and under ``"all"`` (``prefix="holdout-"`` for the held-out pairs)."""
    out = {lang: Figures() for lang in (*languages, "all")}
    for lang in languages:
        for pair in load(lang, prefix):
            o = judge(pair)
            out[lang].add(o)
            out["all"].add(o)
    return out


def _row(label: str, f: Figures) -> str:
    return (f"{label:<5}{f.corrupt + f.benign:>6}{f'{f.detected}/{f.corrupt}':>11}{f'{f.passed}/{f.benign}':>10}"
            f"{f'{f.kind_right}/{f.corrupt}':>11}{f.kind_share:>7.1%}"
            f"{f'{f.concept_right}/{f.with_concept}':>11}{f.concept_share:>7.1%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="list every pair that missed")
    parser.add_argument("--holdout", action="store_true", help="score the held-out pairs (holdout-*.toml) instead")
    args = parser.parse_args(argv)
    figures = score(prefix="holdout-" if args.holdout else "")
    which = "held-out pairs" if args.holdout else "corpus"
    print(f"journal_fuzz {jf.__version__}: the oracle on the hand-written {which} (tests/corpus)")
    print(f"{'':<5}{'pairs':>6}{'detected':>11}{'passed':>10}{'kind':>11}{'':>7}{'concept':>11}{'':>7}")
    for label, f in figures.items():
        print(_row(label, f))
    sizes = []
    for lang in LANGUAGES:
        lexicon = jf.load_lexicon(lang)
        drugs = lexicon.data.get("drugs", {})
        sizes.append(f"{lang} {len(lexicon.terms())} concepts, "
                     f"{len(drugs.get('substances', {})) + len(drugs.get('products', {}))} drug names")
    print(f"lexicon: {'; '.join(sizes)}")
    if args.misses:
        for o in figures["all"].misses:
            p = o.pair
            want = "benign" if p.benign else f"{'/'.join(p.kinds)} [{'/'.join(p.concepts)}]"
            print(f"\n{p.name}: want {want}\n  sent:     {p.sent!r}\n  received: {p.received!r}")
            for f in o.verdict.findings:
                print(f"  got: {f.kind}, {f.severity} [{f.concept}]: {f.explanation}".encode(
                    "utf-8", "backslashreplace").decode("utf-8"))
            if not o.verdict.findings:
                print("  got: no findings")
    a = figures["all"]
    ok = a.detected == a.corrupt and a.passed == a.benign and a.kind_share >= 0.95 and a.concept_share >= 0.90
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
