"""Every check passes on clean data and returns rows on data that breaks it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dvc766.periods import Period
from tests.landing_factory import Landing
from warehouse.checks import Check, CheckDefinitionError, all_checks, load_checks, run_check, run_checks
from warehouse.models import SQL_DIR, discover_models
from warehouse.runner import build_models

AUG = Period.month(2026, 8)
GROUPS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")


def write_clean_landing(data_dir: Path) -> None:
    """A small, self-consistent month: the national ranking of two provinces and H44's tree."""
    land = Landing(data_dir)
    nat = land.provenance(AUG, "2026-09-17T08:00")
    tree = land.provenance(AUG, "2026-09-18T08:00", scope="H44", endpoint="evaluation/dvc-progress-tree")
    pay = land.provenance(
        AUG, "2026-09-18T08:05", scope="H44", endpoint="evaluation/formality-online-payment-tree"
    )
    seen = [
        land.unit_seen("H44", "UBND tỉnh Phú Thọ", "p44", nat),
        land.unit_seen("H55", "UBND tỉnh Thái Nguyên", "p55", nat),
    ]
    seen += [land.unit_seen(c, f"Xã {c}", f"id-{c}", tree) for c in ("H44.101", "H44.102")]
    land.write("units_seen", seen)
    scores = []
    for unit, groups, rank in (
        ("H44", [9.0, 15.68, 7.0, 5.0, 11.0, 12.23], 2),
        ("H55", [10.0, 15.0, 8.0, 6.0, 12.0, 10.48], 1),
    ):
        scores.append(
            land.score(unit, "TOTAL", round(sum(groups), 2), nat, max_score=100, rank=rank, rank_size=34)
        )
        scores += [land.score(unit, g, s, nat) for g, s in zip(GROUPS, groups, strict=True)]
    land.write("unit_scores", scores)
    values = [
        land.value(
            "H44",
            "PROGRESS_ON_TIME",
            "TDGQ",
            tree,
            numerator=144_654,
            denominator=184_513,
            score=15.68,
            max_score=20,
        ),
        land.value(
            "H44.101",
            "PROGRESS_ON_TIME",
            "TDGQ",
            tree,
            numerator=100_000,
            denominator=120_000,
            score=16.67,
            max_score=20,
        ),
        land.value(
            "H44.102",
            "PROGRESS_ON_TIME",
            "TDGQ",
            tree,
            numerator=44_654,
            denominator=64_513,
            score=13.84,
            max_score=20,
        ),
        land.value(
            "H44",
            "PAYMENT_ONLINE_DOSSIER",
            "TTTT",
            pay,
            numerator=30,
            denominator=50,
            score=7.5,
            max_score=10,
        ),
        land.value(
            "H44.101",
            "PAYMENT_ONLINE_DOSSIER",
            "TTTT",
            pay,
            numerator=20,
            denominator=30,
            score=8.0,
            max_score=10,
        ),
        land.value(
            "H44.102",
            "PAYMENT_ONLINE_DOSSIER",
            "TTTT",
            pay,
            numerator=10,
            denominator=20,
            score=7.0,
            max_score=10,
        ),
        land.value("H44", "DOSSIER_SYNC", "CKMB", nat, numerator=5, denominator=10, score=3.0, max_score=6),
    ]
    land.write("indicator_values", values)


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The models built once on the clean landing; each test works on its own copy."""
    root = tmp_path_factory.mktemp("clean")
    write_clean_landing(root)
    path = root / "clean.duckdb"
    c = duckdb.connect(str(path))
    build_models(c, root / "landing")
    c.close()
    return path


@pytest.fixture
def con(clean_db: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(clean_db, copy)
    c = duckdb.connect(str(copy))
    yield c
    c.close()


def test_all_checks_pass_on_clean_data(con: duckdb.DuckDBPyConnection) -> None:
    results = run_checks(con)
    assert len(results) == len(checked())
    assert [r.describe() for r in results if not r.passed] == []


DUP_SCORE = "insert into fct_unit_score select * from fct_unit_score where unit_code = 'H44'"
# fct_indicator is a view of the current rows of fct_indicator_capture (and _derived): break its base.
DUP_IND = "insert into fct_indicator_capture select * from fct_indicator_capture where indicator_code = 'DOSSIER_SYNC'"
DUP_CAP = "insert into fct_indicator_capture select * from fct_indicator_capture limit 1"
SET_IND = (
    "update fct_indicator_capture set {} where unit_code = 'H44' and indicator_code = '{}' and is_current"
)

BREAKS = {
    "unique_fct_unit_score": DUP_SCORE,
    "unique_fct_unit_group_score": (
        "insert into fct_unit_group_score select * from fct_unit_group_score where unit_code = 'H44'"
    ),
    # H55 scores higher than H44 (rank 2) in the same capture: ranked 3rd, it is out of order
    "unit_score_rank_follows_score": "update fct_unit_score set rank_in_scope = 3 where unit_code = 'H55'",
    "unique_fct_schema_drift": (
        "insert into fct_schema_drift (source_api, endpoint, field_path, captures, scopes) "
        "select 'v1', 'evaluation/transparency', 'overview.newField', 1, 1 from range(2)"
    ),
    "unique_fct_indicator": DUP_IND,
    "unique_fct_procedure_indicator": (
        "insert into fct_procedure_indicator by name select 'H44' as unit_code, 'f-1' as formality_id, "
        "'PROGRESS_ON_TIME' as indicator_code, 'month' as period_type, '2026-08' as period_key, "
        "'c1' as capture_id from range(2)"
    ),
    "procedure_counts_within_unit": (
        "insert into fct_procedure_indicator by name select 'H44.101' as unit_code, 'f-1' as formality_id, "
        "'PROGRESS_ON_TIME' as indicator_code, 'month' as period_type, '2026-08' as period_key, "
        "10 ** 7 as numerator, 10 ** 7 as denominator, 'c1' as capture_id, true as is_current"
    ),
    "unique_dim_formality": (
        "insert into dim_formality by name select '2.000815' as formality_code, "
        "timestamptz '2026-09-26 00:00:00+00' as valid_from, true as is_current from range(2)"
    ),
    "unique_fct_reported_series": (
        "insert into fct_reported_series by name select 'H44' as unit_code, 'H44' as province_code, "
        "'SR_MONTH_AVERAGE_SCORE' as series_code, '2026-08' as series_month, 'c1' as capture_id from range(2)"
    ),
    "reported_month_matches_month_capture": (
        "insert into fct_reported_series by name select 'H44' as unit_code, 'H44' as province_code, "
        "'SR_MONTH_AVERAGE_SCORE' as series_code, '2026-08' as series_month, 10.0 as value, 'c1' as capture_id, "
        "true as is_current"
    ),
    "portal_score_delta_matches_change": (
        "insert into fct_unit_score by name select 'H44' as unit_code, 'H44' as province_code, "
        "'ytd' as period_type, '2026-YTD-08' as period_key, date '2026-01-01' as period_start, "
        "date '2026-08-31' as period_end, 60.0 as total_score union all select 'H44', 'H44', 'ytd', "
        "'2026-YTD-07', date '2026-01-01', date '2026-07-31', 55.0; "
        "insert into fct_indicator_capture by name select 'H44' as unit_code, 'H44' as province_code, "
        "'TOTAL_SCORE_DELTA' as indicator_code, 'TOTAL' as group_code, 'ytd' as period_type, "
        "'2026-YTD-08' as period_key, 1.0 as value, true as is_current, false as derived, 'dX' as capture_id"
    ),
    "score_formula_unchanged": (
        "insert into rpt_score_formula_changes by name select 'PROGRESS_ON_TIME' as indicator_code, "
        "'TDGQ' as group_code, 'cX' as first_disagreeing_capture_id, true as still_disagreeing"
    ),
    "unique_fct_indicator_capture": DUP_CAP,
    "unique_fct_indicator_derived": (
        "insert into fct_indicator_derived by name select unit_code, indicator_code, 'ytd' as period_type, "
        "'2026-YTD-08' as period_key, 'derived_x' as capture_id from fct_indicator_capture cross join range(2)"
    ),
    "unique_dim_unit": "insert into dim_unit select * from dim_unit where unit_code = 'H44'",
    "one_current_version_dim_unit": "update dim_unit set is_current = false where unit_code = 'H44'",
    "unique_dim_indicator": "insert into dim_indicator select * from dim_indicator limit 1",
    "unique_dim_period": "insert into dim_period select * from dim_period",
    "unique_dim_province_merger": "insert into dim_province_merger select * from dim_province_merger limit 1",
    "not_null_fct_unit_score": "update fct_unit_score set period_start = null where unit_code = 'H55'",
    "not_null_fct_indicator": SET_IND.format("captured_at = null", "DOSSIER_SYNC"),
    "not_null_fct_indicator_capture": "update fct_indicator_capture set capture_id = null where unit_code = 'H44.101'",
    "not_null_dim_unit": "update dim_unit set unit_kind = null where unit_code = 'H55'",
    "not_null_dim_indicator": "update dim_indicator set group_code = null where indicator_code = 'DOSSIER_SYNC'",
    "not_null_dim_period": "update dim_period set period_end = null",
    "percent_value_in_range": SET_IND.format("value = 100.2", "DOSSIER_SYNC"),
    "numerator_le_denominator": SET_IND.format("numerator = 11", "DOSSIER_SYNC"),
    "numerator_le_denominator_flagged": SET_IND.format(
        "numerator = 11, quality_flag = 'TEMP_NATIONAL_REPORT_DENOMINATOR'", "DOSSIER_SYNC"
    ),
    "score_le_max_score": SET_IND.format("score = 6.01", "DOSSIER_SYNC"),
    "score_not_negative": SET_IND.format("denominator = -1", "DOSSIER_SYNC"),
    "group_scores_sum_to_total": "update fct_unit_score set total_score = total_score + 0.02 where unit_code = 'H55'",
    "group_scores_sum_to_total_mixed": (
        "update fct_unit_score set total_score = total_score + 0.5, score_capture_count = 2 where unit_code = 'H55'"
    ),
    "children_counts_sum_to_province": (
        "update fct_indicator_capture set denominator = denominator + 1 "
        "where unit_code = 'H44.102' and indicator_code = 'PROGRESS_ON_TIME' and is_current"
    ),
    "fact_units_in_dim_unit": "delete from dim_unit where unit_code = 'H44.102'",
    "fact_indicators_in_dim_indicator": "delete from dim_indicator where indicator_code = 'PAYMENT_ONLINE_DOSSIER'",
    "fact_periods_in_dim_period": "delete from dim_period",
}


def checked() -> dict[str, Check]:
    """Every check a build runs: the hand-written ones and those generated from key headers."""
    return {c.name: c for c in all_checks(discover_models(SQL_DIR))}


def test_every_check_has_a_breaking_case() -> None:
    # every hand-written check, and the key checks of the dimensions and facts (generated)
    assert {c.name for c in load_checks()} <= set(BREAKS) <= set(checked())


@pytest.mark.parametrize("check_name", sorted(BREAKS))
def test_check_fails_on_data_that_breaks_it(con: duckdb.DuckDBPyConnection, check_name: str) -> None:
    check = checked()[check_name]
    assert run_check(con, check).passed
    con.execute(BREAKS[check_name])
    result = run_check(con, check)
    assert not result.passed
    assert result.rows >= 1 and result.sample


def test_score_check_also_covers_group_scores(con: duckdb.DuckDBPyConnection) -> None:
    check = next(c for c in load_checks() if c.name == "score_le_max_score")
    con.execute("update fct_unit_score set score_tdgq = 20.01 where unit_code = 'H44'")
    result = run_check(con, check)
    assert result.rows == 1 and ("score_tdgq" in result.sample[0])


def test_rounding_within_tolerance_passes(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SET_IND.format("score = 6.004", "DOSSIER_SYNC"))
    con.execute("update fct_unit_score set total_score = total_score + 0.009 where unit_code = 'H55'")
    names = {"score_le_max_score", "group_scores_sum_to_total"}
    assert all(run_check(con, c).passed for c in load_checks() if c.name in names)


def test_severities_are_declared(tmp_path: Path) -> None:
    warn = {c.name for c in load_checks() if c.severity == "warn"}
    assert warn == {
        "children_counts_sum_to_province",
        "group_scores_sum_to_total_mixed",
        "numerator_le_denominator_flagged",
        "portal_score_delta_matches_change",
        "reported_month_matches_month_capture",
        "score_formula_unchanged",
    }
    (tmp_path / "bad.sql").write_text("select 1\n")
    with pytest.raises(CheckDefinitionError, match="severity"):
        load_checks(tmp_path)


def test_every_report_table_key_is_checked_from_its_header() -> None:
    """The rpt_* keys were checked only in pytest: a duplicated report row would have published. Each
    keyed mart without a hand-written unique_* check gets one generated from its header's key."""
    from warehouse.checks import key_checks
    from warehouse.model_header import parse_header
    from warehouse.models import SQL_DIR, discover_models

    have = {c.name for c in load_checks()}
    generated = {c.name: c for c in key_checks(discover_models(SQL_DIR), have)}
    rpt = {p.stem for p in (SQL_DIR / "marts").glob("rpt_*.sql")}
    assert {f"unique_{n}" for n in rpt} <= set(generated) | have
    assert not set(generated) & have  # a hand-written check is never doubled
    path = SQL_DIR / "marts" / "rpt_revisions.sql"  # a key header continued over two lines
    assert parse_header(path.read_text(encoding="utf-8"), path).key[-1] == "revised_capture_id"
    check = generated["unique_rpt_score_history"]
    assert check.severity == "error"
    con = duckdb.connect()
    con.execute(
        "create table rpt_score_history as select * from (values ('H55', 'ytd', '2026-YTD-10', 66.68), "
        "('H44', 'ytd', '2026-YTD-10', 70.1)) t(province_code, period_type, period_key, total_score)"
    )
    assert run_check(con, check).passed
    con.execute("insert into rpt_score_history values ('H55', 'ytd', '2026-YTD-10', 66.68)")
    result = run_check(con, check)
    assert not result.passed and result.sample == [("H55", "ytd", "2026-YTD-10", 2)]
    not_null = generated["not_null_rpt_score_history"]
    assert run_check(con, not_null).passed
    con.execute("insert into rpt_score_history values ('H56', 'ytd', null, 61.0)")
    assert run_check(con, not_null).sample == [("H56", "ytd", None)]
    # a key column the header declares nullable is left out of the generated not-null check
    assert "as_of is null" not in generated["not_null_rpt_revisions"].sql
    assert "revised_capture_id is null" in generated["not_null_rpt_revisions"].sql


def test_a_key_header_naming_no_column_is_a_definition_error(tmp_path: Path) -> None:
    from warehouse.model_header import HeaderError, parse_header

    with pytest.raises(HeaderError, match="key header"):
        parse_header("-- key: unit code, period\nselect 1", tmp_path / "rpt_x.sql")
