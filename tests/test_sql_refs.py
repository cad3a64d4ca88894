"""Model dependencies come from the SQL's grammar: a table read only through ``unpivot`` is still a
dependency, and a model reading a table nothing builds is a build error naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dvc766.settings import Settings
from tests.published import query
from tests.test_warehouse import write_two_months
from warehouse.models import SQL_DIR, ModelError, discover_models, order_models
from warehouse.runner import build
from warehouse.sql_refs import table_refs

# Sorted by name it would run before fct_unit_score, whose rows it reshapes, and fail on a missing table.
UNPIVOT_ONLY = """-- Mart: each unit's scores in long form (one row per unit × period × score column).
-- grain: one row per unit × period × item
-- key: unit_code, period_type, period_key, item
unpivot fct_unit_score
on total_score, score_ckmb, score_tdgq, score_clgq, score_tttt, score_mdhl, score_mdsh
into name item value score
"""


def _sql_dir(tmp_path: Path, name: str, text: str) -> Path:
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    (sql / "marts" / f"{name}.sql").write_text(text, encoding="utf-8")
    return sql


def test_a_model_read_only_through_unpivot_is_built_first(tmp_path: Path) -> None:
    assert table_refs(UNPIVOT_ONLY) == {"fct_unit_score"}
    sql = _sql_dir(tmp_path, "dim_aaa_scores_long", UNPIVOT_ONLY)
    order = [m.name for m in order_models(discover_models(sql))]
    assert order.index("fct_unit_score") < order.index("dim_aaa_scores_long")
    data = tmp_path / "data"
    write_two_months(data)
    settings = Settings(data_dir=data)
    build(settings, sql_dir=sql, checks_dir=SQL_DIR / "checks")
    got = query(
        settings.warehouse_path, "select count(*) from dim_aaa_scores_long where item = 'total_score'"
    )
    assert got == query(
        settings.warehouse_path, "select count(*) from fct_unit_score where total_score is not null"
    )
    # the check reading fct_unit_score only through unpivot knows it reads it
    check = (SQL_DIR / "checks" / "score_le_max_score.sql").read_text(encoding="utf-8")
    assert {"fct_indicator", "fct_unit_score"} <= table_refs(check)


def test_a_model_reading_an_unknown_table_is_a_build_error_naming_it(tmp_path: Path) -> None:
    sql = _sql_dir(tmp_path, "rpt_typo", "-- key: unit_code\nselect unit_code from fct_unit_scores\n")
    data = tmp_path / "data"
    write_two_months(data)
    with pytest.raises(ModelError, match=r"model rpt_typo .* reads fct_unit_scores: neither a model"):
        build(Settings(data_dir=data), sql_dir=sql, checks_dir=SQL_DIR / "checks")
    assert not Settings(data_dir=data).warehouse_path.exists()


def test_a_model_that_is_not_sql_is_named(tmp_path: Path) -> None:
    sql = _sql_dir(tmp_path, "rpt_broken", "select from where (\n")
    with pytest.raises(ModelError, match=r"model rpt_broken .* is not valid DuckDB SQL"):
        discover_models(sql)
