"""The incremental engine: rebuild, in a copy of the published file, only the years that changed.

What a build may keep (landing and code fingerprints, year partitions) is decided in
``warehouse/incremental.py``; this module does the rebuilding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dvc766.storage import Store
from warehouse.checks import (
    Check,
    CheckResult,
    run_check,
)
from warehouse.incremental import (
    PARTITION_EXPR,
    LandingState,
    Partitioning,
)
from warehouse.inputs import landing_sources
from warehouse.models import SEEDS, Model, ModelError, create_model, render
from warehouse.sql_refs import table_refs


def _year_list(years: set[str]) -> str:
    """``years`` as a SQL list of string literals (years are four digits: nothing to escape)."""
    if any(not (y.isdigit() and len(y) == 4) for y in years):
        raise ModelError(f"partition years must be four digits: {sorted(years)}")
    return "(" + ", ".join(f"'{y}'" for y in sorted(years)) + ")" if years else "(select null where false)"


@dataclass
class IncrementalBuild:
    """Rebuild, inside a copy of the published file, only what changed in the landing zone.

    ``dirty`` holds, for each year-partitioned model (and staging view), the years whose rows must
    be rebuilt; ``changed`` says of every other model (and seed) whether its content changed. An
    incremental model rebuilds the years its inputs' changes reach (``affected_years``), reading
    only the years it needs (``input_years``): its inputs are shadowed, for one statement, by temp
    views restricted to those years. A whole-table model is rebuilt when an input changed and
    compared with the rows it replaces; when they differ, its readers rebuild every year.
    """

    con: duckdb.DuckDBPyConnection
    landing_dir: str | Path | Store
    landing: LandingState
    changed_landing: dict[str, set[str]]
    all_years: set[str]
    models: list[Model]
    dirty: dict[str, set[str]] = field(default_factory=dict)
    changed: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {m.name: m for m in self.models}
        self.database = self.con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
        for seed in SEEDS:
            self.changed[seed] = False  # the code fingerprint covers the seeds

    def run(self) -> None:
        for model in self.models:
            if model.layer == "staging":
                self.dirty[model.name] = set(self.changed_landing.get(model.landing_dataset or "", set()))
            elif model.partitioning.incremental:
                self._rebuild_years(model)
            else:
                self._rebuild_whole(model)

    def years_rebuilt(self) -> list[str]:
        return sorted(
            {y for name, ys in self.dirty.items() if self.by_name[name].layer != "staging" for y in ys}
        )

    def _incremental(self, name: str) -> bool:
        m = self.by_name.get(name)
        return m is not None and (m.layer == "staging" or m.partitioning.incremental)

    def _rebuild_years(self, model: Model) -> None:
        part = model.partitioning
        whole_inputs_changed = any(
            self.changed.get(d, False) for d in model.depends_on if not self._incremental(d)
        )
        if whole_inputs_changed:
            years = set(self.all_years)
        else:
            years = set()
            for d in model.depends_on:
                if self._incremental(d):
                    years |= part.affected_years(self.dirty[d])
        years &= self.all_years  # a lookback reaching past the last year has nothing to rebuild
        self.dirty[model.name] = years
        if not years or model.materialized == "view":
            return  # a view (its definition is in the copy) shows its inputs' rebuilt years as it stands
        shadowed = self._partitioned_marts(model.depends_on)
        self._shadow(shadowed, part.input_years(years))
        try:
            body = self._render_scoped(model, part.input_years(years))
            try:
                self.con.execute(f'delete from "{model.name}" where {PARTITION_EXPR} in {_year_list(years)}')
                self.con.execute(
                    f'insert into "{model.name}" select * from ({body}) where {PARTITION_EXPR} in {_year_list(years)}'
                )
            except duckdb.Error as exc:
                raise ModelError(f"model {model.name} ({model.path}) failed: {exc}") from exc
        finally:
            self._unshadow(shadowed)

    def _rebuild_whole(self, model: Model) -> None:
        inputs_changed = any(self.dirty.get(d) or self.changed.get(d, False) for d in model.depends_on)
        if not inputs_changed:
            self.changed[model.name] = False
            return
        body = self._render_scoped(model, None)
        if model.materialized != "table":
            create_model(self.con, model, body)
            self.changed[model.name] = True
            return
        previous = f"_previous_{model.name}"
        self.con.execute(f'alter table "{model.name}" rename to "{previous}"')
        create_model(self.con, model, body)
        differs = self.con.execute(
            f'select exists (select * from "{model.name}" except all select * from "{previous}") '
            f'or exists (select * from "{previous}" except all select * from "{model.name}")'
        ).fetchone()[0]  # type: ignore[index]
        self.con.execute(f'drop table "{previous}"')
        self.changed[model.name] = bool(differs)

    def _render_scoped(self, model: Model, years: set[str] | None) -> str:
        """The model's SQL; staging views it reads are re-created over the files of ``years``."""
        staging = [
            self.by_name[d]
            for d in sorted(model.depends_on)
            if d in self.by_name and self.by_name[d].layer == "staging"
        ]
        if staging:
            sources, _ = landing_sources(self.con, self.landing_dir, self.landing, years)
            for view in staging:
                create_model(self.con, view, render(view, sources))
        return render(model, {})

    def _partitioned_marts(self, names: Iterable[str]) -> list[str]:
        return sorted(
            n
            for n in names
            if n in self.by_name and self.by_name[n].layer == "marts" and self._incremental(n)
        )

    def _shadow(self, names: list[str], years: set[str]) -> None:
        """Temp views named like the marts ``names``, showing only ``years`` (temp objects come first
        in DuckDB's search path, so the SQL reading them is unchanged)."""
        for name in names:
            self.con.execute(
                f'create or replace temp view "{name}" as select * from "{self.database}".main."{name}" '
                f"where {PARTITION_EXPR} in {_year_list(years)}"
            )

    def _unshadow(self, names: list[str]) -> None:
        for name in names:
            self.con.execute(f'drop view if exists temp.main."{name}"')

    def run_check(self, check: Check) -> CheckResult:
        """A year-partitioned ``error`` check looks only at the rebuilt years of the tables it reads;
        warnings and whole-table checks look at everything (their counts are reported as a whole)."""
        refs = set(table_refs(check.sql))
        part = Partitioning.of(check.header)
        scoped = (
            part.incremental
            and check.severity == "error"
            and not any(self.changed.get(r, False) for r in refs if not self._incremental(r))
        )
        if not scoped:
            return run_check(self.con, check)
        years = set().union(*(self.dirty.get(r, set()) for r in refs if self._incremental(r)))
        shadowed = self._partitioned_marts(refs)
        self._shadow(shadowed, years)
        try:
            return run_check(self.con, check)
        finally:
            self._unshadow(shadowed)
