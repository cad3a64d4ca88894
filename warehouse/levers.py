"""Where the points are for one province and period: its largest levers (``rpt_points_at_stake``) and
the score and national rank it would reach if the top N were pulled.

Why the simulation is not a sum of stakes: each stake is one unit alone reaching its target; pulled
together, levers of one indicator share the province's counts and its caps (satisfaction is full at
90 %, the payment group at 10), so the new score is the province's formula on the province's counts
with every selected unit's counts changed at once (``dvc766.score_formulas``), each published part
rounded as the portal rounds it. The rank is then the province's place among the other provinces'
current totals of the same period (competition ranking, as the portal ranks: ties share a place).

Everything is read from the published warehouse, opened read-only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dvc766.cli import UserError
from dvc766.indicators import BY_CODE
from dvc766.periods import Period
from dvc766.score_formulas import BY_SCORE, BY_TERM_INDICATOR, half_up, term_points
from warehouse.publish import NoWarehouseError, open_readonly

Counts = dict[str, tuple[float | None, float | None, float | None]]


@dataclass(frozen=True)
class Lever:
    """One unit reaching one indicator's target: what it changes and the points it wins the province."""

    unit_code: str
    unit_name: str
    group_code: str
    indicator_code: str
    score_code: str
    counts_to_change: int
    change_label_vi: str
    points_at_stake: float


@dataclass(frozen=True)
class ProcedureLever:
    formality_code: str | None
    formality_name: str | None
    group_code: str
    indicator_code: str
    counts_to_change: int
    change_label_vi: str
    points_at_stake: float


@dataclass
class LeverReport:
    province_code: str
    province_name: str
    period: Period
    total_score: float | None  # the portal's
    rank: int | None  # the portal's national rank
    levers: list[Lever]  # the top N
    new_total: float | None = None
    new_rank: int | None = None
    others: dict[str, float] = field(default_factory=dict)  # the other provinces' current totals
    group_labels: dict[str, str] = field(default_factory=dict)
    not_computed: dict[str, str] = field(default_factory=dict)  # group → why no stake is computed
    changed_formulas: list[str] = field(default_factory=list)  # scored indicators the portal changed
    procedures: list[ProcedureLever] = field(default_factory=list)

    @property
    def ranked(self) -> int:
        return len(self.others) + 1


def published_score(code: str, counts: Counts, *, rounded: bool = True) -> float | None:
    """The score as the portal publishes it: each term rounded half-up to two decimals, summed, at
    most the indicator's maximum (a one-term score is its term rounded); ``rounded=False``: the
    exact value, as ``rpt_points_at_stake`` computes its stakes."""
    parts = [term_points(t, *counts.get(t.term_indicator, (None, None, None))) for t in BY_SCORE[code]]
    if any(p is None for p in parts):
        return None
    total = sum(half_up(p) if rounded else p for p in parts)  # type: ignore[arg-type,misc]
    mx = BY_CODE[code].max_score
    total = total if mx is None else min(mx, total)
    return half_up(total) if rounded else total


def simulate(levers: list[Lever], province_counts: Counts, *, rounded: bool = True) -> float:
    """Points the province's total gains if every lever is pulled at once (``rounded``: as the
    portal would publish the new scores; else exact, as the stakes are)."""
    added: dict[str, int] = defaultdict(int)
    for lever in levers:
        added[lever.indicator_code] += lever.counts_to_change
    gain = 0.0
    for code in sorted({BY_TERM_INDICATOR[i].indicator_code for i in added}):
        now = published_score(code, province_counts, rounded=rounded)
        after_counts = dict(province_counts)
        for term in BY_SCORE[code]:
            if term.term_indicator in added:
                n, d, v = province_counts[term.term_indicator]
                after_counts[term.term_indicator] = ((n or 0) + added[term.term_indicator], d, v)
        after = published_score(code, after_counts, rounded=rounded)
        if now is not None and after is not None:
            gain += after - now
    return gain


def competition_rank(score: float, others: dict[str, float]) -> int:
    """1 + how many others score strictly higher (ties share a place)."""
    return 1 + sum(1 for s in others.values() if s > score + 1e-9)


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> tuple | None:
    return con.execute(sql, params).fetchone()


def load_levers(db_path: Path, province: str, period: Period, top: int) -> LeverReport:
    """Read the province's levers for ``period`` and simulate pulling the ``top`` largest."""
    try:
        con = open_readonly(Path(db_path))
    except NoWarehouseError as exc:
        raise UserError(str(exc)) from None
    try:
        missing = {"rpt_points_at_stake", "rpt_procedure_points_at_stake", "rpt_score_formula_changes"} - {
            name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        if missing:
            raise UserError(
                f"the published warehouse at {db_path} has no {', '.join(sorted(missing))} (built by an "
                "older dvc766): run `dvc766 build --full`"
            )
        return _load(con, province, period, top)
    finally:
        con.close()


def _load(con: duckdb.DuckDBPyConnection, province: str, period: Period, top: int) -> LeverReport:
    key = [province, period.period_type, period.key]
    stake_rows = con.execute(
        "select s.unit_code, coalesce(u.unit_name, s.unit_code), s.group_code, s.indicator_code, s.score_code, "
        "s.counts_to_change, s.change_label_vi, s.points_at_stake from rpt_points_at_stake s "
        "left join dim_unit u on u.unit_code = s.unit_code and u.is_current "
        "where s.province_code = ? and s.period_type = ? and s.period_key = ? "
        "order by s.points_at_stake desc, s.unit_code, s.indicator_code",
        key,
    ).fetchall()
    scored = _one(
        con,
        "select total_score, rank_in_scope from fct_unit_score "
        "where unit_code = ? and period_type = ? and period_key = ?",
        key,
    )
    if not stake_rows and scored is None:
        if period.period_type == "ytd":
            hint = (
                "the year to date is captured by `dvc766 snapshot` on the month's last day; leave out "
                "--ytd for the month's own figures"
            )
        else:
            hint = f"run `dvc766 run --month {period.key} --provinces {province}` first, or try --ytd"
        raise UserError(f"the warehouse has no figures of {province} for {period.key}: {hint}")
    name_row = _one(con, "select unit_name from dim_unit where unit_code = ? and is_current", [province])
    labels = dict(con.execute("select indicator_code, label_vi from dim_indicator where is_group").fetchall())
    report = LeverReport(
        province_code=province,
        province_name=(name_row[0] if name_row and name_row[0] else province),
        period=period,
        total_score=None if scored is None or scored[0] is None else float(scored[0]),
        rank=None if scored is None else scored[1],
        levers=[],
        group_labels=labels,
    )
    all_levers = [
        Lever(r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6], float(r[7]))
        for r in stake_rows
        if r[5] > 0 and r[7] > 0
    ]
    report.levers = all_levers[:top]
    report.others = {
        code: float(total)
        for code, total in con.execute(
            "select s.unit_code, s.total_score from fct_unit_score s "
            "join dim_unit u on u.unit_code = s.unit_code and u.is_current and u.unit_kind = 'province' "
            "where s.period_type = ? and s.period_key = ? and s.total_score is not null and s.unit_code <> ?",
            [period.period_type, period.key, province],
        ).fetchall()
    }
    if report.total_score is not None:
        counts = province_counts(con, province, period)
        report.new_total = half_up(report.total_score + simulate(report.levers, counts))
        if report.others:
            report.new_rank = competition_rank(report.new_total, report.others)
    with_stakes = {r[2] for r in stake_rows}
    for group in ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH"):
        if group in with_stakes:
            continue
        kinds = {t.formula_kind for ts in BY_SCORE.values() for t in ts if t.group_code == group}
        report.not_computed[group] = (
            "công thức điểm của Cổng chưa xác định"
            if kinds == {"unknown"}
            else "số liệu của tỉnh không bằng tổng số liệu các đơn vị, hoặc chưa có số liệu"
        )
    report.changed_formulas = [
        r[0]
        for r in con.execute(
            "select indicator_code from rpt_score_formula_changes where still_disagreeing order by 1"
        ).fetchall()
    ]
    report.procedures = [
        ProcedureLever(r[0], r[1], r[2], r[3], int(r[4]), r[5], float(r[6]))
        for r in con.execute(
            "select s.formality_code, f.formality_name, s.group_code, s.indicator_code, s.counts_to_change, "
            "s.change_label_vi, s.points_at_stake from rpt_procedure_points_at_stake s "
            "left join (select formality_id, arg_max(formality_name, valid_from) as formality_name "
            "from dim_formality group by formality_id) f using (formality_id) "
            "where s.unit_code = s.province_code and s.province_code = ? and s.period_type = ? "
            "and s.period_key = ? and s.counts_to_change > 0 and s.points_at_stake > 0 "
            "order by s.points_at_stake desc, s.formality_code, s.indicator_code limit 5",
            key,
        ).fetchall()
    ]
    return report


def province_counts(con: duckdb.DuckDBPyConnection, province: str, period: Period) -> Counts:
    """The province's own counts of every term indicator, from the captures its stakes come from."""
    rows = con.execute(
        "select indicator_code, numerator, denominator, value from fct_indicator_capture "
        "where is_current and not derived and unit_code = ? and province_code = ? and scope = ? "
        "and period_type = ? and period_key = ?",
        [province, province, province, period.period_type, period.key],
    ).fetchall()
    return {code: (n, d, v) for code, n, d, v in rows if code in BY_TERM_INDICATOR}
