"""The work of every flow, as plain functions of (province, period), wrapped as Prefect tasks.

Why plain functions underneath: tests call them without Prefect (``fetch_and_land_province(ctx,
...)`` or the task's ``.fn``), and a backfill can fan out over any task runner unchanged. Prefect
adds retries, concurrency, logging and the UI; it does not own the logic.

One task per province × period (a *batch*), not per request: Prefect's per-task overhead must not
dominate a run of 34 provinces × 7 requests. A batch fetches its requests in order through the
run's one shared :class:`PoliteSession` (one politeness limit for every thread), puts every
capture — good or rejected — in the raw store with ``extra["batch_id"]``, and lands the good ones
with :func:`flows.landing.write_batch`. A batch that fails part-way still lands the captures it
kept under its batch id, so ``dvc766 reland`` reproduces the landing zone exactly; a retry is a new
batch id (latest capture wins downstream).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from dvc766.landing_schema import DATASETS
from dvc766.periods import Period
from dvc766.provinces import get_province
from dvc766.settings import Settings
from dvc766.storage import Store
from flows.capture import Capture
from flows.errors import (
    BlockedError,
    CircuitOpenError,
    NotPublishedError,
    PortalError,
    TransientError,
)
from flows.normalise import drift_of
from flows.plan import (
    LEGACY_RANKING,
    NATIONAL,
    LegacyUnit,
    PlanError,
    Request,
    api_for,
    legacy_rows,
    legacy_units_for,
    national_requests,
    province_requests,
)
from flows.summary import FAILED, NOT_PUBLISHED, OK, RELANDED, SKIPPED, BatchOutcome, describe_build

log = logging.getLogger(__name__)

LandFn = Callable[[Settings, list[Capture], str], dict[str, int]]
# Task-level retries: the HTTP layer already retries each request; one more attempt of the whole
# batch, after a pause, covers a portal that was down for a minute. Only for transient errors.
TASK_RETRIES = 1
TASK_RETRY_DELAY_S = 30.0


class BatchFailed(Exception):
    """A batch could not be completed; ``outcome`` says which and why (the kept part is landed)."""

    def __init__(self, outcome: BatchOutcome, transient: bool = False) -> None:
        super().__init__(outcome.line())
        self.outcome = outcome
        self.transient = transient


def new_run_id(flow: str) -> str:
    """Sortable and unique; safe inside batch ids and file names."""
    return f"{flow}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


class RunContext:
    """What every task of one run shares: settings, the one PoliteSession, clients and stores.

    Built once per flow run and handed to each task in-process (tasks use NO_CACHE, so it is
    never hashed or serialised). ``stop()`` records an open circuit breaker so queued batches
    make no further requests.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        flow: str = "run",
        run_id: str | None = None,
        session: Any | None = None,
        v1: Any | None = None,
        legacy: Any | None = None,
        raw: Any | None = None,
        land: LandFn | None = None,
    ) -> None:
        self.settings = settings
        self.flow = flow
        self.run_id = run_id or new_run_id(flow)
        if session is None and (v1 is None or legacy is None):
            from flows.portal_http import PoliteSession

            session = PoliteSession(settings)
        self.session = session
        if v1 is None:
            from flows.v1_client import V1Client

            v1 = V1Client(settings, session)
        if legacy is None:
            from flows.legacy_client import LegacyClient

            legacy = LegacyClient(settings, session)
        if raw is None:
            from flows.raw_store import RawStore

            raw = RawStore(settings)
        if land is None:
            from flows.landing import write_batch

            land = write_batch
        self.v1, self.legacy, self.raw, self.land = v1, legacy, raw, land
        self.stopped = ""
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}
        self._national_rows: dict[str, list[dict[str, Any]]] = {}

    def stop(self, message: str) -> None:
        with self._lock:
            self.stopped = self.stopped or message

    def http_stats(self) -> dict[str, float]:
        stats = getattr(self.session, "stats", None) or {}
        return {k: stats.get(k, 0) for k in ("requests", "retries", "blocks", "bytes")}

    def next_batch_id(self, scope: str, period: Period) -> str:
        """``<run_id>-<scope>-<period>``, with ``.aN`` from the second attempt on: never reused."""
        key = f"{scope}-{period.key}"
        with self._lock:
            n = self._attempts[key] = self._attempts.get(key, 0) + 1
        return f"{self.run_id}{'' if n == 1 else f'.a{n}'}-{key}"

    def is_landed(self, period: Period, batch_id: str) -> bool:
        """True when some landing file carries this batch id (write_batch names files by it)."""
        store = Store(self.settings.data_dir)
        for dataset in DATASETS:
            rel = f"landing/{dataset}/period_type={period.period_type}/period_key={period.key}"
            if store.list_files(rel, suffix=f"__{batch_id}.parquet"):
                return True
        return False

    def is_fully_landed(self, captures: list[Capture], batch_id: str) -> bool:
        """True when every landing file the batch's captures make exists: a batch cut off between
        two of its files (a kill, a full disk) is not done, whatever one file says."""
        from flows.landing import expected_files

        # A landing function may say which files it makes (test doubles do); write_batch's are
        # computed by flows.landing.expected_files.
        files_for = getattr(self.land, "expected_files", None) or expected_files
        try:
            expected = files_for(captures, batch_id)
        except PortalError:
            return False  # it does not normalise now: never call it done
        store = Store(self.settings.data_dir)
        return all(store.exists(rel) for rel in expected)

    def legacy_national_rows(self, period: Period) -> list[dict[str, Any]]:
        """The period's legacy national ranking rows, from the raw store (the latest ok capture)."""
        with self._lock:
            cached = self._national_rows.get(period.key)
        if cached is not None:
            return cached
        rec = self.raw.latest("legacy", LEGACY_RANKING, period.key, NATIONAL)
        if rec is None:
            raise PlanError(
                f"no legacy national ranking for {period.key}: it is needed to find the province IDs"
            )
        rows = legacy_rows(self.raw.load(rec).json())
        with self._lock:
            self._national_rows[period.key] = rows
        return rows


def make_context(settings: Settings, flow: str) -> RunContext:
    """The run's context with the real portal clients; the one place tests swap for fakes."""
    return RunContext(settings, flow=flow)


# --- one batch ---------------------------------------------------------------------------------


def keep_capture(ctx: RunContext, capture: Capture, batch_id: str, outcome: str, reason: str = "") -> Capture:
    """Put a capture in the raw store under its batch; returns the capture as stored. A rejected
    body's record says why (``reason``), so inspecting raw/ needs no log."""
    capture = replace(capture, extra={**capture.extra, "batch_id": batch_id})
    if reason:
        ctx.raw.put(capture, outcome, reason=reason)
    else:
        ctx.raw.put(capture, outcome)
    return capture


@dataclass
class Resume:
    """An earlier batch of this province × period that was cut off before it was landed."""

    batch_id: str
    carried: list[Capture]  # its ok captures, loaded from raw/
    missing: list[int]  # indexes of the requests it has no ok capture for


def previous_batch(
    ctx: RunContext, period: Period, scope: str, requests: list[Request]
) -> BatchOutcome | Resume | None:
    """What earlier runs left for this batch: done (skip it), cut off (finish it), or nothing usable.

    * every request's latest ok capture is from ONE batch that was landed: skipped;
    * the latest ok captures are all from ONE batch that was never landed (a run killed between
      raw/ and landing, or mid-batch): that batch is finished under its own id — only the missing
      requests are fetched, then the whole batch is landed — so the landing zone ends up exactly
      as ``reland`` would rebuild it and as an uninterrupted run would have left it;
    * anything else (captures spread over batches, a landed batch missing some views): None,
      fetch the whole batch again.
    """
    metas = [ctx.raw.latest(r.api, r.endpoint, period.key, r.scope) for r in requests]
    present = [m for m in metas if m is not None]
    if not present:
        return None
    batch_ids = {(m.get("extra") or {}).get("batch_id") for m in present}
    if len(batch_ids) != 1 or None in batch_ids:
        return None
    batch_id = str(batch_ids.pop())
    landed = ctx.is_landed(period, batch_id)
    if landed and len(present) != len(metas):
        return None
    carried = []
    for r in requests:
        for rec in ctx.raw.records_for(r.api, r.endpoint, period.key, r.scope):
            if rec.get("outcome") == "ok" and (rec.get("extra") or {}).get("batch_id") == batch_id:
                carried.append(ctx.raw.load(rec))
    if landed and ctx.is_fully_landed(carried, batch_id):
        return BatchOutcome(scope, period.key, SKIPPED, captures_ok=len(metas), batch_id=batch_id)
    # never landed, or cut off between its landing files: finish it under its own id (landing
    # the whole batch again writes the files it already has with the same bytes)
    missing = [i for i, m in enumerate(metas) if m is None]
    return Resume(batch_id, carried, missing)


def _same_capture(a: Capture, b: Capture) -> bool:
    return (a.capture_id, a.endpoint, a.scope, a.api) == (b.capture_id, b.endpoint, b.scope, b.api)


def _reject_at_landing(ctx: RunContext, bad: Capture, batch_id: str, exc: PortalError) -> bool:
    """The normaliser refused a capture stored as ``ok`` (e.g. a quarantine): append its new
    outcome ``rejected:<kind>`` to the raw store (append-only), so reland, doctor and later runs
    see it as rejected. False when the store cannot amend or the record is not found."""
    amend = getattr(ctx.raw, "amend_outcome", None)
    if amend is None:
        return False
    for rec in ctx.raw.records_for(bad.api, bad.endpoint, bad.period.key, bad.scope):
        if rec["capture_id"] == bad.capture_id and (rec.get("extra") or {}).get("batch_id") == batch_id:
            amend(rec, f"rejected:{exc.kind}", f"{exc.kind}: {exc}")
            return True
    return False


def _fetch(ctx: RunContext, period: Period, req: Request, unit: LegacyUnit | None) -> Capture:
    if req.api == "v1":
        province = None if req.scope == NATIONAL else get_province(req.scope)
        return ctx.v1.fetch(req.endpoint, period, province, run_id=ctx.run_id)
    tinh_id = unit.legacy_id if unit else "0"
    return ctx.legacy.fetch_ranking(period, tinh_id, req.scope, run_id=ctx.run_id)


def run_batch(
    ctx: RunContext,
    period: Period,
    scope: str,
    requests: list[Request],
    units: list[LegacyUnit] | None = None,
    *,
    relabel: Callable[[Capture], Capture] | None = None,
    resume: Resume | None = None,
) -> BatchOutcome:
    """Fetch, keep and land one batch; raises :class:`BatchFailed` (after landing what it kept).

    ``relabel`` lets the month-end snapshot fix a capture's period from the portal's clock before
    it is stored. ``resume`` finishes a batch an earlier run was cut off in (see
    :func:`previous_batch`): only its missing requests are fetched, under its batch id.
    """
    if resume is not None:
        batch_id = resume.batch_id
        requests = [requests[i] for i in resume.missing]
        units = [units[i] for i in resume.missing] if units else None
    else:
        batch_id = ctx.next_batch_id(scope, period)
    out = BatchOutcome(scope, period.key, OK, batch_id=batch_id)
    kept: list[Capture] = list(resume.carried) if resume else []
    not_published: list[str] = []
    errors: list[PortalError] = []
    fatal: PortalError | None = None
    for i, req in enumerate(requests):
        if ctx.stopped:
            fatal = CircuitOpenError(ctx.stopped)
            break
        try:
            capture = _fetch(ctx, period, req, units[i] if units else None)
        except PortalError as exc:
            if isinstance(exc.capture, Capture):
                cap = relabel(exc.capture) if relabel else exc.capture
                keep_capture(ctx, cap, batch_id, f"rejected:{exc.kind}", f"{exc.kind}: {exc}")
                out.captures_rejected += 1
            if isinstance(exc, NotPublishedError):
                not_published.append(req.endpoint)
                continue
            if isinstance(exc, CircuitOpenError):
                ctx.stop(str(exc))
            if isinstance(exc, CircuitOpenError | TransientError | BlockedError):
                fatal = exc  # the portal is struggling or refusing: stop this batch now
                break
            errors.append(exc)  # a bad body on one endpoint: the other endpoints may still be good
            continue
        if relabel:
            capture = relabel(capture)
        kept.append(keep_capture(ctx, capture, batch_id, "ok"))
    out.captures_ok = len(kept)
    if resume is not None and not requests:
        out.status = RELANDED  # everything was captured before; only the landing was missing
    landable = list(kept)
    while landable:
        try:
            out.rows = ctx.land(ctx.settings, landable, batch_id)
            out.drift = sorted({line for c in landable for line in drift_of(c, ctx.settings.schema_drift)})
            break
        except PortalError as exc:
            errors.append(exc)
            bad = exc.capture if isinstance(exc.capture, Capture) else None
            if bad is None or not _reject_at_landing(ctx, bad, batch_id, exc):
                break
            # the rest of the batch lands without it, as `reland` (ok captures only) rebuilds it
            landable = [c for c in landable if not _same_capture(c, bad)]
            out.captures_ok -= 1
            out.captures_rejected += 1
    if fatal is not None or errors:
        first = fatal or errors[0]
        out.status, out.error_kind = FAILED, first.kind
        out.cause = f"{first.kind}: {first}"
        if len(errors) + (fatal is not None) > 1:
            out.cause += f" (+{len(errors) + (fatal is not None) - 1} more)"
        raise BatchFailed(out, transient=isinstance(first, TransientError))
    if not_published:
        if not kept:
            out.status = NOT_PUBLISHED
            out.cause = "not published yet"
        else:
            out.cause = "not published yet: " + ", ".join(not_published)
    return out


def fetch_and_land_national(ctx: RunContext, period: Period, refresh: bool = False) -> BatchOutcome:
    """The period's national ranking, once per period (never once per province)."""
    requests = national_requests(period, ctx.settings)
    prev = None if refresh else previous_batch(ctx, period, NATIONAL, requests)
    if isinstance(prev, BatchOutcome):
        return prev
    return run_batch(ctx, period, NATIONAL, requests, resume=prev)


def fetch_and_land_province(
    ctx: RunContext, period: Period, province_code: str, refresh: bool = False
) -> BatchOutcome:
    """One province × period: the seven v1 views, or its legacy ranking rows (via the national IDs)."""
    units: list[LegacyUnit] | None = None
    if api_for(period, ctx.settings) == "legacy":
        try:
            units = legacy_units_for(period, province_code, ctx.legacy_national_rows(period))
        except PlanError as exc:
            out = BatchOutcome(province_code, period.key, FAILED, cause=f"plan: {exc}", error_kind="plan")
            raise BatchFailed(out) from exc
    requests = province_requests(period, province_code, ctx.settings, units)
    prev = None if refresh else previous_batch(ctx, period, province_code, requests)
    if isinstance(prev, BatchOutcome):
        return prev
    return run_batch(ctx, period, province_code, requests, units, resume=prev)


def build_warehouse(settings: Settings) -> dict[str, Any]:
    """Hand over to the warehouse build; its failure is reported, never hidden."""
    try:
        from warehouse.runner import build
    except ImportError as exc:
        log.warning("warehouse build not available (%s): landing only", exc)
        return {"status": "unavailable", "message": f"warehouse.runner not importable: {exc}"}
    try:
        return describe_build(build(settings))
    except Exception as exc:  # a failed build or check publishes nothing; say why
        return {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}


# --- Prefect wrappers ------------------------------------------------------------------------------


def retry_transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a batch only when the portal was briefly unavailable (not on bad bodies or blocks)."""
    exc = state.data if isinstance(state.data, BaseException) else None
    return isinstance(exc, BatchFailed) and exc.transient


fetch_and_land_national_task = task(
    fetch_and_land_national,
    name="fetch_and_land_national",
    task_run_name="national-{period}",
    retries=TASK_RETRIES,
    retry_delay_seconds=TASK_RETRY_DELAY_S,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)

fetch_and_land_province_task = task(
    fetch_and_land_province,
    name="fetch_and_land_province",
    task_run_name="{province_code}-{period}",
    retries=TASK_RETRIES,
    retry_delay_seconds=TASK_RETRY_DELAY_S,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)

build_warehouse_task = task(build_warehouse, name="build_warehouse", cache_policy=NO_CACHE)


# --- driving a set of batches ----------------------------------------------------------------------


class Done:
    """A finished call with the interface of a Prefect future (``result()``), for plain runs."""

    def __init__(self, fn: Callable[..., BatchOutcome], *args: Any) -> None:
        self._value: BatchOutcome | None = None
        self._exc: BaseException | None = None
        try:
            self._value = fn(*args)
        except Exception as exc:
            self._exc = exc

    def result(self) -> BatchOutcome:
        if self._exc is not None:
            raise self._exc
        assert self._value is not None
        return self._value


def collect(ctx: RunContext, future: Any, scope: str, period: Period) -> BatchOutcome:
    try:
        return future.result()
    except BatchFailed as exc:
        return exc.outcome
    except CircuitOpenError as exc:
        ctx.stop(str(exc))
        return BatchOutcome(
            scope, period.key, FAILED, cause=f"circuit_open: {exc}", error_kind="circuit_open"
        )
    except Exception as exc:  # a bug or a disk error must still be reported per batch
        return BatchOutcome(
            scope, period.key, FAILED, cause=f"{type(exc).__name__}: {exc}", error_kind="error"
        )


def run_batches(
    ctx: RunContext,
    periods: list[Period],
    province_codes: list[str],
    *,
    refresh: bool = False,
    national: bool = True,
    use_prefect: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[BatchOutcome]:
    """National rankings first (legacy province IDs come from them), then every province × period.

    With ``use_prefect`` the batches are submitted as tasks to the flow's task runner (bounded
    concurrency); otherwise they run one after the other in this thread.
    """
    say = progress or log.info

    def submit_national(period: Period) -> Any:
        if use_prefect:
            return fetch_and_land_national_task.submit(ctx, period, refresh)
        return Done(fetch_and_land_national, ctx, period, refresh)

    def submit_province(period: Period, code: str) -> Any:
        if use_prefect:
            return fetch_and_land_province_task.submit(ctx, period, code, refresh)
        return Done(fetch_and_land_province, ctx, period, code, refresh)

    outcomes: list[BatchOutcome] = []
    total = len(periods) * (int(national) + len(province_codes))
    nationals = [(p, submit_national(p)) for p in periods] if national else []
    for period, fut in nationals:
        outcomes.append(collect(ctx, fut, NATIONAL, period))
        say(f"[{len(outcomes)}/{total}] {outcomes[-1].line()}")
    if ctx.stopped:
        return outcomes
    batches = [(p, c, submit_province(p, c)) for p in periods for c in province_codes]
    for period, code, fut in batches:
        outcomes.append(collect(ctx, fut, code, period))
        say(f"[{len(outcomes)}/{total}] {outcomes[-1].line()}")
    return outcomes
