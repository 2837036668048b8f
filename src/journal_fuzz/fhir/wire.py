"""Wire forms: a resource as FHIR JSON or FHIR XML bytes, and back to a plain JSON dict.

XML coming back is untrusted: it passes :func:`~journal_fuzz.fhir.xmlsafe.parse_xml` (no DOCTYPE, no entities,
no network, size limit) before fhir.resources sees it, and fhir.resources parses it with the same safe parser.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from journal_fuzz.fhir._models import check_version, model_class
from journal_fuzz.fhir.errors import FhirError
from journal_fuzz.fhir.xmlsafe import parse_xml, safe_parser, xml_bytes

__all__ = ["FHIR_NS", "WIRES", "from_wire", "to_wire"]

WIRES = ("json", "xml")
FHIR_NS = "http://hl7.org/fhir"


def _check_wire(wire: str) -> None:
    if wire not in WIRES:
        raise FhirError(f"unknown wire form {wire!r}; use one of {', '.join(WIRES)}")


def _resource_type(resource: Any) -> str:
    if not isinstance(resource, dict):
        raise FhirError(f"FHIR JSON must be an object, not {_json_type(resource)}")
    rt = resource.get("resourceType")
    if not isinstance(rt, str) or not rt:
        raise FhirError("FHIR JSON has no resourceType")
    return rt


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))


def _check_divs(obj: Any) -> None:
    """Every narrative passes the safe parser first: fhir.resources re-parses divs with lxml's defaults."""
    if isinstance(obj, list):
        for item in obj:
            _check_divs(item)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if key == "div" and isinstance(value, str):
                parse_xml(value)
            else:
                _check_divs(value)


def to_wire(resource: dict[str, Any], wire: str, version: str = "R4B") -> bytes:
    """``resource`` as UTF-8 FHIR JSON or FHIR XML (the XML through fhir.resources' ``model_dump_xml``)."""
    _check_wire(wire)
    check_version(version)
    rt = _resource_type(resource)
    if wire == "json":
        try:
            return json.dumps(resource, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError, UnicodeEncodeError) as err:
            raise FhirError(f"cannot write {rt} as JSON: {err}") from None
    cls = model_class(rt, version)
    _check_divs(resource)
    try:
        model = cls.model_validate(resource)
        out = model.model_dump_xml()
    except ValidationError as err:
        raise FhirError(f"{rt} is not valid FHIR {version}: {_first_error(err)}") from None
    except (ValueError, TypeError) as err:
        raise FhirError(f"cannot write {rt} as FHIR XML: {err}") from None
    return out if isinstance(out, bytes) else str(out).encode("utf-8")


def _plain(value: Any) -> Any:
    """Ordered dicts and tuples from the model dump as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def from_wire(payload: bytes | str, wire: str, version: str = "R4B") -> dict[str, Any]:
    """A FHIR JSON or XML payload as a plain JSON dict; FhirError (HostileXMLError for DTDs) on anything else."""
    _check_wire(wire)
    check_version(version)
    if wire == "json":
        if isinstance(payload, bytes):
            try:
                text = payload.decode("utf-8-sig")
            except UnicodeDecodeError as err:
                raise FhirError(f"malformed JSON: not UTF-8 (byte {err.start})") from None
        elif isinstance(payload, str):
            text = payload
        else:
            raise FhirError(f"a payload must be bytes or str, not {type(payload).__name__}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise FhirError(f"malformed JSON: {err}") from None
        except RecursionError:
            raise FhirError("malformed JSON: nested too deeply") from None
        if not isinstance(data, dict):
            raise FhirError(f"FHIR JSON must be an object, not {_json_type(data)}")
        model_class(_resource_type(data), version)
        return data
    root = parse_xml(payload)
    tag = root.tag if isinstance(root.tag, str) else ""
    ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if ns != FHIR_NS:
        raise FhirError(f"not FHIR XML: the root element <{local}> is not in the {FHIR_NS} namespace")
    cls = model_class(local, version)
    try:
        model = cls.model_validate_xml(xml_bytes(payload), xmlparser=safe_parser())
        dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_comments=True)
    except ValidationError as err:
        raise FhirError(f"invalid FHIR XML for {local} ({version}): {_first_error(err)}") from None
    except KeyError as err:
        raise FhirError(f"invalid FHIR XML for {local} ({version}): unknown element {err}") from None
    except (ValueError, TypeError, AttributeError, NotImplementedError) as err:
        raise FhirError(f"invalid FHIR XML for {local} ({version}): {err}") from None
    result = _plain(dumped)
    assert isinstance(result, dict)
    return result
