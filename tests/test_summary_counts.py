"""The run summary's counts agree with what was written and published, in every outcome (issue 20):
all ok, some failed, all failed, nothing new. "Rows landed" is read back from the landing files the
run wrote; the warehouse line says whether those rows were published, and why not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dvc766.periods import Period
from dvc766.settings import Settings
from flows.monthly import execute
from flows.summary import RunSummary

replica_server = pytest.importorskip("replica.server")
AUG = Period.month(2026, 8)


@pytest.fixture(scope="module")
def replica() -> Iterator[object]:
    with replica_server.start_replica(now="2026-10-05T10:00") as handle:
        yield handle


def run(replica: object, data: Path, faults: str = "") -> RunSummary:
    replica.set_faults(faults)  # type: ignore[attr-defined]
    settings = Settings(
        data_dir=data,
        portal_url=replica.url,
        pacing_s=0,
        jitter_s=0,
        max_retries=0,
        backoff_base_s=0.01,  # type: ignore[attr-defined]
    )
    return execute("monthly", settings, [AUG], ["H55", "H44"], use_prefect=False)


def written(data: Path, run_id: str) -> dict[str, int]:
    """Rows per dataset in the landing files this run wrote (file names carry the batch id)."""
    out: dict[str, int] = {}
    for p in (data / "landing").rglob(f"*__{run_id}*.parquet"):
        dataset = p.relative_to(data / "landing").parts[0]
        out[dataset] = out.get(dataset, 0) + pq.read_metadata(p).num_rows
    return out


def landed(summary: RunSummary) -> dict[str, int]:
    return {k: v for k, v in summary.rows_landed().items() if v}


def published(data: Path) -> int:
    from tests.published import query

    db = data / "warehouse.duckdb"
    return query(db, "select count(*) from fct_indicator_capture")[0][0] if db.exists() else 0


def test_the_four_outcomes(tmp_path: Path, replica: object) -> None:
    data = tmp_path / "data"
    # all ok: everything written is counted, and built
    ok = run(replica, data)
    assert ok.ok and landed(ok) == written(data, ok.run_id) and landed(ok)
    assert ok.build["status"] == "ok" and published(data) == landed(ok)["indicator_values"]
    # nothing new: nothing written, nothing counted, nothing rebuilt
    again = run(replica, data)
    assert landed(again) == {} == written(data, again.run_id)
    assert again.build == {
        "status": "skipped",
        "message": "nothing new landed; the published warehouse is current",
    }
    # some failed: a fresh folder, the first province's progress tree answers 500 (no retries)
    some = tmp_path / "some"
    part = run(replica, some, "dvc-progress-tree:5xx:1")
    assert [b.scope for b in part.failed] and len(part.failed) == 1
    assert landed(part) == written(some, part.run_id)
    assert part.build["status"] == "ok" and published(some) == landed(part)["indicator_values"]
    # all failed: every province batch fails, yet their good captures were landed; the summary
    # counts them and says they were not published
    none = tmp_path / "none"
    failed = run(replica, none, "dvc-progress-tree:5xx:99,service-results:5xx:99")
    assert failed.failed and all(b.status == "failed" for b in failed.batches)
    assert landed(failed) == written(none, failed.run_id)
    rows = sum(landed(failed).values())
    assert failed.build["status"] == "skipped" and published(none) == 0
    assert failed.build["message"] == (
        f"every batch failed; nothing published ({rows} rows of their good captures were landed and wait "
        "for the next build)"
        if rows
        else "every batch failed; nothing published"
    )
    text = failed.text()
    assert "rows landed: " in text and "warehouse: skipped: every batch failed" in text


def test_the_run_summary_names_its_warnings() -> None:
    """A run's last line says which checks warned, as `dvc766 build` does, not just how many."""
    from types import SimpleNamespace

    from flows.summary import describe_build
    from warehouse.checks import CheckResult

    warn = CheckResult("portal_score_delta_matches_change", "warn", 34)
    result = SimpleNamespace(warehouse_path="data/warehouse.duckdb", checks_passed=56, checks=[None] * 57,
                             warnings=[warn], tables={})  # fmt: skip
    summary = RunSummary("monthly", "r1", "data", build=describe_build(result))
    assert summary.lines()[-2] == (
        "warehouse: built data/warehouse.duckdb: checks 56/57 passed, 1 warning: "
        "portal_score_delta_matches_change (warn): 34 offending rows"
    )
    result.warnings = []
    assert RunSummary("monthly", "r1", "data", build=describe_build(result)).lines()[-2].endswith("57 passed")
