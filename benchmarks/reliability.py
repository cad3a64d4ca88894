"""Reliability suite: faults, crashes and hostile input thrown at the pipeline, with figures.

Why a module and not only tests: the same code runs the reduced set in CI (``tests/test_reliability_*``)
and the full set on demand (``python -m benchmarks.reliability``, ``make reliability``), and both
write one summary (``benchmarks/results/reliability.json``): faults injected, runs killed, runs
recovered, rows lost, corrupted publishes. The last two must be zero.

What "the same warehouse" means here: every mart table's rows, hashed one by one (a multiset of
row hashes per table), without the columns that say *when* a capture was taken (``captured_at``,
``capture_id``, ``valid_from``...). A re-run asks the portal again at a later time, so those differ
by design; the values, the bodies' sha256 (``raw_sha256``) and everything else must not.

Everything talks to the portal replica on 127.0.0.1; nothing else is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.crash_trials import crash_figures, crash_trials
from benchmarks.reliability_answers import one_instant_trial
from benchmarks.reliability_common import (
    CLOCK_START,
    EXPECT,
    FAMILIES,
    KINDS,
    LEGACY_PERIOD,
    RESULTS,
    ROOT,
    V1_PERIOD,
    Clock,
    applies,
    digest_diff,
    digest_extra,
    fast_settings,
    marts_digest,
    published_problems,
    rows_missing,
    torn_files,
)
from dvc766.periods import Period
from dvc766.settings import Settings

# --- the fault matrix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One fault kind on one endpoint, for one province and period."""

    kind: str
    family: str
    endpoint: str
    province: str

    @property
    def api(self) -> str:
        return "legacy" if self.family == "legacy" else "v1"

    @property
    def period(self) -> Period:
        return LEGACY_PERIOD if self.api == "legacy" else V1_PERIOD

    @property
    def target(self) -> str:
        return self.endpoint.removeprefix("evaluation/")

    def spec(self, read_timeout_s: float) -> str:
        """The replica fault spec: transient faults fire once or twice, content faults persist."""
        t = self.target
        return {
            "latency": f"{t}:latency={read_timeout_s * 2.5:g}:1",
            "5xx": f"{t}:5xx:2:status=503",
            "429": f"{t}:429:1:retry-after=1",
            "reset": f"{t}:reset:1",
            "truncated": f"{t}:truncated:1",
            "waf": f"{t}:waf",
            "wrong-province": f"{t}:wrong-province",
            "renamed-field": f"{t}:renamed-field",
            "empty-month": f"{t}:empty-month",
            "wrong-period": f"{t}:wrong-period",
            "duplicate-key": f"{t}:duplicate-key",
        }[self.kind]

    @property
    def name(self) -> str:
        return f"{self.kind}@{self.target}"


def matrix_groups(full: bool, kinds: tuple[str, ...] = KINDS, *, sample: bool = False) -> list[list[Cell]]:
    """The cells, in groups that share one data folder (one clean reference, one faulted build,
    one converged build per group: builds dominate the cost).

    Inside a group every cell has a province of its own. v1 and legacy cells never share a group:
    both national answers list every province, with a UUID in v1 and a numeric ID in legacy, so
    ``dim_unit`` versions (ordered by capture time) would depend on which era a re-run asked last.
    Transient kinds and rejecting kinds go to separate v1 groups; a group never needs more
    provinces than there are. Every kind is tried on every endpoint (full) or on the first
    endpoint of each family (reduced); ``sample`` tries each kind once, on the v1 families
    in turn (the default test suite: every kind in a fraction of the time; legacy is left to the
    reduced and full sets).
    """
    from dvc766.provinces import provinces

    codes = [p.code for p in provinces()]
    v1 = [(f, e) for f, eps in FAMILIES.items() if f != "legacy" for e in (eps if full else eps[:1])]
    legacy = [(f, e) for f, eps in FAMILIES.items() if f == "legacy" for e in eps]
    recover = [k for k in kinds if EXPECT[k] == "recover"]
    reject = [k for k in kinds if EXPECT[k] != "recover"]
    # the sample stays on v1 (two groups, five builds); legacy is in the reduced and full sets
    families = [(f, eps[0]) for f, eps in FAMILIES.items() if f != "legacy"]
    turn = {}
    for i, k in enumerate(kinds):  # the families in turn, skipping one the kind does not apply to
        turn[k] = next(
            families[(i + j) % len(families)]
            for j in range(len(families))
            if applies(k, families[(i + j) % len(families)][1])
        )
    groups: list[list[Cell]] = []
    for endpoints, group_kinds in ((v1, recover), (v1, reject), (legacy, recover + reject)):
        group: list[Cell] = []
        for kind in group_kinds:
            mine = [fe for fe in endpoints if applies(kind, fe[1]) and (not sample or fe == turn[kind])]
            if len(group) + len(mine) > len(codes):
                groups.append(group)
                group = []
            group += [Cell(kind, f, e, codes[len(group) + i]) for i, (f, e) in enumerate(mine)]
        if group:
            groups.append(group)
    return [g for g in groups if g]


def matrix_cells(full: bool, kinds: tuple[str, ...] = KINDS, *, sample: bool = False) -> list[Cell]:
    return [c for g in matrix_groups(full, kinds, sample=sample) for c in g]


@dataclass
class CellResult:
    cell: str
    expected: str
    outcome: str  # recovered | rejected:<kind> | failed | ...
    cause: str
    retries: int
    rejected_records: list[str]
    problems: list[str] = field(default_factory=list)


def _execute(settings: Settings, period: Period, province: str, clock: Clock | None = None) -> Any:
    """``dvc766 run --month <period> --provinces <province> --no-build``, in-process.

    The national ranking is asked for one clock second before the province (on the real portal it
    is seconds earlier): two captures of one run never share a timestamp, so "latest capture wins"
    orders them the same way in every run."""
    from flows.monthly import execute

    if clock is not None:
        clock.tick()
    national = execute("monthly", settings, [period], [], build=False, use_prefect=False)
    if clock is not None:
        clock.tick()
    summary = execute("monthly", settings, [period], [province], build=False, use_prefect=False)
    summary.batches = national.batches + summary.batches
    summary.http = {k: national.http.get(k, 0) + v for k, v in summary.http.items()}
    summary.stopped = national.stopped or summary.stopped
    return summary


def _build(settings: Settings) -> dict[str, Any]:
    from flows.tasks import build_warehouse

    return build_warehouse(settings)


def _rejected(settings: Settings, cell: Cell) -> list[str]:
    from flows.raw_store import RawStore

    raw = RawStore(settings)
    return [
        f"{r['outcome']} {r['path']}"
        for r in raw.records_for(cell.api, cell.endpoint, cell.period.key, cell.province)
        + raw.records_for(cell.api, cell.endpoint, cell.period.key, "national")
        if r["outcome"] != "ok"
    ]


def _judge(cell: Cell, summary: Any, settings: Settings) -> CellResult:
    """Did the faulted run do what the fault kind demands?"""
    expected = EXPECT[cell.kind]
    batches = [b for b in summary.batches if b.scope in (cell.province, "national")]
    mine = [b for b in batches if b.scope == cell.province]
    text = summary.text()
    rejected = _rejected(settings, cell)
    res = CellResult(cell.name, expected, "", "", int(summary.http.get("retries", 0)), rejected)
    failed = [b for b in batches if b.status == "failed"]
    for b in failed:
        if not b.cause or f"FAILED {b.scope} {b.period_key}: {b.cause}" not in text:
            res.problems.append(f"{b.scope} failed without its cause in the summary")
    if expected == "recover":
        res.outcome = "recovered" if not failed and mine and mine[0].status == "ok" else "failed"
        res.cause = "; ".join(b.cause for b in failed)
        if res.outcome != "recovered":
            res.problems.append(f"expected to recover after retries, got: {res.cause or mine}")
        if res.retries < 1:
            res.problems.append("the fault did not cause a single retry (did it fire?)")
        return res
    hit = [
        b
        for b in batches
        if b.error_kind == expected or (expected == "not_published" and "not published" in b.cause)
    ]
    res.outcome = f"rejected:{expected}" if hit else "unexpected"
    res.cause = "; ".join(f"{b.scope}: {b.cause}" for b in hit) or "; ".join(b.line() for b in batches)
    if not hit:
        res.problems.append(f"expected a {expected} rejection, got: {res.cause}")
    if not any(r.startswith(f"rejected:{expected} ") for r in rejected):
        res.problems.append(f"no raw body kept as rejected:{expected} for {cell.endpoint}")
    if expected != "not_published" and not any(b.status == "failed" for b in hit):
        res.problems.append("the province was not failed")
    if expected != "not_published" and expected.replace("_", " ") not in text and expected not in text:
        res.problems.append(f"the summary does not name {expected}")
    return res


def _published_capture_ids(warehouse: Path) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {c for (c,) in con.execute("select distinct capture_id from fct_indicator_capture").fetchall()}
    finally:
        con.close()


def _bad_capture_ids(settings: Settings) -> set[str]:
    from flows.raw_store import RawStore

    return {r["capture_id"] for r in RawStore(settings).manifest() if r["outcome"] != "ok"}


@dataclass
class MatrixReport:
    cells: list[CellResult]
    faults_injected: int
    rows_lost: int
    corrupted_publishes: int
    problems: list[str]
    seconds: float


def run_matrix(
    replica: Any, workdir: Path, *, full: bool = False, kinds: tuple[str, ...] = KINDS, sample: bool = False
) -> MatrixReport:
    """Run the matrix, group by group (see :func:`matrix_groups`): a clean reference run of the
    group's provinces; every cell run with its fault (judged on its own summary and raw store);
    a build, which must pass its checks and hold nothing from a rejected body; every cell run
    again with the fault cleared; a build that must equal the clean one, row for row."""
    started = time.monotonic()
    clock = Clock(replica)
    results: list[CellResult] = []
    problems: list[str] = []
    injected = rows_lost = corrupted = 0
    for n, group in enumerate(matrix_groups(full, kinds, sample=sample)):
        label = f"group {n} ({', '.join(dict.fromkeys(c.kind for c in group))})"
        # the clean reference: the same provinces and periods, in the same order, without faults
        replica.set_faults("")
        clean = fast_settings(workdir / f"clean-{n}", replica.url)
        for cell in group:
            s = _execute(clean, cell.period, cell.province, clock)
            if not s.ok:
                raise RuntimeError(f"the clean reference run failed: {s.failure_line()}")
        if _build(clean).get("status") != "ok":
            raise RuntimeError("the clean reference build failed")
        reference = marts_digest(clean.warehouse_path)

        settings = fast_settings(workdir / f"faulted-{n}", replica.url)
        for cell in group:
            replica.set_faults(cell.spec(settings.read_timeout_s))
            summary = _execute(settings, cell.period, cell.province, clock)
            fired = sum(f["used"] for f in replica.state.faults.describe())
            replica.set_faults("")
            injected += fired
            res = _judge(cell, summary, settings)
            if not fired:
                res.problems.append("the replica never applied the fault")
            results.append(res)
        # build what the faulted runs landed: it must pass its checks and hold nothing rejected
        faulted = None
        if _build(settings).get("status") == "ok":
            faulted = marts_digest(settings.warehouse_path)
            leaked = _published_capture_ids(settings.warehouse_path) & _bad_capture_ids(settings)
            if leaked:
                corrupted += 1
                problems.append(f"{label}: rejected captures reached the warehouse: {sorted(leaked)[:3]}")
            bad = published_problems(settings.warehouse_path)
            if bad:
                corrupted += 1
                problems.append(f"{label}: published warehouse after faults: {bad}")
            extra = digest_extra(faulted, reference)
            if extra:
                corrupted += 1
                problems.append(f"{label}: published rows a clean run never makes: {extra}")
        # the faults clear: every cell again (what is landed is skipped), rebuild, compare
        landed_again = False
        for cell in group:
            s = _execute(settings, cell.period, cell.province, clock)
            landed_again |= any(sum(b.rows.values()) for b in s.batches)
            if not s.ok:
                problems.append(f"{cell.name}: re-run after the fault cleared failed: {s.failure_line()}")
        if landed_again or faulted is None:
            if _build(settings).get("status") != "ok":
                problems.append(f"{label}: the build after the re-run failed")
                continue
            got = marts_digest(settings.warehouse_path)
        else:  # every fault was absorbed in-run: the faulted build is the converged one
            got = faulted
        rows_lost += rows_missing(got, reference)
        diff = digest_diff(got, reference)
        if diff:
            problems.append(f"{label}: re-run did not converge to the clean warehouse: {diff}")
        torn = torn_files(settings.data_dir)
        if torn:
            problems.append(f"{label}: torn files: {torn[:3]}")
    for r in results:
        problems.extend(f"{r.cell}: {p}" for p in r.problems)
    return MatrixReport(results, injected, rows_lost, corrupted, problems, time.monotonic() - started)


# --- the summary ----------------------------------------------------------------------------------


def write_summary(path: Path, section: str, figures: dict[str, Any]) -> dict[str, Any]:
    """Merge one section's figures into the summary file and recompute the totals."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    doc.setdefault("sections", {})[section] = {
        **figures,
        "written_at": datetime.now().isoformat(timespec="seconds"),
    }
    secs = doc["sections"].values()
    doc["totals"] = {
        key: sum(int(s.get(key, 0)) for s in secs)
        for key in ("faults_injected", "runs_killed", "runs_recovered", "rows_lost", "corrupted_publishes")
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return doc


def matrix_figures(rep: MatrixReport, full: bool) -> dict[str, Any]:
    return {
        "scope": "full" if full else "reduced",
        "cells": len(rep.cells),
        "faults_injected": rep.faults_injected,
        "rows_lost": rep.rows_lost,
        "corrupted_publishes": rep.corrupted_publishes,
        "outcomes": dict(Counter(r.outcome for r in rep.cells)),
        "problems": rep.problems,
        "seconds": round(rep.seconds, 1),
        "detail": [asdict(r) for r in rep.cells],
    }


@contextmanager
def prefect_server() -> Iterator[dict[str, str]]:
    """A throw-away local Prefect API for the CLI runs (``dvc766 run`` is a Prefect flow)."""
    os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.reliability [--quick] [--trials N] [--out PATH]``: print the figures."""
    import tempfile

    from replica.server import start_replica

    ap = argparse.ArgumentParser(prog="benchmarks.reliability", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the reduced matrix (one endpoint per family)")
    ap.add_argument("--trials", type=int, default=20, help="crash trials (at least 20 for the full set)")
    ap.add_argument("--seed", type=int, default=766)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    full = not args.quick
    with (
        tempfile.TemporaryDirectory(prefix="dvc766-reliability-") as tmp,
        start_replica(now=CLOCK_START) as replica,
    ):
        work = Path(tmp)
        rep = run_matrix(replica, work / "matrix", full=full)
        doc = write_summary(args.out, "fault_matrix", matrix_figures(rep, full))
        print(f"fault matrix: {len(rep.cells)} cells, {rep.faults_injected} faults injected, "
              f"{dict(Counter(r.outcome for r in rep.cells))}, rows lost {rep.rows_lost}, "
              f"corrupted publishes {rep.corrupted_publishes}, {rep.seconds:.1f} s")  # fmt: skip
        instant = one_instant_trial(work / "instant")
        doc = write_summary(
            args.out, "one_instant", {**instant, "corrupted_publishes": instant["wrong_publishes"]}
        )
        print(f"two captures at one instant: {instant['orders']} landing orders, wrong publishes "
              f"{instant['wrong_publishes']}, {instant['seconds']:.1f} s")  # fmt: skip
        with prefect_server() as env:
            crash = crash_trials(replica, work / "crash", args.trials, seed=args.seed, base_env=env)
        doc = write_summary(args.out, "crash", crash_figures(crash))
        print(f"crash trials: {len(crash.trials)}, killed {crash.runs_killed}, recovered "
              f"{crash.runs_recovered}, rows lost {crash.rows_lost}, corrupted publishes "
              f"{crash.corrupted_publishes}, {crash.seconds:.1f} s")  # fmt: skip
    for p in rep.problems + instant["problems"] + crash.problems:
        print(f"PROBLEM {p}")
    print(f"totals: {json.dumps(doc['totals'])} -> {args.out}")
    t = doc["totals"]
    bad = rep.problems or instant["problems"] or crash.problems
    return 1 if (bad or t["rows_lost"] or t["corrupted_publishes"]) else 0


if __name__ == "__main__":
    sys.exit(main())
