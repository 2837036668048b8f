"""The shape the code promises: no import cycles, one round-trip stage, kinds from one registry, marks from the verdict.

These tests read the source with the standard library (``ast``) rather than trusting a convention, so a new module
that imports its way into a circle, or sends a payload on its own, fails here first.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html as lxml_html

import journal_fuzz as jf
from journal_fuzz import kinds as registry
from journal_fuzz.cases import Case
from journal_fuzz.constants import TEXT
from journal_fuzz.mutants import LOSSY
from journal_fuzz.report.html import render_report

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "journal_fuzz"
TESTS = Path(__file__).resolve().parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every journal_fuzz module ``name`` imports, at module level or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:
                    found.add(full)
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph``, as the list of modules around it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_anywhere_in_src() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert "journal_fuzz.exchange" in graph["journal_fuzz.battery"]  # the walk sees real imports
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def _calls(pattern: str) -> list[str]:
    regex = re.compile(pattern)
    hits = []
    for path in SRC.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if regex.search(line) and not line.lstrip().startswith(("def ", "#")):
                hits.append(f"{path.relative_to(SRC)}:{n}")
    return hits


def test_payloads_are_sent_and_judged_only_in_the_round_trip_stage() -> None:
    # Adapters may wrap other adapters (adapters/); fhir/ holds the FHIR comparison itself.
    allowed = ("exchange.py", f"fhir{os.sep}", f"adapters{os.sep}")
    for pattern in (r"\.roundtrip_(text|fhir)\(", r"\bcompare_resources\("):
        stray = [hit for hit in _calls(pattern) if not hit.startswith(allowed)]
        assert not stray, f"{pattern} outside the round-trip stage: {stray}"
    assert any(hit.startswith("exchange.py") for hit in _calls(r"\.roundtrip_text\("))  # the search sees calls


def test_carriers_are_compared_as_constants_not_literals() -> None:
    assert _calls(r"carries\s*[!=]=\s*[\"']") == []


def test_every_kind_is_registered_once_with_its_meaning_and_heading() -> None:
    assert jf.KINDS == registry.KINDS
    assert len(set(registry.KINDS)) == len(registry.KINDS)
    for name in registry.KINDS:
        entry = registry.KIND[name]
        assert entry.meaning and entry.heading({"kind": name, "sent_text": "x", "received_text": "y"})
    assert {r.kind for r in registry.RULES} <= set(registry.KINDS)
    assert all(r.doc for r in registry.RULES), "every rule says when it applies"
    for mutant in LOSSY:
        assert mutant.kinds <= set(registry.KINDS), mutant.name


def test_the_readme_lists_the_registered_kinds_in_order() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"`jf\.KINDS` lists every kind: ([^.]+)\.", readme)
    assert m, "the README names the kinds"
    listed = [k.strip() for k in " ".join(m.group(1).split()).split(",")]
    assert listed == list(registry.KINDS)


def test_a_rule_decides_each_kind_in_the_documented_order() -> None:
    # The registry's order is the precedence: the module doc lists it, and the first matching rule wins.
    doc = registry.__doc__ or ""
    positions = [doc.index(f"``{r.kind}`` ({r.name})") for r in registry.RULES]
    assert positions == sorted(positions)
    verdict = jf.compare("Patienten har inte feber.", "Patienten har feber.", "sv")
    assert verdict.kinds == [registry.NEGATION_DROPPED]  # the negation rule wins over word-dropped


# ---------------------------------------------------------------------------------------------------------
def _marks(page: str) -> set[tuple[str, str, str]]:
    doc = lxml_html.fromstring(page)
    out = set()
    for el in doc.xpath('//section[starts-with(@id, "case-")]//del[@class="lost"] | '
                        '//section[starts-with(@id, "case-")]//ins[@class="added"]'):
        out.add((el.tag, el.get("data-kind"), el.text_content()))
    return out


def test_the_report_marks_exactly_the_findings_of_a_strict_verdict() -> None:
    sent = "Höger knä: ingen svullnad.\nVänster knä ua. Waran 2,5 mg."
    received = "höger knä:  ingen svullnad.\r\nVänster knä ua. Waran 2,5 mg"
    strict = jf.compare(sent, received, "sv", policy=jf.Policy.strict())
    default = jf.compare(sent, received, "sv")
    assert len(strict.findings) > len(default.findings) >= 1  # strict sees case and whitespace too
    case = Case(carries=TEXT, sent={"text": sent, "language": "sv"}, received={"text": received},
                verdict=strict.to_dict(), prop="notes", language="sv")
    expected = set()
    for f in strict.findings:  # (an HTML parser reads CRLF as LF)
        expected |= {("del", f.kind, sent[a:b].replace("\r\n", "\n")) for a, b in f.sent_spans}
        expected |= {("ins", f.kind, received[a:b].replace("\r\n", "\n")) for a, b in f.received_spans}
    assert _marks(render_report([case])) == expected
    # A case change is marked only because strict found it, and as what it is: a minor case change, not a side change.
    assert ("del", "word-changed", "Höger") in expected
    assert not any(f.kind == "laterality-changed" for f in strict.findings)


# ---------------------------------------------------------------------------------------------------------
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "journal-fuzz"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False)


def test_explore_twice_against_a_system_that_refuses_a_repeated_id(tmp_path: Path) -> None:
    (tmp_path / "sent.txt").write_text("Fraktur påvisas ej.\nIngen luxation.\n", encoding="utf-8")
    (tmp_path / "received.txt").write_text("Fraktur påvisas.\nIngen luxation.\n", encoding="utf-8")
    made = _cli("incident", "new", "--sent", "sent.txt", "--received", "received.txt", "-o", "cases", cwd=tmp_path)
    assert made.returncode == 1, made.stderr
    (case,) = (tmp_path / "cases").glob("*.json")
    state = tmp_path / "seen-ids.txt"
    peer = f"cmd:{sys.executable} {TESTS / 'peers.py'} converter --lossy --dedupe {state}"
    tables = []
    for _run in range(2):
        explored = _cli("explore", str(case), "--target", peer, cwd=tmp_path)
        assert explored.returncode == 1, explored.stdout + explored.stderr
        rows = [line for line in explored.stdout.splitlines() if line.startswith(("the ", "same ", "other ", "a ",
                                                                                  "in ", "after "))]
        assert rows and not [r for r in rows if "system error" in r or " error " in r], explored.stdout
        tables.append(explored.stdout)
    ids = state.read_text(encoding="utf-8").split()
    assert len(ids) == len(set(ids)) >= 2 * 5  # every send of both runs had its own id, and the peer saw them all
    assert json.loads(case.read_text(encoding="utf-8"))["kinds"] == ["negation-dropped"]


@pytest.mark.parametrize("repeat", [False, True])
def test_the_dedupe_peer_really_refuses_a_repeat(tmp_path: Path, repeat: bool) -> None:
    # The peer used above must be able to fail the test: the same id twice is refused.
    state = tmp_path / "seen.txt"
    env = dict(os.environ, JOURNAL_FUZZ_UID="jf-same-id")
    cmd = [sys.executable, str(TESTS / "peers.py"), "converter", "--dedupe", str(state)]
    first = subprocess.run(cmd, input=b"Ingen feber.", capture_output=True, env=env, check=False, timeout=60)
    assert first.returncode == 0
    if repeat:
        again = subprocess.run(cmd, input=b"Ingen feber.", capture_output=True, env=env, check=False, timeout=60)
        assert again.returncode == 3 and b"duplicate message id" in again.stderr
