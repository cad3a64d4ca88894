"""CLI handlers for the extract-and-load side: run, snapshot, watch, backfill, reland, serve, doctor.

Every argument is validated before anything is fetched or written, and before anything heavy is
imported (Prefect, pyarrow: this module imports only ``dvc766``'s light modules at the top), so a
malformed, future or before-history month, or an unknown province, is refused at once
(``dvc766.cli`` prints one line, exit 2). Then the command takes the data folder's writer lock
(:mod:`dvc766.writer_lock`: one writer per data folder; busy is exit 3), and only then starts Prefect.
A run prints its summary and exits 0 when every batch is good, 1 when any province failed, the
circuit breaker stopped it, or the warehouse build failed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from dvc766.cli import require_writable_dir
from dvc766.periods import Period, month_range, parse_closed_period, parse_month, previous_month
from dvc766.provinces import parse_provinces
from dvc766.settings import Settings
from dvc766.writer_lock import data_folder_writer

if TYPE_CHECKING:
    from flows.capture import Capture

_LANDING_NAME = re.compile(r"^(?P<scope>[^/]+)__(?P<batch>[^/]+)\.parquet$")


def _codes(provinces: str | None) -> list[str]:
    """Validated province codes (None: all 34), without importing the flows."""
    return [p.code for p in parse_provinces(provinces)]


def _writing(settings: Settings, command: str) -> Any:
    """The data folder's writer lock for ``command``, taken after the checks and before Prefect."""
    require_writable_dir(settings.data_dir)
    return data_folder_writer(settings.data_dir, command, settings.writer_wait_s)


def check_notify(settings: Settings) -> None:
    """Refuse a ``DVC766_NOTIFY`` Apprise cannot use before anything runs (one line, exit 2): a typo
    found only when the first alert is due would silence it."""
    if not settings.notify:
        return
    from dvc766.cli import UserError
    from flows.notify import NotifyConfigError, check_targets

    try:
        check_targets(settings.notify)
    except NotifyConfigError as exc:
        raise UserError(str(exc)) from None


def _run_flow(flow_obj: Any, settings: Settings, **params: Any) -> int:
    """Run a flow in-process with the configured concurrency, print its summary, map to an exit code."""
    from flows.monthly import workers
    from flows.prefect_api import prefect_api
    from flows.summary import RunFailedError, RunSummary

    with prefect_api(settings):
        state = flow_obj.with_options(task_runner=workers(settings))(**params, return_state=True)
    result = state.result(raise_on_failure=False)
    summary: RunSummary | None = None
    if isinstance(result, RunFailedError):
        summary = result.summary
    elif isinstance(result, RunSummary):
        summary = result
    if summary is None:
        print(f"dvc766 {flow_obj.name}: failed: {result}", file=sys.stderr)
        return 1
    print(summary.text())
    if not summary.ok:
        print(summary.failure_line(), file=sys.stderr)
        return 1
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``dvc766 run [--month YYYY-MM | --quarter YYYY-Qn | --year YYYY] [--provinces ...] [--no-build]``."""
    settings = Settings.from_env()
    text = args.month or getattr(args, "quarter", None) or getattr(args, "year", None)
    period = parse_closed_period(text, history_start=settings.history_start) if text else previous_month()
    codes = _codes(args.provinces)
    check_notify(settings)
    with _writing(settings, "run"):
        from flows.monthly import monthly_flow

        return _run_flow(
            monthly_flow,
            settings,
            month=period.key,
            provinces=codes,
            build=not args.no_build,
            with_closing_quarter=bool(getattr(args, "with_quarter", False)),
        )


def cmd_snapshot(args: argparse.Namespace) -> int:
    """``dvc766 snapshot [--provinces ...]``: the year-to-date views now, labelled with the month closed."""
    settings = Settings.from_env()
    codes = _codes(args.provinces)
    check_notify(settings)
    with _writing(settings, "snapshot"):
        from flows.snapshot import snapshot_flow

        return _run_flow(snapshot_flow, settings, provinces=codes, build=not getattr(args, "no_build", False))


def cmd_watch(args: argparse.Namespace) -> int:
    """``dvc766 watch [--provinces ...] [--no-build]``: this morning's figures, kept by day, and the digest."""
    from dvc766.cli import UserError
    from dvc766.watch_rules import WatchRulesError, load_rules

    settings = Settings.from_env()
    codes = _codes(args.provinces or settings.watch_provinces)  # asked, else DVC766_WATCH_PROVINCES, else 34
    try:
        load_rules(settings.watch_rules)  # a bad rules file is refused before anything is fetched
    except WatchRulesError as exc:
        raise UserError(str(exc)) from None
    check_notify(settings)
    with _writing(settings, "watch"):
        from flows.watch import watch_flow

        return _run_flow(watch_flow, settings, provinces=codes, build=not getattr(args, "no_build", False))


def cmd_backfill(args: argparse.Namespace) -> int:
    """``dvc766 backfill --from YYYY-MM --to YYYY-MM [--provinces ...] [--refresh] [--fan-out]``."""
    settings = Settings.from_env()
    periods = _months(args.from_month, args.to_month, settings)
    codes = _codes(args.provinces)
    if getattr(args, "fan_out", False) and args.chunk_months < 1:
        from dvc766.cli import UserError

        raise UserError(f"--chunk-months {args.chunk_months}: expected 1 or more")
    check_notify(settings)
    with _writing(settings, "backfill"):
        if getattr(args, "fan_out", False):
            return _fan_out(args, settings, periods[0].key, periods[-1].key, codes)
        from flows.backfill import backfill_flow

        return _run_flow(
            backfill_flow,
            settings,
            from_month=periods[0].key,
            to_month=periods[-1].key,
            provinces=codes,
            refresh=bool(args.refresh),
            build=not args.no_build,
        )


def _months(from_month: str, to_month: str, settings: Settings) -> list[Period]:
    """``flows.backfill.backfill_periods`` without importing Prefect: each end checked, inclusive."""
    first = parse_month(from_month, history_start=settings.history_start)
    last = parse_month(to_month, history_start=settings.history_start)
    return month_range(first, last)


def _fan_out(args: argparse.Namespace, settings: Settings, first: str, last: str, codes: list[str]) -> int:
    """``backfill --fan-out``: the chunks go to the work pool's workers (flows/fanout.py)."""
    from dvc766.cli import UserError
    from flows.fanout import backfill_fanout_flow
    from flows.prefect_api import configured_api_url

    if args.chunk_months < 1:
        raise UserError(f"--chunk-months {args.chunk_months}: expected 1 or more")
    if not configured_api_url():
        raise UserError(
            "--fan-out runs the months on a Prefect work pool: set PREFECT_API_URL to the server its "
            "workers poll (README: Past one machine)"
        )
    return _run_flow(
        backfill_fanout_flow,
        settings,
        from_month=first,
        to_month=last,
        provinces=codes,
        refresh=bool(args.refresh),
        chunk_months=args.chunk_months,
        build=not args.no_build,
    )


def cmd_drilldown(args: argparse.Namespace) -> int:
    """``dvc766 drilldown --province H55 --month 2026-10 [--procedures ... | --top N] [--budget N] [--refresh]``."""
    from dvc766.cli import UserError
    from dvc766.provinces import PROCEDURE_CODE_RE, get_province

    settings = Settings.from_env()
    province = get_province(args.province)
    period = parse_closed_period(args.month, history_start=settings.history_start)
    codes = [c.strip() for c in (args.procedures or "").split(",") if c.strip()] or None
    for code in codes or []:
        if not PROCEDURE_CODE_RE.fullmatch(code):
            raise UserError(f"procedure code {code!r} is not a code like 2.000815")
    if args.budget is not None and args.budget < 1:
        raise UserError(f"--budget {args.budget}: a drill-down needs a budget of at least 1 request")
    if args.top is not None and args.top < 1:
        raise UserError(f"--top {args.top}: give at least 1")
    with _writing(settings, "drilldown"):
        from flows.drilldown import drilldown_flow
        from flows.prefect_api import prefect_api

        with prefect_api(settings):
            state = drilldown_flow(
                province=province.code,
                month=period.key,
                procedures=codes,
                top=args.top,
                budget=args.budget,
                build=not args.no_build,
                refresh=bool(getattr(args, "refresh", False)),
                return_state=True,
            )
    result = state.result(raise_on_failure=False)
    if isinstance(result, UserError):
        raise result
    if not hasattr(result, "text"):
        print(f"dvc766 drilldown: failed: {result}", file=sys.stderr)
        return 1
    print(result.text())
    return 0 if result.ok else 1


def cmd_reland(args: argparse.Namespace) -> int:
    """``dvc766 reland``: rebuild landing/ from raw/ alone."""
    settings = Settings.from_env()
    with _writing(settings, "reland"):
        from flows.landing import reland
        from flows.raw_store import RawStoreError

        try:
            summary = reland(settings)
        except RawStoreError as exc:
            print(
                f"dvc766 reland: stopped, the landing zone is unchanged: {exc} — `dvc766 doctor` lists every "
                "damaged body and how to repair it",
                file=sys.stderr,
            )
            return 1
    rows = ", ".join(f"{k} {v}" for k, v in summary.rows.items())
    print(f"relanded {summary.batches} batches ({summary.captures} captures) into {settings.landing_dir}")
    print(f"rows: {rows}")
    if summary.skipped_no_batch:
        print(f"{len(summary.skipped_no_batch)} ok captures carry no batch id and were not landed")
    for path, reason in summary.unreadable_records:
        print(f"unreadable manifest record {path}: {reason}", file=sys.stderr)
    return 1 if summary.unreadable_records else 0


def cmd_serve(args: argparse.Namespace) -> int:
    """``dvc766 serve [--dry-run]``: serve the scheduled deployments (or print them)."""
    from deployments.serve import main as serve_main
    from flows.prefect_api import prefect_api

    if args.dry_run:
        return serve_main(dry_run=True)
    settings = Settings.from_env()
    require_writable_dir(settings.data_dir)
    check_notify(settings)
    with prefect_api(settings):
        return serve_main(dry_run=False)


def _expected_files(captures: list[Capture], batch_id: str, drift_mode: str) -> set[str]:
    """The landing files write_batch makes for a batch (see :func:`flows.landing.expected_files`)."""
    from flows.landing import expected_files

    return expected_files(captures, batch_id, drift_mode)


def doctor(settings: Settings) -> tuple[list[str], list[str]]:
    """(problems, notes) of the data folder, each with how to repair it.

    Checked: every manifest record is readable, has its body, and the body's sha256 matches; every
    landing Parquet file opens; every landed batch comes from raw captures, and every batch of ok
    raw captures is landed.
    """
    import pyarrow.parquet as pq

    from dvc766.storage import Store
    from flows.errors import PortalError
    from flows.raw_store import RawStore, RawStoreError

    problems: list[str] = []
    notes: list[str] = []
    store = Store.lake(settings)
    raw = RawStore(settings)
    records = raw.manifest()
    for path, reason in raw.manifest_errors:
        problems.append(
            f"raw: unreadable manifest record {path}: {reason} — move it and its body out of raw/, "
            "capture the period again (`dvc766 backfill --refresh`), then `dvc766 reland`"
        )
    ok_batches: dict[str, list[Capture]] = defaultdict(list)
    for rec in records:
        try:
            capture = raw.load(rec)
        except (RawStoreError, OSError, ValueError) as exc:
            problems.append(
                f"raw: {exc} — move {rec['path']} and its .meta.json out of raw/, capture "
                f"{rec.get('period_key')} {rec.get('scope')} again (`dvc766 backfill --refresh`), then "
                "`dvc766 reland`"
            )
            continue
        batch = (rec.get("extra") or {}).get("batch_id")
        if rec.get("outcome") == "ok" and isinstance(batch, str):
            ok_batches[batch].append(capture)
    recorded = {rec["path"] for rec in records}
    orphans = [p for p in store.list_files("raw", suffix=".json.gz") if p not in recorded]
    if orphans:
        notes.append(
            f"raw: {len(orphans)} bodies without a manifest record (a run stopped between the two); "
            "harmless — the next capture of the same body records it"
        )
    landed: dict[str, set[str]] = defaultdict(set)
    for rel in store.list_files("landing", suffix=".parquet"):
        try:
            with store.fs.open_input_file(store.path(rel)) as f:
                pq.read_metadata(f)
        except Exception as exc:  # any reason the file cannot be read is the same problem
            problems.append(f"landing: {rel} does not open ({exc}) — run `dvc766 reland`")
            continue
        m = _LANDING_NAME.match(rel.rsplit("/", 1)[-1])
        batch = m["batch"] if m else ""
        landed[batch].add(rel)
        if batch not in ok_batches:
            problems.append(f"landing: {rel} belongs to no batch in raw/ — run `dvc766 reland`")
    for batch, captures in sorted(ok_batches.items()):
        try:
            expected = _expected_files(captures, batch, settings.schema_drift)
        except PortalError as exc:
            problems.append(f"raw: batch {batch} no longer normalises ({exc}); see the capture named in it")
            continue
        for rel in sorted(expected - landed.get(batch, set())):
            problems.append(f"landing: {rel} is missing (batch {batch} is in raw/) — run `dvc766 reland`")
    notes.append(f"checked {len(records)} raw records and {sum(map(len, landed.values()))} landing files")
    return problems, notes


def cmd_doctor(args: argparse.Namespace) -> int:
    """``dvc766 doctor``: check the data folder against the manifest; exit 1 on problems."""
    settings = Settings.from_env()
    problems, notes = doctor(settings)
    for line in notes:
        print(line)
    for line in problems:
        print(f"PROBLEM {line}")
    print(f"doctor: {len(problems)} problem(s) in {settings.lake_root}")
    return 1 if problems else 0
