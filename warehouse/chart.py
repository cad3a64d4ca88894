"""The appendix's chart page: a province's total and six group scores over 12 months, and its rank.

Rendered with matplotlib's Agg backend to PNG bytes, deterministically (fixed size and DPI, no
timestamp or version in the file), so the same warehouse gives the same image. A month that was not
captured is a gap in the lines, not a zero.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from warehouse.report_data import GROUP_SCORES, AppendixData, ScorePoint  # noqa: E402

GROUP_LABELS = {
    "score_ckmb": "Công khai, minh bạch",
    "score_tdgq": "Tiến độ giải quyết",
    "score_clgq": "Dịch vụ công trực tuyến",
    "score_tttt": "Thanh toán trực tuyến",
    "score_mdhl": "Mức độ hài lòng",
    "score_mdsh": "Số hóa hồ sơ",
}


def _num(v: object) -> float:
    return math.nan if v is None else float(v)  # type: ignore[arg-type]


def chart_png(data: AppendixData) -> bytes:
    """PNG of the score history in ``data.score_history`` (oldest month first)."""
    points: list[ScorePoint] = data.score_history
    labels = [f"{p.month.number:02d}/{p.month.year}" for p in points]
    x = list(range(len(points)))
    with plt.rc_context({"font.family": "DejaVu Sans", "svg.hashsalt": "dvc766"}):
        fig, ax = plt.subplots(figsize=(10, 6), dpi=120)
        ax.plot(
            x,
            [_num(p.total) for p in points],
            marker="o",
            linewidth=2.5,
            color="black",
            label="Điểm tổng hợp",
        )
        for key in GROUP_SCORES:
            ax.plot(
                x,
                [_num(p.groups.get(key)) for p in points],
                marker=".",
                linewidth=1.2,
                label=GROUP_LABELS[key],
            )
        ax.set_ylim(0, 100)
        ax.set_ylabel("Điểm")
        ax.set_xticks(x, labels, rotation=45, ha="right")
        ax.grid(True, axis="y", alpha=0.3)
        rank_ax = ax.twinx()
        ranks = [_num(p.rank) for p in points]
        rank_ax.plot(x, ranks, linestyle="--", marker="s", color="tab:red", label="Xếp hạng (trục phải)")
        # No monthly rank yet: the month-end ranking's size (63 provinces before the 2025 merger, 34 after).
        size = max((p.rank_size or 0 for p in points), default=0) or data.score.curr_size or 34
        rank_ax.set_ylim(size + 1, 0)  # rank 1 at the top
        rank_ax.set_ylabel(f"Xếp hạng (trên {size})")
        missing = [labels[i] for i, p in enumerate(points) if p.total is None]
        title = f"Điểm và xếp hạng của {data.province_title.title()} – 12 tháng đến {data.month.number:02d}/{data.month.year}"
        ax.set_title(title)
        if missing:
            ax.text(
                0.01,
                0.01,
                "Không có số liệu: " + ", ".join(missing),
                transform=ax.transAxes,
                fontsize=8,
                color="gray",
            )
        handles, names = ax.get_legend_handles_labels()
        h2, n2 = rank_ax.get_legend_handles_labels()
        ax.legend(
            handles + h2, names + n2, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, fontsize=8
        )
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()
