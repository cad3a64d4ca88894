"""Benchmark 5: portal requests of a monthly run for all provinces, against the API's minimum.

Counted where it cannot be fooled: on the replica's side (every POST it received), for a monthly
run driven by ``flows.monthly.execute`` (the same batches the Prefect flow submits).

The minimum, derived from the API (shared/portal/v1-api.md §2-§4), for P provinces:

* ``evaluation/service-results`` in national mode (``departmentType: ADMINISTRATIVE_UNIT``) returns
  every province's total and six group scores: **1** request replaces P province totals.
* The six group endpoints in national mode return one row per province but no children, and the
  appendix needs every agency and commune: the children of each group need the per-province
  request (``rootDepartmentId``), whose answer also carries the province's own row, so the national
  group requests would add nothing: **6 × P**.
* Per-province service-results is the only source of each child's total score and of the
  province's donuts (online provision, dossier channels); no national answer has them: **1 × P**.

Minimum = 1 + 7 × P (239 for 34 provinces). Paging does not add to it: every answer fits one page
(pageSize 500 for Shape A; the tree endpoints do not page).
"""

from __future__ import annotations

import shutil
from collections import Counter
from typing import Any

from benchmarks import MONTH, REPLICA_NOW, BenchConfig, environ, settings_env

GROUP_ENDPOINTS = 6


def minimum_requests(provinces: int) -> int:
    """The fewest requests that give every figure of the month for ``provinces`` provinces."""
    return 1 + (GROUP_ENDPOINTS + 1) * provinces


def run(cfg: BenchConfig) -> dict[str, Any]:
    """One monthly run (fetch and land; no build: it makes no requests); count what the replica saw."""
    from dvc766.periods import Period
    from dvc766.provinces import provinces
    from dvc766.settings import Settings
    from flows import monthly
    from replica.server import start_replica

    codes = cfg.provinces or [p.code for p in provinces()]
    work = cfg.work_dir / "requests"
    shutil.rmtree(work, ignore_errors=True)
    with start_replica(port=0, now=REPLICA_NOW) as replica, environ(settings_env(replica.url, work)):
        summary = monthly.execute(
            "monthly", Settings.from_env(), [Period.from_key(MONTH)], codes, use_prefect=False, build=False
        )
        stats = replica.stats()
    shutil.rmtree(work, ignore_errors=True)
    if not summary.ok:
        raise RuntimeError(f"the monthly run for the request count failed: {summary.failure_line()}")
    made = int(stats["total"])
    per_endpoint = Counter({k: int(v["count"]) for k, v in stats["endpoints"].items()})
    minimum = minimum_requests(len(codes))
    excess = (made - minimum) / minimum
    return {
        "provinces": len(codes),
        "requests_made": made,
        "requests_counted_by_client": int(summary.http.get("requests", 0)),
        "per_endpoint": dict(sorted(per_endpoint.items())),
        "minimum": minimum,
        "minimum_formula": "1 national service-results + 7 per province (6 group endpoints + service-results)",
        "excess_pct": 100 * excess,
        "target_excess_pct": 10.0,
        "meets_target": excess <= 0.10,
    }
