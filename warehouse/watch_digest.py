"""What the morning digest says, as plain values read from the published warehouse.

Why apart from its rendering (:mod:`warehouse.watch_digest_render`): the digest is read by a province's
leaders in one or two minutes, so what goes in it is a choice — the score and rank with their changes,
the six groups against their maxima, at most three findings with their evidence, the units to watch,
the largest levers, the units up, down and flat, suggestions — made once here from ``rpt_daily_movement``
and ``rpt_watch_finding``, and rendered the same way in Markdown and HTML. A morning with no new
figures (no capture that day, or the portal's figures the same as at the previous watch) says so and
nothing else: yesterday's findings are not repeated as if new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from dvc766.periods import VN_TZ

GROUPS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")
GROUP_LABELS = {
    "TOTAL": "Tổng điểm",
    "CKMB": "Công khai, minh bạch",
    "TDGQ": "Tiến độ giải quyết",
    "CLGQ": "Dịch vụ công trực tuyến",
    "TTTT": "Thanh toán trực tuyến",
    "MDHL": "Mức độ hài lòng",
    "MDSH": "Số hóa hồ sơ",
}
MAX_FINDINGS = 3  # a one-to-two-minute read
MAX_UNITS = 3
MAX_LEVERS = 3

NEW, NO_CAPTURE, UNCHANGED = "new", "no_capture", "unchanged"


@dataclass
class Standing:
    """The province's score and rank in one running period, with their changes."""

    period_type: str  # "ytd" | "month"
    period_key: str
    score: float | None
    rank: int | None
    out_of: int | None
    previous_date: date | None
    change_day: float | None
    places_day: int | None  # places gained since the previous watch (negative: lost)
    month_end_key: str | None
    change_month_end: float | None
    places_month_end: int | None
    change_week: float | None
    week_date: date | None


@dataclass
class GroupLine:
    code: str
    score: float | None
    max_score: float
    change_day: float | None


@dataclass
class Finding:
    rule_code: str
    label_vi: str
    unit_code: str
    unit_name: str
    is_province: bool
    period_type: str
    period_key: str
    measure: str
    compared_with: date | None
    value_before: float | None
    value_now: float | None
    change: float | None
    out_of: float | None
    count_before: int | None
    count_now: int | None
    count_total: int | None
    streak_days: int | None
    worst_group: str | None
    worst_group_change: float | None
    threshold: float
    points_at_stake: float | None = None  # from rpt_points_at_stake, where the warehouse has stakes


@dataclass
class UnitToWatch:
    unit_code: str
    unit_name: str
    score: float | None
    change: float | None
    worst_group: str | None
    worst_group_change: float | None


@dataclass
class Lever:
    unit_name: str
    group_code: str
    indicator_code: str
    points_at_stake: float
    counts_to_change: int | None = None  # how many to change (dossiers, procedures…)
    change_label_vi: str | None = None  # what they are: "hồ sơ quá hạn", "TTHC chưa công bố đúng hạn"…


@dataclass
class Digest:
    province_code: str
    province_name: str
    watch_date: date
    status: str  # NEW, NO_CAPTURE or UNCHANGED
    latest_date: date | None  # the latest morning with figures (for NO_CAPTURE / UNCHANGED)
    captured_at: datetime | None = None
    standings: list[Standing] = field(default_factory=list)  # year to date first, then the month
    groups: list[GroupLine] = field(default_factory=list)
    groups_period: str = "ytd"
    findings: list[Finding] = field(default_factory=list)
    units: list[UnitToWatch] = field(default_factory=list)
    levers: list[Lever] | None = None  # None: no points-at-stake model in this warehouse
    units_up: int | None = None
    units_down: int | None = None
    units_flat: int | None = None

    @property
    def has_news(self) -> bool:
        return self.status == NEW


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _names(con: duckdb.DuckDBPyConnection, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = con.execute(
        "select unit_code, unit_name from dim_unit where is_current and unit_code in "
        f"({', '.join('?' for _ in codes)})",
        sorted(codes),
    ).fetchall()
    return {c: n for c, n in rows if n}


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where table_name = ? and schema_name = 'main'", [name]
        ).fetchone()[0]  # type: ignore[index]
    )


def _standings(con: duckdb.DuckDBPyConnection, code: str, day: date) -> list[Standing]:
    rows = _rows(
        con,
        "select * from rpt_daily_movement where unit_code = ? and watch_date = ? and measure = 'TOTAL' "
        "order by case period_type when 'ytd' then 0 else 1 end",
        [code, day],
    )
    return [
        Standing(
            period_type=r["period_type"],
            period_key=r["period_key"],
            score=r["score"],
            rank=r["rank_in_scope"] if r["rank_scope"] == "national" else None,
            out_of=r["rank_scope_size"] if r["rank_scope"] == "national" else None,
            previous_date=r["previous_watch_date"],
            change_day=r["change_since_previous"],
            places_day=r["places_since_previous"],
            month_end_key=r["month_end_period_key"],
            change_month_end=r["change_since_month_end"],
            places_month_end=r["places_since_month_end"],
            change_week=r["change_7_days"],
            week_date=r["week_ago_date"],
        )
        for r in rows
    ]


def _status(con: duckdb.DuckDBPyConnection, code: str, day: date) -> tuple[str, date | None]:
    """NEW, NO_CAPTURE (nothing seen that day) or UNCHANGED (every figure as at the previous watch)."""
    latest = con.execute(
        "select max(watch_date) from rpt_daily_movement where unit_code = ? and watch_date <= ?", [code, day]
    ).fetchone()[0]  # type: ignore[index]
    if latest != day:
        return NO_CAPTURE, latest
    row = con.execute(
        "select bool_and(previous_watch_date is not null), sum(figures_changed), max(previous_watch_date) "
        "from rpt_daily_movement where unit_code = ? and watch_date = ? and measure = 'TOTAL'",
        [code, day],
    ).fetchone()
    all_compared, changed, previous = row if row else (False, None, None)
    if all_compared and changed == 0:
        return UNCHANGED, previous
    return NEW, day


def _findings(con: duckdb.DuckDBPyConnection, code: str, day: date) -> list[Finding]:
    rows = _rows(
        con,
        "select * from rpt_watch_finding where province_code = ? and watch_date = ? "
        "order by priority, unit_code = province_code, severity desc, unit_code, period_type desc",
        [code, day],
    )
    # one finding per rule and unit (a unit falling in the month and the year: the first), and the
    # rules in turn — the most important finding of each rule before a second of any — so three
    # communes falling do not hide a rank lost or overdue dossiers rising. Within a rule the units
    # come before the province's own total: its fall is in the digest's first lines already, a
    # commune's is what can be acted on.
    by_rule: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    for r in rows:
        key = (r["rule_code"], r["unit_code"])
        if key not in seen:
            seen.add(key)
            by_rule.setdefault(r["rule_code"], []).append(r)
    picked: list[dict[str, Any]] = []
    queues = list(by_rule.values())
    while queues and len(picked) < MAX_FINDINGS:
        for queue in queues:
            if queue and len(picked) < MAX_FINDINGS:
                picked.append(queue.pop(0))
        queues = [q for q in queues if q]
    names = _names(con, {r["unit_code"] for r in picked})
    return [
        Finding(
            rule_code=r["rule_code"],
            label_vi=r["label_vi"],
            unit_code=r["unit_code"],
            unit_name=names.get(r["unit_code"], r["unit_code"]),
            is_province=r["unit_code"] == r["province_code"],
            period_type=r["period_type"],
            period_key=r["period_key"],
            measure=r["measure"],
            compared_with=r["compared_with"],
            value_before=r["value_before"],
            value_now=r["value_now"],
            change=r["change"],
            out_of=r["out_of"],
            count_before=r["count_before"],
            count_now=r["count_now"],
            count_total=r["count_total"],
            streak_days=r["streak_days"],
            worst_group=r["worst_group"],
            worst_group_change=r["worst_group_change"],
            threshold=r["threshold"],
        )
        for r in picked
    ]


def _units_to_watch(
    con: duckdb.DuckDBPyConnection, code: str, day: date, shown: set[str]
) -> list[UnitToWatch]:
    """The agencies and communes whose running-month score fell most since the previous watch (but
    those a finding already names)."""
    rows = _rows(
        con,
        """
        with totals as (
            select unit_code, period_key, score, change_since_previous
            from rpt_daily_movement
            where province_code = ? and unit_code <> province_code and watch_date = ?
              and period_type = 'month' and measure = 'TOTAL' and change_since_previous < 0
        ),
        groups as (
            select unit_code, arg_min(measure, change_since_previous) as worst_group,
                   min(change_since_previous) as worst_group_change
            from rpt_daily_movement
            where province_code = ? and watch_date = ? and period_type = 'month' and measure <> 'TOTAL'
              and change_since_previous < 0
            group by unit_code
        )
        select t.*, g.worst_group, g.worst_group_change
        from totals t left join groups g using (unit_code)
        order by t.change_since_previous, t.unit_code
        limit ?
        """,
        [code, day, code, day, MAX_UNITS + len(shown)],
    )
    rows = [r for r in rows if r["unit_code"] not in shown][:MAX_UNITS]
    names = _names(con, {r["unit_code"] for r in rows})
    return [
        UnitToWatch(
            unit_code=r["unit_code"],
            unit_name=names.get(r["unit_code"], r["unit_code"]),
            score=r["score"],
            change=r["change_since_previous"],
            worst_group=r["worst_group"],
            worst_group_change=r["worst_group_change"],
        )
        for r in rows
    ]


# --- points at stake (issue 31's rpt_points_at_stake) ---------------------------------------------
# One row per unit × period × indicator: the points of the province's score the unit alone would win
# by reaching the indicator's target, and the counts to change (counts_to_change, change_label_vi:
# "hồ sơ quá hạn"). They are computed on month ends and ended months (the facts the watch's mornings
# never enter), so the digest uses the latest period the province has — a month end's year to date
# before a month's own — and says nothing of a morning's stakes. A warehouse built before that model
# (or a province without stakes) has no levers section and no stakes on its findings: nothing is
# invented.


def _stake_period(con: duckdb.DuckDBPyConnection, code: str) -> tuple[str, str] | None:
    row = con.execute(
        "select s.period_type, s.period_key from rpt_points_at_stake as s "
        "join dim_period as p using (period_type, period_key) "
        "where s.province_code = ? and s.period_type in ('month', 'ytd') "
        "order by p.period_end desc, case s.period_type when 'ytd' then 0 else 1 end limit 1",
        [code],
    ).fetchone()
    return (row[0], row[1]) if row else None


def _levers(con: duckdb.DuckDBPyConnection, code: str) -> list[Lever] | None:
    if not _has_table(con, "rpt_points_at_stake"):
        return None
    period = _stake_period(con, code)
    if period is None:
        return []
    rows = con.execute(
        "select unit_code, group_code, indicator_code, points_at_stake, counts_to_change, change_label_vi "
        "from rpt_points_at_stake where province_code = ? and unit_code <> province_code "
        "and period_type = ? and period_key = ? and points_at_stake >= 0.005 "
        "order by points_at_stake desc, unit_code, indicator_code limit ?",
        [code, *period, MAX_LEVERS],
    ).fetchall()
    names = _names(con, {r[0] for r in rows})
    return [Lever(names.get(u, u), g, i, float(p), n, label) for u, g, i, p, n, label in rows]


def _stakes(con: duckdb.DuckDBPyConnection, code: str, findings: list[Finding]) -> None:
    if not findings or not _has_table(con, "rpt_points_at_stake"):
        return
    period = _stake_period(con, code)
    if period is None:
        return
    for f in findings:
        if f.unit_code == code or (f.measure == "TOTAL" and f.worst_group is None):
            continue
        group = f.worst_group if f.measure == "TOTAL" else f.measure
        row = con.execute(
            "select sum(points_at_stake) from rpt_points_at_stake where unit_code = ? and group_code = ? "
            "and period_type = ? and period_key = ?",
            [f.unit_code, group, *period],
        ).fetchone()
        f.points_at_stake = float(row[0]) if row and row[0] is not None else None


# --------------------------------------------------------------------------------------------------


def load_digest(db_path: Path, province_code: str, day: date) -> Digest:
    """The digest of one province for one morning, from the published warehouse (opened read-only)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        names = _names(con, {province_code})
        name = names.get(province_code, province_code)
        status, latest = _status(con, province_code, day)
        digest = Digest(province_code, name, day, status, latest)
        if status != NEW:
            return digest
        digest.standings = _standings(con, province_code, day)
        captured = con.execute(
            "select max(captured_at) from rpt_daily_movement where unit_code = ? and watch_date = ?",
            [province_code, day],
        ).fetchone()[0]  # type: ignore[index]
        digest.captured_at = captured.astimezone(VN_TZ) if captured else None
        period = "ytd" if any(s.period_type == "ytd" for s in digest.standings) else "month"
        digest.groups_period = period
        digest.groups = [
            GroupLine(r["measure"], r["score"], float(r["max_score"] or 0), r["change_since_previous"])
            for r in _rows(
                con,
                "select measure, score, max_score, change_since_previous from rpt_daily_movement "
                "where unit_code = ? and watch_date = ? and period_type = ? and measure <> 'TOTAL'",
                [province_code, day, period],
            )
        ]
        digest.groups.sort(key=lambda g: GROUPS.index(g.code) if g.code in GROUPS else 99)
        digest.findings = _findings(con, province_code, day)
        digest.units = _units_to_watch(con, province_code, day, {f.unit_code for f in digest.findings})
        counts = con.execute(
            "select units_up, units_down, units_flat from rpt_daily_movement where unit_code = ? "
            "and watch_date = ? and period_type = 'month' and measure = 'TOTAL'",
            [province_code, day],
        ).fetchone()
        if counts and counts[0] is not None and sum(counts):
            digest.units_up, digest.units_down, digest.units_flat = counts
        digest.levers = _levers(con, province_code)
        _stakes(con, province_code, digest.findings)
        return digest
    finally:
        con.close()
