"""The replica keeps its own copy of the portal's rules on purpose (that is what catches drift in the
pipeline's); this holds that copy against the contract, and its two internal copies against each other."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from dvc766.indicators import INDICATORS
from dvc766.landing_schema import GROUP_MAX
from replica import generator, scoring, shapes
from replica.generator import COL, FIELDS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenario_builder():  # type: ignore[no-untyped-def]
    path = ROOT / "replica" / "scenarios" / "build_thai_nguyen_2023.py"
    spec = importlib.util.spec_from_file_location("build_thai_nguyen_2023_rules", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_group_maxima_agree_with_the_contract(scenario_builder) -> None:  # type: ignore[no-untyped-def]
    assert {g: float(v) for g, v in generator.GROUP_MAX.items()} == GROUP_MAX
    assert {g: float(v) for g, v in scenario_builder.GROUP_MAX.items()} == GROUP_MAX
    radar = {code: float(m) for code, _name, m in shapes.RADAR}
    assert {g: radar[g] for g in ("CKMB", "TDGQ", "MDHL", "MDSH")} == {
        g: GROUP_MAX[g] for g in ("CKMB", "TDGQ", "MDHL", "MDSH")
    }
    assert radar["ONLINE_SERVICE"] == GROUP_MAX["CLGQ"] + GROUP_MAX["TTTT"]
    # each group's indicators give at most the group's maximum, in the catalogue as in the replica
    for group, most in GROUP_MAX.items():
        maxima = [i.max_score for i in INDICATORS if i.group_code == group and i.max_score and not i.is_group]
        assert maxima and sum(maxima) >= most - 0.01, group


@pytest.mark.parametrize("x", [86.135, 0.125, 2.675, 1.005, 99.995, 20.0, 0.0, 33.333333, 66.665])
def test_both_replica_roundings_are_half_up_alike(scenario_builder, x: float) -> None:  # type: ignore[no-untyped-def]
    assert scoring.r2(x) == scenario_builder.r2(x)
    assert type(scoring.r2(x)) is type(scenario_builder.r2(x))


@pytest.mark.parametrize(
    ("paid", "oblig", "formality_paid", "fee_dossier", "fee_total"),
    [(50, 100, 3, 4, 10), (100, 100, 10, 10, 10), (0, 0, 0, 0, 0), (7, 9, 1, 14, 12), (99, 100, 9, 9, 10)],
)
def test_both_payment_scores_agree(
    scenario_builder, paid, oblig, formality_paid, fee_dossier, fee_total
) -> None:  # type: ignore[no-untyped-def]
    counts = [0] * len(FIELDS)
    counts[COL["pay_ok"]], counts[COL["pay_oblig"]] = paid, oblig
    counts[COL["fee_online_f"]], counts[COL["fee_dossier_f"]], counts[COL["fee_f"]] = (
        formality_paid,
        fee_dossier,
        fee_total,
    )
    assert scoring.payment_score(counts) == scenario_builder.payment_score(
        paid, oblig, formality_paid, fee_dossier, fee_total
    )


def test_the_replica_serves_the_contracts_endpoints_and_groups() -> None:
    from dvc766.endpoints import ENDPOINT_GROUP, ENDPOINTS, SERVICE_RESULTS

    assert set(shapes.GROUP_ENDPOINTS) == set(ENDPOINT_GROUP) == set(ENDPOINTS) - {SERVICE_RESULTS}
    assert shapes.GROUP_OF == ENDPOINT_GROUP
