"""A real local Prefect server: the monthly deployment registers, a triggered run completes.

Slow (a minute or so): it starts ``prefect server start`` on 127.0.0.1 with its own PREFECT_HOME,
serves a deployment of the monthly flow in a subprocess (pointed at the portal replica), triggers a
run with ``prefect deployment run --watch`` and checks what landed. Every process it starts is
stopped by its PID with SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

replica_server = pytest.importorskip("replica.server")
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

SERVE_SCRIPT = """
from prefect import serve
from prefect.deployments.runner import EntrypointType
from flows.monthly import monthly_flow

serve(
    monthly_flow.to_deployment(
        name="smoke",
        parameters={"month": "2026-01", "provinces": ["H55"], "build": False},
        concurrency_limit=1,
        entrypoint_type=EntrypointType.MODULE_PATH,
    ),
    print_starting_message=False,
)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group this test created (its leader is ``proc.pid``)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_until(check, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = _free_port()
    with replica_server.start_replica() as replica:
        yield {
            **os.environ,
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "DVC766_DATA_DIR": str(tmp_path / "data"),
            "DVC766_PORTAL_URL": replica.url,
            "DVC766_PACING_S": "0",
            "DVC766_JITTER_S": "0",
            "PYTHONPATH": str(ROOT),
        }


def test_monthly_deployment_registers_and_a_triggered_run_completes(
    env: dict[str, str], tmp_path: Path
) -> None:
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [
            str(BIN / "prefect"),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            env["PREFECT_SERVER_API_PORT"],
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    served: subprocess.Popen[bytes] | None = None
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(env["PREFECT_API_URL"] + "/health", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        _wait_until(healthy, 150, "the Prefect server")
        served = subprocess.Popen(
            [sys.executable, "-c", SERVE_SCRIPT],
            env=env,
            cwd=ROOT,
            stdout=(tmp_path / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def registered() -> bool:
            r = subprocess.run(
                [str(BIN / "prefect"), "deployment", "inspect", "monthly/smoke"], env=env, capture_output=True
            )
            return r.returncode == 0

        _wait_until(registered, 90, "the deployment to register")
        run = subprocess.run(
            [str(BIN / "prefect"), "deployment", "run", "monthly/smoke", "--watch", "--watch-timeout", "150"],
            env=env,
            capture_output=True,
            text=True,
            timeout=200,
        )
        assert run.returncode == 0, run.stdout + run.stderr + (tmp_path / "serve.log").read_text()
        assert "Completed" in run.stdout + run.stderr
        data = Path(env["DVC766_DATA_DIR"])
        assert len(list((data / "raw").rglob("*.json.gz"))) == 8  # national + 7 views of H55
        assert list((data / "landing").rglob("H55__*.parquet"))
    finally:
        if served is not None:
            _stop(served)
        _stop(server)
        log.close()
