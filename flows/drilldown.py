"""The per-procedure drill-down: which administrative procedures (TTHC) pull a province's score down.

Five of the six group endpoints take a procedure filter (``formalityId``; dossier-digitized spells
it ``formalityID``; handling-satisfaction has none). One province × month × ~2,000 applied
procedures × 5 endpoints is ~10,000 requests — hours at the default pacing — so the work is planned
by **request budget** and is **resumable**:

1. the catalogue (``formalities``, paged) once a year, kept in ``raw/`` and reused;
2. one cheap request per procedure applied in the province (dvc-progress-tree, which gives its
   dossier volume), in code order;
3. the other four endpoints for the procedures that have dossiers, largest volume first (``--top N``
   limits this to the N largest).

A run makes at most ``budget`` requests and stops cleanly; the next run reads what ``raw/`` already
holds for each procedure × endpoint and asks only for the rest, in the same order — nothing fetched
twice, nothing skipped. Each procedure's captures form one batch with a fixed id
(``drilldown-<province>~<code>-<period>``), re-landed whole when it grows, so ``reland`` rebuilds
exactly the same files and a budgeted run followed by another lands what one unbudgeted run lands.

Only an answer with figures counts as answered: "not published yet" is kept in ``raw/``
(``rejected:not_published``) and asked again by the next run. A month the portal has not published
answers every request that way, so a run that gets :data:`NOT_PUBLISHED_STOP` such answers in a row
before any answer of the month with figures (here, or the province's own in ``raw/``) stops and says
so, instead of spending its budget on ~2,000 refusals. ``refresh`` asks again what earlier runs
answered (the portal revises past months): only this run's answers count, so a budgeted refresh
starts over.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prefect import flow

from dvc766.cli import UserError
from dvc766.periods import Period, parse_closed_period
from dvc766.provinces import Province, get_province, procedure_scope
from dvc766.settings import Settings
from dvc766.writer_lock import holds_data_folder
from flows.capture import Capture
from flows.errors import CircuitOpenError, NotPublishedError, PortalError
from flows.sources.v1 import parse_v1
from flows.sources.v1.settings import (
    DIGITIZED,
    FORMALITIES,
    FORMALITIES_PAGE_SIZE,
    ONLINE_TREE,
    PAYMENT_TREE,
    PROGRESS_TREE,
    TRANSPARENCY,
)
from flows.summary import build_line, formula_change_lines
from flows.tasks import build_warehouse, keep_capture, make_context
from flows.v1_client import catalogue_period

log = logging.getLogger(__name__)

VOLUME_ENDPOINT = PROGRESS_TREE  # its parent's totalReceived is the procedure's dossier volume
DETAIL_ENDPOINTS = (TRANSPARENCY, DIGITIZED, ONLINE_TREE, PAYMENT_TREE)
STOP = "stop"
DONE = ("ok",)  # a request answered for good (no need to ask again): "not published yet" is not
NOT_PUBLISHED_STOP = 3  # "not published yet" answers in a row, none with figures yet: the month is not out
PROGRESS_EVERY = 25  # a progress line every so many requests (about 40 s at the default pacing)


class DrilldownError(UserError):
    """Bad drill-down input: an unknown procedure code, a budget below 1 (one line, exit 2)."""


@dataclass(frozen=True)
class Procedure:
    formality_id: str
    code: str
    name: str


@dataclass
class DrillSummary:
    province: str
    period: str
    procedures_applied: int = 0
    requests: int = 0
    budget: int | None = None
    catalogue_pages: int = 0
    volumes_known: int = 0
    with_dossiers: int = 0  # procedures whose volume is known and not zero
    detailed: int = 0  # of those, the ones whose other endpoints are asked (all, or --top N)
    top: int | None = None
    remaining: int = 0  # requests still planned after this run
    batches_landed: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    stopped: str = ""
    build: dict[str, Any] = field(default_factory=dict)

    not_published: int = 0  # answers "not published yet" this run (none counts as answered)
    month_not_published: bool = False  # the run stopped early: the portal has not published the month
    refresh: bool = False

    @property
    def complete(self) -> bool:
        return self.remaining == 0 and not self.stopped and not self.failed and not self.month_not_published

    @property
    def ok(self) -> bool:
        """No request failed, the circuit breaker stayed closed, the build did not fail (a spent
        budget is a planned stop, not a failure)."""
        return not self.failed and not self.stopped and self.build.get("status") != "failed"

    def text(self) -> str:
        if self.top is not None and self.detailed < self.with_dossiers:
            detail = f"the {self.detailed} largest detailed (--top {self.top})"
        else:
            detail = f"all {self.detailed} detailed" if self.detailed else "none to detail"
        lines = [
            f"== drilldown {self.province} {self.period} ==",
            f"procedures applied in the province: {self.procedures_applied:,} "
            f"({self.volumes_known:,} with a known volume, {self.with_dossiers:,} with dossiers; {detail})",
            f"requests: {self.requests} made"
            + (f" of a budget of {self.budget}" if self.budget is not None else "")
            + (f" (catalogue: {self.catalogue_pages} pages)" if self.catalogue_pages else ""),
            "rows landed: "
            + (", ".join(f"{k} {v:,}" for k, v in self.rows.items() if v) or "none (nothing new)"),
        ]
        if self.refresh:
            lines.append("refresh: what earlier runs answered was asked again")
        if self.month_not_published:
            lines.append(
                f"not done: not published yet — the portal answered {self.not_published} requests for "
                f"{self.period} without figures and none with them; stopped, nothing counted as answered: run "
                "the same command again once the month is published"
            )
        elif self.remaining < 0:
            lines.append("not done: the budget ran out in the catalogue; run the same command again to go on")
        elif self.remaining:
            lines.append(f"not done: {self.remaining} requests remain; run the same command again to go on")
        else:
            lines.append("done: every planned request is answered")
        if self.not_published and not self.month_not_published:
            lines.append(
                f"  {self.not_published} answered 'not published yet': not counted as answered, asked again "
                "by the next run"
            )
        lines += [f"  FAILED {f}" for f in self.failed]
        if self.stopped:
            lines.append(f"STOPPED: {self.stopped}")
        if self.build:
            lines.append("warehouse: " + build_line(self.build))
            lines += formula_change_lines(self.build)
        return "\n".join(lines)


def batch_id_for(scope: str, period: Period) -> str:
    return f"drilldown-{scope}-{period.key}"


class Drilldown:
    """One drill-down of one province × period; :meth:`run` does the work within the budget."""

    def __init__(
        self,
        ctx: Any,
        province: Province,
        period: Period,
        budget: int | None,
        progress: Callable[[str], None] | None = None,
        progress_every: int = PROGRESS_EVERY,
        *,
        refresh: bool = False,
    ) -> None:
        self.ctx = ctx
        self.settings: Settings = ctx.settings
        self.province = province
        self.period = period
        self.budget = budget
        self.refresh = refresh
        self.summary = DrillSummary(province.code, period.key, budget=budget, refresh=refresh)
        self.answered_now: set[tuple[str, str]] = set()  # (endpoint, scope) answered with figures here
        self.touched: set[str] = set()  # batches to land: asked this run, or found in raw/
        self.grown: set[str] = set()  # batches this run added a capture to
        self.progress = progress
        self.progress_every = max(1, progress_every)
        self.stage, self.planned, self.done_in_stage = "", 0, 0

    # --- progress --------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(f"drilldown {self.province.code} {self.period.key}: {text}")

    def _begin(self, stage: str, planned: int, text: str = "") -> None:
        self.stage, self.planned, self.done_in_stage = stage, planned, 0
        if planned:
            self.say(f"{stage}: " + (text or f"{planned:,} request(s) to make"))

    def _made(self) -> None:
        """After each request: a line every ``progress_every`` requests (minutes can pass between)."""
        self.done_in_stage += 1
        if self.done_in_stage % self.progress_every == 0:
            self.say(
                f"{self.stage}: {self.done_in_stage:,}/{self.planned:,}; "
                f"{self.summary.requests:,} request(s) this run"
                + (f" of a budget of {self.budget:,}" if self.budget is not None else "")
            )

    # --- budget ----------------------------------------------------------------------------------

    def _can_ask(self) -> bool:
        if self.ctx.stopped:
            self.summary.stopped = self.ctx.stopped
            return False
        return self.budget is None or self.summary.requests < self.budget

    def _keep(self, capture: Capture, batch_id: str, outcome: str, reason: str = "") -> None:
        """Keep a capture in raw/ under its batch. The same answer asked again within the same second
        (a refresh on a frozen clock) is the capture already kept there: nothing new to keep."""
        for rec in self.ctx.raw.records_for(capture.api, capture.endpoint, capture.period.key, capture.scope):
            same = rec.get("capture_id") == capture.capture_id and rec.get("outcome") == outcome
            if same and (rec.get("extra") or {}).get("batch_id") == batch_id:
                return
        keep_capture(self.ctx, capture, batch_id, outcome, reason)

    # --- the catalogue ---------------------------------------------------------------------------

    def catalogue(self) -> list[Any] | None:
        """The procedures of the catalogue, from ``raw/`` (this year's pages) or fetched now.

        None when the budget ran out before the last page (the pages fetched are kept).
        """
        year = catalogue_period()
        pages = self._catalogue_pages(year)
        first = pages[min(pages)][0] if pages else None
        known = (first.pagination.totalPages or 0) if first is not None and first.pagination else 0
        if pages:
            self._begin("catalogue", max(0, known - len(pages)))
        else:
            self._begin(
                "catalogue", 1, f"fetching this year's procedure catalogue ({FORMALITIES_PAGE_SIZE} a page)"
            )
        total = None
        page = 1
        while True:
            if page in pages:
                body, batch = pages[page]
                total = body.pagination.totalPages if body.pagination else 0
                self.touched.add(batch)  # land it if an earlier run could not (idempotent)
            else:
                if not self._can_ask():
                    return None
                capture, total = self.ctx.v1.fetch_formalities_page(
                    page, page_size=FORMALITIES_PAGE_SIZE, run_id=self.ctx.run_id
                )
                self.summary.requests += 1
                self.summary.catalogue_pages += 1
                if self.planned <= 1 and total:
                    self.planned = total  # the first page says how many there are
                batch = f"drilldown-catalogue-{year.key}-{self.ctx.run_id}"
                self._keep(capture, batch, "ok")
                self.touched.add(batch)
                self.grown.add(batch)
                pages[page] = (parse_v1(capture), batch)
                self._made()
            if page >= (total or 0):
                break
            page += 1
        return [item for p in sorted(pages) for item in pages[p][0].data.items]

    def _catalogue_pages(self, year: Period) -> dict[int, tuple[Any, str]]:
        """This year's catalogue pages already in ``raw/`` (the latest capture of each page, with
        its batch id)."""
        out: dict[int, tuple[Any, str]] = {}
        for rec in self.ctx.raw.records_for("v1", FORMALITIES, year.key, "national"):
            req = rec.get("request") or {}
            if rec.get("outcome") != "ok" or req.get("q") or req.get("pageSize") != FORMALITIES_PAGE_SIZE:
                continue
            try:
                batch = (rec.get("extra") or {}).get("batch_id") or ""
                out[int(req.get("currentPage", 0))] = (parse_v1(self.ctx.raw.load(rec)), batch)
            except PortalError:
                continue
        return out

    # --- which procedures, in which order --------------------------------------------------------

    def unit_ids(self) -> set[str]:
        """The province's department IDs: its own and, from its latest tree capture, its units'."""
        ids = {self.province.department_id}
        rec = self.ctx.raw.latest("v1", PROGRESS_TREE, self.period.key, self.province.code)
        if rec is not None:
            try:
                body = parse_v1(self.ctx.raw.load(rec))
                ids |= {r.departmentId for r in body.rows if r.departmentId}
            except PortalError:
                pass
        return ids

    @staticmethod
    def applied(items: list[Any], unit_ids: set[str]) -> list[Procedure]:
        """Procedures some unit of the province applies (not inactive), in code order."""
        out = {
            it.code: Procedure(it.id, it.code, it.name)
            for it in items
            if it.state != "INACTIVE" and unit_ids.intersection(it.appliedDepartmentIds)
        }
        return [out[c] for c in sorted(out)]

    def _answered(self, endpoint: str, scope: str) -> dict[str, Any] | None:
        """The request's latest record when it has been answered for good, else None (with
        ``refresh``, only this run's answers count)."""
        recs = self.ctx.raw.records_for("v1", endpoint, self.period.key, scope)
        fresh = (endpoint, scope) in self.answered_now
        done = [
            r
            for r in recs
            if r.get("outcome") in DONE and (not self.refresh or fresh or r.get("run_id") == self.ctx.run_id)
        ]
        return done[-1] if done else None

    def _month_published(self) -> bool:
        """Whether ``raw/`` already holds an answer of the month with figures: the province's own
        progress tree (a monthly run's), whatever run took it."""
        return self.ctx.raw.latest("v1", VOLUME_ENDPOINT, self.period.key, self.province.code) is not None

    def volume(self, scope: str) -> int | None:
        """Dossiers received for the procedure (its progress tree's parent), once it was asked."""
        rec = self._answered(VOLUME_ENDPOINT, scope)
        if rec is None:
            return None
        if rec.get("outcome") != "ok":
            return 0
        try:
            parent = parse_v1(self.ctx.raw.load(rec)).head
        except PortalError:
            return 0
        return int(parent.totalReceived or 0) if parent is not None else 0

    # --- asking ----------------------------------------------------------------------------------

    def ask(self, proc: Procedure, endpoint: str) -> bool:
        """One request for one procedure; False when the budget or the breaker says stop."""
        return self._ask(proc, endpoint) != STOP

    def _ask(self, proc: Procedure, endpoint: str) -> str:
        """One request: ``ok``, ``not_published``, ``failed``, or ``stop`` (budget, breaker)."""
        if not self._can_ask():
            return STOP
        scope = procedure_scope(self.province.code, proc.code)
        batch = batch_id_for(scope, self.period)
        self.summary.requests += 1
        self.touched.add(batch)
        self.grown.add(batch)
        self._made()
        try:
            capture = self.ctx.v1.fetch(
                endpoint,
                self.period,
                self.province,
                run_id=self.ctx.run_id,
                formality_id=proc.formality_id,
                procedure_code=proc.code,
            )
        except PortalError as exc:
            if isinstance(exc.capture, Capture):
                self._keep(exc.capture, batch, f"rejected:{exc.kind}", f"{exc.kind}: {exc}")
            if isinstance(exc, CircuitOpenError):
                self.ctx.stop(str(exc))
                self.summary.stopped = str(exc)
                return STOP
            if isinstance(exc, NotPublishedError):
                self.summary.not_published += 1
                return "not_published"
            self.summary.failed.append(f"{proc.code} {endpoint}: {exc.kind}: {exc}")
            return "failed"
        self._keep(capture, batch, "ok")
        self.answered_now.add((endpoint, scope))
        return "ok"

    def run(self, procedures: list[str] | None = None, top: int | None = None) -> DrillSummary:
        items = self.catalogue()
        if items is None:
            self.summary.remaining = -1  # not known: the catalogue is not complete yet
            self._land()
            return self.summary
        if procedures:
            by_code = {it.code: it for it in items}
            unknown = [c for c in procedures if c not in by_code]
            if unknown:
                raise DrilldownError(
                    f"unknown procedure code(s) {', '.join(unknown)}: not in the portal's catalogue"
                )
            chosen = [Procedure(by_code[c].id, c, by_code[c].name) for c in sorted(set(procedures))]
        else:
            chosen = self.applied(items, self.unit_ids())
        self.summary.procedures_applied = len(chosen)
        scopes = {p.code: procedure_scope(self.province.code, p.code) for p in chosen}
        # 1. one request per procedure for its volume, in code order; a month the portal has not
        #    published answers "not published yet" to all of them: stop after a few in a row
        self._begin(
            "volumes", sum(1 for p in chosen if self._answered(VOLUME_ENDPOINT, scopes[p.code]) is None)
        )
        published = self._month_published()
        in_a_row = 0
        for proc in chosen:
            if self._answered(VOLUME_ENDPOINT, scopes[proc.code]) is not None:
                published = True
                continue
            answer = self._ask(proc, VOLUME_ENDPOINT)
            if answer == STOP:
                break
            published |= answer == "ok"
            in_a_row = in_a_row + 1 if answer == "not_published" else 0
            if not published and in_a_row >= NOT_PUBLISHED_STOP:
                self.summary.month_not_published = True
                self.say(f"not published yet: {in_a_row} answers in a row without figures; stopping")
                break
        volumes = {p.code: self.volume(scopes[p.code]) for p in chosen}
        known = [p for p in chosen if volumes[p.code] is not None]
        self.summary.volumes_known = len(known)
        # 2. the other endpoints for procedures with dossiers, largest first
        ranked = sorted((p for p in known if volumes[p.code]), key=lambda p: (-volumes[p.code], p.code))
        if self.summary.month_not_published:
            ranked = []  # nothing to ask of a month not out yet
        self.summary.with_dossiers = len(ranked)
        self.summary.top = top
        if top is not None:
            ranked = ranked[:top]
        self.summary.detailed = len(ranked)
        planned = [
            (p, e) for p in ranked for e in DETAIL_ENDPOINTS if self._answered(e, scopes[p.code]) is None
        ]
        self._begin("details", len(planned))
        stopped_at = len(planned)
        for i, (proc, endpoint) in enumerate(planned):
            if not self.ask(proc, endpoint):
                stopped_at = i
                break
        # at least this many: stage 2 of a procedure is sized only once its volume is known
        self.summary.remaining = (len(chosen) - len(known)) + (len(planned) - stopped_at)
        self._land()
        return self.summary

    # --- landing ---------------------------------------------------------------------------------

    def _land(self) -> None:
        """Land every batch this run added to: all its ok captures, from ``raw/`` (so a batch grown
        over several runs lands whole, as reland would)."""
        from flows.landing import write_batch

        rows: dict[str, int] = {}
        for batch in sorted(self.touched):
            captures = self._batch_captures(batch)
            if not captures:
                continue
            if batch not in self.grown and self.ctx.is_fully_landed(captures, batch):
                continue  # found in raw/ and landed by an earlier run: nothing to land, nothing to count
            try:
                counts = write_batch(self.settings, captures, batch)
            except PortalError as exc:
                self.summary.failed.append(f"landing {batch}: {exc.kind}: {exc}")
                continue
            self.summary.batches_landed += 1
            for k, v in counts.items():
                rows[k] = rows.get(k, 0) + v
        self.summary.rows = rows

    def _batch_captures(self, batch: str) -> list[Capture]:
        if batch.startswith("drilldown-catalogue-"):
            year = batch.removeprefix("drilldown-catalogue-")[:4]
            recs = self.ctx.raw.records_for("v1", FORMALITIES, year, "national")
        else:
            scope = batch.removeprefix("drilldown-").removesuffix(f"-{self.period.key}")
            recs = [
                r
                for e in (VOLUME_ENDPOINT, *DETAIL_ENDPOINTS)
                for r in self.ctx.raw.records_for("v1", e, self.period.key, scope)
            ]
        latest: dict[str, dict[str, Any]] = {}
        for r in recs:
            if (r.get("extra") or {}).get("batch_id") == batch:
                latest[r["capture_id"]] = r  # the newest record of a capture counts
        return [self.ctx.raw.load(r) for r in latest.values() if r.get("outcome") == "ok"]


def run_drilldown(
    settings: Settings,
    province_code: str,
    period: Period,
    *,
    procedures: list[str] | None = None,
    top: int | None = None,
    budget: int | None = None,
    build: bool = True,
    ctx: Any = None,
    builder: Callable[[Settings], dict[str, Any]] | None = None,
    progress: Callable[[str], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
    refresh: bool = False,
) -> DrillSummary:
    """The drill-down as a plain function (the flow and the tests call it). ``progress`` hears a line
    at each stage and every ``progress_every`` requests (the CLI's flow: stderr)."""
    if budget is not None and budget < 1:
        raise DrilldownError(f"budget {budget}: a drill-down needs a budget of at least 1 request")
    if top is not None and top < 1:
        raise DrilldownError(f"--top {top}: give at least 1")
    ctx = ctx or make_context(settings, "drilldown")
    drill = Drilldown(
        ctx, get_province(province_code), period, budget, progress, progress_every, refresh=refresh
    )
    summary = drill.run(procedures, top)
    if build and summary.batches_landed:
        summary.build = (builder or build_warehouse)(settings)
    return summary


# --- Prefect ----------------------------------------------------------------------------------------


@flow(name="drilldown")
@holds_data_folder("drilldown")
def drilldown_flow(
    province: str,
    month: str,
    procedures: list[str] | None = None,
    top: int | None = None,
    budget: int | None = None,
    build: bool = True,
    refresh: bool = False,
) -> DrillSummary:
    """The per-procedure drill-down of one province × month, within a request budget."""
    settings = Settings.from_env()
    period = parse_closed_period(month, history_start=settings.history_start)
    return run_drilldown(
        settings, province, period, procedures=procedures, top=top, budget=budget, build=build,
        progress=_on_stderr, refresh=refresh,
    )  # fmt: skip


def _on_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
