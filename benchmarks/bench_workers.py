"""Benchmark 9 (issue 18): a backfill fanned out over two Prefect process workers, on object storage.

Everything real, on 127.0.0.1: a ``prefect server`` (its own home), a process work pool ``dvc766``
with the ``backfill-chunk`` deployment deployed from ``deployments/prefect.yaml`` (``prefect deploy``,
as an operator does), two ``prefect worker start --limit 1`` processes, the lake on moto's S3 server,
the replica with its clock frozen. ``dvc766 backfill --fan-out`` runs the months as chunks on the
workers and builds the warehouse once.

Measured at the replica: the arrival time of every request, so the request rate of the two workers
together can be held against the configured pacing, and whether the chunk runs overlapped (the two
workers really worked side by side). Then the breaker: with ``DVC766_MAX_BLOCKS=1`` and the progress
tree answering 403 (the workers run with ``DVC766_MAX_BLOCKS=1``), one worker's block must stop the other — the replica must see at most the request
already paced in, and every chunk fails as stopped by the circuit breaker. Last, the published
warehouse is held against one built by a plain local backfill of the same months, table by table.

``python -m benchmarks.bench_workers`` writes ``benchmarks/results/two_workers.json``; the on-demand
test ``tests/test_two_workers.py`` runs the same and asserts it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, ROOT
from benchmarks.local_s3 import S3_ENV, make_bucket, s3_server

NOW = "2026-09-20T10:00"  # the replica's frozen clock: every capture of a request gets the same Date
POOL = "dvc766"


def _dvc766(env: dict[str, str], *argv: str, timeout: float = 900) -> int:
    """A dvc766 command in its own process, as an operator types it; its output goes to the log."""
    done = subprocess.run(
        [sys.executable, "-m", "dvc766.cli", *argv],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
    return done.returncode


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


@contextlib.contextmanager
def _workers(env: dict[str, str], count: int, logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` process workers polling the pool, each running one flow run at a time."""
    procs = []
    try:
        for i in range(count):
            log = open(logs / f"worker-{i + 1}.log", "wb")  # noqa: SIM115 - closed with the process
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "prefect",
                        "worker",
                        "start",
                        "--pool",
                        POOL,
                        "--type",
                        "process",
                        "--limit",
                        "1",
                        "--name",
                        f"worker-{i + 1}",
                    ],  # fmt: skip
                    env={**os.environ, **env, "DVC766_DATA_DIR": str(logs / f"worker-{i + 1}-data")},
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield procs
    finally:
        for p in procs:  # SIGTERM by PID (process group: the worker and the flow runs it started)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)


def _chunk_runs(api_url: str, since: datetime) -> list[dict[str, Any]]:
    """The backfill-chunk flow runs started after ``since``: state and when they ran."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since))
        )
    out = []
    for r in runs:
        if r.parameters.get("run_key") is None:
            continue
        out.append({"name": r.name, "state": r.state.name if r.state else None, "message": r.state.message if r.state else None,
                    "start": r.start_time.timestamp() if r.start_time else None,
                    "end": r.end_time.timestamp() if r.end_time else None})  # fmt: skip
    return out


def _overlap(runs: list[dict[str, Any]]) -> float:
    """Seconds during which two chunk runs were running at once."""
    spans = sorted((r["start"], r["end"]) for r in runs if r["start"] and r["end"])
    total = 0.0
    for i, (a0, a1) in enumerate(spans):
        for b0, b1 in spans[i + 1 :]:
            total += max(0.0, min(a1, b1) - max(a0, b0))
    return total


def _gaps(times: list[float]) -> list[float]:
    times = sorted(times)
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def two_worker_backfill(
    work: Path, *, months: tuple[str, str] = ("2026-05", "2026-08"), provinces: str = "H44,H55",
    pacing_s: float = 0.5,
) -> dict[str, Any]:  # fmt: skip
    """Run the whole scenario; a JSON-ready dict of what was measured (asserted by the test)."""
    from flows.prefect_api import start_server, stop_pid
    from replica.server import start_replica

    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "months": list(months),
        "provinces": provinces,
        "pacing_s": pacing_s,
        "workers": 2,
    }
    home = work / "prefect-home"
    home.mkdir(exist_ok=True)
    server = start_server(home)
    try:
        with s3_server() as endpoint, start_replica(now=NOW) as replica:
            make_bucket(endpoint, "lake")
            common = {
                **S3_ENV,
                "PREFECT_API_URL": server.url,
                "PREFECT_HOME": str(home),
                "DVC766_PORTAL_URL": replica.url,
                "DVC766_V1_CUTOVER": "2026-01",
                "DVC766_LAKE": "s3://lake/dvc766",
                "DVC766_S3_ENDPOINT_URL": endpoint,
                "DVC766_PACING_S": str(pacing_s),
                "DVC766_JITTER_S": "0",
                "DVC766_POLITENESS": "prefect",
                # one block opens the circuit: the breaker phase shows one worker's block stopping both
                "DVC766_MAX_BLOCKS": "1",
            }
            _cli(common, "work-pool", "create", POOL, "--type", "process")
            _cli({**common, "DVC766_PROJECT_DIR": str(ROOT)}, "deploy", "--prefect-file",
                 "deployments/prefect.yaml", "--name", "backfill-chunk", "--no-prompt")  # fmt: skip
            argv = ["backfill", "--from", months[0], "--to", months[1], "--provinces", provinces, "--fan-out"]
            fanned = work / "fanned"
            with _workers(common, 2, work):
                # the shared politeness: the replica's clock of request arrivals
                replica.reset_stats()
                since = datetime.now(UTC)
                started = time.monotonic()
                result["exit_code"] = _dvc766({**common, "DVC766_DATA_DIR": str(fanned)}, *argv)
                result["wall_s"] = round(time.monotonic() - started, 2)
                times = [r["at"] for r in replica.stats()["requests"]]
                gaps = _gaps(times)
                runs = _chunk_runs(server.url, since)
                result["requests"] = len(times)
                result["request_span_s"] = round(max(times) - min(times), 2) if times else 0
                result["requests_per_s"] = (
                    round((len(times) - 1) / (max(times) - min(times)), 3) if len(times) > 1 else 0
                )
                result["configured_per_s"] = round(1 / pacing_s, 3)
                result["min_gap_s"] = round(min(gaps), 3) if gaps else None
                result["median_gap_s"] = round(sorted(gaps)[len(gaps) // 2], 3) if gaps else None
                result["chunk_runs"] = len(runs)
                result["chunk_states"] = sorted({str(r["state"]) for r in runs})
                result["chunks_overlap_s"] = round(_overlap(runs), 2)

                # the breaker: one block stops every worker
                replica.reset_stats()
                replica.set_faults("dvc-progress-tree:403")
                since = datetime.now(UTC)
                blocked = _dvc766({**common, "DVC766_DATA_DIR": str(fanned)}, *argv, "--refresh")
                replica.set_faults("")
                reqs = replica.stats()["requests"]
                first_block = min(
                    (r["at"] for r in reqs if r["endpoint"].endswith("dvc-progress-tree")), default=None
                )
                result["breaker"] = {
                    "exit_code": blocked,
                    "requests": len(reqs),
                    "requests_after_first_block": sum(1 for r in reqs if first_block is not None and r["at"] > first_block),
                    "chunk_states": sorted({str(r["state"]) for r in _chunk_runs(server.url, since)}),
                    "chunk_messages": sorted({str(r["message"])[:120] for r in _chunk_runs(server.url, since)}),
                }  # fmt: skip

            # the same months by one plain local run: the warehouse must be the same
            local = work / "local"
            plain = {k: v for k, v in common.items() if k not in ("DVC766_LAKE", "DVC766_S3_ENDPOINT_URL")}
            plain.update(DVC766_DATA_DIR=str(local), DVC766_POLITENESS="local", DVC766_PACING_S="0")
            result["local_exit_code"] = _dvc766(plain, *argv[:-1])
            result["tables_equal"] = _compare(fanned / "warehouse.duckdb", local / "warehouse.duckdb")
    finally:
        stop_pid(server.pid)
    return result


def _compare(a: Path, b: Path) -> dict[str, Any]:
    sql = "select table_name from duckdb_tables() where regexp_matches(table_name, '^(dim|fct|rpt)_') order by 1"
    names = [r[0] for r in _query(a, sql)]
    differing = [
        n for n in names if set(_query(a, f"select * from {n}")) != set(_query(b, f"select * from {n}"))
    ]
    return {"tables": len(names), "equal": len(names) - len(differing), "differing": differing}


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dvc766-workers-") as tmp:
        result = two_worker_backfill(Path(tmp))
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / "two_workers.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
