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


def empty_tables() -> dict[str, pa.Table]:
    return {name: schema.empty_table() for name, schema in DATASETS.items()}


class Rows:
    """Collects the rows of one capture and turns them into the landing tables."""

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
        self.formality_id = formality_id
        prefix = "procedure_" if formality_id else ""
        self._scores, self._values = f"{prefix}unit_scores", f"{prefix}indicator_values"
        self._extra = {"formality_id": formality_id} if formality_id else {}
        self.data: dict[str, list[dict[str, Any]]] = {k: [] for k in DATASETS}

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
        self.data[self._scores].append(
            {
                "unit_code": unit,
                **self._extra,
                "province_code": province,
                "group_code": group,
                "score": score,
                "max_score": max_score,
                "ratio": ratio,
                "rank_in_scope": rank,
                "rank_scope_size": size,
                **self.prov,
            }
        )

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
        self.data[self._values].append(
            {
                "unit_code": unit,
                **self._extra,
                "province_code": province,
                "indicator_code": code,
                "group_code": group,
                "numerator": num,
                "denominator": den,
                "value": value,
                "score": score,
                "max_score": max_score,
                "quality_flag": flag,
                **self.prov,
            }
        )

    def unit(
        self, unit: str, province: str, kind: str, unit_id: str | None, name: str | None, parent: str | None
    ) -> None:
        if self.formality_id:
            return  # a per-procedure answer names the same units as the unit's own: sighted there
        self.data["units_seen"].append(
            {
                "unit_code": unit,
                "province_code": province,
                "unit_id": unit_id,
                "unit_name": name,
                "unit_kind": kind,
                "parent_code": parent,
                **self.prov,
            }
        )

    def series(self, unit: str, province: str, code: str, month: str, value: float | None) -> None:
        if self.formality_id:
            return  # one procedure's month chart is not the unit's series (not landed; kept in raw/)
        self.data["reported_series"].append(
            {
                "unit_code": unit,
                "province_code": province,
                "series_code": code,
                "series_month": month,
                "value": value,
                **self.prov,
            }
        )

    def formality(self, item: Any) -> None:
        self.data["formalities"].append(
            {
                "formality_id": item.id,
                "formality_code": item.code,
                "formality_name": item.name,
                "state": item.state,
                "department_id": item.departmentId,
                "publishing_department_ids": list(item.publishingDepartmentIds),
                "applied_department_ids": list(item.appliedDepartmentIds),
                **self.prov,
            }
        )

    def drift(self, items: Iterable[Drift]) -> None:
        for d in items:
            self.data["schema_drift"].append({"field_path": d.path, "example_value": d.example, **self.prov})

    def tables(self) -> dict[str, pa.Table]:
        return {
            name: pa.Table.from_pylist(self.data[name], schema=schema) for name, schema in DATASETS.items()
        }
