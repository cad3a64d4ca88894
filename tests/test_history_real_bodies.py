"""History from the real legacy rows: three October-2025 captures of the 2025 year ranking.

The replica serves the real ``report_tinh_766_service`` answers of three exports (scenario
``real_bodies``), each in its own window of the replica's clock. A month-end snapshot taken while
the legacy gateway was the live portal (before the v1 cutover) asks it for the running year, so
three ``dvc766 snapshot`` runs with the clock moved between them capture the year three times, as
a data engineer would have in October 2025. The warehouse must show the latest figure and
``rpt_revisions`` the path it took.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from dvc766.cli import main
from tests.published import query, replica_env

replica_server = pytest.importorskip("replica.server")

CLOCKS = ("2025-10-11T09:00", "2025-10-15T09:00", "2025-10-16T09:00")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("real_history") / "data"
    with pytest.MonkeyPatch.context() as mp, replica_server.start_replica(scenario="real_bodies") as replica:
        for key, value in replica_env(data, replica.url).items():
            mp.setenv(key, value)
        for clock in CLOCKS:
            replica.set_now(clock)
            assert main(["snapshot", "--provinces", "H55,H01"]) == 0
    yield data / "warehouse.duckdb"


def test_the_three_snapshots_asked_the_legacy_gateway_for_the_running_year(warehouse: Path) -> None:
    raw = warehouse.parent / "raw" / "legacy" / "report_tinh_766_service" / "2025-YTD-09"
    assert sorted(p.name for p in raw.iterdir()) == ["H01", "H55", "national"]
    assert len(list((raw / "national").glob("*.json.gz"))) == 3
    assert len(list((raw / "H01").glob("*.json.gz"))) == 3


def test_thai_nguyen_2025_ytd_total_is_the_latest_capture(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select total_score, score_tttt, rank_in_scope, rank_scope_size, rank_scope, source_api, "
        "cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date) from fct_unit_score "
        "where unit_code = 'H55' and period_type = 'ytd' and year(period_start) = 2025",
    )
    assert rows == [(90.3, 10.0, 3, 34, "national", "legacy", date(2025, 10, 16))]


def test_rpt_revisions_shows_the_path_from_90_19_to_90_3(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select previous_value, revised_value, change, first_value, "
        "strftime(timezone('Asia/Ho_Chi_Minh', first_captured_at), '%Y-%m-%d %H:%M'), "
        "strftime(timezone('Asia/Ho_Chi_Minh', previous_captured_at), '%Y-%m-%d %H:%M'), "
        "strftime(timezone('Asia/Ho_Chi_Minh', revised_captured_at), '%Y-%m-%d %H:%M'), "
        "revision_no, is_latest, capture_count, scope, source_api "
        "from rpt_revisions where unit_code = 'H55' and figure_source = 'unit_score' "
        "and figure_code = 'TOTAL' and measure = 'score' order by revised_captured_at",
    )
    assert rows == [
        (90.19, 90.61, 0.42, 90.19, "2025-10-11 09:00", "2025-10-11 09:00", "2025-10-15 09:00", 1, False, 3,
         "national", "legacy"),
        (90.61, 90.3, -0.31, 90.19, "2025-10-11 09:00", "2025-10-15 09:00", "2025-10-16 09:00", 2, True, 3,
         "national", "legacy"),
    ]  # fmt: skip
    # the rank moved too (3rd, 2nd, 3rd), and is listed as a revision of its own
    ranks = query(
        warehouse,
        "select previous_value, revised_value from rpt_revisions where unit_code = 'H55' "
        "and measure = 'rank' order by revised_captured_at",
    )
    assert ranks == [(3.0, 2.0), (2.0, 3.0)]
    # a figure that never changed is not a revision; every row is a real change
    assert query(warehouse, "select count(*) from rpt_revisions where revised_value = previous_value") == [
        (0,)
    ]


def test_an_giang_agencies_and_communes_are_all_present(warehouse: Path) -> None:
    kinds = query(
        warehouse,
        "select unit_kind, count(*) from dim_unit where province_code = 'H01' and unit_code <> 'H01' "
        "and is_current group by 1 order by 1",
    )
    assert kinds == [("agency", 15), ("commune", 102)]
    # one row per unit in the facts, ranked together among the province's 117 units
    ranked = query(
        warehouse,
        "select count(*), count(distinct f.unit_code), min(rank_scope_size), max(rank_scope_size), "
        "max(rank_in_scope), count(distinct u.unit_kind) "
        "from fct_unit_score f join dim_unit u on u.unit_code = f.unit_code and u.is_current "
        "where f.province_code = 'H01' and f.unit_code <> 'H01' and f.period_key = '2025-YTD-09'",
    )
    assert ranked == [(117, 117, 117, 117, 117, 2)]
    # agencies and communes share one ranking: the top ten mixes both kinds
    top = query(
        warehouse,
        "select distinct u.unit_kind from fct_unit_score f "
        "join dim_unit u on u.unit_code = f.unit_code and u.is_current "
        "where f.rank_scope = 'H01' and f.period_key = '2025-YTD-09' and f.rank_in_scope <= 10",
    )
    assert sorted(r[0] for r in top) == ["agency", "commune"]


def test_lang_son_written_000_00_00_h37_is_h37(warehouse: Path) -> None:
    assert query(
        warehouse,
        "select count(*) from fct_unit_score where unit_code = 'H37' and period_key = '2025-YTD-09'",
    ) == [(1,)]
    assert query(warehouse, "select count(*) from dim_unit where unit_code like '000%'") == [(0,)]
