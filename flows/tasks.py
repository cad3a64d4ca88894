"""The work of every flow, as plain functions of (province, period), wrapped as Prefect tasks.

Why plain functions underneath: tests call them without Prefect (``fetch_and_land_province(ctx,
...)`` or the task's ``.fn``), and a backfill can fan out over any task runner unchanged. Prefect
adds retries, concurrency, logging and the UI; it does not own the logic. The pieces: the run's
shared context (:mod:`flows.run_context`), one batch (:mod:`flows.batch`), and here the Prefect
wrappers and the loop that drives a set of batches.

One task per province × period (a *batch*), not per request: Prefect's per-task overhead must not
dominate a run of 34 provinces × 7 requests. A batch fetches its requests in order through the
run's one shared :class:`PoliteSession` (one politeness limit for every thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from dvc766.periods import Period
from dvc766.settings import Settings
from flows.batch import (
    BatchFailed,
    fetch_and_land_national,
    fetch_and_land_province,
    keep_capture,
    run_batch,
)
from flows.errors import CircuitOpenError
from flows.plan import NATIONAL
from flows.run_context import RunContext, make_context, new_run_id
from flows.summary import FAILED, BatchOutcome, describe_build
from warehouse.landing_compaction import compact_periods

__all__ = [
    "BatchFailed",
    "RunContext",
    "build_warehouse",
    "collect",
    "fetch_and_land_national",
    "fetch_and_land_province",
    "keep_capture",
    "make_context",
    "new_run_id",
    "run_batch",
    "run_batches",
]

log = logging.getLogger(__name__)

# Task-level retries: the HTTP layer already retries each request; one more attempt of the whole
# batch, after a pause, covers a portal that was down for a minute. Only for transient errors.
TASK_RETRIES = 1
TASK_RETRY_DELAY_S = 30.0


def build_warehouse(settings: Settings) -> dict[str, Any]:
    """Hand over to the warehouse build; its failure is reported, never hidden."""
    try:
        from warehouse.runner import build
    except ImportError as exc:
        log.warning("warehouse build not available (%s): landing only", exc)
        return {"status": "unavailable", "message": f"warehouse.runner not importable: {exc}"}
    try:
        return describe_build(build(settings))
    except Exception as exc:  # a failed build or check publishes nothing; say why
        return {"status": "failed", "message": f"{type(exc).__name__}: {exc}", "error": type(exc).__name__}


# --- Prefect wrappers ------------------------------------------------------------------------------


def retry_transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a batch only when the portal was briefly unavailable (not on bad bodies or blocks)."""
    exc = state.data if isinstance(state.data, BaseException) else None
    return isinstance(exc, BatchFailed) and exc.transient


fetch_and_land_national_task = task(
    fetch_and_land_national,
    name="fetch_and_land_national",
    task_run_name="national-{period}",
    retries=TASK_RETRIES,
    retry_delay_seconds=TASK_RETRY_DELAY_S,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)

fetch_and_land_province_task = task(
    fetch_and_land_province,
    name="fetch_and_land_province",
    task_run_name="{province_code}-{period}",
    retries=TASK_RETRIES,
    retry_delay_seconds=TASK_RETRY_DELAY_S,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)

build_warehouse_task = task(build_warehouse, name="build_warehouse", cache_policy=NO_CACHE)


# --- driving a set of batches ----------------------------------------------------------------------


class Done:
    """A finished call with the interface of a Prefect future (``result()``), for plain runs."""

    def __init__(self, fn: Callable[..., BatchOutcome], *args: Any) -> None:
        self._value: BatchOutcome | None = None
        self._exc: BaseException | None = None
        try:
            self._value = fn(*args)
        except Exception as exc:
            self._exc = exc

    def result(self) -> BatchOutcome:
        if self._exc is not None:
            raise self._exc
        assert self._value is not None
        return self._value


def collect(ctx: RunContext, future: Any, scope: str, period: Period) -> BatchOutcome:
    try:
        return future.result()
    except BatchFailed as exc:
        return exc.outcome
    except CircuitOpenError as exc:
        ctx.stop(str(exc))
        return BatchOutcome(
            scope, period.key, FAILED, cause=f"circuit_open: {exc}", error_kind="circuit_open"
        )
    except Exception as exc:  # a bug or a disk error must still be reported per batch
        return BatchOutcome(
            scope, period.key, FAILED, cause=f"{type(exc).__name__}: {exc}", error_kind="error"
        )


def run_batches(
    ctx: RunContext,
    periods: list[Period],
    province_codes: list[str],
    *,
    refresh: bool = False,
    national: bool = True,
    use_prefect: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[BatchOutcome]:
    """National rankings first (legacy province IDs come from them), then every province × period.

    With ``use_prefect`` the batches are submitted as tasks to the flow's task runner (bounded
    concurrency); otherwise they run one after the other in this thread.
    """
    say = progress or log.info

    def submit_national(period: Period) -> Any:
        if use_prefect:
            return fetch_and_land_national_task.submit(ctx, period, refresh)
        return Done(fetch_and_land_national, ctx, period, refresh)

    def submit_province(period: Period, code: str) -> Any:
        if use_prefect:
            return fetch_and_land_province_task.submit(ctx, period, code, refresh)
        return Done(fetch_and_land_province, ctx, period, code, refresh)

    outcomes: list[BatchOutcome] = []
    total = len(periods) * (int(national) + len(province_codes))
    nationals = [(p, submit_national(p)) for p in periods] if national else []
    for period, fut in nationals:
        outcomes.append(collect(ctx, fut, NATIONAL, period))
        say(f"[{len(outcomes)}/{total}] {outcomes[-1].line()}")
    if ctx.stopped:
        return outcomes
    if not province_codes:
        compact_periods(ctx.settings, {(p.period_type, p.key) for p in periods})
    batches = [(p, c, submit_province(p, c)) for p in periods for c in province_codes]
    for i, (period, code, fut) in enumerate(batches):
        outcomes.append(collect(ctx, fut, code, period))
        say(f"[{len(outcomes)}/{total}] {outcomes[-1].line()}")
        if i + 1 == len(batches) or batches[i + 1][0] != period:
            # The period's batches have all landed: its partitions are compacted now, while later
            # periods are still being fetched, rather than all at once by the build.
            compact_periods(ctx.settings, {(period.period_type, period.key)})
    return outcomes
