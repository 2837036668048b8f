"""How records of the two sides are matched: which field of each is the key.

``--key`` names a field for one side (``sent:OBR-3``, ``received:identifier|urn:oid:1.2.752.29.4.19``) or for
every side it fits (``--key OBR-3`` fits HL7 sides, ``--key accession`` fits tables). A side without one gets the
candidate whose values overlap most with the other side's key, over a sample of records from across both sides;
ties go to the usual field (HL7 ``OBR-3``, then ``TXA-12``, ``OBR-2``, ``ORC-3``, ``ORC-2``, ``MSH-10``; FHIR an
``identifier`` by system, then ``masterIdentifier``, any ``identifier``, ``id``; a table's key-like column; a text
file's relative path, then its path without extension, then its name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from journal_fuzz.audit.sources import FHIR, HL7, TEXT, key_preference, table_key_order
from journal_fuzz.inputs import InputError

__all__ = ["KeyChoice", "choose_keys", "parse_key_options"]

SIDES = ("sent", "received")
_HL7_FIELD = re.compile(r"[A-Z][A-Z0-9]{2}-\d+(?:\.\d+)?$")
_TEXT_KEYS = ("path", "stem", "name")


@dataclass(frozen=True)
class KeyChoice:
    sent: str
    received: str
    overlap: int
    """Shared values in the sample the choice was made on."""
    sample: tuple[int, int]
    """Records sampled on each side."""
    chosen_by: str
    """``option`` (named with --key), ``overlap`` (most shared values) or ``default`` (no overlap seen)."""


def _fits(fmt: str, spec: str) -> bool:
    if fmt == HL7:
        return bool(_HL7_FIELD.match(spec))
    if fmt == FHIR:
        return not _HL7_FIELD.match(spec)
    if fmt == TEXT:
        return spec in _TEXT_KEYS
    return True


def parse_key_options(options: Sequence[str], formats: dict[str, str]) -> dict[str, str]:
    """``--key`` values as one key spec per side (sides not named are left out)."""
    out: dict[str, str] = {}
    for raw in options:
        side, sep, spec = raw.partition(":")
        if sep and side in SIDES:
            sides = [side]
        else:
            spec, sides = raw, [s for s in SIDES if _fits(formats[s], raw)]
            if not sides:
                raise InputError(f"--key {raw}: fits neither side ({formats['sent']} and {formats['received']}); "
                                 f"write sent:FIELD or received:FIELD")
        spec = spec.strip()
        if not spec:
            raise InputError(f"--key {raw}: names no field")
        for s in sides:
            if not _fits(formats[s], spec):
                hint = {HL7: "an HL7 field such as OBR-3 or MSH-10",
                        TEXT: "path, stem or name"}.get(formats[s], "a field of that format")
                raise InputError(f"--key {raw}: the {s} side is matched by {hint}")
            if s in out and out[s] != spec:
                raise InputError(f"--key names two keys for the {s} side: {out[s]} and {spec}")
            out[s] = spec
    return out


def _candidates(fmt: str, samples: list[dict[str, str]]) -> list[str]:
    seen = list(dict.fromkeys(k for keys in samples for k in keys))
    if fmt in (HL7, FHIR, TEXT):
        order: list[str] = []
        for pref in key_preference(fmt):
            if pref.endswith("|*"):
                order.extend(k for k in seen if k.startswith(pref[:-1]) and k not in order)
            elif pref in seen and pref not in order:
                order.append(pref)
        return order + [k for k in seen if k not in order]
    return table_key_order(seen)


def choose_keys(samples: dict[str, list[dict[str, str]]], formats: dict[str, str],
                named: dict[str, str]) -> KeyChoice:
    """The key of each side: the one named, else the candidate sharing most values with the other side."""
    cands: dict[str, list[str]] = {}
    for side in SIDES:
        if side in named:
            spec = named[side]
            if samples[side] and not any(spec in keys for keys in samples[side]):
                seen = ", ".join(_candidates(formats[side], samples[side])[:8]) or "none"
                raise InputError(f"--key {side}:{spec} matches nothing: none of the {len(samples[side])} {side} "
                                 f"records sampled has a value there (fields with values: {seen})")
            cands[side] = [spec]
        else:
            cands[side] = _candidates(formats[side], samples[side])
            if samples[side] and not cands[side]:
                raise InputError(f"the {side} records have no field to match them by; name one with --key")
    values = {side: {c: {keys[c] for keys in samples[side] if c in keys} for c in cands[side]} for side in SIDES}
    best: tuple[int, int, int] | None = None
    for i, cs in enumerate(cands["sent"]):
        for j, cr in enumerate(cands["received"]):
            shared = len(values["sent"][cs] & values["received"][cr])
            rank = (shared, -i - j, -i)
            if best is None or rank > best:
                best = rank
                pick = (cs, cr)
    sample = (len(samples["sent"]), len(samples["received"]))
    if best is None:
        sent = cands["sent"][0] if cands["sent"] else named.get("sent", "")
        received = cands["received"][0] if cands["received"] else named.get("received", "")
        return KeyChoice(sent, received, 0, sample, "option" if named else "default")
    by = "option" if len(named) == 2 else ("overlap" if best[0] else "default")
    if best[0] == 0:
        pick = (cands["sent"][0], cands["received"][0])
    return KeyChoice(pick[0], pick[1], best[0], sample, by)
