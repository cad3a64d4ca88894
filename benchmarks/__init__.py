"""Benchmarks for dvc766, all against the local portal replica on 127.0.0.1 (``make bench``).

Why a package of small modules: each benchmark (``bench_*.py``) is a plain function of a
:class:`BenchConfig` returning a JSON-ready dict, so ``benchmarks.run`` can run them in one process
(ratios stay within one run, on one machine state) and the smoke test can run each at tiny size.

Shared helpers live here: the Prefect environment (a private ``PREFECT_HOME``, no telemetry), the
settings every benchmark runs with (replica URL, pacing 0), medians of repeated timings and peak RSS.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
# The simulated clock of every benchmark: 5 Nov 2026, so October 2026 is published (on the 3rd).
REPLICA_NOW = "2026-11-05T09:00"
MONTH = "2026-10"
T = TypeVar("T")


def prefect_env(home: Path) -> None:
    """Point Prefect at a private home (its ephemeral server's database) before Prefect is imported."""
    os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@dataclass
class BenchConfig:
    """Sizes of one benchmark run; ``quick`` and ``tiny`` shrink them, the defaults are the issue's."""

    work_dir: Path
    repeats: int = 3
    provinces: list[str] | None = None  # None = all 34
    history_months: int = 60  # backfill at scale: months of history
    small_history_months: int = 12  # growth: the small history
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    # Prefect's ephemeral server takes tens of seconds to start: the smoke test runs the flows plain.
    prefect: bool = True
    # Month-end snapshots before the report's month (2: 30/9 and 31/10, as make demo; 1: 31/10 only).
    report_snapshots: int = 2
    # Build in a child process, so its peak RSS is its own (the smoke test builds in-process: faster).
    isolate_builds: bool = True
    # Repeats of the 60-month builds (each is minutes on a 2-core machine); None = ``repeats``.
    build_repeats: int | None = None

    @property
    def builds(self) -> int:
        return self.build_repeats or self.repeats

    @classmethod
    def full(cls, work_dir: Path) -> BenchConfig:
        return cls(work_dir)

    @classmethod
    def quick(cls, work_dir: Path) -> BenchConfig:
        """Every benchmark at reduced size (minutes, not tens of minutes); figures are indicative."""
        return cls(work_dir, repeats=1, history_months=24, small_history_months=6)

    @classmethod
    def tiny(cls, work_dir: Path) -> BenchConfig:
        """For the smoke test: two provinces, a few months, one repeat."""
        return cls(
            work_dir,
            repeats=1,
            provinces=["H55"],
            history_months=2,
            small_history_months=1,
            workers=1,
            prefect=False,
            isolate_builds=False,
            report_snapshots=1,
        )


def settings_env(portal_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a run against the replica: no pacing, no jitter, its own data folder."""
    env = {
        "DVC766_PORTAL_URL": portal_url,
        "DVC766_DATA_DIR": str(data_dir),
        "DVC766_PACING_S": "0",
        "DVC766_JITTER_S": "0",
    }
    env.update(extra)
    return env


@contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a block (Settings.from_env reads them), then restore them."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Wall time of one call (perf_counter) and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine() -> dict[str, Any]:
    """What the figures were measured on: cores, memory and CPU model (from /proc on Linux)."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return info
