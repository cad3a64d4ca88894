"""Everything the monthly appendix prints, read once from the published warehouse's ``rpt_*`` tables
into the plain values of :mod:`warehouse.appendix_model`.

Why a separate data layer: the three renderers (md, docx, xlsx) must print the same figures, so they
all take one ``AppendixData`` and none of them queries DuckDB or derives a figure. Changes come from
SQL (the ``change_*`` columns); this module only picks the right columns per line
(``warehouse/appendix_lines.py``) and keeps figures as Decimals.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from dvc766.cli import UserError
from dvc766.periods import Period
from warehouse.appendix_lines import (
    ONLINE_PAYMENT_DECIMALS,
    ONLINE_SERVICE_DECIMALS,
    SUMMARY_LINES,
)
from warehouse.appendix_model import (
    GROUP_SCORES,
    AppendixData,
    ProcedureRow,
    ScoreLine,
    ScorePoint,
    SummaryRow,
    UnitRow,
    UnitTable,
    local_level,
    unit_display_name,
    vn_day,
)
from warehouse.numbers_vi import to_decimal

PROVINCE_CODE_RE = re.compile(r"^H\d{2}$")


def _procedures(con: duckdb.DuckDBPyConnection, code: str, month: Period, limit: int = 20) -> tuple:
    has = con.execute(
        "select count(*) from information_schema.tables where table_name = 'fct_procedure_indicator'"
    ).fetchone()
    if not has or not has[0]:
        return ()
    rows = _rows(
        con,
        "select p.formality_code as code, coalesce(f.formality_name, p.formality_code) as name, "
        "p.numerator as overdue, p.denominator as received, round(100.0 * p.numerator / p.denominator, 2) as rate "
        "from fct_procedure_indicator p left join dim_formality f on f.formality_code = p.formality_code "
        "and f.is_current where p.unit_code = ? and p.period_type = 'month' and p.period_key = ? "
        "and p.indicator_code = 'PROGRESS_OVERDUE' and p.is_current and p.numerator > 0 "
        "order by p.numerator desc, p.formality_code limit ?",
        [code, month.key, limit],
    )
    return tuple(
        ProcedureRow(
            r["code"] or "",
            r["name"] or "",
            to_decimal(r["overdue"]),
            to_decimal(r["received"]),
            to_decimal(r["rate"]),
        )  # fmt: skip
        for r in rows
    )


def _seen_late(con: duckdb.DuckDBPyConnection, code: str, period: Period) -> date | None:
    """The Vietnam-time day of the latest late capture used for a province's month end, if the
    warehouse had only late captures of it (as_of 'late'; see fct_indicator_capture)."""
    row = con.execute(
        "select max(cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date)) from fct_indicator "
        "where unit_code = ? and period_type = 'ytd' and period_key = ? and as_of = 'late'",
        [code, period.key],
    ).fetchone()
    return row[0] if row and row[0] is not None else None


def _connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    if not db_path.is_file():
        raise UserError(f"no warehouse at {db_path}: run `dvc766 build` (or `make demo`) first")
    try:
        return duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        raise UserError(f"cannot open the warehouse {db_path} read-only: {exc}") from exc


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _check_tables(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    have = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    need = {
        "dim_unit",
        "rpt_province_summary",
        "rpt_overdue_by_unit",
        "rpt_online_service_by_unit",
        "rpt_online_payment_by_unit",
        "rpt_score_history",
    }
    missing = sorted(need - have)
    if missing:
        raise UserError(
            f"the warehouse {db_path} has no {', '.join(missing)}: rebuild it with `dvc766 build`"
        )


def _province_name(con: duckdb.DuckDBPyConnection, code: str) -> str:
    if not PROVINCE_CODE_RE.fullmatch(code):
        raise UserError(f"unknown province code {code!r}: expected a code like H55")
    rows = con.execute(
        "select unit_name from dim_unit where unit_code = ? and unit_kind = 'province' "
        "order by is_current desc, valid_from desc limit 1",
        [code],
    ).fetchall()
    if not rows:
        known = [
            r[0]
            for r in con.execute(
                "select distinct unit_code from dim_unit where unit_kind = 'province' order by 1"
            ).fetchall()
        ]
        if not known:
            raise UserError(
                f"the warehouse holds no figures yet (no province at all, {code} included): take the "
                "month-end figures with `dvc766 snapshot` (or run `make demo`), then `dvc766 build`"
            )
        sample = ", ".join(known[:5]) + (", …" if len(known) > 5 else "")
        raise UserError(f"unknown province {code}: the warehouse has no such province (it has {sample})")
    return str(rows[0][0])


def _check_month(con: duckdb.DuckDBPyConnection, code: str, month: Period, current: Period) -> None:
    first = con.execute(
        "select min(period_end) from rpt_score_history where period_type in ('month', 'ytd')"
    ).fetchone()
    first_ind = con.execute("select min(period_end) from rpt_province_summary").fetchone()
    starts = [d for d in (first[0] if first else None, first_ind[0] if first_ind else None) if d]
    if starts:
        start = min(starts)
        if (month.year, month.number) < (start.year, start.month):
            raise UserError(
                f"month {month.key} is before the warehouse's history (it starts {start.year:04d}-{start.month:02d})"
            )
    has = con.execute(
        "select count(*) from rpt_province_summary where province_code = ? and period_key = ?",
        [code, current.key],
    ).fetchone()
    if not has or has[0] == 0:
        raise UserError(missing_month_end(con, code, month, current))


def _month_ends(con: duckdb.DuckDBPyConnection, code: str) -> list[str]:
    rows = con.execute(
        "select distinct period_end from rpt_province_summary where province_code = ? order by 1", [code]
    ).fetchall()
    return [vn_day(r[0]) for r in rows]


def missing_month_end(con: duckdb.DuckDBPyConnection, code: str, month: Period, current: Period) -> str:
    """Why the appendix of ``month`` cannot be made, in one line: which capture is missing (the
    year-to-date figures seen on the month's last day), what the warehouse has instead, how to get it."""
    day = vn_day(current.end)
    ends = _month_ends(con, code)
    have = (
        f"{code}'s month ends in the warehouse: {', '.join(ends)}" if ends else f"no month end of {code} is"
    )
    if not ends:
        have += " in the warehouse"
    month_row = con.execute(
        "select count(*) from fct_unit_score where unit_code = ? and period_type = 'month' and period_key = ?",
        [code, month.key],
    ).fetchone()
    backfilled = (
        f"; the month {month.key} itself is there (backfilled), but the appendix compares the year so far"
        if month_row and month_row[0]
        else ""
    )
    return (
        f"no month-end capture of {month.key} for {code}: the appendix needs the year-to-date figures "
        f"seen on {day} (period {current.key}), taken by `dvc766 snapshot` on that day ({have}{backfilled}); "
        f"for a month end already past, `dvc766 backfill --from {month.year}-01 --to {month.key}` lets the "
        "warehouse derive its counts (not its scores or rank)"
    )


def _summary(con: duckdb.DuckDBPyConnection, code: str, current: Period) -> tuple[list[SummaryRow], Any]:
    rows = _rows(
        con,
        "select * from rpt_province_summary where province_code = ? and period_key = ?",
        [code, current.key],
    )
    by_code = {r["indicator_code"]: r for r in rows}
    captured = max((r["captured_at"] for r in rows if r["captured_at"] is not None), default=None)
    out: list[SummaryRow] = []
    for spec in SUMMARY_LINES:
        r = by_code.get(spec.indicator or "")
        if spec.kind != "figure" or r is None:
            out.append(SummaryRow(spec))
            continue
        if spec.derive == "complement":
            cols = ("rest_count", "rest_rate", "change_rest_count", "change_rest_rate")
        else:
            cols = ("count_value", "rate", "change_count", "change_rate")
        count, rate, dcount, drate = cols
        with_count = spec.count_style is not None
        out.append(
            SummaryRow(
                spec,
                prev_count=to_decimal(r[f"prev_{count}"]) if with_count else None,
                prev_total=to_decimal(r["prev_total_value"]) if with_count else None,
                prev_rate=to_decimal(r[f"prev_{rate}"]) if spec.show_rate else None,
                curr_count=to_decimal(r[count]) if with_count else None,
                curr_total=to_decimal(r["total_value"]) if with_count else None,
                curr_rate=to_decimal(r[rate]) if spec.show_rate else None,
                change_count=to_decimal(r[dcount]) if with_count else None,
                change_rate=to_decimal(r[drate]) if spec.show_rate else None,
            )
        )
    return out, captured


def _score(con: duckdb.DuckDBPyConnection, code: str, current: Period) -> ScoreLine:
    rows = _rows(
        con,
        "select * from rpt_score_history where province_code = ? and period_type = 'ytd' and period_key = ?",
        [code, current.key],
    )
    if not rows:
        return ScoreLine(None, None, None, None, None, None, None, None)
    r = rows[0]
    return ScoreLine(
        prev_score=to_decimal(r["prev_total_score"]),
        prev_rank=r["prev_rank_in_scope"],
        prev_size=r["prev_rank_scope_size"],
        curr_score=to_decimal(r["total_score"]),
        curr_rank=r["rank_in_scope"],
        curr_size=r["rank_scope_size"],
        change_score=to_decimal(r["change_total_score"]),
        change_rank=r["change_rank"],
    )


def _unit_rows(
    con: duckdb.DuckDBPyConnection, table: str, figure: str, code: str, current: Period, part: str | None
) -> list[UnitRow]:
    where = "province_code = ? and period_key = ?"
    params: list[Any] = [code, current.key]
    if part is not None:
        where += " and unit_part = ?"
        params.append(part)
    rows = _rows(
        con,
        f"select unit_code, unit_name, unit_part, prev_{figure} as prev, {figure} as curr, change_{figure} as change "
        f"from {table} where {where} order by part_order, sort_key, unit_code",
        params,
    )
    return [
        UnitRow(
            r["unit_code"],
            unit_display_name(r["unit_name"]),
            to_decimal(r["prev"]),
            to_decimal(r["curr"]),
            to_decimal(r["change"]),
            r["unit_part"] or "",
        )
        for r in rows
    ]


def _history(con: duckdb.DuckDBPyConnection, code: str, month: Period) -> list[ScorePoint]:
    """The 12 month ends up to ``month``'s, each with the year-to-date figures seen that day.

    The same period kind as the score line of Table I (the year-to-date score at the month end), so the
    chart beside the table shows the table's figures; a month end not captured is a point of Nones.
    """
    months: list[Period] = []
    p = month
    for _ in range(12):
        months.append(p)
        p = p.previous_month()
    months.reverse()
    keys = [Period("ytd", m.year, m.number).key for m in months]
    rows = _rows(
        con,
        "select * from rpt_score_history where province_code = ? and period_type = 'ytd' "
        "and list_contains(?, period_key)",
        [code, keys],
    )
    by_key = {r["period_key"]: r for r in rows}
    out = []
    for m, key in zip(months, keys, strict=True):
        r = by_key.get(key)
        if r is None:
            out.append(ScorePoint(m, None, dict.fromkeys(GROUP_SCORES), None, None))
            continue
        out.append(
            ScorePoint(
                m,
                to_decimal(r["total_score"]),
                {g: to_decimal(r[g]) for g in GROUP_SCORES},
                r["rank_in_scope"],
                r["rank_scope_size"],
            )
        )
    return out


def load_appendix(db_path: Path | str, province_code: str, month: Period) -> AppendixData:
    """Read one province's appendix for ``month`` from the published warehouse, read-only.

    Raises ``UserError`` (exit 2, nothing written) for a missing warehouse, an unknown province, a month
    before the warehouse's history, or a month whose month-end year-to-date figures were not captured.
    """
    db_path = Path(db_path)
    code = province_code.strip().upper()
    current = Period("ytd", month.year, month.number)
    previous = current.previous_month()
    con = _connect(db_path)
    try:
        _check_tables(con, db_path)
        name = _province_name(con, code)
        _check_month(con, code, month, current)
        summary, captured = _summary(con, code, current)
        current_seen, previous_seen = _seen_late(con, code, current), _seen_late(con, code, previous)
        procedures = _procedures(con, code, month)
        score = _score(con, code, current)
        overdue_rows = _unit_rows(con, "rpt_overdue_by_unit", "overdue", code, current, None)
        total = next((r for r in overdue_rows if r.unit_code == code), None)
        level, local_title = local_level(month)
        parts = (("agency", "BIỂU TỔNG HỢP CÁC SỞ, BAN, NGÀNH"), ("local", local_title))
        overdue = UnitTable(
            title=f"THỐNG KÊ CHI TIẾT HỒ SƠ QUÁ HẠN CỦA CÁC SỞ, BAN, NGÀNH, {level}",
            rows=tuple(r for r in overdue_rows if r.unit_code != code),
            decimals=0,
            total=total,
        )
        service = [
            UnitTable(
                title=title,
                rows=tuple(_unit_rows(con, "rpt_online_service_by_unit", "rate", code, current, part)),
                decimals=ONLINE_SERVICE_DECIMALS,
            )
            for part, title in parts
        ]
        payment = [
            UnitTable(
                title=title,
                rows=tuple(_unit_rows(con, "rpt_online_payment_by_unit", "rate", code, current, part)),
                decimals=ONLINE_PAYMENT_DECIMALS,
            )
            for part, title in parts
        ]
        history = _history(con, code, month)
    finally:
        con.close()
    return AppendixData(
        province_code=code,
        province_name=name,
        month=month,
        current=current,
        previous=previous,
        summary=summary,
        score=score,
        overdue=overdue,
        online_service=service,
        online_payment=payment,
        score_history=history,
        warehouse_path=db_path,
        captured_at=captured,
        current_seen=current_seen,
        previous_seen=previous_seen,
        procedures=procedures,
    )
