"""Building landing rows from one capture: the pieces both normalisers share. Pure, no I/O.

:class:`Rows` collects the rows of one capture with the period and provenance columns every landing
row carries (:mod:`dvc766.landing_schema`), and turns them into Arrow tables. A per-procedure capture
(a request filtered by ``formalityId``) writes its scores and indicators into the ``procedure_*``
datasets instead, so a unit's own figures and one procedure's share of them never mix; it adds no
unit sightings (the unit's own answers give them) and no month series.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pyarrow as pa

from dvc766.landing_schema import DATASETS
from flows.capture import Capture
from flows.sources.contract import Drift

DISTRICT_LEVEL_ENDS = date(2025, 7, 1)  # the 2025 reorganisation ended the district level


def pct(num: int | None, den: int | None) -> float | None:
    """100 × num / den, None when either is unknown or the denominator is 0 (no data, not 0 %)."""
    if num is None or den is None or den == 0:
        return None
    return 100.0 * num / den


def competition_ranks(scores: list[float | None]) -> list[int | None]:
    """Rank by score descending, ties sharing the best rank (1, 2, 2, 4); null scores get no rank."""
    known = sorted((s for s in scores if s is not None), reverse=True)
    first: dict[float, int] = {}
    for i, s in enumerate(known, start=1):
        first.setdefault(s, i)
    return [None if s is None else first[s] for s in scores]


def child_kind_for(period_end: date, commune_level: bool) -> str:
    """A commune-level child is a district before the July 2025 reorganisation, a commune after."""
    if not commune_level:
        return "agency"
    return "district" if period_end < DISTRICT_LEVEL_ENDS else "commune"


# Arrow tables are immutable, so one empty table per dataset serves every capture (most captures
# fill two or three of the eight datasets; making the others anew was a tenth of building rows).
_EMPTY = {name: schema.empty_table() for name, schema in DATASETS.items()}


# The period and provenance columns every dataset ends with: one value per capture, not per row.
PROVENANCE = tuple(f.name for f in DATASETS["unit_scores"] if f.name in {
    "period_type", "period_key", "period_start", "period_end", "captured_at", "source_api", "endpoint",
    "scope", "capture_id", "raw_sha256", "derived"})  # fmt: skip
_ROW_FIELDS = {name: schema.names[: len(schema.names) - len(PROVENANCE)] for name, schema in DATASETS.items()}
_PROV_TYPES = {f: DATASETS["unit_scores"].field(f).type for f in PROVENANCE}
assert all(schema.field(f).type == t for schema in DATASETS.values() for f, t in _PROV_TYPES.items())


class Rows:
    """Collects the rows of one capture and turns them into the landing tables.

    Why tuples and columns, not a dict per row: a month lands ~160,000 rows, and building a
    20-key dict per row and letting Arrow read the dicts back (``Table.from_pylist``) was a third
    of the landing time. Each row is a tuple of its own columns, in the dataset's schema order; the
    period and provenance columns (the same for every row of a capture) are made once per table.
    """

    def __init__(self, capture: Capture, formality_id: str | None = None) -> None:
        p = capture.period
        self.prov = {
            "period_type": p.period_type,
            "period_key": p.key,
            "period_start": p.start,
            "period_end": p.end,
            "captured_at": capture.captured_at,
            "source_api": capture.api,
            "endpoint": capture.endpoint,
            "scope": capture.scope,
            "capture_id": capture.capture_id,
            "raw_sha256": capture.sha256,
            "derived": False,
        }
        assert tuple(self.prov) == PROVENANCE
        self.formality_id = formality_id
        prefix = "procedure_" if formality_id else ""
        self._scores, self._values = f"{prefix}unit_scores", f"{prefix}indicator_values"
        self.data: dict[str, list[tuple[Any, ...]]] = {k: [] for k in DATASETS}
        # the row layouts of this capture's score and indicator datasets, bound once
        self._score_rows = self.data[self._scores]
        self._value_rows = self.data[self._values]

    def score(
        self,
        unit: str,
        province: str,
        group: str,
        score: float | None,
        max_score: float | None,
        ratio: float | None,
        rank: int | None = None,
        size: int | None = None,
    ) -> None:
        if self.formality_id:
            row: tuple[Any, ...] = (
                unit,
                self.formality_id,
                province,
                group,
                score,
                max_score,
                ratio,
                rank,
                size,
            )
        else:
            row = (unit, province, group, score, max_score, ratio, rank, size)
        self._score_rows.append(row)

    def indicator(
        self,
        unit: str,
        province: str,
        code: str,
        group: str,
        *,
        num: int | None = None,
        den: int | None = None,
        value: float | None = None,
        score: float | None = None,
        max_score: float | None = None,
        flag: str | None = None,
    ) -> None:
        if self.formality_id:
            row: tuple[Any, ...] = (unit, self.formality_id, province, code, group, num, den, value, score,
                                    max_score, flag)  # fmt: skip
        else:
            row = (unit, province, code, group, num, den, value, score, max_score, flag)
        self._value_rows.append(row)

    def unit(
        self, unit: str, province: str, kind: str, unit_id: str | None, name: str | None, parent: str | None
    ) -> None:
        if self.formality_id:
            return  # a per-procedure answer names the same units as the unit's own: sighted there
        self.data["units_seen"].append((unit, province, unit_id, name, kind, parent))

    def series(self, unit: str, province: str, code: str, month: str, value: float | None) -> None:
        if self.formality_id:
            return  # one procedure's month chart is not the unit's series (not landed; kept in raw/)
        self.data["reported_series"].append((unit, province, code, month, value))

    def formality(self, item: Any) -> None:
        self.data["formalities"].append(
            (
                item.id,
                item.code,
                item.name,
                item.state,
                item.departmentId,
                list(item.publishingDepartmentIds),
                list(item.appliedDepartmentIds),
            )
        )

    def drift(self, items: Iterable[Drift]) -> None:
        for d in items:
            self.data["schema_drift"].append((d.path, d.example))

    def tables(self) -> dict[str, pa.Table]:
        # The period and provenance columns: one value per capture, repeated in Arrow once, as long
        # as the capture's longest table, and sliced for each table (no copy), rather than n Python
        # objects, or one array per table and column.
        longest = max(map(len, self.data.values()), default=0)
        prov = (
            {f: pa.repeat(pa.scalar(self.prov[f], type=_PROV_TYPES[f]), longest) for f in PROVENANCE}
            if longest
            else {}
        )
        return {name: self._table(name, schema, prov) for name, schema in DATASETS.items()}

    def _table(self, name: str, schema: pa.Schema, prov: dict[str, pa.Array]) -> pa.Table:
        rows = self.data[name]
        if not rows:
            return _EMPTY[name]
        n = len(rows)
        own = _ROW_FIELDS[name]
        columns = list(zip(*rows, strict=True)) if own else []
        arrays = [pa.array(col, type=schema.field(f).type) for f, col in zip(own, columns, strict=True)]
        arrays += [prov[f].slice(0, n) for f in PROVENANCE]
        return pa.Table.from_arrays(arrays, schema=schema)
