"""``dvc766 report``: render one province's monthly appendix from the published warehouse.

Every check (month, province, --out, warehouse, data, CSV) runs and every byte is rendered before
anything is written; files are written to a temporary name beside the target and renamed, so a failed
run leaves no file and a reader never sees half a report. ``--out`` writes report files only
(:mod:`warehouse.report_files`), and the command names every file it wrote.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from pathlib import Path

from dvc766.cli import UserError
from dvc766.periods import Period, parse_month
from dvc766.settings import Settings
from dvc766.text import has_unprintable
from warehouse.appendix_model import DEFAULT_ISSUER
from warehouse.office_figures import attach, load_office_figures

EXTENSIONS = {"docx": ".docx", "xlsx": ".xlsx", "md": ".md"}


def render(data, fmt: str, out: Path) -> dict[Path, bytes]:  # type: ignore[no-untyped-def]
    """The files of one report, by path (md has its chart PNG beside it)."""
    if fmt == "docx":
        from warehouse.render_docx import render_docx

        return {out: render_docx(data)}
    if fmt == "xlsx":
        from warehouse.render_xlsx import render_xlsx

        return {out: render_xlsx(data)}
    from warehouse.chart import chart_png
    from warehouse.render_md import render_md

    image = out.with_suffix(".png")
    return {image: chart_png(data), out: render_md(data, image.name).encode("utf-8")}


def parse_letter_date(text: str) -> date:
    """``01/11/2023`` (as officials write it) or ``2023-11-01``; anything else is a UserError."""
    t = text.strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", t)
    try:
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        return date.fromisoformat(t)
    except ValueError:
        raise UserError(
            f"--letter-date {text!r} is not a date: expected DD/MM/YYYY, e.g. 01/11/2023"
        ) from None


def build_report(
    settings: Settings,
    province: str,
    month: Period,
    fmt: str,
    out: Path | None = None,
    office_figures: Path | None = None,
    *,
    letter_number: str | None = None,
    letter_date: date | None = None,
    issuer: str = DEFAULT_ISSUER,
) -> list[Path]:
    """Render and write one report; returns every file written, the report itself last."""
    from warehouse.report_data import load_appendix  # DuckDB: imported once the arguments are good
    from warehouse.report_files import check_target, write_files

    if fmt not in EXTENSIONS:
        raise UserError(f"unknown format {fmt!r}: expected docx, xlsx or md")
    if not issuer.strip():
        raise UserError('--issuer is empty: give the issuing office, e.g. "Sở Nội vụ"')
    for text, option in ((issuer, "--issuer"), (letter_number or "", "--letter-number")):
        if has_unprintable(text):
            raise UserError(f"{option} {text!r} holds control characters; type it as it should print")
    if out is not None:
        check_target(settings, out, fmt)
        if fmt == "md":
            check_target(settings, out.with_suffix(".png"), "png", option="--out (its chart)")
    office = load_office_figures(office_figures) if office_figures else None
    data = load_appendix(settings.warehouse_path, province, month)
    attach(data, office)
    data.letter_number, data.letter_date, data.issuer = letter_number, letter_date, issuer.strip()
    target = out or settings.reports_dir / f"{data.province_code}_{month.key}{EXTENSIONS[fmt]}"
    if out is None:  # the default name is known only now (the province's code as the warehouse has it)
        check_target(settings, target, fmt, option="report")
        if fmt == "md":
            check_target(settings, target.with_suffix(".png"), "png", option="report chart")
    written = write_files(render(data, fmt, target))
    if data.score.prev_score is None and all(
        r.prev_count is None and r.prev_rate is None for r in data.summary if r.spec.kind == "figure"
    ):
        print(
            f"note: no month-end capture of {data.prev_date} ({data.previous.key}) for {data.province_code}: "
            'the columns of the previous month end read "Không có số liệu"',
            file=sys.stderr,
        )
    return written


def cmd_report(args: argparse.Namespace) -> int:
    """CLI handler: ``dvc766 report --province H55 --month 2023-10 --format docx [--out PATH]``."""
    settings = Settings.from_env()
    month = parse_month(args.month, history_start=settings.history_start)
    fmt = getattr(args, "format", None) or "docx"
    out = Path(args.out) if getattr(args, "out", None) else None
    from dvc766.cli import require_writable_dir

    require_writable_dir(out.parent if out else settings.data_dir, "report folder" if out else "data folder")
    cc = getattr(args, "office_figures", None)
    letter_date = getattr(args, "letter_date", None)
    written = build_report(
        settings,
        args.province,
        month,
        fmt,
        out,
        Path(cc) if cc else None,
        letter_number=getattr(args, "letter_number", None),
        letter_date=parse_letter_date(letter_date) if letter_date else None,
        issuer=DEFAULT_ISSUER if getattr(args, "issuer", None) is None else args.issuer,
    )
    for path in written:
        print(path)
    if not cc:
        print(
            'note: lines 3.7, 6.3 and section V read "Không có số liệu" (the portal does not publish them); '
            "give --office-figures FILE.csv to fill them (docs/office-figures.md)",
            file=sys.stderr,
        )
    return 0
