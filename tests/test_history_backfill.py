"""A backfill across the v1 cutover (2026-01) and the 2025 merger, against the replica.

``dvc766 backfill --from 2024-01 --to 2026-10`` for Thái Nguyên and An Giang: 18 months of the 63
old provinces from the legacy gateway, 6 months of the 34 from it, then 10 months from the v1 API.
No unit may be duplicated, a continuing unit's months must run without a gap, and the merger view
must show Bắc Kạn (a replica code, Z..) before July 2025 under H55, beside Thái Nguyên.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


# ---- the README's analysts' part, run as written on this warehouse (a backfill like `make demo`'s) ----

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_queries() -> list[tuple[str, str]]:
    """The analysts' queries of the README (the drill-down's need drill-down data: test_drilldown.py)."""
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"^#### (.+?)\n(?:.*?\n)*?```sql\n(.*?)```", text, flags=re.MULTILINE | re.DOTALL)
    return [(t, q) for t, q in found if "fct_procedure_indicator" not in q]


def readme_commands() -> list[str]:
    """The commands of the README's "For analysts" block, as a new user would paste them."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## For analysts", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [ln.split("  #")[0].strip() for ln in block.splitlines() if ln.strip()]


def test_the_readme_has_its_analyst_queries() -> None:
    assert len(readme_queries()) >= 8 and len(readme_commands()) == 3


@pytest.mark.parametrize("title", [t for t, _ in readme_queries()])
def test_each_readme_query_answers_as_written(warehouse: Path, title: str) -> None:
    from warehouse.sql_sandbox import run

    sql = dict(readme_queries())[title]
    rows = query(warehouse, sql)
    sandboxed = run(warehouse, sql)  # as `dvc766 sql` runs it: in its sandbox, the same answer
    assert sandboxed is not None and sorted(map(repr, sandboxed[1])) == sorted(map(repr, rows)), title
    if "portal's own change and dvc766's differ" in title:
        assert rows == [], rows  # the healthy answer: the replica's scoreDelta is the change it shows
        return
    assert rows, title
    if "against the country" in title:
        # whole months only: not the one still running when it was reported
        months = [r[0] for r in rows]
        (running,) = query(
            warehouse,
            "select max(strftime(timezone('Asia/Ho_Chi_Minh', captured_at), '%Y-%m')) from fct_reported_series "
            "where unit_code = 'H55' and is_current",
        )[0]
        assert months == sorted(months) and running not in months and months[0] == "2026-01", months
    if "Overdue dossiers by unit" in title:
        assert all(r[5] is None or round(r[5], 2) == r[5] for r in rows), rows[:3]


def test_the_readme_commands_run_as_written(warehouse: Path, tmp_path: Path) -> None:
    """From a folder laid out as a clone after `make demo` (.venv, data/warehouse.duckdb), each command
    of the block runs as pasted and shows the warehouse."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "data").symlink_to(warehouse.parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DVC766_")}
    for command in readme_commands():
        stdin = "select count(*) as units from dim_unit;\n" if "duckdb -readonly" in command else None
        if stdin and not (tmp_path / ".venv" / "bin" / "duckdb").exists():
            pytest.skip("the duckdb-cli package is not installed in this environment")
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, input=stdin, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, (command, done.stderr)
        out = done.stdout
        if "show tables" in command:
            assert "fct_unit_score" in out, out
        elif "dvc766 sql" in command:
            assert "total_score" in out and "(5 rows)" in out, out
        else:
            assert "units" in out, out
