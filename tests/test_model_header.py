"""Every model's and check's header, in the one dialect of sql/README.md, parsed once."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.model_header import Header, HeaderError, parse_header
from warehouse.models import SQL_DIR, ModelError, discover_models


def test_every_mart_declares_grain_and_key_in_the_one_dialect() -> None:
    for path in sorted((SQL_DIR / "marts").glob("*.sql")):
        header = parse_header(path.read_text(encoding="utf-8"), path)
        assert header.grain and header.key, path.name
    for path in sorted((SQL_DIR / "checks").glob("*.sql")):
        assert parse_header(path.read_text(encoding="utf-8"), path).severity in ("error", "warn"), path.name


def test_fields_and_prose() -> None:
    text = (
        "-- Mart: why this table exists.\n-- materialized: view\n-- incremental: year\n-- lookback: 1 year\n"
        "-- grain: one row per unit × period\n-- key: unit_code,\n--      period_key\n-- Key words in prose: ignored.\n"
        "select 1\n-- key: not_a_header_line\n"
    )
    assert parse_header(text, Path("m.sql")) == Header(
        materialized="view",
        grain="one row per unit × period",
        key=("unit_code", "period_key"),
        incremental=True,
        lookback_years=1,
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("-- incremental: month\nselect 1", "'incremental: month' is not one of year"),
        ("-- lookback: a year\nselect 1", "is not a number of years"),
        ("-- key: a\n-- key: b\nselect 1", "sets 'key' twice"),
        ("-- materialized: tabel\nselect 1", "is not one of table, view"),
    ],
)
def test_a_bad_header_names_its_file(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(HeaderError, match=words) as err:
        parse_header(text, tmp_path / "rpt_x.sql")
    assert "rpt_x.sql" in str(err.value)


def test_a_bad_header_stops_discovery_naming_the_model(tmp_path: Path) -> None:
    import shutil

    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    (sql / "marts" / "rpt_x.sql").write_text("-- incremental: month\nselect 1 as a\n", encoding="utf-8")
    with pytest.raises(ModelError, match="rpt_x.sql"):
        discover_models(sql)


def test_a_grain_goes_on_over_indented_comment_lines() -> None:
    sql = (
        "-- Mart: x\n-- grain: one row per unit × version; a new version starts when the name\n"
        "--        or ID changes.\n-- key: unit_code, valid_from\n-- Why: prose, not the grain.\nselect 1\n"
    )
    header = parse_header(sql, Path("x.sql"))
    assert header.grain == "one row per unit × version; a new version starts when the name or ID changes"
    assert header.key == ("unit_code", "valid_from")
