"""The score model (dvc766/reference/score_formulas.csv) against every real body, and the check that
says so in the warehouse (fct_score_check) — and that fires when the portal changes a formula."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from dvc766.periods import Period
from dvc766.score_formulas import (
    BY_SCORE,
    FORMULAS,
    FormulaSeedError,
    Term,
    agrees,
    formula_table,
    load_formulas,
)
from dvc766.settings import Settings
from flows.landing import write_batch
from flows.summary import RunSummary, describe_build
from tests.published import query
from tests.real_bodies import land_real_bodies, published_scores
from tests.test_normalise_v1 import H44_ID, PORTAL, h44_capture, make_capture
from warehouse import inputs
from warehouse.runner import build

# Rows of the real bodies per scored indicator (docs/scoring.md, "Checked on"): every one agrees.
REAL_ROWS = {
    "PUBLISH_ON_TIME": 20,
    "PUBLIC_UPDATE_ON_TIME": 20,
    "PUBLIC_CONTENT_FULL": 20,
    "DOSSIER_SYNC": 20,
    "PROGRESS_ON_TIME": 173,
    "PAYMENT_ONLINE_DOSSIER": 10,
    "DOSSIER_RECEIVING_SATISFACTION": 9,
    "PETITION_PROCESSING_ON_TIME": 9,
    "PETITION_HANDLING_SATISFACTION": 9,
    "PETITION_CLASSIFICATION_TTHC": 9,
    "PETITION_CLASSIFICATION_STAFF": 9,
    "ORIGINAL_RESULT_AVAILABLE": 8,
    "SO_HOA_GIAY_TO_GIAI_QUYET": 8,
    "REUSED_DIGITIZED_DATA": 8,
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": 8,
    "CITIZEN_DATA_CONNECTED_DOSSIER": 8,
    "CITIZEN_DATA_CONNECTED_FORMALITY": 8,
    "ELECTRONIC_CERTIFIED_COPY": 8,
}


# --- the seed ----------------------------------------------------------------------------------------


def test_the_seed_holds_every_published_score_and_marks_the_online_services_unknown() -> None:
    scored = set(BY_SCORE)
    assert scored == set(REAL_ROWS) | {"ONLINE_SERVICE_RATE"}
    assert [t.formula_kind for t in BY_SCORE["ONLINE_SERVICE_RATE"]] == ["unknown"]
    assert [t.term_indicator for t in BY_SCORE["PAYMENT_ONLINE_DOSSIER"]] == [
        "PAYMENT_ONLINE_DOSSIER",
        "PAYMENT_FORMALITY_PAID",
        "PAYMENT_FEE_FORMALITY_WITH_DOSSIER",
    ]
    table = formula_table()
    assert table.num_rows == len(FORMULAS)
    assert set(table.column("group_code").to_pylist()) == {"CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH"}


def _seed_text(replace: dict[tuple[str, str], str]) -> str:
    """The packaged seed with some cells replaced: {(indicator_code, column): text}."""
    import csv
    from importlib import resources

    text = resources.files("dvc766").joinpath("reference", "score_formulas.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    for (code, column), value in replace.items():
        for r in rows:
            if r["indicator_code"] == code and r["term"] == "1":
                r[column] = value
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    ("cell", "value", "needle"),
    [
        ("formula_kind", "linear", "formula_kind 'linear'"),
        ("points", "many", "points 'many' is not a number"),
        ("term_indicator", "NO_SUCH", "'NO_SUCH' is not an indicator"),
        ("cap", "25", "above the indicator's maximum"),
        ("target_ratio", "1.5", "0 < target_ratio ≤ 1"),
        ("evidence", "sure", "evidence 'sure'"),
    ],
)
def test_a_bad_seed_row_fails_naming_the_row(cell: str, value: str, needle: str) -> None:
    with pytest.raises(FormulaSeedError, match="line 6 \\(PROGRESS_ON_TIME\\)") as err:
        load_formulas(_seed_text({("PROGRESS_ON_TIME", cell): value}))
    assert needle in str(err.value)


# --- every real body ------------------------------------------------------------------------------


def test_every_real_body_agrees_with_the_model_for_every_known_formula() -> None:
    """Every scored figure of every real body and excerpt in tests/fixtures/portal/v1 (the same rows
    are in replica/scenarios/real_bodies and /work/shared/portal/v1; the legacy bodies carry group
    scores only) agrees within the portal's rounding: the counts docs/scoring.md gives."""
    rows, agreeing = Counter(), Counter()
    unknown = 0
    for p in published_scores():
        if BY_SCORE[p.code][0].formula_kind == "unknown":
            unknown += 1
            continue
        rows[p.code] += 1
        agreeing[p.code] += agrees(p.code, p.counts, p.portal)
    assert dict(rows) == REAL_ROWS
    assert agreeing == rows
    assert unknown == 0  # the online-service tree's scores are not walked: nothing to recompute them from


def test_a_changed_formula_disagrees_with_the_real_bodies() -> None:
    """The check can fail: the same bodies against a slightly different formula."""
    changed = {
        "PROGRESS_ON_TIME": dataclasses.replace(BY_SCORE["PROGRESS_ON_TIME"][0], target_ratio=0.95),
        "DOSSIER_RECEIVING_SATISFACTION": dataclasses.replace(
            BY_SCORE["DOSSIER_RECEIVING_SATISFACTION"][0], target_ratio=1.0
        ),
    }
    hits = Counter()
    for p in published_scores():
        if p.code in changed and p.portal:
            hits[p.code] += not agrees(p.code, p.counts, p.portal, (changed[p.code],))
    assert hits["PROGRESS_ON_TIME"] > 150 and hits["DOSSIER_RECEIVING_SATISFACTION"] >= 2


# --- the warehouse's check --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(data_dir=tmp_path_factory.mktemp("score_check"))
    land_real_bodies(settings)
    result = build(settings)
    assert result.formula_changes == []
    return result.warehouse_path


def test_the_warehouse_recomputes_every_landed_score_and_agrees(real_warehouse: Path) -> None:
    statuses = query(
        real_warehouse,
        "select indicator_code, status, sum(units_checked), sum(units_agreeing) from fct_score_check "
        "group by all order by 1, 2",
    )
    assert {s for _c, s, _n, _a in statuses} == {"agrees", "no_formula"}
    by_code = {c: (n, a) for c, s, n, a in statuses}
    assert by_code["ONLINE_SERVICE_RATE"] == (0, 0)
    assert by_code["PROGRESS_ON_TIME"] == (164 + 8, 164 + 8)  # the month's tree and the quarter's procedure
    assert by_code["PAYMENT_ONLINE_DOSSIER"] == (9, 9)
    # a procedure's answers are checked too, each apart from the unit's own
    procedures = query(real_warehouse, "select count(*) from fct_score_check where formality_id is not null")
    assert procedures[0][0] >= 4
    assert query(real_warehouse, "select count(*) from rpt_score_formula_changes") == [(0,)]


def test_the_seed_is_published_as_dim_score_formula(real_warehouse: Path) -> None:
    rows = query(
        real_warehouse,
        "select indicator_code, term, term_indicator, formula_kind, points, target_ratio, cap, full_at, "
        "score_max, terms from dim_score_formula where group_code = 'TTTT' order by term",
    )
    assert rows == [
        ("PAYMENT_ONLINE_DOSSIER", 1, "PAYMENT_ONLINE_DOSSIER", "ratio", 6.0, 1.0, 6.0, 1.0, 10.0, 3),
        ("PAYMENT_ONLINE_DOSSIER", 2, "PAYMENT_FORMALITY_PAID", "ratio", 2.5, 1.0, 2.0, 0.8, 10.0, 3),
        (
            "PAYMENT_ONLINE_DOSSIER",
            3,
            "PAYMENT_FEE_FORMALITY_WITH_DOSSIER",
            "ratio",
            2.5,
            1.0,
            2.5,
            1.0,
            10.0,
            3,
        ),
    ]


def test_a_changed_seed_makes_the_warehouse_check_disagree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terms: list[Term] = [
        dataclasses.replace(t, target_ratio=0.95) if t.indicator_code == "PROGRESS_ON_TIME" else t
        for t in FORMULAS
    ]
    monkeypatch.setattr(inputs, "load_score_formulas", lambda: formula_table(tuple(terms)))
    settings = Settings(data_dir=tmp_path)
    land_real_bodies(settings)
    build(settings)
    row = query(
        settings.warehouse_path,
        "select status, units_checked, units_disagreeing, worst_unit_code is not null from fct_score_check "
        "where indicator_code = 'PROGRESS_ON_TIME' and formality_id is null",
    )
    (status, checked, disagreeing, named) = row[0]
    assert status == "disagrees" and disagreeing > checked // 2 and named


def _progress_rescored(period: Period, date_header: str, rescore) -> object:  # type: ignore[no-untyped-def]
    """Phú Thọ's August progress tree answered again for ``period`` at another time, every score
    recomputed by ``rescore(on_time, received)`` (the portal changing its formula)."""
    doc = json.loads(h44_capture("evaluation/dvc-progress-tree").body)
    parent = doc["data"]["parent"]
    parent["totalScore"] = rescore(parent["totalOnTime"], parent["totalReceived"])
    for child in doc["data"]["children"]:
        child["score"] = rescore(child["totalOnTime"], child["totalReceived"])
    # the month's chart point moves with the month asked (a body whose chart reports another month
    # is rejected as answering another period)
    chart = doc["data"]["monthlyChart"]
    point = next(p for p in chart if p["month"] == "08")
    for p in chart:
        on, over = (
            (point["onTimePct"], point["overduePct"]) if p["month"] == f"{period.number:02d}" else (0, 0)
        )
        p.update(onTimePct=on, overduePct=over)
    request = {"rootDepartmentId": H44_ID, "currentPage": 1, "pageSize": 100, "timeType": "month",
               "year": period.year, "month": period.number}  # fmt: skip
    body = json.dumps(doc, ensure_ascii=False).encode()
    return make_capture(body, "evaluation/dvc-progress-tree", "H44", period, request=request,
                        date_header=date_header)  # fmt: skip


def _as_portal(x: float) -> float:
    from dvc766.score_formulas import half_up

    return half_up(x)


def test_a_portal_formula_change_is_said_in_the_build_and_the_run_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """August scored as the seed says (captured 26/09), September by another formula (captured
    26/10): a whole capture disagrees after one that agreed — the portal changed its formula."""
    settings = Settings(data_dir=tmp_path)

    def old(on: int, rec: int) -> float:
        return _as_portal(20 * on / rec) if rec else 0

    def new(on: int, rec: int) -> float:
        return _as_portal(min(20.0, 20 * on / rec / 0.9)) if rec else 0

    aug = _progress_rescored(Period.month(2026, 8), "Sat, 26 Sep 2026 18:14:00 GMT", old)
    sep = _progress_rescored(Period.month(2026, 9), "Mon, 26 Oct 2026 18:14:00 GMT", new)
    for i, c in enumerate((aug, sep)):
        c = dataclasses.replace(c, extra={"batch_id": f"b{i}"})
        write_batch(settings, [c], f"b{i}")
    result = build(settings)
    (change,) = result.formula_changes
    assert change["indicator_code"] == "PROGRESS_ON_TIME"
    assert change["first_period_key"] == "2026-09" and change["disagreeing_captures"] == 1
    assert change["last_agreeing_at"].startswith("2026-09-26")
    warned = [c.name for c in result.warnings]
    assert "score_formula_unchanged" in warned
    # the run summary says it (and carries it for an alert), and so does `dvc766 build`
    summary = RunSummary(flow="monthly", run_id="r1", data_dir=str(tmp_path), build=describe_build(result))
    text = summary.text()
    assert "SCORE FORMULA CHANGED: PROGRESS_ON_TIME (TDGQ): 1 capture(s) since 2026-10-26" in text
    assert summary.formula_changes[0]["indicator_code"] == "PROGRESS_ON_TIME"
    from flows.alerts import compose

    event = compose(summary)
    assert event is not None and event.kind == "formula_change" and event.is_alert
    assert event.title.endswith("cổng đổi công thức tính điểm")
    assert (
        "Cổng đổi công thức tính điểm PROGRESS_ON_TIME (TDGQ): 1 lần lấy số liệu từ 2026-10-26" in event.body
    )
    from dvc766.cli import main

    monkeypatch.setenv("DVC766_DATA_DIR", str(tmp_path))
    assert main(["build"]) == 0
    assert "SCORE FORMULA CHANGED: PROGRESS_ON_TIME" in capsys.readouterr().out
    # a month later, the portal scoring by the seed again: the change is over, nothing is said
    oct_ = _progress_rescored(Period.month(2026, 10), "Thu, 26 Nov 2026 18:14:00 GMT", old)
    write_batch(settings, [dataclasses.replace(oct_, extra={"batch_id": "b2"})], "b2")
    again = build(settings)
    assert again.formula_changes == []
    assert query(settings.warehouse_path, "select still_disagreeing from rpt_score_formula_changes") == [
        (False,)
    ]


# --- the online services (CLGQ): why the seed says "unknown" -------------------------------------------


def _online_parents() -> dict[str, dict]:
    """The six real parents of Phú Thọ's provide-online-tree: month and the running year per procedure
    (whole bodies in the fixtures), quarter, year and two procedure requests (excerpt)."""
    v1 = PORTAL / "v1"
    parents = {
        "month-all": json.loads(
            (v1 / "qd766" / "provide-online-tree_H44_month2026-08_all.json").read_text(encoding="utf-8")
        )["data"]["parent"],
        "year-formality": json.loads(
            (
                v1 / "qd766-variants" / "provide-online-tree_H44_year2026_formality-2.000815.trimmed.json"
            ).read_text(encoding="utf-8")
        )["data"]["parent"],
    }
    excerpt = json.loads(
        (v1 / "qd766-variants" / "provide-online-tree_H44_parents.excerpt.json").read_text(encoding="utf-8")
    )
    parents.update({k.split("@")[0]: v for k, v in excerpt["parents"].items()})
    return parents


def test_no_simple_formula_of_the_online_trees_counts_fits_its_six_real_parents() -> None:
    """Every sum of up to three of the parent's published fractions (online dossiers, services with
    dossiers, on time, full/partial provision…), weights in half points up to 12, misses at least one
    real parent by more than 0.1 point — twenty times the rounding. The official item (full-online
    dossiers over dossiers of procedures eligible for it) reads counts the body does not carry."""
    import numpy as np

    parents = _online_parents()
    assert len(parents) == 6

    def fractions(p: dict) -> list[float]:
        handled = p["onlineOnTimeSum"] + p["onlineOverdueSum"]
        provided = p["fullCount"] + p["partialCount"]
        return [
            p["onlineDossierCount"] / p["onlineServiceTotal"],
            p["channelOnlineSum"] / p["channelTotalSum"],
            p["onlineOnTimeSum"] / handled,
            p["fullCount"] / p["authorityCount"],
            p["partialCount"] / p["authorityCount"],
            provided / p["authorityCount"],
            p["fullCount"] / provided,
            1.0,
        ]

    x = np.array([fractions(p) for p in parents.values()])
    y = np.array([p["totalScore"] for p in parents.values()])
    steps = np.arange(1, 25) / 2
    best = np.inf
    for k in (1, 2, 3):
        w = np.array(list(itertools.product(steps, repeat=k)))
        w = w[w.sum(axis=1) <= 12]
        for combo in itertools.combinations(range(x.shape[1]), k):
            err = np.abs(w @ x[:, combo].T - y).max(axis=1)
            best = min(best, float(err.min()))
    assert best > 0.1
    # and the parents that answer alike with other counts: two procedure requests, one score
    assert parents["quarter-formality"]["totalScore"] == parents["year-formality"]["totalScore"] == 11.46
    assert parents["quarter-formality"]["channelOnlineSum"] != parents["year-formality"]["channelOnlineSum"]


def test_a_part_on_an_exact_half_may_be_published_either_way() -> None:
    """6 × 318/480 is 3.975 in decimals but 3.97499… in binary: a portal rounding decimals publishes
    3.98, one rounding binary 3.97; both are the model's, nothing else is."""
    counts = {
        "PAYMENT_ONLINE_DOSSIER": (318, 480, None),
        "PAYMENT_FORMALITY_PAID": (0, 0, None),
        "PAYMENT_FEE_FORMALITY_WITH_DOSSIER": (0, 0, None),
    }
    assert [agrees("PAYMENT_ONLINE_DOSSIER", counts, p) for p in (3.96, 3.97, 3.98, 3.99)] == [
        False,
        True,
        True,
        False,
    ]
    # one term: the exact value within half a hundredth
    one = {"PROGRESS_ON_TIME": (144_625, 184_513, None)}
    assert agrees("PROGRESS_ON_TIME", one, 15.68) and not agrees("PROGRESS_ON_TIME", one, 15.69)
