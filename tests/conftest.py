"""Shared fixtures: the package's own test suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile("dev", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# CI: as many examples as a developer's run, derandomised so a failure is the same on every machine (the whole
# suite must stay within CI's 15 minutes on two cores); "thorough" for a nightly or pre-release run.
settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=600, deadline=None, derandomize=False, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

pytest_plugins = ["pytester"]


# --- FHIR server fixtures (adapters: embedded, fhir+http) ------------------------------------------------------
# The session-scoped ``embedded_fhir`` fixture lives in tests/conftest_fhir.py.
pytest_plugins = [*pytest_plugins, "conftest_fhir"]
