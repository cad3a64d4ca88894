"""``dvc766 dashboard``'s arguments, checked before the page's heavy modules are imported.

Why apart from :mod:`warehouse.dashboard`: that module imports plotly, pandas and DuckDB (about a second
on a loaded machine), and a mistyped month or ``--out`` must be refused at once. The checks here are the
cheap ones (month, province, ``--out``); :func:`warehouse.dashboard.cmd_dashboard` makes the page.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dvc766.periods import parse_month
from dvc766.provinces import get_province
from dvc766.settings import Settings


def cmd_dashboard(args: argparse.Namespace) -> int:
    """``dvc766 dashboard --province H55|all [--month YYYY-MM] [--out PATH]``."""
    from warehouse.report_files import check_target

    settings = Settings.from_env()
    if args.province.strip().lower() != "all":
        get_province(args.province.strip())
    if args.month:
        parse_month(args.month, history_start=settings.history_start)
    if args.out:
        check_target(settings, Path(args.out), "html")
    from warehouse.dashboard import cmd_dashboard as make_dashboard

    return make_dashboard(args)
