"""The ``journal-fuzz`` command.

Exit codes are part of the contract: 0 kept, 1 changed (a word-loss finding), 2 error (bad input, unreachable
system). Errors are one line on stderr, never a traceback (set ``JOURNAL_FUZZ_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from journal_fuzz.constants import LANGUAGES, TEXT
from journal_fuzz.inputs import InputError, read_text
from journal_fuzz.lexicon import LexiconError, load_lexicon
from journal_fuzz.oracle import compare, detect_language
from journal_fuzz.text import Policy
from journal_fuzz.wording import plural, printable

__all__ = ["build_parser", "main"]

EXIT_KEPT = 0
EXIT_CHANGED = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"journal-fuzz: {message} (see journal-fuzz --help)\n")


def _language(value: str) -> str:
    if value != "auto" and value not in LANGUAGES:
        raise argparse.ArgumentTypeError(f"unknown language {value!r}; use {', '.join(LANGUAGES)} or auto")
    return value


def _sent_text(path: str) -> str:
    """The sent text of a reported pair: an empty one says nothing that could have been lost, so it is an error."""
    text = read_text(path, "sent file")
    if not text.strip():
        raise InputError(f"sent file {path} is empty: there is nothing to compare what came back with")
    return text


def _cmd_diff(args: argparse.Namespace) -> int:
    sent = _sent_text(args.sent)
    received = read_text(args.received, "received file")
    language = args.lang if args.lang != "auto" else detect_language(sent)
    lexicon = load_lexicon(language, args.lexicon or ())
    policy = Policy.strict() if args.strict else Policy()
    verdict = compare(sent, received, language, policy=policy, lexicon=lexicon)
    if args.format == "json":
        print(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(verdict.explain())
    return EXIT_KEPT if verdict.ok else EXIT_CHANGED


def _system_error(exc: Any) -> int:
    """A failing system under test: one line, its cause, and the error exit (never word loss, never a pass)."""
    print(f"journal-fuzz: system error ({exc.cause}), not word loss: {exc}", file=sys.stderr)
    return EXIT_ERROR


def _adapter_config(args: argparse.Namespace) -> Any:
    from journal_fuzz.adapters.base import AdapterConfig

    return AdapterConfig(timeout=args.timeout, auth_env=args.auth_env, listen=args.listen)


def _cmd_replay(args: argparse.Namespace) -> int:
    from journal_fuzz.adapters.base import SystemUnderTestError, adapter_for, redact_credentials
    from journal_fuzz.cases import load_case
    from journal_fuzz.exchange import check_carries, send, send_together

    case = load_case(args.case)
    adapter = adapter_for(args.target, _adapter_config(args))
    payload = case.payload()
    check_carries(adapter, payload)
    # A crossed record is replayed as it happened: together with the payload whose text came back in it.
    companions = case.companion_payloads()
    try:
        with adapter:
            target = adapter.variant_for(case.prop)
            if companions:
                verdict = send_together(target, payload, companions).verdict
            else:
                verdict = send(target, payload).verdict
    except SystemUnderTestError as exc:
        return _system_error(exc)
    was = ", ".join(case.kinds) or "no findings"
    print(f"case {args.case} ({case.prop or case.source}, {case.language or 'auto'}; was: {was})")
    print(f"replayed against {redact_credentials(adapter.describe())}")
    if verdict.ok:
        print("FIXED: every clinical word came back unchanged" if case.kinds else "kept: every clinical word came "
              "back unchanged")
        return EXIT_KEPT
    print("STILL LOSING WORDS: " + ", ".join(verdict.kinds))
    print()
    print(verdict.explain())
    return EXIT_CHANGED


def _cmd_selftest(args: argparse.Namespace) -> int:
    from journal_fuzz.adapters.base import adapter_for
    from journal_fuzz.selftest import format_row, selftest

    inner = adapter_for(args.target, _adapter_config(args)) if args.target else None
    if inner is not None and TEXT not in inner.carries:
        raise InputError(f"selftest --target needs a text target (python:, cmd:, dir:, hl7+mllp://); "
                         f"{inner.describe()} carries FHIR")
    languages = [x for x in args.lang.split(",") if x]
    print(f"journal_fuzz selftest: every lossy mutant must be caught, every faithful system must pass "
          f"({args.examples} examples x {args.concurrency} at once per property, languages {','.join(languages)}"
          + (f", behind {inner.describe()}" if inner else "") + ")")
    if inner is not None:
        inner.start()
    try:
        rows = selftest(examples=args.examples, languages=languages, concurrency=args.concurrency, inner=inner,
                        mutants=args.only.split(",") if args.only else None,
                        on_row=lambda r: print(format_row(r), flush=True))
    finally:
        if inner is not None:
            inner.stop()
    missed = [r for r in rows if not r.ok]
    lossy = [r for r in rows if not r.faithful]
    faithful = [r for r in rows if r.faithful]
    print(f"{sum(r.ok for r in lossy)}/{len(lossy)} lossy mutants caught, "
          f"{sum(r.ok for r in faithful)}/{len(faithful)} faithful systems passed")
    if inner is not None and any(not r.ok and not r.system_error for r in faithful):
        print(f"{inner.describe()} itself loses words: faithful systems in front of it failed, so the lossy rows "
              "above may show the target's losses rather than the mutants'")
    return EXIT_KEPT if not missed else EXIT_CHANGED


def _cmd_incident_new(args: argparse.Namespace) -> int:
    from journal_fuzz.incident import default_cases_dir, new_incident

    sent = _sent_text(args.sent)
    received = read_text(args.received, "received file")
    case, verdict = new_incident(sent, received, args.lang)
    explanation = verdict.explain()
    if args.redact:
        from journal_fuzz.redact import redact_case

        case, _mapping = redact_case(case)
        # What is printed reaches CI logs: explain the redacted case, never the original.
        redacted = case.judge()
        explanation = redacted.explain() if redacted is not None else "(the redacted case could not be judged)"
    path = case.save(Path(args.output) if args.output else default_cases_dir())
    print(explanation)
    print()
    print(f"case written: {path}" + (" (personal data redacted)" if args.redact else ""))
    print(f"next: journal-fuzz explore {path} --target SPEC    journal-fuzz export-test {path} > tests/test_x.py")
    return EXIT_KEPT if verdict.ok else EXIT_CHANGED


def _cmd_explore(args: argparse.Namespace) -> int:
    from journal_fuzz.adapters.base import SystemUnderTestError, adapter_for
    from journal_fuzz.cases import load_case
    from journal_fuzz.explore import explore, table, variations
    from journal_fuzz.oracle import compare

    case = load_case(args.case)
    if case.carries != TEXT:
        raise InputError("explore works on text cases (a FHIR case: replay it, or export a test)")
    note = case.sent_note()
    verdict = compare(note, case.received.get("text", ""), note.language)
    items = variations(note, verdict)[: args.examples]
    adapter = adapter_for(args.target, _adapter_config(args))
    try:
        with adapter:
            rows = explore(adapter, items)
    except SystemUnderTestError as exc:
        return _system_error(exc)
    print(f"{len(rows)} variations of {args.case} against {adapter.describe()}:")
    print()
    print(table(rows))
    lost = [r for r in rows if r.lost]
    kept = [r for r in rows if r.lost is False]
    failed = [r for r in rows if r.error]
    print()
    print(f"lost words in {len(lost)} of {len(rows)} variations; kept every word in {len(kept)}"
          + (f"; {len(failed)} could not be checked (system errors, not word loss)" if failed else ""))
    if lost:
        return EXIT_CHANGED
    if failed:
        # Nothing lost among what could be checked is not "kept": the rest proved nothing.
        print("journal-fuzz: not every variation could be checked: the target failed on "
              f"{len(failed)} of {len(rows)} (first: {failed[0].error})", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_KEPT


def _cmd_export_test(args: argparse.Namespace) -> int:
    from journal_fuzz.cases import load_case
    from journal_fuzz.incident import export_test

    sys.stdout.write(export_test(load_case(args.case)))
    return EXIT_KEPT


def _cmd_redact(args: argparse.Namespace) -> int:
    from journal_fuzz.adapters.base import SystemUnderTestError, adapter_for
    from journal_fuzz.cases import load_case, reproduced
    from journal_fuzz.exchange import check_carries, send
    from journal_fuzz.redact import redact_case

    original = load_case(args.case)
    redacted, pseudonyms = redact_case(original)
    out = Path(args.output) if args.output else Path(args.case).with_name(Path(args.case).stem + ".redacted.json")
    out.write_text(json.dumps(redacted.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    redacted.path = out
    print(f"redacted case written: {out}")
    print(f"replaced: {pseudonyms.summary()}")
    for item in pseudonyms.unredacted:
        # A PDF or other binary attachment could carry personal data this tool cannot read: say so, loudly.
        print(f"NOT redacted (not text, check by hand before sharing): {item}")
    kept = pseudonyms.findings_kept
    print("the oracle finds the same kinds in the redacted case: " + (
        "yes" if kept else "NO: redaction changed what the case shows" if kept is False else "(no findings)")
          + f" ({', '.join(redacted.kinds) or 'none'})")
    code = EXIT_KEPT if kept is not False else EXIT_CHANGED
    if args.target:
        adapter = adapter_for(args.target, _adapter_config(args))
        payload = redacted.payload()
        check_carries(adapter, payload)
        try:
            with adapter:
                verdict = send(adapter, payload).verdict
        except SystemUnderTestError as exc:
            return _system_error(exc)
        again, not_again = reproduced(redacted, verdict)
        where = f"against {adapter.describe()}: the redacted case"
        if again and not not_again:
            print(f"{where} still reproduces ({', '.join(verdict.kinds)})")
        else:
            code = EXIT_CHANGED
            print(f"{where} reproduces only {len(again)} of {len(again) + len(not_again)} findings" if again else
                  f"{where} does NOT reproduce" + (f" (now: {', '.join(verdict.kinds)})" if verdict.kinds
                                                   else " (no loss)"))
        for f in again:
            print(f"  reproduces:        {f.get('kind')} [{f.get('concept') or f.get('sent_text')}]")
        for f in not_again:
            print(f"  does NOT reproduce: {f.get('kind')} [{f.get('concept') or f.get('sent_text')}]")
    return code


def _cmd_report(args: argparse.Namespace) -> int:
    from journal_fuzz.cases import load_cases, load_summary
    from journal_fuzz.report.html import write_report

    directory = Path(args.cases)
    if not directory.is_dir():
        raise InputError(f"cases directory not found: {directory}")
    cases = load_cases(directory)
    summary = cases.summary
    summary_path = Path(args.summary) if args.summary else directory.parent / "summary.json"
    if summary is None and summary_path.is_file():
        summary = load_summary(summary_path)
    path = write_report(args.output, cases, summary)
    print(f"report written: {path} ({plural(len(cases), 'case')}"
          + (f", {len(cases.errors)} unreadable file(s) listed in it" if cases.errors else "") + ")")
    return EXIT_KEPT


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def _seconds(value: str) -> float:
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not n > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {value}")
    return n


def _cmd_sample(args: argparse.Namespace) -> int:
    """Print generated notes, so a clinician can judge whether they read as real ones."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from journal_fuzz import strategies as jst

    if args.n < 1:
        raise InputError("--n must be at least 1")
    shown: list[str] = []
    written: list[str] = []

    # One short run per note, each on its own seed: within one run Hypothesis mutates the notes it has written, and
    # a clinician reading a sample would see the same note again with a sentence changed. The first example of a
    # run is the simplest one ("Ingen oro."): the second is kept.
    @settings(max_examples=2, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(jst.notes(args.lang, lexicons=args.lexicon or ()))
    def collect(note: Any) -> None:
        written.append(note.text.replace("\r\n", "\n").replace("\r", "\n"))

    for k in range(args.n):
        written.clear()
        hypothesis_seed(args.seed * 100_003 + k)(collect)()
        shown.append(written[-1])
    for k, text in enumerate(shown, 1):
        print(f"--- note {k} ---\n{text}\n")
    return EXIT_KEPT


def _cmd_audit(args: argparse.Namespace) -> int:
    try:
        from journal_fuzz.audit import AuditOptions, Interrupted, format_summary, run_audit
    except ImportError as exc:
        raise InputError(f"audit needs the audit extra ({exc.name} is missing): pip install "
                         f"'journal_fuzz[audit]'") from None
    if args.out:
        from journal_fuzz.audit.output import findings_format

        findings_format(args.out)
    opts = AuditOptions(sent=args.sent, received=args.received, keys=tuple(args.key or ()), out=args.out,
                        report=args.report, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                        redact=args.redact, language=args.lang, lexicons=tuple(args.lexicon or ()),
                        sent_format=args.sent_format, received_format=args.received_format,
                        text_column=args.text_column, date_column=args.date_column,
                        types=tuple(t for t in (args.types or "").split(",") if t))
    try:
        result = run_audit(opts, on_line=lambda line: print(line, file=sys.stderr))
    except Interrupted as exc:
        print(f"journal-fuzz: {exc}; continue with: journal-fuzz audit {args.sent} {args.received} --resume "
              f"{exc.state} (and the same options)", file=sys.stderr)
        return EXIT_ERROR
    print(format_summary(result.summary))
    if result.out is not None:
        print(f"findings written: {result.out}" + (" (personal data redacted)" if args.redact else ""))
    if result.report is not None:
        print(f"report written: {result.report}" + (" (personal data redacted)" if args.redact else ""))
    print(f"{result.seconds:.1f} s, {result.summary['runner']}")
    return result.exit_code


def _target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=_seconds, default=30.0, help="seconds per round trip (default 30)")
    p.add_argument("--auth-env", metavar="VAR", help="environment variable holding the target's credentials")
    p.add_argument("--listen", metavar="HOST:PORT", help="where forwarded HL7 messages come back")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="journal-fuzz", description="Prove that a health record system keeps every clinical "
                                                       "word: compare, replay, explore, self-test.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    diff = sub.add_parser("diff", help="compare a sent and a received text (exit 0 kept, 1 changed, 2 error)")
    diff.add_argument("sent", metavar="SENT_FILE")
    diff.add_argument("received", metavar="RECEIVED_FILE")
    diff.add_argument("--lang", type=_language, default="auto", help="sv, en or auto (default)")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.add_argument("--lexicon", action="append", metavar="PATH",
                      help="a site lexicon (TOML) merged over the packaged one; may be repeated")
    diff.add_argument("--strict", action="store_true",
                      help="report whitespace, Unicode form, case and entity differences too")
    diff.set_defaults(func=_cmd_diff)

    rp = sub.add_parser("replay", help="send a saved case again (exit 0 fixed, 1 still losing words, 2 error)")
    rp.add_argument("case", metavar="CASE.json")
    rp.add_argument("--target", required=True, metavar="SPEC", help="the system to replay against")
    _target_options(rp)
    rp.set_defaults(func=_cmd_replay)

    stp = sub.add_parser("selftest", help="the battery against every built-in mutant and faithful system")
    stp.add_argument("--examples", type=_positive, default=10, help="examples per property (default 10)")
    stp.add_argument("--concurrency", type=_positive, default=4, help="payloads at once (default 4)")
    stp.add_argument("--lang", default="sv,en", help="languages (default sv,en)")
    stp.add_argument("--only", metavar="NAMES", help="only these mutants (comma-separated)")
    stp.add_argument("--target", metavar="SPEC", help="put the mutants behind this text target")
    _target_options(stp)
    stp.set_defaults(func=_cmd_selftest)

    inc = sub.add_parser("incident", help="turn a reported word loss into a case file")
    inc_sub = inc.add_subparsers(dest="incident_command", required=True, parser_class=_Parser)
    new = inc_sub.add_parser("new", help="classify a sent/received pair and write a case (exit 0 kept, 1 changed)")
    new.add_argument("--sent", required=True, metavar="SENT_FILE")
    new.add_argument("--received", required=True, metavar="RECEIVED_FILE")
    new.add_argument("--lang", type=_language, default="auto", help="sv, en or auto (default)")
    new.add_argument("--redact", action="store_true", help="replace personal data with synthetic data first")
    new.add_argument("-o", "--output", metavar="DIR", help="where to write the case (default .journal_fuzz/cases)")
    new.set_defaults(func=_cmd_incident_new)

    exp = sub.add_parser("explore", help="send variations of a case to a target: which lose words, which do not")
    exp.add_argument("case", metavar="CASE.json")
    exp.add_argument("--target", required=True, metavar="SPEC")
    exp.add_argument("--examples", type=_positive, default=40, help="at most this many variations (default 40)")
    _target_options(exp)
    exp.set_defaults(func=_cmd_explore)

    ext = sub.add_parser("export-test", help="print a pytest regression test for a case")
    ext.add_argument("case", metavar="CASE.json")
    ext.set_defaults(func=_cmd_export_test)

    red = sub.add_parser("redact", help="replace personal data in a case with synthetic data, consistently")
    red.add_argument("case", metavar="CASE.json")
    red.add_argument("-o", "--output", metavar="OUT.json", help="default: CASE.redacted.json beside the case")
    red.add_argument("--target", metavar="SPEC", help="replay the redacted case here and say if it still reproduces")
    _target_options(red)
    red.set_defaults(func=_cmd_redact)

    smp = sub.add_parser("sample", help="print generated notes, to judge whether they read as real ones")
    smp.add_argument("--lang", choices=LANGUAGES, default="sv", help="sv (default) or en")
    smp.add_argument("-n", "--n", type=int, default=5, help="how many notes (default 5)")
    smp.add_argument("--seed", type=int, default=0, help="another seed, other notes (default 0)")
    smp.add_argument("--lexicon", action="append", metavar="PATH", help="a site lexicon whose words are used too")
    smp.set_defaults(func=_cmd_sample)

    rep = sub.add_parser("report", help="one self-contained HTML report of saved cases (and the run's summary)")
    rep.add_argument("cases", metavar="CASES_DIR")
    rep.add_argument("-o", "--output", required=True, metavar="report.html")
    rep.add_argument("--summary", metavar="summary.json", help="default: summary.json next to CASES_DIR")
    rep.set_defaults(func=_cmd_report)

    aud = sub.add_parser("audit", help="compare two exports record by record (exit 0 kept, 1 changed, 2 error)")
    aud.add_argument("sent", metavar="SENT", help="what was sent: an HL7 v2 archive, a FHIR Bulk Data export "
                                                  "directory, a CSV/TSV/Parquet table or a directory of texts")
    aud.add_argument("received", metavar="RECEIVED", help="what was stored, in any of the same formats")
    aud.add_argument("--key", action="append", metavar="[sent:|received:]FIELD",
                     help="what records are matched by: an HL7 field (OBR-3, MSH-10), a FHIR identifier system "
                          "(identifier|SYSTEM) or element (masterIdentifier, id, basedOn.identifier.value), a column, "
                          "or path/stem/name for text files; may be repeated (default: the field whose values "
                          "the two sides share)")
    aud.add_argument("--out", metavar="findings.parquet", help="write every finding (.parquet, .ndjson or .csv)")
    aud.add_argument("--report", metavar="audit.html", help="write a self-contained HTML report")
    aud.add_argument("--workers", type=int, metavar="N", help="processes on this machine (default: every core)")
    aud.add_argument("--scheduler", metavar="tcp://HOST:8786", help="run the tasks on this Dask cluster")
    aud.add_argument("--resume", metavar="DIR", help="keep the run's state here; continue an interrupted run")
    aud.add_argument("--redact", action="store_true", help="replace patient identifiers in findings and report")
    aud.add_argument("--lang", type=_language, default="auto", help="sv, en or auto (default: per record)")
    aud.add_argument("--lexicon", action="append", metavar="PATH", help="a site lexicon merged over the packaged one")
    aud.add_argument("--sent-format", choices=("fhir", "hl7", "csv", "tsv", "parquet", "text"),
                     help="the format of SENT (default: detected)")
    aud.add_argument("--received-format", choices=("fhir", "hl7", "csv", "tsv", "parquet", "text"),
                     help="the format of RECEIVED (default: detected)")
    aud.add_argument("--text-column", metavar="COL", help="tables: the column holding the note")
    aud.add_argument("--date-column", metavar="COL", help="tables: the column holding the record's date")
    aud.add_argument("--types", metavar="T1,T2", help="FHIR: only these resource types (default: every type "
                                                       "that carries a note)")
    aud.set_defaults(func=_cmd_audit)
    return parser


def _version() -> str:
    from journal_fuzz import __version__

    return __version__


class _PipeSafe:
    """Standard output that keeps going when its reader goes away (``journal-fuzz diff a b | head -1``): the
    command still finishes and exits as it would have, with 1 for a loss, instead of dying with 2; and that
    writes a lone surrogate as ``\\udXXX`` instead of failing on it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.gone = False

    def _lost_reader(self) -> None:
        self.gone = True
        try:  # what is still buffered, and the interpreter's flush at exit, go nowhere instead of failing
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.inner.fileno())
        except (OSError, ValueError):
            pass

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                # Text a system returned may hold lone surrogates, which no terminal encoding can carry.
                self.inner.write(printable(text))
            except BrokenPipeError:
                self._lost_reader()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.inner.flush()
            except BrokenPipeError:
                self._lost_reader()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    real = sys.stdout
    safe = _PipeSafe(real)
    sys.stdout = safe
    try:
        code: int = args.func(args)
        safe.flush()
        return code
    except (InputError, LexiconError) as exc:
        print(f"journal-fuzz: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as exc:  # AdapterError, CaseError, FhirError: bad input, one line
        print(f"journal-fuzz: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("journal-fuzz: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        if os.environ.get("JOURNAL_FUZZ_DEBUG"):
            traceback.print_exc()
        print(f"journal-fuzz: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        sys.stdout = real


if __name__ == "__main__":
    sys.exit(main())
