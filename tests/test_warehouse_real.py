"""The real captured portal bodies, normalised and landed by the pipeline, reach the warehouse intact."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dvc766.settings import Settings
from flows.landing import write_batch
from tests.test_normalise_v1 import h44_batch, national_capture
from warehouse.runner import build


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(data_dir=tmp_path_factory.mktemp("real"))
    write_batch(settings, h44_batch(extra={"batch_id": "run1-H44-2026-08"}), "run1-H44-2026-08")
    nat = dataclasses.replace(national_capture(), extra={"batch_id": "run1-national-2026-09-17"})
    write_batch(settings, [nat], "run1-national-2026-09-17")
    result = build(settings)
    assert result.tables["fct_indicator"] > 0
    return result.warehouse_path


def one(path: Path, sql: str) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    assert len(rows) == 1, rows
    return rows[0]


def test_phu_tho_august_2026_progress(warehouse: Path) -> None:
    score, received, period_end = one(
        warehouse,
        "select score, denominator, period_end from fct_indicator "
        "where unit_code = 'H44' and indicator_code = 'PROGRESS_ON_TIME' and period_type = 'month' and period_key = '2026-08'",
    )
    assert (score, received, period_end) == (pytest.approx(15.68), 184_513, date(2026, 8, 31))
    tdgq = one(
        warehouse,
        "select score_tdgq from fct_unit_score where unit_code = 'H44' and period_type = 'month' and period_key = '2026-08'",
    )
    assert tdgq == (pytest.approx(15.68),)


def test_thai_nguyen_in_the_2026_national_ranking_of_2026_09_17(warehouse: Path) -> None:
    # the year to date as seen on 17/09, mid-September: that morning's figure (fct_daily_unit_score,
    # issue 32), never September's month end (as_of 'early')
    row = one(
        warehouse,
        "select total_score, score_ckmb, score_tdgq, score_clgq, score_tttt, score_mdhl, score_mdsh, "
        "rank_in_scope, rank_scope_size, rank_scope, watch_date "
        "from fct_daily_unit_score where unit_code = 'H55' and year(period_start) = 2026 "
        "and period_type in ('year', 'ytd')",
    )
    early = "select count(*) from fct_unit_score where unit_code = 'H55' and period_key = '2026-YTD-09'"
    assert one(warehouse, early) == (0,)
    total, *groups, rank, size, scope, captured_on = row
    assert total == pytest.approx(61.48)
    assert all(g is not None for g in groups)
    assert sum(groups) == pytest.approx(total, abs=0.01)
    assert (size, scope, captured_on) == (34, "national", date(2026, 9, 17))
    assert 1 <= rank <= 34
    name = one(warehouse, "select unit_name from dim_unit where unit_code = 'H55' and is_current")
    assert "Thái Nguyên" in name[0]
