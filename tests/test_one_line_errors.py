"""Every error path ends in one line and a documented exit code (issue 28): the tracebacks found from
outside — ``reland`` on a truncated raw body; ``doctor``, ``build`` and ``reland`` with the lake on an
S3 endpoint nobody answers; argparse's two-line usage errors — are each one line now."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.settings import Settings
from flows.landing import write_batch
from flows.raw_store import RawStore
from tests.test_normalise_v1 import h44_capture

TREE = "evaluation/dvc-progress-tree"


def landing_tree(data: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(data)): p.read_bytes() for p in sorted((data / "landing").rglob("*")) if p.is_file()
    }


def test_reland_on_a_truncated_raw_body_stops_in_one_line_and_leaves_landing_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    capture = replace(h44_capture(TREE), extra={"batch_id": "b1"})
    body = RawStore(settings).put(capture)
    write_batch(settings, [capture], "b1")
    before = landing_tree(data)
    gz = data / body
    gz.write_bytes(gz.read_bytes()[: gz.stat().st_size // 2])  # a disk that lost the end of the file
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    assert main(["reland"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert (
        err.startswith("dvc766 reland: stopped, the landing zone is unchanged: raw body")
        and "dvc766 doctor" in err
    )
    assert landing_tree(data) == before
    assert not (data / "landing.reland-tmp").exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", ["doctor", "build", "reland"])
def test_an_unreachable_lake_is_one_line_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    for k, v in {
        "DVC766_DATA_DIR": str(tmp_path / "data"),
        "DVC766_LAKE": "s3://dvc766-lake/prod",
        "DVC766_S3_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(k, v)
    assert main([command]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"dvc766 {command}: ") and "Traceback" not in err
    assert "Could not connect" in err or "connect" in err.lower(), err
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["drilldown", "--province", "H55", "--month", "2026-02", "--top", "ten"],
        ["backfill", "--from", "2026-01"],
        ["report", "--format", "pdf", "--province", "H55", "--month", "2026-02"],
        ["replica", "--port", "70000"],
        ["nonsense"],
        [],
    ],
)
def test_a_usage_error_is_one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dvc766") and "--help" in err, err
