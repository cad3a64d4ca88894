"""Benchmark 8: from typing ``dvc766 run`` to the first request the portal (replica) sees.

Measured from outside, the way a person waits: the command is a subprocess, its start time is taken
just before it is spawned, and the first request's arrival is the replica's own record of it (wall
clock, the same machine). Three ways of recording the runs in Prefect (``flows/prefect_api.py``):

* ``ephemeral``: Prefect's temporary server inside the command (the behaviour before; every command);
* ``local``, cold: the first command on the machine starts the long-lived local server;
* ``local``, warm: the second command reuses it;
* ``configured``: ``PREFECT_API_URL`` set to a running server (the data engineer's setup; the smoke
  test's tiny run measures only this one, against its session server, so it does not wait 30 s).

Each command is a one-province monthly run without the build; the whole command's time is reported
beside the time to the first request.

Beside it, :func:`refusals` (issue 28): how long a bad argument takes to be refused, from spawn to exit
(the command must exit 2), for each writing command and the report and dashboard, median of a few
runs. ``python -m benchmarks.bench_cli_start --refusals [--source DIR]`` measures it alone, for the
tree at ``DIR`` (e.g. an older commit unpacked with ``git archive``) on the same interpreter: the
before/after figures in benchmarks/README.md were taken that way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import MONTH, REPLICA_NOW, BenchConfig, settings_env

TARGET_WARM_S = 5.0
TARGET_REFUSAL_S = 1.0
# Bad arguments of each command that fetches, writes or renders: refused with exit 2.
REFUSALS = {
    "run": ["run", "--month", "2023-13"],
    "backfill": ["backfill", "--from", "2026-01", "--to", "2026-02", "--provinces", "H55,H99"],
    "drilldown": ["drilldown", "--province", "H99", "--month", "2026-01"],
    "snapshot": ["snapshot", "--provinces", "H99"],
    "report": ["report", "--province", "H55", "--month", "2023-13"],
    "dashboard": ["dashboard", "--province", "H55", "--month", "2023-13"],
}


def _command() -> list[str]:
    script = Path(sys.executable).with_name("dvc766")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from dvc766.cli import main; sys.exit(main())"]


def _one(replica: Any, env: dict[str, str], province: str) -> dict[str, float]:
    """Run the command once, on a data folder of its own (a month already landed is not fetched
    again); seconds to its first request at the replica and to its end."""
    env = {**env, "DVC766_DATA_DIR": str(Path(env["DVC766_DATA_DIR"]) / f"run-{time.monotonic_ns()}")}
    replica.reset_stats()
    started = time.time()
    proc = subprocess.run(
        [*_command(), "run", "--month", MONTH, "--provinces", province, "--no-build"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ended = time.time()
    if proc.returncode != 0:
        raise RuntimeError(f"dvc766 run failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    times = [r["at"] for r in replica.stats()["requests"]]
    if not times:
        raise RuntimeError("dvc766 run made no request")
    return {"first_request_s": round(min(times) - started, 3), "command_s": round(ended - started, 3)}


def run(cfg: BenchConfig) -> dict[str, Any]:
    from flows.prefect_api import configured_api_url, stop_server
    from replica.server import start_replica

    province = (cfg.provinces or ["H55"])[0]
    work = cfg.work_dir / "cli_start"
    shutil.rmtree(work, ignore_errors=True)
    home = work / "prefect-home"  # a machine that never ran dvc766: no server, no database
    base = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    base.update({"PREFECT_HOME": str(home), "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    out: dict[str, Any] = {"province": province, "target_warm_s": TARGET_WARM_S}
    with start_replica(port=0, now=REPLICA_NOW) as replica:
        env = {**base, **settings_env(replica.url, work / "data")}
        if cfg.prefect:
            home.mkdir(parents=True)  # Prefect makes its home only when the parent folder exists
            out["ephemeral"] = _one(replica, {**env, "DVC766_PREFECT_SERVER": "ephemeral"}, province)
            shutil.rmtree(home, ignore_errors=True)  # the local server's cold start is on a fresh home too
            local = {**env, "DVC766_PREFECT_SERVER": "local"}
            try:
                out["local_cold"] = _one(replica, local, province)
                out["local_warm"] = _one(replica, local, province)
            finally:
                stop_server(home)
            out["meets_target"] = out["local_warm"]["first_request_s"] <= TARGET_WARM_S
        out["refusals"] = refusals(max(3, cfg.repeats))
        url = configured_api_url()
        if url:
            out["configured"] = _one(replica, {**env, "PREFECT_API_URL": url}, province)
    shutil.rmtree(work, ignore_errors=True)
    return out


def refusals(repeats: int = 5, source: Path | None = None) -> dict[str, Any]:
    """Seconds from spawning ``dvc766 <bad arguments>`` to its exit, median of ``repeats`` per command,
    beside a bare ``python -c pass`` on the same interpreter. ``source``: the tree to import dvc766
    from (default: the installed one)."""
    work = Path(
        tempfile.mkdtemp(prefix="dvc766-refusal-")
    )  # also the cwd: "python -c" puts it first on sys.path
    env = {**os.environ, "DVC766_DATA_DIR": str(work / "data")}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    command = [sys.executable, "-c", "import sys; from dvc766.cli import main; sys.exit(main())"]

    def timed(argv: list[str], expect: int | None = 2) -> float:
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, cwd=work, capture_output=True, text=True, timeout=120)
        took = time.perf_counter() - start
        if expect is not None and proc.returncode != expect:
            raise RuntimeError(
                f"{argv[3:]} exited {proc.returncode}, not {expect}: {proc.stderr.strip()[-300:]}"
            )
        return took

    out: dict[str, Any] = {"repeats": repeats, "target_s": TARGET_REFUSAL_S, "commands": {}}
    out["python_startup_s"] = round(
        statistics.median(timed([sys.executable, "-c", "pass"], 0) for _ in range(repeats)), 3
    )
    for name, argv in REFUSALS.items():
        out["commands"][name] = round(statistics.median(timed([*command, *argv]) for _ in range(repeats)), 3)
    out["max_s"] = max(out["commands"].values())
    out["meets_target"] = out["max_s"] < TARGET_REFUSAL_S
    shutil.rmtree(work, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_cli_start")
    parser.add_argument("--refusals", action="store_true", help="time bad-argument refusals only")
    parser.add_argument("--source", type=Path, help="import dvc766 from this tree (default: installed)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.refusals:
        parser.error("only --refusals runs alone; the whole benchmark runs with `make bench`")
    print(json.dumps(refusals(args.repeats, args.source), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
