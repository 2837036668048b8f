"""Markup as renderers write it, through the real embedded FHIR server: a proxy that re-renders every narrative
compactly is faithful (a block boundary is a word boundary), a client that then strips tags without adding a space
merges words and is caught. The plain styles alone never showed this: they kept whitespace between blocks."""

from __future__ import annotations

import pytest

import journal_fuzz as jf
from journal_fuzz.adapters import adapter_for
from journal_fuzz.adapters.embedded import EmbeddedFhirAdapter
from journal_fuzz.battery import PROPERTIES, RunConfig, run
from journal_fuzz.constants import Status
from journal_fuzz.fhir.extract import markup_text
from journal_fuzz.fhir.render import render_narrative
from journal_fuzz.fhir.xmlsafe import parse_xml
from lossy_proxy import LossyProxy
from markup_proxy import compact, rewriter, strip_only, strip_tags

NARRATIVE = next(p for p in PROPERTIES if p.name == "fhir-narrative")


@pytest.mark.parametrize("style", ["p-compact", "br-compact", "list-compact", "table-compact", "inline-compact"])
def test_compact_styles_touch_blocks_and_read_back_exactly(style: str) -> None:
    note = jf.Note("Cor: rr, inga blåsljud.\nPulm: ua\n\nHb\t132\tg/l", "sv")
    div = render_narrative(note, style)
    assert "</p>\n" not in div and "</li>\n" not in div and "</tr>\n" not in div and "<br/>\n" not in div
    assert jf.compare(note, markup_text(parse_xml(div))).ok


@pytest.mark.parametrize(("how", "lost"), [(compact, False), (strip_tags, True), (strip_only, True)],
                         ids=["faithful-compact", "compact-then-strip-tags", "strip-tags-as-stored"])
def test_a_narrative_rewrite_through_the_embedded_server(embedded_fhir: EmbeddedFhirAdapter, how: object,
                                                         lost: bool) -> None:
    upstream = embedded_fhir.base_url.rsplit("/fhir", 1)[0]
    with LossyProxy(upstream, (), rewrite=rewriter(how)) as proxy:  # type: ignore[arg-type]
        adapter = adapter_for(f"fhir+http://127.0.0.1:{proxy.port}/fhir")
        with adapter:
            outcome = run(NARRATIVE, "sv", adapter, RunConfig(examples=25, derandomize=True, concurrency=4,
                                                              shrink=False))
    if lost:
        assert outcome.status == Status.LOST, outcome.error
        assert outcome.loss is not None and "words-merged" in outcome.loss.verdict.kinds
    else:
        assert outcome.status == Status.PASSED, (outcome.error, outcome.loss and outcome.loss.verdict.explain())
