"""``dvc766 report`` end to end on a tiny warehouse holding the reference appendix's figures.

Each figure of sections I–IV listed in ``test_report_reference`` is compared with the rendered md, the
same cells of the xlsx (read back with openpyxl) and of the docx (read back with python-docx); every
change cell must equal the arithmetic difference of the two printed figures.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest

from dvc766.cli import main
from tests.test_report_reference import (
    NOT_AVAILABLE_LINES,
    OVERDUE,
    PAYMENT_AGENCIES,
    PAYMENT_LOCAL,
    RATE_IN_COUNT_COLUMN,
    SCORE,
    SERVICE_AGENCIES,
    SERVICE_LOCAL,
    SUMMARY,
    build_warehouse,
    canonical,
    vi,
)
from warehouse.appendix_lines import line
from warehouse.numbers_vi import NOT_AVAILABLE, parse_change, parse_number
from warehouse.render_xlsx import COUNT_FMT, rate_fmt

# Every non-blank figure of section I listed in the reference table is compared.
REFERENCE_FIGURES_I = sum(1 for v in SUMMARY.values() for f in v[1:] if f)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("data")
    build_warehouse(d / "warehouse.duckdb")
    return d


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DVC766_DATA_DIR", str(data_dir))
    return data_dir


def _report(fmt: str, out: Path, *extra: str) -> Path:
    rc = main(
        ["report", "--province", "H55", "--month", "2023-10", "--format", fmt, "--out", str(out), *extra]
    )
    assert rc == 0
    return out


def _md_tables(text: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for ln in text.splitlines():
        if ln.startswith("|"):
            cells = [c.strip() for c in ln.strip().strip("|").split(" | ")]
            if set(ln.replace("|", "")) <= {"-"}:
                continue
            if current is None:
                current = []
                tables.append(current)
            current.append(cells)
        else:
            current = None
    return tables


def _check_summary(rows: list[list[str]]) -> int:
    """Section I as text rows (md or docx): every listed reference figure and every change."""
    compared = 0
    by_label = {}
    for r in rows[1:]:
        by_label.setdefault(r[1], []).append(r)
    for key, (_ref_label, pc, pr, cc, cr) in SUMMARY.items():
        spec = line(key)
        (row,) = by_label[spec.label]
        _, _, out_pc, out_pr, out_cc, out_cr, out_change = row
        if key in RATE_IN_COUNT_COLUMN:
            pc, pr, cc, cr = "", pc, "", cc
        for ref, out in ((pc, out_pc), (pr, out_pr), (cc, out_cc), (cr, out_cr)):
            if not ref:
                continue
            if "/" in ref:
                assert [parse_number(x) for x in out.split("/")] == [vi(x) for x in ref.split("/")], (
                    key,
                    out,
                )
            else:
                assert parse_number(out) == vi(ref), (key, ref, out)
            compared += 1
        # one figure per change cell: the rate's change, or the count's in words ("Tăng 05 TTHC")
        if spec.change_figure == "count":
            a, b = (out_pc.split("/")[0], out_cc.split("/")[0])
            expected = None if NOT_AVAILABLE in (a, b) else parse_number(b) - parse_number(a)
        else:
            expected = parse_number(out_cr) - parse_number(out_pr)
        assert parse_change(out_change) == expected, (key, out_change, expected)
        assert ";" not in out_change, (key, out_change)
    assert by_label[line("1.1").label][0][6] == "Tăng 05 TTHC"  # the reference printed "+18"
    assert by_label[line("1.2a").label][0][6] == "Tăng 120.415 hồ sơ"  # as the reference prints it
    assert by_label[line("1.2b").label][0][6] == "Giảm 54.856 hồ sơ"
    assert by_label[line("2.1").label][0][6] == "+5,28"
    for key in NOT_AVAILABLE_LINES:
        (row,) = by_label[line(key).label]
        assert row[2] == row[4] == row[6] == NOT_AVAILABLE
    (score,) = by_label[line("score").label]
    assert (score[2], score[4]) == SCORE
    assert score[6].startswith("+0,80 điểm")
    return compared


def _check_units(rows: list[list[str]], ref: tuple, decimals_total: bool = False) -> None:
    got = {r[1]: r for r in rows[1:] if r[0]}
    assert len(got) == len(ref)
    for name, prev, curr, _ref_change in ref:
        r = got[_name_in_report(name, got)]
        assert parse_number(r[2]) == vi(prev) and parse_number(r[3]) == vi(curr), (name, r)
        assert parse_number(r[4]) == vi(curr) - vi(prev), (name, r)


def _name_in_report(name: str, got: dict) -> str:
    canon = canonical(name)
    return next(n for n in got if canonical(n) == canon)


def test_md_has_every_reference_figure_and_true_changes(env: Path, tmp_path: Path) -> None:
    out = _report("md", tmp_path / "appendix.md")
    text = out.read_text(encoding="utf-8")
    assert "CỦA TỈNH THÁI NGUYÊN THÁNG 10 NĂM 2023" in text
    assert (tmp_path / "appendix.png").read_bytes().startswith(b"\x89PNG")
    assert "](appendix.png)" in text
    tables = _md_tables(text)
    summary, overdue, svc_a, svc_l, pay_a, pay_l = tables[:6]
    assert _check_summary(summary) == REFERENCE_FIGURES_I
    _check_units(overdue, OVERDUE)
    assert overdue[-1][1:] == ["TỔNG SỐ", "4.045", "1.100", "-2.945"]
    _check_units(svc_a, SERVICE_AGENCIES)
    _check_units(svc_l, SERVICE_LOCAL)
    _check_units(pay_a, PAYMENT_AGENCIES)
    _check_units(pay_l, PAYMENT_LOCAL)
    tttt = next(r for r in pay_a if r[1] == "Sở Thông tin và Truyền thông")
    assert tttt[2:] == ["37,38", "34,31", "-3,07"]  # the reference printed "+3,07"
    # Agencies first, then local units, each in unit-code order; the renamed unit shows its October name.
    assert [r[1] for r in overdue[1:3]] == ["Sở Nông nghiệp và Môi trường", "Ban quản lý các Khu công nghiệp"]
    assert overdue[17][1] == "UBND thành phố Thái Nguyên"
    assert "Cổng Dịch vụ công quốc gia không công bố số liệu chứng thực" in text


def test_xlsx_cells_are_numbers_equal_to_the_reference(env: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(_report("xlsx", tmp_path / "a.xlsx"))
    ws = wb["I. Tổng hợp"]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=6) if r[1].value}
    for key, (_label, pc, pr, cc, cr) in SUMMARY.items():
        spec = line(key)
        r = rows[spec.label]
        if key in RATE_IN_COUNT_COLUMN:
            pc, pr, cc, cr = "", pc, "", cc
        for ref, cell in ((pc, r[2]), (pr, r[4]), (cc, r[5]), (cr, r[7])):
            if ref:
                assert isinstance(cell.value, int | float), (key, cell.value)
                want = vi(ref.split("/")[0])
                assert Decimal(str(cell.value)) == want, (key, ref, cell.value)
        if spec.count_style and isinstance(r[2].value, int):
            assert r[8].value == r[5].value - r[2].value and r[2].number_format == COUNT_FMT == "[$-42A]#,##0"
        if spec.show_rate:
            assert round(Decimal(str(r[9].value)), 2) == round(
                Decimal(str(r[7].value)) - Decimal(str(r[4].value)), 2
            )
            assert r[7].number_format == rate_fmt(2) == "[$-42A]0.00"
    assert rows[line("1.1").label][8].value == 5
    assert rows[line("3.7").label][2].value == NOT_AVAILABLE
    for sheet, tables in (
        ("II. Hồ sơ quá hạn", [OVERDUE]),
        ("III. DVC trực tuyến", [SERVICE_AGENCIES, SERVICE_LOCAL]),
        ("IV. Thanh toán trực tuyến", [PAYMENT_AGENCIES, PAYMENT_LOCAL]),
    ):
        cells = {
            r[1].value: r for r in wb[sheet].iter_rows(min_row=6) if r[0].value and str(r[0].value).isdigit()
        }
        for ref in tables:
            for name, prev, curr, _ in ref:
                r = cells[_name_in_report(name, cells)]
                assert Decimal(str(r[2].value)) == vi(prev) and Decimal(str(r[3].value)) == vi(curr), name
                assert round(Decimal(str(r[4].value)), 2) == vi(curr) - vi(prev), name
    tttt = next(
        r for r in wb["IV. Thanh toán trực tuyến"].iter_rows() if r[1].value == "Sở Thông tin và Truyền thông"
    )
    assert tttt[4].value == pytest.approx(-3.07)
    assert wb["Biểu đồ"]._images


def test_docx_tables_hold_the_reference_figures(env: Path, tmp_path: Path) -> None:
    document = docx.Document(str(_report("docx", tmp_path / "a.docx")))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    assert _check_summary(tables[0]) == REFERENCE_FIGURES_I
    _check_units(tables[1], OVERDUE)
    _check_units(tables[2], SERVICE_AGENCIES)
    _check_units(tables[3], SERVICE_LOCAL)
    _check_units(tables[4], PAYMENT_AGENCIES)
    _check_units(tables[5], PAYMENT_LOCAL)
    assert document.tables[0].style.name == "Table Grid"
    sec = document.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert any("CỦA TỈNH THÁI NGUYÊN THÁNG 10 NĂM 2023" in p.text for p in document.paragraphs)
    assert document.inline_shapes, "chart page image"


def test_docx_converts_to_pdf_with_the_tables(env: Path, tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if not office:
        pytest.skip("LibreOffice (libreoffice/soffice) is not on PATH; the docx-to-PDF check needs it")
    src = _report("docx", tmp_path / "a.docx")
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = tmp_path / "a.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not on PATH; the PDF was produced but its text cannot be checked")
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    text = " ".join(text.split())  # table cells wrap: compare on collapsed whitespace
    for figure in (
        "448.887",
        "569.302",
        "Tăng 120.415 hồ sơ",
        "4.045",
        "-3,07",
        "Sở Thông tin và Truyền thông",
    ):
        assert figure in text


def test_certified_copies_csv_fills_section_v_with_provenance(env: Path, tmp_path: Path) -> None:
    csv = tmp_path / "cc.csv"
    csv.write_text(
        "unit_name,deployed_prev,deployed_curr,total,completed_prev,completed_curr\n"
        "UBND huyện Võ Nhai,16,16,16,22.548,24086\nUBND huyện Phú Lương,15,16,16,794,889\n",
        encoding="utf-8",
    )
    text = _report("md", tmp_path / "a.md", "--certified-copies", str(csv)).read_text(encoding="utf-8")
    v = _md_tables(text)[6]
    assert v[1][1:] == ["UBND huyện Võ Nhai", "16/16", "22.548", "16/16", "24.086", "+1.538"]
    assert v[-1][1:] == ["TỔNG CỘNG TOÀN TỈNH", "", "23.342", "", "24.975", "+1.633"]
    assert hashlib.sha256(csv.read_bytes()).hexdigest() in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--province", "H99", "--month", "2023-10"], "unknown province H99"),
        (["--province", "H44", "--month", "2023-10"], "no month-end capture of 2023-10 for H44"),
        (["--province", "H55", "--month", "2023-11"], "run `dvc766 snapshot` at the month end"),
        (["--province", "H55", "--month", "2022-03"], "before the warehouse's history"),
        (["--province", "H55", "--month", "2023-13"], "has no month 13"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("DVC766_HISTORY_START", "2020-01")
    out = tmp_path / "r" / "x.docx"
    assert main(["report", *args, "--format", "docx", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_bad_csv_and_missing_warehouse_exit_2(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "cc.csv"
    csv.write_text("unit_name,deployed_prev,deployed_curr,total,completed_prev,completed_curr\nA,1,2,1,5,x\n")
    out = tmp_path / "o" / "a.md"
    assert (
        main(
            [
                "report",
                "--province",
                "H55",
                "--month",
                "2023-10",
                "--format",
                "md",
                "--out",
                str(out),
                "--certified-copies",
                str(csv),
            ]
        )
        == 2
    )
    assert "row 2, column completed_curr" in capsys.readouterr().err
    monkeypatch.setenv("DVC766_DATA_DIR", str(tmp_path / "empty"))
    assert (
        main(["report", "--province", "H55", "--month", "2023-10", "--format", "md", "--out", str(out)]) == 2
    )
    assert "no warehouse at" in capsys.readouterr().err
    assert not out.parent.exists()


def test_default_path_and_chart_is_deterministic(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--province", "H55", "--month", "2023-10", "--format", "xlsx"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == env / "reports" / "H55_2023-10.xlsx" and printed.is_file()
    assert not [p for p in printed.parent.iterdir() if p.name.endswith(".tmp")]
    from dvc766.periods import Period
    from warehouse.chart import chart_png
    from warehouse.report_data import load_appendix

    data = load_appendix(env / "warehouse.duckdb", "H55", Period.month(2023, 10))
    assert [p.month.key for p in data.score_history][0] == "2022-11"
    assert next(p for p in data.score_history if p.month.key == "2023-03").total is None
    assert chart_png(data) == chart_png(data)
