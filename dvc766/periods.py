"""Periods the index is reported for, and the rules for which ones may be asked for.

The portal reports on ``month``, ``quarter`` and ``year`` periods. A ``year`` asked for while the
year is running is year-to-date and moves daily, so a capture of it taken at a month end is kept as
its own period, ``ytd`` ending on that month's last day: "the figures as seen on the portal on
31/10/2023" are ``Period("ytd", 2023, 10)``. That is what the monthly appendix compares.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERIOD_TYPES = ("month", "quarter", "year", "ytd")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period argument is malformed, in the future, or outside the portal's history."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period.

    ``number`` is the month (1-12) for ``month`` and ``ytd``, the quarter (1-4) for ``quarter``,
    and 0 for ``year``.
    """

    period_type: str
    year: int
    number: int = 0

    def __post_init__(self) -> None:
        if self.period_type not in PERIOD_TYPES:
            raise PeriodError(f"unknown period type {self.period_type!r}")
        limit = {"month": 12, "ytd": 12, "quarter": 4, "year": 0}[self.period_type]
        if self.period_type == "year":
            if self.number != 0:
                raise PeriodError("a year period has no number")
        elif not 1 <= self.number <= limit:
            raise PeriodError(f"{self.period_type} number {self.number} out of range 1..{limit}")

    @property
    def start(self) -> date:
        if self.period_type == "month":
            return date(self.year, self.number, 1)
        if self.period_type == "quarter":
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        if self.period_type in ("month", "ytd"):
            m = self.number
        elif self.period_type == "quarter":
            m = 3 * self.number
        else:
            m = 12
        return date(self.year, m, calendar.monthrange(self.year, m)[1])

    @property
    def key(self) -> str:
        """Stable text form, safe as a partition value: 2026-08, 2026-Q3, 2026, 2026-YTD-10."""
        if self.period_type == "month":
            return f"{self.year:04d}-{self.number:02d}"
        if self.period_type == "quarter":
            return f"{self.year:04d}-Q{self.number}"
        if self.period_type == "ytd":
            return f"{self.year:04d}-YTD-{self.number:02d}"
        return f"{self.year:04d}"

    def __str__(self) -> str:
        return self.key

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls("month", year, month)

    @classmethod
    def from_key(cls, key: str) -> Period:
        m = re.fullmatch(r"(\d{4})-(\d{2})", key)
        if m:
            return cls("month", int(m[1]), int(m[2]))
        m = re.fullmatch(r"(\d{4})-Q([1-4])", key)
        if m:
            return cls("quarter", int(m[1]), int(m[2]))
        m = re.fullmatch(r"(\d{4})-YTD-(\d{2})", key)
        if m:
            return cls("ytd", int(m[1]), int(m[2]))
        if re.fullmatch(r"\d{4}", key):
            return cls("year", int(key))
        raise PeriodError(f"not a period key: {key!r}")

    def previous_month(self) -> Period:
        """The month (or month-end ytd) before this one; ytd of January has no predecessor in-year."""
        y, m = (self.year, self.number - 1) if self.number > 1 else (self.year - 1, 12)
        return Period(self.period_type, y, m)

    def months(self) -> list[Period]:
        """The calendar months this period covers."""
        first = self.start.month
        last = self.end.month
        return [Period.month(self.year, m) for m in range(first, last + 1)]


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


def captured_while_running(period: Period, captured_at: datetime) -> bool:
    """True when a capture of ``period`` taken at ``captured_at`` holds partial figures: a month asked
    on or before its last day (Vietnam time), a year to date before its month's last day. The daily
    watch takes these every morning; they never count as the month's capture (the monthly run asks
    again) and never stand for a month end. The Python twin of ``captured_running`` in sql/macros.sql.
    """
    day = captured_at.astimezone(VN_TZ).date()
    if period.period_type == "month":
        return day <= period.end
    if period.period_type == "ytd":
        return day < period.end
    return False


def previous_month(today: date | None = None) -> Period:
    """The default month of a monthly run: the one before today's in Vietnam time."""
    today = today or now_vn().date()
    first = today.replace(day=1)
    last = first - timedelta(days=1)
    return Period.month(last.year, last.month)


def parse_month(text: str, *, history_start: str = "2023-01", today: date | None = None) -> Period:
    """Parse a ``YYYY-MM`` argument; refuse malformed, future and before-history months.

    The current month is refused too: the portal's figures for a month in progress are partial and
    move daily (``snapshot`` is the command that captures the running year on purpose).
    """
    m = _MONTH_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if not m:
        raise PeriodError(f"month {text!r} is not in the form YYYY-MM (e.g. 2026-10)")
    year, month = int(m[1]), int(m[2])
    if not 1 <= month <= 12:
        raise PeriodError(f"month {text!r} has no month {month:02d}; months run 01..12")
    period = Period.month(year, month)
    today = today or now_vn().date()
    if period.start > today:
        raise PeriodError(f"month {text} is in the future (today is {today.isoformat()})")
    if (year, month) >= (today.year, today.month):
        raise PeriodError(f"month {text} has not ended yet (today is {today.isoformat()}); use `snapshot`")
    hs = Period.from_key(history_start)
    if (year, month) < (hs.year, hs.number):
        raise PeriodError(f"month {text} is before the portal's 766 history (starts {history_start})")
    return period


def parse_closed_period(text: str, *, history_start: str = "2023-01", today: date | None = None) -> Period:
    """Parse a month (``2026-08``), quarter (``2026-Q3``) or year (``2025``) that has ended.

    A running quarter or year is refused like a running month: its figures move daily (the running
    year as seen at a month end is what ``snapshot`` captures, as ``ytd``).
    """
    text = text.strip() if isinstance(text, str) else text
    if isinstance(text, str) and _MONTH_RE.fullmatch(text):
        return parse_month(text, history_start=history_start, today=today)
    try:
        period = Period.from_key(text) if isinstance(text, str) else None
    except PeriodError:
        period = None
    if period is None or period.period_type not in ("quarter", "year"):
        raise PeriodError(f"period {text!r} is not a month (2026-08), a quarter (2026-Q3) or a year (2025)")
    today = today or now_vn().date()
    if period.start > today:
        raise PeriodError(f"{period.period_type} {text} is in the future (today is {today.isoformat()})")
    if period.end >= today:
        raise PeriodError(
            f"{period.period_type} {text} has not ended yet (today is {today.isoformat()}); its figures still "
            "move daily (`snapshot` captures the running year at a month end)"
        )
    hs = Period.from_key(history_start)
    if period.end < hs.start:
        raise PeriodError(
            f"{period.period_type} {text} is before the portal's 766 history (starts {history_start})"
        )
    return period


def closing_quarter(month: Period) -> Period | None:
    """The quarter a month closes (March → Q1 …), or None for the other months."""
    if month.period_type != "month" or month.number % 3:
        return None
    return Period("quarter", month.year, month.number // 3)


def month_range(first: Period, last: Period) -> list[Period]:
    """Inclusive list of months from ``first`` to ``last``."""
    if (first.year, first.number) > (last.year, last.number):
        raise PeriodError(f"range {first}..{last} is empty: --from is after --to")
    out: list[Period] = []
    y, m = first.year, first.number
    while (y, m) <= (last.year, last.number):
        out.append(Period.month(y, m))
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out
