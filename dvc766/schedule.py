"""The schedule's windows: when each scheduled run fires, how long it keeps trying, when it is late.

Why one module: the served deployments (``deployments/serve.py``), the flows that retry inside their
window, and ``dvc766 status`` (what is late today) must agree on the same dates. All times are Vietnam
time (Asia/Ho_Chi_Minh), the portal's.

* **monthly**: a month's figures are published a few days after it ends (the portal refreshes around
  02:00). The run fires every 6 hours from the 3rd to the 10th of the next month; each firing lands
  what the portal has published and skips what is already landed, so the month lands at the first
  firing after the portal publishes it. The window closes at the end of the 10th: a month still not
  published then is an alert ("not published by its deadline").
* **month-end snapshot**: the year-to-date figures as seen on the month's last day can only be asked on
  that day. The run fires at 22:30 on days 28-31 (it skips unless it is the last day) and retries
  transient failures every 10 minutes until the day ends; a month end not taken by midnight can never
  be taken later (an alert: "missed month-end window").
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from dvc766.periods import VN_TZ, Period, now_vn, previous_month

TIMEZONE = "Asia/Ho_Chi_Minh"

MONTHLY_CRON = "0 */6 3-10 * *"  # 00:00, 06:00, 12:00, 18:00 on days 3-10
MONTHLY_OPENS_DAY = 3
MONTHLY_DEADLINE_DAY = 10  # the window closes at the end of this day of the next month
MONTHLY_RETRY_EVERY = timedelta(hours=6)

SNAPSHOT_CRON = "30 22 28-31 * *"  # 22:30 on days 28-31; the flow skips unless it is the last day
SNAPSHOT_STARTS = time(22, 30)
SNAPSHOT_RETRY_EVERY = timedelta(minutes=10)
SNAPSHOT_ROUND_NEEDS = timedelta(minutes=5)  # a retry round is started only this long before midnight

NOW_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


class ScheduleError(ValueError):
    """A ``now`` value that is not a Vietnam-time timestamp."""


def parse_now(text: str | datetime | None) -> datetime:
    """The instant a run acts as of: ``None`` is the real time; text is ``YYYY-MM-DDTHH:MM`` in Vietnam
    time (an explicit UTC offset is honoured). Tests and catch-ups pass it; the schedule does not."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return now_vn()
    if isinstance(text, datetime):
        return text.replace(tzinfo=VN_TZ) if text.tzinfo is None else text.astimezone(VN_TZ)
    raw = str(text).strip()
    for fmt in NOW_FORMATS:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=VN_TZ)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ScheduleError(f"now {raw!r} is not a time like 2026-11-03T06:00 (Vietnam time)") from None
    return parsed.replace(tzinfo=VN_TZ) if parsed.tzinfo is None else parsed.astimezone(VN_TZ)


def _next_month_day(month: Period, day: int) -> date:
    y, m = (month.year, month.number + 1) if month.number < 12 else (month.year + 1, 1)
    return date(y, m, day)


def monthly_opens(month: Period) -> datetime:
    """When the monthly window of ``month`` opens: the 3rd of the next month, 00:00."""
    return datetime.combine(_next_month_day(month, MONTHLY_OPENS_DAY), time(0), tzinfo=VN_TZ)


def monthly_deadline(month: Period) -> datetime:
    """When the monthly window of ``month`` closes: the end of the 10th of the next month."""
    day = _next_month_day(month, MONTHLY_DEADLINE_DAY)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=VN_TZ)


def monthly_is_last_try(now: datetime, month: Period) -> bool:
    """True when no later firing of the window will come: the next one would be past the deadline."""
    return now + MONTHLY_RETRY_EVERY >= monthly_deadline(month)


def month_due(today: date) -> Period:
    """The latest month that must be published by ``today``: last month once its window has closed
    (after the 10th), else the month before it."""
    last = previous_month(today)
    return last if today.day > MONTHLY_DEADLINE_DAY else last.previous_month()


def is_last_day(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def day_end(now: datetime) -> datetime:
    """Midnight at the end of ``now``'s day in Vietnam time."""
    d = now.astimezone(VN_TZ).date()
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=VN_TZ)


def month_end_due(now: datetime) -> Period:
    """The latest month end whose day is over at ``now`` (its snapshot was due then, as ``ytd``)."""
    last = previous_month(now.astimezone(VN_TZ).date())
    return Period("ytd", last.year, last.number)


def snapshot_next_round(now: datetime) -> datetime | None:
    """When a month-end retry round started after ``now`` would start, or None when the day ends first."""
    start = now + SNAPSHOT_RETRY_EVERY
    return start if start + SNAPSHOT_ROUND_NEEDS <= day_end(now) else None
