"""Backfill a range of months: resumable, bounded concurrency, one shared politeness limit.

Why resumable by province × period: a backfill of years is long and may be killed. A batch whose
every request already has an ok capture, landed, is skipped (``refresh`` captures it again), so
running the same command again finishes the job without asking the portal twice. Months before
``settings.v1_cutover`` go to the legacy gateway (see :mod:`flows.plan`).
"""

from __future__ import annotations

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from dvc766.periods import Period, month_range, parse_month
from dvc766.settings import Settings
from dvc766.writer_lock import holds_data_folder
from flows.monthly import DEFAULT_WORKERS, execute, province_codes, run_logger_info
from flows.summary import RunSummary, conclude


def backfill_periods(from_month: str, to_month: str, settings: Settings) -> list[Period]:
    """The validated, inclusive month range (each end checked like any month argument)."""
    first = parse_month(from_month, history_start=settings.history_start)
    last = parse_month(to_month, history_start=settings.history_start)
    return month_range(first, last)


@flow(name="backfill", task_runner=ThreadPoolTaskRunner(max_workers=DEFAULT_WORKERS))
@holds_data_folder("backfill", unless="run_key")
def backfill_flow(
    from_month: str,
    to_month: str,
    provinces: list[str] | None = None,
    refresh: bool = False,
    build: bool = True,
    run_key: str | None = None,
) -> RunSummary:
    """Fetch and land every month from ``from_month`` to ``to_month`` for the provinces.

    ``run_key``: set by a fan-out (:mod:`flows.fanout`) on each of its chunks, so the chunks' workers
    share one circuit breaker; with ``DVC766_POLITENESS=prefect`` they also share the pacing.
    """
    settings = Settings.from_env()
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
    return conclude(summary)
