"""A backfill fanned out over Prefect work-pool workers, with one politeness limit for all of them.

A backfill is province × month batches, each a pure function of (province, period) that reads and
writes only the lake (``DVC766_LAKE``). So a long backfill splits into chunks of months, each a run of
the ``backfill-chunk`` deployment that whichever worker is free picks up; the chunks land and do not
build, and this flow builds the warehouse once they are all done. The workers share the portal's
politeness through the Prefect server (each chunk runs with ``politeness="prefect"``: a global rate
limit for the pacing, and one circuit breaker named after this run, passed to every chunk as
``run_key``) — so two workers together ask no faster than one, and a block seen by one stops the other.

Needs a Prefect server (``PREFECT_API_URL``), a process work pool with the ``backfill-chunk``
deployment (``deployments/prefect.yaml``), workers started with the lake's settings, and the lake on
storage every worker and this machine can reach (object storage, or one machine's folder).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from prefect import flow

from dvc766.periods import Period
from dvc766.settings import Settings
from dvc766.writer_lock import holds_data_folder
from flows import alerts
from flows.backfill import backfill_periods
from flows.monthly import province_codes, run_logger_info
from flows.politeness import ensure_portal_limit
from flows.run_context import new_run_id
from flows.summary import FAILED, OK, BatchOutcome, RunSummary, conclude
from flows.tasks import build_warehouse_task

CHUNK_DEPLOYMENT = "backfill/backfill-chunk"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def chunks(periods: list[Period], size: int) -> list[list[Period]]:
    """Consecutive months, ``size`` at a time (a chunk = one flow run on one worker)."""
    size = max(1, size)
    return [periods[i : i + size] for i in range(0, len(periods), size)]


def _wait(flow_run_ids: list[str], say: Callable[[str], None], poll_s: float = 2.0) -> dict[str, object]:
    """Wait until every chunk run is final; their last states by id."""
    from prefect.client.orchestration import get_client

    pending, done = set(flow_run_ids), {}
    with get_client(sync_client=True) as client:
        while pending:
            for run_id in sorted(pending):
                run = client.read_flow_run(run_id)
                if run.state is not None and run.state.type.value in FINAL:
                    done[run_id] = run
                    pending.discard(run_id)
                    say(
                        f"chunk {run.name}: {run.state.name}"
                        + (f" — {run.state.message}" if run.state.message else "")
                    )
            if pending:
                time.sleep(poll_s)
    return done


def _first_cause(message: str, limit: int = 200) -> str:
    """A chunk's failure, once: its state message without Prefect's and the chunk's own preamble."""
    text = re.sub(r"^.*?RunFailedError: \S+ run \S+ failed: ", "", message)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@flow(name="backfill-fanout", on_failure=[alerts.on_run_failure], on_crashed=[alerts.on_run_failure])
@holds_data_folder("backfill")
def backfill_fanout_flow(
    from_month: str,
    to_month: str,
    provinces: list[str] | None = None,
    refresh: bool = False,
    chunk_months: int = 1,
    build: bool = True,
    deployment: str = CHUNK_DEPLOYMENT,
) -> RunSummary:
    """Split the months into chunks, run each on the work pool, wait, then build the warehouse once."""
    from prefect.deployments import run_deployment

    settings = Settings.from_env()
    periods = backfill_periods(from_month, to_month, settings)
    codes = province_codes(provinces)
    say = run_logger_info()
    run_key = new_run_id("fanout")
    ensure_portal_limit(settings)  # the workers' shared pacing (created or brought to the settings)
    summary = RunSummary(
        flow="backfill-fanout",
        run_id=run_key,
        data_dir=settings.lake_root,
        periods=[p.key for p in periods],
        provinces=list(codes),
        chunked=True,
    )
    started: dict[str, list[Period]] = {}
    for part in chunks(periods, chunk_months):
        run = run_deployment(
            deployment,
            parameters={
                "from_month": part[0].key,
                "to_month": part[-1].key,
                "provinces": codes,
                "refresh": refresh,
                "build": False,
                "run_key": run_key,
                "politeness": "prefect",  # the chunks share the pacing and the breaker (flows.politeness)
            },
            timeout=0,  # submit; the workers pick them up
            as_subflow=True,
        )
        started[str(run.id)] = part
    say(f"{len(started)} chunk(s) submitted to the work pool; politeness shared as run {run_key}")
    for run_id, run in _wait(list(started), say).items():
        part = started[run_id]
        state = run.state  # type: ignore[attr-defined]
        ok = state.type.value == "COMPLETED"
        summary.batches.append(
            BatchOutcome(
                f"chunk {part[0].key}..{part[-1].key}",
                part[0].key,
                OK if ok else FAILED,
                cause="" if ok else f"{state.name}: {_first_cause(state.message or '')}",
                error_kind="" if ok else ("circuit_open" if "blocked" in (state.message or "") else "chunk"),
            )
        )
    summary.stopped = next((b.cause for b in summary.batches if b.error_kind == "circuit_open"), "")
    if not build:
        summary.build = {}
    elif summary.stopped:
        summary.build = {"status": "skipped", "message": "run stopped by the circuit breaker"}
    elif not any(b.status == OK for b in summary.batches):
        summary.build = {"status": "skipped", "message": "every chunk failed; nothing published"}
    else:
        summary.build = build_warehouse_task(settings)
    alerts.report(summary, settings)
    return conclude(summary)
