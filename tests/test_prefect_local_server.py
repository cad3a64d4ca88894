"""``dvc766 run`` typed twice on a machine with no Prefect server: the first command starts the local
server, the second reuses it, both runs are recorded there, and ``dvc766 prefect-server stop`` ends it.

Driven as a person would: subprocesses of the installed CLI against the replica, a fresh PREFECT_HOME,
no PREFECT_API_URL. (How long each wait is, is benchmark 8's business, not this test's.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from benchmarks import REPLICA_NOW, settings_env
from dvc766.settings import Settings
from flows.prefect_api import STATE_NAME, prefect_api, read_state, stop_server
from replica.server import start_replica

CLI = [str(Path(sys.executable).with_name("dvc766"))]


def _cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *argv], env=env, capture_output=True, text=True, timeout=400)


def _flow_runs(api: str) -> list[dict]:
    req = urllib.request.Request(
        api + "/flow_runs/filter", data=b"{}", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_the_second_command_reuses_the_local_server(tmp_path: Path) -> None:
    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"PREFECT_HOME": str(home), "DVC766_PREFECT_SERVER": "local"})
    try:
        with start_replica(port=0, now=REPLICA_NOW) as replica:
            env.update(settings_env(replica.url, tmp_path / "data"))
            argv = ("run", "--month", "2026-10", "--provinces", "H55", "--no-build")
            first = _cli(env, *argv)
            assert first.returncode == 0, first.stderr[-2000:]
            assert "starting a local Prefect server" in first.stderr
            info = read_state(home)
            assert info is not None and info.healthy()
            second = _cli(env, *argv)
            assert second.returncode == 0, second.stderr[-2000:]
            assert "starting a local Prefect server" not in second.stderr
            assert read_state(home) == info  # the same server, the same process
        runs = _flow_runs(info.url)
        assert sum(r["state_type"] == "COMPLETED" for r in runs) >= 2  # both runs recorded by Prefect
        status = _cli(env, "prefect-server", "status")
        assert info.url in status.stdout and str(info.pid) in status.stdout
        stop = _cli(env, "prefect-server", "stop")
        assert stop.returncode == 0 and "stopped" in stop.stdout
        assert not info.healthy() and not (home / STATE_NAME).exists()
        assert "no local Prefect server" in _cli(env, "prefect-server", "status").stdout
    finally:
        stop_server(home)


@pytest.mark.usefixtures("prefect_harness")
def test_a_configured_api_is_used_as_is_and_nothing_is_started(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    with prefect_api(Settings(prefect_server="local")) as url:
        assert url == str(PREFECT_API_URL.value())
    assert not (tmp_path / STATE_NAME).exists()


def test_ephemeral_mode_leaves_prefect_alone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    # as on a machine with no API configured
    with (
        temporary_settings(restore_defaults={PREFECT_API_URL}),
        prefect_api(Settings(prefect_server="ephemeral")) as url,
    ):
        assert url is None and "PREFECT_API_URL" not in os.environ
