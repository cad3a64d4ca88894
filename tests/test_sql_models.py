"""Each SQL model on a few hand-written landing rows, against the rows it must produce."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from dvc766.periods import Period
from tests.landing_factory import Landing, capture_time
from warehouse.models import Model, ModelError, discover_models, order_models
from warehouse.runner import build_models

AUG = Period.month(2026, 8)
GROUPS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")


def models_on(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    build_models(con, tmp_path / "landing")
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_empty_landing_builds_typed_empty_models(tmp_path: Path) -> None:
    con = models_on(tmp_path)
    for table in ("fct_unit_score", "fct_indicator", "fct_indicator_capture", "dim_unit", "dim_period"):
        assert rows(con, f"select count(*) from {table}") == [(0,)]
    types = dict(rows(con, "select column_name, column_type from (describe stg_landing__indicator_values)"))
    assert types["numerator"] == "BIGINT"
    assert types["captured_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["period_start"] == "DATE"


def test_staging_reads_every_landing_file_with_types(tmp_path: Path) -> None:
    land = Landing(tmp_path)
    a = land.provenance(AUG, "2026-09-17T08:00")
    b = land.provenance(Period("ytd", 2026, 8), "2026-09-01T01:00", scope="H44")
    land.write("unit_scores", [land.score("H44", "TOTAL", 59.91, a, max_score=100, rank=5, rank_size=34)])
    land.write("unit_scores", [land.score("H44", "TOTAL", 60.0, b, max_score=100)])
    con = models_on(tmp_path)
    got = rows(
        con,
        "select unit_code, period_type, period_key, score, rank_in_scope, scope "
        "from stg_landing__unit_scores order by period_type",
    )
    assert got == [
        ("H44", "month", "2026-08", 59.91, 5, "national"),
        ("H44", "ytd", "2026-YTD-08", 60.0, None, "H44"),
    ]


def test_dim_unit_versions_on_name_or_id_change_in_capture_order(tmp_path: Path) -> None:
    land = Landing(tmp_path)
    p1 = land.provenance(AUG, "2026-09-17T08:00")
    p2 = land.provenance(AUG, "2026-10-10T08:00")
    p3 = land.provenance(Period.month(2026, 9), "2026-10-20T08:00")
    p0 = land.provenance(Period.month(2026, 7), "2026-08-05T08:00")
    land.write(
        "units_seen",
        [
            land.unit_seen("H05", "UBND tỉnh Bắc Ninh", "id-1", p1),
            land.unit_seen("H05", "UBND thành phố Bắc Ninh", "id-1", p2),  # renamed, same ID
            land.unit_seen("H05.17", "Sở Tư pháp", "old", p0, kind="agency"),
            land.unit_seen("H05.17", "Sở Tư pháp", "new", p2, kind="agency"),  # ID reissued
        ],
    )
    land.write("units_seen", [land.unit_seen("H05", "UBND thành phố Bắc Ninh", "id-1", p3)])  # unchanged
    con = models_on(tmp_path)
    got = rows(
        con,
        "select unit_code, valid_from, valid_to, unit_name, unit_id, unit_kind, province_code, "
        "parent_code, is_current from dim_unit order by unit_code, valid_from",
    )
    t0, t1, t2 = (capture_time(s) for s in ("2026-08-05T08:00", "2026-09-17T08:00", "2026-10-10T08:00"))
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in got] == [
        ("H05", t1, t2, "UBND tỉnh Bắc Ninh", "id-1", "province", "H05", None, False),
        ("H05", t2, None, "UBND thành phố Bắc Ninh", "id-1", "province", "H05", None, True),
        ("H05.17", t0, t2, "Sở Tư pháp", "old", "agency", "H05", "H05", False),
        ("H05.17", t2, None, "Sở Tư pháp", "new", "agency", "H05", "H05", True),
    ]


def test_dim_period_labels_and_numbers(tmp_path: Path) -> None:
    land = Landing(tmp_path)
    rows_in = []
    for period in (
        Period.month(2023, 10),
        Period("quarter", 2026, 3),
        Period("year", 2025),
        Period("ytd", 2023, 10),
    ):
        rows_in.append(land.score("H55", "TOTAL", 50.0, land.provenance(period, "2026-09-17T08:00")))
    land.write("unit_scores", rows_in)
    con = models_on(tmp_path)
    got = rows(con, "select * from dim_period order by period_type")
    assert got == [
        ("2023-10", "month", 2023, 10, date(2023, 10, 1), date(2023, 10, 31), "Tháng 10/2023"),
        ("2026-Q3", "quarter", 2026, 3, date(2026, 7, 1), date(2026, 9, 30), "Quý 3/2026"),
        ("2025", "year", 2025, 0, date(2025, 1, 1), date(2025, 12, 31), "Năm 2025"),
        ("2023-YTD-10", "ytd", 2023, 10, date(2023, 1, 1), date(2023, 10, 31), "Lũy kế đến 31/10/2023"),
    ]


def test_dim_indicator_is_the_catalogue(tmp_path: Path) -> None:
    from dvc766.indicators import CATALOGUE

    con = models_on(tmp_path)
    got = rows(
        con,
        "select indicator_code, group_code, max_score from dim_indicator where indicator_code = 'DOSSIER_SYNC'",
    )
    assert got == [("DOSSIER_SYNC", "CKMB", 6.0)]
    assert rows(con, "select count(*) from dim_indicator") == [(len(CATALOGUE),)]


def test_fct_unit_score_takes_a_row_from_the_capture_that_ranks_it(tmp_path: Path) -> None:
    land = Landing(tmp_path)
    old = land.provenance(AUG, "2026-09-17T08:00")
    new = land.provenance(AUG, "2026-09-20T08:00")  # a refresh capture of the national ranking
    prov = land.provenance(AUG, "2026-09-21T08:00", scope="H44", endpoint="evaluation/service-results")
    tree = land.provenance(AUG, "2026-09-22T08:00", scope="H44", endpoint="evaluation/dvc-progress-tree")
    groups_old = [9.0, 15.0, 7.0, 5.0, 11.0, 12.0]
    groups_new = [9.5, 15.68, 7.0, 5.0, 11.0, 12.0]
    data = []
    data.append(land.score("H44", "TOTAL", sum(groups_old), old, rank=3, rank_size=34))
    data += [land.score("H44", g, s, old) for g, s in zip(GROUPS, groups_old, strict=True)]
    data.append(land.score("H44", "TOTAL", sum(groups_new), new, rank=2, rank_size=34))
    data += [land.score("H44", g, s, new) for g, s in zip(GROUPS, groups_new, strict=True)]
    # The province's own service-results: its children ranked in the province, and itself unranked.
    data.append(land.score("H44", "TOTAL", sum(groups_new), prov, rank=1, rank_size=1))
    data.append(land.score("H44.01", "TOTAL", 70.0, prov, rank=1, rank_size=2))
    data.append(land.score("H44.02", "TOTAL", 60.0, prov, rank=2, rank_size=2))
    data.append(land.score("H44.02", "TDGQ", 16.0, tree))  # a child's group from a tree endpoint
    land.write("unit_scores", data)
    con = models_on(tmp_path)
    got = rows(
        con,
        "select unit_code, total_score, score_ckmb, score_tdgq, score_mdsh, rank_in_scope, rank_scope_size, "
        "rank_scope, score_capture_count, captured_at from fct_unit_score order by unit_code",
    )
    assert got == [
        # the national ranking that ranks it gives the total, the rank and all six groups (one
        # capture), before the province's own later but unranked total
        (
            "H44",
            pytest.approx(60.18),
            9.5,
            15.68,
            12.0,
            2,
            34,
            "national",
            1,
            capture_time("2026-09-20T08:00"),
        ),
        ("H44.01", 70.0, None, None, None, 1, 2, "H44", 1, capture_time("2026-09-21T08:00")),
        ("H44.02", 60.0, None, 16.0, None, 2, 2, "H44", 2, capture_time("2026-09-22T08:00")),
    ]


def test_fct_indicator_latest_capture_and_captured_beats_derived(tmp_path: Path) -> None:
    land = Landing(tmp_path)
    ytd = Period("ytd", 2026, 8)
    first = land.provenance(ytd, "2026-09-01T01:00", scope="H44", endpoint="evaluation/dvc-progress-tree")
    revised = land.provenance(ytd, "2026-09-05T01:00", scope="H44", endpoint="evaluation/dvc-progress-tree")
    derived = land.provenance(ytd, "2026-09-30T01:00", scope="H44", endpoint="derived", derived=True)
    land.write(
        "indicator_values",
        [
            land.value(
                "H44",
                "PROGRESS_ON_TIME",
                "TDGQ",
                first,
                numerator=90,
                denominator=100,
                score=18.0,
                max_score=20,
            ),
            land.value(
                "H44",
                "PROGRESS_ON_TIME",
                "TDGQ",
                revised,
                numerator=91,
                denominator=100,
                score=18.2,
                max_score=20,
            ),
            land.value("H44", "PROGRESS_ON_TIME", "TDGQ", derived, numerator=95, denominator=100),
            land.value("H44", "PROGRESS_OVERDUE", "TDGQ", derived, numerator=5, denominator=100),
        ],
    )
    con = models_on(tmp_path)
    got = rows(
        con,
        "select indicator_code, numerator, denominator, value, score, derived, captured_at "
        "from fct_indicator order by indicator_code",
    )
    assert got == [
        ("PROGRESS_ON_TIME", 91, 100, 91.0, 18.2, False, capture_time("2026-09-05T01:00")),
        ("PROGRESS_OVERDUE", 5, 100, 5.0, None, True, capture_time("2026-09-30T01:00")),
    ]
    assert rows(con, "select count(*) from fct_indicator_capture") == [(4,)]


def test_fct_indicator_capture_collapses_a_capture_landed_twice(tmp_path: Path) -> None:
    land = Landing(tmp_path)
    p = land.provenance(AUG, "2026-09-17T08:00", scope="H44", endpoint="evaluation/transparency")
    row = land.value("H44", "DOSSIER_SYNC", "CKMB", p, numerator=5, denominator=10, score=3.0, max_score=6)
    land.write("indicator_values", [row], name="H44__batch-a")
    land.write("indicator_values", [row], name="H44__batch-b")  # the same capture relanded
    con = models_on(tmp_path)
    assert rows(con, "select count(*) from stg_landing__indicator_values") == [(2,)]
    assert rows(con, "select count(*), any_value(numerator) from fct_indicator_capture") == [(1, 5)]


def test_province_merger_and_predecessors(tmp_path: Path) -> None:
    con = models_on(tmp_path)
    assert rows(con, "select count(*) from dim_province_merger") == [(63,)]
    got = rows(
        con,
        "select new_code, predecessor_count, predecessors from province_predecessors where new_code = 'H55'",
    )
    assert got == [("H55", 2, ["Bắc Kạn", "Thái Nguyên"])]
    assert rows(con, "select count(*) from province_predecessors") == [(34,)]


def test_models_are_ordered_by_the_names_they_read(tmp_path: Path) -> None:
    order = [m.name for m in order_models(discover_models())]
    for before, after in [
        ("stg_landing__indicator_values", "fct_indicator_capture"),
        ("fct_indicator_capture", "fct_indicator"),
        ("dim_province_merger", "province_predecessors"),
    ]:
        assert order.index(before) < order.index(after)
    for m in discover_models():
        if m.name.startswith("rpt_"):  # the report models read the facts: they come after them
            for dep in m.depends_on:
                assert order.index(dep) < order.index(m.name)


def test_a_cycle_between_models_is_refused() -> None:
    a = Model("a", "marts", "table", "select * from b", Path("a.sql"), frozenset({"b"}))
    b = Model("b", "marts", "table", "select * from a", Path("b.sql"), frozenset({"a"}))
    with pytest.raises(ModelError, match="cycle"):
        order_models([a, b])


def test_discovery_picks_up_a_new_mart_and_orders_it(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    (sql / "staging").mkdir(parents=True)
    (sql / "marts").mkdir()
    (sql / "marts" / "rpt_z.sql").write_text(
        "-- grain: x\nselect * from mid join seed_province using (province_code)\n"
    )
    (sql / "marts" / "mid.sql").write_text(
        "-- reads from rpt_z only in this comment\nselect * from seed_province\n"
    )
    models = {m.name: m for m in discover_models(sql)}
    assert models["rpt_z"].depends_on == {"mid", "seed_province"}
    assert models["mid"].depends_on == {"seed_province"}
    assert [m.name for m in order_models(models.values())] == ["mid", "rpt_z"]


def write_months(land: Landing) -> None:
    """January..March 2026 of two additive indicators and one that is not, with a revision."""
    rows = []
    for month, (on_time, received) in {1: (80, 100), 2: (45, 50), 3: (70, 70)}.items():
        p = land.provenance(
            Period.month(2026, month),
            f"2026-{month + 1:02d}-02T01:00",
            scope="H44",
            endpoint="evaluation/dvc-progress-tree",
        )
        rows.append(
            land.value(
                "H44.101",
                "PROGRESS_ON_TIME",
                "TDGQ",
                p,
                numerator=on_time,
                denominator=received,
                score=1.0,
                max_score=20,
            )
        )
        # H44.102's February count is missing: its ytd stops at January.
        if month != 2:
            rows.append(land.value("H44.102", "PROGRESS_ON_TIME", "TDGQ", p, numerator=1, denominator=2))
        else:
            rows.append(
                land.value("H44.102", "PROGRESS_ON_TIME", "TDGQ", p, numerator=None, denominator=None)
            )
        # Another province, every month from one capture: the province-level list of captures.
        p55 = land.provenance(
            Period.month(2026, month),
            f"2026-{month + 1:02d}-03T01:00",
            scope="H55",
            endpoint="evaluation/dvc-progress-tree",
        )
        rows.append(land.value("H55.101", "PROGRESS_ON_TIME", "TDGQ", p55, numerator=month, denominator=10))
        rows.append(
            land.value("H55.102", "PROGRESS_ON_TIME", "TDGQ", p55, numerator=2 * month, denominator=10)
        )
        # Procedures are stocks: never summed over months.
        rows.append(
            land.value("H44", "PAYMENT_FEE_FORMALITY_OFFERED", "TTTT", p, numerator=10, denominator=20)
        )
    revised = land.provenance(
        Period.month(2026, 2), "2026-04-10T01:00", scope="H44", endpoint="evaluation/dvc-progress-tree"
    )
    rows.append(
        land.value(
            "H44.101",
            "PROGRESS_ON_TIME",
            "TDGQ",
            revised,
            numerator=40,
            denominator=50,
            score=1.0,
            max_score=20,
        )
    )
    land.write("indicator_values", rows)


def test_fct_indicator_derived_sums_complete_months_of_additive_indicators(tmp_path: Path) -> None:
    land = Landing(tmp_path)
    write_months(land)
    con = models_on(tmp_path)
    got = rows(
        con,
        "select unit_code, indicator_code, period_key, period_start, period_end, numerator, denominator, "
        "round(value, 4), score, quality_flag, derived, captured_at from fct_indicator_derived "
        "where province_code = 'H44' order by unit_code, period_key",
    )
    assert got == [
        (
            "H44.101",
            "PROGRESS_ON_TIME",
            "2026-YTD-01",
            date(2026, 1, 1),
            date(2026, 1, 31),
            80,
            100,
            80.0,
            None,
            "DERIVED",
            True,
            capture_time("2026-02-02T01:00"),
        ),
        (
            "H44.101",
            "PROGRESS_ON_TIME",
            "2026-YTD-02",
            date(2026, 1, 1),
            date(2026, 2, 28),
            120,
            150,
            80.0,
            None,
            "DERIVED",
            True,
            capture_time("2026-04-10T01:00"),
        ),
        (
            "H44.101",
            "PROGRESS_ON_TIME",
            "2026-YTD-03",
            date(2026, 1, 1),
            date(2026, 3, 31),
            190,
            220,
            86.3636,
            None,
            "DERIVED",
            True,
            capture_time("2026-04-10T01:00"),
        ),
        (
            "H44.102",
            "PROGRESS_ON_TIME",
            "2026-YTD-01",
            date(2026, 1, 1),
            date(2026, 1, 31),
            1,
            2,
            50.0,
            None,
            "DERIVED",
            True,
            capture_time("2026-02-02T01:00"),
        ),
    ]
    # fct_indicator carries them, and a captured ytd would win (tested above).
    assert rows(con, "select count(*) from fct_indicator where derived and period_type = 'ytd'") == [(4 + 6,)]
    h55 = rows(
        con,
        "select unit_code, period_key, numerator, denominator from fct_indicator_derived where unit_code = 'H55.102' order by 2",
    )
    assert h55 == [
        ("H55.102", "2026-YTD-01", 2, 10),
        ("H55.102", "2026-YTD-02", 6, 20),
        ("H55.102", "2026-YTD-03", 12, 30),
    ]
    labels = rows(con, "select period_key, label_vi from dim_period where period_type = 'ytd' order by 1")
    assert labels == [
        ("2026-YTD-01", "Lũy kế đến 31/01/2026"),
        ("2026-YTD-02", "Lũy kế đến 28/02/2026"),
        ("2026-YTD-03", "Lũy kế đến 31/03/2026"),
    ]


def test_fct_indicator_derived_matches_the_ytd_oracle(tmp_path: Path) -> None:
    from tests.ytd_oracle import derive_ytd

    land = Landing(tmp_path)
    write_months(land)
    con = models_on(tmp_path)
    staged = con.execute("select * exclude (source_file) from stg_landing__indicator_values").arrow()
    if not isinstance(staged, __import__("pyarrow").Table):
        staged = staged.read_all()
    for month in (1, 2, 3):
        expected = derive_ytd(staged, 2026, month).to_pylist()
        got = con.execute(
            "select unit_code, indicator_code, numerator, denominator, capture_id, raw_sha256, scope "
            "from fct_indicator_derived where period_key = ? order by unit_code",
            [f"2026-YTD-{month:02d}"],
        ).fetchall()
        want = sorted(
            (
                r["unit_code"],
                r["indicator_code"],
                r["numerator"],
                r["denominator"],
                r["capture_id"],
                r["raw_sha256"],
                r["scope"],
            )
            for r in expected
        )
        assert got == want, month
