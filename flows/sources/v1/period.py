"""What a v1 body says about its own period, checked against the period asked for.

No v1 answer names its period (no ``timeType``, ``fromDate`` or ``toDate`` echo in any real body),
but three of them chart the year month by month, and the charts follow the period asked for (the
real bodies in ``tests/fixtures/portal/v1``, VARIANTS.md):

* the trees' ``monthlyChart`` (dvc-progress-tree, provide-online-tree) carry the months of the
  period asked for and 0 in every other month (the August body: August, zeros elsewhere; a quarter
  its three months; a year view the months begun so far);
* service-results' ``dossierChart`` carries the months of the period (a year view: every month
  begun) and null in the others;
* service-results' ``monthlyChart`` carries every month begun when it was asked, whatever the period,
  and null in the months not begun.

So a body that puts a figure in a month the period does not cover — or in a month that had not begun
when the portal answered — is an answer for another period (a September tree served for October, the
year 2025 served for 2026 on 31/10), and is refused with :class:`~flows.errors.WrongPeriodError`.
Zeros and nulls say nothing (a month with no dossiers is 0 in its own chart), so the check can only
refuse, never confirm; bodies without a chart (Shape A, the payment tree; legacy rows, which carry
no period at all) cannot be checked this way. A month view's ``monthlyChart`` reports the whole
year, so it is held only to the months begun.

"Begun" is judged on the portal's clock (the capture's ``Date`` header) in Vietnam time, with ten
minutes of grace: a body stamped a few seconds before midnight of a month end may already count the
new month. No more: the month-end snapshot is taken late on the last day, and the month after it must
still count as not begun then.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dvc766.periods import VN_TZ, Period
from flows.errors import WrongPeriodError
from flows.sources.v1.settings import ONLINE_TREE, PROGRESS_TREE, SERVICE_RESULTS

GRACE = timedelta(minutes=10)


def begun_months(period: Period, captured_at: datetime) -> set[int]:
    """The months of the period's year that had begun when the portal answered (Vietnam time)."""
    seen = (captured_at.astimezone(VN_TZ) + GRACE).date()
    if seen.year > period.year:
        return set(range(1, 13))
    if seen.year < period.year:
        return set()
    return set(range(1, seen.month + 1))


def covered_months(period: Period, captured_at: datetime) -> set[int]:
    """The months a body for ``period`` may report: the period's own months; for a year view (a
    ``year``, or the running year at a month end, ``ytd``) every month begun when it was asked."""
    begun = begun_months(period, captured_at)
    if period.period_type in ("year", "ytd"):
        return begun
    return {m for m in range(period.start.month, period.end.month + 1)} & begun


def _month(label: str) -> int | None:
    return int(label) if len(label) == 2 and label.isdigit() and 1 <= int(label) <= 12 else None


def _first_outside(points: list[tuple[str, tuple[Any, ...]]], allowed: set[int]) -> tuple[int, Any] | None:
    """The first (month, value) of a chart with a figure (not 0, not null) outside ``allowed``."""
    for label, values in points:
        month = _month(label)
        if month is None or month in allowed:
            continue
        for value in values:
            if value:  # None and 0 report nothing
                return month, value
    return None


def check_period(endpoint: str, data: Any, period: Period, captured_at: datetime, label: str) -> None:
    """Raise :class:`WrongPeriodError` when the body's charts report a month it cannot cover."""
    charts: list[tuple[str, str, list[tuple[str, tuple[Any, ...]]], set[int]]] = []
    if endpoint == PROGRESS_TREE and data.monthlyChart:
        points = [(p.month, (p.onTimePct, p.overduePct)) for p in data.monthlyChart]
        charts.append(("monthlyChart", "the period asked", points, covered_months(period, captured_at)))
    elif endpoint == ONLINE_TREE and data.monthlyChart:
        points = [(p.label, (p.onlineDossierPct,)) for p in data.monthlyChart]
        charts.append(("monthlyChart", "the period asked", points, covered_months(period, captured_at)))
    elif endpoint == SERVICE_RESULTS:
        dossier = [(p.month, (p.onTimePct, p.overduePct)) for p in data.dossierChart]
        charts.append(("dossierChart", "the period asked", dossier, covered_months(period, captured_at)))
        scores = [(p.month, (p.averageScore,)) for p in data.monthlyChart]
        charts.append(("monthlyChart", "the months begun", scores, begun_months(period, captured_at)))
    seen = captured_at.astimezone(VN_TZ)
    for name, what, points, allowed in charts:
        hit = _first_outside(points, allowed)
        if hit is not None:
            month, value = hit
            raise WrongPeriodError(
                f"{label}: the body reports {period.year:04d}-{month:02d} ({name} {value!r}), outside "
                f"{what} ({period.key}, answered {seen:%Y-%m-%d %H:%M} Vietnam time): an answer for "
                "another period"
            )
