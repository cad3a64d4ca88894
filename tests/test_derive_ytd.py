"""Year-to-date at a past month end, derived from landed month rows."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest

from dvc766.landing_schema import INDICATOR_VALUES
from dvc766.periods import Period
from flows.capture import Capture
from flows.normalise import normalise
from tests.test_normalise_v1 import h44_capture, rows
from tests.ytd_oracle import derive_ytd

PROGRESS = "evaluation/dvc-progress-tree"


def month_capture(month: int, received: int, on_time: int, *, days_later: int = 0) -> Capture:
    """The real Phú Thọ progress body, re-dated to another month with other parent counts (its chart
    too: a body for that month charts that month, and the August point elsewhere would be refused)."""
    base = h44_capture(PROGRESS)
    doc = json.loads(base.body)
    doc["data"]["parent"].update(totalReceived=received, totalOnTime=on_time, totalCompleted=on_time)
    chart = doc["data"]["monthlyChart"]
    august = next(p for p in chart if p["month"] == "08")
    for point in chart:
        on, over = (august["onTimePct"], august["overduePct"]) if int(point["month"]) == month else (0, 0)
        point.update(onTimePct=on, overduePct=over)
    return dataclasses.replace(
        base,
        body=json.dumps(doc).encode(),
        period=Period.month(2026, month),
        captured_at=base.captured_at + timedelta(days=31 * month + days_later),
    )


def month_rows(*captures: Capture) -> pa.Table:
    return pa.concat_tables([normalise(c)["indicator_values"] for c in captures])


def h44(table: pa.Table, code: str) -> dict[str, Any]:
    [row] = rows(table, unit_code="H44", indicator_code=code)
    return row


def test_sums_numerators_and_denominators_over_the_months() -> None:
    table = month_rows(month_capture(1, 100, 80), month_capture(2, 300, 150), month_capture(3, 600, 570))
    out = derive_ytd(table, 2026, 3)
    assert out.schema.equals(INDICATOR_VALUES)
    on_time = h44(out, "PROGRESS_ON_TIME")
    assert (on_time["numerator"], on_time["denominator"]) == (800, 1000)
    assert on_time["value"] == pytest.approx(80.0)
    assert on_time["score"] is None and on_time["max_score"] is None
    assert on_time["derived"] is True and on_time["quality_flag"] == "DERIVED"
    assert (on_time["period_type"], on_time["period_key"]) == ("ytd", "2026-YTD-03")
    assert str(on_time["period_end"]) == "2026-03-31"
    assert h44(out, "PROGRESS_OVERDUE")["numerator"] == 200
    # Averages are not additive: not derived.
    assert not rows(out, indicator_code="PROGRESS_AVG_DAYS")
    # Children missing no month derive too (the real body's children repeat each month).
    assert len(rows(out, indicator_code="PROGRESS_ON_TIME")) == 164


def test_latest_capture_of_each_month_wins() -> None:
    table = month_rows(
        month_capture(1, 100, 80), month_capture(2, 300, 150), month_capture(2, 400, 390, days_later=5)
    )
    on_time = h44(derive_ytd(table, 2026, 2), "PROGRESS_ON_TIME")
    assert (on_time["numerator"], on_time["denominator"]) == (470, 500)


def test_a_missing_month_or_null_count_derives_nothing() -> None:
    assert derive_ytd(month_rows(month_capture(1, 100, 80), month_capture(3, 10, 5)), 2026, 3).num_rows == 0
    table = month_rows(month_capture(1, 100, 80), month_capture(2, 300, 150))
    nulled = table.set_column(
        table.schema.get_field_index("numerator"),
        pa.field("numerator", pa.int64()),
        pa.array([None] * table.num_rows, pa.int64()),
    )
    assert derive_ytd(nulled, 2026, 2).num_rows == 0


def test_procedure_counts_are_not_summed() -> None:
    doc = json.loads(h44_capture("evaluation/provide-online-tree").body)
    doc["data"]["monthlyChart"] = []  # the August chart would contradict January and February
    tree = h44_capture("evaluation/provide-online-tree", body=json.dumps(doc).encode())
    table = pa.concat_tables(
        [
            normalise(dataclasses.replace(tree, period=Period.month(2026, m)))["indicator_values"]
            for m in (1, 2)
        ]
    )
    out = derive_ytd(table, 2026, 2)
    codes = {r["indicator_code"] for r in rows(out, unit_code="H44")}
    assert "ONLINE_TREE_CHANNEL_ONLINE" in codes
    assert "ONLINE_SERVICE_WITH_DOSSIER" not in codes and "ONLINE_TREE_FULL" not in codes
    assert h44(out, "ONLINE_TREE_CHANNEL_ONLINE")["numerator"] == 2 * 150956
