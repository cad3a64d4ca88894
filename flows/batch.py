"""One batch — a province × period, or a period's national ranking — as a plain function: fetch its
requests in order through the run's polite session, keep every capture (good or rejected) in the raw
store under the batch id, land the good ones, and say how it went (:class:`~flows.summary.BatchOutcome`).

A batch that fails part-way still lands the captures it kept under its batch id, so ``dvc766 reland``
reproduces the landing zone exactly; a retry is a new batch id (latest capture wins downstream). A
batch an earlier run was cut off in is finished under its own id (:func:`previous_batch`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from dvc766.periods import Period
from dvc766.provinces import get_province
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
    NATIONAL,
    LegacyUnit,
    PlanError,
    Request,
    api_for,
    legacy_units_for,
    national_requests,
    province_requests,
)
from flows.run_context import RunContext
from flows.summary import FAILED, NOT_PUBLISHED, OK, RELANDED, SKIPPED, BatchOutcome


class BatchFailed(Exception):
    """A batch could not be completed; ``outcome`` says which and why (the kept part is landed)."""

    def __init__(self, outcome: BatchOutcome, transient: bool = False) -> None:
        super().__init__(outcome.line())
        self.outcome = outcome
        self.transient = transient


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
        causes = ([fatal] if fatal is not None else []) + errors
        first = causes[0]
        out.status, out.error_kind = FAILED, first.kind
        out.cause = f"{first.kind}: {first}"
        if len(causes) > 1:
            out.cause += f" (+{len(causes) - 1} more)"
            out.also = [f"{e.kind}: {e}" for e in causes[1:]]  # every refused body named in the summary
        # DVC766_MAX_RETRIES=0 means no retry at any level: Prefect's batch retry would ask again
        retry = isinstance(first, TransientError) and ctx.settings.max_retries > 0
        raise BatchFailed(out, transient=retry)
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
