"""Typed models of the legacy gateway's rows: every value arrives as a string (legacy-api.md §3).

A numeric field must be a string holding a decimal (``"19.05"``, ``"10"``) or empty (no data, kept
as null); a value of another JSON type, or a string that is not a decimal, is a schema change; a
``"NaN"`` or a negative figure is quarantined. The models hold the parsed numbers; the raw strings
stay in ``raw/`` for audit.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, PlainValidator, create_model, model_validator
from pydantic_core import PydanticCustomError

from dvc766.landing_schema import GROUP_CODES, GROUP_MAX
from flows.sources.contract import Model, Text, UnitCode, check_score, quarantine
from flows.sources.legacy.settings import KINDS, LEVEL_OF_KIND, MONTH_SUM_PAIRS

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_NOT_FINITE = ("nan", "inf", "-inf", "infinity", "-infinity")
# The legacy CLGQ maximum is not stated anywhere (observed ≤ 10, the v1 maximum is 12): unknown.
LEGACY_GROUP_MAX: dict[str, float | None] = {**GROUP_MAX, "CLGQ": None}


def _decimal(v: Any) -> float | None:
    if not isinstance(v, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    text = v.strip()
    if text == "":
        return None
    if text.lower() in _NOT_FINITE:
        raise quarantine("not a finite number", v)
    if not _DECIMAL.fullmatch(text):
        raise PydanticCustomError("not_decimal", "value {value} is not a decimal string", {"value": repr(v)})
    number = float(text)
    if number < 0:
        raise quarantine("negative", v)
    return number


def _whole(v: float | None) -> float | None:
    if v is not None and not v.is_integer():
        raise quarantine("a rank that is not a whole number", v)
    return v


def _kind(v: str) -> str:
    if v not in KINDS:
        raise PydanticCustomError("literal_error", "unknown value {value}", {"value": repr(v)})
    return v


Decimal = Annotated[float | None, PlainValidator(_decimal)]
Rank = Annotated[float | None, PlainValidator(_decimal), AfterValidator(_whole)]
NumericId = Annotated[float | None, PlainValidator(_decimal)]
Kind = Annotated[str, AfterValidator(_kind)]


class RankingRow(Model):
    """A row of report_tinh_766_service: a province, or one unit of a province."""

    ID: str
    TEN: Text
    TEN_COQUAN: Text
    MA_COQUAN: UnitCode
    LOAI_COQUAN: Kind
    CAPDONVIID: str
    ID_COQUAN: str
    TDGQ: Decimal
    MDHL: Decimal
    MDSH: Decimal
    TTTT: Decimal
    CLGQ: Decimal
    CKMB: Decimal
    TONG_SCORE: Decimal
    ROW_STT: Rank

    @model_validator(mode="after")
    def _consistent(self) -> RankingRow:
        for key in ("ID", "ID_COQUAN"):
            _decimal(getattr(self, key))
        level = KINDS[self.LOAI_COQUAN]
        if LEVEL_OF_KIND[level] != self.CAPDONVIID:
            raise PydanticCustomError(
                "contradiction",
                "CAPDONVIID {cap} contradicts LOAI_COQUAN {kind}",
                {"cap": repr(self.CAPDONVIID), "kind": repr(self.LOAI_COQUAN)},
            )
        check_score(self.TONG_SCORE, 100.0, "TONG_SCORE")
        for g in GROUP_CODES:
            check_score(getattr(self, g), LEGACY_GROUP_MAX[g], g)
        return self

    @property
    def level(self) -> bool | None:
        return KINDS[self.LOAI_COQUAN]

    @property
    def rank(self) -> int | None:
        return None if self.ROW_STT is None else int(self.ROW_STT)


_MONTH_SUM_KEYS = (
    "HS_TOTAL",
    "DB_TOTAL",
    "TNTK_TOTAL",
    "TNKTCS_TOTAL",
    "GDTT_TOTAL",
    "NTTQG_TOTAL",
    *MONTH_SUM_PAIRS,
    *(f"{k}_TOTAL" for k in MONTH_SUM_PAIRS),
    "GDTTDP",
    "TILE",
    "TILE_DB",
)
# Province counters of report_by_month_sum_service. Only the keys a public client reads are known;
# none is known to be always present, so none is required (a new one is drift).
MonthSumRow = create_model("MonthSumRow", __base__=Model, **{k: (Decimal, None) for k in _MONTH_SUM_KEYS})
