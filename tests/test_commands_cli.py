"""The extract-and-load commands as a data engineer runs them, against the portal replica.

``dvc766.cli.main`` is called in-process (the same code path as the console script), with the
replica on 127.0.0.1 and pacing set to 0 through the environment.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.periods import Period, month_range
from dvc766.settings import Settings
from flows.plan import request_count

replica_server = pytest.importorskip("replica.server")


@pytest.fixture(scope="module")
def replica() -> Iterator[object]:
    # The replica runs on the real clock: a --refresh a few seconds later is a new capture (Date header).
    with replica_server.start_replica() as handle:
        yield handle


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replica: object) -> Path:
    d = tmp_path / "data"
    env = {
        "DVC766_DATA_DIR": str(d),
        "DVC766_PORTAL_URL": replica.url,  # type: ignore[attr-defined]
        "DVC766_PACING_S": "0",
        "DVC766_JITTER_S": "0",
        "DVC766_BACKOFF_BASE_S": "0.01",
        "DVC766_MAX_RETRIES": "1",
        "DVC766_V1_CUTOVER": "2026-01",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    replica.set_faults("")  # type: ignore[attr-defined]
    replica.set_now(None)  # type: ignore[attr-defined]
    replica.reset_stats()  # type: ignore[attr-defined]
    return d


def requests_seen(replica: object) -> int:
    return int(replica.stats()["total"])  # type: ignore[attr-defined]


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.parquet"))
    }


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run", "--month", "2023-13"], "no month 13"),
        (["run", "--month", "2099-01"], "in the future"),
        (["backfill", "--from", "2022-11", "--to", "2023-02"], "before the portal's 766 history"),
        (["backfill", "--from", "2026-01", "--to", "2026-02", "--provinces", "H55,H99"], "H99"),
        (["snapshot", "--provinces", "H99"], "H99"),
        (["run", "--quarter", "2026-Q5"], "not a month"),
        (["run", "--quarter", "2099-Q1"], "in the future"),
        (["run", "--year", "2022"], "before the portal's 766 history"),
    ],
)
def test_bad_arguments_get_one_line_exit_2_and_nothing_written(
    argv: list[str], words: str, data_dir: Path, replica: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
    assert not data_dir.exists()
    assert requests_seen(replica) == 0


@pytest.mark.usefixtures("prefect_harness")
def test_backfill_is_resumable_refreshable_and_relandable(
    data_dir: Path, replica: object, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["backfill", "--from", "2026-01", "--to", "2026-03", "--provinces", "H55,H44", "--no-build"]
    expected = request_count(
        month_range(Period.month(2026, 1), Period.month(2026, 3)), ["H55", "H44"], Settings()
    )
    assert main(argv) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert f"requests: {expected} made" in out and "provinces ok: 2 (H44, H55)" in out
    assert requests_seen(replica) == expected == 45
    bodies = list((data_dir / "raw").rglob("*.json.gz"))
    assert len(bodies) == expected
    landed = tree_digest(data_dir / "landing")
    assert {p.split("/")[0] for p in landed} == {
        "unit_scores",
        "indicator_values",
        "units_seen",
        "reported_series",
    }
    assert any("period_key=2026-03" in p for p in landed)

    # again: nothing new is fetched, nothing changes
    assert main(argv) == 0
    assert "requests: 0 made" in capsys.readouterr().out
    assert requests_seen(replica) == expected
    assert tree_digest(data_dir / "landing") == landed

    # --refresh captures again; older captures stay in raw/
    assert main([*argv, "--refresh"]) == 0
    capsys.readouterr()
    assert requests_seen(replica) == 2 * expected
    assert len(list((data_dir / "raw").rglob("*.json.gz"))) > expected

    # the landing zone is exactly what raw/ rebuilds; doctor agrees
    landed = tree_digest(data_dir / "landing")
    assert main(["reland"]) == 0
    assert tree_digest(data_dir / "landing") == landed
    assert main(["doctor"]) == 0
    capsys.readouterr()

    # damage: a landing file goes missing, then a raw body is altered
    victim = next(iter(sorted((data_dir / "landing").rglob("*.parquet"))))
    victim.unlink()
    assert main(["doctor"]) == 1
    assert "run `dvc766 reland`" in capsys.readouterr().out
    assert main(["reland"]) == 0
    assert tree_digest(data_dir / "landing") == landed
    body = sorted((data_dir / "raw").rglob("*.json.gz"))[0]
    body.write_bytes(gzip.compress(b'{"code":"OK","data":{}}'))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "does not match its record" in out and "--refresh" in out


@pytest.mark.usefixtures("prefect_harness")
def test_faulty_province_is_reported_the_healthy_one_lands_and_exit_is_1(
    data_dir: Path, replica: object, capsys: pytest.CaptureFixture[str]
) -> None:
    replica.set_faults("dvc-progress-tree:wrong-province:1")  # type: ignore[attr-defined]
    code = main(["run", "--month", "2026-02", "--provinces", "H55,H44", "--no-build"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "provinces failed: 1" in out and "provinces ok: 1" in out
    assert "wrong_scope" in err and "2026-02" in err
    failed = [line for line in out.splitlines() if line.strip().startswith("FAILED")]
    assert len(failed) == 1 and ("H55" in failed[0] or "H44" in failed[0])
    healthy = "H44" if "H55" in failed[0] else "H55"
    assert list((data_dir / "landing").rglob(f"{healthy}__*.parquet"))


def test_serve_dry_run_prints_the_four_deployments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "monthly/monthly: cron '0 */6 3-10 * *' (Asia/Ho_Chi_Minh)" in out
    assert "month-end-snapshot/month-end-snapshot: cron '30 22 28-31 * *'" in out
    assert "backfill/backfill: no schedule" in out
    assert out.count("concurrency limit 1") == 4 and "drilldown/drilldown" in out


@pytest.mark.usefixtures("prefect_harness")
def test_a_quarter_and_a_closed_year_run_through_to_the_warehouse(
    data_dir: Path, replica: object, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    assert main(["run", "--quarter", "2026-Q2", "--provinces", "H55"]) == 0
    out = capsys.readouterr().out
    assert "periods: 2026-Q2" in out and "requests: 8 made" in out
    assert main(["run", "--year", "2025", "--provinces", "H55"]) == 0  # before the cutover: legacy
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        periods = con.execute("select period_type, period_key from dim_period order by 1, 2").fetchall()
        facts = dict(con.execute("select period_key, count(*) from fct_unit_score group by 1").fetchall())
        q2 = con.execute(
            "select count(*) from fct_indicator where period_key = '2026-Q2' and unit_code = 'H55'"
        ).fetchone()[0]
    finally:
        con.close()
    assert periods == [("quarter", "2026-Q2"), ("year", "2025")]
    assert facts["2026-Q2"] > 30 and facts["2025"] > 30 and q2 > 10


@pytest.mark.usefixtures("prefect_harness")
def test_snapshot_is_labelled_by_the_portal_clock_and_built(
    data_dir: Path, replica: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # the portal says 30 September 22:30 (Vietnam time), whatever this machine's clock says
    replica.set_now("2026-09-30T22:30")  # type: ignore[attr-defined]
    assert main(["snapshot", "--provinces", "H55"]) == 0
    out = capsys.readouterr().out
    assert "periods: 2026-YTD-09" in out and "late snapshot" not in out
    assert "requests: 8 made" in out
    assert "checks " in out and " passed" in out
    assert (data_dir / "warehouse.duckdb").is_file()
    keys = {p.name for p in (data_dir / "raw" / "v1").glob("*/*")}
    assert keys == {"2026-YTD-09"}
    # a month later the portal's own change of each total (scoreDelta) is the change since 30/9, so the
    # check that compares it with dvc766's is clean (it flagged all 34 provinces with 49,91 against -0,12)
    replica.set_now("2026-10-31T22:30")  # type: ignore[attr-defined]
    assert main(["snapshot", "--provinces", "H55"]) == 0
    out = capsys.readouterr().out
    assert "warning" not in out and re.search(r"checks (\d+)/\1 passed", out), out
    from tests.published import query

    pairs = query(
        data_dir / "warehouse.duckdb",
        "select count(*), max(abs(d.value - (c.total_score - p.total_score))) from fct_indicator d "
        "join fct_unit_score c on c.unit_code = d.unit_code and c.period_key = d.period_key "
        "join fct_unit_score p on p.unit_code = c.unit_code and p.period_key = '2026-YTD-09' "
        "where d.indicator_code = 'TOTAL_SCORE_DELTA' and d.period_key = '2026-YTD-10'",
    )
    assert pairs[0][0] >= 34 and pairs[0][1] <= 0.01, pairs


@pytest.mark.usefixtures("prefect_harness")
def test_blocks_open_the_circuit_breaker_and_stop_the_run(
    data_dir: Path, replica: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DVC766_MAX_BLOCKS", "2")
    monkeypatch.setenv("DVC766_BACKFILL_CONCURRENCY", "1")
    replica.set_faults("all:403")  # type: ignore[attr-defined]
    code = main(
        ["backfill", "--from", "2026-01", "--to", "2026-03", "--provinces", "H55,H44,H01", "--no-build"]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "STOPPED:" in out and "circuit" in err.lower()
    # the run stopped instead of trying every one of the 3 x (1 + 3 x 7) requests
    assert requests_seen(replica) <= 4


RUN_SPECIFIC = {"captured_at", "capture_id", "raw_sha256"}


def landing_content(root: Path) -> dict[str, list[tuple]]:
    """Every landed row without what differs between two captures of the same answer."""
    import pyarrow.parquet as pq

    out: dict[str, list[tuple]] = {}
    for dataset in ("unit_scores", "indicator_values", "units_seen"):
        rows: list[tuple] = []
        for f in sorted((root / dataset).rglob("*.parquet")):
            t = pq.read_table(f)
            keep = [c for c in t.column_names if c not in RUN_SPECIFIC]
            rows += [tuple(r.values()) for r in t.select(keep).to_pylist()]
        out[dataset] = sorted(rows, key=repr)
    return out


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_backfill_killed_mid_way_then_rerun_lands_what_an_uninterrupted_run_lands(
    data_dir: Path,
    replica: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from prefect.settings import PREFECT_API_URL

    argv = ["backfill", "--from", "2026-01", "--to", "2026-03", "--provinces", "H55,H44", "--no-build"]
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "DVC766_PACING_S": "0.15"}
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "dvc766.cli", *argv], env=env, cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((data_dir / "raw").rglob("*.meta.json"))) >= 12:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the backfill finished before it could be killed"
    seen_before = requests_seen(replica)
    assert 12 <= seen_before < 45

    assert main(argv) == 0
    capsys.readouterr()
    resumed = landing_content(data_dir / "landing")
    # the rerun asked only for what the killed run had not kept (plus what was in flight at the kill)
    assert 45 <= requests_seen(replica) <= 45 + Settings.from_env().backfill_concurrency
    assert main(["doctor"]) == 0
    digest = tree_digest(data_dir / "landing")
    assert main(["reland"]) == 0
    assert tree_digest(data_dir / "landing") == digest

    monkeypatch.setenv("DVC766_DATA_DIR", str(tmp_path / "uninterrupted"))
    assert main(argv) == 0
    assert landing_content(tmp_path / "uninterrupted" / "landing") == resumed
