"""One capture per row (issue 27): every figure of a published unit score comes from one capture,
picked by one total order, and a unit's score and its rank come from the same capture.

The attack that found it: two month-end snapshots of one period taken at the same instant (31/10
23:00), one from the default replica and one from the ``real_bodies`` scenario. ``fct_unit_score``
took each province's score from one capture and its rank from the other: 31 of 34 provinces were
ranked out of order with their scores and the appendix read "-1,70 điểm; tăng 13 bậc".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dvc766.cli import main
from dvc766.periods import Period
from tests.landing_factory import Landing
from tests.published import query, replica_env
from warehouse.checks import load_checks, run_check
from warehouse.runner import build_models

replica_server = pytest.importorskip("replica.server")

YTD = Period("ytd", 2026, 10)
GROUPS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")
AT = "2026-10-31T16:00"  # 23:00 in Vietnam: both snapshots at the same second


def _ranking(land: Landing, prov: dict, scores: dict[str, list[float]]) -> list[dict]:
    """A national ranking capture: each province's total (ranked) and its six groups."""
    totals = {code: round(sum(groups), 2) for code, groups in scores.items()}
    order = sorted(totals, key=lambda c: -totals[c])
    rows = []
    for code, groups in scores.items():
        rows.append(land.score(code, "TOTAL", totals[code], prov, max_score=100, rank=order.index(code) + 1,
                               rank_size=len(scores)))  # fmt: skip
        rows += [land.score(code, g, s, prov) for g, s in zip(GROUPS, groups, strict=True)]
    return rows


def two_rankings_at_one_instant(data: Path) -> dict[str, str]:
    """Two national rankings of 2026-YTD-10 captured at the same second that disagree, and each
    province's own service-results (its total, unranked) captured at that second too."""
    land = Landing(data)
    a = land.provenance(YTD, AT, capture_id="20261031T160000Z_aaaaaaaaaaaa")
    b = land.provenance(YTD, AT, capture_id="20261031T160000Z_bbbbbbbbbbbb")
    rows = _ranking(land, a, {"H19": [10, 15, 8, 6, 12, 10], "H24": [9, 14, 8, 6, 12, 10],
                               "H26": [8, 13, 8, 6, 12, 10]})  # fmt: skip
    rows += _ranking(land, b, {"H19": [8, 13, 8, 6, 12, 10], "H24": [9, 14, 8, 6, 12, 10],
                                "H26": [10, 15, 8, 6, 12, 10]})  # fmt: skip
    for code, total in (("H19", 62.0), ("H24", 59.5), ("H26", 60.0)):
        own = land.provenance(YTD, AT, scope=code, capture_id=f"20261031T160000Z_ffff{code}ffff")
        rows.append(land.score(code, "TOTAL", total, own, max_score=100))
    land.write("unit_scores", rows)
    return {"a": a["capture_id"], "b": b["capture_id"]}


def test_a_provinces_score_and_rank_come_from_one_capture(tmp_path: Path) -> None:
    ids = two_rankings_at_one_instant(tmp_path)
    con = duckdb.connect()
    build_models(con, tmp_path / "landing")
    got = con.execute(
        "select unit_code, total_score, rank_in_scope, rank_scope, capture_id, score_capture_count, "
        "score_ckmb + score_tdgq + score_clgq + score_tttt + score_mdhl + score_mdsh "
        "from fct_unit_score order by rank_in_scope"
    ).fetchall()
    # the later capture id (b) wins the tie, and gives each province its total, rank and six groups
    assert got == [
        ("H26", 61.0, 1, "national", ids["b"], 1, 61.0),
        ("H24", 59.0, 2, "national", ids["b"], 1, 59.0),
        ("H19", 57.0, 3, "national", ids["b"], 1, 57.0),
    ]
    # every group of the row with the capture it came from, its maximum and ratio (beside the row)
    per_group = con.execute(
        "select group_code, score, max_score, ratio, capture_id from fct_unit_group_score "
        "where unit_code = 'H26' and group_code in ('TOTAL', 'TDGQ') order by group_code"
    ).fetchall()
    assert per_group == [("TDGQ", 15.0, None, None, ids["b"]), ("TOTAL", 61.0, 100.0, 61.0, ids["b"])]


def test_the_pick_does_not_depend_on_the_order_files_are_read(tmp_path: Path) -> None:
    ids = two_rankings_at_one_instant(tmp_path / "one")
    first = duckdb.connect()
    build_models(first, tmp_path / "one" / "landing")
    # the same rows written in the other order (b's file first)
    land = Landing(tmp_path / "two")
    for path in sorted((tmp_path / "one" / "landing").rglob("*.parquet"), reverse=True):
        rows = duckdb.sql(f"select * from read_parquet('{path}')").to_arrow_table().to_pylist()
        land.write("unit_scores", rows)
    second = duckdb.connect()
    build_models(second, tmp_path / "two" / "landing")
    sql = "select * from fct_unit_score order by unit_code"
    assert first.execute(sql).fetchall() == second.execute(sql).fetchall()
    assert {r[0] for r in first.execute("select distinct capture_id from fct_unit_score").fetchall()} == {
        ids["b"]
    }


def test_the_check_fails_a_build_whose_ranks_contradict_its_scores(tmp_path: Path) -> None:
    two_rankings_at_one_instant(tmp_path)
    con = duckdb.connect()
    build_models(con, tmp_path / "landing")
    check = next(c for c in load_checks() if c.name == "unit_score_rank_follows_score")
    assert check.severity == "error"
    assert run_check(con, check).passed
    # today's mix: the provinces' own totals with the national ranking's ranks
    con.execute(
        "update fct_unit_score s set total_score = o.score from (select unit_code, score from "
        "stg_landing__unit_scores where scope <> 'national') o where o.unit_code = s.unit_code"
    )
    result = run_check(con, check)
    assert not result.passed and result.rows >= 1


# --- end to end: two replicas, one instant ----------------------------------------------------------

PROVINCES = "H19,H24,H26"


@pytest.fixture(scope="module")
def two_snapshots(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("one_instant") / "data"
    with pytest.MonkeyPatch.context() as mp:
        for scenario in (None, "real_bodies"):
            with replica_server.start_replica(scenario=scenario, now="2026-10-31T23:00") as replica:
                for key, value in replica_env(data, replica.url).items():
                    mp.setenv(key, value)
                assert main(["snapshot", "--provinces", PROVINCES]) == 0
    yield data / "warehouse.duckdb"


def test_two_snapshots_at_one_instant_publish_ranks_in_the_order_of_their_scores(two_snapshots: Path) -> None:
    rows = query(
        two_snapshots,
        "select unit_code, total_score, rank_in_scope, capture_id from fct_unit_score "
        "where period_key = '2026-YTD-10' and rank_scope = 'national' order by rank_in_scope",
    )
    assert len(rows) == 34
    assert len({r[3] for r in rows}) == 1  # one ranking: one capture
    scores = [r[1] for r in rows]
    assert scores == sorted(scores, reverse=True), rows
    # each row's score and rank are what that capture says for the province
    landed = query(
        two_snapshots,
        "select count(*) from fct_unit_score s join fct_unit_group_score g on g.unit_code = s.unit_code "
        "and g.period_key = s.period_key and g.group_code = 'TOTAL' "
        "where s.period_key = '2026-YTD-10' and (g.capture_id <> s.capture_id or g.score <> s.total_score "
        "or g.rank_in_scope <> s.rank_in_scope)",
    )
    assert landed == [(0,)]


def test_each_provinces_six_groups_add_up_to_its_total(two_snapshots: Path) -> None:
    # the appendix compares totals and groups of one row: they come from one capture and add up
    assert query(
        two_snapshots,
        "select count(*) from fct_unit_score where period_key = '2026-YTD-10' and rank_scope = 'national' "
        "and abs(score_ckmb + score_tdgq + score_clgq + score_tttt + score_mdhl + score_mdsh - total_score) > 0.01",
    ) == [(0,)]
