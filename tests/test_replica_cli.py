"""``dvc766 replica`` as a person runs it: one ready line, or one error line and exit code 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def dvc766() -> list[str]:
    script = Path(sys.executable).parent / "dvc766"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dvc766.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*dvc766(), "replica", *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = one_error_line(run("--port", str(port)))
    assert f"port {port} is already in use" in line


def test_missing_scenario_folder_and_file(tmp_path: Path) -> None:
    assert "does not exist" in one_error_line(run("--port", "0", "--scenario", str(tmp_path / "nope")))
    assert "scenario.json" in one_error_line(run("--port", "0", "--scenario", str(tmp_path)))


def test_bad_faults_and_bad_clock() -> None:
    assert "unknown kind" in one_error_line(run("--port", "0", "--faults", "dvc-progress-tree:explode"))
    assert "--now" in one_error_line(run("--port", "0", "--now", "31/10/2023"))


def test_starts_and_prints_one_line_with_the_url() -> None:
    proc = subprocess.Popen(
        [*dvc766(), "replica", "--port", "0", "--now", "2026-10-31T23:00", "--scenario", "real_bodies"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("replica ready at http://127.0.0.1:"), line
        url = line.split()[3]
        resp = requests.post(
            f"{url}/api/v1/reporting/evaluation/dvc-progress-tree",
            json={
                "rootDepartmentId": "019d2be3-6a88-732b-8b25-68dfdcdcff0e",
                "timeType": "month",
                "year": 2026,
                "month": 9,
            },  # fmt: skip
            timeout=10,
        )
        assert resp.status_code == 201 and resp.json()["data"]["parent"]["departmentCode"] == "H55"
        assert resp.headers["Date"] == "Sat, 31 Oct 2026 16:00:00 GMT"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
