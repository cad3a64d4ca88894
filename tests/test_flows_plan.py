"""Which requests a run makes: the minimum the API allows, national once per period."""

from __future__ import annotations

import pytest

from dvc766.periods import Period
from dvc766.settings import Settings
from flows.plan import (
    V1_PROVINCE_ENDPOINTS,
    PlanError,
    api_for,
    legacy_units_for,
    national_requests,
    request_count,
)
from flows.v1_client import ENDPOINTS

S = Settings(v1_cutover="2026-01")


def test_the_province_batch_is_the_clients_seven_evaluation_endpoints() -> None:
    assert V1_PROVINCE_ENDPOINTS == ENDPOINTS


def test_cutover_decides_the_api_and_is_configurable() -> None:
    assert api_for(Period.month(2025, 12), S) == "legacy"
    assert api_for(Period.month(2026, 1), S) == "v1"
    assert api_for(Period.month(2026, 1), S.with_(v1_cutover="2026-03")) == "legacy"
    # a snapshot asks the portal that was live when the month it closes ended
    assert api_for(Period("ytd", 2025, 10), S) == "legacy"
    assert api_for(Period("ytd", 2026, 1), S) == "v1"
    assert [r.scope for r in national_requests(Period.month(2025, 3), S)] == ["national"]


def test_request_count_grows_by_province_not_by_national_ranking() -> None:
    jan = Period.month(2026, 1)
    assert request_count([jan], ["H55"], S) == 1 + 7
    assert request_count([jan], ["H55", "H44", "H01"], S) == 1 + 3 * 7
    assert request_count([Period.month(2025, 8)], ["H55", "H44"], S) == 1 + 2
    # before the merger Phú Thọ (H44) is Phú Thọ + Vĩnh Phúc + Hòa Bình
    assert request_count([Period.month(2025, 6)], ["H44"], S) == 1 + 3


def test_pre_merger_units_are_found_by_name_whatever_the_prefix_and_case() -> None:
    rows = [
        {"ID": "370865", "MA_COQUAN": "H55", "TEN": "UBND tỉnh Thái Nguyên"},
        {"ID": "777", "MA_COQUAN": "H06", "TEN": "UBND Tỉnh  Bắc Kạn"},
        {"ID": "389181", "MA_COQUAN": "H26", "TEN": "UBND Thành phố Hà Nội"},
    ]
    units = legacy_units_for(Period.month(2025, 6), "H55", rows)
    assert [(u.legacy_id, u.code) for u in units] == [("370865", "H55"), ("777", "H06")]
    with pytest.raises(PlanError, match="Bắc Kạn"):
        legacy_units_for(Period.month(2025, 6), "H55", rows[:1])


def test_post_merger_units_match_the_code_and_refuse_unsafe_rows() -> None:
    rows = [{"ID": "417489", "MA_COQUAN": "000.00.00.H37", "TEN": "UBND tỉnh Lạng Sơn"}]
    assert [u.code for u in legacy_units_for(Period.month(2025, 9), "H37", rows)] == ["H37"]
    bad = [{"ID": "../x", "MA_COQUAN": "H37", "TEN": "UBND tỉnh Lạng Sơn"}]
    with pytest.raises(PlanError, match="unusable"):
        legacy_units_for(Period.month(2025, 9), "H37", bad)
