"""Benchmark 7, the per-procedure drill-down: requests and time per procedure, and how they grow.

For N procedures applied in H55 (N = 5, 10, 20, 40; 2 and 4 at tiny size), a drill-down of
2026-10 against the replica at zero pacing, with the year's catalogue already in ``raw/`` (it is
fetched once a year, 58 requests, and would hide the per-procedure cost). Reported per N: requests,
wall time, and both per procedure and per request; growth = (time per procedure at the largest N)
/ (at the second smallest; the smallest carries the fixed start-up). Linear cost means a growth near 1. At the real portal the time is the requests × the
pacing (about 1.5 s each): the README says what a province-month and the country cost.
"""

from __future__ import annotations

import shutil
import time
from typing import Any

from benchmarks import REPLICA_NOW, BenchConfig, median

SIZES = (5, 10, 20, 40)
TINY_SIZES = (2, 4)


def run(cfg: BenchConfig) -> dict[str, Any]:
    from dvc766.periods import Period
    from dvc766.settings import Settings
    from flows.drilldown import run_drilldown
    from replica.catalogue import catalogue

    sizes = TINY_SIZES if cfg.provinces == ["H55"] and cfg.history_months <= 2 else SIZES
    applied = [
        it["code"] for it in catalogue(766) if it["appliedDepartmentIds"] and it["state"] != "INACTIVE"
    ]
    period = Period.month(2026, 10)
    work = cfg.work_dir / "drilldown"
    shutil.rmtree(work, ignore_errors=True)
    from replica.server import start_replica

    rows = []
    with start_replica(port=0, now=REPLICA_NOW) as replica:
        warm = work / "warm"
        settings = Settings(data_dir=warm, portal_url=replica.url, pacing_s=0, jitter_s=0)
        run_drilldown(settings, "H55", period, procedures=applied[:1], build=False)  # the catalogue
        for n in sizes:
            times, made = [], 0
            for i in range(max(1, cfg.repeats)):
                data = work / f"n{n}-{i}"
                shutil.copytree(warm / "raw" / "v1" / "formalities", data / "raw" / "v1" / "formalities")
                s = Settings(data_dir=data, portal_url=replica.url, pacing_s=0, jitter_s=0)
                t0 = time.perf_counter()
                summary = run_drilldown(s, "H55", period, procedures=applied[1 : n + 1], build=False)
                times.append(time.perf_counter() - t0)
                made = summary.requests
            wall = median(times)
            rows.append({"procedures": n, "requests": made, "wall_s": wall, "requests_per_procedure": made / n,
                         "s_per_procedure": wall / n, "s_per_request": wall / max(made, 1)})  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)
    # the smallest size carries a fixed start-up cost (catalogue read, plan); compare from the second
    base = rows[1] if len(rows) > 2 else rows[0]
    growth = rows[-1]["s_per_procedure"] / base["s_per_procedure"]
    per_request = rows[-1]["s_per_request"] / base["s_per_request"]
    return {"province": "H55", "period": period.key, "sizes": rows, "growth_per_procedure": growth,
            "growth_per_request": per_request}  # fmt: skip
