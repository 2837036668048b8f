"""Redaction of saved cases: take the personal data out of a reported word loss and keep the loss.

A case written from a real incident holds real patient text. Before it leaves the hospital it must lose every
identifier and keep every clinical word, so the redacted case still shows the same loss. The rules:

* **personnummer / samordningsnummer** (10 or 12 digits, ``-``, ``+`` or no separator) are replaced only when the
  date and the check digit are valid; a number that merely looks like one is left alone. The replacement has the
  original's shape (century or not, separator) and comes from Skatteverket's test numbers
  (:data:`journal_fuzz.synthetic.TEST_PERSONNUMMER`), then from a synthetic series born in the 2090s.
* **names** after a cue (``Pat:``, ``Dr``, ``ssk``, ``dotter``, a ``/Signature`` ...), any word of a list of common
  first names, and capitalised words with a family-name ending (-sson, -berg, -ström, -qvist ...): never a word the
  clinical lexicon knows (terms, drugs, cues, sides, units, lab names), never an eponym in free text (Parkinsons
  sjukdom). Pseudonyms are invented names, one per original.
* **phone numbers** become numbers from PTS's series reserved for fiction, **e-mail addresses** become
  ``@example.com`` addresses, **street names**, **postcodes** and **towns** become synthetic ones, and **dates**
  are all moved by one random number of days, so the intervals between them survive.

Detection reads text the way the oracle does (character references decoded, soft hyphens and zero-width characters
dropped, NFC) and RTF with its ``\\u228?`` escapes read, so a name is found however it is written.

One :class:`Pseudonyms` carries the choices over every text of a case, so the sent and the received text get the
same replacements and the oracle sees the same difference after redaction as before. An original met once is
also found where its context was lost (a cue dropped in the received text), where it was damaged (mojibake,
characters dropped, a digit changed, one letter off) and where the text stops inside it; its pseudonym is damaged
the same way, so the finding survives. :func:`redact_case` checks that by running the oracle again.

Limits: names are found by cues, a first-name list and family-name endings, so a bare unusual name in free text
("Vik", "Lo") is found only if the same case also names it after a cue; personnummer need a valid date and check
digit (one without is left as written, unless it is a near miss of a valid one elsewhere in the case); dates need
a year, except with a full month name; postcode and town only together ("411 19 Göteborg"); attachments that are
not text (PDF) are left as they are and listed in :attr:`Pseudonyms.unredacted`.

The package, one job a module: :mod:`~journal_fuzz.redact.words` reads the word lists
(``lexicon/identifiers.toml``), :mod:`~journal_fuzz.redact.detect` finds identifiers in one text,
:mod:`~journal_fuzz.redact.recall` finds an original again where a lossy system damaged it,
:mod:`~journal_fuzz.redact.shapes` writes a replacement the way its original was written,
:mod:`~journal_fuzz.redact.pseudonyms` chooses the replacements of a case, :mod:`~journal_fuzz.redact.edits`
applies them, :mod:`~journal_fuzz.redact.walk` visits every string of a case (FHIR fields, base64 attachments,
RTF through :mod:`journal_fuzz.fhir.rtf`), and :mod:`~journal_fuzz.redact.case` redacts a case and checks the
oracle still finds the same kinds (:mod:`~journal_fuzz.redact.findings`).
"""

from __future__ import annotations

from journal_fuzz.redact.case import REDACTED_MARK, is_redacted, redact_case
from journal_fuzz.redact.detect import Identifier, find_identifiers, identifiers
from journal_fuzz.redact.findings import same_findings
from journal_fuzz.redact.pseudonyms import Pseudonyms, redact_text

__all__ = ["REDACTED_MARK", "Identifier", "Pseudonyms", "find_identifiers", "identifiers", "is_redacted",
           "redact_case", "redact_text", "same_findings"]
