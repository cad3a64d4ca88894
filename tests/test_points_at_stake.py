"""Where the points are: rpt_points_at_stake (and per procedure) on the real Phú Thọ tree and on a
small province whose every figure is known, and `dvc766 levers` reading them as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.periods import Period
from dvc766.settings import Settings
from tests.landing_factory import Landing
from tests.published import query
from tests.real_bodies import land_real_bodies
from warehouse.runner import build

ROOT = Path(__file__).resolve().parents[1]
OCT = Period.month(2026, 10)

# --- the real Phú Thọ August 2026 progress tree --------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(data_dir=tmp_path_factory.mktemp("stakes_real"))
    land_real_bodies(settings)
    return build(settings).warehouse_path


def test_on_the_real_tree_the_units_stakes_add_up_to_the_points_the_province_lost(real: Path) -> None:
    (n, total, lost, score, zero, add_up) = query(
        real,
        "select count(*), sum(s.points_at_stake), any_value(p.points_lost), any_value(p.province_points), "
        "count(*) filter (where s.unit_denominator = 0), any_value(p.stakes_add_up) from rpt_points_at_stake s "
        "join rpt_province_points_lost p using (province_code, period_type, period_key, indicator_code) "
        "where s.indicator_code = 'PROGRESS_ON_TIME' and s.period_key = '2026-08'",
    )[0]
    assert add_up
    assert n == 163 and zero == 2
    assert total == pytest.approx(lost, abs=1e-4)
    assert lost == pytest.approx(20 * (184_513 - 144_625) / 184_513, abs=1e-6)
    assert lost == pytest.approx(20 - 15.68, abs=0.005)  # the portal's TDGQ of the month: 15,68
    assert score == pytest.approx(20 * 144_625 / 184_513, abs=1e-6)
    rows = query(
        real,
        "select unit_code, counts_to_change, points_at_stake from rpt_points_at_stake "
        "where indicator_code = 'PROGRESS_ON_TIME' and unit_denominator = 0",
    )
    assert len(rows) == 2 and all(n == 0 and p == 0 for _u, n, p in rows)
    top = query(
        real,
        "select u.unit_name, s.counts_to_change, s.points_at_stake from rpt_points_at_stake s "
        "join dim_unit u on u.unit_code = s.unit_code and u.is_current "
        "where s.indicator_code = 'PROGRESS_ON_TIME' order by s.points_at_stake desc limit 1",
    )[0]
    assert top[0].startswith("Sở Nông Nghiệp") and top[1] == 13_928
    assert top[2] == pytest.approx(20 * 13_928 / 184_513, abs=1e-6)


def test_no_stake_where_the_units_counts_are_not_the_provinces(real: Path) -> None:
    """The trimmed bodies (8 of 163 units) do not add up: no stake is invented for them."""
    codes = {
        r[0]
        for r in query(
            real, "select distinct indicator_code from rpt_points_at_stake where points_at_stake > 0"
        )
    }
    assert codes == {"PROGRESS_ON_TIME"}


# --- a province whose every figure is known ----------------------------------------------------------

UNITS = {
    "H55": "UBND tỉnh Thái Nguyên",
    "H55.14": "Sở Nội vụ - Tỉnh Thái Nguyên",
    "H55.101": "UBND xã Tân Cương",
    "H55.102": "UBND Phường Phan Đình Phùng",
    "H55.103": "UBND xã Đại Từ",
}
# unit → (numerator, denominator) per indicator; the province is the sum
COUNTS = {
    "PROGRESS_ON_TIME": {"H55.14": (0, 0), "H55.101": (170, 300), "H55.102": (390, 400), "H55.103": (300, 300)},
    "PAYMENT_ONLINE_DOSSIER": {"H55.14": (0, 0), "H55.101": (10, 50), "H55.102": (40, 50), "H55.103": (0, 0)},
    "PAYMENT_FORMALITY_PAID": {"H55.14": (1, 2), "H55.101": (2, 4), "H55.102": (4, 4), "H55.103": (0, 0)},
    "PAYMENT_FEE_FORMALITY_WITH_DOSSIER": {"H55.14": (2, 2), "H55.101": (4, 4), "H55.102": (4, 4), "H55.103": (0, 0)},
    "DOSSIER_RECEIVING_SATISFACTION": {"H55.14": (0, 0), "H55.101": (150, 300), "H55.102": (380, 400), "H55.103": (270, 300)},
}  # fmt: skip
ENDPOINT = {
    "PROGRESS_ON_TIME": ("evaluation/dvc-progress-tree", "TDGQ"),
    "PAYMENT_ONLINE_DOSSIER": ("evaluation/formality-online-payment-tree", "TTTT"),
    "PAYMENT_FORMALITY_PAID": ("evaluation/formality-online-payment-tree", "TTTT"),
    "PAYMENT_FEE_FORMALITY_WITH_DOSSIER": ("evaluation/formality-online-payment-tree", "TTTT"),
    "DOSSIER_RECEIVING_SATISFACTION": ("evaluation/handling-satisfaction", "MDHL"),
}
NATIONAL = {"H01": 70.0, "H44": 65.0, "H55": 61.48, "H56": 61.2, "H60": 60.0}
SCORES = {"PROGRESS_ON_TIME": 17.2, "PAYMENT_ONLINE_DOSSIER": 7.25, "DOSSIER_RECEIVING_SATISFACTION": 5.33}
PROCEDURE = "019d2bfd-0000-7000-8000-000000000001"


def write_province(data_dir: Path) -> None:
    land = Landing(data_dir)
    provs = {
        ep: land.provenance(OCT, f"2026-11-03T01:0{i}", scope="H55", endpoint=ep)
        for i, ep in enumerate(sorted({e for e, _ in ENDPOINT.values()}))
    }
    values, seen = [], []
    for code, per_unit in COUNTS.items():
        ep, group = ENDPOINT[code]
        prov = provs[ep]
        province = (sum(n for n, _ in per_unit.values()), sum(d for _, d in per_unit.values()))
        for unit, (num, den) in {"H55": province, **per_unit}.items():
            score = SCORES.get(code) if unit == "H55" else None
            values.append(land.value(unit, code, group, prov, numerator=num, denominator=den, score=score))
    # transparency: the province's procedures are not the sum of the units' (each unit lists them all)
    ckmb = land.provenance(OCT, "2026-11-03T01:09", scope="H55", endpoint="evaluation/transparency")
    for unit in UNITS:
        values.append(
            land.value(unit, "PUBLIC_CONTENT_FULL", "CKMB", ckmb, numerator=87, denominator=89, score=1.96)
        )
    for unit, name in UNITS.items():
        kind = "province" if unit == "H55" else ("agency" if unit == "H55.14" else "commune")
        seen.append(
            land.unit_seen(unit, name, f"id-{unit}", provs["evaluation/dvc-progress-tree"], kind=kind)
        )
    nat = land.provenance(OCT, "2026-11-03T01:10")
    scores = []
    for rank, (code, total) in enumerate(NATIONAL.items(), start=1):
        scores.append(
            land.score(code, "TOTAL", total, nat, max_score=100, rank=rank, rank_size=len(NATIONAL))
        )
        seen.append(
            land.unit_seen(code, UNITS.get(code, f"UBND tỉnh {code}"), f"id-{code}", nat, kind="province")
        )
    land.write("indicator_values", values)
    land.write("units_seen", seen)
    land.write("unit_scores", scores)
    # the drill-down of one procedure: 50 of its 100 dossiers overdue, 40 of them in Tân Cương
    proc = land.provenance(
        OCT, "2026-11-04T01:00", scope="H55~1.000001", endpoint="evaluation/dvc-progress-tree"
    )
    rows = []
    for unit, (num, den) in {"H55": (50, 100), "H55.101": (20, 60), "H55.102": (30, 40)}.items():
        rows.append({**land.value(unit, "PROGRESS_ON_TIME", "TDGQ", proc, numerator=num, denominator=den),
                     "formality_id": PROCEDURE})  # fmt: skip
    land.write("procedure_indicator_values", rows)


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("stakes_province")
    write_province(data_dir)
    build(Settings(data_dir=data_dir))
    return data_dir


def stakes(data_dir: Path, indicator: str) -> dict[str, tuple[int, float, float]]:
    rows = query(
        data_dir / "warehouse.duckdb",
        "select s.unit_code, s.counts_to_change, s.points_at_stake, p.points_lost from rpt_points_at_stake s "
        "join rpt_province_points_lost p using (province_code, period_type, period_key, indicator_code) "
        f"where s.indicator_code = '{indicator}' and s.period_key = '2026-10'",
    )
    return {u: (n, p, lost) for u, n, p, lost in rows}


def test_a_linear_uncapped_formula_stakes_add_up_and_a_unit_without_dossiers_has_nothing(
    province: Path,
) -> None:
    got = stakes(province, "PROGRESS_ON_TIME")
    assert set(got) == {"H55.14", "H55.101", "H55.102", "H55.103"}
    assert got["H55.101"][:2] == (130, pytest.approx(20 * 130 / 1000))
    assert got["H55.102"][:2] == (10, pytest.approx(20 * 10 / 1000))
    assert got["H55.14"][:2] == got["H55.103"][:2] == (0, 0)
    lost = got["H55.101"][2]
    assert lost == pytest.approx(20 - 20 * 860 / 1000)
    assert sum(p for _n, p, _l in got.values()) == pytest.approx(lost, abs=1e-6)
    # the payment group's first part, 6·A: linear, and the group's 10 does not bind for one unit alone
    pay = stakes(province, "PAYMENT_ONLINE_DOSSIER")
    assert pay["H55.101"][:2] == (40, pytest.approx(2.4)) and pay["H55.102"][:2] == (10, pytest.approx(0.6))
    assert pay["H55.14"][:2] == (0, 0)
    assert sum(p for _n, p, _l in pay.values()) == pytest.approx(pay["H55.101"][2])


def test_caps_each_stake_at_what_the_province_can_still_win(province: Path) -> None:
    # satisfaction is full at 90 %: Tân Cương (50 %) must reach 270 of 300; its stake is the whole
    # 0,67 the province lacks (920/1000 would be above 90 %); units at or above 90 % have nothing to do
    sat = stakes(province, "DOSSIER_RECEIVING_SATISFACTION")
    assert sat["H55.101"][0] == 120
    assert sat["H55.101"][1] == pytest.approx(6 - 6 * 0.8 / 0.9) == pytest.approx(sat["H55.101"][2])
    assert sat["H55.102"][:2] == sat["H55.103"][:2] == (0, 0)
    # payment B is full at 80 %: each of two units alone fills the 0,25 left; together more than lost
    b = stakes(province, "PAYMENT_FORMALITY_PAID")
    assert b["H55.14"][:2] == (1, pytest.approx(0.25)) and b["H55.101"][:2] == (2, pytest.approx(0.25))
    assert all(p <= lost + 1e-9 for _n, p, lost in b.values())
    assert sum(p for _n, p, _l in b.values()) > b["H55.14"][2]


def test_no_stake_where_the_units_counts_are_not_a_part_of_the_provinces(province: Path) -> None:
    assert stakes(province, "PUBLIC_CONTENT_FULL") == {}
    lost = query(
        province / "warehouse.duckdb",
        "select indicator_code, stakes_add_up from rpt_province_points_lost where period_key = '2026-10' order by 1",
    )
    # only the linear terms whose score maximum cannot bind promise that the stakes add up: A could
    # take the payment group past its 10 (10,25), C is full already (nothing lost, nothing at stake)
    assert lost == [
        ("DOSSIER_RECEIVING_SATISFACTION", False),
        ("PAYMENT_FEE_FORMALITY_WITH_DOSSIER", True),
        ("PAYMENT_FORMALITY_PAID", False),
        ("PAYMENT_ONLINE_DOSSIER", False),
        ("PROGRESS_ON_TIME", True),
    ]


def test_per_procedure_the_province_and_each_unit(province: Path) -> None:
    rows = query(
        province / "warehouse.duckdb",
        "select unit_code, counts_to_change, points_at_stake from rpt_procedure_points_at_stake "
        f"where formality_id = '{PROCEDURE}' order by unit_code",
    )
    assert rows == [
        ("H55", 50, pytest.approx(20 * 50 / 1000)),
        ("H55.101", 40, pytest.approx(20 * 40 / 1000)),
        ("H55.102", 10, pytest.approx(20 * 10 / 1000)),
    ]


# --- dvc766 levers ---------------------------------------------------------------------------------


def levers(
    data_dir: Path, *args: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setenv("DVC766_DATA_DIR", str(data_dir))
    rc = main(["levers", "--province", "H55", "--month", "2026-10", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def hand_rank(total: float) -> int:
    """The national table re-ranked by hand with H55's new total: its place, ties sharing one."""
    table = sorted([*(v for k, v in NATIONAL.items() if k != "H55"), total], reverse=True)
    return table.index(total) + 1


def test_levers_lists_the_largest_in_vietnamese_and_reranks(
    province: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = levers(province, "--top", "3", monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "UBND tỉnh Thái Nguyên (H55), tháng 10/2026: 61,48 điểm, hạng 3/5 toàn quốc."
    assert "  1. UBND xã Tân Cương: 130 hồ sơ quá hạn → +2,60 điểm (Tiến độ giải quyết)" in lines
    assert (
        "  2. UBND xã Tân Cương: 40 hồ sơ chưa thanh toán trực tuyến → +2,40 điểm (Thanh toán trực tuyến)"
        in lines
    )
    assert (
        "  3. UBND xã Tân Cương: 120 hồ sơ chưa được đánh giá hài lòng → +0,67 điểm (Mức độ hài lòng)"
        in lines
    )
    # pulled together: TDGQ 17,20 → 19,80 (+2,60), TTTT 7,25 → 9,65 (+2,40), MDHL 5,33 → 6 (+0,67)
    new_total = round(61.48 + 2.6 + 2.4 + 0.67, 2)
    assert f"Nếu cả 3 đòn bẩy trên cùng đạt mục tiêu: {new_total:.2f}".replace(".", ",") in out
    assert f"hạng {hand_rank(new_total)}/5 toàn quốc (so với điểm hiện tại của 4 tỉnh khác)" in out
    assert "Chưa tính được: Công khai, minh bạch" in out and "Dịch vụ công trực tuyến (công thức" in out
    assert "1.000001" not in out  # the catalogue never named the procedure: no code to print
    assert "Thủ tục hành chính giữ nhiều điểm nhất" in out


def test_pulling_levers_together_respects_the_groups_maximum(
    province: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Alone, Tân Cương's payments win 2,40 and Phan Đình Phùng's 0,60; together A reaches 100 % and
    the payment group would pass its 10: it stops at 10 (+2,75, not +3,00)."""
    from warehouse.levers import load_levers

    report = load_levers(province / "warehouse.duckdb", "H55", OCT, 20)
    paid = [lv for lv in report.levers if lv.indicator_code == "PAYMENT_ONLINE_DOSSIER"]
    assert [round(lv.points_at_stake, 2) for lv in paid] == [2.4, 0.6]
    import duckdb

    from warehouse.levers import province_counts, simulate

    con = duckdb.connect(str(province / "warehouse.duckdb"), read_only=True)
    try:
        counts = province_counts(con, "H55", OCT)
    finally:
        con.close()
    assert simulate(paid, counts) == pytest.approx(10 - 7.25)
    rc, out, _err = levers(province, "--top", "20", monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0
    expected = round(61.48 + (20 - 17.2) + (10 - 7.25) + (6 - 5.33), 2)
    assert report.new_total == pytest.approx(expected)
    assert report.new_rank == hand_rank(expected) == 2


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--province", "H99", "--month", "2026-10"], "unknown province code 'H99'"),
        (["--province", "H55", "--month", "2026-13"], "has no month 13"),
        (["--province", "H55", "--month", "2031-01"], "in the future"),
        (["--province", "H55", "--month", "2026-10", "--top", "0"], "--top '0' is not a whole number"),
        (["--province", "H55", "--month", "2026-10", "--top", "-3"], "--top '-3'"),
    ],
)
def test_bad_arguments_one_line_exit_2_before_anything_heavy_loads(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    code = (
        "import sys; from dvc766.cli import main; rc = main(sys.argv[1:]); "
        "heavy = [m for m in ('duckdb', 'pyarrow', 'plotly') if m in sys.modules]; "
        "print(rc, heavy)"
    )
    env = {"PATH": "/usr/bin:/bin", "DVC766_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    res = subprocess.run(
        [sys.executable, "-c", code, "levers", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert res.stdout.strip() == "2 []", res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("dvc766 levers: ") and needle in line
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_no_warehouse_or_no_figures_is_one_line_exit_2(
    tmp_path: Path, province: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = levers(tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert (rc, out) == (2, "") and "no warehouse yet" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("DVC766_DATA_DIR", str(province))
    rc = main(["levers", "--province", "H44", "--month", "2026-09"])
    err = capsys.readouterr().err
    assert rc == 2 and "no figures of H44 for 2026-09" in err


def test_a_warehouse_built_before_the_stakes_is_one_line_exit_2(
    tmp_path: Path, province: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    import duckdb

    shutil.copy(province / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("drop table rpt_procedure_points_at_stake")
    con.execute("drop table rpt_points_at_stake")
    con.close()
    rc, out, err = levers(tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert (rc, out) == (2, "") and "run `dvc766 build --full`" in err and len(err.strip().splitlines()) == 1
