"""``dvc766 report`` end to end on a tiny warehouse holding the reference appendix's figures.

Each figure of sections I–IV listed in ``test_report_reference`` is compared with the rendered md, the
same cells of the xlsx (read back with openpyxl) and of the docx (read back with python-docx); every
change cell must equal the arithmetic difference of the two printed figures.
"""

from __future__ import annotations

import hashlib
import re
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
from warehouse.render_md import summary_table, unit_table
from warehouse.render_xlsx import DATA_COLUMNS

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
            # each cell as a reader sees it: the md escapes markup characters (\*, \|, \<) in its texts
            cells = [re.sub(r"\\(.)", r"\1", c.strip()) for c in ln.strip().strip("|").split(" | ")]
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


def _sheet_rows(ws, first: int = 5) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """A printed sheet's table rows as text (merged cells read as blanks), from ``first`` on."""
    out = []
    for row in ws.iter_rows(min_row=first):
        values = ["" if c.value is None else str(c.value) for c in row]
        if any(values):
            out.append(values)
    return out


def test_xlsx_prints_the_docx_texts_and_keeps_the_numbers(env: Path, tmp_path: Path) -> None:
    """The section sheets hold each figure as the text the docx prints (Vietnamese on any PC's locale);
    the sheet "Số liệu" holds the same figures as numbers equal to the reference."""
    wb = openpyxl.load_workbook(_report("xlsx", tmp_path / "a.xlsx"))
    ws = wb["I. Tổng hợp"]
    printed = [r[:7] for r in _sheet_rows(ws) if r[0] != "Số TT" and r[1]]
    assert _check_summary([["header"], *printed[1:]]) == REFERENCE_FIGURES_I
    assert all(c.data_type == "s" for r in ws.iter_rows(min_row=7) for c in r[2:] if c.value is not None)
    overdue = _sheet_rows(wb["II. Hồ sơ quá hạn"])
    _check_units([["header"], *(r[:5] for r in overdue if r[0].isdigit())], OVERDUE)
    data = {(r[0].value, r[2].value): r for r in wb["Số liệu"].iter_rows(min_row=3)}
    assert [c.value for c in next(wb["Số liệu"].iter_rows(min_row=2, max_row=2))] == [
        n for n, _ in DATA_COLUMNS
    ]
    for key, (_label, pc, pr, cc, cr) in SUMMARY.items():
        spec = line(key)
        r = data[("I", spec.label)]
        if key in RATE_IN_COUNT_COLUMN:
            pc, pr, cc, cr = "", pc, "", cc
        for ref, cell in ((pc, r[4]), (pr, r[6]), (cc, r[7]), (cr, r[9])):
            if ref:
                assert isinstance(cell.value, int | float), (key, cell.value)
                assert Decimal(str(cell.value)) == vi(ref.split("/")[0]), (key, ref, cell.value)
        if spec.count_style and isinstance(r[4].value, int):
            assert r[10].value == r[7].value - r[4].value
        if spec.show_rate:
            assert round(Decimal(str(r[11].value)), 2) == round(
                Decimal(str(r[9].value)) - Decimal(str(r[6].value)), 2
            )
    assert data[("I", line("1.1").label)][10].value == 5 and data[("I", line("1.1").label)][5].value == 1764
    rank = data[("I", "Xếp hạng (số bậc tăng +/giảm -)")]
    assert [rank[i].value for i in (4, 5, 7, 8, 10)] == [10, 63, 9, 63, 1]  # 10 → 9 is one place gained
    assert data[("I", line("3.7").label)][4].value is None
    for section, tables in (("II", [OVERDUE]), ("III", [SERVICE_AGENCIES, SERVICE_LOCAL]),
                            ("IV", [PAYMENT_AGENCIES, PAYMENT_LOCAL])):  # fmt: skip
        cells = {name: r for (sec, name), r in data.items() if sec == section}
        col = 4 if section == "II" else 6
        for ref in tables:
            for name, prev, curr, _ in ref:
                r = cells[_name_in_report(name, cells)]
                assert Decimal(str(r[col].value)) == vi(prev) and Decimal(str(r[col + 3].value)) == vi(
                    curr
                ), name
                change = r[10 if section == "II" else 11].value
                assert round(Decimal(str(change)), 2) == vi(curr) - vi(prev), name
    assert data[("IV", "Sở Thông tin và Truyền thông")][11].value == pytest.approx(-3.07)
    assert wb["Biểu đồ"]._images


def test_xlsx_sheets_hold_the_md_cells(env: Path, tmp_path: Path) -> None:
    """Sheet I and sheet II print exactly the cells the md and docx print."""
    from dvc766.periods import Period
    from warehouse.report_data import load_appendix

    wb = openpyxl.load_workbook(_report("xlsx", tmp_path / "a.xlsx"))
    data = load_appendix(env / "warehouse.duckdb", "H55", Period.month(2023, 10))
    want = summary_table(data)
    got = _sheet_rows(wb["I. Tổng hợp"])[: len(want)]
    assert [r[:7] for r in got] == want
    want = unit_table(data, data.overdue, "Số lượng hồ sơ quá hạn")
    got = _sheet_rows(wb["II. Hồ sơ quá hạn"])[: len(want)]
    assert [r[:5] for r in got] == want


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


OFFICE_CSV = """line,unit,figure,prev,curr
3,7,,count,0,0
6.3,,count,714.661,754830
V,UBND huyện Võ Nhai,deployed,16,16
V,UBND huyện Võ Nhai,units,16,16
V,UBND huyện Võ Nhai,completed,22.548,24086
V,UBND huyện Phú Lương,deployed,15,16
V,UBND huyện Phú Lương,units,16,16
V,UBND huyện Phú Lương,completed,794,889
order,UBND huyện Võ Nhai,,,
order,Sở Tư pháp,,,
order,H55.05,,,
"""


def test_office_figures_fill_3_7_6_3_section_v_and_the_unit_order(env: Path, tmp_path: Path) -> None:
    """What the portal does not publish, from the office's one CSV, printed and marked as the office's."""
    csv = tmp_path / "office.csv"
    csv.write_text(OFFICE_CSV.replace("3,7,,count", '"3,7",,count'), encoding="utf-8")
    text = _report("md", tmp_path / "a.md", "--office-figures", str(csv)).read_text(encoding="utf-8")
    tables = _md_tables(text)
    rows = {r[0]: r for r in tables[0] if r[0] in ("3.7", "6.3")}
    assert rows["3.7"][1:] == [line("3.7").label + " (**)", "0", "", "0", "", "Giữ nguyên"]
    assert rows["6.3"][1:] == [line("6.3").label + " (**)", "714.661", "", "754.830", "", "+40.169"]
    shown = re.sub(r"\\(.)", r"\1", text)  # as a reader sees it: the md escapes the "*" of the mark
    assert "(**) Số liệu dòng 3.7, 6.3 do Sở Nội vụ tỉnh Thái Nguyên cung cấp" in shown
    v = tables[6]
    assert v[0][2] == "Số liệu ngày 30/9/2023" and v[1][2:4] == ["Đã triển khai", "Số lượng hoàn thành"]
    assert v[2][1:] == ["UBND huyện Võ Nhai", "16/16", "22.548", "16/16", "24.086", "+1.538"]
    assert v[3][1:] == ["UBND huyện Phú Lương", "15/16", "794", "16/16", "889", "+95"]
    assert v[-1][1:] == ["TỔNG CỘNG TOÀN TỈNH", "", "23.342", "", "24.975", "+1.633"]
    assert "(**) Số liệu mục V do Sở Nội vụ tỉnh Thái Nguyên cung cấp" in shown
    # the office's order: its departments first (Sở Tư pháp, Sở Nội vụ), then its local units, each as
    # listed; the units it does not list follow in code order
    overdue = [r[1] for r in tables[1][1:] if r[0]]
    assert overdue[:2] == ["Sở Tư pháp", "Sở Nội vụ"] and overdue[2] == "Sở Nông nghiệp và Môi trường"
    local = [n for n in overdue if n.startswith("UBND")]
    assert local[0] == "UBND huyện Võ Nhai" and local[1] == "UBND thành phố Thái Nguyên"
    assert len(local) == 9 and not any(n.startswith("UBND") for n in overdue[: len(overdue) - 9])
    # the legacy section-V file still fills section V
    legacy = tmp_path / "cc.csv"
    legacy.write_text(
        "unit_name,deployed_prev,deployed_curr,total,completed_prev,completed_curr\n"
        "UBND huyện Võ Nhai,16,16,16,22.548,24086\nUBND huyện Phú Lương,15,16,16,794,889\n",
        encoding="utf-8",
    )
    text = _report("md", tmp_path / "b.md", "--certified-copies", str(legacy)).read_text(encoding="utf-8")
    assert _md_tables(text)[6][2][1:] == [
        "UBND huyện Võ Nhai",
        "16/16",
        "22.548",
        "16/16",
        "24.086",
        "+1.538",
    ]
    # the docx and xlsx print the same and name the file (not its folder) and its sha256 in their properties
    document = docx.Document(str(_report("docx", tmp_path / "a.docx", "--office-figures", str(csv))))
    cells = {c.text for row in document.tables[0].rows for c in row.cells}
    assert {"714.661", "754.830", "+40.169", line("6.3").label + " (**)"} <= cells
    comments = document.core_properties.comments
    assert hashlib.sha256(csv.read_bytes()).hexdigest() in comments and "office.csv" in comments
    assert str(tmp_path) not in comments and "/" not in comments.replace("3.7, 6.3, V", "")
    wb = openpyxl.load_workbook(_report("xlsx", tmp_path / "a.xlsx", "--office-figures", str(csv)))
    assert str(tmp_path) not in (wb.properties.description or "")
    assert any(
        r[1] == "UBND huyện Võ Nhai" and r[6] == "+1.538" for r in _sheet_rows(wb["V. Chứng thực điện tử"])
    )
    numbers = {r[2].value: r for r in wb["Số liệu"].iter_rows(min_row=3)}
    assert [c.value for c in numbers[line("6.3").label + " (số liệu của cơ quan)"][4:11]] == [
        714661, None, None, 754830, None, None, 40169]  # fmt: skip


@pytest.mark.parametrize(
    ("csv", "words"),
    [
        ("", "is empty"),
        ("line,unit,figure,prev\n3.7,,count,0\n", "row 1 (header): missing curr"),
        ("line,unit,figure,prev,curr\n", "has a header but no rows"),
        (
            "line,unit,figure,prev,curr\n3.8,,count,1,2\n",
            "row 2, column line: '3.8' is not one of 3.7, 6.3, V, order",
        ),
        ("line,unit,figure,prev,curr\n6.3,,count,714,661,754.830\n", "row 2: 6 columns, expected 5"),
        (
            'line,unit,figure,prev,curr\n6.3,,count,"714,661",1\n',
            "row 2, column prev: '714,661' is not a whole number",
        ),
        (
            "line,unit,figure,prev,curr\n6.3,,count,1,2\n6.3,,count,1,2\n",
            "row 3, column line: line 6.3 appears twice",
        ),
        (
            "line,unit,figure,prev,curr\nV,UBND A,deployed,1,1\nV,UBND A,units,1,1\n",
            "row 2: section V 'UBND A' has no completed row",
        ),
        (
            "line,unit,figure,prev,curr\nV,UBND A,deployed,2,1\nV,UBND A,units,1,1\nV,UBND A,completed,1,1\n",
            "deployed 2 is more than units 1",
        ),
        (
            "line,unit,figure,prev,curr\norder,Sở Không Có,,,\n",
            "order lists 'Sở Không Có', not a unit of H55",
        ),
    ],
)
def test_bad_office_figures_are_one_line_exit_2_and_nothing_written(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], csv: str, words: str
) -> None:
    path = tmp_path / "office.csv"
    path.write_text(csv, encoding="utf-8")
    out = tmp_path / "o" / "a.docx"
    argv = ["report", "--province", "H55", "--month", "2023-10", "--format", "docx", "--out", str(out)]
    assert main([*argv, "--office-figures", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err
    assert not out.parent.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--province", "H99", "--month", "2023-10"], "unknown province H99"),
        (["--province", "H44", "--month", "2023-10"], "no month-end capture of 2023-10 for H44"),
        (
            ["--province", "H55", "--month", "2023-11"],
            "the appendix needs the year-to-date figures seen on 30/11/2023 (period 2023-YTD-11), taken by "
            "`dvc766 snapshot` on that day (H55's month ends in the warehouse: 30/9/2023, 31/10/2023)",
        ),
        (
            ["--province", "H55", "--month", "2023-08"],
            "the month 2023-08 itself is there (backfilled), but the appendix compares the year so far",
        ),
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
    # a warehouse built from nothing says so, not "unknown province H55 … (it has )"
    from dvc766.settings import Settings
    from warehouse.runner import build

    empty = tmp_path / "built-empty"
    build(Settings(data_dir=empty))
    monkeypatch.setenv("DVC766_DATA_DIR", str(empty))
    for argv in (
        ["report", "--province", "H55", "--month", "2023-10", "--format", "md", "--out", str(out)],
        ["dashboard", "--province", "H55", "--out", str(out.with_suffix(".html"))],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "(it has )" not in err, err
        assert "holds no" in err and "dvc766 snapshot" in err, err
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
