"""A backfill across the v1 cutover (2026-01) and the 2025 merger, against the replica.

``dvc766 backfill --from 2024-01 --to 2026-10`` for Thái Nguyên and An Giang: 18 months of the 63
old provinces from the legacy gateway, 6 months of the 34 from it, then 10 months from the v1 API.
No unit may be duplicated, a continuing unit's months must run without a gap, and the merger view
must show Bắc Kạn (a replica code, Z..) before July 2025 under H55, beside Thái Nguyên.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.periods import Period, month_range
from tests.published import query, replica_env

replica_server = pytest.importorskip("replica.server")

pytestmark = pytest.mark.slow
ALL_MONTHS = [p.key for p in month_range(Period.month(2024, 1), Period.month(2026, 10))]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("backfill_history") / "data"
    with pytest.MonkeyPatch.context() as mp, replica_server.start_replica() as replica:
        for key, value in replica_env(data, replica.url).items():
            mp.setenv(key, value)
        assert main(["backfill", "--from", "2024-01", "--to", "2026-10", "--provinces", "H55,H01"]) == 0
    yield data / "warehouse.duckdb"


def test_both_apis_and_both_structures_were_used(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select source_api, min(period_key), max(period_key), max(rank_scope_size) from fct_unit_score "
        "where unit_code = 'H55' and period_type = 'month' group by 1 order by 1",
    )
    assert rows == [("legacy", "2024-01", "2025-12", 63), ("v1", "2026-01", "2026-10", 34)]


def test_no_unit_is_duplicated(warehouse: Path) -> None:
    assert (
        query(
            warehouse,
            "select unit_code from dim_unit group by unit_code having count(*) filter (where is_current) <> 1",
        )
        == []
    )
    for table, key in (
        ("fct_unit_score", "unit_code, period_type, period_key"),
        ("fct_indicator", "unit_code, indicator_code, period_type, period_key"),
        ("rpt_province_history", "new_code, series_code, period_type, period_key"),
    ):
        assert query(warehouse, f"select {key} from {table} group by all having count(*) > 1") == [], table
    # the legacy numeric ID and the v1 UUID of a province are one unit: no version starts at the cutover
    ids = query(warehouse, "select unit_id from dim_unit where unit_code = 'H55'")
    assert len(ids) == 1


def test_continuing_units_have_no_gap_in_their_month_series(warehouse: Path) -> None:
    months = query(
        warehouse,
        "select unit_code, list(period_key order by period_key) from fct_unit_score "
        "where period_type = 'month' and unit_code in ('H55', 'H01') group by 1 order by 1",
    )
    assert months == [("H01", ALL_MONTHS), ("H55", ALL_MONTHS)]
    # every unit seen in the first v1 month and the last one has every month in between
    gaps = query(
        warehouse,
        """
        with months as (
            select unit_code, period_start from fct_unit_score
            where period_type = 'month' and period_start >= date '2026-01-01'
        ),
        spans as (
            select unit_code, min(period_start) as first, max(period_start) as last, count(*) as n
            from months group by unit_code
        )
        select unit_code from spans
        where n <> datediff('month', first, last) + 1 or first <> date '2026-01-01'
        """,
    )
    assert gaps == []
    communes = query(
        warehouse,
        "select count(distinct unit_code) from fct_unit_score where province_code = 'H55' "
        "and unit_code <> 'H55' and period_key = '2026-10'",
    )
    assert communes[0][0] > 50


def test_merger_view_shows_bac_kan_before_july_2025_under_h55(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select era, series_code, series_name, series_role, count(*), min(period_key), max(period_key), "
        "max(rank_scope_size) from rpt_province_history where new_code = 'H55' and period_type = 'month' "
        "group by all order by era desc, series_role desc",
    )
    assert len(rows) == 3, rows
    (bk_era, bk_code, *bk), (tn_era, tn_code, *tn), after = sorted(
        rows, key=lambda r: (r[0] != "before_merger", r[3])
    )
    assert (bk_era, bk_code[0], bk) == (
        "before_merger",
        "Z",
        ["Bắc Kạn", "absorbed", 18, "2024-01", "2025-06", 63],
    )
    assert (tn_era, tn_code, tn) == (
        "before_merger",
        "H55",
        ["Thái Nguyên", "same_name", 18, "2024-01", "2025-06", 63],
    )
    assert after == ("after_merger", "H55", "Thái Nguyên", "province", 16, "2025-07", "2026-10", 34)
    # the merger view carries each series' own score: it equals the unit's own facts, never a blend
    mismatched = query(
        warehouse,
        "select h.series_code, h.period_key from rpt_province_history h join fct_unit_score f "
        "on f.unit_code = h.series_code and f.period_type = h.period_type and f.period_key = h.period_key "
        "where h.total_score is distinct from f.total_score",
    )
    assert mismatched == []
    # An Giang absorbed Kiên Giang; both old provinces stand side by side before the merger
    ag = query(
        warehouse,
        "select list(distinct series_name order by series_name) from rpt_province_history "
        "where new_code = 'H01' and era = 'before_merger'",
    )
    assert ag == [(["An Giang", "Kiên Giang"],)]
