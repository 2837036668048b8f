"""``journal-fuzz selftest``: the battery against every built-in mutant (each must be caught) and against faithful
systems (each must pass). The harness's own promise, no false pass, shown as a matrix.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from journal_fuzz.adapters.base import Adapter
from journal_fuzz.adapters.python import FunctionAdapter
from journal_fuzz.battery import RunConfig, properties_for, run
from journal_fuzz.constants import Status
from journal_fuzz.mutants import BENIGN, LOSSY, Mutant

__all__ = ["MatrixRow", "format_row", "selftest"]


def _mutating(mutant: Mutant, language: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        # Seeded by the text, so sending a case again gives the same damage (a deterministic system).
        out = mutant(text, language, random.Random(zlib.crc32(text.encode("utf-8"))))
        return text if out is None else out
    return apply


@dataclass
class MatrixRow:
    system: str
    faithful: bool
    ok: bool
    """A lossy mutant caught, or a faithful system passed."""
    caught_by: str = ""
    kinds: tuple[str, ...] = ()
    examples_until_caught: int | None = None
    detail: str = ""
    behind: str | None = None
    """The real target the mutants were put behind (``selftest --target``), if any."""
    system_error: bool = False
    """The row ended on a system error, not on a verdict."""


def selftest(*, examples: int = 10, languages: Sequence[str] = ("sv", "en"), concurrency: int = 4,
             inner: Adapter | None = None, mutants: Sequence[str] | None = None,
             on_row: Callable[[MatrixRow], None] | None = None) -> list[MatrixRow]:
    """Run the text battery against every lossy mutant (stopping at the first property that catches it) and every
    faithful system (all properties must pass)."""
    rows: list[MatrixRow] = []
    config = RunConfig(examples=examples, concurrency=concurrency, derandomize=True)
    chosen_lossy = [m for m in LOSSY if mutants is None or m.name in mutants]
    chosen_benign = [m for m in BENIGN if mutants is None or m.name in mutants]
    for mutant in chosen_lossy:
        row = MatrixRow(mutant.name, faithful=False, ok=False, behind=inner.describe() if inner else None)
        sent = 0
        for language in languages:
            adapter = FunctionAdapter(f"mutant {mutant.name}", _mutating(mutant, language), inner)
            for prop in properties_for(adapter):
                outcome = run(prop, language, adapter, config)
                if outcome.status == Status.LOST and outcome.loss is not None:
                    row.ok = True
                    row.caught_by = outcome.item_name
                    row.kinds = tuple(outcome.loss.verdict.kinds)
                    row.examples_until_caught = sent + (outcome.first_loss_at or outcome.sent)
                    break
                sent += outcome.sent
                if outcome.status == Status.SYSTEM_ERROR:
                    row.detail = f"system error: {outcome.error}"
                    row.system_error = True
            if row.ok:
                break
        rows.append(row)
        if on_row:
            on_row(row)
    faithful: list[tuple[str, Callable[[str], str] | None]] = [("identity", lambda t: t)]
    faithful += [(f"benign {m.name}", None) for m in chosen_benign]
    for name, func in faithful:
        row = MatrixRow(name, faithful=True, ok=True, behind=inner.describe() if inner else None)
        for language in languages:
            f = func or _mutating(next(m for m in chosen_benign if f"benign {m.name}" == name), language)
            adapter = FunctionAdapter(name, f, inner)
            for prop in properties_for(adapter):
                outcome = run(prop, language, adapter, config)
                if outcome.status != Status.PASSED:
                    row.ok = False
                    row.system_error = outcome.status == Status.SYSTEM_ERROR
                    row.caught_by = outcome.item_name
                    row.kinds = tuple(outcome.loss.verdict.kinds) if outcome.loss else ()
                    row.detail = outcome.loss.verdict.explain() if outcome.loss else str(outcome.error)
                    break
            if not row.ok:
                break
        rows.append(row)
        if on_row:
            on_row(row)
    return rows


def format_row(row: MatrixRow) -> str:
    """One line of the matrix. A faithful system that fails is a false alarm of the oracle only when it runs alone;
    behind a real target, it is the target that lost words (or failed)."""
    if row.faithful:
        if row.ok:
            verdict = "passes"
        elif row.system_error:
            verdict = f"SYSTEM ERROR in {row.caught_by}: {row.detail}"
        elif row.behind:
            verdict = (f"TARGET LOSES WORDS in {row.caught_by} ({', '.join(row.kinds)}): {row.behind} changes the "
                       f"note even when the mutant in front of it changes nothing")
        else:
            verdict = f"FALSE ALARM in {row.caught_by} ({', '.join(row.kinds)})"
        return f"{row.system:<32} faithful  {verdict}"
    if not row.ok:
        return f"{row.system:<32} lossy     MISSED {row.detail}"
    return (f"{row.system:<32} lossy     caught by {row.caught_by:<18} after {row.examples_until_caught:>5} "
            f"payloads  {', '.join(row.kinds)}")
