"""Which requests a run makes: the minimum the portal's API allows for a province × period.

Why a module of its own: request count is the politeness budget. Keeping the rule in one pure place
lets the flows, the summary and the tests agree on it without a network:

* v1 months (``settings.v1_cutover`` and later) and their year-to-date snapshots: the seven evaluation
  endpoints once per province (``rootDepartmentId``), plus the national ranking
  (service-results, ``departmentType: ADMINISTRATIVE_UNIT``) **once per period**, not per province.
* legacy months and year-to-date snapshots (before the cutover): the national ranking (``p_tinh_id`` "0") once per period;
  it also carries each province's legacy numeric ID, so each requested province then costs one
  ranking request for its units. Before the 2025 merger a new province is asked for through the
  old provinces it was made of (``dvc766.provinces.merger_table``, matched on the name).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from dvc766.periods import Period
from dvc766.provinces import MERGER_DATE, is_safe_unit_code, merger_table, normalise_code
from dvc766.settings import Settings
from flows.sources.legacy.settings import RANKING_SERVICE as LEGACY_RANKING
from flows.sources.v1.settings import ENDPOINTS as V1_PROVINCE_ENDPOINTS
from flows.sources.v1.settings import SERVICE_RESULTS as V1_SERVICE_RESULTS

NATIONAL = "national"
_MERGER = Period.from_key(MERGER_DATE[:7])
_NAME_PREFIX = re.compile(r"^\s*UBND\s+(tỉnh|thành\s+phố)\s+", re.IGNORECASE)


class PlanError(Exception):
    """The national answer does not let us address a province (no row, or an unsafe code)."""


@dataclass(frozen=True)
class Request:
    """One request of the plan: which API and endpoint, for which scope."""

    api: str  # "v1" | "legacy"
    endpoint: str
    scope: str  # "national" or a unit code


@dataclass(frozen=True)
class LegacyUnit:
    """A province as the legacy gateway knows it: numeric ID (its ``p_tinh_id``), code and name."""

    legacy_id: str
    code: str
    name: str


def _month_index(period: Period) -> tuple[int, int]:
    """The last month a period covers: a quarter or year is judged by where it ends."""
    return (period.end.year, period.end.month)


def api_for(period: Period, settings: Settings) -> str:
    """ "v1" or "legacy": months before the configurable cutover go to the legacy gateway.

    A year-to-date snapshot is labelled with the month it closes: one closing a month before the
    cutover was taken while the legacy gateway was the live portal, so it asks the legacy gateway
    too (``report_tinh_766_service`` with ``p_thang``/``p_quy`` 0, the running year). A quarter or
    a year goes where its last month goes (the gateway takes ``p_quy``, and all zeros for a year).
    """
    cut = Period.from_key(settings.v1_cutover)
    return "legacy" if _month_index(period) < _month_index(cut) else "v1"


def is_pre_merger(period: Period) -> bool:
    """True for months before July 2025, when the 63 old provinces still reported on their own."""
    return _month_index(period) < _month_index(_MERGER)


def national_requests(period: Period, settings: Settings) -> list[Request]:
    """The once-per-period national ranking request."""
    if api_for(period, settings) == "v1":
        return [Request("v1", V1_SERVICE_RESULTS, NATIONAL)]
    return [Request("legacy", LEGACY_RANKING, NATIONAL)]


def predecessors(province_code: str) -> list[str]:
    """Names of the old provinces (before July 2025) that make up a new province."""
    return [m.old_province for m in merger_table() if m.new_code == province_code]


def province_requests(
    period: Period, province_code: str, settings: Settings, legacy_units: list[LegacyUnit] | None = None
) -> list[Request]:
    """The requests of one province × period batch.

    For legacy months the scopes come from the national answer: pass its units
    (:func:`legacy_units_for`); without them the scopes are only known by count.
    """
    if api_for(period, settings) == "v1":
        return [Request("v1", ep, province_code) for ep in V1_PROVINCE_ENDPOINTS]
    if legacy_units is None:
        raise PlanError("legacy requests need the national ranking's units (legacy_units_for)")
    return [Request("legacy", LEGACY_RANKING, u.code) for u in legacy_units]


def request_count(periods: list[Period], province_codes: list[str], settings: Settings) -> int:
    """How many requests a run over these periods and provinces makes when nothing is skipped."""
    total = 0
    for period in periods:
        total += len(national_requests(period, settings))
        for code in province_codes:
            if api_for(period, settings) == "v1":
                total += len(V1_PROVINCE_ENDPOINTS)
            elif is_pre_merger(period):
                total += len(predecessors(code))
            else:
                total += 1
    return total


def _name_key(name: str) -> str:
    """Compare province names without the "UBND tỉnh"/"UBND thành phố" prefix, case or Unicode form."""
    name = unicodedata.normalize("NFC", name)
    return _NAME_PREFIX.sub("", name).strip().casefold()


def legacy_rows(body: Any) -> list[dict[str, Any]]:
    """The rows of a report_tinh_766_service answer (a bare array, or an object holding ``data``)."""
    if isinstance(body, dict):
        body = body.get("data")
    if not isinstance(body, list):
        raise PlanError("the legacy national ranking is not a list of rows")
    return [r for r in body if isinstance(r, dict)]


def legacy_units_for(
    period: Period, province_code: str, national_rows: list[dict[str, Any]]
) -> list[LegacyUnit]:
    """The legacy units to ask for one (new) province, found in that period's national ranking.

    From July 2025 the province itself (matched on ``MA_COQUAN``); before, each old province it was
    made of (matched on the name, because absorbed provinces had codes of their own).
    """
    units: list[LegacyUnit] = []
    if is_pre_merger(period):
        wanted = {_name_key(n): n for n in predecessors(province_code)}
        by_name = {_name_key(str(r.get("TEN", ""))): r for r in national_rows}
        for key, old_name in wanted.items():
            row = by_name.get(key)
            if row is None:
                raise PlanError(
                    f"legacy national ranking {period.key} has no row for {old_name} (part of {province_code})"
                )
            units.append(_unit(row, period))
    else:
        match = [r for r in national_rows if normalise_code(str(r.get("MA_COQUAN", ""))) == province_code]
        if not match:
            raise PlanError(f"legacy national ranking {period.key} has no row for {province_code}")
        units.append(_unit(match[0], period))
    return units


def _unit(row: dict[str, Any], period: Period) -> LegacyUnit:
    code = normalise_code(str(row.get("MA_COQUAN", "")))
    legacy_id = str(row.get("ID", "")).strip()
    if not is_safe_unit_code(code) or not legacy_id.isdigit():
        raise PlanError(
            f"legacy national ranking {period.key}: unusable row (code {code!r}, ID {legacy_id!r})"
        )
    return LegacyUnit(legacy_id=legacy_id, code=code, name=str(row.get("TEN", "")))
