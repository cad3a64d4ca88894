"""The replica's running month and its scenario shocks: what the daily watch's tests stand on."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from dvc766.periods import VN_TZ
from replica import shapes
from replica.consistency import check_consistency
from replica.generator import COL, Dataset, coverage
from replica.scenarios import ScenarioError, load_scenario

NOV_5 = datetime(2026, 11, 5, 7, tzinfo=VN_TZ)
NOV_6 = datetime(2026, 11, 6, 7, tzinfo=VN_TZ)


def test_a_running_month_answers_so_far_and_an_ended_one_waits_for_the_3rd() -> None:
    assert coverage("month", [(2026, 11)], NOV_5) == [(2026, 11, 4 * 24 + 7, 30 * 24)]
    assert coverage("month", [(2026, 10)], NOV_5) == [(2026, 10, 1, 1)]
    assert coverage("month", [(2026, 10)], datetime(2026, 11, 2, 7, tzinfo=VN_TZ)) == []
    assert coverage("month", [(2026, 11)], datetime(2026, 11, 1, 0, 30, tzinfo=VN_TZ)) == []  # no hour yet
    body = shapes.v1_body(Dataset(766), "evaluation/dvc-progress-tree", shapes.PeriodRequest("month", 2026, 11),
                          Dataset(766).find("post", code="H55"), NOV_5)  # fmt: skip
    assert body["parent"]["totalReceived"] > 0 and body["children"]


def shocked(now: datetime) -> tuple[Dataset, Dataset]:
    scenario = load_scenario("watch_week")
    plain, with_shocks = Dataset(766), Dataset(766)
    with_shocks.shocks, with_shocks.now = scenario.shocks, lambda: now
    return plain, with_shocks


def test_a_shock_makes_on_time_dossiers_late_from_its_time_on_and_keeps_the_bodies_consistent() -> None:
    tree = Dataset(766).find("post", code="H55")
    assert tree is not None
    codes = [u.code for u in tree.children]
    cover = coverage("month", [(2026, 11)], NOV_5)
    before = datetime(2026, 11, 4, 7, tzinfo=VN_TZ)
    plain, early = shocked(before)
    assert (early.figures(tree, cover).matrix == plain.figures(tree, cover).matrix).all()  # not yet
    plain, ds = shocked(NOV_5)
    a, b = plain.figures(tree, cover).matrix, ds.figures(tree, cover).matrix
    i, j = codes.index("H55.151"), codes.index("H55.101")
    assert b[i, COL["on_time"]] == a[i, COL["on_time"]] // 2  # floor(on_time × 0.5)
    assert b[i, COL["overdue"]] == a[i, COL["received"]] - b[i, COL["on_time"]]
    assert b[i, COL["received"]] == a[i, COL["received"]]
    assert (b[j] == a[j]).all()  # another unit: untouched
    ytd = coverage("year", [(2026, m) for m in range(1, 13)], NOV_5)
    assert ds.figures(tree, ytd).parent[COL["on_time"]] < plain.figures(tree, ytd).parent[COL["on_time"]]
    assert check_consistency(ds, "month", 2026, 11, now=NOV_6, codes=["H55"]) == []


def test_a_shock_that_cannot_be_used_is_refused_at_start(tmp_path: Path) -> None:
    doc = {"entries": [], "shocks": [{"province": "H55", "from": "2026-11-05T00:00", "on_time_factor": 1.5}]}
    (tmp_path / "scenario.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ScenarioError, match="shock 0: on_time_factor must be a number from 0 to 1"):
        load_scenario(tmp_path)
