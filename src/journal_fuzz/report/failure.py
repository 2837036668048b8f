"""Failure text people can act on: the clinical finding first, then the minimal case, the seed and a replay line."""

from __future__ import annotations

from typing import Any

from journal_fuzz.oracle import Finding, Verdict
from journal_fuzz.wording import clip, sentence_at

__all__ = ["failure_message", "failures_message", "headline"]

def headline(finding: Finding, sent_text: str, received_text: str) -> str:
    """One line: kind, severity, the sentence as sent and as received, what changed and which concept flipped."""
    sent_sentence = sentence_at(sent_text, finding.sent_offset)
    received_sentence = sentence_at(received_text, finding.received_offset) if received_text else ""
    where = f" at {finding.path}" if finding.path else ""
    out = (f"{finding.kind}, {finding.severity}{where}: '{clip(sent_sentence, 100)}' came back as "
           f"'{clip(received_sentence, 100)}'")
    changed = []
    if finding.sent_text and finding.received_text:
        changed.append(f"'{clip(finding.sent_text, 40)}' became '{clip(finding.received_text, 40)}'")
    elif finding.sent_text:
        changed.append(f"'{clip(finding.sent_text, 40)}' lost")
    elif finding.received_text:
        changed.append(f"'{clip(finding.received_text, 40)}' added")
    polarity = [c for c in finding.concepts if c.term] or finding.concepts
    if polarity:
        c = polarity[0]
        changed.append(f"concept '{c.concept}' {c.sent} → {c.received}")
    elif finding.concept:
        changed.append(f"concept '{finding.concept}'")
    return out + (" — " + ", ".join(changed) if changed else "")


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines()) if text else prefix + "(nothing)"


def failure_message(*, verdict: Verdict, sent: str, received: str, what: str, item: str, seed: int | None,
                    target: str, case_path: str | None, replay: str | None, nondeterministic: bool = False,
                    reruns: list[Any] | None = None, finding: Finding | None = None, reduction: str | None = None,
                    seen: str | None = None) -> str:
    """The whole failure text for one word loss (``finding``: the one it is about, by default the first;
    ``reduction`` and ``seen``: one line each on how the case was reduced and how often the loss was met)."""
    first = finding or verdict.findings[0]
    lines = []
    if nondeterministic:
        lines.append("nondeterministic word loss: the minimal case lost words once and came back intact when "
                     "sent again on its own")
    lines.append(headline(first, sent, received))
    if seen:
        lines.append(seen)
    lines.append("")
    lines.append(f"minimal {what} ({len(sent)} characters):" if not reduction or "NOT FULLY" not in reduction
                 else f"smallest {what} so far ({len(sent)} characters, not fully reduced):")
    lines.append(_indent(sent))
    lines.append("came back as:")
    lines.append(_indent(received))
    if nondeterministic and reruns:
        lines.append("sent again on its own, it came back as:")
        for r in reruns:
            lines.append(_indent(r if isinstance(r, str) else str(r)))
    lines.append("")
    lines.append(verdict.explain())
    lines.append("")
    lines.append(f"finding kinds: {', '.join(verdict.kinds)}")
    if reduction:
        lines.append(reduction)
    lines.append(f"property: {item}   seed: {seed if seed is not None else '(derandomised)'}   target: {target}")
    if case_path:
        lines.append(f"case saved: {case_path}")
    if replay:
        lines.append(f"replay: {replay}")
    return "\n".join(lines)


def failures_message(item: str, messages: list[str]) -> str:
    """The failure text for an item with several distinct losses: how many, then each one's own text (each with its
    minimal case and replay line), numbered."""
    if len(messages) == 1:
        return messages[0]
    out = [f"{len(messages)} distinct word losses in {item} (each with its own minimal case):"]
    for n, message in enumerate(messages, 1):
        out += ["", f"── loss {n} of {len(messages)} " + "─" * 40, message]
    return "\n".join(out)
