"""Every string of a saved case, visited in one order for every stage: texts, FHIR fields, saved notes, and base64
attachments decoded with their charset (RTF read with :mod:`journal_fuzz.fhir.rtf`), with their hash and size
recomputed so the redacted resource stays valid."""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import re
from typing import Any

from journal_fuzz.fhir.rtf import read_rtf_spans
from journal_fuzz.redact.detect import NAME, POSTCODE, TOWN
from journal_fuzz.redact.edits import apply_edits, remap
from journal_fuzz.redact.pseudonyms import APPLY, RESERVE, Pseudonyms, text_edits

# Keys whose (string) values are vocabulary of the case format or of FHIR, not text anybody wrote.
_SKIP_KEYS = frozenset({"resourceType", "system", "contentType", "status", "docStatus", "intent", "language",
                        "kind", "severity", "format", "carries", "wire", "version", "hash", "concept", "aspect",
                        "path", "fullUrl", "use", "gender", "code", "features", "role", "polarity", "side",
                        "mode", "type", "url", "div_status"})
_PERSON_REFERENCES = frozenset({"subject", "patient", "author", "performer", "requester", "recorder", "asserter",
                                "informant", "individual", "actor", "party", "attester", "practitioner", "sender",
                                "recipient", "participant", "generalPractitioner", "who", "enterer", "source",
                                "authenticator", "legalAuthenticator", "responsibleParty", "collector",
                                "resultsInterpreter", "verifier", "contact"})
_TEXT_MEDIA = frozenset({"application/xhtml+xml", "application/xml", "application/rtf", "application/json",
                         "application/fhir+json", "application/fhir+xml"})
_RTF_MEDIA = frozenset({"text/rtf", "application/rtf"})
_ATTACHMENT_KEPT = frozenset({"contentType", "data", "hash", "size", "url", "language"})


class Walker:
    """Visits every string of a case, once per stage."""

    def __init__(self, p: Pseudonyms, language: str) -> None:
        self.p = p
        self.language = language
        self.stage = RESERVE

    # -- strings ------------------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        edits = text_edits(value, self.p, self.language, self.stage)
        return apply_edits(value, edits) if self.stage == APPLY else value

    def rtf(self, body: str) -> str:
        """RTF writes "Märta" as ``M\\u228?rta`` or ``M\\'e4rta``: find names in the text RTF reads as (with what
        its destinations say, such as ``\\author``), and write each pseudonym, escaped, where its original was."""
        doc = read_rtf_spans(body, destinations=True)
        edits = text_edits(doc.text, self.p, self.language, self.stage)
        if self.stage != APPLY:
            return body
        return doc.replace([(a, b, rep) for a, b, rep in edits if b > a])

    def forced(self, value: str, kind: str) -> str:
        """A field that is a name, a town or a postcode by its place in a FHIR resource."""
        edits = text_edits(value, self.p, self.language, self.stage, force=kind)
        return apply_edits(value, edits) if self.stage == APPLY else value

    # -- trees --------------------------------------------------------------------------------------------
    def tree(self, obj: Any, path: str = "", parent: str | None = None) -> Any:
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, list):
            return [self.tree(v, f"{path}[{i}]", parent) for i, v in enumerate(obj)]
        if not isinstance(obj, dict):
            return obj
        if isinstance(obj.get("contentType"), str) and isinstance(obj.get("data"), str):
            return self.attachment(obj, path)
        if isinstance(obj.get("text"), str) and isinstance(obj.get("facts"), list) and "language" in obj:
            return self.note(obj, path)
        human = "family" in obj or "given" in obj
        address = any(k in obj for k in ("line", "city", "postalCode", "district"))
        out: dict[str, Any] = {}
        for key, value in obj.items():
            sub = f"{path}.{key}" if path else key
            if human and key in ("family", "given", "text"):
                out[key] = self._strings(value, NAME, sub)
            elif address and key in ("city", "district"):
                out[key] = self._strings(value, TOWN, sub)
            elif address and key == "postalCode":
                out[key] = self._strings(value, POSTCODE, sub)
            elif key == "display" and parent in _PERSON_REFERENCES and isinstance(value, str):
                out[key] = self.forced(value, NAME)
            elif key in _SKIP_KEYS and (isinstance(value, str) or (
                    isinstance(value, list) and all(isinstance(v, str) for v in value))):
                out[key] = value
            else:
                out[key] = self.tree(value, sub, key)
        return out

    def _strings(self, value: Any, kind: str, path: str) -> Any:
        if isinstance(value, str):
            return self.forced(value, kind)
        if isinstance(value, list):
            return [self._strings(v, kind, f"{path}[{i}]") for i, v in enumerate(value)]
        return self.tree(value, path)

    def note(self, obj: dict[str, Any], path: str) -> dict[str, Any]:
        """A saved :class:`Note`: its text redacted and every fact's span moved to match."""
        text = obj["text"]
        edits = text_edits(text, self.p, self.language, self.stage)
        if self.stage != APPLY:
            return obj
        new_text = apply_edits(text, edits)
        out = dict(obj)
        out["text"] = new_text
        facts: list[Any] = []
        for i, f in enumerate(obj["facts"]):
            if not (isinstance(f, dict) and isinstance(f.get("start"), int) and isinstance(f.get("end"), int)):
                facts.append(self.tree(f, f"{path}.facts[{i}]"))
                continue
            g = dict(f)
            g["start"] = remap(f["start"], edits, end=False)
            g["end"] = max(g["start"], remap(f["end"], edits, end=True))
            g["text"] = new_text[g["start"]:g["end"]]
            facts.append(g)
        out["facts"] = facts
        return out

    def attachment(self, obj: dict[str, Any], path: str) -> dict[str, Any]:
        """Base64 text decoded with its charset, redacted, encoded the same way; hash and size follow."""
        out = {k: (v if k in _ATTACHMENT_KEPT else self.tree(v, f"{path}.{k}", k)) for k, v in obj.items()}
        ct = obj["contentType"]
        media = ct.split(";", 1)[0].strip().casefold()
        charset = re.search(r"charset\s*=\s*\"?([\w.:\-]+)", ct, re.IGNORECASE)
        data = obj["data"]
        where = path or "attachment"
        try:
            raw = base64.b64decode("".join(data.split()).encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            if self.stage == APPLY:
                self.p.unredacted.append(f"{where}: data is not valid base64, left as it was")
            return out
        if media not in _TEXT_MEDIA and not media.startswith("text/"):
            if self.stage == APPLY:
                self.p.unredacted.append(f"{where}: {media or 'no content type'} is not text, left as it was")
            return out
        try:
            codec = codecs.lookup(charset.group(1) if charset else "utf-8").name
        except LookupError:
            codec = "utf-8"
        # Bytes that are not valid in the charset (damage the case shows) go through untouched.
        body = raw.decode(codec, "surrogateescape")
        new_body = self.rtf(body) if media in _RTF_MEDIA else self.text(body)
        if self.stage != APPLY or new_body == body:
            return out
        try:
            new_raw = new_body.encode(codec, "surrogateescape")
        except UnicodeEncodeError:
            new_raw = new_body.encode(codec, "xmlcharrefreplace" if "html" in media or "xml" in media
                                      else "replace")
        encoded = base64.b64encode(new_raw).decode("ascii")
        lines = data.splitlines()
        if len(lines) > 1 and lines[0]:  # keep a server's line wrapping
            width = len(lines[0])
            eol = "\r\n" if "\r\n" in data else "\n"
            encoded = eol.join(encoded[i:i + width] for i in range(0, len(encoded), width))
        out["data"] = encoded
        if isinstance(obj.get("hash"), str):
            out["hash"] = base64.b64encode(hashlib.sha1(new_raw).digest()).decode("ascii")
        if isinstance(obj.get("size"), int) and not isinstance(obj.get("size"), bool):
            out["size"] = len(new_raw)
        return out
