"""Shared fixtures: the package's own test suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile("dev", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

pytest_plugins = ["pytester"]


# --- FHIR server fixtures (adapters: embedded, fhir+http) ------------------------------------------------------
# The session-scoped ``embedded_fhir`` fixture lives in tests/conftest_fhir.py.
pytest_plugins = [*pytest_plugins, "conftest_fhir"]
