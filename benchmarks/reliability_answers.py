"""Reliability trial: two captures of one period at one instant (issue 27).

Two month-end snapshots of the same year to date, both taken at 31/10 23:00 (the portal's clock),
one from the default replica and one from the ``real_bodies`` scenario, whose national ranking is
the real one of 10/10: two honest answers that disagree, stamped with the same second. Landed in
both orders (default first, real first) into two data folders and built, the trial holds the
warehouse to "nothing wrong published":

* the two builds are equal, table by table (which capture wins cannot depend on which landed first);
* every check passes, among them ``unit_score_rank_follows_score``;
* the national ranking a province's row shows is one capture's: one ``capture_id`` for the 34
  provinces, and ranks in the order of their scores;
* every province's total and rank are that capture's own figures for the province.

Before issue 27 a province's score came from one capture and its rank from the other (31 of 34
provinces out of order; the appendix read "-1,70 điểm; tăng 13 bậc").
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.reliability_common import digest_diff, fast_settings, marts_digest, published_problems

INSTANT = "2026-10-31T23:00"
PROVINCES = ("H19", "H21", "H24", "H26", "H55")


def _snapshot(data: Path, scenario: str | None) -> None:
    from flows.snapshot import take_snapshot
    from replica.server import start_replica

    with start_replica(scenario=scenario, now=INSTANT) as replica:
        summary = take_snapshot(
            fast_settings(data, replica.url), list(PROVINCES), build=False, use_prefect=False
        )
    if not summary.ok:
        raise RuntimeError(
            f"snapshot from {scenario or 'the default replica'} failed: {summary.failure_line()}"
        )


def _ranking_problems(warehouse: Path) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select unit_code, total_score, rank_in_scope, capture_id from fct_unit_score "
            "where period_key = '2026-YTD-10' and rank_scope = 'national' order by rank_in_scope, unit_code"
        ).fetchall()
        mismatched = con.execute(
            "select s.unit_code from fct_unit_score s join fct_unit_group_score g using (unit_code, period_type, "
            "period_key) where g.group_code = 'TOTAL' and s.period_key = '2026-YTD-10' and "
            "(g.capture_id <> s.capture_id or g.score <> s.total_score or g.rank_in_scope <> s.rank_in_scope)"
        ).fetchall()
    finally:
        con.close()
    problems = []
    if len(rows) != 34:
        problems.append(f"{len(rows)} provinces ranked nationally, not 34")
    if len({r[3] for r in rows}) != 1:
        problems.append(f"the national ranking mixes {len({r[3] for r in rows})} captures")
    scores = [r[1] for r in rows]
    out_of_order = sum(
        1 for a, b in zip(scores, scores[1:], strict=False) if a is not None and b is not None and a < b
    )
    if out_of_order:
        problems.append(f"{out_of_order} provinces ranked out of the order of their scores")
    if mismatched:
        problems.append(
            f"score or rank not the TOTAL figure of their capture: {[m[0] for m in mismatched][:5]}"
        )
    return problems


def one_instant_trial(workdir: Path) -> dict[str, Any]:
    """Run the trial; returns its figures and the problems found (none when it holds)."""
    from flows.tasks import build_warehouse

    started = time.monotonic()
    problems: list[str] = []
    digests = []
    for name, order in (("default-first", (None, "real_bodies")), ("real-first", ("real_bodies", None))):
        data = workdir / name
        for scenario in order:
            _snapshot(data, scenario)
        settings = fast_settings(data, "http://127.0.0.1:9")  # builds only: the portal is not asked
        built = build_warehouse(settings)
        if built.get("status") != "ok":
            problems.append(f"{name}: the build refused: {built.get('message', built)}")
            continue
        problems += [f"{name}: {p}" for p in published_problems(settings.warehouse_path)]
        problems += [f"{name}: {p}" for p in _ranking_problems(settings.warehouse_path)]
        digests.append(marts_digest(settings.warehouse_path))
    if len(digests) == 2:
        diff = digest_diff(digests[0], digests[1])
        if diff:
            problems.append(f"the two landing orders published different warehouses: {diff}")
    return {
        "trial": "two captures of one period at one instant",
        "orders": 2,
        "provinces_fetched": len(PROVINCES),
        "problems": problems,
        "wrong_publishes": sum(1 for p in problems if "refused" not in p),
        "seconds": round(time.monotonic() - started, 1),
    }
