"""Benchmarks 2 and 3: backfill at scale (60 months × 34 provinces) and the cost of one more month.

Landing (documented shortcut): fetching 60 × 239 bodies through the whole pipeline would take far
longer than the build we want to measure, so the landing zone is made in-process, in parallel worker
processes: each worker runs its own replica (same seed, so the same data as the HTTP replica), POSTs
the very request bodies the v1 client builds (``benchmarks.bench_overhead.planned_requests``), wraps
each answer in a :class:`flows.capture.Capture` exactly as the client does, and lands each province ×
month batch with the real :func:`flows.landing.write_batch` (the real normaliser, the real Parquet
files). Only the client's schema validation and the raw store are skipped. The v1 cutover is set
before the first month so every month is a v1 month in the 34-province structure (agencies and
communes), as the replica answers it.

The build is the real :func:`warehouse.runner.build` (models, checks, atomic publish), run in a child
process so its peak RSS is its own (``ru_maxrss`` of the child, which includes DuckDB's memory).

Growth: a data folder holding ``small_history_months`` of history and another holding
``history_months`` (hard links into the generated landing zone, so no copying), each with its history
built and published; then the next month is landed into each and published as a monthly run does
(an incremental build: only the changed years are rebuilt). The ratio compares the two publishes;
the ratio of the two full builds is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks import MONTH, REPLICA_NOW, BenchConfig, median, peak_rss_mb
from dvc766.landing_schema import DATASETS
from dvc766.periods import Period

DATASET_DIRS = tuple(DATASETS)


def month_keys(last: str, count: int) -> list[str]:
    """``count`` consecutive month keys ending with ``last`` (oldest first)."""
    months = [Period.from_key(last)]
    while len(months) < count:
        months.append(months[-1].previous_month())
    return [m.key for m in reversed(months)]


def previous_key(key: str) -> str:
    return Period.from_key(key).previous_month().key


def _land_months(args: tuple[Path, list[str], list[str]]) -> dict[str, Any]:
    """Worker: land every province × month batch of ``months`` into ``data_dir`` (own replica)."""
    data_dir, months, codes = args
    import requests

    from benchmarks.bench_overhead import ENDPOINT_PREFIX, planned_requests
    from dvc766.periods import Period
    from dvc766.settings import Settings
    from flows.capture import Capture, captured_time
    from flows.gc_policy import collect_less_often
    from flows.landing import write_batch
    from replica.server import start_replica
    from warehouse.landing_compaction import compact_periods

    collect_less_often()  # as a run's process does (flows.run_context)
    settings = Settings(data_dir=data_dir)
    rows = dict.fromkeys(DATASET_DIRS, 0)
    fetch_s = land_s = 0.0
    with start_replica(port=0, now=REPLICA_NOW) as replica, requests.Session() as http:
        http.trust_env = False  # a replica on 127.0.0.1: no proxy to look up in the environment per request
        for key in months:
            period = Period.from_key(key)
            batches: dict[str, list[Capture]] = {}
            start = time.perf_counter()
            for endpoint, body in planned_requests(codes, key, v1_cutover=key):
                scope = "national" if "departmentType" in body else _scope_of(body, codes)
                url = replica.url + ENDPOINT_PREFIX + endpoint
                data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                resp = http.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=60)
                resp.raise_for_status()
                headers = dict(resp.headers)
                batch_id = f"bench-{scope}-{key}"
                batches.setdefault(scope, []).append(
                    Capture(
                        api="v1",
                        endpoint=endpoint,
                        request=body,
                        url=url,
                        status=resp.status_code,
                        headers=headers,
                        body=resp.content,
                        captured_at=captured_time(headers),
                        scope=scope,
                        period=period,
                        run_id="bench",
                        extra={"attempts": 1, "batch_id": batch_id},
                    )
                )
            fetch_s += time.perf_counter() - start
            start = time.perf_counter()
            for scope, captures in batches.items():
                for k, v in write_batch(settings, captures, f"bench-{scope}-{key}").items():
                    rows[k] += v
            # As the flows do once a period's batches have all landed (flows.tasks.run_batches).
            compact_periods(settings, {("month", key)})
            land_s += time.perf_counter() - start
    return {"months": len(months), "fetch_s": fetch_s, "land_s": land_s, "rows": rows}


def _scope_of(body: dict[str, Any], codes: list[str]) -> str:
    from dvc766.provinces import get_province

    for code in codes:
        if get_province(code).department_id == body.get("rootDepartmentId"):
            return code
    raise ValueError(f"no province for {body}")


def generate_landing(data_dir: Path, months: list[str], codes: list[str], workers: int) -> dict[str, Any]:
    """Land ``months`` × ``codes`` into ``data_dir`` using ``workers`` processes; wall and CPU split."""
    chunks = [months[i::workers] for i in range(workers) if months[i::workers]]
    start = time.perf_counter()
    if len(chunks) == 1:
        parts = [_land_months((data_dir, chunks[0], codes))]
    else:
        # Spawned, not forked: a forked worker inherits the benchmark process's heap (Prefect, the
        # earlier benchmarks' data), which its garbage collector then walks again and again, and
        # whose pages its reference counts copy: landing was 1.33 s a month instead of 1.08 s.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=len(chunks), mp_context=spawn) as pool:
            parts = list(pool.map(_land_months, [(data_dir, c, codes) for c in chunks]))
    wall = time.perf_counter() - start
    rows = dict.fromkeys(DATASET_DIRS, 0)
    for p in parts:
        for k, v in p["rows"].items():
            rows[k] += v
    return {
        "wall_s": wall,
        "workers": len(chunks),
        "fetch_cpu_s": sum(p["fetch_s"] for p in parts),
        "land_cpu_s": sum(p["land_s"] for p in parts),
        "land_s_per_month": sum(p["land_s"] for p in parts) / max(1, len(months)),
        "rows_landed": rows,
    }


def link_months(src: Path, dst: Path, months: list[str]) -> int:
    """Hard-link the landing partitions of ``months``, and their compact files (the same inodes, so
    still current), from data folder ``src`` into ``dst``."""
    n = 0
    for root, dataset in ((r, d) for r in ("landing", "compact") for d in DATASET_DIRS):
        for key in months:
            part = Path(root, dataset, "period_type=month", f"period_key={key}")
            if not (src / part).is_dir():
                continue
            (dst / part).mkdir(parents=True, exist_ok=True)
            for f in (src / part).iterdir():
                target = dst / part / f.name
                if not target.exists():
                    os.link(f, target)
                    n += 1
    return n


def build_in_child(data_dir: Path, isolate: bool = True, *, full: bool = False) -> dict[str, Any]:
    """Run the real ``warehouse.runner.build`` in a child process; its wall time, tables and peak RSS.

    ``isolate=False`` builds in this process (the smoke test): same figures but the RSS is this
    process's peak, not the build's.
    """
    if not isolate:
        from benchmarks import environ

        with environ({"DVC766_DATA_DIR": str(data_dir)}):
            return _build_once(full)
    env = {**os.environ, "DVC766_DATA_DIR": str(data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_backfill", "--build-child", *(["--full"] if full else [])],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"warehouse build failed in {data_dir}:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _build_once(full: bool = False) -> dict[str, Any]:
    from dvc766.settings import Settings
    from warehouse.runner import build

    start = time.perf_counter()
    result = build(Settings.from_env(), full=full)
    out = {
        "wall_s": time.perf_counter() - start,
        "mode": result.mode,
        "years_rebuilt": result.years_rebuilt,
        "peak_rss_mb": peak_rss_mb(),
        "tables": result.tables,
        "checks_passed": result.checks_passed,
        "checks": len(result.checks),
        "warehouse_mb": result.warehouse_path.stat().st_size / 1e6,
    }
    return out


def run(cfg: BenchConfig) -> dict[str, Any]:
    """Backfill at scale and growth, from one generated landing zone."""
    from dvc766.provinces import provinces

    codes = cfg.provinces or [p.code for p in provinces()]
    history = month_keys(previous_key(MONTH), cfg.history_months)
    small = history[-cfg.small_history_months :]
    work = cfg.work_dir / "backfill"
    shutil.rmtree(work, ignore_errors=True)
    gen = work / "generated"
    landing = generate_landing(gen, [*history, MONTH], codes, cfg.workers)

    big, little = work / "big", work / "small"
    link_months(gen, big, history)
    link_months(gen, little, small)
    # Full builds (``full=True``: each repeat rebuilds every year, as a first backfill does).
    builds = [build_in_child(big, cfg.isolate_builds, full=True) for _ in range(cfg.builds)]
    facts = {k: v for k, v in builds[-1]["tables"].items() if k.startswith("fct_")}
    small_full = build_in_child(little, cfg.isolate_builds, full=True)

    # Growth: land the next month into both folders (hard links of the same files), then publish
    # incrementally on top of each folder's published history, as the monthly run does. Each repeat
    # starts from the same published file. Both publishes pay the same landing cost (the month's
    # own batches, measured above).
    published = {d: d / "warehouse.duckdb" for d in (big, little)}
    saved = {d: d / "history-only.duckdb" for d in (big, little)}
    for d in (big, little):
        shutil.copyfile(published[d], saved[d])
    link_months(gen, big, [MONTH])
    link_months(gen, little, [MONTH])
    growth_runs = []
    for _ in range(cfg.builds):
        times = {}
        for d in (big, little):
            shutil.copyfile(saved[d], published[d])
            one = build_in_child(d, cfg.isolate_builds)
            if one["mode"] != "incremental":
                raise RuntimeError(f"publishing {MONTH} in {d} was not incremental: {one}")
            times[d] = one["wall_s"] + landing["land_s_per_month"]
            years = one["years_rebuilt"]
        growth_runs.append(
            {
                "publish_big_s": times[big],
                "publish_small_s": times[little],
                "ratio": times[big] / times[little],
            }
        )
    shutil.rmtree(work, ignore_errors=True)
    build_s = median([b["wall_s"] for b in builds])
    rss = max(b["peak_rss_mb"] for b in builds)
    growth_med = {k: median([g[k] for g in growth_runs]) for k in growth_runs[0]}
    return {
        "backfill": {
            "months": len(history),
            "provinces": len(codes),
            "landing": landing,
            "build_median_s": build_s,
            "build_runs_s": [b["wall_s"] for b in builds],
            "peak_rss_mb": rss,
            "fact_rows": facts,
            "checks_passed": f"{builds[-1]['checks_passed']}/{builds[-1]['checks']}",
            "warehouse_mb": builds[-1]["warehouse_mb"],
            "target_build_s": 30.0,
            "target_rss_mb": 1536.0,
            "meets_target": build_s <= 30.0 and rss <= 1536.0,
        },
        "growth": {
            "small_history_months": len(small),
            "big_history_months": len(history),
            "median": growth_med,
            "runs": growth_runs,
            "target_ratio": 1.5,
            "meets_target": growth_med["ratio"] <= 1.5,
            "years_rebuilt": years,
            "full_build_small_s": small_full["wall_s"],
            "full_build_ratio": build_s / small_full["wall_s"],
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-child", action="store_true", help="internal: one build, JSON on stdout")
    parser.add_argument("--full", action="store_true", help="internal: with --build-child, a full build")
    cli = parser.parse_args()
    if cli.build_child:
        print(json.dumps(_build_once(cli.full)))
