"""Benchmark 4: rendering one province's monthly appendix (docx and xlsx) from a published warehouse.

The warehouse is made the way ``make demo`` makes it (without Prefect, which benchmark 1 measures):
the month-end snapshots of 30/9 and 31/10 on the replica's clock (the appendix compares the two),
then the monthly run of October for the configured provinces and the real build.
Each timed render is ``warehouse.report_cli.build_report`` — read the warehouse, render, write the
file — the whole of ``dvc766 report`` after argument parsing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from benchmarks import MONTH, REPLICA_NOW, BenchConfig, environ, median, settings_env, timed

PROVINCE = "H55"
FORMATS = ("docx", "xlsx")
SNAPSHOT_CLOCKS = ("2026-09-30T23:00", "2026-10-31T23:00")


def publish_month(replica: Any, codes: list[str], snapshots: int = len(SNAPSHOT_CLOCKS)) -> None:
    """Snapshots at both month ends, then fetch, land and build ``MONTH`` for ``codes``."""
    from dvc766.periods import Period
    from dvc766.settings import Settings
    from flows import monthly
    from flows.snapshot import take_snapshot

    settings = Settings.from_env()
    for month_end in SNAPSHOT_CLOCKS[-snapshots:]:
        replica.set_now(month_end)
        snap = take_snapshot(settings, codes, build=False, use_prefect=False)
        if not snap.ok:
            raise RuntimeError(f"snapshot at {month_end} failed: {snap.failure_line()}")
    replica.set_now(REPLICA_NOW)
    summary = monthly.execute("monthly", settings, [Period.from_key(MONTH)], codes, use_prefect=False)
    if not summary.ok or summary.build.get("status") != "ok":
        raise RuntimeError(f"could not publish {MONTH} for the report benchmark: {summary.build}")


def render_once(fmt: str, out: Path) -> int:
    """One ``dvc766 report`` for the province and month; returns the file's size."""
    from dvc766.periods import Period
    from dvc766.settings import Settings
    from warehouse.report_cli import build_report

    written = build_report(Settings.from_env(), PROVINCE, Period.from_key(MONTH), fmt, out)
    return written[-1].stat().st_size  # the report itself (an md's chart comes first)


def run(cfg: BenchConfig) -> dict[str, Any]:
    """Median render time per format over ``cfg.repeats`` (plus one untimed warm-up each)."""
    from dvc766.provinces import provinces
    from replica.server import start_replica

    codes = cfg.provinces or [p.code for p in provinces()]
    if PROVINCE not in codes:
        codes = [PROVINCE, *codes]
    work = cfg.work_dir / "report"
    shutil.rmtree(work, ignore_errors=True)
    with start_replica(port=0, now=REPLICA_NOW) as replica, environ(settings_env(replica.url, work / "data")):
        publish_month(replica, codes, cfg.report_snapshots)
        out: dict[str, Any] = {"province": PROVINCE, "month": MONTH, "provinces_in_warehouse": len(codes)}
        for fmt in FORMATS:
            target = work / f"{PROVINCE}_{MONTH}.{fmt}"
            first_s, size = timed(lambda fmt=fmt, target=target: render_once(fmt, target))
            times = [
                timed(lambda fmt=fmt, target=target: render_once(fmt, target))[0] for _ in range(cfg.repeats)
            ]
            out[fmt] = {"first_s": first_s, "median_s": median(times), "runs_s": times, "bytes": size}
    shutil.rmtree(work, ignore_errors=True)
    worst = max(out[f]["median_s"] for f in FORMATS)
    out.update(
        {"target_s": 5.0, "meets_target": worst <= 5.0 and max(out[f]["first_s"] for f in FORMATS) <= 5.0}
    )
    return out
