"""Does journal_fuzz find word loss that plain fuzzing and a hand-written corpus miss? Every lossy mutant, three
approaches, the same budget of notes, in one run.

    python benchmarks/bench_bugfinding.py            # 200 notes per mutant and approach
    python benchmarks/bench_bugfinding.py --quick    # 40 notes per mutant and approach

For each mutant in :data:`journal_fuzz.mutants.LOSSY`, applied deterministically (its choice seeded from the text,
as ``journal-fuzz selftest`` does, so a shrunk case reproduces; ``None`` leaves the text unchanged):

(a) journal_fuzz: the battery's ten text properties through :func:`journal_fuzz.battery.run`, Swedish then
    English, the budget split evenly (10 notes per property and language at 200), one note at a time, derandomised;
    stops at the first property that loses a word and keeps the note Hypothesis shrank it to.
(b) ``hypothesis.strategies.text()`` with an equality check (``received != sent`` is caught): the same budget,
    half with the mutant in Swedish mode and half in English, derandomised, shrunk by Hypothesis.
(c) a fixed corpus of 20 realistic notes (10 Swedish, 10 English) judged with :func:`journal_fuzz.compare`.

Notes sent while shrinking are not counted against the budget (they come after the first catch, for (a) and (b)
alike); they are reported on their own.

"Derandomised" means reproducible for one checkout, not across commits: Hypothesis mixes short literals found in
local source files (journal_fuzz's own, and this file) into its draws, so editing a string or number anywhere in
``src/`` can move "examples until caught" by a few notes, and move a mutant that only the hostile or structure
properties reach by a few dozen. Caught or not has been stable; the exact counts are one draw.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import random
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import journal_fuzz as jf
from journal_fuzz.adapters.base import TEXT, SystemUnderTestError
from journal_fuzz.adapters.python import FunctionAdapter
from journal_fuzz.battery import PROPERTIES, RunConfig, run
from journal_fuzz.mutants import LOSSY, Mutant

LANGUAGES = ("sv", "en")

# Written the way test corpora usually are: ordinary visits, one note per line-broken section, nothing chosen to
# trip a particular mutant. Synthetic; no real patients.
CORPUS: tuple[tuple[str, str], ...] = (
    ("sv", "Anamnes: 45-årig man som söker för hosta och feber sedan fem dagar. Ingen tidigare lungsjukdom. "
           "Röker ej.\nStatus: AT gott. Temp 38,4. Pulm: rassel basalt höger. Cor: regelbunden rytm, inga "
           "blåsljud.\nLab: CRP 87, LPK 12,1.\nBedömning: Pneumoni höger basalt.\nÅtgärd: Kåvepenin 1 g x 3 i "
           "7 dagar. Återbesök vid försämring."),
    ("sv", "Kontroll av blodtryck. Mår bra, inga biverkningar av medicinen.\nBT 138/84, puls 72.\nFortsätter med "
           "Enalapril 10 mg 1x1. Ny kontroll om 6 månader."),
    ("sv", "Anamnes: Vred vänster knä vid fotboll igår. Kan belasta.\nStatus: Lätt svullnad medialt, ömmar över "
           "mediala ledspringan. Stabil i sidled. Lachman negativ.\nBedömning: Distorsion vänster knä, misstänkt "
           "menisklesion.\nÅtgärd: Alvedon 1 g vid behov, max 4 g/dygn. Remiss till fysioterapeut."),
    ("sv", "Kvinna 32 år med sveda vid miktion och täta trängningar sedan två dagar. Ingen feber, ingen "
           "flanksmärta.\nU-sticka: nitrit pos, leukocyter 2+.\nBedömning: Okomplicerad cystit.\nFuradantin 50 mg "
           "1x3 i 5 dagar."),
    ("sv", "Diabeteskontroll. HbA1c 58 mmol/mol (tidigare 64). Fotstatus ua, inga sår.\nLäkemedel: Metformin 1 g "
           "x 2, Levaxin 75 mikrog 1x1.\nPlan: Oförändrad behandling. Ögonbottenfoto beställt."),
    ("sv", "Akutmottagningen. Bröstsmärta sedan i morse, tryckande, utan utstrålning. Förnekar dyspné.\nEKG: "
           "sinusrytm 76/min, inga ST-förändringar.\nTnT 8, kontroll efter 3 h 9.\nBedömning: Ingen hållpunkt för "
           "akut koronart syndrom. Går hem."),
    ("sv", "Pojke 4 år, öronvärk höger sedan natten. Feber 38,9.\nStatus: Trumhinna höger rodnad och buktande, "
           "vänster ua.\nBedömning: Akut mediaotit höger.\nKåvepenin mixt 25 mg/kg x 3 i 5 dagar."),
    ("sv", "Trötthet sedan några månader. Hb 102 g/l, MCV 74, ferritin 6. CRP <5.\nBedömning: Järnbristanemi.\n"
           "Åtgärd: Niferex 100 mg 1x2. Kontroll Hb om 6 veckor."),
    ("sv", "Ländryggssmärta sedan en vecka efter lyft. Ingen utstrålning till benen, inga neurologiska bortfall. "
           "Normal miktion.\nStatus: Palpationsöm paravertebralt. Lasègue neg bilateralt.\nBedömning: Lumbago.\n"
           "Ipren 400 mg vid behov. Sjukskrivning 1 vecka."),
    ("sv", "Känd astma. Ökade besvär senaste veckan i samband med förkylning. Använder Ventoline oftare.\nPEF "
           "380 l/min (ref 450).\nBedömning: Lätt astmaexacerbation.\nPrednisolon 25 mg 1x1 i 5 dagar."),
    ("en", "History: 58-year-old woman with cough and fever for 4 days. No chest pain. Non-smoker.\nExam: Temp "
           "38.2, crackles at the left base. Heart sounds normal.\nLabs: CRP 64, WBC 11.8.\nAssessment: Left lower "
           "lobe pneumonia.\nPlan: Amoxicillin 500 mg three times daily for 7 days."),
    ("en", "BP check. Feels well, no side effects. BP 142/88, HR 70. Continue amlodipine 5 mg once daily. Review "
           "in 3 months."),
    ("en", "Twisted right ankle playing football yesterday. Able to weight bear.\nExam: Swelling over lateral "
           "malleolus, no bony tenderness.\nAssessment: Right ankle sprain. No fracture suspected.\nPlan: Ice, "
           "elevation, ibuprofen 400 mg as needed."),
    ("en", "Presents with dysuria and frequency for 2 days. Denies fever or flank pain.\nUrine dip: nitrites "
           "positive, leukocytes 2+.\nImpression: Uncomplicated UTI.\nNitrofurantoin 100 mg twice daily for 5 "
           "days."),
    ("en", "Diabetes review. HbA1c 7.4% (previously 8.1%). Feet intact, no ulcers. Monofilament normal.\nMeds: "
           "metformin 1 g twice daily, levothyroxine 100 mcg daily.\nPlan: no change."),
    ("en", "ED note. Chest pain since this morning, pressure-like, non-radiating. Denies shortness of breath.\n"
           "ECG: sinus rhythm, no ST changes. Troponin 6, repeat at 3 h 7.\nAssessment: ACS unlikely. Discharged "
           "with GP follow-up."),
    ("en", "3-year-old with left ear pain overnight, temp 38.7.\nExam: left TM red and bulging, right TM normal.\n"
           "Diagnosis: acute otitis media, left.\nAmoxicillin 250 mg three times daily for 5 days."),
    ("en", "Fatigue for several months. Hb 98 g/L, MCV 72, ferritin 5, CRP <5.\nAssessment: iron deficiency "
           "anaemia.\nStart ferrous sulfate 200 mg twice daily, recheck Hb in 6 weeks."),
    ("en", "Low back pain for a week after lifting. No radiation to the legs. No bladder or bowel symptoms.\nExam: "
           "paraspinal tenderness, SLR negative bilaterally, power and reflexes normal.\nAssessment: mechanical "
           "low back pain.\nAdvice given, naproxen 250 mg twice daily as needed."),
    ("en", "Known asthma, worse over the past week with a cold. Using salbutamol 4-5 times a day.\nPEF 350 L/min "
           "(best 470). Chest: scattered wheeze, no distress.\nAssessment: mild asthma exacerbation.\n"
           "Prednisolone 40 mg once daily for 5 days, review if not improving."),
)


@dataclass
class Result:
    """One approach against one mutant."""

    caught: bool = False
    examples: int | None = None
    """Notes sent up to and including the first one caught (None if never caught within the budget)."""
    minimal: int | None = None
    """Length in characters of the minimal failing input."""
    sent: int = 0
    """Notes sent in all, shrinking included."""
    detail: str = ""
    seconds: float = 0.0


def deterministic(mutant: Mutant, language: str) -> Callable[[str], str]:
    """The mutant as a deterministic system: its choice seeded from the text, so a shrunk case reproduces."""
    def apply(text: str) -> str:
        out = mutant(text, language, random.Random(zlib.crc32(text.encode("utf-8"))))
        return text if out is None else out
    return apply


def crash_as_system_error(func: Callable[[str], str]) -> Callable[[str], str]:
    """A mutant that raises is a crashed system (reported apart), not a word loss nor a harness failure."""
    def wrapped(text: str) -> str:
        try:
            return func(text)
        except Exception as exc:
            raise SystemUnderTestError(f"mutant raised {type(exc).__name__}: {exc}", cause="crashed") from exc
    return wrapped


def by_journal_fuzz(mutant: Mutant, budget: int) -> Result:
    """(a) The text battery, property by property, Swedish then English, stopping at the first loss."""
    props = [p for p in PROPERTIES if p.carries == TEXT]
    per_item = max(1, budget // (len(props) * len(LANGUAGES)))
    config = RunConfig(examples=per_item, concurrency=1, derandomize=True)
    result = Result()
    before = 0  # notes sent by earlier properties, up to the first loss
    for language in LANGUAGES:
        adapter = FunctionAdapter(f"mutant {mutant.name}", crash_as_system_error(deterministic(mutant, language)))
        for prop in props:
            outcome = run(prop, language, adapter, config)
            result.sent += outcome.sent
            if outcome.status == "lost" and outcome.loss is not None:
                sent = outcome.loss.exchange.sent
                assert isinstance(sent, str)
                result.caught = True
                result.examples = before + (outcome.first_loss_at or outcome.sent)
                result.minimal = len(sent)
                result.detail = f"{outcome.item_name}: {', '.join(outcome.loss.verdict.kinds)}"
                return result
            if outcome.status == "system-error":
                result.detail = f"system error in {outcome.item_name}: {outcome.error}"
            before += outcome.sent
    return result


class _Changed(AssertionError):
    """The text came back different."""


def text_search(system: Callable[[str], str], examples: int) -> tuple[int, int | None, str | None]:
    """Run ``st.text()`` against ``system``: (examples tried, the first that changed, the shrunk one)."""
    calls = 0
    first: int | None = None
    last: str | None = None

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=False,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(st.text())
    def check(sent: str) -> None:
        nonlocal calls, first, last
        calls += 1
        if system(sent) != sent:
            if first is None:
                first = calls
            last = sent  # Hypothesis replays the minimal example last
            raise _Changed

    with contextlib.suppress(_Changed):
        check()
    return calls, first, last


def by_text(mutant: Mutant, budget: int) -> Result:
    """(b) Plain ``st.text()`` and ``received != sent``: what a generic fuzzer finds with the same budget."""
    result = Result()
    before = 0
    for language in LANGUAGES:
        calls, first, last = text_search(deterministic(mutant, language), max(1, budget // len(LANGUAGES)))
        result.sent += calls
        if first is not None and last is not None:
            result.caught = True
            result.examples = before + first
            result.minimal = len(last)
            result.detail = f"text() with the mutant in {language} mode, shrunk to {last!r}"[:100]
            return result
        before += calls
    return result


def by_corpus(mutant: Mutant, corpus: Sequence[tuple[str, str]] = CORPUS) -> Result:
    """(c) Every corpus note through the mutant, judged by the oracle: what a hand-written suite finds."""
    result = Result()
    caught_lengths: list[int] = []
    for k, (language, text) in enumerate(corpus, 1):
        received = deterministic(mutant, language)(text)
        result.sent += 1
        verdict = jf.compare(text, received, language=language)
        if not verdict.ok:
            if result.examples is None:
                result.examples = k
                result.detail = f"note {k} ({language}): {', '.join(verdict.kinds)}"
            caught_lengths.append(len(text))
    if caught_lengths:
        result.caught = True
        result.minimal = min(caught_lengths)
        result.detail += f"; {len(caught_lengths)}/{len(corpus)} notes caught"
    return result


def timed(fn: Callable[[], Result]) -> Result:
    """``fn()`` with its wall-clock time recorded, for the per-approach totals."""
    t0 = time.perf_counter()
    result = fn()
    result.seconds = time.perf_counter() - t0
    return result


def cell(r: Result) -> str:
    """Caught, examples until caught, minimal length: three table cells."""
    if not r.caught:
        return "no | – | –"
    return f"yes | {r.examples} | {r.minimal}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a budget of 40 notes per mutant instead of 200")
    parser.add_argument("--budget", type=int, help="notes per mutant and approach (default 200, 40 with --quick)")
    parser.add_argument("--mutants", help="only these mutants (comma-separated names)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print what caught each mutant")
    args = parser.parse_args()
    budget = args.budget or (40 if args.quick else 200)
    wanted = set(args.mutants.split(",")) if args.mutants else None
    mutants = [m for m in LOSSY if wanted is None or m.name in wanted]
    if not mutants:
        parser.error(f"no such mutants; known: {', '.join(m.name for m in LOSSY)}")

    started = time.perf_counter()
    n_sv = sum(1 for lang, _ in CORPUS if lang == "sv")
    n_props = sum(1 for p in PROPERTIES if p.carries == TEXT)
    print(f"journal_fuzz {jf.__version__} bug-finding benchmark: {len(mutants)} lossy mutants, budget {budget} "
          f"notes per mutant and approach, derandomised (journal_fuzz: {n_props} text properties x "
          f"{len(LANGUAGES)} languages x {max(1, budget // (n_props * len(LANGUAGES)))} notes; text(): "
          f"{budget // len(LANGUAGES)} per language); fixed corpus of {len(CORPUS)} notes "
          f"({n_sv} sv, {len(CORPUS) - n_sv} en)\n")
    print("| mutant | jf caught | jf examples | jf min len | jf caught by | text() caught | text() examples "
          "| text() min len | corpus caught | corpus examples | corpus min len |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    approaches: dict[str, Callable[[Mutant], Result]] = {
        "journal_fuzz": functools.partial(by_journal_fuzz, budget=budget),
        "text()": functools.partial(by_text, budget=budget),
        "fixed corpus": by_corpus,
    }
    results: dict[str, list[Result]] = {name: [] for name in approaches}
    for mutant in mutants:
        row = {name: timed(functools.partial(fn, mutant)) for name, fn in approaches.items()}
        for name, r in row.items():
            results[name].append(r)
        jf_r = row["journal_fuzz"]
        by = jf_r.detail.split(":")[0] if jf_r.caught else "–"
        print(f"| {mutant.name} | {cell(jf_r)} | {by} | {cell(row['text()'])} | {cell(row['fixed corpus'])} |",
              flush=True)
    elapsed = time.perf_counter() - started

    n = len(mutants)
    counts = [sum(r.caught for r in results[name]) for name in approaches]
    print(f"\njournal_fuzz caught {counts[0]}/{n}, text() caught {counts[1]}/{n}, fixed corpus caught {counts[2]}/{n}")
    for name, rs in results.items():
        hits = [r for r in rs if r.caught]
        if hits:
            ex = sorted(r.examples or 0 for r in hits)
            ln = sorted(r.minimal or 0 for r in hits)
            print(f"  {name:<13} median examples until caught {ex[len(ex) // 2]:>4}, median minimal input "
                  f"{ln[len(ln) // 2]:>4} characters; {sum(r.sent for r in rs)} notes sent in all "
                  f"(with shrinking, or the whole corpus), {sum(r.seconds for r in rs):.1f} s")
    jf_rs, text_rs, corpus_rs = (results[name] for name in approaches)
    only = [m.name for m, a, b, c in zip(mutants, jf_rs, text_rs, corpus_rs, strict=True)
            if a.caught and not b.caught and not c.caught]
    missed = [m.name for m, a in zip(mutants, jf_rs, strict=True) if not a.caught]
    # "Much sooner": half the notes or fewer, and at least 5 fewer (a corpus whose first note is long and catches
    # at note 1 while journal_fuzz needs 3 is not a finding).
    sooner = [f"{m.name} ({label} {o.examples} vs {a.examples})"
              for m, a, b, c in zip(mutants, jf_rs, text_rs, corpus_rs, strict=True)
              for label, o in (("text()", b), ("corpus", c))
              if a.caught and o.caught and a.examples is not None and o.examples is not None
              and 2 * o.examples <= a.examples and a.examples - o.examples >= 5]
    print(f"  caught only by journal_fuzz: {', '.join(only) or 'none'}")
    print(f"  missed by journal_fuzz: {', '.join(missed) or 'none'}")
    print(f"  caught much sooner by another approach: {', '.join(sooner) or 'none'}")
    for m, a in zip(mutants, jf_rs, strict=True):
        if a.detail.startswith("system error"):
            print(f"  {m.name}: {a.detail}")
    if args.verbose:
        print()
        for m, a, b, c in zip(mutants, jf_rs, text_rs, corpus_rs, strict=True):
            print(f"{m.name}\n  jf:     {a.detail or '-'}\n  text(): {b.detail or '-'}\n  corpus: {c.detail or '-'}")
    print(f"\nwhole run {elapsed:.1f} s (load average {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
