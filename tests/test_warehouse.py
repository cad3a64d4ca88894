"""The warehouse build end to end: publish, idempotency, failing checks, readers, the lock, the CLI."""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dvc766.cli import UserError
from dvc766.periods import Period
from dvc766.settings import Settings
from tests.landing_factory import Landing, capture_time
from tests.published import query
from tests.test_checks import write_clean_landing
from warehouse import commands
from warehouse.checks import CheckFailedError
from warehouse.lock import BuildLockedError, build_lock
from warehouse.publish import STORAGE_VERSION, building_path
from warehouse.runner import build

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")
FACT_KEYS = {
    "fct_unit_score": "unit_code, period_type, period_key",
    "fct_indicator": "unit_code, indicator_code, period_type, period_key",
    "fct_indicator_capture": "unit_code, indicator_code, period_type, period_key, capture_id",
    "dim_unit": "unit_code, valid_from",
    "dim_period": "period_type, period_key",
    "dim_indicator": "indicator_code",
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_two_months(data_dir: Path) -> None:
    """H44 in July and August 2026: the national ranking, three communes' progress and overdue counts."""
    land = Landing(data_dir)
    for month, ranks, day in ((7, (3, 1), "2026-08-17T08:00"), (8, (2, 1), "2026-09-17T08:00")):
        period = Period.month(2026, month)
        nat = land.provenance(period, day)
        tree = land.provenance(
            period, day.replace("08:00", "09:00"), scope="H44", endpoint="evaluation/dvc-progress-tree"
        )
        seen = [
            land.unit_seen("H44", "UBND tỉnh Phú Thọ", "p44", nat),
            land.unit_seen("H55", "UBND tỉnh Thái Nguyên", "p55", nat),
        ]
        seen += [land.unit_seen(f"H44.{c}", f"Xã {c}", f"id-{c}", tree) for c in (101, 102, 103)]
        land.write("units_seen", seen)
        scores = []
        bump = 0.5 * (month - 7)
        for unit, rank in zip(("H44", "H55"), ranks, strict=True):
            groups = (
                [9.0, 15.0 + bump, 7.0, 5.0, 11.0, 12.0]
                if unit == "H44"
                else [10.0, 15.0, 8.0, 6.0, 12.0, 10.0 - bump]
            )
            scores.append(land.score(unit, "TOTAL", sum(groups), nat, max_score=100, rank=rank, rank_size=34))
            scores += [land.score(unit, g, s, nat) for g, s in zip(GROUPS, groups, strict=True)]
        children = {101: (900 + month, 1000), 102: (700 - 10 * month, 800), 103: (50, 60)}
        values = []
        for code, (on_time, received) in children.items():
            unit = f"H44.{code}"
            score = round(20 * on_time / received, 2)
            scores.append(land.score(unit, "TDGQ", score, tree, rank=None))
            values.append(
                land.value(
                    unit,
                    "PROGRESS_ON_TIME",
                    "TDGQ",
                    tree,
                    numerator=on_time,
                    denominator=received,
                    score=score,
                    max_score=20,
                )
            )
            values.append(
                land.value(
                    unit, "PROGRESS_OVERDUE", "TDGQ", tree, numerator=received - on_time, denominator=received
                )
            )
        on_time = sum(v[0] for v in children.values())
        received = sum(v[1] for v in children.values())
        values.append(
            land.value(
                "H44",
                "PROGRESS_ON_TIME",
                "TDGQ",
                tree,
                numerator=on_time,
                denominator=received,
                score=round(20 * on_time / received, 2),
                max_score=20,
            )
        )
        land.write("unit_scores", scores)
        land.write("indicator_values", values)


def test_build_publishes_a_checked_file_readers_can_open(tmp_path: Path) -> None:
    write_two_months(tmp_path)
    settings = Settings(data_dir=tmp_path)
    result = build(settings)
    assert result.warehouse_path == settings.warehouse_path and settings.warehouse_path.is_file()
    assert [p.name for p in tmp_path.iterdir() if ".building-" in p.name] == []
    assert result.tables["fct_unit_score"] == 2 * 5 and result.checks and not result.warnings
    got = query(
        settings.warehouse_path,
        "select total_score, rank_in_scope from fct_unit_score where unit_code = 'H44' order by period_key",
    )
    assert got == [(59.0, 3), (59.5, 2)]
    info = query(
        settings.warehouse_path,
        "select landing_files, checks_run, checks_passed, checks_warned, table_rows->>'fct_indicator' from _build_info",
    )
    assert info == [(sum(result.landing_files.values()), len(result.checks), len(result.checks), 0, "14")]
    # Staging views name landing paths; they must not be in the published file.
    tables = {
        r[0] for r in query(settings.warehouse_path, "select table_name from information_schema.tables")
    }
    assert not any(t.startswith("stg_") for t in tables)
    assert {"dim_unit", "dim_indicator", "dim_period", "fct_indicator", "province_predecessors"} <= tables
    storage = query(
        settings.warehouse_path, "select tags['storage_version'] from duckdb_databases() where not internal"
    )
    assert storage == [(STORAGE_VERSION + "+",)]


def test_the_landing_zone_can_move_after_a_build(tmp_path: Path) -> None:
    write_two_months(tmp_path)
    settings = Settings(data_dir=tmp_path)
    build(settings)
    shutil.rmtree(settings.landing_dir)
    assert query(settings.warehouse_path, "select count(*) from fct_indicator") == [(14,)]
    assert query(settings.warehouse_path, "select count(*) from province_predecessors") == [(34,)]


def test_same_month_twice_and_a_refresh_keep_one_row_per_key_latest_wins(tmp_path: Path) -> None:
    write_two_months(tmp_path)
    write_two_months(tmp_path)  # landed again: other file names, the same captures
    land = Landing(tmp_path)
    aug = Period.month(2026, 8)
    refresh = land.provenance(aug, "2026-10-01T08:00", scope="H44", endpoint="evaluation/dvc-progress-tree")
    land.write(
        "indicator_values",
        [
            land.value(
                "H44.101",
                "PROGRESS_ON_TIME",
                "TDGQ",
                refresh,
                numerator=999,
                denominator=1001,
                score=19.96,
                max_score=20,
            ),
            land.value("H44.101", "PROGRESS_OVERDUE", "TDGQ", refresh, numerator=2, denominator=1001),
            land.value(
                "H44.102",
                "PROGRESS_ON_TIME",
                "TDGQ",
                refresh,
                numerator=620,
                denominator=800,
                score=15.5,
                max_score=20,
            ),
            land.value("H44.102", "PROGRESS_OVERDUE", "TDGQ", refresh, numerator=180, denominator=800),
            land.value(
                "H44.103",
                "PROGRESS_ON_TIME",
                "TDGQ",
                refresh,
                numerator=50,
                denominator=60,
                score=16.67,
                max_score=20,
            ),
            land.value("H44.103", "PROGRESS_OVERDUE", "TDGQ", refresh, numerator=10, denominator=60),
            land.value(
                "H44",
                "PROGRESS_ON_TIME",
                "TDGQ",
                refresh,
                numerator=1669,
                denominator=1861,
                score=17.94,
                max_score=20,
            ),
        ],
    )
    land.write(
        "unit_scores",
        [land.score("H44", "TOTAL", 59.5, land.provenance(aug, "2026-10-01T08:00"), rank=4, rank_size=34)],
    )
    settings = Settings(data_dir=tmp_path)
    result = build(settings)
    for table, key in FACT_KEYS.items():
        ((count, distinct),) = query(
            settings.warehouse_path, f"select count(*), count(distinct ({key})) from {table}"
        )
        assert count == distinct, table
    assert result.tables["fct_indicator"] == 14
    assert result.tables["fct_indicator_capture"] == 14 + 7
    got = query(
        settings.warehouse_path,
        "select numerator, denominator, captured_at from fct_indicator where unit_code = 'H44.101' and indicator_code = 'PROGRESS_ON_TIME' and period_key = '2026-08'",
    )
    assert got == [(999, 1001, capture_time("2026-10-01T08:00"))]
    rank = query(
        settings.warehouse_path,
        "select rank_in_scope, score_tdgq from fct_unit_score where unit_code = 'H44' and period_key = '2026-08'",
    )
    assert rank == [(4, 15.5)]


def test_a_failing_check_publishes_nothing_and_the_old_warehouse_answers(tmp_path: Path) -> None:
    write_two_months(tmp_path)
    settings = Settings(data_dir=tmp_path)
    build(settings)
    before = sha(settings.warehouse_path)
    answer = query(settings.warehouse_path, "select * from fct_indicator order by all")
    land = Landing(tmp_path)
    bad = land.provenance(
        Period.month(2026, 9), "2026-10-17T09:00", scope="H44", endpoint="evaluation/dvc-progress-tree"
    )
    land.write("units_seen", [land.unit_seen("H44.101", "Xã 101", "id-101", bad)])
    land.write(
        "indicator_values",
        [land.value("H44.101", "PROGRESS_ON_TIME", "TDGQ", bad, numerator=12, denominator=10, value=120.0)],
    )
    with pytest.raises(CheckFailedError) as err:
        build(settings)
    message = str(err.value)
    assert "numerator_le_denominator (error): 1 offending row" in message
    assert "percent_value_in_range (error): 1 offending row" in message
    assert sha(settings.warehouse_path) == before
    assert query(settings.warehouse_path, "select * from fct_indicator order by all") == answer
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [".build.lock", "warehouse.duckdb"]


def test_a_broken_model_publishes_nothing(tmp_path: Path) -> None:
    write_two_months(tmp_path)
    settings = Settings(data_dir=tmp_path)
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    (sql / "marts" / "rpt_broken.sql").write_text("select no_such_column from fct_indicator\n")
    from warehouse.models import ModelError

    with pytest.raises(ModelError, match="rpt_broken"):
        build(settings, sql_dir=sql)
    assert not settings.warehouse_path.exists()
    assert not building_path(settings.warehouse_path).exists()


def duckdb_cli() -> str | None:
    local = Path(sys.executable).parent / "duckdb"
    return str(local) if local.is_file() else shutil.which("duckdb")


def test_published_file_opens_in_the_duckdb_cli(tmp_path: Path) -> None:
    cli = duckdb_cli()
    if cli is None:
        pytest.skip("the duckdb CLI (duckdb-cli package) is not installed")
    write_clean_landing(tmp_path)
    settings = Settings(data_dir=tmp_path)
    build(settings)
    out = subprocess.run(
        [
            cli,
            "-readonly",
            "-csv",
            str(settings.warehouse_path),
            "-c",
            "select unit_code, total_score from fct_unit_score order by unit_code",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split() == ["unit_code,total_score", "H44,59.91", "H55,61.48"]


def test_a_second_build_refuses_clearly_while_one_runs(tmp_path: Path) -> None:
    write_clean_landing(tmp_path)
    settings = Settings(data_dir=tmp_path)
    with (
        build_lock(tmp_path / ".build.lock"),
        pytest.raises(BuildLockedError, match=rf"another build is running \(pid {os.getpid()}\)"),
    ):
        build(settings, lock_timeout_s=0)
    assert not settings.warehouse_path.exists()
    build(settings, lock_timeout_s=0)  # the lock is free again
    assert settings.warehouse_path.exists()


def test_a_waiting_build_proceeds_once_the_other_finishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / ".build.lock"
    holder = build_lock(lock)
    holder.__enter__()
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the other build finishes while we wait
        waits.append(seconds)
        holder.__exit__(None, None, None)

    with build_lock(lock, timeout_s=30, sleep=sleep):
        assert lock.read_text().strip() == str(os.getpid())
    assert len(waits) == 1
    # it said it was waiting, once, and for whom (a second `dvc766 build` sat 9 s in silence)
    assert capsys.readouterr().err == (
        f"waiting for another build to finish (pid {os.getpid()}, lock .build.lock); giving up after 30 s\n"
    )


def test_a_second_cmd_build_says_it_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dvc766 build` while another holds the lock: the waiting line first, then the refusal (exit 3,
    busy, as a second writer of the data folder)."""
    monkeypatch.setenv("DVC766_DATA_DIR", str(tmp_path))
    write_clean_landing(tmp_path)
    monkeypatch.setattr(commands, "build", functools.partial(build, lock_timeout_s=0.3))
    with build_lock(tmp_path / ".build.lock"):
        assert commands.cmd_build(argparse.Namespace()) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"waiting for another build to finish (pid {os.getpid()}, lock .build.lock); giving up after 0.3 s"
    )
    assert err[1].startswith(f"dvc766 build: busy: another build is running (pid {os.getpid()})")


def test_a_second_process_is_refused_while_the_lock_is_held(tmp_path: Path) -> None:
    lock = tmp_path / ".build.lock"
    code = (
        "import sys; from pathlib import Path; from warehouse.lock import build_lock, BuildLockedError\n"
        "try:\n    with build_lock(Path(sys.argv[1]), timeout_s=0): print('got it')\n"
        "except BuildLockedError as e: print(e)\n"
    )
    with build_lock(lock):
        out = subprocess.run(
            [sys.executable, "-c", code, str(lock)], capture_output=True, text=True, cwd=ROOT, timeout=60
        )
    assert f"another build is running (pid {os.getpid()})" in out.stdout


def test_cmd_build_and_cmd_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DVC766_DATA_DIR", str(tmp_path))
    with pytest.raises(UserError, match="no warehouse yet at .* run dvc766 build"):
        commands.cmd_sql(argparse.Namespace(query="select 1"))
    write_clean_landing(tmp_path)
    out = io.StringIO()
    assert commands.cmd_build(argparse.Namespace(), out=out) == 0
    text = out.getvalue()
    assert str(tmp_path / "warehouse.duckdb") in text
    assert re.search(r"fct_indicator\s+7\b", text) and "0 warned, 0 failed" in text
    out = io.StringIO()
    commands.cmd_sql(
        argparse.Namespace(
            query="select unit_code, total_score, rank_in_scope from fct_unit_score order by 1"
        ),
        out=out,
    )
    assert out.getvalue().splitlines() == [
        "unit_code  total_score  rank_in_scope",
        "---------  -----------  -------------",
        "H44              59.91              2",
        "H55              61.48              1",
        "(2 rows)",
    ]
    with pytest.raises(UserError, match="refused: DROP would change the warehouse, which is read-only"):
        commands.cmd_sql(argparse.Namespace(query="drop table fct_indicator"))


def test_cmd_build_exits_1_naming_failed_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DVC766_DATA_DIR", str(tmp_path))
    land = Landing(tmp_path)
    p = land.provenance(Period.month(2026, 8), "2026-09-17T08:00")
    land.write("unit_scores", [land.score("H99", "TOTAL", 101.0, p)])  # unknown unit, over 100
    assert commands.cmd_build(argparse.Namespace()) == 1
    err = capsys.readouterr().err
    assert "fact_units_in_dim_unit (error): 1 offending row" in err
    assert "score_le_max_score (error): 1 offending row" in err
    assert not (tmp_path / "warehouse.duckdb").exists()


# The README's analyst queries and commands run as written on a backfilled warehouse of Thái Nguyên:
# tests/test_history_backfill.py.


def test_every_published_column_says_what_it_holds(tmp_path: Path) -> None:
    """Opened read-only as an analyst does, every dim/fct/rpt table, view and column has its comment,
    and the glossary names no column the warehouse no longer has."""
    from warehouse.column_docs import COLUMNS, TABLE_COLUMNS, TABLES

    write_two_months(tmp_path)
    settings = Settings(data_dir=tmp_path)
    build(settings)
    pattern = "regexp_matches(table_name, '^(dim|fct|rpt)_')"
    columns = query(
        settings.warehouse_path,
        f"select table_name, column_name, comment from duckdb_columns() where {pattern}",
    )
    assert len(columns) > 300
    assert [(t, c) for t, c, text in columns if not text] == []
    relations = query(
        settings.warehouse_path,
        f"select table_name, comment from duckdb_tables() where {pattern} "
        "union all select view_name, comment from duckdb_views() where regexp_matches(view_name, '^(dim|fct|rpt)_')",
    )
    assert relations and [t for t, text in relations if not text] == []
    assert {t for t, _ in relations} == set(TABLES)
    published = {c for _, c, _ in columns}
    assert set(COLUMNS) <= published and {k for k in TABLE_COLUMNS} <= {(t, c) for t, c, _ in columns}
    described = dict(((t, c), text) for t, c, text in columns)
    assert described[("fct_unit_score", "score_tdgq")].startswith("Group score: Tiến độ giải quyết")
    # the analysts' guide lists the same texts, rendered from this build (python -m warehouse.docs_render)
    from warehouse.docs_render import DOC, render_reference, section

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        reference = render_reference(con)
    finally:
        con.close()
    assert section(DOC.read_text(encoding="utf-8")) == reference, "run: python -m warehouse.docs_render"
    assert "| `score_tdgq` | double | Group score: Tiến độ giải quyết" in reference
