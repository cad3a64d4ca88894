"""The schedule's windows (dvc766/schedule.py): the dates the deployments, the flows and status share."""

from __future__ import annotations

from datetime import date

import pytest

from dvc766.periods import Period
from dvc766.schedule import (
    ScheduleError,
    month_due,
    month_end_due,
    monthly_deadline,
    monthly_is_last_try,
    parse_now,
    snapshot_next_round,
)

OCT = Period.month(2026, 10)


def test_the_monthly_window_closes_after_the_firing_of_the_10th_at_18() -> None:
    assert monthly_deadline(OCT) == parse_now("2026-11-11T00:00")
    assert not monthly_is_last_try(parse_now("2026-11-03T00:00"), OCT)
    assert not monthly_is_last_try(parse_now("2026-11-10T12:00"), OCT)
    assert monthly_is_last_try(parse_now("2026-11-10T18:00"), OCT)
    assert monthly_is_last_try(parse_now("2026-11-15T09:00"), OCT)  # a late catch-up by hand
    assert monthly_deadline(Period.month(2026, 12)) == parse_now("2027-01-11T00:00")


def test_what_is_due_on_a_day() -> None:
    assert month_due(date(2026, 11, 10)) == Period.month(2026, 9)  # October's window still open
    assert month_due(date(2026, 11, 11)) == OCT
    assert month_due(date(2027, 1, 5)) == Period.month(2026, 11)
    assert month_end_due(parse_now("2026-11-30T23:59")) == Period("ytd", 2026, 10)  # its day not over
    assert month_end_due(parse_now("2026-12-01T00:00")) == Period("ytd", 2026, 11)


def test_month_end_rounds_every_10_minutes_until_just_before_midnight() -> None:
    assert snapshot_next_round(parse_now("2026-11-30T22:30")) == parse_now("2026-11-30T22:40")
    assert snapshot_next_round(parse_now("2026-11-30T23:45")) == parse_now("2026-11-30T23:55")
    assert snapshot_next_round(parse_now("2026-11-30T23:46")) is None


def test_now_is_vietnam_time_unless_it_says_otherwise() -> None:
    assert parse_now("2026-11-03T06:00").utcoffset().total_seconds() == 7 * 3600  # type: ignore[union-attr]
    assert parse_now("2026-11-02T23:00+00:00") == parse_now("2026-11-03T06:00")
    with pytest.raises(ScheduleError, match="not a time like"):
        parse_now("tomorrow")
