"""Benchmark 6, the source contract: validating and normalising a month's bodies.

A month for every province is 239 v1 bodies (1 national ranking + 7 × 34). They are fetched once
from the replica with a bare loop (the pipeline's own request bodies), wrapped as Captures, then
each repeat does what a monthly run does with them, with the parse caches cleared first so every
body is parsed: the fetch-time check (:func:`flows.sources.v1.parse_v1`), then per province batch
the UUID → code map and :func:`flows.normalise.normalise` of every capture.

Before the contract (commit 8cf57e9: a hand-written validator, then a second set of checks in the
normaliser) the same work took 4.13 s (median of 5) on the 2-core machine, against 3.80 s after;
``benchmarks/README.md`` keeps that comparison.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks import MONTH, REPLICA_NOW, BenchConfig, median
from benchmarks.bench_overhead import bare_loop, planned_requests


def month_captures(base_url: str, codes: list[str], work: Path) -> list[Any]:
    """The month's bodies for ``codes`` as Captures (scope and period as the pipeline labels them)."""
    from dvc766.periods import Period
    from flows.capture import Capture, captured_time

    planned = planned_requests(codes, MONTH)
    bare_loop(base_url, planned, work)
    period = Period.from_key(MONTH)
    scopes = ["national"] + [c for c in codes for _ in range(7)]
    headers = {"Date": "Thu, 05 Nov 2026 02:00:00 GMT"}
    out = []
    for n, ((endpoint, request), scope) in enumerate(zip(planned, scopes, strict=True)):
        body = (work / f"{n:04d}.json").read_bytes()
        out.append(
            Capture(
                "v1", endpoint, request, base_url, 201, headers, body, captured_time(headers), scope, period
            )
        )
    return out


def validate_and_normalise(captures: list[Any]) -> int:
    """Per batch, as a run does: parse each body as the client does at fetch time, then normalise
    the batch as landing does (sharing that parse); returns the rows made."""
    from flows.normalise import build_id_to_code, normalise
    from flows.sources import v1

    v1._parse.cache_clear()
    rows = 0
    batches: dict[str, list[Any]] = {}
    for c in captures:
        batches.setdefault(c.scope, []).append(c)
    for batch in batches.values():
        for c in batch:
            v1.parse_v1(c)
        ids = build_id_to_code(batch)
        for c in batch:
            rows += sum(t.num_rows for t in normalise(c, ids).values())
    return rows


def run(cfg: BenchConfig) -> dict[str, Any]:
    from dvc766.provinces import provinces
    from replica.server import start_replica

    codes = cfg.provinces or [p.code for p in provinces()]
    work = cfg.work_dir / "contract"
    shutil.rmtree(work, ignore_errors=True)
    with start_replica(port=0, now=REPLICA_NOW) as replica:
        captures = month_captures(replica.url, codes, work)
    times, rows = [], 0
    for _ in range(max(cfg.repeats, 3)):
        t0 = time.perf_counter()
        rows = validate_and_normalise(captures)
        times.append(time.perf_counter() - t0)
    shutil.rmtree(work, ignore_errors=True)
    return {
        "bodies": len(captures),
        "bytes": sum(len(c.body) for c in captures),
        "rows": rows,
        "runs_s": times,
        "median_s": median(times),
    }
