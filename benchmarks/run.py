"""``make bench`` / ``python -m benchmarks.run [--quick] [--only NAME ...]``: run the benchmarks.

Every benchmark runs in this one process against the local replica on 127.0.0.1, so the ratios
compare figures taken on the same machine state. Results go to ``benchmarks/results/latest.json``
(``quick.json`` with ``--quick``, whose reduced sizes make its figures indicative only) and a short
table is printed. The exit code is 0 even when a target is missed: a benchmark reports, it does not
gate (the table says which targets are missed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, ROOT, BenchConfig, machine, prefect_env

NAMES = ("overhead", "requests", "report", "backfill", "contract", "drilldown", "cli_start")


def _runner(name: str) -> Callable[[BenchConfig], dict[str, Any]]:
    # Imported late: PREFECT_HOME must be set before anything imports Prefect.
    if name == "overhead":
        from benchmarks.bench_overhead import run
    elif name == "requests":
        from benchmarks.bench_requests import run
    elif name == "report":
        from benchmarks.bench_report import run
    elif name == "contract":
        from benchmarks.bench_contract import run
    elif name == "drilldown":
        from benchmarks.bench_drilldown import run
    elif name == "cli_start":
        from benchmarks.bench_cli_start import run
    else:
        from benchmarks.bench_backfill import run
    return run


def run_all(
    cfg: BenchConfig, names: tuple[str, ...] = NAMES, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Run the named benchmarks in order; one JSON-ready dict with the machine and every result."""
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "repeats": cfg.repeats,
            "provinces": cfg.provinces or "all 34",
            "history_months": cfg.history_months,
            "small_history_months": cfg.small_history_months,
            "build_repeats": cfg.builds,
            "workers": cfg.workers,
            "prefect": cfg.prefect,
        },
    }
    for name in names:
        say(f"benchmark {name} ...")
        start = time.perf_counter()
        out = _runner(name)(cfg)
        if name == "backfill":
            results["backfill"], results["growth"] = out["backfill"], out["growth"]
        else:
            results[name] = out
        say(f"benchmark {name} done in {time.perf_counter() - start:.0f} s")
    return results


def _f(value: Any, fmt: str = ".2f") -> str:
    return "-" if value is None else format(value, fmt)


def table(results: dict[str, Any]) -> str:
    """The short console table: one line per figure with a target, and whether it is met."""
    lines: list[tuple[str, str, str, str]] = []

    def add(name: str, value: str, target: str, ok: bool | None) -> None:
        lines.append((name, value, target, "-" if ok is None else ("met" if ok else "MISSED")))

    if "overhead" in results:
        o, m = results["overhead"], results["overhead"]["median"]
        add("1 bare loop (requests → disk)", f"{m['bare_s']:.2f} s", "", None)
        if "pipeline_s" in m:
            add("1 monthly run (Prefect, build)", f"{m['pipeline_s']:.2f} s", "", None)
            add("1 overhead ratio", f"{m['ratio']:.1f}×", "≤ 1.3", m["ratio"] <= 1.3)
            add("1 ratio without the build", f"{m['ratio_without_build']:.1f}×", "", None)
            add("1 Prefect share of wall time", f"{100 * m['prefect_share']:.0f} %", "reported", None)
        add("1 plain run (no Prefect)", f"{m['plain_s']:.2f} s", "", None)
        stages = ", ".join(f"{k} {v:.2f}" for k, v in o["plain_stages_median_s"].items())
        add("1 plain run stages (s)", stages, "", None)
    if "requests" in results:
        r = results["requests"]
        add(
            "5 requests vs minimum",
            f"{r['requests_made']} / {r['minimum']} (+{r['excess_pct']:.1f} %)",
            "≤ +10 %",
            r["meets_target"],
        )
    if "report" in results:
        r = results["report"]
        for fmt in ("docx", "xlsx"):
            add(f"4 report {fmt} (first / median)", f"{r[fmt]['first_s']:.2f} / {r[fmt]['median_s']:.2f} s", "≤ 5 s",
                max(r[fmt]["first_s"], r[fmt]["median_s"]) <= 5.0)  # fmt: skip
    if "contract" in results:
        c = results["contract"]
        add(f"6 validate + normalise {c['bodies']} bodies", f"{c['median_s']:.2f} s", "no slower", None)
    if "drilldown" in results:
        d = results["drilldown"]
        last = d["sizes"][-1]
        add(f"7 drill-down, {last['procedures']} procedures", f"{last['requests']} requests, {last['wall_s']:.1f} s",
            "", None)  # fmt: skip
        add("7 drill-down time per procedure, largest / smallest N", f"{d['growth_per_procedure']:.2f}×",
            "linear (≈ 1)", None)  # fmt: skip
    if "cli_start" in results:
        c = results["cli_start"]
        for key, label in (("ephemeral", "temporary server, every command"), ("local_cold", "local server, cold"),
                           ("local_warm", "local server, warm"), ("configured", "PREFECT_API_URL set")):  # fmt: skip
            if key in c:
                warm = key == "local_warm"
                add(f"8 dvc766 run → first request ({label})",
                    f"{c[key]['first_request_s']:.1f} s (command {c[key]['command_s']:.1f} s)",
                    "≤ 5 s" if warm else "", c[key]["first_request_s"] <= 5.0 if warm else None)  # fmt: skip
        if "refusals" in c:
            r = c["refusals"]
            add("8 bad argument refused (slowest command, median)", f"{r['max_s']:.2f} s (python alone "
                f"{r['python_startup_s']:.2f} s)", "< 1 s", r["meets_target"])  # fmt: skip
    if "backfill" in results:
        b = results["backfill"]
        add(
            f"2 landing {b['months']} mo × {b['provinces']} prov",
            f"{b['landing']['wall_s']:.0f} s",
            "(setup)",
            None,
        )
        add("2 build from landing", f"{b['build_median_s']:.1f} s", "≤ 30 s", b["build_median_s"] <= 30.0)
        add(
            "2 peak RSS of the build", f"{b['peak_rss_mb']:.0f} MiB", "≤ 1536 MiB", b["peak_rss_mb"] <= 1536.0
        )
        add("2 fact rows", ", ".join(f"{k} {v:,}" for k, v in b["fact_rows"].items()), "", None)
    if "growth" in results:
        g = results["growth"]
        m = g["median"]
        add(
            f"3 one more month: {g['big_history_months']} vs {g['small_history_months']} mo",
            f"{m['publish_big_s']:.1f} / {m['publish_small_s']:.1f} s = {m['ratio']:.2f}×",
            "≤ 1.5",
            m["ratio"] <= 1.5,
        )
        add(
            "3   (incremental: years rebuilt)",
            ", ".join(g.get("years_rebuilt", [])) or "-",
            "",
            None,
        )
        if "full_build_ratio" in g:
            add("3   (full builds, 60 vs 12 mo, for scale)", f"{g['full_build_ratio']:.2f}×", "", None)
    w = [max(len(row[i]) for row in lines) for i in range(4)] if lines else [0, 0, 0, 0]
    return "\n".join(f"{a:<{w[0]}}  {b:<{w[1]}}  {c:<{w[2]}}  {d}" for a, b, c, d in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes, one repeat (indicative figures)")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="run only these benchmarks")
    parser.add_argument("--repeats", type=int, help="timed repeats (default 3, 1 with --quick)")
    parser.add_argument(
        "--build-repeats", type=int, help="repeats of the backfill/growth builds (default: --repeats)"
    )
    parser.add_argument("--out", type=Path, help="results file (default benchmarks/results/latest.json)")
    args = parser.parse_args(argv)

    prefect_env(Path(os.environ.get("PREFECT_HOME", ROOT / ".prefect")))
    work = Path(tempfile.mkdtemp(prefix="dvc766-bench-"))
    try:
        cfg = BenchConfig.quick(work) if args.quick else BenchConfig.full(work)
        cfg.repeats = args.repeats or cfg.repeats
        cfg.build_repeats = args.build_repeats or cfg.build_repeats
        results = run_all(cfg, tuple(args.only or NAMES))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["quick"] = args.quick
    # a partial run never replaces the full results: --only writes a file of its own
    default = "quick.json" if args.quick else ("-".join(args.only) + ".json" if args.only else "latest.json")
    out = args.out or RESULTS_DIR / default
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print()
    print(table(results))
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
