"""Reference data about provinces: the 34 post-merger provinces and the 2025 merger table.

Both files are copies of ``shared/`` kept inside the package so an installed dvc766 needs nothing
from the outside. Units are keyed on their code (``H55``); names and UUIDs are attributes.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# Province codes are Hnn; unit codes below them add one dot-separated numeric part. The legacy
# gateway also writes Lạng Sơn as 000.00.00.H37, which normalise_code() folds to H37.
UNIT_CODE_RE = re.compile(r"^H\d{2}(\.\d{1,4})?$|^[A-Z]{1,3}\d{2,3}(\.\d{1,4})?$|^VN$")
# The country as a unit: the national overview ("Cả nước") of a national-mode answer.
NATIONAL_UNIT = "VN"
MERGER_DATE = "2025-07-01"


@dataclass(frozen=True)
class Province:
    code: str
    department_id: str
    name: str


@dataclass(frozen=True)
class MergerRow:
    old_province: str
    new_province: str
    new_code: str


class UnknownProvinceError(ValueError):
    """A province code that is not one of the 34."""


def _ref_text(name: str) -> str:
    return resources.files("dvc766").joinpath("reference", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    """The 34 provinces (from July 2025), in code order."""
    doc = json.loads(_ref_text("provinces.json"))
    rows = [Province(p["departmentCode"], p["departmentId"], p["departmentName"]) for p in doc["provinces"]]
    return tuple(sorted(rows, key=lambda p: p.code))


@lru_cache(maxsize=1)
def province_by_code() -> dict[str, Province]:
    return {p.code: p for p in provinces()}


def get_province(code: str) -> Province:
    try:
        return province_by_code()[code]
    except KeyError:
        raise UnknownProvinceError(
            f"unknown province code {code!r}; expected one of the 34 codes such as H01, H44, H55"
        ) from None


def parse_provinces(arg: str | None) -> list[Province]:
    """Parse ``--provinces H55,H44`` (default: all 34); unknown codes raise with the offending code."""
    if arg is None or arg.strip() in ("", "all"):
        return list(provinces())
    codes = [c.strip().upper() for c in arg.split(",") if c.strip()]
    return [get_province(c) for c in dict.fromkeys(codes)]


@lru_cache(maxsize=1)
def merger_table() -> tuple[MergerRow, ...]:
    """The 63 pre-July-2025 provinces and the post-merger province each became part of."""
    rows = csv.DictReader(_ref_text("province-merger-2025.csv").splitlines())
    return tuple(MergerRow(r["old_province"], r["new_province"], r["new_code"]) for r in rows)


def normalise_code(code: str) -> str:
    """Fold the portal's code variants to one form (``000.00.00.H37`` → ``H37``)."""
    code = code.strip()
    m = re.fullmatch(r"(?:\d{3}\.\d{2}\.\d{2}\.)?(H\d{2}(?:\.\d+)?)", code)
    return m.group(1) if m else code


# A per-procedure request's scope: the province and the procedure's code, ``H55~2.000815``, so its
# raw bodies and landing files sit apart from the province's own and can never be mistaken for them.
PROCEDURE_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,39}$")


def procedure_scope(unit_scope: str, procedure_code: str) -> str:
    return f"{unit_scope}~{procedure_code}"


def split_scope(scope: str) -> tuple[str, str | None]:
    """``H55~2.000815`` → (``H55``, ``2.000815``); ``H55`` → (``H55``, None)."""
    unit, sep, procedure = scope.partition("~")
    return unit, (procedure if sep else None)


def is_safe_scope(scope: str) -> bool:
    """``national``, a safe unit code, or a safe unit code with a procedure code."""
    unit, procedure = split_scope(scope)
    unit_ok = unit == "national" or is_safe_unit_code(unit)
    return unit_ok and (procedure is None or bool(PROCEDURE_CODE_RE.fullmatch(procedure)))


def is_safe_unit_code(code: str) -> bool:
    """True when a code from the portal may be used as a key and inside a file name."""
    return bool(UNIT_CODE_RE.fullmatch(code))
