"""Crash trials: runs SIGKILLed at random points of fetch, land, build and publish, then run again;
the recovered warehouse must equal an uninterrupted run's, with no row lost and no torn publish.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.reliability_common import (
    LEGACY_PERIOD,
    ROOT,
    V1_PERIOD,
    Clock,
    digest_diff,
    fast_env,
    marts_digest,
    published_problems,
    rows_missing,
    torn_files,
)
from dvc766.settings import Settings

# --- crash trials -------------------------------------------------------------------------------

PHASES = ("fetch", "land", "build", "publish")


@dataclass
class Trial:
    n: int
    command: str
    phase: str
    killed: bool
    seconds_before_kill: float
    problems: list[str] = field(default_factory=list)


def cli(argv: list[str], env: dict[str, str], **kw: Any) -> subprocess.Popen[bytes]:
    """``dvc766 <argv>`` as a separate process, the way cron or an analyst starts it."""
    return subprocess.Popen(
        [sys.executable, "-m", "dvc766.cli", *argv],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )


def _wait_for(proc: subprocess.Popen[bytes], ready: Any, timeout_s: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            return True
        time.sleep(0.005)
    return False


def _count(root: Path, pattern: str) -> int:
    return sum(1 for _ in root.rglob(pattern)) if root.exists() else 0


def kill_at(
    proc: subprocess.Popen[bytes], data_dir: Path, phase: str, rng: random.Random
) -> tuple[bool, float]:
    """SIGKILL ``proc`` at a random point of ``phase``; returns (killed, seconds it ran)."""
    t0 = time.monotonic()
    wh = data_dir / "warehouse.duckdb"
    if phase == "fetch":
        k = rng.randint(1, 6)
        hit = _wait_for(proc, lambda: _count(data_dir / "raw", "*.meta.json") >= k)
    elif phase == "land":
        k = rng.randint(1, 3)
        hit = _wait_for(proc, lambda: _count(data_dir / "landing", "*.parquet") >= k)
    elif phase == "build":
        hit = _wait_for(proc, lambda: any(data_dir.glob("warehouse.duckdb.building-*")))
        if hit:
            time.sleep(rng.uniform(0.0, 0.4))
    else:  # publish: around the rename (the build file exists, then the warehouse changes)
        before = wh.stat().st_ino if wh.exists() else None
        hit = _wait_for(proc, lambda: any(data_dir.glob("warehouse.duckdb.building-*")))
        if hit:
            _wait_for(proc, lambda: not any(data_dir.glob("warehouse.duckdb.building-*")), 30)
            time.sleep(rng.uniform(0.0, 0.02))
        hit = hit or (wh.exists() and wh.stat().st_ino != before)
    ran = time.monotonic() - t0
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return proc.returncode == -signal.SIGKILL and hit, ran


@dataclass
class CrashReport:
    trials: list[Trial]
    runs_killed: int
    runs_recovered: int
    rows_lost: int
    corrupted_publishes: int
    problems: list[str]
    seconds: float


TRIAL_COMMANDS = {
    # phase -> argv; a run of one month for two provinces, or a build of what is landed
    "fetch": ["run", "--month", V1_PERIOD.key, "--provinces", "H55,H44"],
    "land": ["backfill", "--from", LEGACY_PERIOD.key, "--to", V1_PERIOD.key, "--provinces", "H55"],
    "build": ["build"],
    "publish": ["build"],
}


def crash_trials(
    replica: Any, workdir: Path, n: int, *, seed: int = 766, base_env: dict[str, str] | None = None,
    phases: tuple[str, ...] = PHASES,
) -> CrashReport:  # fmt: skip
    """``n`` trials, each: a fresh data folder; a first run (for build phases), then the command
    killed at a random point of its phase; the published warehouse must open read-only and pass
    every check; then the same command run to the end (plus a run of what the kill may have cut,
    for build phases) must give marts identical to an uninterrupted run's."""
    started = time.monotonic()
    rng = random.Random(seed)
    clock = Clock(replica)
    replica.set_faults("")
    env0 = dict(base_env or os.environ)
    problems: list[str] = []

    def env_for(d: Path, pacing: str = "0") -> dict[str, str]:
        return {**env0, **fast_env(d, replica.url), "DVC766_PACING_S": pacing}

    def run_ok(argv: list[str], d: Path) -> None:
        clock.tick()
        p = cli(argv, env_for(d))
        out, err = p.communicate(timeout=300)
        if p.returncode != 0:
            raise RuntimeError(f"dvc766 {' '.join(argv)} failed ({p.returncode}): {err.decode()[-800:]}")

    # the uninterrupted references: the run, and the backfill, each ending with its build
    references: dict[str, dict[str, Counter[str]]] = {}
    for phase_key, argv in (("run", TRIAL_COMMANDS["fetch"]), ("backfill", TRIAL_COMMANDS["land"])):
        d = workdir / f"reference-{phase_key}"
        run_ok(argv, d)
        references[phase_key] = marts_digest(d / "warehouse.duckdb")

    trials: list[Trial] = []
    killed = recovered = lost = corrupted = 0
    for i in range(n):
        phase = phases[i % len(phases)]
        d = workdir / f"trial-{i:02d}-{phase}"
        fetch_argv = (
            TRIAL_COMMANDS["fetch"] if phase in ("fetch", "build", "publish") else TRIAL_COMMANDS["land"]
        )
        ref = references["run" if fetch_argv is TRIAL_COMMANDS["fetch"] else "backfill"]
        if phase in ("build", "publish"):
            # something is already published; the killed build must leave it (or the new one) intact
            run_ok([*fetch_argv, "--no-build"], d)
            if rng.random() < 0.5:
                run_ok(["build"], d)
        clock.tick()
        argv = TRIAL_COMMANDS[phase] if phase in ("build", "publish") else fetch_argv
        pacing = "0.05" if phase == "fetch" else "0"
        proc = cli(argv, env_for(d, pacing))
        hit, ran = kill_at(proc, d, phase, rng)
        trial = Trial(i, " ".join(argv), phase, hit, round(ran, 3))
        if hit:
            killed += 1
        trial.problems += published_problems(d / "warehouse.duckdb")
        trial.problems += [f"torn: {t}" for t in torn_files(d)]
        if trial.problems:
            corrupted += 1
        # recover: the interrupted command again, to the end
        try:
            run_ok(fetch_argv, d)
            got = marts_digest(d / "warehouse.duckdb")
            diff = digest_diff(got, ref)
            lost += rows_missing(got, ref)
            if diff:
                trial.problems.append(f"marts differ from the uninterrupted run: {diff}")
            else:
                recovered += 1
        except RuntimeError as exc:
            trial.problems.append(f"re-run failed: {exc}")
        from flows.commands import doctor

        doc, _notes = doctor(Settings(data_dir=d))
        trial.problems += [f"doctor: {p}" for p in doc]
        problems += [f"trial {i} ({phase}): {p}" for p in trial.problems]
        trials.append(trial)
    return CrashReport(trials, killed, recovered, lost, corrupted, problems, time.monotonic() - started)


def crash_figures(rep: CrashReport) -> dict[str, Any]:
    return {
        "trials": len(rep.trials),
        "runs_killed": rep.runs_killed,
        "runs_recovered": rep.runs_recovered,
        "rows_lost": rep.rows_lost,
        "corrupted_publishes": rep.corrupted_publishes,
        "kills_by_phase": dict(Counter(t.phase for t in rep.trials if t.killed)),
        "problems": rep.problems,
        "seconds": round(rep.seconds, 1),
        "detail": [asdict(t) for t in rep.trials],
    }
