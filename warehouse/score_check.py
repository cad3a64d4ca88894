"""What the score check found that someone must hear of: the portal changing a formula.

Why its own module: ``fct_score_check`` recomputes every published score from the seed
``score_formulas.csv``; when an indicator whose captures agreed starts to disagree in whole captures,
the portal has changed its formula (``rpt_score_formula_changes``). That must never pass silently: the
build reads those rows into :class:`warehouse.runner.BuildResult` (plain dicts, so they travel in a
run's summary through Prefect states), ``dvc766 build`` and every run summary print them
(:func:`change_line`), and an alert channel can read them from the summary's ``build`` dict under
``formula_changes``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

TABLE = "rpt_score_formula_changes"
_FIELDS = (
    "indicator_code",
    "group_code",
    "first_disagreeing_at",
    "last_agreeing_at",
    "disagreeing_captures",
    "first_scope",
    "first_period_key",
    "first_units_checked",
    "first_units_disagreeing",
    "example_unit_code",
    "example_portal_score",
    "example_recomputed_score",
)


def formula_changes(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The indicators whose latest captures disagree with the seed after earlier ones agreed (empty
    when the table is absent, as in a build made with other models)."""
    present = con.execute(
        "select count(*) from duckdb_tables() where table_name = ? and schema_name = 'main'", [TABLE]
    ).fetchone()
    if not present or not present[0]:
        return []
    rows = con.execute(
        f"select {', '.join(_FIELDS)} from {TABLE} where still_disagreeing "
        "order by first_disagreeing_at, indicator_code"
    ).fetchall()
    out = []
    for row in rows:
        d = dict(zip(_FIELDS, row, strict=True))
        for k in ("first_disagreeing_at", "last_agreeing_at"):
            if isinstance(d[k], datetime):
                d[k] = d[k].isoformat()
        out.append(d)
    return out


def _num(x: object) -> str:
    return "no score" if x is None else f"{float(x):g}"  # type: ignore[arg-type]


def change_line(d: dict[str, Any]) -> str:
    """One line for a person: which score, since when, an example, what to do."""
    since = str(d.get("first_disagreeing_at") or "")[:10]
    until = str(d.get("last_agreeing_at") or "")[:10]
    example = ""
    if d.get("example_unit_code"):
        example = (
            f"; e.g. {d['example_unit_code']} in {d.get('first_scope')} {d.get('first_period_key')}: portal "
            f"{_num(d.get('example_portal_score'))}, model {_num(d.get('example_recomputed_score'))}"
        )
    return (
        f"{d.get('indicator_code')} ({d.get('group_code')}): {d.get('disagreeing_captures')} capture(s) since "
        f"{since} disagree with dvc766/reference/score_formulas.csv (they agreed until {until}){example} — "
        "the portal has changed this formula; published scores are the portal's, points at stake use "
        "the old one until the seed is updated (docs/scoring.md)"
    )
