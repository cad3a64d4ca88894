"""Raw bodies and the landing zone on S3-compatible object storage (issue 18), against a real S3 API:
moto's standalone server on 127.0.0.1 (tests/s3_server.py). The commands run as a data engineer types
them, with ``DVC766_LAKE=s3://…``; the warehouse is built from the bucket and published locally.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.local_s3 import S3_ENV, make_bucket, s3_server
from dvc766.cli import main
from dvc766.settings import Settings
from dvc766.storage import Store
from replica.server import start_replica
from tests.published import query, replica_env

pytestmark = pytest.mark.usefixtures("prefect_harness")
NOW = "2026-09-20T10:00"  # the replica's clock, frozen: both runs get the same Date header


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        make_bucket(url, "lake")
        yield url


@pytest.fixture(scope="module")
def replica() -> Iterator[object]:
    with start_replica(now=NOW) as handle:
        yield handle


def use(
    monkeypatch: pytest.MonkeyPatch, data: Path, portal: str, lake: str | None, endpoint: str
) -> Settings:
    for k, v in {**replica_env(data, portal), **S3_ENV}.items():
        monkeypatch.setenv(k, v)
    if lake:
        monkeypatch.setenv("DVC766_LAKE", lake)
        monkeypatch.setenv("DVC766_S3_ENDPOINT_URL", endpoint)
    else:
        monkeypatch.delenv("DVC766_LAKE", raising=False)
    return Settings.from_env()


def landing_digest(store: Store) -> dict[str, str]:
    return {
        f.path.split("__", 1)[0]: hashlib.sha256(store.read_bytes(f.path)).hexdigest()
        for f in store.stat_files("landing", suffix=".parquet")
    }


def tables(path: Path) -> dict[str, set[tuple]]:
    names = [
        r[0]
        for r in query(
            path, "select table_name from duckdb_tables() where regexp_matches(table_name, '^(dim|fct|rpt)_')"
        )
    ]
    return {n: set(query(path, f"select * from {n}")) for n in names}


def test_a_run_on_object_storage_lands_builds_and_relands_like_a_local_one(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    endpoint: str,
    replica: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["run", "--month", "2026-08", "--provinces", "H44"]
    url = replica.url  # type: ignore[attr-defined]
    local = use(monkeypatch, tmp_path / "local", url, None, endpoint)
    assert main(argv) == 0

    remote = use(monkeypatch, tmp_path / "remote", url, "s3://lake/dvc766", endpoint)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "provinces ok: 1 (H44)" in out
    lake = Store.lake(remote)
    assert lake.scheme == "s3"
    # the bucket holds raw/ and landing/; the machine holds only the published warehouse
    assert len(lake.list_files("raw", suffix=".json.gz")) == 8
    assert lake.list_files("landing", suffix=".parquet")
    assert not (tmp_path / "remote" / "raw").exists() and not (tmp_path / "remote" / "landing").exists()
    # built from the bucket, the warehouse equals the one built from a local folder, table by table
    assert tables(remote.warehouse_path) == tables(local.warehouse_path)

    # doctor and reland work on the bucket: reland rebuilds the same bytes
    before = landing_digest(lake)
    assert main(["doctor"]) == 0
    assert main(["reland"]) == 0
    assert landing_digest(lake) == before
    assert not lake.list_files("landing.reland-tmp")
    # the relanded objects are new to the build: an incremental build reads the changed years back
    assert main(["build"]) == 0
    assert "incremental" in capsys.readouterr().out
    assert tables(remote.warehouse_path) == tables(local.warehouse_path)

    # a half-written object (a crash mid-upload leaves only a temporary name) is never read as landed
    lake.fs.open_output_stream(lake.path("landing/indicator_values/period_type=month/.tmp-crashed")).close()
    with lake.fs.open_output_stream(lake.path("landing/indicator_values/.tmp-partial")) as f:
        f.write(b"PAR1 half")
    assert main(["build", "--full"]) == 0
    assert tables(remote.warehouse_path) == tables(local.warehouse_path)

    # a landing object lost: doctor says so, reland restores it
    victim = lake.list_files("landing", suffix=".parquet")[0]
    lake.delete_file(victim)
    capsys.readouterr()
    assert main(["doctor"]) == 1
    assert "run `dvc766 reland`" in capsys.readouterr().out
    assert main(["reland"]) == 0
    assert landing_digest(lake) == before
