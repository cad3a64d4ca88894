"""One Prefect test server for the whole test session, shared by every test that runs a flow.

Why one: starting Prefect's server costs seconds; the few flow tests share it. Use it with
``pytest_plugins = ["tests.prefect_harness"]`` (or from tests/conftest.py) and the
``prefect_harness`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
