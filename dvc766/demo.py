"""``make demo``: the main job end to end, offline, on the local portal replica.

Starts the replica on 127.0.0.1, takes the two month-end snapshots a province's appendix compares
(30/9 and 31/10 on the replica's simulated clock), backfills a few months for all 34 provinces,
builds and publishes the warehouse, renders Thái Nguyên's appendix, and prints where everything is.
Everything goes under ``$DVC766_DATA_DIR`` (default ``./data``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

DEMO_YEAR = 2026
DEMO_MONTH = 10
BACKFILL_FROM = "2026-08"
BACKFILL_TO = "2026-10"


def _cli(*argv: str) -> int:
    from dvc766.cli import main

    print(f"\n$ dvc766 {' '.join(argv)}", flush=True)
    return main(list(argv))


def main() -> int:
    from replica.server import start_replica

    data_dir = Path(os.environ.setdefault("DVC766_DATA_DIR", "data")).resolve()
    # One process runs every step: Prefect's temporary server starts once and stops with the demo, so
    # nothing is left running (a typed `dvc766 run` uses the long-lived local server instead).
    os.environ.setdefault("DVC766_PREFECT_SERVER", "ephemeral")
    started = time.monotonic()
    with start_replica(port=0, now=f"{DEMO_YEAR}-09-30T23:00") as replica:
        os.environ["DVC766_PORTAL_URL"] = replica.url
        os.environ.setdefault("DVC766_PACING_S", "0")
        os.environ.setdefault("DVC766_JITTER_S", "0")
        print(f"portal replica at {replica.url} (simulated clock 30/09/{DEMO_YEAR} 23:00)")
        steps: list[tuple[str, ...]] = [("snapshot", "--no-build")]
        for argv in steps:
            if _cli(*argv) != 0:
                return 1
        replica.set_now(f"{DEMO_YEAR}-10-31T23:00")
        print(f"replica clock moved to 31/10/{DEMO_YEAR} 23:00")
        if _cli("snapshot", "--no-build") != 0:
            return 1
        replica.set_now(f"{DEMO_YEAR}-11-05T09:00")
        print(f"replica clock moved to 05/11/{DEMO_YEAR} 09:00")
        if _cli("backfill", "--from", BACKFILL_FROM, "--to", BACKFILL_TO) != 0:
            return 1
    if _cli("build") != 0:
        return 1
    month = f"{DEMO_YEAR}-{DEMO_MONTH:02d}"
    outputs = []
    for fmt in ("md", "xlsx", "docx"):
        out = data_dir / "reports" / f"H55_{month}.{fmt}"
        if _cli("report", "--province", "H55", "--month", month, "--format", fmt, "--out", str(out)) != 0:
            return 1
        outputs.append(out)
    dashboards = []
    for province in ("H55", "all"):
        out = data_dir / "reports" / f"dashboard_{province}_{month}.html"
        if _cli("dashboard", "--province", province, "--month", month, "--out", str(out)) != 0:
            return 1
        dashboards.append(out)
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s. Everything is under {data_dir}:")
    print(f"  raw bodies     {data_dir / 'raw'}")
    print(f"  landing        {data_dir / 'landing'}")
    print(f"  warehouse      {data_dir / 'warehouse.duckdb'}  (open read-only: duckdb -readonly …)")
    for out in outputs:
        print(f"  appendix       {out}")
    for out in dashboards:
        print(f"  dashboard      {out}  (one HTML file, works offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
