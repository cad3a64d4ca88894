"""Incremental builds: only the years whose landing changed are rebuilt, and the result is the full build's.

Each step changes the landing zone the way a run does (a new month, a month landed again, a file
removed), builds incrementally, then builds a copy of the same data folder with ``--full`` and
compares every published table row for row. The data are the replica's, landed by the real
normaliser (``benchmarks.bench_backfill``), two provinces across a year boundary, so the models that
compare a January with the December before it are exercised.
"""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.bench_backfill import generate_landing
from dvc766.settings import Settings
from flows.landing_rows import competition_ranks
from tests.published import query
from warehouse.commands import cmd_build
from warehouse.models import SQL_DIR
from warehouse.runner import build

CODES = ["H55", "H01"]


def published_tables(path: Path) -> list[str]:
    sql = (
        "select table_name from information_schema.tables where table_schema = 'main' "
        "and not starts_with(table_name, '_') order by 1"
    )
    return [name for (name,) in query(path, sql)]


def differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    """Per table, rows only in ``a`` and rows only in ``b`` (multiset difference); empty when equal."""
    names = published_tables(a)
    assert names == published_tables(b)
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    out = {}
    for n in names:
        only_a = con.execute(
            f'select count(*) from (from a.main."{n}" except all from b.main."{n}")'
        ).fetchone()[0]
        only_b = con.execute(
            f'select count(*) from (from b.main."{n}" except all from a.main."{n}")'
        ).fetchone()[0]
        if only_a or only_b:
            out[n] = (only_a, only_b)
    con.close()
    return out


def full_build_of_copy(data_dir: Path, work: Path) -> Path:
    """A full build of a copy of ``data_dir``'s landing zone; the published file's path."""
    copy = work / "full"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data_dir / "landing", copy / "landing")
    result = build(Settings(data_dir=copy), full=True)
    assert result.mode == "full"
    return result.warehouse_path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four months of replica data for two provinces, 2025-11 .. 2026-02, in their own data folder."""
    gen = tmp_path_factory.mktemp("generated")
    generate_landing(gen, ["2025-11", "2025-12", "2026-01", "2026-02"], CODES, workers=1)
    return gen


def copy_months(gen: Path, dst: Path, months: list[str]) -> None:
    for dataset_dir in (gen / "landing").iterdir():
        for key in months:
            src = dataset_dir / "period_type=month" / f"period_key={key}"
            if src.is_dir():
                shutil.copytree(src, dst / "landing" / dataset_dir.name / "period_type=month" / src.name)


def revise_december_ranking(data: Path, province: str, delta: float) -> None:
    """Rewrite the national December ranking file with ``province``'s total and CKMB moved by ``delta``,
    captured an hour later: a revision is a newer capture, so it wins over the province's own body of the
    first capture (which otherwise ties on capture time and falls to the capture id's order)."""
    folder = data / "landing" / "unit_scores" / "period_type=month" / "period_key=2025-12"
    (path,) = [f for f in folder.iterdir() if f.name.startswith("national__")]
    table = pq.read_table(path)
    rows = table.to_pylist()
    for r in rows:
        r["captured_at"] += timedelta(hours=1)
        if r["unit_code"] == province and r["group_code"] in ("TOTAL", "CKMB"):
            r["score"] = round(r["score"] + delta, 2)
    # the portal's revised ranking ranks the revised totals (ranks out of their scores' order fail a check)
    totals = [r for r in rows if r["group_code"] == "TOTAL" and r["rank_in_scope"] is not None]
    for r, rank in zip(totals, competition_ranks([t["score"] for t in totals]), strict=True):
        r["rank_in_scope"] = rank
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)


def test_incremental_builds_equal_full_builds_step_by_step(generated: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    copy_months(generated, data, ["2025-11", "2025-12"])
    first = build(settings)
    assert first.mode == "full" and first.reason.startswith("no published warehouse")

    # A new month in a new year: only 2026 is rebuilt (2025's December is read, not rewritten).
    copy_months(generated, data, ["2026-01"])
    step = build(settings)
    assert (step.mode, step.years_rebuilt) == ("incremental", ["2026"])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before_dec = con.execute(
            "select total_score from rpt_score_history where province_code = 'H55' and period_key = '2025-12'"
        ).fetchone()[0]
    assert differences(settings.warehouse_path, full_build_of_copy(data, tmp_path)) == {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        pairs = con.execute(
            "select count(*) from rpt_score_history where period_key = '2026-01' "
            "and prev_period_key = '2025-12' and prev_total_score is not null"
        ).fetchone()[0]
        assert pairs == 34  # January next to the December before it, across the partition boundary
        mode, years = con.execute("select build_mode, years_rebuilt from _build_info").fetchone()
        assert (mode, years) == ("incremental", ["2026"])

    # December revised (the national ranking landed again with H55's total and CKMB one point lower):
    # 2025 is rebuilt and, through January's comparison with December, 2026 too.
    copy_months(generated, data, ["2026-02"])
    revise_december_ranking(data, "H55", -1.0)
    step = build(settings)
    assert (step.mode, step.years_rebuilt) == ("incremental", ["2025", "2026"])
    assert differences(settings.warehouse_path, full_build_of_copy(data, tmp_path)) == {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        dec, jan_prev = con.execute(
            "select (select total_score from rpt_score_history where province_code = 'H55' "
            "and period_key = '2025-12'), prev_total_score from rpt_score_history "
            "where province_code = 'H55' and period_key = '2026-01'"
        ).fetchone()
        assert dec == jan_prev == before_dec - 1

    # One province's November files removed: its rows go, the rest stays.
    for f in (data / "landing").rglob("period_key=2025-11/H01__*.parquet"):
        f.unlink()
    step = build(settings)
    assert step.mode == "incremental" and "2025" in step.years_rebuilt
    assert differences(settings.warehouse_path, full_build_of_copy(data, tmp_path)) == {}

    # Nothing changed: nothing rebuilt, the same tables published again.
    before = published_tables(settings.warehouse_path)
    step = build(settings)
    assert (step.mode, step.years_rebuilt) == ("incremental", [])
    assert published_tables(settings.warehouse_path) == before
    assert differences(settings.warehouse_path, full_build_of_copy(data, tmp_path)) == {}


def test_a_changed_model_or_a_missing_state_means_a_full_build(generated: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    copy_months(generated, data, ["2026-01"])
    build(settings)
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    mart = sql / "marts" / "rpt_overdue_by_unit.sql"
    mart.write_text(mart.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    changed = build(settings, sql_dir=sql)
    assert (changed.mode, changed.reason) == ("full", "the models, checks, seeds or landing contract changed")
    again = build(settings, sql_dir=sql)
    assert again.mode == "incremental"
    # A warehouse published before build states existed has none: the next build is full.
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("drop table _build_state")
    assert build(settings, sql_dir=sql).mode == "full"


def test_cli_says_what_it_rebuilt_and_full_forces_a_full_build(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    copy_months(generated, data, ["2025-12"])

    def run(*argv: str) -> str:
        from dvc766.cli import build_parser

        out = io.StringIO()
        assert cmd_build(build_parser().parse_args(["build", *argv]), out=out) == 0
        return out.getvalue()

    assert "full build (no published warehouse" in run()
    copy_months(generated, data, ["2026-01"])
    assert "incremental build: years rebuilt: 2026" in run()
    assert "incremental build: years rebuilt: none (the landing zone is unchanged)" in run()
    assert "full build (asked for a full build)" in run("--full")
