"""Issue 18, on demand (``make test-all``): a backfill fanned out over two Prefect process workers on a
real ``prefect server``, raw and landing on a local S3 server, one politeness limit for both.

Runs ``benchmarks.bench_workers`` (minutes: a server, two workers, a flow-run process per chunk) and
asserts what it measured: the two workers together ask the replica no faster than the configured
pacing, they really worked side by side, one block stops both, and the published warehouse equals the
one a plain local backfill of the same months builds, table by table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_workers import two_worker_backfill

pytestmark = pytest.mark.ondemand


def test_two_workers_share_one_politeness_limit_and_build_the_same_warehouse(tmp_path: Path) -> None:
    pacing = 0.5
    r = two_worker_backfill(tmp_path, pacing_s=pacing)
    assert r["exit_code"] == 0 and r["local_exit_code"] == 0
    # 4 months × (national + 2 provinces × 7 endpoints)
    assert r["requests"] == 4 * (1 + 2 * 7)
    assert r["chunk_runs"] == 4 and r["chunk_states"] == ["Completed"]
    assert r["chunks_overlap_s"] > 0  # both workers ran chunks at the same time
    # one limit for both: starts spaced by the pacing (a little timer slack), never twice as fast
    assert r["min_gap_s"] >= pacing * 0.8
    assert r["requests_per_s"] <= r["configured_per_s"] * 1.1
    # one block, seen by one worker, stops every worker
    b = r["breaker"]
    assert b["exit_code"] == 1
    assert b["requests_after_first_block"] <= 1  # the circuit is read again after each wait for a slot
    assert b["chunk_states"] == ["Failed"]
    assert r["tables_equal"]["differing"] == [] and r["tables_equal"]["tables"] > 10
