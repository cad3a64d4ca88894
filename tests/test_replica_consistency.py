"""The replica's figures hold together across endpoints the way the real portal's do.

An official reading the demo's appendix checks these without thinking: what is a part of a total stays
below it (fee-bearing procedures ≤ all procedures), the three kinds of online provision add up to the
procedures published (3.1 + 3.2 + 3.3 = 1.1's total), the two kinds of petition partition the petitions
(5.3 a + b = 100 %), unit names are written as names and not repeated, and the departments are those
of the period (none merged away by the 2025 reorganisation after it, none it created before it).
Each rule is read from the bodies the replica serves, for every province of both eras.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from dvc766.periods import VN_TZ
from replica import shapes, summary_shape
from replica.generator import Dataset
from replica.units import POST_REFORM_ONLY, PRE_REFORM_ONLY

LATER = datetime(2026, 11, 28, 10, tzinfo=VN_TZ)
PERIODS = [("post", shapes.PeriodRequest("month", 2026, 8)), ("pre", shapes.PeriodRequest("month", 2024, 11))]
DS = Dataset(766)


def _metrics(endpoint: str, request: shapes.PeriodRequest, tree) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    body = shapes.v1_body(DS, endpoint, request, tree, LATER, page_size=1000)
    return {m["code"]: m for m in body["overview"]["metrics"]}


def _parent(endpoint: str, request: shapes.PeriodRequest, tree) -> dict:  # type: ignore[no-untyped-def]
    return shapes.v1_body(DS, endpoint, request, tree, LATER, page_size=1000)["parent"]


@pytest.mark.parametrize(("era", "request_"), PERIODS, ids=[e for e, _ in PERIODS])
def test_parts_stay_below_their_totals_and_partitions_add_up(
    era: str, request_: shapes.PeriodRequest
) -> None:
    for tree in DS.provinces(era):
        code = tree.unit.code
        published = _metrics("evaluation/transparency", request_, tree)["PUBLIC_CONTENT_FULL"]
        online = _parent("evaluation/provide-online-tree", request_, tree)
        payment = _parent("evaluation/formality-online-payment-tree", request_, tree)
        # 1.1's total is the procedure catalogue; 4.1's fee-bearing procedures are a part of it
        assert published["denominator"] == online["authorityCount"], code
        assert payment["totalFeeFormality"] <= published["denominator"], code
        assert payment["totalFeeDossierFormalityDistinct"] <= payment["totalFeeFormality"], code
        # 3.1 + 3.2 + 3.3 = the catalogue (the donut's "not offered" is what is left)
        donut = summary_shape.service_results(DS, request_, tree, LATER)["donuts"]["onlineProvision"]
        if donut:
            by = {d["code"]: d["value"] for d in donut}
            assert sum(by.values()) == online["authorityCount"], code
        assert online["partialCount"] + online["fullCount"] <= online["authorityCount"], code
        # 5.3 a) + b) partition the petitions
        sat = _metrics("evaluation/handling-satisfaction", request_, tree)
        a, b = sat["PETITION_CLASSIFICATION_TTHC"], sat["PETITION_CLASSIFICATION_STAFF"]
        assert a["denominator"] == b["denominator"], code
        assert a["numerator"] + b["numerator"] == a["denominator"], code
        if a["denominator"]:
            assert abs(a["ratio"] + b["ratio"] - 100) <= 0.011, (code, a["ratio"], b["ratio"])


@pytest.mark.parametrize("era", ["post", "pre"])
def test_unit_names_are_names_unique_in_their_province_and_of_their_period(era: str) -> None:
    barred = PRE_REFORM_ONLY if era == "post" else POST_REFORM_ONLY
    for tree in DS.provinces(era):
        names = [u.name for u in tree.children]
        assert len(set(names)) == len(names), tree.unit.code
        for u in tree.children:
            if u.kind == "agency":
                assert u.name.split(" - tỉnh ")[0].split(" - thành phố ")[0] not in barred, (era, u.name)
                continue
            place = re.sub(r"^UBND (thị xã|xã|phường|huyện) ", "", u.name)  # "UBND xã Vân Cẩm" -> "Vân Cẩm"
            assert all(word[0].isupper() for word in place.split()), u.name
            assert len(set(place.split())) == len(place.split()), u.name


def test_a_city_names_its_own_level() -> None:
    hanoi = next(t for t in DS.provinces("post") if "Hà Nội" in t.unit.name)
    agencies = [u.name for u in hanoi.children if u.kind == "agency"]
    assert agencies and all(n.endswith(" - thành phố Hà Nội") for n in agencies)
    assert not any(" tỉnh" in n for n in agencies)
