"""``dvc766 levers --province H55 --month 2026-10 [--top N] [--ytd]``: the largest levers of a
province's score, in Vietnamese, and the score and national rank it would reach by pulling the top N.

Why this module imports nothing heavy at the top: a mistyped month or province must be refused in a
blink, with one line and exit code 2, before DuckDB and pyarrow load (``warehouse.levers`` holds the
reading and the simulation).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from dvc766.cli import UserError
from dvc766.periods import Period, parse_month
from dvc766.provinces import get_province, normalise_code
from dvc766.settings import Settings

if TYPE_CHECKING:
    from warehouse.levers import LeverReport

DEFAULT_TOP = 10
MAX_TOP = 1000


def _top(value: object) -> int:
    text = str(value if value is not None else DEFAULT_TOP).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_TOP:
        raise UserError(f"--top {value!r} is not a whole number from 1 to {MAX_TOP}")
    return int(text)


def period_label(period: Period) -> str:
    if period.period_type == "ytd":
        return f"lũy kế đến hết tháng {period.end.month}/{period.end.year}"
    return f"tháng {period.number}/{period.year}"


def render_levers(report: LeverReport) -> list[str]:
    """The report as the lines a Sở Nội vụ reads (numbers written the Vietnamese way)."""
    from warehouse.numbers_vi import format_change, format_number

    def pts(x: float | None) -> str:
        return "không có số liệu" if x is None else format_number(x, 2)

    out = []
    head = f"{report.province_name} ({report.province_code}), {period_label(report.period)}: "
    if report.total_score is None:
        head += "Cổng chưa cho điểm tổng của tỉnh kỳ này."
    else:
        head += f"{pts(report.total_score)} điểm"
        head += f", hạng {report.rank}/{report.ranked} toàn quốc." if report.rank else "."
    out.append(head)
    for code in report.changed_formulas:
        out.append(
            f"Lưu ý: Cổng đã đổi công thức tính điểm {code}; số điểm dưới đây tính theo công thức cũ "
            "(docs/scoring.md)."
        )
    if not report.levers:
        out.append("Không có đơn vị nào giữ điểm của tỉnh ở các chỉ số tính được.")
    else:
        out.append(
            f"{len(report.levers)} đòn bẩy lớn nhất (điểm của tỉnh tăng thêm nếu riêng đơn vị đó đạt mục "
            "tiêu của chỉ số):"
        )
        for i, lever in enumerate(report.levers, start=1):
            group = report.group_labels.get(lever.group_code, lever.group_code)
            out.append(
                f"  {i}. {lever.unit_name}: {format_number(lever.counts_to_change)} {lever.change_label_vi} "
                f"→ +{format_number(lever.points_at_stake, 2)} điểm ({group})"
            )
        if report.new_total is not None and report.total_score is not None:
            line = (
                f"Nếu cả {len(report.levers)} đòn bẩy trên cùng đạt mục tiêu: {pts(report.new_total)} điểm "
                f"({format_change(report.new_total - report.total_score, 2)})"
            )
            if report.new_rank is not None:
                line += (
                    f", hạng {report.new_rank}/{report.ranked} toàn quốc (so với điểm hiện tại của "
                    f"{len(report.others)} tỉnh khác)"
                )
            out.append(line + ".")
    if report.procedures:
        out.append("Thủ tục hành chính giữ nhiều điểm nhất của tỉnh (theo số liệu từng thủ tục):")
        for p in report.procedures:
            name = (
                " ".join(x for x in (p.formality_code, p.formality_name) if x)
                or "(thủ tục chưa có trong danh mục đã tải)"
            )
            out.append(
                f"  - {name}: {format_number(p.counts_to_change)} {p.change_label_vi} "
                f"→ +{format_number(p.points_at_stake, 2)} điểm"
            )
    if report.not_computed:
        parts = [f"{report.group_labels.get(g, g)} ({why})" for g, why in report.not_computed.items()]
        out.append("Chưa tính được: " + "; ".join(parts) + ".")
    return out


def cmd_levers(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """CLI handler: validate everything first (one line, exit 2), then read the warehouse."""
    out = out or sys.stdout
    settings = Settings.from_env()
    province = get_province(normalise_code(str(args.province or ""))).code
    month = parse_month(args.month, history_start=settings.history_start)
    top = _top(getattr(args, "top", None))
    period = Period("ytd", month.year, month.number) if getattr(args, "ytd", False) else month
    from warehouse.levers import load_levers

    report = load_levers(settings.warehouse_path, province, period, top)
    print("\n".join(render_levers(report)), file=out)
    return 0
