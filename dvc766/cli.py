"""The ``dvc766`` command line: one entry point, each subcommand delegating to the module that owns it.

Every way a command ends is one line on stderr (or the command's own summary) and one of these exit
codes (README, *Exit codes*):

* 0 — done;
* 1 — the work failed: a province or the portal failed, checks failed, ``doctor`` found problems, the
  lake or the disk refused (one line naming the cause; ``DVC766_TRACEBACK=1`` shows where);
* 2 — bad input: arguments, settings, files given, a refused query or ``--out``; said before anything
  is fetched or written;
* 3 — busy: another command is writing to the data folder (or building the warehouse); nothing done;
* 130 — interrupted (Ctrl-C).

Arguments are checked by the handler modules before they import anything heavy (Prefect, pyarrow,
DuckDB), so a bad argument is refused in a fraction of a second.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import typing
from collections.abc import Callable, Sequence

from dvc766.periods import PeriodError
from dvc766.provinces import UnknownProvinceError
from dvc766.settings import SettingsError
from dvc766.text import one_line
from dvc766.writer_lock import WriterBusyError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_BUSY, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UserError(Exception):
    """Bad input from the person at the keyboard: one line, exit code 2."""


BAD_INPUT = (UserError, PeriodError, UnknownProvinceError, SettingsError)


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (``dvc766 run: argument --top: invalid int value: 'x'``)
    instead of the usage block and the message."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {one_line(message)} (see {self.prog} --help)\n")


def require_writable_dir(folder: object, what: str = "data folder") -> None:
    """Raise :class:`UserError` (one line, exit 2) when ``folder`` cannot be created or written,
    *before* a command fetches or writes anything: finding out after an hour of fetching, or with
    a traceback, is worse. Creates nothing. Remote stores (``s3://...``) are left to the store."""
    import os
    from pathlib import Path

    text = str(folder)
    if "://" in text:
        return
    path = Path(text).absolute()
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        blocker = "it" if probe == path else str(probe)
        raise UserError(f"{what} {path} cannot be used: {blocker} is not a directory (Not a directory)")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"{what} {path} cannot be written: no write permission on {probe}")


# subcommand -> "module:function"; each function takes the parsed args and returns an exit code.
HANDLERS: dict[str, str] = {
    "run": "flows.commands:cmd_run",
    "snapshot": "flows.commands:cmd_snapshot",
    "watch": "flows.commands:cmd_watch",
    "backfill": "flows.commands:cmd_backfill",
    "reland": "flows.commands:cmd_reland",
    "drilldown": "flows.commands:cmd_drilldown",
    "serve": "flows.commands:cmd_serve",
    "doctor": "flows.commands:cmd_doctor",
    "status": "flows.status:cmd_status",
    "prefect-server": "flows.prefect_api:cmd_prefect_server",
    "replica": "replica.cli:cmd_replica",
    "build": "warehouse.commands:cmd_build",
    "sql": "warehouse.commands:cmd_sql",
    "report": "warehouse.report_cli:cmd_report",
    "dashboard": "warehouse.dashboard_cli:cmd_dashboard",
    "levers": "warehouse.levers_cli:cmd_levers",
}


def port(text: str) -> int:
    value = int(text)  # a ValueError reads "invalid port value: ..."
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (0..65535)")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="dvc766", description="766 index: portal → warehouse → appendix")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run", help="monthly run: fetch a month (or quarter, year) for the provinces, land, build"
    )
    which = run.add_mutually_exclusive_group()
    which.add_argument("--month", help="YYYY-MM (default: previous month, Vietnam time)")
    which.add_argument("--quarter", help="an ended quarter, YYYY-Qn (e.g. 2026-Q3)")
    which.add_argument("--year", help="an ended year, YYYY")
    run.add_argument(
        "--with-quarter", action="store_true", help="a month that closes a quarter brings the quarter too"
    )
    run.add_argument("--provinces", help="comma-separated codes, e.g. H55,H44 (default: all 34)")
    run.add_argument("--no-build", action="store_true", help="land only; skip the warehouse build")

    snap = sub.add_parser("snapshot", help="month-end capture of the year-to-date figures, taken now")
    snap.add_argument("--provinces", help="comma-separated codes (default: all 34)")
    snap.add_argument("--no-build", action="store_true")

    watch = sub.add_parser(
        "watch", help="daily watch: the running month and year to date now, what moved, the digest"
    )
    watch.add_argument(
        "--provinces", help="comma-separated codes (default: DVC766_WATCH_PROVINCES, else all 34)"
    )
    watch.add_argument("--no-build", action="store_true", help="land only; no build, no digest")

    bf = sub.add_parser("backfill", help="fetch and land a range of months (resumable)")
    bf.add_argument("--from", dest="from_month", required=True, help="YYYY-MM")
    bf.add_argument("--to", dest="to_month", required=True, help="YYYY-MM")
    bf.add_argument("--provinces", help="comma-separated codes (default: all 34)")
    bf.add_argument("--refresh", action="store_true", help="capture again periods already captured")
    bf.add_argument("--no-build", action="store_true")
    bf.add_argument(
        "--fan-out",
        action="store_true",
        help="run the months as chunks on the Prefect work pool's workers (needs PREFECT_API_URL; "
        "see README, Past one machine)",
    )
    bf.add_argument("--chunk-months", type=int, default=1, help="months per chunk with --fan-out (default 1)")

    dd = sub.add_parser(
        "drilldown", help="per-procedure figures of a province × month, within a request budget"
    )
    dd.add_argument("--province", required=True, help="province code, e.g. H55")
    dd.add_argument("--month", required=True, help="an ended month YYYY-MM (or quarter YYYY-Qn)")
    which = dd.add_mutually_exclusive_group()
    which.add_argument("--procedures", help="comma-separated procedure codes, e.g. 2.000815,1.001234")
    which.add_argument(
        "--top", type=int, help="the N procedures with most dossiers (default: all with dossiers)"
    )
    dd.add_argument("--budget", type=int, help="most requests this run may make (default: no limit)")
    dd.add_argument(
        "--refresh", action="store_true", help="ask again what earlier runs answered (the portal revises)"
    )
    dd.add_argument("--no-build", action="store_true")

    dash = sub.add_parser(
        "dashboard", help="one self-contained HTML page of a province (or all) at a month end"
    )
    dash.add_argument("--province", required=True, help="province code (H55) or all")
    dash.add_argument("--month", help="YYYY-MM (default: the latest month end in the warehouse)")
    dash.add_argument("--out", help="HTML file (default: data/reports/dashboard_<province>_<month>.html)")

    lev = sub.add_parser(
        "levers",
        help="where the points are: the units that hold most of a province's score, and what pulling them wins",
    )
    lev.add_argument("--province", required=True, help="province code, e.g. H55")
    lev.add_argument("--month", required=True, help="an ended month YYYY-MM")
    lev.add_argument("--top", help="how many levers to list and pull together (default 10)")
    lev.add_argument(
        "--ytd", action="store_true", help="the year to date at the month's end instead of the month"
    )

    sub.add_parser("reland", help="rebuild the whole landing zone from raw/ alone")
    sub.add_parser("doctor", help="check the data folder against the manifest")

    st = sub.add_parser(
        "status", help="what is published, what is late against the schedule, how the last runs went"
    )
    st.add_argument("--now", help="judge as of YYYY-MM-DDTHH:MM, Vietnam time (default: now)")
    st.add_argument("--no-prefect", action="store_true", help="do not ask the Prefect API for its runs")

    ps = sub.add_parser(
        "prefect-server", help="the long-lived local Prefect server that run/snapshot/backfill reuse"
    )
    ps.add_argument("action", choices=["status", "start", "stop"], nargs="?", default="status")

    serve = sub.add_parser("serve", help="serve the scheduled Prefect deployments")
    serve.add_argument("--dry-run", action="store_true", help="print the deployments and exit")

    rep = sub.add_parser("replica", help="run the local portal replica on 127.0.0.1")
    rep.add_argument("--port", type=port, default=8766, help="TCP port on 127.0.0.1 (0: any free port)")
    rep.add_argument("--scenario", action="append", default=[], help="scenario folder (repeatable)")
    rep.add_argument("--faults", default="", help="fault spec, e.g. 'all:5xx:2,dvc-progress-tree:waf'")
    rep.add_argument("--now", help="simulated clock YYYY-MM-DDTHH:MM (Vietnam time)")
    rep.add_argument("--seed", type=int, default=766)

    bld = sub.add_parser("build", help="build, check and atomically publish the warehouse")
    bld.add_argument(
        "--full",
        action="store_true",
        help="rebuild every year from the landing zone (default: only the years whose landing changed)",
    )

    sql = sub.add_parser("sql", help="query the published warehouse read-only")
    sql.add_argument("query")

    rpt = sub.add_parser("report", help="render the monthly appendix for a province")
    rpt.add_argument("--province", required=True)
    rpt.add_argument("--month", required=True, help="YYYY-MM")
    rpt.add_argument("--format", choices=["docx", "xlsx", "md"], default="docx")
    rpt.add_argument("--out", help="output file (default: data/reports/...)")
    office = rpt.add_mutually_exclusive_group()
    office.add_argument(
        "--office-figures",
        help="CSV of the figures the portal does not publish (lines 3.7, 6.3, section V, unit order): "
        "docs/office-figures.md",
    )
    office.add_argument(
        "--certified-copies",
        dest="office_figures",
        help="the section-V CSV of earlier versions (read as V rows)",
    )
    rpt.add_argument(
        "--letter-number",
        help='number of the letter the appendix goes with, e.g. "2590/SNV-CCHC" (default: dotted blank)',
    )
    rpt.add_argument("--letter-date", help="date of that letter, DD/MM/YYYY or YYYY-MM-DD (default: blank)")
    rpt.add_argument(
        "--issuer",
        help='the issuing office, printed in the "Kèm theo" line and set as the author (default: Sở Nội vụ)',
    )
    return p


def _resolve(target: str) -> Callable[[argparse.Namespace], int]:
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


# Prefect's temporary API server needs 20-30 s to start on a fresh home on a 2-core machine, longer
# than its default patience; and it must not phone home. Set before any Prefect import; an operator's
# own values win.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


def _say(command: str, message: str) -> None:
    print(f"dvc766 {command}: {one_line(message)}", file=sys.stderr, flush=True)


def describe_failure(exc: BaseException) -> str:
    """An unexpected error as one line: what it is and its first line, never the traceback."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}"
    return f"{name}: {text}" if text else name


def main(argv: Sequence[str] | None = None) -> int:
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    args = build_parser().parse_args(argv)
    try:
        return int(_resolve(HANDLERS[args.command])(args) or 0)
    except BAD_INPUT as exc:
        _say(args.command, str(exc))
        return EXIT_BAD_INPUT
    except WriterBusyError as exc:
        _say(args.command, f"busy: {exc}")
        return EXIT_BUSY
    except KeyboardInterrupt:
        _say(args.command, "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of our output went away (`dvc766 sql … | head`)
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the interpreter's flush at exit
        return EXIT_FAILED
    except Exception as exc:  # every other way to fail is one line too; the traceback on request
        if os.environ.get("DVC766_TRACEBACK"):
            raise
        _say(args.command, f"failed: {describe_failure(exc)} (DVC766_TRACEBACK=1 shows where)")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
