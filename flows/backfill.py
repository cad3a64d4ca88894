"""Backfill a range of months: resumable, bounded concurrency, one shared politeness limit.

Why resumable by province × period: a backfill of years is long and may be killed. A batch whose
every request already has an ok capture, landed, is skipped (``refresh`` captures it again), so
running the same command again finishes the job without asking the portal twice. Months before
``settings.v1_cutover`` go to the legacy gateway (see :mod:`flows.plan`).
"""

from __future__ import annotations

from typing import Literal

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from dvc766.periods import Period, month_range, parse_month
from dvc766.settings import Settings
from dvc766.writer_lock import holds_data_folder
from flows import alerts
from flows.monthly import DEFAULT_WORKERS, execute, province_codes, run_logger_info
from flows.summary import RunSummary, conclude


def backfill_periods(from_month: str, to_month: str, settings: Settings) -> list[Period]:
    """The validated, inclusive month range (each end checked like any month argument)."""
    first = parse_month(from_month, history_start=settings.history_start)
    last = parse_month(to_month, history_start=settings.history_start)
    return month_range(first, last)


@flow(
    name="backfill",
    task_runner=ThreadPoolTaskRunner(max_workers=DEFAULT_WORKERS),
    on_failure=[alerts.on_run_failure],
    on_crashed=[alerts.on_run_failure],
)
@holds_data_folder("backfill", unless="run_key")
def backfill_flow(
    from_month: str,
    to_month: str,
    provinces: list[str] | None = None,
    refresh: bool = False,
    build: bool = True,
    run_key: str | None = None,
    politeness: Literal["local", "prefect"] | None = None,
) -> RunSummary:
    """Fetch and land every month from ``from_month`` to ``to_month`` for the provinces.

    ``run_key``: set by a fan-out (:mod:`flows.fanout`) on each of its chunks, so the chunks' workers
    share one circuit breaker. ``politeness``: overrides ``DVC766_POLITENESS`` for this run; the
    ``backfill-chunk`` deployment passes ``prefect``, so its runs share the pacing too wherever they
    run (a work pool's worker or ``dvc766 serve``) — a parameter, because a served deployment cannot
    carry environment variables of its own.
    """
    settings = Settings.from_env()
    if politeness:
        settings = settings.with_(politeness=politeness)
    periods = backfill_periods(from_month, to_month, settings)
    codes = province_codes(provinces)
    summary = execute(
        "backfill",
        settings,
        periods,
        codes,
        refresh=refresh,
        build=build,
        progress=run_logger_info(),
        run_key=run_key,
    )
    # a fan-out's chunk is logged where it ran; the fan-out itself tells someone, once for all chunks
    alerts.report(summary, settings, send=run_key is None)
    return conclude(summary)
