"""Systems that lose a cue in one construction only: each is a real text function (``python:`` target) of the
kind a converter, an autocorrect or an import filter is, and each must be caught by the battery's ``ci`` profile.
"""

from __future__ import annotations

import re

_CUES = r"(?:ingen|inget|inga|inte|ej|aldrig|utan|no|not|never|without)"


def _drop_cues(text: str) -> str:
    return re.sub(rf"(?i)\b{_CUES}\b[ \t]?", "", text)


def after_verb(text: str) -> str:
    """Drops a cue right after a finite verb ("Röntgen visar ingen fraktur" -> "Röntgen visar fraktur")."""
    return re.sub(r"(?i)\b(visar|påvisar|har|nekar|förnekar|shows|has|does|did|denies)\s+(?:ingen|inget|inga|inte|ej|"
                  r"aldrig|no|not|never)\b[ \t]?", r"\1 ", text)


def after_copula(text: str) -> str:
    """Drops inte/ej/not after är/is/are ("Buken är inte öm" -> "Buken är öm")."""
    return re.sub(r"(?i)\b(är|is|are)\s+(?:inte|ej|not)\b[ \t]?", r"\1 ", text)


def list_item(text: str) -> str:
    """Drops a cue that opens an item of a comma list ("hosta, ingen feber" -> "hosta, feber")."""
    return re.sub(rf"(?i),\s+{_CUES}\b[ \t]?", ", ", text)


_STATUS_LINE = re.compile(r"(?m)^(?:\*|- |\d+\. )?[A-ZÅÄÖ][\w &]{1,20}:[ \t].*$")


def status_line(text: str) -> str:
    """Drops the cues of organ status lines only ("Cor: rr, inga blåsljud" -> "Cor: rr, blåsljud")."""
    return _STATUS_LINE.sub(lambda m: _drop_cues(m.group()), text)


def parenthesis(text: str) -> str:
    """Drops the cues inside parentheses ("(ej verifierad)" -> "(verifierad)")."""
    return re.sub(r"\(([^()]*)\)", lambda m: "(" + _drop_cues(m.group(1)) + ")", text)


def question_mark(text: str) -> str:
    """Drops the question mark that makes a finding a question ("Fraktur?" -> "Fraktur")."""
    return text.replace("?", "")


def tab(text: str) -> str:
    """Drops tabs, as a form field that takes one line of plain text does ("Hb\\t132\\tg/l" -> "Hb132g/l")."""
    return text.replace("\t", "")


SYSTEMS = {"after-verb": after_verb, "after-copula": after_copula, "list-item": list_item,
           "status-line": status_line, "parenthesis": parenthesis, "question-mark": question_mark, "tab": tab}
