"""The reduced fault matrix (CI): every fault kind on one endpoint of every family, against the replica.

Each cell must either land correct data after retries or fail its province with the cause named in
the run summary, keep the bad body in raw/ as ``rejected:<kind>``, publish nothing built from it,
and converge (after the fault clears) to the warehouse a clean run builds, row for row. The full
matrix (every endpoint) runs on demand: ``python -m benchmarks.reliability``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.reliability import matrix_cells, matrix_figures, run_matrix, write_summary
from benchmarks.reliability_common import CLOCK_START, EXPECT, FAMILIES, KINDS, PERIOD_BEARING, applies
from replica.server import start_replica


def test_reduced_matrix_covers_every_kind_on_every_family_without_sharing_provinces() -> None:
    cells = matrix_cells(full=False)
    tried = {(k, f) for k in KINDS for f, eps in FAMILIES.items() if applies(k, eps[0])}
    assert {(c.kind, c.family) for c in cells} == tried
    assert len(cells) == len(tried)
    # a wrong period is tried where a body charts its months (the legacy rows and Shape A carry none)
    assert {c.family for c in cells if c.kind == "wrong-period"} == {"service-results", "tree"}
    full = matrix_cells(full=True)
    assert {c.endpoint for c in full} == {e for eps in FAMILIES.values() for e in eps}
    assert {c.endpoint for c in full if c.kind == "wrong-period"} == set(PERIOD_BEARING)
    assert len({c.province for c in cells}) >= 1


def test_sampled_matrix_has_every_kind_once_and_every_family() -> None:
    cells = matrix_cells(full=False, sample=True)
    assert sorted(c.kind for c in cells) == sorted(KINDS)
    assert {c.family for c in cells} == set(FAMILIES) - {"legacy"}
    assert all(applies(c.kind, c.endpoint) for c in cells)


def test_sampled_fault_matrix_recovers_or_rejects_and_converges(tmp_path: Path) -> None:
    """The default suite: every fault kind once (families in turn), the whole judgement."""
    with start_replica(now=CLOCK_START) as replica:
        report = run_matrix(replica, tmp_path / "matrix", full=False, sample=True)
    assert report.problems == []
    outcomes = Counter(r.outcome for r in report.cells)
    assert outcomes["recovered"] == sum(1 for k in KINDS if EXPECT[k] == "recover")
    for kind, expected in EXPECT.items():
        if expected != "recover":
            assert outcomes[f"rejected:{expected}"] == 1, kind
    assert all(r.rejected_records for r in report.cells if r.outcome.startswith("rejected:"))
    assert report.faults_injected >= len(report.cells)
    assert report.rows_lost == 0 and report.corrupted_publishes == 0


@pytest.mark.ondemand
def test_reduced_fault_matrix_recovers_or_rejects_and_converges(tmp_path: Path) -> None:
    with start_replica(now=CLOCK_START) as replica:
        report = run_matrix(replica, tmp_path / "matrix", full=False)
    assert report.problems == []
    outcomes = Counter(r.outcome for r in report.cells)
    recover = sum(1 for k in KINDS if EXPECT[k] == "recover") * len(FAMILIES)  # transient: every family
    assert outcomes["recovered"] == recover
    for kind, expected in EXPECT.items():
        if expected != "recover":
            tried = sum(1 for eps in FAMILIES.values() if applies(kind, eps[0]))
            assert outcomes[f"rejected:{expected}"] == tried, kind
    # every rejected cell kept the body it refused, for inspection
    assert all(r.rejected_records for r in report.cells if r.outcome.startswith("rejected:"))
    assert report.faults_injected >= len(report.cells)
    assert report.rows_lost == 0 and report.corrupted_publishes == 0

    out = tmp_path / "reliability.json"
    doc = write_summary(out, "fault_matrix", matrix_figures(report, full=False))
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved == doc
    assert saved["totals"]["rows_lost"] == 0 and saved["totals"]["corrupted_publishes"] == 0
    assert saved["totals"]["faults_injected"] == report.faults_injected


@pytest.mark.ondemand
def test_full_fault_matrix(tmp_path: Path) -> None:
    with start_replica(now=CLOCK_START) as replica:
        report = run_matrix(replica, tmp_path / "matrix", full=True)
    assert report.problems == []
    assert report.rows_lost == 0 and report.corrupted_publishes == 0
