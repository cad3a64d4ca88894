"""``dvc766 status`` on a real published warehouse, without a Prefect server: what it holds per province,
what is late against the schedule on a given day, and the last runs from the data folder's run log."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.periods import Period
from dvc766.provinces import provinces
from dvc766.settings import Settings
from flows import alerts
from flows.summary import FAILED, BatchOutcome, RunSummary
from tests.landing_factory import Landing

GROUPS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")


def write_scores(data_dir: Path) -> None:
    """Every province's scores for Sept and Oct 2026 and the month ends of October and November, with
    its units' figures from its own requests; except that H55's own October requests failed (the
    national ranking gave its total only) and its November month end was never taken."""
    land = Landing(data_dir)
    codes = [p.code for p in provinces()]
    plan = [
        (Period.month(2026, 9), "2026-10-03T01:00", codes),
        (Period.month(2026, 10), "2026-11-03T01:00", codes),
        (Period("ytd", 2026, 10), "2026-10-31T15:30", codes),
        (Period("ytd", 2026, 11), "2026-11-30T15:30", [c for c in codes if c != "H55"]),
    ]
    for period, at, which in plan:
        nat = land.provenance(period, at)
        land.write("units_seen", [land.unit_seen(c, f"UBND tỉnh {c}", f"id-{c}", nat) for c in which])
        scores = []
        for rank, code in enumerate(which, start=1):
            groups = [10.0, 15.0, 8.0, 6.0, 12.0, 10.0]
            scores.append(land.score(code, "TOTAL", sum(groups), nat, max_score=100, rank=rank, rank_size=34))
            scores += [land.score(code, g, s, nat) for g, s in zip(GROUPS, groups, strict=True)]
        land.write("unit_scores", scores)
        # the province's own requests give its units' figures; the national ranking above alone does not
        own = [c for c in which if not (c == "H55" and period.key == "2026-10")]
        trees = {
            c: land.provenance(period, at, scope=c, endpoint="evaluation/dvc-progress-tree") for c in own
        }
        land.write("units_seen", [land.unit_seen(f"{c}.101", "Xã Một", f"id-{c}-101", trees[c]) for c in own])
        land.write("unit_scores", [land.score(f"{c}.101", "TDGQ", 15.0, trees[c]) for c in own])


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from warehouse.runner import build

    data = tmp_path_factory.mktemp("status") / "data"
    write_scores(data)
    build(Settings(data_dir=data))
    return data


@pytest.fixture()
def env(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DVC766_DATA_DIR", str(published))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "no-prefect-here"))
    monkeypatch.delenv("DVC766_NOTIFY", raising=False)
    return published


def test_status_says_what_is_published_and_what_is_late(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings.from_env()
    blocked = BatchOutcome("H55", "2026-10", FAILED, cause="blocked: HTTP 403", error_kind="blocked")
    summary = RunSummary(flow="monthly", run_id="monthly-1", data_dir=str(env), periods=["2026-10"])
    summary.batches = [blocked]
    alerts.report(summary, settings)

    assert main(["status", "--now", "2026-12-05T09:00"]) == 1
    out = capsys.readouterr().out
    assert "latest month: 2026-10; latest month end: 2026-YTD-11" in out
    assert "checks" in out and "passed" in out  # how the file was built
    h55 = next(line for line in out.splitlines() if line.strip().startswith("H55 "))
    assert h55.split()[-2:] == ["2026-09", "2026-YTD-10"]
    assert "LATE month 2026-10 (due by the end of 10/11/2026): 1 of 34 provinces lack it (H55)" in out
    assert "MISSED month end 2026-YTD-11" in out and "(H55)" in out and "can never be taken later" in out
    assert "month 2026-11: its window is open until the end of the 10th" in out
    assert "`dvc766 run --month 2026-10 --provinces H55`" in out
    assert "monthly 2026-10: failed — H55 2026-10: blocked: HTTP 403 [alert run_failed: not sent" in out
    assert "Prefect" not in out  # none configured, none started: nothing asked, nothing waited for


def test_status_with_nothing_late_exits_0(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 5 November: September is the month due, the October month end the one due
    assert main(["status", "--now", "2026-11-05T09:00"]) == 0
    out = capsys.readouterr().out
    assert "nothing is late against the schedule" in out
    assert "month 2026-10: its window is open" in out and "1 provinces do not have it yet" in out


def test_status_on_a_month_end_and_with_an_unreachable_prefect(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # nothing listens there
    main(["status", "--now", "2026-11-30T12:00"])
    out = capsys.readouterr().out
    assert "today is a month end: the snapshot 2026-YTD-11 is due at 22:30" in out
    assert "Prefect (http://127.0.0.1:9/api) not reachable" in out


def test_status_without_a_warehouse_and_bad_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DVC766_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert "no published warehouse" in out and "last runs: none recorded" in out
    assert not (tmp_path / "empty").exists()  # read-only: nothing created
    assert main(["status", "--now", "yesterday"]) == 2
    assert "not a time like" in capsys.readouterr().err
