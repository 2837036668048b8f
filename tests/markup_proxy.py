"""What a FHIR server in front of a tag-stripping client does to narratives, as request-body rewrites for
:class:`lossy_proxy.LossyProxy`: re-render every narrative compactly (no whitespace between blocks, as most
renderers write), or strip its tags without adding a space (as a naive client reads it back).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lxml import etree

XHTML = "http://www.w3.org/1999/xhtml"
_BLOCKS = frozenset("p div li ul ol table tbody tr td th br h1 h2 h3 h4 h5 h6".split())
_CONTAINERS = frozenset("ul ol table tbody tr".split())


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def compact(div: etree._Element) -> None:
    """Drop the whitespace between block elements (and after ``<br/>``): a faithful re-render."""
    for el in div.iter():
        name = _local(el.tag)
        if name in _BLOCKS and el is not div and el.tail is not None and (not el.tail.strip() or name == "br"):
            el.tail = el.tail.lstrip() or None
        if name in _CONTAINERS and el.text is not None and not el.text.strip():
            el.text = None


def strip_tags(div: etree._Element) -> None:
    """Compact, then keep only the text: every tag gone, no space added where a block ended."""
    compact(div)
    strip_only(div)


def strip_only(div: etree._Element) -> None:
    """Keep only the text as stored: caught only when the narrative was written compactly to begin with."""
    text = "".join(div.itertext())
    for child in list(div):
        div.remove(child)
    div.text = text


def _rewrite_div(markup: str, how: Callable[[etree._Element], None]) -> str:
    div = etree.fromstring(markup.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    how(div)
    return etree.tostring(div, encoding="unicode")


def _walk(value: Any, how: Callable[[etree._Element], None]) -> Any:
    if isinstance(value, dict):
        return {k: (_rewrite_div(v, how) if k == "div" and isinstance(v, str) else _walk(v, how))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, how) for v in value]
    return value


def rewriter(how: Callable[[etree._Element], None]) -> Callable[[bytes, str], bytes]:
    """A ``LossyProxy`` rewrite that applies ``how`` to every narrative ``div`` of a JSON or XML body."""
    def rewrite(body: bytes, content_type: str) -> bytes:
        if "json" in content_type:
            return json.dumps(_walk(json.loads(body), how), ensure_ascii=False).encode("utf-8")
        if "xml" in content_type:
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
            for div in root.iter(f"{{{XHTML}}}div"):
                if _local(div.getparent().tag if div.getparent() is not None else "") != "div":
                    how(div)
            out: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=True)
            return out
        return body
    return rewrite
