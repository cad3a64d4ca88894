"""Normalise one capture into the landing datasets: a pure function, no I/O.

``normalise(capture, id_to_code=None) -> {"unit_scores": t, "indicator_values": t, "units_seen": t}``
with exactly the schemas of :mod:`flows.landing_schema` (an empty table where a capture has no rows
of that kind). Dispatches on ``capture.api`` to :mod:`flows.normalise_v1` or
:mod:`flows.normalise_legacy`; the shared row building and value checks live here.

Why the checks: the portal's values become keys, file names and report figures. A unit code that
is not a code, a negative count, NaN, a ratio above 100 or a numerator above its denominator means
the body is not what we think it is, so the whole capture is refused (:class:`QuarantineError`,
naming the field and value) and nothing built from it is landed. A missing field or a value of the
wrong JSON type is a :class:`SchemaChangeError`. ``null`` stays ``None`` (never 0).

``id_to_code``: the transparency and handling-satisfaction endpoints do not return
``departmentCode`` on their rows, only the ``departmentId`` UUID. Units are keyed on codes, never on
names, and a pure function cannot look codes up elsewhere, so the caller passes a UUID → code map;
:func:`build_id_to_code` builds it from the other captures of the same batch (the tree endpoints and
dossier-digitized carry both). ``flows.landing.write_batch`` and ``reland`` do this. Rows whose code
cannot be resolved are dropped and counted in one warning per capture.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pyarrow as pa

from dvc766.provinces import is_safe_unit_code, normalise_code, province_by_code
from flows.capture import Capture, parse_body
from flows.errors import EnvelopeError, QuarantineError, SchemaChangeError
from flows.landing_schema import DATASETS

log = logging.getLogger(__name__)

# The largest figure a real body can carry (counts of dossiers are below 10^9).
NUMBER_LIMIT = 1e15
RATIO_LIMIT = 100.005  # ratios are rounded to two decimals by the portal
SCORE_SLACK = 0.005
DISTRICT_LEVEL_ENDS = date(2025, 7, 1)  # the 2025 reorganisation ended the district level


def normalise(capture: Capture, id_to_code: Mapping[str, str] | None = None) -> dict[str, pa.Table]:
    """The landing rows one capture yields; raises a PortalError subclass for a body we cannot trust."""
    if capture.api == "v1":
        from flows.normalise_v1 import normalise_v1

        return normalise_v1(capture, id_to_code)
    if capture.api == "legacy":
        from flows.normalise_legacy import normalise_legacy

        return normalise_legacy(capture)
    raise SchemaChangeError(f"unknown api {capture.api!r} in capture {capture.capture_id}", capture)


def build_id_to_code(captures: Iterable[Capture]) -> dict[str, str]:
    """UUID → unit code from every row in the captures that carries both, plus the 34 provinces.

    Bodies that do not parse are skipped here: their own normalisation reports them.
    """
    out = {p.department_id: p.code for p in province_by_code().values()}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            uid, code = node.get("departmentId"), node.get("departmentCode")
            if isinstance(uid, str) and isinstance(code, str):
                code = normalise_code(code)
                if is_safe_unit_code(code):
                    out.setdefault(uid, code)
            for v in node.values():
                if isinstance(v, (dict, list)):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for c in captures:
        if c.api != "v1":
            continue
        try:
            walk(parse_body(c.body))
        except (UnicodeDecodeError, ValueError):
            continue
    return out


# --- parsing the body ---------------------------------------------------------------------------


def load_json(capture: Capture) -> Any:
    try:
        return parse_body(capture.body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise EnvelopeError(f"{capture.endpoint}: body is not UTF-8 JSON ({exc})", capture) from exc


class Checker:
    """Value checks that name the capture, the row and the field in their message."""

    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    def _where(self, where: str, field: str) -> str:
        return f"{self.capture.api} {self.capture.endpoint} ({self.capture.scope}, {self.capture.period.key}) {where}: field {field!r}"

    def schema(self, where: str, field: str, msg: str) -> SchemaChangeError:
        return SchemaChangeError(f"{self._where(where, field)} {msg}", self.capture)

    def quarantine(self, where: str, field: str, value: Any, msg: str) -> QuarantineError:
        return QuarantineError(f"{self._where(where, field)} = {value!r}: {msg}", self.capture)

    def get(self, obj: Any, field: str, where: str) -> Any:
        if not isinstance(obj, dict):
            raise self.schema(where, field, f"expected an object, got {type(obj).__name__}")
        if field not in obj:
            raise self.schema(where, field, "is missing")
        return obj[field]

    def obj(self, obj: Any, field: str, where: str, *, nullable: bool = False) -> Any:
        v = self.get(obj, field, where)
        if v is None and nullable:
            return None
        if not isinstance(v, dict):
            raise self.schema(where, field, f"expected an object, got {type(v).__name__}")
        return v

    def array(self, obj: Any, field: str, where: str, *, nullable: bool = False) -> list[Any] | None:
        v = self.get(obj, field, where)
        if v is None and nullable:
            return None
        if not isinstance(v, list):
            raise self.schema(where, field, f"expected an array, got {type(v).__name__}")
        return v

    def text(self, obj: Any, field: str, where: str, *, nullable: bool = True) -> str | None:
        v = self.get(obj, field, where)
        if v is None and nullable:
            return None
        if not isinstance(v, str):
            raise self.schema(where, field, f"expected a string, got {type(v).__name__}")
        return v

    def number(self, value: Any, field: str, where: str) -> float | None:
        """A finite non-negative number, or None for null."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.schema(where, field, f"expected a number, got {type(value).__name__} {value!r}")
        f = float(value)
        if not math.isfinite(f):
            raise self.quarantine(where, field, value, "not a finite number")
        if f < 0:
            raise self.quarantine(where, field, value, "negative")
        if f > NUMBER_LIMIT:
            # no count, ratio or day figure of the index comes near; beyond 2^53 a count is not even
            # exact in a double, and beyond 2^63 it no longer fits the landing's int64 columns
            raise self.quarantine(
                where, field, value, f"a number too large to be real (above {NUMBER_LIMIT:g})"
            )
        return f

    def num(self, obj: Any, field: str, where: str) -> float | None:
        return self.number(self.get(obj, field, where), field, where)

    def ratio(self, obj: Any, field: str, where: str) -> float | None:
        v = self.num(obj, field, where)
        if v is not None and v > RATIO_LIMIT:
            raise self.quarantine(where, field, v, "a percentage above 100")
        return v

    def count(self, obj: Any, field: str, where: str) -> int | None:
        v = self.num(obj, field, where)
        if v is None:
            return None
        if not v.is_integer():
            raise self.quarantine(where, field, v, "a count that is not a whole number")
        return int(v)

    def score(self, value: float | None, max_score: float | None, field: str, where: str) -> float | None:
        if value is not None and max_score is not None and value > max_score + SCORE_SLACK:
            raise self.quarantine(where, field, value, f"a score above its maximum {max_score:g}")
        return value

    def pair(self, num: int | None, den: int | None, field: str, where: str) -> None:
        if num is not None and den is not None and num > den:
            raise self.quarantine(where, field, f"{num}/{den}", "numerator above denominator")

    def code(self, raw: Any, field: str, where: str) -> str:
        if not isinstance(raw, str):
            raise self.schema(where, field, f"expected a unit code string, got {type(raw).__name__}")
        code = normalise_code(raw)
        if not is_safe_unit_code(code):
            raise self.quarantine(where, field, raw, "not a unit code this project can key on")
        return code


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


class Rows:
    """Collects the rows of one capture and turns them into the landing tables."""

    def __init__(self, capture: Capture) -> None:
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
        self.data["unit_scores"].append(
            {
                "unit_code": unit,
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
        self.data["indicator_values"].append(
            {
                "unit_code": unit,
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

    def tables(self) -> dict[str, pa.Table]:
        return {
            name: pa.Table.from_pylist(self.data[name], schema=schema) for name, schema in DATASETS.items()
        }


def empty_tables() -> dict[str, pa.Table]:
    return {name: schema.empty_table() for name, schema in DATASETS.items()}
