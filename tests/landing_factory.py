"""Small landing datasets for warehouse tests, written exactly as the normaliser would.

Why a factory: each SQL model is tested on a handful of hand-written rows, and those rows must obey
``dvc766/landing_schema.py`` (types, non-null provenance, hive layout) or the test proves nothing
about the real pipeline. Callers give only the columns that matter to the test; the provenance
columns default to a plausible capture of the row's period.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dvc766.landing_schema import DATASETS
from dvc766.periods import Period


def capture_time(text: str) -> datetime:
    """``"2026-09-17T08:00"`` → an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def capture_id_for(captured_at: datetime, salt: str) -> str:
    return f"{captured_at:%Y%m%dT%H%M%SZ}_{hashlib.sha256(salt.encode()).hexdigest()[:12]}"


class Landing:
    """Writes rows into ``<data_dir>/landing/<dataset>/period_type=../period_key=../<file>.parquet``."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "landing"
        self._seq = 0

    def provenance(
        self,
        period: Period,
        captured_at: str,
        *,
        scope: str = "national",
        endpoint: str = "evaluation/service-results",
        source_api: str = "v1",
        derived: bool = False,
        capture_id: str | None = None,
    ) -> dict[str, Any]:
        at = capture_time(captured_at)
        cid = capture_id or capture_id_for(at, f"{endpoint}|{scope}|{period.key}|{captured_at}")
        return {
            "period_type": period.period_type,
            "period_key": period.key,
            "period_start": period.start,
            "period_end": period.end,
            "captured_at": at,
            "source_api": source_api,
            "endpoint": endpoint,
            "scope": scope,
            "capture_id": cid,
            "raw_sha256": hashlib.sha256(cid.encode()).hexdigest(),
            "derived": derived,
        }

    def write(self, dataset: str, rows: list[dict[str, Any]], *, name: str | None = None) -> Path:
        """Write one file per (period_type, period_key) found in ``rows``; returns the last path."""
        schema = DATASETS[dataset]
        by_partition: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in rows:
            by_partition.setdefault((r["period_type"], r["period_key"]), []).append(r)
        path = self.root
        for (ptype, pkey), part in by_partition.items():
            self._seq += 1
            table = pa.Table.from_pylist(
                [{f.name: r.get(f.name) for f in schema} for r in part], schema=schema
            )
            folder = self.root / dataset / f"period_type={ptype}" / f"period_key={pkey}"
            folder.mkdir(parents=True, exist_ok=True)
            scope = part[0]["scope"]
            path = folder / f"{name or f'{scope}__batch{self._seq:04d}'}.parquet"
            pq.write_table(table, path)
        return path

    def unit_seen(
        self,
        unit_code: str,
        name: str,
        unit_id: str,
        prov: dict[str, Any],
        *,
        kind: str | None = None,
        province_code: str | None = None,
        parent_code: str | None = None,
    ) -> dict[str, Any]:
        province = province_code or unit_code.split(".")[0]
        return {
            "unit_code": unit_code,
            "province_code": province,
            "unit_id": unit_id,
            "unit_name": name,
            "unit_kind": kind or ("province" if unit_code == province else "commune"),
            "parent_code": parent_code
            if parent_code is not None
            else (None if unit_code == province else province),
            **prov,
        }

    def score(
        self,
        unit_code: str,
        group_code: str,
        score: float | None,
        prov: dict[str, Any],
        *,
        max_score: float | None = None,
        rank: int | None = None,
        rank_size: int | None = None,
        province_code: str | None = None,
    ) -> dict[str, Any]:
        return {
            "unit_code": unit_code,
            "province_code": province_code or unit_code.split(".")[0],
            "group_code": group_code,
            "score": score,
            "max_score": max_score,
            "ratio": None if score is None or not max_score else round(100 * score / max_score, 2),
            "rank_in_scope": rank,
            "rank_scope_size": rank_size,
            **prov,
        }

    def value(
        self,
        unit_code: str,
        indicator_code: str,
        group_code: str,
        prov: dict[str, Any],
        *,
        numerator: int | None = None,
        denominator: int | None = None,
        value: float | None = None,
        score: float | None = None,
        max_score: float | None = None,
        quality_flag: str | None = None,
        province_code: str | None = None,
    ) -> dict[str, Any]:
        if value is None and numerator is not None and denominator:
            value = round(100 * numerator / denominator, 2)
        return {
            "unit_code": unit_code,
            "province_code": province_code or unit_code.split(".")[0],
            "indicator_code": indicator_code,
            "group_code": group_code,
            "numerator": numerator,
            "denominator": denominator,
            "value": value,
            "score": score,
            "max_score": max_score,
            "quality_flag": quality_flag,
            **prov,
        }
