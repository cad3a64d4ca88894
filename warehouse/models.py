"""The SQL models: found under ``sql/``, ordered by what each reads, rendered and created.

Why the models are discovered rather than listed: the appendix's ``rpt_*`` models are written by
another hand; dropping a file into ``sql/marts`` is all it takes, and the order comes from the tables
the SQL reads (``warehouse/sql_refs.py``). Staging models are TEMP views: they name landing paths,
which would break in the published file as soon as the landing zone moved, so they never reach it.
Marts are materialised as tables (a mart may ask to be a view with ``-- materialized: view``,
provided it reads only marts and seeds). Headers are parsed by ``warehouse/model_header.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from dvc766.settings import Settings
from warehouse.incremental import (
    Partitioning,
)
from warehouse.model_header import Header, HeaderError, parse_header
from warehouse.sql_refs import LANDING_PREFIX, SqlParseError, table_refs

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
SEEDS = ("seed_indicator", "seed_province_merger", "seed_province", "seed_watch_rule", "seed_score_formula")
_LANDING_RE = re.compile(r"\{\{\s*landing\('([a-z_]+)'\)\s*\}\}")


class ModelError(ValueError):
    """The SQL models cannot be ordered or built (a cycle, a bad reference, a failing statement)."""


@dataclass(frozen=True)
class Model:
    name: str
    layer: str  # staging | marts
    materialized: str  # temp_view | table | view
    sql: str
    path: Path
    depends_on: frozenset[str] = frozenset()
    header: Header = field(default_factory=Header)

    @property
    def partitioning(self) -> Partitioning:
        return Partitioning.of(self.header)

    @property
    def landing_dataset(self) -> str | None:
        """The landing dataset a staging model reads (``{{ landing('<dataset>') }}``)."""
        m = _LANDING_RE.search(self.sql)
        return m.group(1) if m else None


def discover_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """Every model file under ``staging/`` and ``marts/``, with the model names it reads."""
    found: list[tuple[str, str, str, Path]] = []
    for layer in ("staging", "marts"):
        for path in sorted((sql_dir / layer).glob("*.sql")):
            found.append((path.stem, layer, path.read_text(encoding="utf-8"), path))
    names = {name for name, *_ in found} | set(SEEDS)
    models = []
    for name, layer, sql, path in found:
        try:
            refs = table_refs(sql)
        except SqlParseError as exc:
            raise ModelError(f"model {name} ({path}) is not valid DuckDB SQL: {exc}") from None
        unknown = sorted(r for r in refs if r not in names and r != name and not r.startswith(LANDING_PREFIX))
        if unknown:
            raise ModelError(
                f"model {name} ({path}) reads {', '.join(unknown)}: neither a model under sql/ nor a seed"
            )
        deps = frozenset(r for r in refs if r in names and r != name)
        try:
            header = parse_header(sql, path)
        except HeaderError as exc:
            raise ModelError(str(exc)) from None
        materialized = "temp_view" if layer == "staging" else (header.materialized or "table")
        models.append(Model(name, layer, materialized, sql, path, deps, header))
    by_name = {m.name: m for m in models}
    for m in models:
        if m.materialized == "view" and any(
            d in by_name and by_name[d].layer == "staging" for d in m.depends_on
        ):
            raise ModelError(f"{m.path}: a published view may not read staging (it names landing paths)")
    return models


def order_models(models: Iterable[Model]) -> list[Model]:
    """Models in an order where each comes after the models it reads (ties by name)."""
    by_name = {m.name: m for m in models}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for m in sorted(by_name.values(), key=lambda m: m.name):
        sorter.add(m.name, *sorted(d for d in m.depends_on if d in by_name))
    try:
        sorter.prepare()
    except CycleError as exc:
        raise ModelError(f"models depend on each other in a cycle: {' -> '.join(exc.args[1])}") from exc
    ordered: list[Model] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(by_name[n] for n in ready)
        sorter.done(*ready)
    return ordered


def render(model: Model, sources: dict[str, str]) -> str:
    """The model's SQL with its landing placeholders filled in."""

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in sources:
            raise ModelError(f"{model.path}: unknown landing dataset {m.group(1)!r}")
        return sources[m.group(1)]

    return _LANDING_RE.sub(sub, model.sql).strip().rstrip(";")


def configure_build_connection(con: duckdb.DuckDBPyConnection, memory_limit: str | None = None) -> None:
    """Settings every build connection runs with (``memory_limit``: ``Settings.build_memory_limit``)."""
    # Marts are keyed tables, not ordered lists: letting DuckDB write rows in any order lets it
    # parallelise the large copies (several times faster on millions of indicator rows).
    con.execute("set enable_progress_bar = false")
    con.execute("set preserve_insertion_order = false")
    # DuckDB's default limit is 80 % of RAM, which it then uses: a 60-month build peaked at 4 GB.
    # Capped, it spills to ``<file>.tmp`` and runs faster too (24 months: 66 s / 2.2 GB -> 51 s / 1.3 GB;
    # see Settings.build_memory_limit, DVC766_BUILD_MEMORY_LIMIT).
    con.execute(f"set memory_limit = '{memory_limit or Settings.from_env().build_memory_limit}'")


def create_model(con: duckdb.DuckDBPyConnection, model: Model, body: str) -> None:
    kind = {"temp_view": "temp view", "view": "view", "table": "table"}[model.materialized]
    # `-- joins: as written`: DuckDB's join-order optimizer, misled by its estimates of small CTEs
    # (a few thousand rows), hashes the million-row side of their joins instead; for such a model the
    # joins run as written, each right side the small hash table (fct_indicator_derived, 60 months:
    # 12.9 s -> 6.3 s; benchmarks/README.md).
    if model.header.joins_as_written:
        con.execute("set disabled_optimizers = 'join_order'")
    try:
        con.execute(f'create or replace {kind} "{model.name}" as {body}')
    except duckdb.Error as exc:
        raise ModelError(f"model {model.name} ({model.path}) failed: {exc}") from exc
    finally:
        if model.header.joins_as_written:
            con.execute("reset disabled_optimizers")


def create_macros(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> None:
    """The shared macros of ``sql/macros.sql`` (temp: the published file holds only their results)."""
    path = sql_dir / "macros.sql"
    if path.is_file():
        try:
            con.execute(path.read_text(encoding="utf-8"))
        except duckdb.Error as exc:
            raise ModelError(f"{path} failed: {exc}") from exc
