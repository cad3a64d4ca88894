"""The monthly run: one month, every configured province, landed, then the warehouse build.

Scheduled a few days after month end (deployments/), so the portal has published the month; run by
hand with ``dvc766 run --month YYYY-MM``. Re-running a month skips what is already captured and
landed (pass ``refresh`` to capture again), which is also how a missed month is caught up.

:func:`execute` is the flow-independent driver the other flows share: batches, then the build,
then the summary. A failed province does not stop the others; the run ends Failed (and the CLI
exits 1) if any failed, with every cause in the summary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from dvc766.periods import Period, closing_quarter, parse_closed_period, previous_month
from dvc766.provinces import parse_provinces
from dvc766.schedule import (
    MONTHLY_DEADLINE_DAY,
    monthly_deadline,
    monthly_is_last_try,
    parse_now,
)
from dvc766.settings import Settings, SettingsError
from dvc766.writer_lock import holds_data_folder
from flows import alerts, tasks
from flows.summary import FAILED, NOT_PUBLISHED, OK, RELANDED, RunSummary, conclude


def _workers_from_env() -> int:
    """Concurrency for flows run from a deployment (decided when the flow module is imported)."""
    try:
        return max(1, Settings.from_env().backfill_concurrency)
    except SettingsError:
        return Settings().backfill_concurrency


DEFAULT_WORKERS = _workers_from_env()


def province_codes(provinces: list[str] | str | None) -> list[str]:
    """Validated codes (unknown codes raise UnknownProvinceError); None means all 34."""
    if isinstance(provinces, list):
        provinces = ",".join(provinces)
    return [p.code for p in parse_provinces(provinces)]


def run_logger_info() -> Callable[[str], None]:
    """The flow run's logger (shown in the Prefect UI and on the console)."""
    logger = get_run_logger()
    return lambda msg: logger.info(msg)


def execute(
    flow_name: str,
    settings: Settings,
    periods: list[Period],
    codes: list[str],
    *,
    refresh: bool = False,
    build: bool = True,
    use_prefect: bool = True,
    ctx: tasks.RunContext | None = None,
    progress: Callable[[str], None] | None = None,
    run_key: str | None = None,
) -> RunSummary:
    """Run every batch of the periods × provinces, then the warehouse build; return the summary.
    ``run_key`` names the fan-out this run is a part of (see :mod:`flows.fanout`)."""
    ctx = ctx or tasks.make_context(settings, flow_name, run_key)
    summary = RunSummary(
        flow=flow_name,
        run_id=ctx.run_id,
        data_dir=settings.lake_root,
        periods=[p.key for p in periods],
        provinces=list(codes),
    )
    try:
        summary.batches = tasks.run_batches(
            ctx, periods, codes, refresh=refresh, use_prefect=use_prefect, progress=progress
        )
    finally:
        summary.http = ctx.http_stats()
    summary.stopped = ctx.stopped
    finish_with_build(summary, settings, build=build, use_prefect=use_prefect)
    return summary


def finish_with_build(summary: RunSummary, settings: Settings, *, build: bool, use_prefect: bool) -> None:
    """Build the warehouse when something new landed (or none is published yet), unless stopped."""
    if not build:
        return
    if summary.stopped:
        summary.build = {"status": "skipped", "message": "run stopped by the circuit breaker"}
        return
    landed = any(b.status in (OK, RELANDED) and sum(b.rows.values()) for b in summary.batches)
    if not landed and settings.warehouse_path.exists():
        summary.build = {
            "status": "skipped",
            "message": "nothing new landed; the published warehouse is current",
        }
        return
    if not any(b.status != FAILED for b in summary.batches):
        kept = sum(sum(b.rows.values()) for b in summary.batches)
        message = "every batch failed; nothing published"
        if kept:
            # a failed batch still lands the good captures it kept (so reland matches); they are
            # published by the next build that has something of its own to publish
            message += f" ({kept} rows of their good captures were landed and wait for the next build)"
        summary.build = {"status": "skipped", "message": message}
        return
    summary.build = tasks.build_warehouse_task(settings) if use_prefect else tasks.build_warehouse(settings)


def workers(settings: Settings) -> ThreadPoolTaskRunner:
    """Bounded concurrency; politeness stays one shared limit (the run's PoliteSession paces all)."""
    return ThreadPoolTaskRunner(max_workers=max(1, settings.backfill_concurrency))


def apply_monthly_window(summary: RunSummary, month: Period, now: datetime) -> None:
    """The scheduled run's window (dvc766.schedule): what the portal has not published yet is tried
    again by the next firing (every 6 hours until the 10th), which skips what is landed; at the last
    firing, a period still not published is a missed deadline (an alert, and the run fails)."""
    waiting = [
        b for b in summary.batches if b.status == NOT_PUBLISHED or b.cause.startswith("not published yet:")
    ]
    if not waiting:
        return
    scopes = sorted({b.scope for b in waiting})
    shown = ", ".join(scopes[:6]) + (f" (+{len(scopes) - 6})" if len(scopes) > 6 else "")
    periods = ", ".join(sorted({b.period_key for b in waiting}))
    last_day = (monthly_deadline(month) - timedelta(seconds=1)).date()
    if monthly_is_last_try(now, month):
        summary.missed = (
            f"{periods} not published by the portal by the deadline (end of {last_day:%d/%m/%Y}, "
            f"Vietnam time): {len(waiting)} "
            f"batch(es) still answer 'not published yet' ({shown})"
        )
    else:
        summary.waiting = (
            f"{periods}: {len(waiting)} batch(es) not published yet ({shown}); the schedule tries again "
            f"every 6 hours until the {MONTHLY_DEADLINE_DAY}th, skipping what is landed"
        )


@flow(
    name="monthly",
    task_runner=ThreadPoolTaskRunner(max_workers=DEFAULT_WORKERS),
    on_failure=[alerts.on_run_failure],
    on_crashed=[alerts.on_run_failure],
)
@holds_data_folder("run")
def monthly_flow(
    month: str | None = None,
    provinces: list[str] | None = None,
    build: bool = True,
    refresh: bool = False,
    with_closing_quarter: bool = False,
    window: bool = False,
    now: str | None = None,
) -> RunSummary:
    """Fetch and land one period (default: the previous month in Vietnam time) for the provinces.

    ``month`` may also be an ended quarter (``2026-Q3``) or year (``2025``). With
    ``with_closing_quarter`` (the scheduled deployment), a month that closes a quarter brings that
    quarter's figures too. ``window`` (the scheduled deployment): a month the portal has not published
    is left to the next firing, and at the window's last firing it is an alert
    (:func:`apply_monthly_window`). ``now``: the instant the run acts as of (``2026-11-03T06:00``,
    Vietnam time; default the real time) — tests and catch-ups set it.
    """
    settings = Settings.from_env()
    at = parse_now(now)
    period = (
        parse_closed_period(month, history_start=settings.history_start, today=at.date())
        if month
        else previous_month(at.date())
    )
    periods = [period]
    quarter = closing_quarter(period) if with_closing_quarter else None
    if quarter is not None:
        periods.append(quarter)
    codes = province_codes(provinces)
    summary = execute(
        "monthly", settings, periods, codes, refresh=refresh, build=build, progress=run_logger_info()
    )
    if window:
        apply_monthly_window(summary, period, at)
    alerts.report(summary, settings)
    return conclude(summary)
