"""The indicator catalogue covers every code the normaliser emits and every metric of v1-api.md §7."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from dvc766.indicators import (
    ADDITIVE_CODES,
    BY_CODE,
    SEED_FILE,
    CatalogueError,
    catalogue_table,
    load_catalogue,
)
from dvc766.landing_schema import GROUP_CODES, GROUP_MAX
from flows.normalise import build_id_to_code, normalise
from tests.test_normalise_v1 import h44_batch, national_capture

API_DOC = Path(__file__).resolve().parent / "fixtures" / "portal" / "v1-api.md"


def test_every_metric_of_the_api_doc_is_catalogued() -> None:
    section = API_DOC.read_text(encoding="utf-8").split("## 7.")[1].split("###")[0]
    documented = set(re.findall(r"`([A-Z][A-Z_]{5,})`", section))
    assert len(documented) == 16  # 4 CKMB + 7 MDSH + 5 MDHL
    assert documented <= set(BY_CODE)


def test_every_emitted_code_is_catalogued() -> None:
    batch = h44_batch() + [national_capture()]
    ids = build_id_to_code(batch)
    emitted = set()
    for c in batch:
        emitted |= set(normalise(c, ids)["indicator_values"].column("indicator_code").to_pylist())
    assert emitted <= set(BY_CODE)
    assert {"PROGRESS_ON_TIME", "PAYMENT_ONLINE_DOSSIER", "ONLINE_SERVICE_RATE"} <= emitted


def test_catalogue_table_and_groups() -> None:
    t = catalogue_table()
    assert t.num_rows == len(BY_CODE)
    assert len(set(t.column("indicator_code").to_pylist())) == t.num_rows
    groups = {r["indicator_code"]: r for r in t.to_pylist() if r["is_group"]}
    assert set(groups) == {*GROUP_CODES, "TOTAL"}
    assert {g: groups[g]["max_score"] for g in GROUP_CODES} == GROUP_MAX
    assert sum(GROUP_MAX.values()) == groups["TOTAL"]["max_score"] == 100
    assert BY_CODE["PROGRESS_AVG_DAYS"].unit_of_measure == "days"
    assert BY_CODE["ONLINE_PROVISION_FULL"].max_score is None  # unknown, not 0
    assert "PUBLIC_CONTENT_FULL" not in ADDITIVE_CODES and "PROGRESS_ON_TIME" in ADDITIVE_CODES


def test_the_catalogue_is_a_seed_file_checked_as_it_is_read() -> None:
    text = resources.files("dvc766").joinpath("reference", SEED_FILE).read_text(encoding="utf-8")
    assert load_catalogue(text) == load_catalogue()  # the packaged file is what the code uses
    header, first, *rest = text.splitlines()
    bad_bool = first.replace(",true,evaluation/", ",yes,evaluation/", 1)
    with pytest.raises(CatalogueError, match=r"line 2 \(PUBLISH_ON_TIME\): expected true or false"):
        load_catalogue("\n".join([header, bad_bool, *rest]))
    with pytest.raises(CatalogueError, match="listed twice"):
        load_catalogue("\n".join([header, first, first, *rest]))
    with pytest.raises(CatalogueError, match="unknown endpoint"):
        load_catalogue(
            "\n".join([header, first.replace("evaluation/transparency", "evaluation/nope"), *rest])
        )
    with pytest.raises(CatalogueError, match="no group row for CKMB"):
        load_catalogue("\n".join([header, first, *[r for r in rest if not r.startswith("CKMB,")]]))
