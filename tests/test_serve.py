"""``dvc766 serve`` really serves: the schedule registers, runs triggered through Prefect complete and publish.

The session's Prefect test server (tests/prefect_harness.py) is the API; ``dvc766 serve`` runs as a
subprocess against it, with the portal replica as the portal. The ``monthly`` and
``month-end-snapshot`` deployments are triggered through Prefect's API (``run_deployment``, as the
schedule or the UI would), each with ``now`` set (the instant the run acts as of) and the replica's
clock to match; the runs execute in the served process's own subprocesses. Then the published
warehouse is opened read-only. Nothing waits on a duration: every wait polls toward a generous
deadline. The serving process is stopped by its PID with SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.published import query

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

replica_server = pytest.importorskip("replica.server")
BIN = Path(sys.executable).parent
NAMES = {
    "monthly/monthly",
    "month-end-snapshot/month-end-snapshot",
    "backfill/backfill",
    "backfill/backfill-chunk",
    "drilldown/drilldown",
}


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group this test started (its leader is ``proc.pid``: serve and its runs)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _registered(names: set[str]) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    found = {}
    with get_client(sync_client=True) as client:
        for name in names:
            with contextlib.suppress(ObjectNotFound):
                found[name] = client.read_deployment_by_name(name)
    return found


@pytest.mark.usefixtures("prefect_harness")
def test_dvc766_serve_serves_every_deployment_and_triggered_runs_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    data = tmp_path / "data"
    log_path = tmp_path / "serve.log"
    with replica_server.start_replica(now="2026-11-03T06:00") as replica:
        env = {
            **os.environ,
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_LOGGING_LEVEL": "INFO",
            "DVC766_DATA_DIR": str(data),
            "DVC766_PORTAL_URL": replica.url,
            "DVC766_PACING_S": "0",
            "DVC766_JITTER_S": "0",
            "DVC766_V1_CUTOVER": "2026-01",
        }
        env.pop("DVC766_NOTIFY", None)
        with open(log_path, "wb") as log:
            served = subprocess.Popen(
                [str(BIN / "dvc766"), "serve"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 300
            found: dict[str, object] = {}
            while time.monotonic() < deadline and set(found) != NAMES:
                assert served.poll() is None, "dvc766 serve exited:\n" + log_path.read_text()[-4000:]
                found = _registered(NAMES)
                time.sleep(1)
            assert set(found) == NAMES, log_path.read_text()[-4000:]
            monthly = found["monthly/monthly"]
            assert [s.schedule.cron for s in monthly.schedules] == ["0 */6 3-10 * *"]  # type: ignore[attr-defined]
            chunk = found["backfill/backfill-chunk"]
            assert chunk.parameters == {"politeness": "prefect"}  # type: ignore[attr-defined]

            run = run_deployment(
                "monthly/monthly", parameters={"provinces": ["H55"], "now": "2026-11-03T06:00"}, timeout=600
            )
            assert run.state is not None and run.state.is_completed(), (
                run.state,
                log_path.read_text()[-6000:],
            )
            replica.set_now("2026-11-30T22:30")
            snap = run_deployment(
                "month-end-snapshot/month-end-snapshot",
                parameters={"provinces": ["H55"], "now": "2026-11-30T22:30"},
                timeout=600,
            )
            assert snap.state is not None and snap.state.is_completed(), (
                snap.state,
                log_path.read_text()[-6000:],
            )
        finally:
            _stop(served)
    rows = query(
        data / "warehouse.duckdb",
        "select period_key from fct_unit_score where unit_code = 'H55' order by period_key",
    )
    assert rows == [("2026-10",), ("2026-YTD-11",)]
    runs = (data / "runs.jsonl").read_text(encoding="utf-8")
    assert runs.count('"outcome": "ok"') == 2
    # dvc766 status reads the same runs from the data folder and from Prefect's API
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
    out = _status_with_prefect(data, capsys)
    assert "snapshot 2026-YTD-11: ok" in out and "monthly 2026-10: ok" in out
    assert f"Prefect ({PREFECT_API_URL.value()}), last runs:" in out
    assert "month-end-snapshot/" in out and ": Completed" in out


def _status_with_prefect(data: Path, capsys: pytest.CaptureFixture[str]) -> str:
    from dvc766.cli import main

    main(["status", "--now", "2026-12-01T09:00"])
    return capsys.readouterr().out
