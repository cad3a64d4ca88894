"""The short account every run ends with: what was asked, what was kept, what landed, what failed.

Why a dataclass and not log lines: the CLI prints it, tests assert on it (requests made on a second
backfill must be zero), and the flow's failed state carries it so nothing is lost when the run
fails. Everything in it is plain data, so it pickles and travels through Prefect states.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dvc766.landing_schema import DATASETS

# Batch statuses: what happened to one province (or the national ranking) × period.
OK = "ok"  # fetched and landed
SKIPPED = "skipped"  # already captured and landed by an earlier run (resumable backfill)
RELANDED = "relanded"  # captured earlier but never landed (run killed between the two): landed from raw/
NOT_PUBLISHED = "not_published"  # the portal has nothing for the period yet; nothing landed as zeros
FAILED = "failed"


@dataclass
class BatchOutcome:
    """What happened to one batch (province × period, or the national ranking of a period)."""

    scope: str
    period_key: str
    status: str
    captures_ok: int = 0
    captures_rejected: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    cause: str = ""  # for failures: the error kind and message; for others, notes
    error_kind: str = ""
    batch_id: str = ""
    drift: list[str] = field(default_factory=list)  # fields the contract did not know (landed anyway)
    also: list[str] = field(default_factory=list)  # a failed batch's other causes (each refused body named)

    def line(self) -> str:
        rows = sum(self.rows.values())
        text = f"{self.scope} {self.period_key}: {self.status}"
        if self.status in (OK, RELANDED):
            text += f" ({self.captures_ok} captures, {rows} rows)"
        if self.cause:
            text += f" — {self.cause}"
        return text


@dataclass
class RunSummary:
    """Totals of one run; :meth:`lines` is what the CLI prints."""

    flow: str
    run_id: str
    data_dir: str  # where raw/ and landing/ are (the lake: the data folder or a bucket)
    periods: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)
    batches: list[BatchOutcome] = field(default_factory=list)
    http: dict[str, float] = field(default_factory=dict)
    stopped: str = ""  # set when the circuit breaker stopped the run
    skipped_run: str = ""  # set when the flow decided not to run at all (month-end schedule)
    build: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # a fan-out's batches are its chunk runs; their requests and rows are in each chunk's own summary
    chunked: bool = False
    # the scheduled windows (dvc766.schedule): a window that closed without what it was for (the run
    # then fails), or the portal not having published yet while the window still retries
    missed: str = ""
    waiting: str = ""
    # what telling someone gave (flows.alerts): channels reached or failed, a run log not written
    notices: list[str] = field(default_factory=list)

    # --- derived totals ---------------------------------------------------------------------

    @property
    def failed(self) -> list[BatchOutcome]:
        return [b for b in self.batches if b.status == FAILED]

    @property
    def ok(self) -> bool:
        """A run is good when no batch failed, the breaker stayed closed, the build did not fail and no
        window of the schedule closed without what it was for."""
        return (
            not self.failed and not self.stopped and self.build.get("status") != "failed" and not self.missed
        )

    @property
    def requests(self) -> int:
        return int(self.http.get("requests", 0))

    def rows_landed(self) -> dict[str, int]:
        out = dict.fromkeys(DATASETS, 0)
        for b in self.batches:
            for k, v in b.rows.items():
                out[k] = out.get(k, 0) + v
        return out

    def status_counts(self) -> Counter[str]:
        return Counter(b.status for b in self.batches)

    # --- text ----------------------------------------------------------------------------------

    def failure_line(self) -> str:
        parts = [f"{b.scope} {b.period_key} ({b.cause})" for b in self.failed]
        if self.stopped:
            parts.insert(0, self.stopped)
        if self.build.get("status") == "failed":
            parts.append(f"warehouse build: {self.build.get('message', '')}")
        if self.missed:
            parts.append(self.missed)
        return f"{self.flow} run {self.run_id} failed: " + "; ".join(parts)

    def lines(self) -> list[str]:
        out = [f"== {self.flow} run {self.run_id} =="]
        if self.skipped_run:
            out.append(f"not run: {self.skipped_run}")
            return out
        if self.periods:
            out.append(f"periods: {', '.join(self.periods)}")
        if self.chunked:
            return out + self._chunk_lines()
        h = self.http
        out.append(
            f"requests: {int(h.get('requests', 0))} made, {int(h.get('retries', 0))} retries, "
            f"{int(h.get('blocks', 0))} blocks, {int(h.get('bytes', 0)):,} bytes"
        )
        kept_ok = sum(b.captures_ok for b in self.batches if b.status != SKIPPED)
        kept_rej = sum(b.captures_rejected for b in self.batches)
        out.append(f"captures kept in raw/: {kept_ok} ok, {kept_rej} rejected")
        rows = self.rows_landed()
        out.append("rows landed: " + ", ".join(f"{k} {v}" for k, v in rows.items()))
        counts = self.status_counts()
        out.append("batches: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"))
        prov_status = self._province_status()
        good = sorted(p for p, s in prov_status.items() if s)
        bad = sorted(p for p, s in prov_status.items() if not s)
        out.append(f"provinces ok: {len(good)}" + (f" ({', '.join(good)})" if 0 < len(good) <= 10 else ""))
        if bad:
            out.append(f"provinces failed: {len(bad)} ({', '.join(bad)})")
        untouched = sorted(set(self.provinces) - set(prov_status))
        if untouched:
            out.append(f"provinces not attempted: {len(untouched)} ({', '.join(untouched)})")
        for b in self.failed:
            out.append(f"  FAILED {b.scope} {b.period_key}: {b.cause}")
            out.extend(f"    also: {c}" for c in b.also)
        for b in self.batches:
            if b.status == NOT_PUBLISHED:
                out.append(f"  not published yet: {b.scope} {b.period_key} ({b.cause})")
        drift = sorted({line for b in self.batches for line in b.drift})
        if drift:
            out.append(
                f"schema drift: {len(drift)} new field(s) seen; known fields landed (table schema_drift)"
            )
            out.extend(f"  {line}" for line in drift)
        if self.stopped:
            out.append(f"STOPPED: {self.stopped}")
        out.extend(f"warning: {w}" for w in self.warnings)
        out.append("warehouse: " + self._build_line())
        out.extend(formula_change_lines(self.build))
        out.append(f"files: {self.data_dir}/raw (bodies + manifest), {self.data_dir}/landing (Parquet)")
        return out + self._window_lines()

    def _window_lines(self) -> list[str]:
        out = [f"MISSED: {self.missed}"] if self.missed else []
        if self.waiting:
            out.append(f"waiting: {self.waiting}")
        return out + self.notices

    @property
    def formula_changes(self) -> list[dict[str, Any]]:
        """Scores the portal no longer computes by the seed's formula (``warehouse.score_check``), as
        the build found them: plain dicts an alert can send."""
        return list(self.build.get("formula_changes") or [])

    def _chunk_lines(self) -> list[str]:
        counts = self.status_counts()
        out = [
            f"provinces: {', '.join(self.provinces) if len(self.provinces) <= 10 else len(self.provinces)}"
        ]
        out.append("chunks: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"))
        out.append("  each chunk's requests, captures and rows: its own summary, in its flow run's logs")
        out.extend(f"  FAILED {b.scope}: {b.cause}" for b in self.failed)
        if self.stopped:
            out.append(f"STOPPED: {self.stopped}")
        out.append("warehouse: " + self._build_line())
        out.extend(formula_change_lines(self.build))
        out.append(f"files: {self.data_dir}/raw (bodies + manifest), {self.data_dir}/landing (Parquet)")
        return out + self._window_lines()

    def _province_status(self) -> dict[str, bool]:
        status: dict[str, bool] = {}
        for b in self.batches:
            if b.scope == "national":
                continue
            status[b.scope] = status.get(b.scope, True) and b.status != FAILED
        return status

    def _build_line(self) -> str:
        return build_line(self.build)

    def text(self) -> str:
        return "\n".join(self.lines())


def build_line(b: dict[str, Any]) -> str:
    """What a run's summary says of the warehouse build (``describe_build``'s dict, or a skip)."""
    if not b:
        return "not built (--no-build)"
    if b.get("status") == "ok":
        warnings = b.get("warnings") or []
        if isinstance(warnings, int):  # a summary pickled before warnings were named
            warnings = [f"{warnings} check(s)"] if warnings else []
        text = f"built {b.get('path')}: checks {b.get('checks_passed')}/{b.get('checks_total')} passed"
        if warnings:
            text += f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}: " + "; ".join(warnings)
        return text
    return f"{b.get('status')}: {b.get('message', '')}"


def formula_change_lines(b: dict[str, Any]) -> list[str]:
    """The build's score-formula changes, one line each (``warehouse.score_check.change_line``)."""
    changes = b.get("formula_changes") or []
    if not changes:
        return []
    from warehouse.score_check import change_line

    return [f"SCORE FORMULA CHANGED: {change_line(c)}" for c in changes]


def describe_build(result: Any) -> dict[str, Any]:
    """Plain-data view of ``warehouse.runner.BuildResult`` for the summary."""
    checks = list(getattr(result, "checks", []) or [])
    return {
        "status": "ok",
        "path": str(getattr(result, "warehouse_path", "")),
        "checks_passed": int(getattr(result, "checks_passed", 0)),
        "checks_total": len(checks),
        # named, as `dvc766 build` names them: "portal_score_delta_matches_change (warn): 34 offending rows"
        "warnings": [w.describe() for w in getattr(result, "warnings", []) or []],
        "tables": dict(getattr(result, "tables", {}) or {}),
        "formula_changes": [dict(c) for c in getattr(result, "formula_changes", []) or []],
    }


class RunFailedError(Exception):
    """Raised by a flow whose run failed, carrying the summary so the CLI can still print it."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(summary.failure_line())
        self.summary = summary


def conclude(summary: RunSummary) -> RunSummary:
    """Return the summary of a good run; raise for a failed one (the flow run then ends Failed)."""
    if not summary.ok:
        raise RunFailedError(summary)
    return summary
