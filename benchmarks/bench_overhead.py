"""Benchmark 1, pipeline overhead: the monthly run against a bare loop of ``requests`` calls.

Both make exactly the same requests: the bodies come from the plan (``flows.plan``) and the v1
client's own request builder (``flows.v1_client.build_request``), so the bare loop sends the same
bytes as the pipeline. The bare loop writes each body to a file and does nothing else; the pipeline
validates, keeps the raw body (gzip + manifest), normalises, lands Parquet and builds the warehouse.

The replica caches its answers, so a first, untimed bare pass warms it: every timed run then sees
the same server cost. A first, untimed one-province flow run starts Prefect's ephemeral server, whose
start-up is reported apart (``prefect_startup_s``) rather than charged to every run.

Three timings per repeat, all in one process and one replica:

* ``bare_s``: the bare loop;
* ``pipeline_s``: the monthly flow as ``dvc766 run`` runs it (Prefect, default concurrency, build);
* ``plain_s``: the same work without Prefect (``flows.monthly.execute(use_prefect=False)``), one batch
  after another, with the time of each stage measured by wrapping the run's clients. Prefect's share
  of the pipeline is ``(pipeline_s - plain_s) / pipeline_s`` at equal concurrency (``pipeline_seq_s``
  runs the flow with one worker for that comparison).
"""

from __future__ import annotations

import json
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from benchmarks import MONTH, REPLICA_NOW, BenchConfig, environ, median, settings_env, timed

ENDPOINT_PREFIX = "/api/v1/reporting/"


def planned_requests(
    codes: list[str], month: str = MONTH, v1_cutover: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(endpoint, JSON body) of every request a monthly run makes, in the pipeline's order.

    ``v1_cutover`` overrides the setting (the backfill benchmark asks the v1 API for every month).
    """
    from dvc766.periods import Period
    from dvc766.provinces import get_province
    from dvc766.settings import Settings
    from flows.plan import national_requests, province_requests
    from flows.v1_client import build_request

    settings = Settings(v1_cutover=v1_cutover) if v1_cutover else Settings()
    period = Period.from_key(month)
    out = [(r.endpoint, build_request(r.endpoint, period, None)) for r in national_requests(period, settings)]
    for code in codes:
        province = get_province(code)
        for r in province_requests(period, code, settings):
            out.append((r.endpoint, build_request(r.endpoint, period, province)))
    return out


def bare_loop(base_url: str, planned: list[tuple[str, dict[str, Any]]], out_dir: Path) -> int:
    """POST every planned body with one ``requests.Session`` and write each answer to disk."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    with requests.Session() as http:
        for n, (endpoint, body) in enumerate(planned):
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            resp = http.post(
                base_url + ENDPOINT_PREFIX + endpoint,
                data=data,
                headers={"Content-Type": "application/json"},
                timeout=(10, 60),
            )
            resp.raise_for_status()
            (out_dir / f"{n:04d}.json").write_bytes(resp.content)
            written += len(resp.content)
    return written


def _wrap(stages: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def timed_call(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            stages[name] += time.perf_counter() - start

    return timed_call


def plain_run(codes: list[str], month: str = MONTH) -> tuple[float, dict[str, float], dict[str, Any]]:
    """The monthly run without Prefect, one batch after another; wall time and time per stage.

    Stages: ``fetch`` (HTTP + validation in the v1 client), ``raw`` (raw store put), ``land``
    (normalise + Parquet), ``build`` (warehouse build, checks, publish), ``other`` (the rest).
    """
    from dvc766.periods import Period
    from dvc766.settings import Settings
    from flows import monthly, tasks

    settings = Settings.from_env()
    ctx = tasks.make_context(settings, "monthly")
    stages: dict[str, float] = defaultdict(float)
    ctx.v1.fetch = _wrap(stages, "fetch", ctx.v1.fetch)  # type: ignore[method-assign]
    ctx.raw.put = _wrap(stages, "raw", ctx.raw.put)  # type: ignore[method-assign]
    ctx.land = _wrap(stages, "land", ctx.land)
    start = time.perf_counter()
    summary = monthly.execute(
        "monthly", settings, [Period.from_key(month)], codes, use_prefect=False, build=False, ctx=ctx
    )
    build_s, build = timed(lambda: tasks.build_warehouse(settings))
    wall = time.perf_counter() - start
    stages["build"] = build_s
    stages["other"] = wall - sum(stages.values())
    _require_ok(summary.ok, build, "plain run")
    return wall, dict(stages), {"requests": summary.http.get("requests", 0)}


def flow_run(codes: list[str] | None, month: str = MONTH, workers: int | None = None) -> float:
    """The monthly flow exactly as ``dvc766 run`` starts it (in-process, Prefect task runner)."""
    from dvc766.settings import Settings
    from flows.monthly import monthly_flow
    from flows.summary import RunSummary

    extra = {"DVC766_BACKFILL_CONCURRENCY": str(workers)} if workers else {}
    with environ(extra):
        settings = Settings.from_env()
        from flows.monthly import workers as runner_for

        start = time.perf_counter()
        state = monthly_flow.with_options(task_runner=runner_for(settings))(
            month=month, provinces=codes, build=True, return_state=True
        )
        wall = time.perf_counter() - start
    result = state.result(raise_on_failure=False)
    ok = isinstance(result, RunSummary) and result.ok
    _require_ok(ok, result.build if isinstance(result, RunSummary) else {"status": str(result)}, "flow run")
    return wall


def _require_ok(ok: bool, build: dict[str, Any], what: str) -> None:
    """A benchmark of a failed run would measure the wrong thing: stop loudly instead."""
    if not ok or build.get("status") != "ok":
        raise RuntimeError(f"benchmark {what} did not succeed: {build}")


def run(cfg: BenchConfig) -> dict[str, Any]:
    """Repeat bare loop, flow run and plain run ``cfg.repeats`` times; medians and per-run ratios."""
    from dvc766.provinces import provinces
    from replica.server import start_replica

    codes = cfg.provinces or [p.code for p in provinces()]
    flow_codes = cfg.provinces  # None: the flow's own default (all 34), as a user runs it
    planned = planned_requests(codes)
    work = cfg.work_dir / "overhead"
    shutil.rmtree(work, ignore_errors=True)
    rows: list[dict[str, float]] = []
    stage_runs: list[dict[str, float]] = []
    with start_replica(port=0, now=REPLICA_NOW) as replica:
        bare_loop(replica.url, planned, work / "warm")  # warms the replica's answer cache
        startup_s: float | None = None
        if cfg.prefect:
            with environ(settings_env(replica.url, work / "prefect-warmup")):
                startup_s, _ = timed(lambda: flow_run(codes[:1]))
        for i in range(cfg.repeats):
            bare_s, _ = timed(lambda i=i: bare_loop(replica.url, planned, work / f"bare{i}"))
            replica.reset_stats()  # the request count is taken from the last plain run
            with environ(settings_env(replica.url, work / f"plain{i}")):
                plain_s, stages, _ = plain_run(codes)
            made = int(replica.stats()["total"])
            row = {"bare_s": bare_s, "plain_s": plain_s, "plain_ratio": plain_s / bare_s}
            if cfg.prefect:
                with environ(settings_env(replica.url, work / f"flow{i}")):
                    pipeline_s = flow_run(flow_codes)
                with environ(settings_env(replica.url, work / f"flowseq{i}")):
                    pipeline_seq_s = flow_run(flow_codes, workers=1)
                row.update(
                    {
                        "pipeline_s": pipeline_s,
                        "pipeline_seq_s": pipeline_seq_s,
                        "ratio": pipeline_s / bare_s,
                        "ratio_without_build": (pipeline_s - stages["build"]) / bare_s,
                        "prefect_share": max(0.0, pipeline_seq_s - plain_s) / pipeline_seq_s,
                    }
                )
            rows.append(row)
            stage_runs.append(stages)
    shutil.rmtree(work, ignore_errors=True)
    med = {k: median([r[k] for r in rows]) for k in rows[0]}
    stage_med = {k: median([s.get(k, 0.0) for s in stage_runs]) for k in stage_runs[0]}
    return {
        "provinces": len(codes),
        "requests": len(planned),
        "requests_seen_by_replica": made,
        "repeats": cfg.repeats,
        "prefect_startup_s": startup_s,
        "median": med,
        "plain_stages_median_s": stage_med,
        "runs": rows,
        "target_ratio": 1.3,
        "meets_target": med.get("ratio", med["plain_ratio"]) <= 1.3,
    }
