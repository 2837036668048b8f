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
from journal_fuzz.constants import CAPS, LANGUAGES
from journal_fuzz.kinds import (
    CRITICAL,
    ENCODING_DAMAGED,
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
    TERM_CHANGED,
    TERM_DROPPED,
    UNIT_CHANGED,
    WORD_ADDED,
    WORD_CHANGED,
    WORD_DROPPED,
    HunkFacts,
    classify,
    kind_for_change,
    severity_rank,
    side_explanation,
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
from journal_fuzz.negation import BULLETS, SIDE_WINDOW, Analysis
from journal_fuzz.notes import Note
from journal_fuzz.text import (
    Policy,
    Tokens,
    benign_equal,
    equivalent_spelling,
    invisible_difference,
    lone_surrogates,
    printable,
    tokenize,
)
from journal_fuzz.wording import clip, oneline, plural

__all__ = ["KINDS", "SEVERITIES", "ConceptChange", "Finding", "Verdict", "compare", "detect_language"]

_CRITICAL_ROLES = frozenset({NEG_PRE, NEG_POST, PSEUDO, HEDGE_PRE, HEDGE_POST, SIDE, UNIT, DRUG, TERM})
_COMPARATORS = frozenset({"<", ">", "≤", "≥", "±", "≦", "≧", "⩽", "⩾", "="})
_NUMBER_JOINERS = frozenset({"/", "-", "–", "−", "x", "×", "^", ":", "*"})
_SIGNS = frozenset({"-", "−", "+", "±"})
_RESULT_SIGNS = frozenset({"-", "−", "+"})
_GLUE = frozenset({"-", "'", "’"})
_RUN_TOKENS = 6
"""How many tokens a concept's name may span ("sickle cell crisis", "Crohn's disease")."""
_TERM_HEADLINES = frozenset({TERM_DROPPED, TERM_CHANGED, WORD_ADDED, WORD_CHANGED, WORD_DROPPED})
"""Kinds whose finding, when a side changed with the words, gets the side change as a second finding."""
_DEFAULT_POLICY = Policy()
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
    rank: int = field(default=0, compare=False, repr=False)
    """0 a lexicon term, 1 a content word the lexicon does not know, 2 a general word (what headlines first)."""

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
    return Verdict(_Comparison(ts, tr, lexicon, language, policy).run(), language, policy)


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
    def __init__(self, ts: Tokens, tr: Tokens, lexicon: Lexicon, language: str, policy: Policy) -> None:
        self.ts, self.tr = ts, tr
        self.lexicon = lexicon
        self.language = language
        self.policy = policy
        self.sa = sa = Analysis(ts, lexicon)
        self.ra = ra = Analysis(tr, lexicon)
        self.ops: list[Opcode] = align(ts.keys, tr.keys)
        slide(self.ops, ts.keys, tr.keys, sa.is_sentence_start, ra.is_sentence_start)
        self.a2b, self.b2a = a2b, b2a = aligned_pairs(self.ops, len(ts), len(tr))
        # One segmentation for both texts: a layout boundary on either side holds on both, where the words on both
        # sides of it are the same (a boundary made by a lost word is that side's own).
        sa.share(lambda i: _shared(i, a2b, sa, ra))
        ra.share(lambda j: _shared(j, b2a, ra, sa))

    # -- driver ---------------------------------------------------------------------------------------------
    def run(self) -> list[Finding]:
        cut = self._truncation()
        if cut is not None:
            hunks = [cut]
        else:
            hunks = [_Hunk(i1, i2, j1, j2, list(range(i1, i2)), list(range(j1, j2)))
                     for tag, i1, i2, j1, j2 in self.ops if tag != "equal"]
            tail = self._cut_tail()
            if tail is not None:
                k, j = tail
                hunks = [h for h in hunks if h.i1 < k] + [
                    _Hunk(k, len(self.ts), j, len(self.tr), list(range(k, len(self.ts))),
                          list(range(j, len(self.tr))), truncated=True)]
            if self.policy.markup:
                hunks = [h for h in hunks if not self._markup_only(h)]
            hunks.extend(self._moves(hunks))
        standalone = self._attach_concepts(hunks)
        findings: list[Finding] = []
        for h in hunks:
            if h.is_move:
                findings.append(self._move_finding(h))
            elif h.s_idx or h.r_idx:
                findings.extend(self._classify(h))
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
        if not any(ks[t][:1].isalnum() for t in range(k, len(ks))):
            return None  # only a final full stop: punctuation, not a cut
        return _Hunk(k, len(ks), j, len(kr), list(range(k, len(ks))), list(range(j, len(kr))), truncated=True)

    def _cut_tail(self) -> tuple[int, int] | None:
        """Where the text was cut when the system also changed words before the cut (so the received text is no
        strict prefix): after the last stretch of at least three equal words, what came back (at most two words,
        and the start of what was sent) ends the received text while words of the sent one go on. The alignment
        may match a short leftover such as the "i" of a cut-off "inte" to a later "i"; the anchor ignores that."""
        ks, kr = self.ts.keys, self.tr.keys
        anchor = next((op for op in reversed(self.ops) if op[0] == "equal" and (op[2] - op[1] >= 3 or op[1] == 0)),
                      None)
        if anchor is None:
            return None
        _, _, i2, _, j2 = anchor
        if i2 == len(ks):
            return None
        lost, kept = "".join(ks[i2:]), "".join(kr[j2:])
        if len(kr) - j2 > 2 or not lost.startswith(kept) or len(lost) - len(kept) <= 1:
            return None
        if not any(k[:1].isalnum() for k in ks[i2 + len(kr) - j2:]):
            return None
        return i2, j2

    def _cut(self, h: _Hunk) -> str:
        """Where the text was cut and how much was lost, counted in characters of the two texts as they are."""
        sent, received = self.ts.text, self.tr.text
        kept = len(received)
        lost_words = len([k for k in (self.ts.keys[i] for i in h.s_idx) if k[:1].isalnum()])
        if sent.startswith(received):
            lost, missing = sent[kept:], len(sent) - kept
        else:  # other words changed before the cut: count from where the cut stretch starts on each side
            tail = self.ts.original(h.s_idx[0], len(self.ts)) if h.s_idx else ""
            came = self.tr.original(h.r_idx[0], len(self.tr)) if h.r_idx else ""
            lost, missing = tail[len(came):] if tail.startswith(came) else tail, max(0, len(tail) - len(came))
        if not kept or not received.strip():
            return f"cut off before the first word: nothing came back of '{clip(printable(sent))}'"
        size = len(received.encode("utf-8", "surrogatepass"))
        if kept in CAPS:
            where = f"cut at {plural(kept, 'character')}, a common field cap"
        elif size in CAPS:
            where = f"cut at {plural(size, 'byte')} of UTF-8 ({plural(kept, 'character')}), a common field cap"
        else:
            where = f"cut off after '{printable(self.tr.original(max(0, len(self.tr) - 4), len(self.tr)))}' " \
                    f"({plural(kept, 'character')} kept)"
        count = plural(len(sent), "character").split(" ")[0]
        return (f"{where}: the last {plural(missing, 'character')} of {count} were lost "
                f"({plural(lost_words, 'word')}), from '{clip(printable(lost), 60)}'")

    # -- formatting that carries no words ---------------------------------------------------------------------
    def _markup_only(self, h: _Hunk) -> bool:
        """The stretch is only list bullets or numbers, heading or quote marks, or emphasis marks: what a Markdown
        renderer drops while keeping each item on its own line."""
        if not (h.s_idx or h.r_idx):
            return False
        if (self._doubled_list_number(self.ra, h.r_idx) and not h.s_idx) \
                or (self._doubled_list_number(self.sa, h.s_idx) and not h.r_idx):
            return True
        return all(self._is_markup(self.sa, i) for i in h.s_idx) and all(self._is_markup(self.ra, j) for j in h.r_idx)

    @staticmethod
    def _doubled_list_number(side: Analysis, idx: list[int]) -> bool:
        """A list number written twice at the start of a line ("2. 2. Ingen luxation"): an editor that turned the
        typed "1. " into a numbered list shows its own number before the "2. " typed on the next line. The same
        number is still there; nothing clinical was added or lost."""
        keys = side.tokens.keys
        if len(idx) != 2 or idx[1] != idx[0] + 1:
            return False
        a, b = idx
        number, mark = keys[a], keys[b]
        if not number.isdigit() or mark not in (".", ")"):
            return False
        for start in (a - 2, b + 1):
            if start >= 0 and start + 1 < len(keys) and keys[start] == number and keys[start + 1] == mark \
                    and side.list_marker(min(start, a)):
                return True
        return False

    @staticmethod
    def _is_markup(side: Analysis, i: int) -> bool:
        keys = side.tokens.keys
        n = len(keys)
        k = keys[i]
        if k and set(k) <= {"*", "_"}:
            a = b = i
            while a > 0 and set(keys[a - 1]) <= {"*", "_"} and side._glued(a - 1, a):
                a -= 1
            while b + 1 < n and set(keys[b + 1]) <= {"*", "_"} and side._glued(b, b + 1):
                b += 1
            left = a > 0 and side._glued(a - 1, a) and keys[a - 1][:1].isalnum()
            right = b + 1 < n and side._glued(b, b + 1) and keys[b + 1][:1].isalnum()
            if left != right:
                return True
        if k == "#":
            j = i
            while j > 0 and keys[j - 1] == "#" and side._glued(j - 1, j):
                j -= 1
            return side.list_marker(j)
        if k == ">" and i + 1 < n and keys[i + 1][:1].isdigit():
            # "> 38,5" at the start of a line is a comparison sign a Markdown reader takes for a quote: its loss
            # is a changed value, never formatting.
            return False
        if k in BULLETS or k == ">":
            return side.list_marker(i)
        if k in (".", ")") and i > 0 and keys[i - 1].isdigit() and side._glued(i - 1, i):
            i -= 1
            k = keys[i]
        if k.isdigit() and side.list_marker(i):
            # A number starts a list item only in a numbered list: another numbered item nearby.
            return any(t != i and keys[t].isdigit() and side.list_marker(t)
                       for t in range(max(0, i - 80), min(n, i + 80)))
        return False

    # -- token facts ----------------------------------------------------------------------------------------
    def _role(self, side: Analysis, i: int) -> str | None:
        m = side.match_at(i)
        return m.entry.role if m is not None else None

    def _numberish(self, side: Analysis, i: int) -> bool:
        """Whether token ``i`` is part of a written quantity (a number, its sign, "130/80", a result sign after a
        test, a number in words), not of a name."""
        tok = side.tokens
        k = side.key(i)
        role = self._role(side, i)
        if role in (UNIT, TERM, DRUG):  # "HbA1c", "10^9/L", "B12" are words that hold digits
            return False
        if any(c.isdigit() for c in k) or k in self.lexicon.number_words:
            return True
        if k[:1].isalnum():
            return False
        keys = tok.keys
        n = len(keys)
        if k in _COMPARATORS:
            # "<5", "≤ 5", "<=5": a comparator before a number; not "<p>" or "a = b".
            q = i + 1
            while q < n and (tok.is_space(q) or keys[q] in _COMPARATORS) and q - i <= 3:
                q += 1
            return q < n and keys[q][:1].isdigit()
        before = i > 0 and tok.adjacent(i - 1) and keys[i - 1][:1].isdigit()
        after = tok.adjacent(i) and keys[i + 1][:1].isdigit()
        if k in _NUMBER_JOINERS and before and after:
            return True
        if k in _SIGNS and after and not (i > 0 and tok.adjacent(i - 1) and keys[i - 1][:1].isalnum()):
            return True
        if k in _RESULT_SIGNS and role is None and i > 0 and (keys[i - 1][:1].isalnum() or keys[i - 1] in "+-)") \
                and not side.list_marker(i):
            # "Troponin T +", "Strep A -", "leukocyter 1+": a test result, unless a word follows on the same line.
            nxt = i + 1
            while nxt < n and tok.is_space(nxt):
                nxt += 1
            return nxt >= n or not keys[nxt][:1].isalnum() or tok.breaks_line(i, nxt)
        return False

    def _critical(self, side: Analysis, idx: Sequence[int]) -> bool:
        own = {id(m) for m in self._matches(side, list(idx))}
        return any(((m := side.match_at(i)) is not None and id(m) in own and m.entry.role in _CRITICAL_ROLES)
                   or self._numberish(side, i) for i in idx)

    # -- naming ---------------------------------------------------------------------------------------------
    def _rank(self, side: Analysis, t: int) -> int | None:
        """0 for a lexicon term, 1 for a content word the lexicon does not know, 2 for a general word; None for
        what never names a concept (function words, numbers, cues, units)."""
        m = side.match_at(t)
        if m is not None:
            return 0 if m.entry.role in (TERM, DRUG) else None
        if side.is_content(t):
            return 1
        k = side.key(t)
        if k[:1].isalpha() and k not in self.lexicon.function_words and k not in self.lexicon.number_words:
            return 2
        return None

    def _weight(self, side: Analysis, t: int) -> int | None:
        """:meth:`_rank`, but a word the lexicon does not know that only describes what follows it in an "X of Y"
        phrase ("indirekta tecken på appendicit", "secondary signs of appendicitis") weighs as a general word:
        the concept is Y."""
        rank = self._rank(side, t)
        if rank != 1:
            return rank
        _a, b = self._run(side, t)
        keys = side.tokens.keys
        n = len(keys)
        if b + 2 < n and self._rank(side, b) == 2 and keys[b + 1] in self.lexicon.function_words \
                and any(self._rank(side, u) in (0, 1) for u in range(b + 2, min(n, b + 5))):
            return 2
        return rank

    def _glue(self, side: Analysis, t: int) -> bool:
        """A hyphen or apostrophe inside a word ("T-vågor", "Crohn's")."""
        keys = side.tokens.keys
        return keys[t] in _GLUE and side._glued(t - 1, t) and side._glued(t, t + 1) \
            and keys[t - 1][:1].isalnum() and keys[t + 1][:1].isalnum()

    def _run(self, side: Analysis, t: int, allowed: set[int] | None = None) -> tuple[int, int]:
        """The run of concept words around token ``t`` (a term with the content words next to it: "intrakraniell
        blödning", "sickle cell crisis"), at most a few words, within its statement."""
        start, end = side.sentence_bounds(t)

        def ok(u: int) -> bool:
            if allowed is not None and u not in allowed:
                return False
            if side.tokens.is_space(u):
                return True
            if self._glue(side, u):
                return True
            r = self._rank(side, u)
            return (r is not None and r <= 1) or (side.key(u) == "s" and u > 0 and self._glue(side, u - 1))

        def letter(u: int) -> bool:
            # "group A", "vitamin D", "hepatit C": a capital letter closing the name.
            k = side.key(u)
            return len(k) == 1 and k.isalpha() and side.tokens.cased(u).isupper() and (allowed is None or u in allowed)

        a = b = t
        while a - 1 >= start and ok(a - 1) and b - a < _RUN_TOKENS:
            a -= 1
        while b + 1 < end and ok(b + 1) and b - a < _RUN_TOKENS:
            b += 1
        if b + 1 < end and letter(b + 1) and not side._glued(b, b + 1):
            b += 1
        if a > start and self._glue(side, a) and len(side.key(a - 1)) == 1:
            a -= 1  # "T-vågor", "B-celler"
        while a < t and (side.tokens.is_space(a) or (self._glue(side, a) and a == t - 1)):
            a += 1
        while b > t and (side.tokens.is_space(b) or self._glue(side, b)):
            b -= 1
        return a, b + 1

    def _run_name(self, side: Analysis, a: int, b: int) -> tuple[str, bool]:
        """The concept a run names, and whether the lexicon knows it. A noun phrase's head is its last word: a term
        there is named by its lemma ("förhöjt kreatinin" names kreatinin, "lower lobe pneumonia" pneumonia); a
        word the lexicon does not know there names the whole run as written ("neck stiffness", "sickle cell
        crisis")."""
        last = b - 1
        while last > a and (side.tokens.is_space(last) or len(side.key(last)) == 1):
            last -= 1  # "group A", "vitamin D": the head is the word before the letter
        m = side.match_at(last)
        if m is not None and m.entry.role in (TERM, DRUG) and m.start >= a:
            return m.entry.value, True
        known = any(self._rank(side, u) == 0 for u in range(a, b))
        return _squash(side.tokens.original(a, b)), known

    def _name(self, side: Analysis, t: int) -> tuple[str, int, bool]:
        """The concept at token ``t``: its name, the token it starts at, and whether the lexicon knows it."""
        rank = self._rank(side, t)
        if rank == 2:
            return side.key(t), t, False
        a, b = self._run(side, t)
        name, known = self._run_name(side, a, b)
        return name, a, known

    def _names(self, side: Analysis, idx: Sequence[int]) -> tuple[list[str], list[str]]:
        """The concepts among tokens ``idx`` (the changed words): every run of terms and content words, named; and
        which of them the lexicon does not know."""
        allowed = set(idx)
        names: list[str] = []
        unknown: list[str] = []
        done: set[int] = set()
        for t in idx:
            if t in done or self._rank(side, t) not in (0, 1):
                continue
            m = side.match_at(t)
            if m is not None:
                # A term, even one only partly changed ("Type [1] diabetes").
                a, b = m.start, m.end
                name, known = m.entry.value, True
            else:
                a, b = self._run(side, t, allowed)
                name, known = self._run_name(side, a, b)
            done.update(range(a, b))
            if name not in names:
                names.append(name)
                if not known:
                    unknown.append(name)
        return names, unknown

    def _nearest(self, side: Analysis, i: int, lo: int, hi: int, changed: Sequence[int] = ()) -> str | None:
        """The concept nearest token ``i`` between ``lo`` and ``hi``: one among the ``changed`` tokens first, a term
        or content word before another word."""
        best: tuple[bool, int, int, int] | None = None
        inside = set(changed)
        for t in range(lo, hi):
            rank = self._rank(side, t)
            if rank is None:
                continue
            key = (t not in inside, min(rank, 2) // 2, abs(t - i), t)
            if best is None or key < best:
                best = key
        return self._name(side, best[3])[0] if best is not None else None

    def _clause(self, side: Analysis, i: int) -> tuple[int, int]:
        """The clause around token ``i``: its statement, cut at commas and semicolons."""
        start, end = side.sentence_bounds(i)
        keys = side.tokens.keys
        lo = i
        while lo > start and keys[lo - 1] not in (",", ";"):
            lo -= 1
        hi = i
        while hi < end and keys[hi] not in (",", ";"):
            hi += 1
        return lo, hi

    def _subject(self, side: Analysis, i: int) -> str | None:
        """What a dose or value belongs to: the nearest term before it in its clause, else just after it, else the
        nearest other name ("SpO2 88%", "HIV Ab -")."""
        lo, hi = self._clause(side, i)
        for m in reversed(side.matches(lo, i)):
            if m.entry.role in (TERM, DRUG) and m.end <= i:
                return m.entry.value
        for m in side.matches(i, min(hi, i + 4)):
            if m.entry.role in (TERM, DRUG) and m.start >= i:
                return m.entry.value
        for t in range(i - 1, lo - 1, -1):
            if side.is_name(t):
                a, b = self._run_names(side, t, lo)
                if b < i and len(side.key(b)) == 1 and side.key(b).isalpha() and side.tokens.cased(b).isupper():
                    b += 1  # "Vitamin D", "Troponin T"
                return _squash(side.tokens.original(a, b))
        for t in range(i, hi):
            if side.is_name(t) and not self._numberish(side, t):
                return self._name(side, t)[0]
        return None

    def _run_names(self, side: Analysis, t: int, lo: int) -> tuple[int, int]:
        """Adjacent name-like tokens ending at ``t`` ("HIV Ab")."""
        a = t
        while a - 1 >= lo and (side.is_name(a - 1) or self._glue(side, a - 1)) and t - a < _RUN_TOKENS:
            a -= 1
        if a > lo and self._glue(side, a) and side.key(a - 1)[:1].isalpha():
            a -= 1  # "T-vågor"
        return a, t + 1

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
        changes = self._ordered(h.changes, REORDERED, h)
        if changes:
            explanation += f"; {self._listed(changes)}"
        a, _b = ts.span(taken[0], taken[-1] + 1)
        ra, _rb = tr.span(ins.r_idx[0], ins.r_idx[-1] + 1) if ins.r_idx else tr.span(ins.j1, ins.j1)
        return Finding(
            kind=REORDERED, severity=CRITICAL if critical else MAJOR,
            sent_text=words, received_text=tr.original(ins.r_idx[0], ins.r_idx[-1] + 1) if ins.r_idx else "",
            sent_offset=a, received_offset=ra,
            concept=changes[0].concept if changes else self._first_name(self.sa, taken),
            explanation=printable(explanation), concepts=changes,
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
        done: set[tuple[int, str]] = set()
        ks = self.ts.keys
        sa, ra = self.sa, self.ra
        for t, u in sorted(pairs):
            if not _is_word(ks[t]) or sa.is_cue(t) or ra.is_cue(u):
                continue
            rank = self._weight(sa, t)
            if rank is None:
                continue
            ss, rs = sa.status(t), ra.status(u)
            if ss.polarity != rs.polarity:
                name, anchor, _known = self._name(sa, t)
                if (anchor, "polarity") not in done:
                    done.add((anchor, "polarity"))
                    offset = self.ts.span(anchor, anchor + 1)[0]
                    changes.append((t, u, ConceptChange(name, "polarity", ss.polarity, rs.polarity, offset,
                                                        rank == 0, rank=rank)))
            if self._rank(sa, t) in (0, 1):
                s_side, r_side = sa.side(t), ra.side(u)
                if s_side != r_side and self._side_words_changed(t, u):
                    name, anchor, _known = self._name(sa, t)
                    if (anchor, "side") not in done:
                        done.add((anchor, "side"))
                        offset = self.ts.span(anchor, anchor + 1)[0]
                        changes.append((t, u, ConceptChange(name, "side", s_side or "none", r_side or "none",
                                                            offset, rank == 0, rank=rank)))
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

    def _first_name(self, side: Analysis, idx: Sequence[int]) -> str | None:
        names, _unknown = self._names(side, idx)
        return names[0] if names else None

    @staticmethod
    def _fits(c: ConceptChange, kind: str | None) -> bool:
        """Whether a concept change is of the kind a finding reports (a negation-dropped names what lost its
        negation, not what a side change touched)."""
        if kind == LATERALITY_CHANGED:
            return c.aspect == "side"
        if kind == NEGATION_DROPPED:
            return c.aspect == "polarity" and c.sent == "negated"
        if kind == NEGATION_ADDED:
            return c.aspect == "polarity" and c.received == "negated"
        if kind == HEDGE_CHANGED:
            return c.aspect == "polarity" and "uncertain" in (c.sent, c.received)
        return c.aspect == "polarity"

    def _ordered(self, changes: Sequence[tuple[int, int, ConceptChange]], kind: str | None,
                 h: _Hunk | None = None) -> list[ConceptChange]:
        """The changes, the one to headline first: of the finding's kind, a term or a content word before a general
        word, then in reading order (the changes of one stretch all lie in its statement)."""
        def key(item: tuple[int, int, ConceptChange]) -> tuple[bool, bool, int, int]:
            # A side belongs to the word next to it ("vänster höft", "höft sin"); a polarity is read leftmost
            # first: the first word a pre-cue governs, the subject of a post-cue's clause.
            t, u, c = item
            if c.aspect == "side":
                at = self.sa.side_token(t)
                where, mine = (t, at) if at is not None else (u, self.ra.side_token(u))
                distance = 0 if mine is None else 2 * (where - mine) - 1 if where > mine else 2 * (mine - where)
                return (not self._fits(c, kind), c.rank > 1, distance, t)
            return (not self._fits(c, kind), c.rank > 1, t, c.rank)
        return [c for _t, _u, c in sorted(changes, key=key)]

    def _lead_concept(self, changes: Sequence[tuple[int, int, ConceptChange]]) -> ConceptChange:
        """The change that decides a concept-only finding's kind: a polarity change before a side change."""
        return sorted(changes, key=lambda item: (item[2].aspect != "polarity", item[2].rank, item[0]))[0][2]

    def _concept_finding(self, group: list[tuple[int, int, ConceptChange]]) -> Finding:
        lead = self._lead_concept(group)
        kind = _change_kind(lead)
        t, u = next((t, u) for t, u, c in group if c is lead)
        ordered = self._ordered(group, kind)
        listed = self._listed(ordered)
        explanation = (f"{listed}, though every word is still there: the sentence's structure (punctuation or "
                       f"word order) changed which words a cue governs")
        return Finding(
            kind=kind, severity=CRITICAL, sent_text=self.ts.original(t, t + 1),
            received_text=self.tr.original(u, u + 1), sent_offset=self.ts.span(t, t + 1)[0],
            received_offset=self.tr.span(u, u + 1)[0], concept=ordered[0].concept, explanation=printable(explanation),
            sent_context=self._context(self.ts, t, t + 1, "-"),
            received_context=self._context(self.tr, u, u + 1, "+"),
            concepts=ordered,
            sent_spans=self._spans(self.ts, [t]), received_spans=self._spans(self.tr, [u]),
        )

    @staticmethod
    def _listed(changes: Sequence[ConceptChange]) -> str:
        shown = [c for c in changes if c.rank <= 1] or list(changes)
        text = "; ".join(c.describe() for c in shown[:4])
        if len(shown) > 4:
            text += f"; and {len(shown) - 4} more"
        return text

    # -- classification -------------------------------------------------------------------------------------
    def _hits(self, S: Sequence[int], R: Sequence[int]) -> tuple[list[str], str | None]:
        """What an encoding accident destroyed among the sent words: sides, cues and terms that no longer read as
        such; and the concept a lost side belonged to."""
        sa, ra = self.sa, self.ra
        kept = {(m.entry.role, m.entry.value) for m in self._matches(ra, list(R))}
        hits: list[str] = []
        sided: str | None = None
        for m in self._matches(sa, list(S)):
            role, value = m.entry.role, m.entry.value
            if (role, value) in kept or role not in _CRITICAL_ROLES:
                continue
            surface = self.ts.original(m.start, m.end)
            if role == SIDE:
                hits.append(f"the side '{surface}' ({value})")
                near = [t for t in range(max(0, m.start - 3), min(len(self.ts), m.end + 3))
                        if sa.side_token(t) == m.start and self._rank(sa, t) in (0, 1)]
                if near and sided is None:
                    # The word the side belongs to: the nearest, the one after it on a tie ("hö knä").
                    t = min(near, key=lambda t: (t - m.end if t >= m.end else m.start - t, t < m.start))
                    sided = self._name(sa, t)[0]
            elif role in (NEG_PRE, NEG_POST, PSEUDO):
                hits.append(f"the negation '{surface}'")
            elif role in (HEDGE_PRE, HEDGE_POST):
                hits.append(f"the uncertainty cue '{surface}'")
            elif role in (TERM, DRUG):
                hits.append(f"the clinical term '{value}'")
            elif role == UNIT:
                hits.append(f"the unit '{surface}'")
        return hits, sided

    def _classify(self, h: _Hunk) -> list[Finding]:
        """The findings for one changed stretch: gather the facts, let the registry's rules name the kind; a side
        lost with a term is a second finding."""
        ts, tr, sa, ra = self.ts, self.tr, self.sa, self.ra
        S, R = h.s_idx, h.r_idx
        # Words moved out of this stretch are reported by their move; show only what stayed.
        s_text = (" ".join(ts.original(i, i + 1) for i in S) if h.lent else ts.original(S[0], S[-1] + 1)) \
            if S else ""
        r_text = tr.original(R[0], R[-1] + 1) if R else ""
        s_keys = [ts.keys[i] for i in S]
        r_keys = [tr.keys[j] for j in R]
        s_names, s_unknown = self._names(sa, S)
        r_names, r_unknown = self._names(ra, R)
        critical = self._critical(sa, S) or self._critical(ra, R) or bool(h.changes) or bool(s_names or r_names)
        words = any(_is_word(k) or k[:1].isdigit() for k in s_keys + r_keys)
        damage = _encoding_damage(s_text, r_text) if S else None
        if damage is None:
            # "°C" -> "Â°C" inserts a token, "a\u00a0b" -> "aÂ\u00a0b" damages the space between two words:
            # judge the stretch with its neighbours and the whitespace around it.
            lo, hi = max(0, h.i1 - 1), min(len(ts), h.i2 + 1)
            rlo, rhi = max(0, h.j1 - 1), min(len(tr), h.j2 + 1)
            damage = _encoding_damage(ts.original(lo, hi), tr.original(rlo, rhi))
        if damage is None and R and lone_surrogates(r_text):
            damage = f"lone surrogates ({' '.join(lone_surrogates(r_text))}), which UTF-8 cannot carry"
        hits, sided = self._hits(S, R) if damage else ([], None)
        strict = self.policy != _DEFAULT_POLICY
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
            changes=[c for _t, _u, c in h.changes], change_kind=_change_kind(lead) if lead is not None else None,
            sent_names=s_names, received_names=r_names, unknown=s_unknown + r_unknown,
            statement_added=bool(R) and not S and ra.sentence_bounds(R[0])[0] == R[0]
            and ra.sentence_bounds(R[-1])[1] == R[-1] + 1,
            equivalent=equivalent_spelling(s_text, r_text) if S and R else None,
            invisible=invisible_difference(s_text, r_text) if strict else None,
            cut=self._cut(h) if h.truncated else "", hits=hits)
        verdict = classify(facts)
        kind, severity, explanation = verdict.kind, verdict.severity, verdict.explanation
        changes = self._ordered(h.changes, kind, h)
        concept = self._concept(kind, h, facts, changes, sided)
        if changes and severity != CRITICAL:
            # Whatever the words, a change that flips a concept is critical.
            severity = CRITICAL
        if changes:
            explanation += f"; {self._listed(changes)}"
        s_lo, s_hi = (S[0], S[-1] + 1) if S else (h.i1, h.i1)
        r_lo, r_hi = (R[0], R[-1] + 1) if R else (h.j1, h.j1)
        out = [Finding(
            kind=kind, severity=severity, sent_text=s_text, received_text=r_text,
            sent_offset=ts.span(s_lo, s_hi)[0], received_offset=tr.span(r_lo, r_hi)[0], concept=concept,
            explanation=printable(explanation), sent_context=self._context(ts, s_lo, s_hi, "-"),
            received_context=self._context(tr, r_lo, r_hi, "+"), concepts=changes,
            sent_spans=self._spans(ts, S),
            received_spans=self._spans(tr, R),
        )]
        if kind in _TERM_HEADLINES and facts.sent_sides != facts.received_sides:
            # The term is the headline; the side that changed with it is a second finding.
            out.append(Finding(
                kind=LATERALITY_CHANGED, severity=CRITICAL, sent_text=s_text, received_text=r_text,
                sent_offset=out[0].sent_offset, received_offset=out[0].received_offset,
                concept=concept,
                explanation=side_explanation(facts) + f", with the change of '{clip(s_text) or clip(r_text)}'",
                sent_context=out[0].sent_context, received_context=out[0].received_context,
                sent_spans=out[0].sent_spans, received_spans=out[0].received_spans))
        return out

    def _concept(self, kind: str, h: _Hunk, facts: HunkFacts, changes: Sequence[ConceptChange],
                 sided: str | None) -> str | None:
        """What a finding is about, always from the changed statement and near the change."""
        sa, ra = self.sa, self.ra
        S, R = h.s_idx, h.r_idx
        fitting = [c for c in changes if self._fits(c, kind)]
        if kind in (NEGATION_DROPPED, NEGATION_ADDED, HEDGE_CHANGED, LATERALITY_CHANGED):
            side, idx = (sa, S) if S else (ra, R)
            if fitting and fitting[0].rank <= 1:
                return fitting[0].concept
            if fitting:
                # Only a general word flipped ("sedan tio år"): a term or content word of the statement names it
                # better ("Röker inte sedan tio år"), if there is one.
                lo, hi = side.sentence_bounds(idx[0])
                near = [t for t in range(lo, hi) if self._weight(side, t) in (0, 1)]
                if near:
                    return self._name(side, min(near, key=lambda t: abs(t - idx[0])))[0]
                return fitting[0].concept
            if kind == LATERALITY_CHANGED:
                spot = next((m.start for m in (*facts.sent_matches, *facts.received_matches)
                             if m.entry.role == SIDE), idx[0])
                side = sa if S and spot in S else ra if R and spot in R else side
                lo, hi = side.sentence_bounds(spot)
                return self._nearest(side, spot, max(lo, spot - SIDE_WINDOW - 2), min(hi, spot + SIDE_WINDOW + 2)) \
                    or self._nearest(side, spot, lo, hi)
            lo, hi = side.sentence_bounds(idx[0])
            return self._nearest(side, idx[0], lo, hi, idx)
        if kind in (NUMBER_CHANGED, UNIT_CHANGED) and not facts.sent_names:
            return self._subject(sa, S[0]) if S else self._subject(ra, R[0]) if R else None
        if kind == ENCODING_DAMAGED and sided:
            return sided
        if facts.sent_names:
            return facts.sent_names[0]
        if facts.received_names:
            return facts.received_names[0]
        if changes:
            return changes[0].concept
        if kind in (NUMBER_CHANGED, UNIT_CHANGED) and (S or R):
            return self._subject(sa, S[0]) if S else self._subject(ra, R[0])
        return None

    @staticmethod
    def _matches(side: Analysis, idx: list[int]) -> list[Match]:
        """The lexicon matches a stretch changed: those with a word in it, or wholly in it (not "bilat." when only
        its full stop changed)."""
        if not idx:
            return []
        want = set(idx)
        keys = side.tokens.keys
        return [m for m in side.matches(idx[0], idx[-1] + 1)
                if any(t in want and keys[t][:1].isalnum() for t in range(m.start, m.end))
                or all(t in want for t in range(m.start, m.end))]

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
        return printable(f"{lead}{before}{core}{after}{tail}")


def _shared(i: int, to_other: list[int], this: Analysis, other: Analysis) -> bool:
    """Whether the other text has a layout boundary where this one has token ``i``, between the same two words."""
    j = to_other[i]
    if j < 0:
        return False
    p, q = this._prev(i), other._prev(j)
    return (p < 0) == (q < 0) and (p < 0 or to_other[p] == q) and other.layout_boundary(j)


def _change_kind(c: ConceptChange) -> str:
    return kind_for_change(c.aspect, c.sent, c.received)
