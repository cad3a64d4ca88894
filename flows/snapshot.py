"""The month-end capture of the year-to-date views: "the figures as seen on the portal on 31/10".

The portal only answers year-to-date *now*; a month end cannot be asked for later. So the capture
is taken on the month's last day (the schedule fires late on days 28-31 and the flow skips unless
it is the last day) and labelled ``Period("ytd", year, month)``. Taken on any other day (by hand,
or a late run) it is labelled with the previous month and a warning says it is late: the figures
are then as seen today, not at that month end.

The label comes from the portal's clock: the first response's ``Date`` header decides (the local
clock only proposes), so a machine with a wrong clock cannot mislabel a month.

The scheduled run (``window``) defends its one chance: provinces that failed for a transient reason
(5xx, timeouts, resets) are tried again every 10 minutes until the day ends in Vietnam time
(:func:`snapshot_in_window`); a month end still not taken then — or taken only after midnight — is a
missed window, alerted, and can never be taken later.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from dvc766.periods import VN_TZ, Period, now_vn, previous_month
from dvc766.schedule import parse_now, snapshot_next_round
from dvc766.settings import Settings
from dvc766.writer_lock import holds_data_folder
from flows import alerts, tasks
from flows.capture import Capture
from flows.monthly import DEFAULT_WORKERS, finish_with_build, province_codes, run_logger_info
from flows.plan import NATIONAL, national_requests
from flows.summary import FAILED, RunSummary, conclude

TRANSIENT = "transient"


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


def _retryable(summary: RunSummary) -> bool:
    """Worth another round before midnight: only transient failures (a block stops; a bad body stays bad)."""
    return (
        bool(summary.failed)
        and not summary.stopped
        and all(b.error_kind == TRANSIENT for b in summary.failed)
    )


def snapshot_in_window(
    settings: Settings,
    codes: list[str],
    *,
    build: bool = True,
    window: bool = True,
    use_prefect: bool = True,
    clock: Callable[[], datetime] = now_vn,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> RunSummary:
    """Take the snapshot; with ``window``, retry the provinces that failed transiently every 10 minutes
    until the Vietnam day ends (``clock``/``sleep`` are injectable, so a test does not wait), then build
    once. A month end not taken for every province by then — or taken after midnight — is ``missed``."""
    say = progress or (lambda _m: None)
    summary = take_snapshot(
        settings, codes, build=False, use_prefect=use_prefect, now=clock(), progress=progress
    )
    started = clock()
    rounds = 1
    while window and _retryable(summary):
        start = snapshot_next_round(clock())
        if start is None:
            break
        wait = max(0.0, (start - clock()).total_seconds())
        failed = sorted({b.scope for b in summary.failed})
        say(
            f"month-end: {len(failed)} batch(es) failed transiently; round {rounds + 1} at {start:%H:%M} (Vietnam time)"
        )
        sleep(wait)
        again = take_snapshot(
            settings,
            [c for c in failed if c != "national"],
            build=False,
            use_prefect=use_prefect,
            now=clock(),
            progress=progress,
        )
        rounds += 1
        _merge(summary, again)
    if window:
        _judge_window(summary, started, rounds)
    finish_with_build(summary, settings, build=build, use_prefect=use_prefect)
    return summary


def _merge(summary: RunSummary, again: RunSummary) -> None:
    """Fold a retry round into the run: its batches replace the failed ones (a national ranking taken
    again is kept only if the first one failed); requests add up; warnings and a stop carry over."""
    national_ok = any(b.scope == "national" and b.status != FAILED for b in summary.batches)
    summary.batches = [b for b in summary.batches if b.status != FAILED] + [
        b for b in again.batches if not (b.scope == "national" and national_ok)
    ]
    summary.http = {k: summary.http.get(k, 0) + again.http.get(k, 0) for k in {*summary.http, *again.http}}
    summary.warnings += [w for w in again.warnings if w not in summary.warnings]
    summary.stopped = summary.stopped or again.stopped


def _judge_window(summary: RunSummary, started: datetime, rounds: int) -> None:
    label = summary.periods[0] if summary.periods else "the month end"
    day = started.astimezone(VN_TZ).date()
    if summary.failed:
        scopes = sorted({b.scope for b in summary.failed})
        summary.missed = (
            f"month-end snapshot {label} not taken for {', '.join(scopes)} by the end of {day:%d/%m/%Y} "
            f"(Vietnam time) after {rounds} round(s); it can never be taken later"
        )
    elif any(w.startswith("late snapshot") for w in summary.warnings):
        summary.missed = (
            f"month-end snapshot {label} taken after its day ended: the figures are as seen the next day"
        )


@flow(
    name="month-end-snapshot",
    task_runner=ThreadPoolTaskRunner(max_workers=DEFAULT_WORKERS),
    on_failure=[alerts.on_run_failure],
    on_crashed=[alerts.on_run_failure],
)
@holds_data_folder("snapshot")
def snapshot_flow(
    provinces: list[str] | None = None,
    build: bool = True,
    only_on_last_day: bool = False,
    window: bool = False,
    now: str | None = None,
) -> RunSummary:
    """Capture the year-to-date views now; with ``only_on_last_day`` (the schedule) skip other days;
    with ``window`` (the schedule) retry transient failures until the day ends and alert a missed
    month end. ``now``: the instant the run acts as of (Vietnam time; default the real time)."""
    settings = Settings.from_env()
    codes = province_codes(provinces)
    say = run_logger_info()
    at = parse_now(now)
    if only_on_last_day and not is_last_day(at):
        say("not the last day of the month in Vietnam time: month-end snapshot skipped")
        summary = RunSummary(
            flow="snapshot",
            run_id="-",
            data_dir=settings.lake_root,
            skipped_run="not the last day of the month (Vietnam time); the schedule fires on days 28-31",
        )
        alerts.report(summary, settings)
        return summary
    t0 = time.monotonic()
    clock = now_vn if now is None else (lambda: at + timedelta(seconds=time.monotonic() - t0))
    summary = snapshot_in_window(settings, codes, build=build, window=window, clock=clock, progress=say)
    for w in summary.warnings:
        say(w)
    alerts.report(summary, settings)
    return conclude(summary)
