"""Every benchmark runs end to end at tiny size (one province, two months, one repeat).

Why: ``make bench`` takes many minutes and nobody runs it on every change; this keeps each benchmark
working as the modules under it move. It asserts what the benchmarks found, never how fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import BenchConfig
from benchmarks.bench_backfill import month_keys
from benchmarks.bench_overhead import planned_requests
from benchmarks.bench_requests import minimum_requests
from benchmarks.run import run_all, table


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> dict:
    # the session's Prefect server is the "configured" one benchmark 8 measures at tiny size
    cfg = BenchConfig.tiny(tmp_path_factory.mktemp("bench"))
    out = run_all(cfg, say=lambda _msg: None)
    json.dumps(out)  # the results file must be plain JSON
    return out


def test_planned_requests_are_the_clients_bodies() -> None:
    planned = planned_requests(["H55"], "2026-10")
    assert len(planned) == minimum_requests(1) == 8
    endpoint, national = planned[0]
    assert endpoint == "evaluation/service-results"
    assert national == {
        "timeType": "month",
        "year": 2026,
        "month": 10,
        "departmentType": "ADMINISTRATIVE_UNIT",
    }
    satisfaction = dict(planned)["evaluation/handling-satisfaction"]
    assert satisfaction["fromDate"] == "2026-10-01" and satisfaction["toDate"] == "2026-10-31"


def test_month_keys_cross_years() -> None:
    assert month_keys("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert len(month_keys("2026-09", 60)) == 60 and month_keys("2026-09", 60)[0] == "2021-10"


def test_overhead_and_request_count(results: dict) -> None:
    over = results["overhead"]
    assert over["requests"] == over["requests_seen_by_replica"] == 8
    assert over["median"]["bare_s"] > 0 and over["median"]["plain_s"] > 0
    assert set(over["plain_stages_median_s"]) >= {"fetch", "raw", "land", "build"}
    req = results["requests"]
    assert req["requests_made"] == req["requests_counted_by_client"] == req["minimum"] == 8
    assert req["meets_target"] is True


def test_backfill_growth_and_report(results: dict) -> None:
    back = results["backfill"]
    assert back["months"] == 2 and back["provinces"] == 1
    assert back["fact_rows"]["fct_unit_score"] > 0 and back["fact_rows"]["fct_indicator"] > 0
    assert back["landing"]["rows_landed"]["indicator_values"] > 0
    passed, total = back["checks_passed"].split("/")
    assert passed == total
    assert back["peak_rss_mb"] > 0
    assert results["growth"]["median"]["ratio"] > 0
    assert results["growth"]["years_rebuilt"] == ["2026"]  # the month was published incrementally
    for fmt in ("docx", "xlsx"):
        assert results["report"][fmt]["bytes"] > 1000


def test_table_names_every_target(results: dict) -> None:
    text = table(results)
    for label in ("bare loop", "requests vs minimum", "report docx", "build from landing", "one more month"):
        assert label in text
    assert ("met" in text) or ("MISSED" in text)


def test_results_file_written_by_main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import run as run_module

    monkeypatch.setattr(run_module.BenchConfig, "full", classmethod(lambda cls, w: BenchConfig.tiny(w)))
    out = tmp_path / "r.json"
    assert run_module.main(["--only", "requests", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["requests"]["minimum"] == 8 and "nproc" in data["machine"]


def test_contract_benchmark_parses_and_normalises_every_body(results: dict) -> None:
    c = results["contract"]
    assert c["bodies"] == 8 and c["rows"] > 100 and len(c["runs_s"]) >= 3


def test_drilldown_benchmark_counts_requests_per_procedure(results: dict) -> None:
    d = results["drilldown"]
    assert [r["procedures"] for r in d["sizes"]] == [2, 4]
    assert all(1 <= r["requests_per_procedure"] <= 5 for r in d["sizes"]) and d["growth_per_procedure"] > 0


def test_cli_start_benchmark_times_the_first_request(results: dict) -> None:
    c = results["cli_start"]
    assert c["province"] == "H55"
    assert 0 < c["configured"]["first_request_s"] <= c["configured"]["command_s"]
    assert "8 dvc766 run → first request (PREFECT_API_URL set)" in table(results)
