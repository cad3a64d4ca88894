"""The month-end capture of the year-to-date views: "the figures as seen on the portal on 31/10".

The portal only answers year-to-date *now*; a month end cannot be asked for later. So the capture
is taken on the month's last day (the schedule fires late on days 28-31 and the flow skips unless
it is the last day) and labelled ``Period("ytd", year, month)``. Taken on any other day (by hand,
or a late run) it is labelled with the previous month and a warning says it is late: the figures
are then as seen today, not at that month end.

The label comes from the portal's clock: the first response's ``Date`` header decides (the local
clock only proposes), so a machine with a wrong clock cannot mislabel a month.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import datetime

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from dvc766.periods import VN_TZ, Period, now_vn, previous_month
from dvc766.settings import Settings
from dvc766.writer_lock import holds_data_folder
from flows import tasks
from flows.capture import Capture
from flows.monthly import DEFAULT_WORKERS, finish_with_build, province_codes, run_logger_info
from flows.plan import NATIONAL, national_requests
from flows.summary import RunSummary, conclude


def is_last_day(now: datetime) -> bool:
    d = now.astimezone(VN_TZ).date()
    return d.day == calendar.monthrange(d.year, d.month)[1]


def snapshot_label(now: datetime) -> tuple[Period, bool]:
    """(ytd period the capture closes, late?) for a capture taken at ``now``."""
    d = now.astimezone(VN_TZ).date()
    if is_last_day(now):
        return Period("ytd", d.year, d.month), False
    prev = previous_month(d)
    return Period("ytd", prev.year, prev.number), True


class PortalClockLabel:
    """Relabels captures with the period the portal's clock says (decided by the first capture).

    A capture asked for another year than the portal's label is left as asked: it is that year's
    figures, and the caller fetches the right year again.
    """

    def __init__(self, provisional: Period, late: bool) -> None:
        self.period, self.late = provisional, late
        self.decided_from: datetime | None = None

    def __call__(self, capture: Capture) -> Capture:
        if self.decided_from is None:
            self.decided_from = capture.captured_at
            self.period, self.late = snapshot_label(capture.captured_at)
        if capture.period == self.period or capture.period.year != self.period.year:
            return capture
        return replace(capture, period=self.period)


def take_snapshot(
    settings: Settings,
    codes: list[str],
    *,
    build: bool = True,
    use_prefect: bool = True,
    ctx: tasks.RunContext | None = None,
    now: datetime | None = None,
    progress=None,
) -> RunSummary:
    """National ranking first (its Date header fixes the label), then every province's seven views."""
    ctx = ctx or tasks.make_context(settings, "snapshot")
    provisional, late = snapshot_label(now or now_vn())
    label = PortalClockLabel(provisional, late)
    summary = RunSummary(flow="snapshot", run_id=ctx.run_id, data_dir=settings.lake_root, provinces=codes)
    try:
        try:
            first = tasks.run_batch(
                ctx, provisional, NATIONAL, national_requests(provisional, settings), relabel=label
            )
        except tasks.BatchFailed as exc:
            first = exc.outcome
        summary.batches.append(first)
        period = label.period
        if period.year != provisional.year and not ctx.stopped:
            # The portal's clock is in another year than ours: ask the national view for that year.
            summary.batches.append(
                tasks.collect(
                    ctx, tasks.Done(tasks.fetch_and_land_national, ctx, period, True), NATIONAL, period
                )
            )
        summary.periods = [period.key]
        if label.late:
            when = (label.decided_from or now or now_vn()).astimezone(VN_TZ)
            summary.warnings.append(
                f"late snapshot: taken {when:%Y-%m-%d %H:%M} (Vietnam time), not on the last day of the month; "
                f"labelled {period.key} but the figures are as seen today"
            )
        if not ctx.stopped:
            summary.batches += tasks.run_batches(
                ctx, [period], codes, refresh=True, national=False, use_prefect=use_prefect, progress=progress
            )
    finally:
        summary.http = ctx.http_stats()
    summary.stopped = ctx.stopped
    finish_with_build(summary, settings, build=build, use_prefect=use_prefect)
    return summary


@flow(name="month-end-snapshot", task_runner=ThreadPoolTaskRunner(max_workers=DEFAULT_WORKERS))
@holds_data_folder("snapshot")
def snapshot_flow(
    provinces: list[str] | None = None,
    build: bool = True,
    only_on_last_day: bool = False,
) -> RunSummary:
    """Capture the year-to-date views now; with ``only_on_last_day`` (the schedule) skip other days."""
    settings = Settings.from_env()
    codes = province_codes(provinces)
    say = run_logger_info()
    if only_on_last_day and not is_last_day(now_vn()):
        say("not the last day of the month in Vietnam time: month-end snapshot skipped")
        return RunSummary(
            flow="snapshot",
            run_id="-",
            data_dir=settings.lake_root,
            skipped_run="not the last day of the month (Vietnam time); the schedule fires on days 28-31",
        )
    summary = take_snapshot(settings, codes, build=build, progress=say)
    for w in summary.warnings:
        say(w)
    return conclude(summary)
