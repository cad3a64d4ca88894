"""Test-wide settings: a project-local Prefect home, no telemetry, the repo's own fixtures."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("DVC766_PREFECT_SERVER", "ephemeral")  # hermetic: no server outlives the suite

import pytest  # noqa: E402

# The one session-wide Prefect test harness, for the few tests that run real flows.
pytest_plugins = ["tests.prefect_harness"]

FIXTURES = ROOT / "tests" / "fixtures"
PORTAL = FIXTURES / "portal"
# The reference appendix (Thái Nguyên, October 2023), kept once beside the replica scenario.
REFERENCE = ROOT / "replica" / "scenarios" / "thai_nguyen_2023" / "reference_appendix.txt"


@pytest.fixture(scope="session")
def portal_dir() -> Path:
    """The real captured portal bodies and the API notes (read-only copies in tests/fixtures)."""
    return PORTAL
