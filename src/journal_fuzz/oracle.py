"""The word-loss oracle: did the received text keep every clinical word of the sent one?

``compare`` aligns the two token streams (``align``), classifies every difference into the most specific kind,
and then, the part no diff tool has, works out for every word in the changed sentences whether it is affirmed,
negated or uncertain, and on which side, in both texts (``negation``). A word whose polarity or side differs is
named, even when every word is still there (a moved negation, a lost full stop that widens a scope).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from journal_fuzz.align import Opcode, align, aligned_pairs, slide
from journal_fuzz.constants import LANGUAGES
from journal_fuzz.kinds import (
    CRITICAL,
    HEDGE_CHANGED,
    KINDS,
    LATERALITY_CHANGED,
    MAJOR,
    MINOR,
    NEGATION_ADDED,
    NEGATION_DROPPED,
    NUMBER_CHANGED,
    REORDERED,
    SEVERITIES,
    UNIT_CHANGED,
    HunkFacts,
    classify,
    kind_for_change,
    severity_rank,
)
from journal_fuzz.lexicon import (
    DRUG,
    HEDGE_POST,
    HEDGE_PRE,
    NEG_POST,
    NEG_PRE,
    PSEUDO,
    SIDE,
    TERM,
    UNIT,
    Lexicon,
    Match,
    load_lexicon,
)
from journal_fuzz.negation import Analysis
from journal_fuzz.notes import Note
from journal_fuzz.text import Policy, Tokens, benign_equal, tokenize
from journal_fuzz.wording import oneline

__all__ = ["KINDS", "SEVERITIES", "ConceptChange", "Finding", "Verdict", "compare", "detect_language"]

_CRITICAL_ROLES = frozenset({NEG_PRE, NEG_POST, PSEUDO, HEDGE_PRE, HEDGE_POST, SIDE, UNIT, DRUG, TERM})
_COMPARATORS = frozenset({"<", ">", "≤", "≥", "±", "≦", "≧", "⩽", "⩾", "="})
_NUMBER_JOINERS = frozenset({"/", "-", "–", "−", "x", "×", "^", ":", "*"})
_SIGNS = frozenset({"-", "−", "+", "±"})
_CONTEXT_TOKENS = 5
_EXPLAIN_LIMIT = 50
_MOVE_DISTANCE = 60
# Characters a UTF-8 lead byte becomes when the bytes are read as Latin-1 or Windows-1252.
# (Â Ã for Latin-1 letters and µ, Ì Í for combining accents, Î Ï for Greek μ, â for ≤ ≥ – €, ð for emoji)
# or replacement characters.
_MOJIBAKE_LEADS = frozenset("ÂÃÌÍÎÏÐÑâð\ufffd?")
_CP1252_EXTRAS = frozenset("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ")
_SV_MARKERS = frozenset(
    "och är inte ej med på för har av till som utan ingen inga inget vid hö vä pat patienten sedan nu "
    "dagar ua förnekar".split())
_EN_MARKERS = frozenset(
    "the and is not with of for has no to was without denies patient none are were this on in at".split())


@dataclass(frozen=True)
class ConceptChange:
    """A word whose polarity or side differs between sent and received."""

    concept: str
    aspect: str
    """``polarity`` or ``side``."""
    sent: str
    received: str
    sent_offset: int
    term: bool
    """True when the concept is a lexicon term, not just a word in the changed scope."""

    def to_dict(self) -> dict[str, Any]:
        return {"concept": self.concept, "aspect": self.aspect, "sent": self.sent, "received": self.received,
                "sent_offset": self.sent_offset, "term": self.term}

    def describe(self) -> str:
        return f"'{self.concept}' {self.sent} → {self.received}"


@dataclass
class Finding:
    """One clinically described difference between what was sent and what came back."""

    kind: str
    severity: str
    sent_text: str
    """The changed words as sent (empty for an insertion)."""
    received_text: str
    """The changed words as received (empty for a deletion)."""
    sent_offset: int
    received_offset: int
    concept: str | None
    explanation: str
    sent_context: str = ""
    """A few words either side in the sent text, the changed words marked ``[-like this-]``."""
    received_context: str = ""
    """The same place in the received text, added words marked ``{+like this+}``."""
    path: str | None = None
    """Where in a FHIR resource the text lives, for findings from ``compare_resources``."""
    concepts: list[ConceptChange] = field(default_factory=list)
    sent_spans: list[tuple[int, int]] = field(default_factory=list)
    """The character spans of the sent text this finding is about: what a report marks as lost."""
    received_spans: list[tuple[int, int]] = field(default_factory=list)
    """The character spans of the received text this finding is about: what a report marks as added."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "severity": self.severity, "concept": self.concept,
            "sent_text": self.sent_text, "received_text": self.received_text,
            "sent_offset": self.sent_offset, "received_offset": self.received_offset,
            "sent_context": self.sent_context, "received_context": self.received_context,
            "explanation": self.explanation, "path": self.path,
            "concepts": [c.to_dict() for c in self.concepts],
            "sent_spans": [list(sp) for sp in self.sent_spans],
            "received_spans": [list(sp) for sp in self.received_spans],
        }

    def headline(self) -> str:
        concept = f" [{self.concept}]" if self.concept else ""
        where = f" at {self.path}" if self.path else ""
        return f"{self.kind}, {self.severity}{concept}{where}: {self.explanation}"


@dataclass
class Verdict:
    """The oracle's answer. ``ok`` is True when nothing at or above the policy's ``fail_on`` changed."""

    findings: list[Finding]
    language: str
    policy: Policy = field(default_factory=Policy)

    @property
    def ok(self) -> bool:
        limit = severity_rank(self.policy.fail_on)
        return not any(severity_rank(f.severity) <= limit for f in self.findings)

    @property
    def kinds(self) -> list[str]:
        """Distinct finding kinds in order of first appearance."""
        return list(dict.fromkeys(f.kind for f in self.findings))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "language": self.language,
            "summary": {
                "findings": len(self.findings),
                "by_kind": dict(Counter(f.kind for f in self.findings)),
                "by_severity": dict(Counter(f.severity for f in self.findings)),
            },
            "findings": [f.to_dict() for f in self.findings],
        }

    def explain(self, limit: int = _EXPLAIN_LIMIT) -> str:
        """A report a clinician can read: per finding the kind, the concept and the changed words."""
        if not self.findings:
            return "kept: every clinical word came back unchanged."
        counts = Counter(f.severity for f in self.findings)
        parts = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
        verdict = "kept (only minor differences)" if self.ok else "CHANGED"
        lines = [f"{verdict}: {len(self.findings)} finding{'s' if len(self.findings) != 1 else ''} ({parts})"]
        for n, f in enumerate(self.findings[:limit], 1):
            lines.append("")
            lines.append(f"{n}. {f.headline()}")
            lines.append(f"   sent:     {f.sent_context}")
            lines.append(f"   received: {f.received_context}")
        if len(self.findings) > limit:
            lines.append("")
            lines.append(f"... and {len(self.findings) - limit} more findings")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
def detect_language(text: str) -> str:
    """Swedish or English, by function words and å/ä/ö; Swedish when in doubt."""
    words = re.findall(r"[^\W\d_]+", text[:20000].casefold())
    sv = sum(1 for w in words if w in _SV_MARKERS) + 2 * sum(text.count(c) for c in "åäöÅÄÖ")
    en = sum(1 for w in words if w in _EN_MARKERS)
    return "en" if en > sv else "sv"


def compare(sent: str | Note, received: str, language: str = "auto", *, policy: Policy | None = None,
            lexicon: Lexicon | None = None, lexicons: Sequence[str | os.PathLike[str]] = ()) -> Verdict:
    """Compare what was sent with what came back and say, clinically, what changed.

    ``sent`` may be plain text or a generated :class:`~journal_fuzz.notes.Note`; ``language`` is ``"sv"``,
    ``"en"`` or ``"auto"``. Benign differences (see :class:`~journal_fuzz.text.Policy`) are never findings.
    ``lexicons`` are site lexicon files merged over the packaged one (``lexicon``, when given, is used as is).
    """
    if isinstance(sent, Note):
        sent_text = sent.text
        if language == "auto":
            language = sent.language
    elif isinstance(sent, str):
        sent_text = sent
    else:
        raise TypeError(f"sent must be str or Note, not {type(sent).__name__}")
    if not isinstance(received, str):
        raise TypeError(f"received must be str, not {type(received).__name__}")
    if language == "auto":
        language = lexicon.language if lexicon is not None else detect_language(sent_text)
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)} or 'auto'")
    policy = policy or Policy()
    if benign_equal(sent_text, received, policy):  # identical, or only benign differences: nothing to align
        return Verdict([], language, policy)
    lexicon = lexicon or load_lexicon(language, lexicons)
    ts = tokenize(sent_text, policy)
    tr = tokenize(received, policy)
    if ts.keys == tr.keys:
        return Verdict([], language, policy)
    return Verdict(_Comparison(ts, tr, lexicon, language).run(), language, policy)


# ---------------------------------------------------------------------------------------------------------
@dataclass
class _Hunk:
    i1: int
    i2: int
    j1: int
    j2: int
    s_idx: list[int]
    r_idx: list[int]
    changes: list[tuple[int, int, ConceptChange]] = field(default_factory=list)
    lent: bool = False
    """Some of this hunk's words were moved elsewhere (and are reported by the move hunk that took them)."""
    is_move: bool = False
    """This hunk is a reordering: ``s_idx`` words reappear at ``r_idx``."""
    truncated: bool = False
    """The received text ends where this hunk starts: everything after was lost."""


def _is_word(key: str) -> bool:
    return key[:1].isalpha()


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _skeleton(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c != "?").casefold()


def _encoding_damage(s: str, r: str) -> str | None:
    """How ``r`` looks like ``s`` after an encoding accident, or None.

    The accident happened to the bytes as sent, so ``s`` is tried as it was (decomposed letters, no-break
    spaces and all) and in NFC.
    """
    r_c = " ".join(unicodedata.normalize("NFC", r).split())
    r_n = r_c.casefold()
    forms = dict.fromkeys((s, unicodedata.normalize("NFC", s)))
    if all(f.isascii() for f in forms) or _squash(s) == r_n:
        return None
    for form in forms:
        for desc, codec, errors in (("UTF-8 bytes read as Windows-1252", "cp1252", "replace"),
                                    ("UTF-8 bytes read as Latin-1", "latin-1", "strict")):
            if _squash(form.encode("utf-8").decode(codec, errors)) == r_n:
                return desc
        if _squash(form.encode("ascii", "ignore").decode()) == r_n:
            return "characters outside ASCII dropped"
        if _squash(form.encode("ascii", "replace").decode()) == r_n:
            return "characters outside ASCII replaced by '?'"
        if _squash("".join(c if c.isascii() else "\ufffd" for c in form)) == r_n:
            return "characters replaced by U+FFFD"
    s_c = " ".join(unicodedata.normalize("NFC", s).split())
    if _squash(_strip_marks(s_c)) == r_n:
        return "diacritics stripped"
    if _skeleton(s_c) == _skeleton(r_c) and all(c.isascii() or 0x80 <= ord(c) <= 0xFF or c in _CP1252_EXTRAS
                                                or c == "\ufffd" for c in r_c) \
            and (r_c.isascii() or any(c in _MOJIBAKE_LEADS for c in r_c)):
        return "characters outside ASCII lost or garbled"
    return None


class _Comparison:
    def __init__(self, ts: Tokens, tr: Tokens, lexicon: Lexicon, language: str) -> None:
        self.ts, self.tr = ts, tr
        self.lexicon = lexicon
        self.language = language
        self.sa = Analysis(ts, lexicon)
        self.ra = Analysis(tr, lexicon)
        self.ops: list[Opcode] = align(ts.keys, tr.keys)
        slide(self.ops, ts.keys, tr.keys, self.sa.is_sentence_start, self.ra.is_sentence_start)
        self.a2b, self.b2a = aligned_pairs(self.ops, len(ts), len(tr))

    # -- driver ---------------------------------------------------------------------------------------------
    def run(self) -> list[Finding]:
        cut = self._truncation()
        if cut is not None:
            hunks = [cut]
        else:
            hunks = [_Hunk(i1, i2, j1, j2, list(range(i1, i2)), list(range(j1, j2)))
                     for tag, i1, i2, j1, j2 in self.ops if tag != "equal"]
            hunks.extend(self._moves(hunks))
        standalone = self._attach_concepts(hunks)
        findings: list[Finding] = []
        for h in hunks:
            if h.is_move:
                findings.append(self._move_finding(h))
            elif h.s_idx or h.r_idx:
                findings.append(self._classify(h))
        findings.extend(standalone)
        findings.sort(key=lambda f: (f.sent_offset, f.received_offset))
        return findings

    def _truncation(self) -> _Hunk | None:
        """When the received text is a strict prefix of the sent one, one hunk from the cut to the end."""
        s_join = "".join(self.ts.keys)
        r_join = "".join(self.tr.keys)
        if len(r_join) >= len(s_join) or not s_join.startswith(r_join):
            return None
        ks, kr = self.ts.keys, self.tr.keys
        acc = k = 0
        while k < len(ks) and acc + len(ks[k]) <= len(r_join):
            acc += len(ks[k])
            k += 1
        acc_r = j = 0
        while j < len(kr) and acc_r + len(kr[j]) <= acc:
            acc_r += len(kr[j])
            j += 1
        return _Hunk(k, len(ks), j, len(kr), list(range(k, len(ks))), list(range(j, len(kr))), truncated=True)

    # -- token facts ----------------------------------------------------------------------------------------
    def _role(self, side: Analysis, i: int) -> str | None:
        m = side.match_at(i)
        return m.entry.role if m is not None else None

    def _numberish(self, side: Analysis, i: int) -> bool:
        """Whether token ``i`` is part of a written quantity (a number, its sign, "130/80"), not of a name."""
        tok = side.tokens
        k = tok.keys[i]
        if self._role(side, i) in (UNIT, TERM, DRUG):  # "HbA1c", "10^9/L", "B12" are words that hold digits
            return False
        if any(c.isdigit() for c in k) or k in _COMPARATORS:
            return True
        if k[:1].isalnum():
            return False
        keys = tok.keys
        before = i > 0 and tok.adjacent(i - 1) and keys[i - 1][:1].isdigit()
        after = tok.adjacent(i) and keys[i + 1][:1].isdigit()
        if k in _NUMBER_JOINERS and before and after:
            return True
        return k in _SIGNS and after and not (i > 0 and tok.adjacent(i - 1) and keys[i - 1][:1].isalnum())

    def _critical(self, side: Analysis, idx: Iterable[int]) -> bool:
        return any(self._role(side, i) in _CRITICAL_ROLES or self._numberish(side, i) for i in idx)

    # -- moves ----------------------------------------------------------------------------------------------
    def _moves(self, hunks: list[_Hunk]) -> list[_Hunk]:
        """Pair a deletion with an insertion of the same words nearby: a reordering, not a loss plus a gain."""
        moves: list[_Hunk] = []
        ks, kr = self.ts.keys, self.tr.keys
        for ins in hunks:
            if ins.s_idx or not ins.r_idx:
                continue
            moved = [kr[j] for j in ins.r_idx]
            n = len(moved)
            for other in hunks:
                if other is ins or not other.s_idx or abs(other.i1 - ins.i1) > _MOVE_DISTANCE:
                    continue
                keys = [ks[i] for i in other.s_idx]
                at = next((p for p in range(len(keys) - n + 1) if keys[p:p + n] == moved), -1)
                if at < 0:
                    continue
                taken = other.s_idx[at:at + n]
                other.s_idx = other.s_idx[:at] + other.s_idx[at + n:]
                other.lent = True
                moves.append(_Hunk(taken[0], taken[-1] + 1, ins.j1, ins.j2, taken, ins.r_idx, is_move=True))
                ins.r_idx = []
                ins.lent = True
                break
        # The mirror image: words inserted inside a replaced stretch, deleted elsewhere.
        for dele in hunks:
            if dele.r_idx or not dele.s_idx or dele.lent:
                continue
            moved = [ks[i] for i in dele.s_idx]
            n = len(moved)
            for other in hunks:
                if other is dele or not other.r_idx or abs(other.i1 - dele.i1) > _MOVE_DISTANCE:
                    continue
                keys = [kr[j] for j in other.r_idx]
                at = next((p for p in range(len(keys) - n + 1) if keys[p:p + n] == moved), -1)
                if at < 0:
                    continue
                placed = other.r_idx[at:at + n]
                other.r_idx = other.r_idx[:at] + other.r_idx[at + n:]
                other.lent = True
                moves.append(_Hunk(dele.i1, dele.i2, placed[0], placed[-1] + 1, dele.s_idx, placed, is_move=True))
                dele.s_idx = []
                dele.lent = True
                break
        return moves

    def _move_finding(self, h: _Hunk) -> Finding:
        ts, tr = self.ts, self.tr
        taken, ins = h.s_idx, h
        words = ts.original(taken[0], taken[-1] + 1)
        critical = self._critical(self.sa, taken) or bool(h.changes)
        anchor_before = ts.original(taken[0] - 1, taken[0]) if taken[0] > 0 else ""
        explanation = f"'{words}' moved"
        if anchor_before:
            explanation += f" from after '{anchor_before}'"
        j = ins.r_idx[0] if ins.r_idx else ins.j1
        if j > 0:
            explanation += f" to after '{tr.original(j - 1, j)}'"
        else:
            explanation += " to the start"
        explanation += "; word order carries meaning in a clinical sentence"
        if h.changes:
            explanation += f"; {self._listed([c for _t, _u, c in h.changes])}"
        a, _b = ts.span(taken[0], taken[-1] + 1)
        ra, _rb = tr.span(ins.r_idx[0], ins.r_idx[-1] + 1) if ins.r_idx else tr.span(ins.j1, ins.j1)
        return Finding(
            kind=REORDERED, severity=CRITICAL if critical else MAJOR,
            sent_text=words, received_text=tr.original(ins.r_idx[0], ins.r_idx[-1] + 1) if ins.r_idx else "",
            sent_offset=a, received_offset=ra,
            concept=self._lead_concept(h.changes).concept if h.changes else self._concept_name(self.sa, taken),
            explanation=explanation, concepts=[c for _t, _u, c in h.changes],
            sent_context=self._context(ts, taken[0], taken[-1] + 1, "-"),
            received_context=self._context(tr, ins.r_idx[0], ins.r_idx[-1] + 1, "+") if ins.r_idx else "",
            sent_spans=self._spans(ts, taken), received_spans=self._spans(tr, ins.r_idx),
        )

    # -- concepts -------------------------------------------------------------------------------------------
    def _windows(self, side: Analysis, ranges: Iterable[tuple[int, int]]) -> list[int]:
        n = len(side.tokens)
        seen: set[int] = set()
        out: list[int] = []
        for lo, hi in ranges:
            a = max(0, lo - 1)
            b = min(n, hi + 1)
            t = a
            while t < b:
                start, end = side.sentence_bounds(t)
                if start not in seen:
                    seen.add(start)
                    out.extend(range(start, end))
                t = end
        return out

    def _attach_concepts(self, hunks: list[_Hunk]) -> list[Finding]:
        pairs: set[tuple[int, int]] = set()
        for t in self._windows(self.sa, ((h.i1, h.i2) for h in hunks)):
            if self.a2b[t] >= 0:
                pairs.add((t, self.a2b[t]))
        for u in self._windows(self.ra, ((h.j1, h.j2) for h in hunks)):
            if self.b2a[u] >= 0:
                pairs.add((self.b2a[u], u))
        changes: list[tuple[int, int, ConceptChange]] = []
        done_terms: set[tuple[int, str]] = set()
        ks = self.ts.keys
        for t, u in sorted(pairs):
            if not _is_word(ks[t]) or self.sa.is_cue(t) or self.ra.is_cue(u):
                continue
            ss, rs = self.sa.status(t), self.ra.status(u)
            m = self.sa.match_at(t)
            is_term = m is not None and m.entry.role in (TERM, DRUG)
            concept = m.entry.value if is_term and m is not None else ks[t]
            anchor = m.start if is_term and m is not None else t
            offset = self.ts.span(anchor, anchor + 1)[0]
            if ss.polarity != rs.polarity and (anchor, "polarity") not in done_terms:
                done_terms.add((anchor, "polarity"))
                changes.append((t, u, ConceptChange(concept, "polarity", ss.polarity, rs.polarity, offset,
                                                    is_term)))
            if is_term:
                s_side, r_side = self.sa.side(t), self.ra.side(u)
                if s_side != r_side and (anchor, "side") not in done_terms and self._side_words_changed(t, u):
                    done_terms.add((anchor, "side"))
                    changes.append((t, u, ConceptChange(concept, "side", s_side or "none", r_side or "none",
                                                        offset, True)))
        orphans: dict[int, list[tuple[int, int, ConceptChange]]] = {}
        for t, u, change in changes:
            hunk = self._cause(hunks, t, u)
            if hunk is not None:
                hunk.changes.append((t, u, change))
            else:
                orphans.setdefault(self.sa.sentence_bounds(t)[0], []).append((t, u, change))
        return [self._concept_finding(group) for group in orphans.values()]

    def _side_words_changed(self, t: int, u: int) -> bool:
        """A side change counts when a side word was lost, added or swapped, not when a dropped filler word
        only moved a side word in or out of a term's reach."""
        ks, kr = self.sa.side_token(t), self.ra.side_token(u)
        if ks is not None and self.a2b[ks] < 0:
            return True
        if kr is not None and self.b2a[kr] < 0:
            return True
        return ks is not None and kr is not None and self.a2b[ks] != kr

    def _cause(self, hunks: list[_Hunk], t: int, u: int) -> _Hunk | None:
        s0, s1 = self.sa.sentence_bounds(t)
        r0, r1 = self.ra.sentence_bounds(u)
        best: tuple[int, _Hunk] | None = None
        for h in hunks:
            if not (h.s_idx or h.r_idx):
                continue
            in_sent = h.i1 <= s1 and h.i2 >= s0 and (h.i1 < s1 or h.i1 == h.i2)
            in_recv = h.j1 <= r1 and h.j2 >= r0 and (h.j1 < r1 or h.j1 == h.j2)
            if not (in_sent or in_recv):
                continue
            distance = min(abs(h.i1 - t), abs(h.i2 - 1 - t))
            if best is None or distance < best[0]:
                best = (distance, h)
        return best[1] if best else None

    def _concept_name(self, side: Analysis, idx: Sequence[int]) -> str | None:
        for i in idx:
            m = side.match_at(i)
            if m is not None and m.entry.role in (TERM, DRUG):
                return m.entry.value
        return None

    def _nearest_term(self, side: Analysis, i: int) -> str | None:
        start, end = side.sentence_bounds(i)
        terms = [m for m in side.matches(start, end) if m.entry.role in (TERM, DRUG)]
        if not terms:
            return None
        return min(terms, key=lambda m: min(abs(m.start - i), abs(m.end - 1 - i))).entry.value

    def _subject(self, side: Analysis, i: int) -> str | None:
        """The drug or lab term a dose or value belongs to: the nearest one before it in its sentence."""
        start, _end = side.sentence_bounds(i)
        best: str | None = None
        for m in side.matches(start, i):
            if m.entry.role in (TERM, DRUG) and m.end <= i:
                best = m.entry.value
        return best

    def _lead_concept(self, changes: Sequence[tuple[int, int, ConceptChange]]) -> ConceptChange:
        """The change to headline: a polarity change before a side change, a lexicon term before a word."""
        ranked = sorted(changes, key=lambda item: (item[2].aspect != "polarity", not item[2].term,
                                                   len(item[2].concept) < 4))
        return ranked[0][2]

    def _concept_finding(self, group: list[tuple[int, int, ConceptChange]]) -> Finding:
        lead = self._lead_concept(group)
        t, u = next((t, u) for t, u, c in group if c is lead)
        group = sorted(group, key=lambda item: item[2] is not lead)
        kind = _change_kind(lead)
        listed = self._listed([c for _t, _u, c in group])
        explanation = (f"{listed}, though every word is still there: the sentence's structure (punctuation or "
                       f"word order) changed which words a cue governs")
        return Finding(
            kind=kind, severity=CRITICAL, sent_text=self.ts.original(t, t + 1),
            received_text=self.tr.original(u, u + 1), sent_offset=self.ts.span(t, t + 1)[0],
            received_offset=self.tr.span(u, u + 1)[0], concept=lead.concept, explanation=explanation,
            sent_context=self._context(self.ts, t, t + 1, "-"),
            received_context=self._context(self.tr, u, u + 1, "+"),
            concepts=[c for _t, _u, c in group],
            sent_spans=self._spans(self.ts, [t]), received_spans=self._spans(self.tr, [u]),
        )

    @staticmethod
    def _listed(changes: Sequence[ConceptChange]) -> str:
        terms = [c for c in changes if c.term] or list(changes)
        shown = "; ".join(c.describe() for c in terms[:4])
        if len(terms) > 4:
            shown += f"; and {len(terms) - 4} more"
        return shown

    # -- classification -------------------------------------------------------------------------------------
    def _classify(self, h: _Hunk) -> Finding:
        """The finding for one changed stretch: gather the facts, let the registry's rules name the kind."""
        ts, tr, sa, ra = self.ts, self.tr, self.sa, self.ra
        S, R = h.s_idx, h.r_idx
        # Words moved out of this stretch are reported by their move; show only what stayed.
        s_text = (" ".join(ts.original(i, i + 1) for i in S) if h.lent else ts.original(S[0], S[-1] + 1)) \
            if S else ""
        r_text = tr.original(R[0], R[-1] + 1) if R else ""
        s_keys = [ts.keys[i] for i in S]
        r_keys = [tr.keys[j] for j in R]
        critical = self._critical(sa, S) or self._critical(ra, R) or bool(h.changes)
        words = any(_is_word(k) or k[:1].isdigit() for k in s_keys + r_keys)
        damage = _encoding_damage(s_text, r_text) if S else None
        if damage is None:
            # "°C" -> "Â°C" inserts a token, "a\u00a0b" -> "aÂ\u00a0b" damages the space between two words:
            # judge the stretch with its neighbours and the whitespace around it.
            lo, hi = max(0, h.i1 - 1), min(len(ts), h.i2 + 1)
            rlo, rhi = max(0, h.j1 - 1), min(len(tr), h.j2 + 1)
            damage = _encoding_damage(ts.original(lo, hi), tr.original(rlo, rhi))
        changes = [c for _t, _u, c in h.changes]
        lead = self._lead_concept(h.changes) if h.changes else None
        facts = HunkFacts(
            language=self.language, sent_text=s_text, received_text=r_text, sent_keys=s_keys, received_keys=r_keys,
            sent_matches=self._matches(sa, S), received_matches=self._matches(ra, R),
            sent_numbers=[k for i, k in zip(S, s_keys, strict=True) if self._numberish(sa, i)],
            received_numbers=[k for j, k in zip(R, r_keys, strict=True) if self._numberish(ra, j)],
            sent_roles=[self._role(sa, i) for i in S],
            base_severity=CRITICAL if critical else (MAJOR if words else MINOR), damage=damage,
            whole_sentences=bool(S) and not R and sa.sentence_bounds(S[0])[0] == S[0]
            and sa.sentence_bounds(S[-1])[1] == S[-1] + 1,
            truncated=h.truncated, kept_tail=tr.original(max(0, len(tr) - 4), len(tr)) if len(tr) else "",
            changes=changes, change_kind=_change_kind(lead) if lead is not None else None)
        verdict = classify(facts)
        kind, severity, explanation = verdict.kind, verdict.severity, verdict.explanation
        concept = lead.concept if lead is not None else self._concept_name(sa, S)
        if concept is None and kind in (NUMBER_CHANGED, UNIT_CHANGED) and S:
            concept = self._subject(sa, S[0])
        if concept is None and kind in (NEGATION_DROPPED, NEGATION_ADDED, HEDGE_CHANGED, LATERALITY_CHANGED) \
                and (S or R):
            # "Ingen förändring av abscess" -> "förändring av abscess": no polarity flips (a pseudo-negation), but
            # the reader still needs to know what the statement was about.
            concept = self._nearest_term(sa, S[0]) if S else self._nearest_term(ra, R[0])
        if changes and severity != CRITICAL:
            # Whatever the words, a change that flips a concept is critical.
            severity = CRITICAL
        if changes:
            explanation += f"; {self._listed(changes)}"
        s_lo, s_hi = (S[0], S[-1] + 1) if S else (h.i1, h.i1)
        r_lo, r_hi = (R[0], R[-1] + 1) if R else (h.j1, h.j1)
        return Finding(
            kind=kind, severity=severity, sent_text=s_text, received_text=r_text,
            sent_offset=ts.span(s_lo, s_hi)[0], received_offset=tr.span(r_lo, r_hi)[0], concept=concept,
            explanation=explanation, sent_context=self._context(ts, s_lo, s_hi, "-"),
            received_context=self._context(tr, r_lo, r_hi, "+"), concepts=changes,
            sent_spans=self._spans(ts, S),
            received_spans=self._spans(tr, R),
        )

    @staticmethod
    def _matches(side: Analysis, idx: list[int]) -> list[Match]:
        if not idx:
            return []
        want = set(idx)
        return [m for m in side.matches(idx[0], idx[-1] + 1) if want.intersection(range(m.start, m.end))]

    @staticmethod
    def _spans(tok: Tokens, idx: Sequence[int]) -> list[tuple[int, int]]:
        """Character spans of the tokens ``idx`` (in order), one per run of neighbouring tokens."""
        out: list[tuple[int, int]] = []
        run: list[int] = []
        for i in idx:
            if run and i != run[-1] + 1:
                out.append(tok.span(run[0], run[-1] + 1))
                run = []
            run.append(i)
        if run:
            out.append(tok.span(run[0], run[-1] + 1))
        return out

    @staticmethod
    def _context(tok: Tokens, lo: int, hi: int, mark: str) -> str:
        n = len(tok)
        a, _ = tok.span(max(0, lo - _CONTEXT_TOKENS), lo)
        _, b = tok.span(hi, min(n, hi + _CONTEXT_TOKENS))
        ca, cb = tok.span(lo, hi)
        text = tok.text
        before = oneline(text[a:ca])
        after = oneline(text[cb:b])
        changed = oneline(text[ca:cb])
        lead = "…" if text[:a].strip() else ""
        tail = "…" if text[b:].strip() else ""
        core = f"[{mark}{changed}{mark}]" if changed else ""
        return f"{lead}{before}{core}{after}{tail}"


def _change_kind(c: ConceptChange) -> str:
    return kind_for_change(c.aspect, c.sent, c.received)
