"""The daily watch: every morning, the running month and the year to date as the portal shows them
today, kept day by day, compared with yesterday, and told to the province in a short digest.

Why: a province acts on its score during the month, before it closes; the monthly run and the month-end
snapshot only see ended months and month ends. The watch asks, for each watched province, the running
month's seven views, plus the running month's and the year to date's national rankings once (the
year to date's carries every province's total, six group scores and rank): for one province 9
requests, for N provinces 2 + 7·N. Its captures are partial by nature — the running month, and a year
to date labelled with the running month and taken before its last day (as_of ``early``) — so they
live in ``fct_daily_*`` and ``rpt_daily_movement``, never in ``fct_unit_score``/``fct_indicator``, and
never replace a month-end figure or an ended month (the monthly run asks an ended month again rather
than skip it for a morning's capture; :func:`flows.batch.previous_batch`). On a month's last day the
morning's year to date is that day's figure, as the 22:30 month-end snapshot's is; the later of the two
stands for the month end.

The label comes from the portal's clock, as the snapshot's does: the first answer's ``Date`` header
decides which month is running (the local clock only proposes).

After landing and building, each province's digest (:mod:`warehouse.watch_digest`) is written as
Markdown and HTML beside the dashboard (``data/reports/digest_<province>_<YYYY-MM-DD>.md|.html``) and
handed to :func:`flows.digest_delivery.deliver`. A morning without new figures (the portal did not
answer, or answered exactly what it did yesterday) gets a digest that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from dvc766.periods import VN_TZ, Period, now_vn
from dvc766.settings import Settings
from dvc766.writer_lock import holds_data_folder
from flows import alerts, tasks
from flows.digest_delivery import deliver
from flows.monthly import DEFAULT_WORKERS, finish_with_build, province_codes, run_logger_info
from flows.plan import NATIONAL, national_requests
from flows.snapshot import PortalClockLabel
from flows.summary import RunSummary, conclude


def running_periods(now: datetime) -> tuple[Period, Period]:
    """(the running month, the year to date labelled with it) at ``now`` (Vietnam time)."""
    d = now.astimezone(VN_TZ).date()
    return Period.month(d.year, d.month), Period("ytd", d.year, d.month)


def _ytd_label(at: datetime) -> tuple[Period, bool]:
    return running_periods(at)[1], False


@dataclass
class DigestOutcome:
    province: str
    status: str
    markdown_path: str
    html_path: str
    delivery: str


@dataclass
class WatchSummary(RunSummary):
    """The run's summary, and what became of each province's digest."""

    watch_date: str = ""
    digests: list[DigestOutcome] = field(default_factory=list)
    digest_note: str = ""

    def lines(self) -> list[str]:
        out = super().lines()
        if self.skipped_run:
            return out
        if self.digest_note:
            out.append(f"digest: {self.digest_note}")
        for d in self.digests:
            out.append(
                f"digest {d.province} {self.watch_date} ({d.status}): {d.markdown_path}, {d.html_path}"
            )
            out.append(f"  {d.delivery}")
        return out


def watch_codes(provinces: list[str] | str | None, settings: Settings) -> list[str]:
    """The provinces to watch: those asked, else ``DVC766_WATCH_PROVINCES``, else all 34."""
    return province_codes(provinces if provinces else settings.watch_provinces)


def write_digests(settings: Settings, codes: list[str], day: date) -> list[DigestOutcome]:
    """Each province's digest for ``day`` from the published warehouse: written, then handed over."""
    from dvc766.cli import UserError
    from warehouse.report_files import check_target, write_files
    from warehouse.watch_digest import load_digest
    from warehouse.watch_digest_render import subject, to_html, to_markdown, to_text

    out = []
    for code in codes:
        digest = load_digest(settings.warehouse_path, code, day)
        markdown, page = to_markdown(digest), to_html(digest)
        stem = settings.reports_dir / f"digest_{code}_{day.isoformat()}"
        md_path, html_path = stem.with_suffix(".md"), stem.with_suffix(".html")
        try:  # report files only: never over a file dvc766 did not write as a report
            check_target(settings, md_path, "md", option="digest")
            check_target(settings, html_path, "html", option="digest")
        except UserError as exc:
            out.append(DigestOutcome(code, f"not written: {exc}", str(md_path), str(html_path), "not sent"))
            continue
        write_files({md_path: markdown.encode("utf-8"), html_path: page.encode("utf-8")})
        try:
            sent = deliver(settings, subject(digest), to_text(digest), page).line
        except Exception as exc:  # sending is never worth failing the watch over
            sent = f"not sent: {type(exc).__name__}: {exc}"
        out.append(DigestOutcome(code, digest.status, str(md_path), str(html_path), sent))
    return out


def take_watch(
    settings: Settings,
    codes: list[str],
    *,
    build: bool = True,
    use_prefect: bool = True,
    ctx: tasks.RunContext | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> WatchSummary:
    """The year to date's national ranking first (its Date header fixes the day), then the running
    month's national ranking and each province's seven views; build; write and hand over the digests."""
    ctx = ctx or tasks.make_context(settings, "watch")
    month, ytd = running_periods(now or now_vn())
    label = PortalClockLabel(ytd, False, labeller=_ytd_label)
    summary = WatchSummary(flow="watch", run_id=ctx.run_id, data_dir=settings.lake_root, provinces=codes)
    try:
        try:
            first = tasks.run_batch(ctx, ytd, NATIONAL, national_requests(ytd, settings), relabel=label)
        except tasks.BatchFailed as exc:
            first = exc.outcome
        summary.batches.append(first)
        if label.decided_from is not None:
            month = Period.month(label.period.year, label.period.number)
            if label.period.year != ytd.year and not ctx.stopped:
                # the portal's clock is in another year than ours: ask its year's ranking
                summary.batches.append(
                    tasks.collect(
                        ctx,
                        tasks.Done(tasks.fetch_and_land_national, ctx, label.period, True),
                        NATIONAL,
                        label.period,
                    )
                )
            ytd = label.period
        summary.periods = [month.key, ytd.key]
        if not ctx.stopped:
            summary.batches += tasks.run_batches(
                ctx, [month], codes, refresh=True, use_prefect=use_prefect, progress=progress
            )
    finally:
        summary.http = ctx.http_stats()
    summary.stopped = ctx.stopped
    summary.watch_date = (label.decided_from or now or now_vn()).astimezone(VN_TZ).date().isoformat()
    finish_with_build(summary, settings, build=build, use_prefect=use_prefect)
    if not build:
        summary.digest_note = "not written (--no-build: the warehouse does not hold this morning yet)"
    elif not settings.warehouse_path.exists():
        summary.digest_note = "not written: no warehouse has been published yet"
    else:
        # from what is published: a morning that did not make it there (the portal failed, the build
        # or its checks failed) gets a digest saying there are no new figures, not yesterday's again
        summary.digests = write_digests(settings, codes, date.fromisoformat(summary.watch_date))
    return summary


@flow(
    name="watch",
    task_runner=ThreadPoolTaskRunner(max_workers=DEFAULT_WORKERS),
    on_failure=[alerts.on_run_failure],
    on_crashed=[alerts.on_run_failure],
)
@holds_data_folder("watch")
def watch_flow(provinces: list[str] | None = None, build: bool = True) -> WatchSummary:
    """This morning's running month and year to date for the provinces (default:
    ``DVC766_WATCH_PROVINCES``, else all 34), kept by day, built, and each province's digest."""
    settings = Settings.from_env()
    codes = watch_codes(provinces, settings)
    say = run_logger_info()
    summary = take_watch(settings, codes, build=build, progress=say)
    for line in summary.lines()[-2 * len(summary.digests) :] if summary.digests else []:
        say(line)
    alerts.report(summary, settings)  # the data engineer's alert when the morning went wrong
    return conclude(summary)  # type: ignore[return-value]
