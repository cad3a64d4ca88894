"""``dvc766 sql`` reads the published tables and views, and nothing else (issue 28).

Each attack tried from outside on 2026-12-07 is run through the command as an analyst would type it:
it is refused in one line saying why (exit 2), no file appears, and the published warehouse is the
same file, byte for byte. Every table and view of a real build still answers in the sandbox, which
also proves that no published view reads an outside file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from dvc766.cli import main
from dvc766.periods import Period
from dvc766.settings import Settings
from tests.landing_factory import Landing
from tests.test_warehouse import write_two_months
from warehouse.runner import build
from warehouse.sql_sandbox import GUARDS, open_sandboxed


def write_portal_extras(data_dir: Path) -> None:
    """What the national answers add (issue 19): the country's total, the portal's own change of
    H44's total (0.8 in August, where the two months' totals differ by 0.5) and the year's month
    series of the province and the country as the August capture reports them."""
    land = Landing(data_dir)
    rows, values, series = [], [], []
    for month, total in ((7, 60.0), (8, 60.4)):
        nat = land.provenance(Period.month(2026, month), f"2026-{month + 1:02d}-17T08:30")
        rows.append(land.score("VN", "TOTAL", total, nat, max_score=100, rank=None, province_code="VN"))
        land.write(
            "units_seen", [land.unit_seen("VN", "Cả nước", None, nat, kind="country", province_code="VN")]
        )
    aug = land.provenance(Period.month(2026, 8), "2026-09-17T08:30")
    values.append(land.value("H44", "TOTAL_SCORE_DELTA", "TOTAL", aug, value=0.8))
    for unit, base in (("H44", 59.0), ("VN", 60.0)):
        for m in range(1, 13):
            value = None if m > 8 else base + m / 10
            series.append({"unit_code": unit, "province_code": unit, "series_code": "SR_MONTH_AVERAGE_SCORE",
                           "series_month": f"2026-{m:02d}", "value": value, **aug})  # fmt: skip
    land.write("unit_scores", rows)
    land.write("indicator_values", values)
    land.write("reported_series", series)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sandbox") / "data"
    write_two_months(root)
    write_portal_extras(root)
    return build(Settings(data_dir=root)).warehouse_path


@pytest.fixture
def env(published: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DVC766_DATA_DIR", str(published.parent))
    return published


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sql(query: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(["sql", query])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("select content from read_text('/etc/passwd')", 'Cannot access file "/etc/passwd"'),
        ("select * from read_csv('{outside}/x.csv')", "Cannot access file"),
        ("copy (select 1) to '{outside}/hook.sh'", "COPY writes files"),
        ("copy (select 1) to '{warehouse}'", "COPY writes files"),
        ("copy (select 1) to '{warehouse}' (use_tmp_file false)", "COPY writes files"),
        ("copy (select 1) to '{warehouse}.wal' (use_tmp_file false)", "COPY writes files"),
        ("export database '{outside}/dump'", "EXPORT DATABASE writes files"),
        ("attach '{outside}/other.duckdb' as other", "ATTACH opens another database"),
        ("install httpfs", "INSTALL and LOAD add extensions"),
        ("load httpfs", "INSTALL and LOAD add extensions"),
        ("set enable_external_access = true", "settings, which are locked"),
        ("reset lock_configuration", "settings, which are locked"),
        ("pragma enable_profiling", "this PRAGMA changes a setting"),
        ("create table evil as select 1", "CREATE would change the warehouse"),
        ("select 1; drop table fct_unit_score", "DROP would change the warehouse"),
        ("delete from fct_unit_score", "DELETE would change the warehouse"),
        ("call pragma_version()", "CALL runs a procedure"),
        ("checkpoint", "CALL runs a procedure"),
        ("select * from enable_logging(storage='file', storage_path='{outside}/logs')", "enable_logging()"),
        ("select * from query('select 1')", "query() changes the session or runs SQL"),
        ("select * from \"query_table\"('fct_unit_score')", "query_table()"),
        ("", "no statement given"),
    ],
)
def test_each_attack_is_refused_in_one_line_and_touches_nothing(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], query: str, why: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    before = digest(env)
    rc, out, err = sql(query.format(outside=outside, warehouse=env), capsys)
    assert rc == 2 and out == ""
    assert err.startswith("dvc766 sql: ") and err.count("\n") == 1 and why in err, err
    assert list(outside.iterdir()) == []
    assert digest(env) == before
    assert sorted(p.name for p in env.parent.iterdir()) == [
        ".build.lock",
        "compact",
        "landing",
        "warehouse.duckdb",
    ]


def test_every_table_and_view_answers_in_the_sandbox(env: Path) -> None:
    con = open_sandboxed(env)
    try:
        relations = con.execute(
            "select table_name, table_type from information_schema.tables order by table_name"
        ).fetchall()
        views = [name for name, kind in relations if kind == "VIEW"]
        assert {"fct_indicator", "province_predecessors"} <= set(views)
        for name, _kind in relations:  # a view reading a landing file would be refused here
            con.execute(f'select * from "{name}" limit 1').fetchall()
        assert len(relations) >= 25
    finally:
        con.close()


def test_the_guards_are_in_force_and_locked(env: Path) -> None:
    con = open_sandboxed(env)
    try:
        for name, value in GUARDS.items():
            (got,) = con.execute("select current_setting(?)", [name]).fetchone()
            assert str(got).lower() == str(value).lower(), name
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("set enable_external_access = true")
    finally:
        con.close()


def test_queries_still_answer_shows_pivots_and_pragmas(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = sql("select unit_code, total_score from fct_unit_score order by 1 limit 2", capsys)
    assert rc == 0 and "(2 rows)" in out
    pivot = (
        "pivot (select unit_code, period_key, rank_in_scope from fct_unit_score where period_type = 'month') "
        "on period_key using any_value(rank_in_scope) order by unit_code"
    )
    rc, out, _ = sql(pivot, capsys)
    assert rc == 0 and "2026-08" in out
    for ok in ("show tables", "describe dim_period", "pragma table_info('dim_period')", "explain select 1",
               "select 'copy (select 1) to ''x''' as text, 'enable_logging(' as name"):  # fmt: skip
        rc, out, err = sql(ok, capsys)
        assert rc == 0 and err == "", (ok, err)
