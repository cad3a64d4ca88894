"""A month-end figure is the one seen at month end: a late snapshot never overwrites it (issue 20).

September is snapshotted on 30/09 at 22:30 and again, late, on 02/10 (a missed night, a re-run):
both are labelled ``2026-YTD-09``. The warehouse and the appendix show the 30/09 figures; the 02/10
capture is kept and visible with ``as_of = 'late'``; the two are not a portal revision. With only
the late capture, the appendix uses it and names its day.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dvc766.cli import main
from tests.published import query

replica_server = pytest.importorskip("replica.server")


@pytest.fixture(scope="module")
def replica() -> Iterator[object]:
    with replica_server.start_replica() as handle:
        yield handle


def use(monkeypatch: pytest.MonkeyPatch, data: Path, replica: object) -> None:
    env = {
        "DVC766_DATA_DIR": str(data),
        "DVC766_PORTAL_URL": replica.url,  # type: ignore[attr-defined]
        "DVC766_PACING_S": "0",
        "DVC766_JITTER_S": "0",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)


def snapshot(replica: object, now: str) -> None:
    replica.set_now(now)  # type: ignore[attr-defined]
    assert main(["snapshot", "--provinces", "H55"]) == 0


def total(db: Path) -> float:
    sql = "select total_score from fct_unit_score where unit_code = 'H55' and period_key = '2026-YTD-09'"
    return query(db, sql)[0][0]


@pytest.mark.usefixtures("prefect_harness")
def test_a_late_snapshot_is_kept_but_never_replaces_the_month_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replica: object, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    use(monkeypatch, data, replica)
    snapshot(replica, "2026-09-30T22:30")
    db = data / "warehouse.duckdb"
    on_time = total(db)
    on_time_ind = query(
        db,
        "select numerator, denominator, value from fct_indicator where unit_code = 'H55' "
        "and period_key = '2026-YTD-09' and indicator_code = 'PROGRESS_ON_TIME'",
    )
    snapshot(replica, "2026-10-02T09:00")
    assert "late snapshot" in capsys.readouterr().out
    kinds = query(
        db,
        "select as_of, count(distinct capture_id), bool_or(is_current) from fct_indicator_capture "
        "where unit_code = 'H55' and period_key = '2026-YTD-09' and endpoint = 'evaluation/dvc-progress-tree' "
        "group by as_of order by as_of",
    )
    assert kinds == [("late", 1, False), ("on_time", 1, True)]  # both kept, the month end shown
    late_ind = query(
        db,
        "select numerator, denominator, value from fct_indicator_capture where unit_code = 'H55' "
        "and period_key = '2026-YTD-09' and indicator_code = 'PROGRESS_ON_TIME' and as_of = 'late'",
    )
    assert late_ind != on_time_ind  # the portal moved on between 30/09 and 02/10
    assert total(db) == on_time
    assert query(
        db, "select as_of from fct_unit_score where unit_code = 'H55' and period_key = '2026-YTD-09'"
    ) == [("on_time",)]
    # 30/09 against 02/10 is two as-of days, not the portal revising September
    assert query(db, "select count(*) from rpt_revisions where period_key = '2026-YTD-09'") == [(0,)]
    out = tmp_path / "sep.md"
    assert (
        main(["report", "--province", "H55", "--month", "2026-09", "--format", "md", "--out", str(out)]) == 0
    )
    text = out.read_text(encoding="utf-8")
    assert "ngày 30/9/2026" in text and "lấy ngày" not in text
    line_21 = next(line for line in text.splitlines() if line.startswith("| 2.1 |"))
    assert f"{on_time_ind[0][2]:.2f}".replace(".", ",") in line_21  # line 2.1 prints the 30/09 rate


@pytest.mark.usefixtures("prefect_harness")
def test_with_only_a_late_capture_the_appendix_uses_it_and_names_its_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replica: object
) -> None:
    data = tmp_path / "data"
    use(monkeypatch, data, replica)
    snapshot(replica, "2026-10-02T09:00")
    db = data / "warehouse.duckdb"
    assert query(
        db, "select as_of from fct_unit_score where unit_code = 'H55' and period_key = '2026-YTD-09'"
    ) == [("late",)]
    out = tmp_path / "sep.md"
    assert (
        main(["report", "--province", "H55", "--month", "2026-09", "--format", "md", "--out", str(out)]) == 0
    )
    text = out.read_text(encoding="utf-8")
    assert "Thống kê trên Cổng dịch vụ công quốc gia ngày 2/10/2026" in text  # the column names the day seen
    assert "số liệu lấy ngày 02/10/2026" in text  # and the note says why, never silently
