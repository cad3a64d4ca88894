"""``dvc766 dashboard``: one self-contained HTML page of where a province (or the country) stands.

Why one file with everything inlined: provincial offices often work offline or behind a strict
web filter and pass files around by email, so the page carries plotly.js, its data and its styles
itself (no CDN, no request when opened). Plotly is used because its Python package ships the whole
plotly.js bundle (``include_plotlyjs=True``) and draws hover labels with the numbers; Altair's
inline mode needs another package to fetch or vendor its JavaScript.

Everything comes from the published warehouse, opened read-only: the appendix's own data
(:func:`warehouse.report_data.load_appendix`: scores, rank, per-unit tables) and, for the
comparisons, ``fct_unit_score`` of every province (national median) and ``fct_procedure_indicator``
(the drill-down) through the appendix data when it has rows. Numbers are written the Vietnamese way (1.234,56); a figure the
portal does not give is written "Không có số liệu" and drawn as no bar, never as 0.
"""

from __future__ import annotations

import argparse
import html
import statistics
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
from plotly.io import to_html
from plotly.subplots import make_subplots

from dvc766.cli import UserError
from dvc766.landing_schema import GROUP_MAX
from dvc766.periods import Period, parse_month
from dvc766.provinces import NATIONAL_UNIT
from dvc766.settings import Settings
from warehouse.appendix_model import AppendixData, province_label
from warehouse.numbers_vi import NOT_AVAILABLE, format_change, format_number
from warehouse.report_data import load_appendix

GROUP_LABELS = {
    "CKMB": "Công khai, minh bạch",
    "TDGQ": "Tiến độ giải quyết",
    "CLGQ": "Dịch vụ công trực tuyến",
    "TTTT": "Thanh toán trực tuyến",
    "MDHL": "Mức độ hài lòng",
    "MDSH": "Số hóa hồ sơ",
}
GROUP_COLUMNS = {g: f"score_{g.lower()}" for g in GROUP_LABELS}
FONT = {"family": "Times New Roman, DejaVu Serif, serif", "size": 14}


def vi(value: object, places: int = 2) -> str:
    text = format_number(value, places)
    return text if text else NOT_AVAILABLE


def _num(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        font=FONT,
        separators=",.",  # decimal comma, thousands dot: 1.234,56
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.2},
    )
    fig.update_xaxes(gridcolor="#e5e5e5")
    fig.update_yaxes(gridcolor="#e5e5e5")
    return fig


def _bars(labels: list[str], values: list[float | None], name: str, places: int = 2, **kw: Any) -> go.Bar:
    """A bar per label; a value the portal does not give draws no bar and says so."""
    return go.Bar(
        x=[v if v is not None else None for v in values],
        y=labels,
        orientation="h",
        name=name,
        text=[vi(v, places) for v in values],
        textposition="outside",
        hovertemplate="%{y}: %{text}<extra>" + html.escape(name) + "</extra>",
        **kw,
    )


# --- the province view ------------------------------------------------------------------------------


def _national_scores(con: duckdb.DuckDBPyConnection, period_key: str) -> list[dict[str, Any]]:
    """Every province's scores at a month end, named as the portal named it then (the ``dim_unit``
    version seen at the capture: "Thừa Thiên Huế" in 2023, not today's "thành phố Huế"), with the size
    of the ranking it was ranked in (63 provinces before July 2025, 34 after)."""
    rows = con.execute(
        "select s.unit_code, coalesce(seen.unit_name, u.unit_name, s.unit_code) as unit_name, s.total_score, "
        "s.rank_in_scope, s.rank_scope_size, "
        + ", ".join(f"s.{c}" for c in GROUP_COLUMNS.values())
        + " from fct_unit_score s join dim_unit u on u.unit_code = s.unit_code and u.is_current "
        "left join dim_unit seen on seen.unit_code = s.unit_code and seen.valid_from <= s.captured_at "
        "and (seen.valid_to is null or seen.valid_to > s.captured_at) "
        "where s.period_type = 'ytd' and s.period_key = ? and u.unit_kind = 'province' "
        "qualify row_number() over (partition by s.unit_code order by seen.valid_from desc nulls last) = 1 "
        "order by s.total_score desc nulls last, s.unit_code",
        [period_key],
    ).fetchall()
    cols = ["unit_code", "unit_name", "total_score", "rank", "rank_size", *GROUP_COLUMNS]
    return [dict(zip(cols, r, strict=True)) for r in rows]


def _stakes(
    con: duckdb.DuckDBPyConnection, data: AppendixData
) -> tuple[str, dict[str, list[tuple]], dict[str, str]]:
    """Per group, the ten units that hold most points of the province's score (rpt_points_at_stake:
    what the province wins if the unit alone reaches the targets of the group's indicators, pulled
    together by the province's formula), for the month end's year to date, else the month; and why
    a group has none. Returns (period label, rows per group, reason per group without rows)."""
    from warehouse.levers import Lever, province_counts, simulate

    month = Period.month(data.current.year, data.current.number)
    label, period, rows = "", data.current, []
    built = con.execute(
        "select count(*) from duckdb_tables() where table_name = 'rpt_points_at_stake'"
    ).fetchone()
    for candidate, text in (
        (data.current, f"lũy kế đến {data.curr_date}"),
        (month, f"tháng {month.number}/{month.year}"),
    ):
        if not built or not built[0]:
            break  # a warehouse built before the points at stake: no chart, the note says why
        rows = con.execute(
            "select s.unit_code, coalesce(u.unit_name, s.unit_code), s.group_code, s.indicator_code, "
            "s.score_code, s.counts_to_change, s.change_label_vi, s.points_at_stake from rpt_points_at_stake s "
            "left join dim_unit u on u.unit_code = s.unit_code and u.is_current "
            "where s.province_code = ? and s.period_type = ? and s.period_key = ? and s.counts_to_change > 0 "
            "and s.points_at_stake > 0",
            [data.province_code, candidate.period_type, candidate.key],
        ).fetchall()
        if rows:
            label, period = text, candidate
            break
    counts = province_counts(con, data.province_code, period) if rows else {}
    by_unit: dict[tuple[str, str], list[Lever]] = {}
    for r in rows:
        by_unit.setdefault((r[2], r[0]), []).append(
            Lever(r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6], float(r[7]))
        )
    out: dict[str, list[tuple]] = {g: [] for g in GROUP_LABELS}
    for (group, _unit), levers in by_unit.items():
        what = "; ".join(f"{format_number(lv.counts_to_change)} {lv.change_label_vi}" for lv in levers)
        out[group].append((levers[0].unit_name, simulate(levers, counts, rounded=False), what))
    reasons = {}
    for group in GROUP_LABELS:
        out[group] = sorted(out[group], key=lambda r: (-r[1], r[0]))[:10]
        if not out[group]:
            reasons[group] = (
                "công thức điểm của Cổng chưa xác định"
                if group == "CLGQ"
                else "số liệu của tỉnh không bằng tổng số liệu các đơn vị, hoặc chưa có số liệu"
            )
    return label, out, reasons


def _trend(con: duckdb.DuckDBPyConnection, data: AppendixData) -> tuple[list[str], list, list]:
    rows = con.execute(
        "select period_end, total_score, rank_in_scope from fct_unit_score where unit_code = ? "
        "and period_type = 'ytd' and period_end <= ? order by period_end desc limit 12",
        [data.province_code, data.current.end],
    ).fetchall()[::-1]
    if rows:
        return (
            [f"{d.day}/{d.month}/{d.year}" for d, _, _ in rows],
            [_num(t) for _, t, _ in rows],
            [r for *_, r in rows],
        )
    hist = data.score_history
    return (
        [f"{p.month.number}/{p.month.year}" for p in hist],
        [_num(p.total) for p in hist],
        [p.rank for p in hist],
    )


def _running_days(
    con: duckdb.DuckDBPyConnection, data: AppendixData
) -> list[tuple[str, float | None, int | None]]:
    """The days of the running month after the page's month end, as the daily watch saw the year to
    date (``fct_daily_unit_score``), when that month end is the latest the warehouse holds."""
    if con.execute(
        "select count(*) from fct_unit_score where unit_code = ? and period_type = 'ytd' and period_end > ?",
        [data.province_code, data.current.end],
    ).fetchone()[0]:  # type: ignore[index]
        return []
    running = data.current.end + timedelta(days=1)
    rows = con.execute(
        "select watch_date, total_score, rank_in_scope from fct_daily_unit_score where unit_code = ? "
        "and period_type = 'ytd' and period_key = ? and watch_date > ? order by watch_date",
        [data.province_code, Period("ytd", running.year, running.month).key, data.current.end],
    ).fetchall()
    return [(f"{d.day}/{d.month}/{d.year}", _num(t), r) for d, t, r in rows]


def score_range(values: list[float | None], span: float = 10.0) -> list[float]:
    """The score axis: at least ``span`` points tall around the scores, within 0–100, so a change of
    0,16 reads as the small change it is, not as a cliff from the bottom of the chart to its top."""
    known = [v for v in values if v is not None]
    if not known:
        return [0.0, 100.0]
    lo, hi = min(known), max(known)
    half = max(span, hi - lo + 4) / 2
    mid = (lo + hi) / 2
    low, high = max(0.0, mid - half), min(100.0, mid + half)
    if high - low < span:  # pressed against 0 or 100: open the other way
        low, high = (0.0, span) if low == 0 else (100.0 - span, 100.0)
    return [low, high]


def rank_ticks(size: int) -> list[int]:
    """Whole ranks to label on the rank axis: 1, every 5 or 10, and the last (34 or 63)."""
    step = 5 if size <= 40 else 10
    return sorted({1, *(v for v in range(step, size, step) if size - v >= step / 2), size})


def trend_figure(months: list[str], totals: list[float | None], ranks: list[int | None],
                 size: int | None) -> go.Figure:  # fmt: skip
    """Total score (top) and national rank (below) at each month end, on axes of their own: the two
    lines no longer lie on top of each other, ranks are whole numbers and each point says its value."""
    size = size or max((r for r in ranks if r), default=34)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.55, 0.45], vertical_spacing=0.12)
    fig.add_trace(go.Scatter(x=months, y=totals, name="Điểm tổng", mode="lines+markers+text",
                             text=[vi(v) for v in totals], textposition="top center", cliponaxis=False,
                             line={"color": "#1f4e79", "width": 3}, marker={"size": 9},
                             hovertemplate="%{x}: %{text} điểm<extra></extra>"), row=1, col=1)  # fmt: skip
    fig.add_trace(go.Scatter(x=months, y=ranks, name=f"Xếp hạng toàn quốc (trên {size})",
                             mode="lines+markers+text", text=[str(r) if r else "" for r in ranks],
                             textposition="bottom center", cliponaxis=False,
                             line={"color": "#c62828", "dash": "dash"}, marker={"size": 9, "symbol": "square"},
                             hovertemplate="%{x}: hạng %{y}/" + str(size) + "<extra></extra>"), row=2, col=1)  # fmt: skip
    fig.update_yaxes(title_text="điểm", range=score_range(totals), row=1, col=1)
    fig.update_yaxes(title_text=f"hạng / {size}", range=[size + 0.5, 0.5], tickmode="array",
                     tickvals=rank_ticks(size), tickformat="d", row=2, col=1)  # fmt: skip
    _layout(fig, "Điểm tổng và xếp hạng toàn quốc cuối mỗi tháng (lũy kế từ đầu năm)", 560)
    fig.update_layout(margin={"l": 70, "r": 30, "t": 80, "b": 60})
    return fig


UNITS_SHOWN = 15  # the units a per-unit chart shows: the worst; the appendix lists every unit


def worst_units(rows: list[Any], *, highest: bool) -> tuple[list[Any], int]:
    """The ``UNITS_SHOWN`` worst units (most overdue, or lowest rate) with a figure, worst first, then up to
    five without one (drawn as "Không có số liệu", never as 0), and how many units there are in all."""
    known = sorted((r for r in rows if r.curr is not None),
                   key=lambda r: (-r.curr if highest else r.curr, r.unit_code))  # fmt: skip
    missing = [r for r in rows if r.curr is None]
    return known[:UNITS_SHOWN] + missing[:5], len(rows)


def unit_chart(
    rows: list[Any], *, what: str, places: int, highest: bool, color: str, rate: bool
) -> tuple[go.Figure, int, int]:
    """A per-unit bar chart of the worst units; returns it with how many it shows and how many exist."""
    shown, total = worst_units(rows, highest=highest)
    fig = go.Figure(
        _bars([r.unit_name for r in shown], [_num(r.curr) for r in shown], what, places=places,
              marker_color=color)
    )  # fmt: skip
    xaxis: dict[str, Any] = {"tickformat": ",.0f", "rangemode": "tozero"}  # 2.000, not 2k
    if rate:
        xaxis["range"] = [0, 112]
    fig.update_layout(yaxis={"autorange": "reversed", "automargin": True}, xaxis=xaxis)
    return fig, len(shown), total


def province_figures(data: AppendixData, con: duckdb.DuckDBPyConnection) -> list[tuple[str, go.Figure]]:
    """The province view's charts, each with the id of its section."""
    figs: list[tuple[str, go.Figure]] = []
    # 1. total score and national rank at each month end (the year-to-date figures Table I shows),
    # the months themselves where no month end was captured
    months, totals, ranks = _trend(con, data)
    days = _running_days(con, data)  # then each morning of the running month the watch saw
    months, totals, ranks = (
        months + [d[0] for d in days],
        totals + [d[1] for d in days],
        ranks + [d[2] for d in days],
    )
    trend = trend_figure(months, totals, ranks, data.score.curr_size)
    if days:
        trend.update_layout(title_text=trend.layout.title.text + ", và từng ngày của tháng đang chạy")
    figs.append(("trend", trend))
    # 2. the six groups against their maxima and the national median (month end)
    national = _national_scores(con, data.current.key)
    me = next((r for r in national if r["unit_code"] == data.province_code), None)
    labels = list(GROUP_LABELS.values())
    mine = [_num(me[g]) if me else None for g in GROUP_COLUMNS]
    medians = []
    for g in GROUP_COLUMNS:
        known = [float(r[g]) for r in national if r[g] is not None]
        medians.append(statistics.median(known) if known else None)
    groups = go.Figure()
    groups.add_trace(_bars(labels, [float(GROUP_MAX[g]) for g in GROUP_LABELS], "Điểm tối đa",
                           marker_color="#d9d9d9"))  # fmt: skip
    groups.add_trace(_bars(labels, mine, province_label(data.province_name), marker_color="#1f4e79"))
    groups.add_trace(_bars(labels, medians, "Trung vị toàn quốc", marker_color="#f0a30a"))
    groups.update_layout(barmode="group", yaxis={"autorange": "reversed"})
    figs.append(("groups", _layout(groups, f"Điểm các nhóm chỉ số ngày {data.curr_date}", 460)))
    # 3. the change since last month, per group and in total
    prev = {r["unit_code"]: r for r in _national_scores(con, data.previous.key)}.get(data.province_code)
    changes = []
    for g in ("total_score", *GROUP_COLUMNS):
        a, b = (me or {}).get(g), (prev or {}).get(g)
        changes.append(None if a is None or b is None else float(a) - float(b))
    change_labels = ["Điểm tổng", *labels]
    change = go.Figure(
        go.Bar(
            x=changes,
            y=change_labels,
            orientation="h",
            text=[format_change(v, 2) or NOT_AVAILABLE for v in changes],
            textposition="outside",
            marker_color=["#2e7d32" if (v or 0) >= 0 else "#c62828" for v in changes],
            hovertemplate="%{y}: %{text}<extra></extra>",
        )  # fmt: skip
    )
    change.update_layout(yaxis={"autorange": "reversed"})
    figs.append(("change", _layout(change, f"Tăng (+)/giảm (-) so với ngày {data.prev_date}")))
    # 4. the ten units that hold most points of the province's score, per group (points at stake)
    label, stakes, _reasons = _stakes(con, data)
    for group, rows in stakes.items():
        if not rows:
            continue  # said in the page's note (_stake_note)
        fig = go.Figure(
            _bars(
                [r[0] for r in rows],
                [r[1] for r in rows],
                "Điểm tỉnh tăng thêm",
                marker_color="#c62828",
                customdata=[r[2] for r in rows],
            )  # fmt: skip
        )
        fig.update_traces(hovertemplate="%{y}: %{customdata} → +%{text} điểm<extra></extra>")
        fig.update_layout(yaxis={"autorange": "reversed"})
        title = f"10 đơn vị giữ nhiều điểm nhất của tỉnh: {GROUP_LABELS[group]} ({label})"
        figs.append((f"stake-{group}", _layout(fig, title, 420)))
    # 5. overdue dossiers and online rates per unit: the worst few, sorted, as the table's figures read
    over = data.overdue
    fig, shown, total = unit_chart(list(over.rows), what="Hồ sơ quá hạn", places=0, highest=True,
                                   color="#c62828", rate=False)  # fmt: skip
    title = f"Số hồ sơ quá hạn: {shown} trong {total} đơn vị có nhiều hồ sơ quá hạn nhất"
    figs.append(("overdue", _layout(fig, title, 120 + 30 * shown)))
    for key, tables, title, what in (
        (
            "online-service",
            data.online_service,
            "Tỷ lệ cung cấp dịch vụ công trực tuyến",
            "Tỷ lệ cung cấp DVCTT",
        ),
        ("online-payment", data.online_payment, "Tỷ lệ thanh toán trực tuyến", "Tỷ lệ thanh toán trực tuyến"),
    ):
        rows = [r for t in tables for r in t.rows]
        places = tables[0].decimals if tables else 1
        fig, shown, total = unit_chart(rows, what=f"{what} (%)", places=places, highest=False,
                                       color="#1f4e79", rate=True)  # fmt: skip
        head = f"{title} (%): {shown} trong {total} đơn vị có tỷ lệ thấp nhất"
        figs.append((key, _layout(fig, head, 120 + 30 * shown)))
    # 6. the drill-down, when it exists
    procs = data.procedures[:10]  # the appendix's drill-down section, loaded with it
    if procs:
        fig = go.Figure(_bars([(p.name or p.code)[:70] for p in procs], [_num(p.overdue) for p in procs],
                              "Hồ sơ quá hạn", places=0, marker_color="#6a1b9a"))  # fmt: skip
        fig.update_layout(yaxis={"autorange": "reversed"})
        figs.append(("procedures", _layout(fig, "Thủ tục hành chính có nhiều hồ sơ quá hạn nhất", 460)))
    return figs


# --- the national view ------------------------------------------------------------------------------


def national_figures(con: duckdb.DuckDBPyConnection, current: Period) -> list[tuple[str, go.Figure]]:
    """The country at a month end: the ranking by total score and each province's six group scores,
    with the provinces and their names of that period (63 in 2023, 34 from July 2025)."""
    rows = _national_scores(con, current.key)
    n = national_size(rows)
    names = [province_label(r["unit_name"]) for r in rows]
    ranking = go.Figure(
        _bars(names, [_num(r["total_score"]) for r in rows], "Điểm tổng", marker_color="#1f4e79")
    )
    ranking.update_layout(yaxis={"autorange": "reversed"}, xaxis={"range": [0, 100]})
    stacked = go.Figure()
    colors = ("#1f4e79", "#2e7d32", "#f0a30a", "#6a1b9a", "#00838f", "#c62828")
    for (g, label), color in zip(GROUP_LABELS.items(), colors, strict=True):
        values = [_num(r[g]) for r in rows]
        # each segment says its own score inside it (hidden where it does not fit); the total is
        # written after the bar, so the last segment's label is never read as the total
        stacked.add_trace(go.Bar(x=values, y=names, orientation="h", name=label, marker_color=color,
                                 text=[vi(v) for v in values], textposition="inside", insidetextanchor="middle",
                                 textfont={"color": "white", "size": 11},
                                 hovertemplate="%{y}: %{text} điểm<extra>" + html.escape(label) + "</extra>"))  # fmt: skip
    totals = [_num(r["total_score"]) for r in rows]
    stacked.add_trace(go.Scatter(x=[t or 0 for t in totals], y=names, mode="text", showlegend=False,
                                 text=[f"  {vi(t)}" for t in totals], textposition="middle right",
                                 textfont={"size": 12}, cliponaxis=False, hoverinfo="skip"))  # fmt: skip
    stacked.update_layout(barmode="stack", yaxis={"autorange": "reversed"}, xaxis={"range": [0, 100]},
                          uniformtext={"mode": "hide", "minsize": 9})  # fmt: skip
    height = max(500, 24 * len(rows))
    title = "Điểm các nhóm chỉ số của từng tỉnh, thành phố (điểm tổng ở cuối thanh)"
    groups = _layout(stacked, title, height)
    # the colours' key above the 34 or 63 bars, in the order the segments stack (left to right)
    groups.update_layout(
        legend={"orientation": "h", "traceorder": "normal", "x": 0, "y": 1.0, "yanchor": "bottom"},
        margin={"t": 110},
    )
    return [
        ("ranking", _layout(ranking, f"Xếp hạng {n} tỉnh, thành phố theo điểm tổng", height)),
        ("groups", groups),
    ]


def national_size(rows: list[dict[str, Any]]) -> int:
    """How many provinces the period ranks: the portal's own ranking size, else the rows."""
    sizes = [int(r["rank_size"]) for r in rows if r.get("rank_size")]
    return max(sizes) if sizes else len(rows)


# --- the page ---------------------------------------------------------------------------------------


def page(
    title: str,
    subtitle: str,
    facts: list[tuple[str, str]],
    figs: list[tuple[str, go.Figure]],
    notes: list[str] | None = None,
) -> str:
    """The whole HTML page: plotly.js inlined once, every chart a div of its own; ``notes``: lines
    said under the facts (what a chart could not show)."""
    parts = []
    for i, (key, fig) in enumerate(figs):
        parts.append(
            f'<section class="chart" id="{key}">'
            + to_html(
                fig,
                full_html=False,
                include_plotlyjs=(i == 0),
                div_id=f"chart-{key}",
                config={"displaylogo": False, "responsive": True, "displayModeBar": False},
            )  # fmt: skip
            + "</section>"
        )
    cards = "".join(
        f'<div class="fact"><div class="label">{html.escape(k)}</div><div class="value">{html.escape(v)}</div></div>'
        for k, v in facts
    )
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="generator" content="dvc766">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: "Times New Roman", "DejaVu Serif", serif; margin: 24px; color: #1a1a1a; }}
h1 {{ font-size: 24px; margin: 0 0 4px; }} p.sub {{ margin: 0 0 16px; color: #555; }}
.facts {{ display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 16px; }}
.fact {{ border: 1px solid #ccc; border-radius: 6px; padding: 8px 14px; min-width: 150px; }}
.fact .label {{ font-size: 13px; color: #555; }} .fact .value {{ font-size: 22px; font-weight: bold; }}
section.chart {{ border-top: 1px solid #eee; padding-top: 8px; }} p.note {{ color: #555; margin: 4px 0 12px; }}
</style></head><body>
<h1>{html.escape(title)}</h1><p class="sub">{html.escape(subtitle)}</p>
<div class="facts">{cards}</div>
{"".join(f'<p class="note">{html.escape(n)}</p>' for n in notes or [])}
{"".join(parts)}
</body></html>
"""


def build_dashboard(db_path: Path, province: str, month: Period) -> str:
    """The page for one province (``H55``) or the country (``all``) at a month end."""
    current = Period("ytd", month.year, month.number)
    if province.lower() == "all":
        if not db_path.is_file():
            raise UserError(f"no warehouse at {db_path}: run `dvc766 build` (or `make demo`) first")
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            rows = _national_scores(con, current.key)
            figs = national_figures(con, current) if rows else []
            n = national_size(rows) if rows else 0
        finally:
            con.close()
        if not n:
            raise UserError(f"no month-end capture of {month.key} in the warehouse: run `dvc766 snapshot`")
        title = f"Bộ chỉ số 766 — toàn quốc, tháng {month.number}/{month.year}"
        return page(title, f"Số liệu trên Cổng Dịch vụ công quốc gia ngày {current.end.day}/{current.end.month}/"
                    f"{current.end.year}", [("Số tỉnh, thành phố", str(n))], figs)  # fmt: skip
    data = load_appendix(db_path, province, month)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        figs = province_figures(data, con)
        country = _country_score(con, data.current)
        stake_notes = _stake_note(con, data)
    finally:
        con.close()
    s = data.score
    facts = [
        ("Điểm tổng", vi(s.curr_score)),
        ("Xếp hạng toàn quốc", f"{s.curr_rank}/{s.curr_size}" if s.curr_rank else NOT_AVAILABLE),
        ("So với tháng trước", format_change(s.change_score, 2) or NOT_AVAILABLE),
        ("Điểm cả nước", vi(country)),
    ]
    title = f"Bộ chỉ số 766 — {province_label(data.province_name)}, tháng {month.number}/{month.year}"
    return page(
        title, f"Số liệu trên Cổng Dịch vụ công quốc gia ngày {data.curr_date}", facts, figs, stake_notes
    )


def _stake_note(con: duckdb.DuckDBPyConnection, data: AppendixData) -> list[str]:
    """What the points-at-stake charts mean, and the groups they cannot show, with why."""
    _label, _rows, reasons = _stakes(con, data)
    out = [
        "Biểu đồ “đơn vị giữ nhiều điểm nhất”: số điểm của tỉnh tăng thêm nếu riêng đơn vị đó đạt mục tiêu "
        "của các chỉ số trong nhóm (mọi hồ sơ quá hạn được giải quyết đúng hạn, mọi TTHC có phí được thanh "
        "toán trực tuyến, …), tính theo công thức của Cổng trên số liệu của tỉnh (docs/scoring.md)."
    ]
    if reasons:
        out.append(
            "Chưa tính được: " + "; ".join(f"{GROUP_LABELS[g]} ({why})" for g, why in reasons.items()) + "."
        )
    return out


def _country_score(con: duckdb.DuckDBPyConnection, current: Period) -> float | None:
    """The national overview's total ("Cả nước", unit VN) at the month end, when captured."""
    row = con.execute(
        "select total_score from fct_unit_score where unit_code = ? and period_type = 'ytd' and period_key = ?",
        [NATIONAL_UNIT, current.key],
    ).fetchone()
    return _num(row[0]) if row else None


def latest_month(db_path: Path) -> Period:
    if not db_path.is_file():
        raise UserError(f"no warehouse at {db_path}: run `dvc766 build` (or `make demo`) first")
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        row = con.execute("select max(period_key) from fct_unit_score where period_type = 'ytd'").fetchone()
    finally:
        con.close()
    if not row or not row[0]:
        raise UserError(f"the warehouse at {db_path} holds no month-end capture: run `dvc766 snapshot`")
    key = Period.from_key(row[0])
    return Period.month(key.year, key.number)


def cmd_dashboard(args: argparse.Namespace) -> int:
    """``dvc766 dashboard --province H55|all [--month YYYY-MM] [--out PATH]``."""
    from dvc766.provinces import get_province

    settings = Settings.from_env()
    province = args.province.strip()
    if province.lower() != "all":
        province = get_province(province).code
    db = settings.warehouse_path
    from warehouse.report_files import check_target, write_files

    if args.out:  # a refused --out costs nothing: checked before the page is built
        check_target(settings, Path(args.out), "html")
    month = parse_month(args.month, history_start=settings.history_start) if args.month else latest_month(db)
    # the same name `make demo` writes: dashboard_all_2026-10.html for the country
    name = f"dashboard_{'all' if province.lower() == 'all' else province}_{month.key}.html"
    out = (
        Path(args.out)
        if args.out
        else check_target(settings, settings.reports_dir / name, "html", option="dashboard")
    )
    text = build_dashboard(db, province, month)  # every check before anything is written
    write_files({out: text.encode("utf-8")})
    print(f"dashboard: {out} ({len(text) // 1024} KiB, works offline)")
    return 0


__all__ = ["build_dashboard", "cmd_dashboard"]
