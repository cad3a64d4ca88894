"""The appendix's chart page: a province's total and six group scores, and its national rank, at each
month end, the same year-to-date figures Table I prints on its score line.

Why the year-to-date figures: the chart stands beside Table I, whose score line gives the score and rank
to date at each month end; a chart of month scores would show other numbers under the same heading.
``chart_series`` is what is plotted, so a test can hold it against the table. Drawn at its printed size
(165 mm wide) in the document's serif (Times New Roman where installed, else DejaVu Serif, which has every
Vietnamese letter; Debian's Liberation Serif lacks the stacked diacritics), so every label prints at 9 pt
or more. Rendered with matplotlib's Agg backend to PNG bytes deterministically
(fixed size and DPI, no timestamp or version in the file). A month end not captured is a gap, not a zero;
month ends before the first captured one are left out, so the axis spans only what was seen.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from warehouse.appendix_model import GROUP_SCORES, AppendixData, ScorePoint, vn_day  # noqa: E402
from warehouse.numbers_vi import format_number  # noqa: E402

GROUP_LABELS = {
    "score_ckmb": "Công khai, minh bạch",
    "score_tdgq": "Tiến độ giải quyết",
    "score_clgq": "Dịch vụ công trực tuyến",
    "score_tttt": "Thanh toán trực tuyến",
    "score_mdhl": "Mức độ hài lòng",
    "score_mdsh": "Số hóa hồ sơ",
}
CHART_WIDTH_MM = 165  # the text width of the A4 page (210 − 30 − 15 mm)
_HEIGHT_MM = 140
_DPI = 200
FONT_PT = 10  # every label; the legend and notes at 9


@functools.cache
def chart_font() -> str:
    """Times New Roman if this machine has it, else DejaVu Serif (shipped with matplotlib)."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    return "Times New Roman" if "Times New Roman" in names else "DejaVu Serif"


@dataclass(frozen=True)
class ChartSeries:
    """What the chart plots, point by point (oldest month end first)."""

    labels: list[str]  # the month ends, "30/9/2026"
    points: list[ScorePoint]


def chart_series(data: AppendixData) -> ChartSeries:
    """The month ends the chart shows (``AppendixData.chart_points``), with their labels."""
    points = data.chart_points
    return ChartSeries([vn_day(p.month.end) for p in points], points)


def _num(v: object) -> float:
    return math.nan if v is None else float(v)  # type: ignore[arg-type]


def chart_png(data: AppendixData) -> bytes:
    """PNG of ``chart_series(data)``."""
    series = chart_series(data)
    points, labels = series.points, series.labels
    x = list(range(len(points)))
    style = {
        "font.family": chart_font(),
        "font.size": FONT_PT,
        "svg.hashsalt": "dvc766",
    }
    with plt.rc_context(style):
        # Two panels on one time axis: the scores (0–100) above, the rank (1 at the top) below, so
        # neither set of labels lands on the other's line.
        fig, (ax, rank_ax) = plt.subplots(2, 1, sharex=True, figsize=(CHART_WIDTH_MM / 25.4, _HEIGHT_MM / 25.4),
                                          dpi=_DPI, gridspec_kw={"height_ratios": [3, 1.2]})  # fmt: skip
        totals = [_num(p.total) for p in points]
        ax.plot(x, totals, marker="o", linewidth=2.2, color="black", label="Điểm tổng hợp")
        for i, v in enumerate(totals):
            if not math.isnan(v):
                ax.annotate(format_number(points[i].total, 2), (i, v), textcoords="offset points",
                            xytext=(0, 6), ha="center", fontsize=FONT_PT, fontweight="bold")  # fmt: skip
        for key in GROUP_SCORES:
            ax.plot(x, [_num(p.groups.get(key)) for p in points], marker=".", linewidth=1.2,
                    label=GROUP_LABELS[key])  # fmt: skip
        ax.set_ylim(0, 105)
        ax.set_ylabel("Điểm (lũy kế từ đầu năm)")
        ax.grid(True, axis="y", alpha=0.3)
        ranks = [_num(p.rank) for p in points]
        rank_ax.plot(x, ranks, linestyle="--", marker="s", color="tab:red", label="Xếp hạng toàn quốc")
        for i, v in enumerate(ranks):
            if not math.isnan(v):
                rank_ax.annotate(f"{int(v)}", (i, v), textcoords="offset points", xytext=(0, 6), ha="center",
                                 fontsize=FONT_PT, color="tab:red", fontweight="bold")  # fmt: skip
        size = max((p.rank_size or 0 for p in points), default=0) or data.score.curr_size or 34
        rank_ax.set_ylim(size + 1, -size * 0.25)  # rank 1 at the top, room for the labels above it
        rank_ax.set_yticks([1, (size + 1) // 2, size])
        rank_ax.set_ylabel(f"Hạng / {size}")
        rank_ax.grid(True, axis="y", alpha=0.3)
        rank_ax.set_xticks(x, labels)
        rank_ax.set_xlim(-0.5, len(points) - 0.5)
        if len(points) > 6:
            plt.setp(rank_ax.get_xticklabels(), rotation=45, ha="right")
        missing = [labels[i] for i, p in enumerate(points) if p.total is None]
        if missing:
            ax.text(0.01, 0.02, "Không có số liệu ngày: " + ", ".join(missing), transform=ax.transAxes,
                    fontsize=9, color="dimgray")  # fmt: skip
        handles, names = ax.get_legend_handles_labels()
        h2, n2 = rank_ax.get_legend_handles_labels()
        fig.legend(handles + h2, names + n2, loc="lower center", ncol=3, fontsize=9, frameon=False)
        fig.tight_layout(rect=(0, 0.14, 1, 1))
        buf = io.BytesIO()
        # the PNG's "Software" text chunk marks it as dvc766's own (warehouse/report_files.py)
        fig.savefig(buf, format="png", metadata={"Software": "dvc766"})
        plt.close(fig)
    return buf.getvalue()
