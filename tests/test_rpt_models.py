"""The rpt_* models on their own: keys unique, changes computed in SQL, previous period wiring."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.test_report_reference import build_warehouse


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    path = build_warehouse(tmp_path_factory.mktemp("rpt") / "w.duckdb")
    c = duckdb.connect(str(path), read_only=True)
    yield c
    c.close()


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("rpt_province_summary", "province_code, period_key, indicator_code"),
        ("rpt_overdue_by_unit", "province_code, period_key, unit_code"),
        ("rpt_online_service_by_unit", "province_code, period_key, unit_code"),
        ("rpt_online_payment_by_unit", "province_code, period_key, unit_code"),
        ("rpt_score_history", "province_code, period_type, period_key"),
    ],
)
def test_keys_are_unique(con: duckdb.DuckDBPyConnection, table: str, key: str) -> None:
    dupes = con.execute(f"select {key}, count(*) from {table} group by all having count(*) > 1").fetchall()
    assert dupes == []
    assert con.execute(f"select count(*) from {table}").fetchone()[0] > 0


def test_summary_changes_and_complements(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        "select count_value, prev_count_value, change_count, rate, change_rate, rest_count, change_rest_count, "
        "rest_rate, prev_period_key from rpt_province_summary "
        "where period_key = '2023-YTD-10' and indicator_code = 'DOSSIER_SYNC'"
    ).fetchone()
    assert row[:3] == (569302, 448887, 120415)
    assert str(row[3]) == "97.03" and str(row[4]) == "10.89"
    assert row[5:7] == (17400, -54856) and str(row[7]) == "2.97" and row[8] == "2023-YTD-09"
    # September has no earlier month end captured: previous and change are null, never a change from 0.
    sep = con.execute(
        "select prev_count_value, change_count from rpt_province_summary "
        "where period_key = '2023-YTD-09' and indicator_code = 'DOSSIER_SYNC'"
    ).fetchone()
    assert sep == (None, None)


def test_overdue_total_row_and_payment_zero_obligation(con: duckdb.DuckDBPyConnection) -> None:
    total = con.execute(
        "select overdue, prev_overdue, change_overdue from rpt_overdue_by_unit "
        "where unit_part = 'total' and period_key = '2023-YTD-10'"
    ).fetchone()
    summed = con.execute(
        "select sum(overdue), sum(prev_overdue) from rpt_overdue_by_unit "
        "where unit_part <> 'total' and period_key = '2023-YTD-10'"
    ).fetchone()
    assert total == (1100, 4045, -2945) and summed == (1100, 4045)
    zero = con.execute(
        "select with_obligation, rate from rpt_online_payment_by_unit "
        "where period_key = '2023-YTD-10' and paid_online = 0"
    ).fetchall()
    assert zero and all(r[0] > 0 and str(r[1]) == "0.00" for r in zero)  # none paid of some: 0


def test_payment_rate_of_no_obligation_is_not_available(tmp_path: Path) -> None:
    """A unit with no dossier that had a financial obligation (0 of 0) has no payment rate: null, which
    the appendix and the dashboard print "Không có số liệu", never 0."""
    from tests.test_report_reference import run_rpt_models

    path = build_warehouse(tmp_path / "w.duckdb", with_rpt=False)
    c = duckdb.connect(str(path))
    c.execute(
        "update fct_indicator set numerator = 0, denominator = 0 where indicator_code = 'PAYMENT_ONLINE_DOSSIER' "
        "and unit_code = (select min(unit_code) from fct_indicator where indicator_code = 'PAYMENT_ONLINE_DOSSIER' "
        "and unit_code like 'H55.%')"
    )
    run_rpt_models(c)
    rows = c.execute(
        "select rate, prev_rate, change_rate from rpt_online_payment_by_unit where with_obligation = 0"
    ).fetchall()
    c.close()
    assert rows == [(None, None, None)] * 2  # 30/9 and 31/10


def test_score_history_rank_change(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        "select total_score, change_total_score, rank_in_scope, change_rank from rpt_score_history "
        "where period_type = 'ytd' and period_key = '2023-YTD-10'"
    ).fetchone()
    assert (str(row[0]), str(row[1]), row[2], row[3]) == ("78.59", "0.80", 9, -1)
    # The month after the missing 2023-03 has no previous value rather than a wrong one.
    apr = con.execute(
        "select prev_total_score from rpt_score_history where period_type = 'month' and period_key = '2023-04'"
    ).fetchone()
    assert apr == (None,)


# The history reports read every capture (staging) and the merger table, not only the facts.
HISTORY_MODELS = {
    "rpt_revisions.sql": {"stg_landing__unit_scores", "fct_indicator_capture"},
    "rpt_province_history.sql": {"stg_landing__units_seen", "dim_province_merger", "province_predecessors"},
    # issue 32: the daily watch's movement and findings read its own days (and the rules' seed)
    "rpt_daily_movement.sql": {"fct_daily_unit_score", "fct_daily_indicator", "dim_indicator"},
    "rpt_watch_finding.sql": {"rpt_daily_movement", "fct_daily_indicator", "dim_watch_rule"},
}

# issue 31: the score model's reports read the capture facts and the seed, and each other
SCORE_MODELS = {
    "rpt_province_points_lost.sql": {"dim_score_formula", "fct_indicator_capture"},
    "rpt_points_at_stake.sql": {"dim_score_formula", "fct_indicator_capture", "rpt_province_points_lost"},
    "rpt_procedure_points_at_stake.sql": {
        "dim_score_formula",
        "fct_procedure_indicator",
        "rpt_province_points_lost",
    },
    "rpt_score_formula_changes.sql": {"fct_score_check"},
}

UNIT_PAIR_MODELS = {
    "rpt_overdue_by_unit.sql",
    "rpt_online_service_by_unit.sql",
    "rpt_online_payment_by_unit.sql",
}


def test_models_read_only_marts(tmp_path: Path) -> None:
    """The rpt models name only issue-4 marts, so the runner can order them after those."""
    import re

    root = Path(__file__).resolve().parents[1] / "sql" / "marts"
    for f in root.glob("rpt_*.sql"):
        text = re.sub(r"--[^\n]*", "", f.read_text(encoding="utf-8"))
        refs = set(re.findall(r"\b(?:from|join)\s+([a-z_]+)", text, flags=re.I))
        ctes = set(re.findall(r"\b([a-z_]+)\s+as\s*(?:not\s+)?(?:materialized\s*)?\(", text, flags=re.I))
        allowed = {"dim_unit", "fct_indicator", "fct_unit_score"}
        if f.name in UNIT_PAIR_MODELS:  # the per-unit tables share their month-end pairing
            allowed |= {"rpt_unit_month_end_pairs"}
        if f.name in HISTORY_MODELS:  # issue 6: history across captures and the 2025 merger
            allowed |= HISTORY_MODELS[f.name]
        allowed |= SCORE_MODELS.get(f.name, set())
        assert refs - ctes <= allowed, (f.name, refs - ctes)
