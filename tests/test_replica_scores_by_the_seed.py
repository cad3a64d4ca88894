"""The replica scores by the same formulas as the score model (its own copy, replica/scoring.py, kept
apart from the warehouse's seed on purpose), so the demo's score check is clean; and on replica data
the points at stake, the per-procedure stakes and `dvc766 levers` work end to end."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.periods import Period
from dvc766.score_formulas import BY_SCORE
from dvc766.settings import Settings
from flows.drilldown import run_drilldown
from flows.monthly import execute
from replica import scoring
from replica.generator import COL, FIELDS
from tests.published import query
from warehouse.levers import published_score

replica_server = pytest.importorskip("replica.server")
OCT = Period.month(2026, 10)
PAIRS = [(0, 0), (0, 5), (3, 7), (7, 7), (1, 3), (2, 3), (86, 89), (144_625, 184_513), (9, 10), (79, 100),
         (80, 100), (89, 100), (90, 100), (133_274, 184_513), (3_160, 184_513)]  # fmt: skip


def _seed(code: str, num: int, den: int) -> float | None:
    return published_score(code, {BY_SCORE[code][0].term_indicator: (num, den, None)})


def test_the_replicas_metric_scores_are_the_seeds() -> None:
    compared = 0
    for num, den in PAIRS:
        for code, _name, _n, _d, mx in scoring.TRANSPARENCY_METRICS:
            assert scoring._transparency_score(num, den, mx) == _seed(code, num, den), (code, num, den)
            compared += 1
        for code, _name, _n, _d, mx in scoring.DIGITIZED_METRICS:
            assert scoring._digitized_score(code, num, den, mx) == _seed(code, num, den), (code, num, den)
            compared += 1
        for code, _name, _n, _d, mx in scoring.SATISFACTION_METRICS:
            mine = scoring._satisfaction_score(code, num, den, mx)
            if BY_SCORE[code][0].formula_kind == "no_score":
                assert mine is None, code
            else:
                assert mine == _seed(code, num, den), (code, num, den)
            compared += 1
        counts = [0] * len(FIELDS)
        counts[COL["on_time"]], counts[COL["received"]] = num, den
        assert scoring.progress_score(counts)[1] == _seed("PROGRESS_ON_TIME", num, den)
        compared += 1
    assert compared == len(PAIRS) * 16


def test_the_replicas_payment_score_is_the_seeds() -> None:
    # A and B nest (a body with more paid than owed is quarantined); C may pass 1 (Thái Nguyên 2023)
    nesting = [(0, 0), (1, 4), (3, 7), (7, 9), (5, 5), (612, 857), (8, 22), (4, 22)]
    for (paid, oblig), (fpaid, fee), fdossier in itertools.product(nesting, nesting, [0, 1, 4, 9, 22, 30]):
        counts = [0] * len(FIELDS)
        counts[COL["pay_ok"]], counts[COL["pay_oblig"]] = paid, oblig
        counts[COL["fee_online_f"]], counts[COL["fee_dossier_f"]], counts[COL["fee_f"]] = fpaid, fdossier, fee
        seed = published_score(
            "PAYMENT_ONLINE_DOSSIER",
            {
                "PAYMENT_ONLINE_DOSSIER": (paid, oblig, None),
                "PAYMENT_FORMALITY_PAID": (fpaid, fee, None),
                "PAYMENT_FEE_FORMALITY_WITH_DOSSIER": (fdossier, fee, None),
            },
        )
        assert scoring.payment_score(counts) == seed, (paid, oblig, fpaid, fdossier, fee)


# --- the replica's answers through the pipeline -------------------------------------------------------


@pytest.fixture(scope="module")
def replica_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """October 2026 of Thái Nguyên and Phú Thọ from the replica, and Thái Nguyên's drill-down of two
    procedures, as `dvc766 run` and `dvc766 drilldown` land them (without Prefect)."""
    data = tmp_path_factory.mktemp("replica_scores")
    with replica_server.start_replica(now="2026-11-05T10:00") as replica:
        settings = Settings(data_dir=data, portal_url=replica.url, pacing_s=0, jitter_s=0)
        summary = execute("monthly", settings, [OCT], ["H55", "H44"], build=False, use_prefect=False)
        assert summary.ok, summary.text()
        drill = run_drilldown(settings, "H55", OCT, procedures=["1.128273", "1.108183"], build=True)
        assert drill.complete, drill.text()
    assert drill.build.get("formula_changes") == []
    yield data


def test_the_score_check_of_replica_data_is_clean(replica_warehouse: Path) -> None:
    db = replica_warehouse / "warehouse.duckdb"
    statuses = dict(query(db, "select status, count(*) from fct_score_check group by 1"))
    assert set(statuses) == {"agrees", "no_formula"}, statuses
    # every scored indicator of both provinces' answers, and of the procedures' answers, was checked
    checked = query(
        db,
        "select count(distinct indicator_code), count(*) filter (where formality_id is not null), "
        "sum(units_checked) from fct_score_check where status = 'agrees'",
    )[0]
    assert checked[0] == len(BY_SCORE) - 1 and checked[1] > 0 and checked[2] > 2000
    assert query(db, "select count(*) from rpt_score_formula_changes") == [(0,)]


def test_replica_stakes_add_up_and_the_procedures_hold_theirs(replica_warehouse: Path) -> None:
    db = replica_warehouse / "warehouse.duckdb"
    sums = query(
        db,
        "select province_code, sum(s.points_at_stake), any_value(p.points_lost) from rpt_points_at_stake s "
        "join rpt_province_points_lost p using (province_code, period_type, period_key, indicator_code) "
        "where s.indicator_code = 'PROGRESS_ON_TIME' and s.period_key = '2026-10' group by 1 order by 1",
    )
    assert [p for p, *_ in sums] == ["H44", "H55"]
    for _p, total, lost in sums:
        assert total == pytest.approx(lost, abs=1e-4) and lost > 0
    # every additive indicator the replica serves has stakes (it sums its units, as the real trees do)
    groups = {g for (g,) in query(db, "select distinct group_code from rpt_points_at_stake")}
    assert groups == {"CKMB", "TDGQ", "TTTT", "MDHL", "MDSH"}
    procedures = query(
        db,
        "select formality_code, sum(points_at_stake) filter (where unit_code = province_code), "
        "sum(points_at_stake) filter (where unit_code <> province_code) from rpt_procedure_points_at_stake "
        "where indicator_code = 'PROGRESS_ON_TIME' group by 1 order by 1",
    )
    assert [c for c, *_ in procedures] == ["1.108183", "1.128273"]
    for _code, whole, units in procedures:
        assert whole > 0 and units == pytest.approx(whole, abs=1e-4)  # a linear term: the units' parts add up


def test_levers_on_replica_data_reranks_among_the_34(
    replica_warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DVC766_DATA_DIR", str(replica_warehouse))
    assert main(["levers", "--province", "H55", "--month", "2026-10", "--top", "5"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert (
        lines[0].startswith("UBND tỉnh Thái Nguyên (H55), tháng 10/2026: ") and "/34 toàn quốc." in lines[0]
    )
    assert len([ln for ln in lines if ln.startswith(("  1. ", "  2. ", "  3. ", "  4. ", "  5. "))]) == 5
    assert "1.128273" in out  # the drill-down's procedures are listed
    from warehouse.levers import load_levers

    report = load_levers(replica_warehouse / "warehouse.duckdb", "H55", OCT, 5)
    table = query(
        replica_warehouse / "warehouse.duckdb",
        "select s.unit_code, s.total_score from fct_unit_score s join dim_unit u using (unit_code) "
        "where u.is_current and u.unit_kind = 'province' and s.period_key = '2026-10' and s.period_type = 'month'",
    )
    assert len(table) == 34
    others = sorted([t for c, t in table if c != "H55"], reverse=True)
    assert report.new_total is not None
    hand = 1 + sum(1 for t in others if t > report.new_total)
    assert report.new_rank == hand
    assert f"hạng {hand}/34 toàn quốc" in out
