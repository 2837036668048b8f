"""A real FHIR server for the session: the ``embedded`` adapter (sekmet-fhir on loopback), started once.

Registered from ``tests/conftest.py`` through ``pytest_plugins``. Tests that need it skip when sekmet-fhir is not
installed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from journal_fuzz.adapters import AdapterConfig
from journal_fuzz.adapters.embedded import EmbeddedFhirAdapter


@pytest.fixture(scope="session")
def embedded_fhir() -> Iterator[EmbeddedFhirAdapter]:
    """A started embedded FHIR server; its ``base_url`` is the plain ``http://127.0.0.1:PORT/fhir``."""
    if importlib.util.find_spec("sekmet") is None:
        pytest.skip("sekmet-fhir is not installed (pip install 'journal_fuzz[embedded]')")
    adapter = EmbeddedFhirAdapter("embedded", AdapterConfig(timeout=30.0))
    adapter.start()
    try:
        yield adapter
    finally:
        adapter.stop()
