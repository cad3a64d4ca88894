"""Issue 5's proof, end to end: the replica serves Thái Nguyên's 2023 reference scenario, two month-end
snapshots are taken on the replica's clock, the warehouse is built, and the appendix for October 2023
is rendered in md, xlsx and docx — all through ``dvc766.cli.main`` as an analyst would run it.

Every figure of sections I–IV of the reference appendix (``replica/scenarios/thai_nguyen_2023/reference_appendix.txt``,
listed in ``tests/test_report_reference.py``, which re-reads the reference text) is compared with the
rendered md; the xlsx and docx must hold the same cells. Every change cell must equal the arithmetic
difference of the two printed figures, so the reference's two slips come out right: line 1.1 is +5
(printed "+18") and Sở Thông tin và Truyền thông in section IV is -3,07 (printed "+3,07").

The only figures allowed to differ are the documented ones (docs/appendix-mapping.md, note (*)): the
reference computes 4.3 on a base of 213 procedures that no v1 field carries; the pipeline uses
``totalFeeFormality`` (182 / 190). ``EXPECTED_DIFFERENCES`` lists those cells with the value we print,
so any other difference fails.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import docx
import duckdb
import openpyxl
import pytest

from dvc766.cli import main
from tests import test_report_reference as ref
from warehouse.appendix_lines import line
from warehouse.appendix_model import unit_display_name
from warehouse.numbers_vi import NO_CHANGE, NOT_AVAILABLE, parse_change, parse_number

replica_server = pytest.importorskip("replica.server")

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "replica" / "scenarios" / "thai_nguyen_2023"
# The replica's clock (Vietnam time) at the two month-end captures.
CLOCKS = ("2023-09-30T23:00", "2023-10-31T23:00")
PERIODS = ("2023-YTD-09", "2023-YTD-10")

# Section I columns of the md/docx table and of the reference tables (prev count, prev rate, curr count, curr rate).
COLUMNS = ("prev_count", "prev_rate", "curr_count", "curr_rate")

# The documented differences (docs/appendix-mapping.md (*)): line 4.3 on totalFeeFormality, not the
# reference's 213 / 222. (line, column) -> what the appendix prints, with the arithmetic behind it.
EXPECTED_DIFFERENCES: dict[tuple[str, str], str] = {
    ("4.3a", "prev_rate"): "81,32",  # 148 / 182 (reference: 148 / 213 = 69,48)
    ("4.3a", "curr_rate"): "82,63",  # 157 / 190 (reference: 157 / 222 = 70,72)
    ("4.3b", "prev_count"): "34",  # 182 − 148 (reference: 65)
    ("4.3b", "prev_rate"): "18,68",  # 100 − 81,32 (reference: 30,52)
    ("4.3b", "curr_count"): "33",  # 190 − 157 (reference: 65)
    ("4.3b", "curr_rate"): "17,37",  # 100 − 82,63 (reference: 29,28)
}

# Sections II-IV: (section, md table index, the reference's rows).
UNIT_TABLES = (
    ("II", 1, ref.OVERDUE),
    ("III.1", 2, ref.SERVICE_AGENCIES),
    ("III.2", 3, ref.SERVICE_LOCAL),
    ("IV.1", 4, ref.PAYMENT_AGENCIES),
    ("IV.2", 5, ref.PAYMENT_LOCAL),
)
# The one per-unit change the reference printed wrongly (all others equal the difference numerically).
REFERENCE_CHANGE_SLIPS = {("IV.1", "Sở Thông tin và Truyền thông"): ("+3,07", "-3,07")}

REFERENCE_FIGURES_I = sum(1 for v in ref.SUMMARY.values() for f in v[1:] if f) + 2  # + the two score cells
REFERENCE_FIGURES_UNITS = 2 * sum(len(rows) for _, _, rows in UNIT_TABLES)


@dataclass(frozen=True)
class Run:
    data_dir: Path
    out: Path
    outputs: dict[str, str]


@pytest.fixture(scope="module")
def run(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Snapshot at each month end on the replica clock, build, render the three formats."""
    if not (SCENARIO / "scenario.json").is_file():
        pytest.skip(f"the Thái Nguyên scenario {SCENARIO} is not present")
    base = tmp_path_factory.mktemp("e2e_reference")
    data_dir, out = base / "data", base / "out"
    outputs: dict[str, str] = {}
    with replica_server.start_replica(scenario=SCENARIO) as replica, pytest.MonkeyPatch.context() as mp:
        for k, v in {
            "DVC766_DATA_DIR": str(data_dir),
            "DVC766_PORTAL_URL": replica.url,
            "DVC766_PACING_S": "0",
            "DVC766_JITTER_S": "0",
            "DVC766_V1_CUTOVER": "2023-01",
            "DVC766_MAX_RETRIES": "0",
        }.items():
            mp.setenv(k, v)
        for clock in CLOCKS:
            replica.set_now(clock)
            assert main(["snapshot", "--provinces", "H55"]) == 0, clock
        assert main(["build"]) == 0
        for fmt in ("md", "xlsx", "docx"):
            path = out / f"appendix.{fmt}"
            assert (
                main(
                    ["report", "--province", "H55", "--month", "2023-10", "--format", fmt, "--out", str(path)]
                )
                == 0
            )
            outputs[fmt] = str(path)
    yield Run(data_dir, out, outputs)


# ---- reading the rendered tables back ---------------------------------------------------------------


def md_tables(text: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for ln in text.splitlines():
        if not ln.startswith("|"):
            current = None
            continue
        if set(ln) <= {"|", "-"}:
            continue
        if current is None:
            current = []
            tables.append(current)
        # each cell as a reader sees it: the md escapes markup characters (\*, \|, \<) in its texts
        current.append([re.sub(r"\\(.)", r"\1", c.strip()) for c in ln.strip()[1:-1].split(" | ")])
    return tables


def docx_tables(path: Path) -> list[list[list[str]]]:
    """Cell texts per grid column; a merged cell reads as its text then blanks, to its right and below
    (like md, whose two-row header leaves blank what the docx spans)."""
    tables = []
    for t in docx.Document(str(path)).tables:
        rows, above = [], []
        for row in t.rows:
            texts, previous, tcs = [], None, []
            for c, cell in enumerate(row.cells):
                spanned = cell._tc is previous or (c < len(above) and cell._tc is above[c])
                texts.append("" if spanned else cell.text)
                previous = cell._tc
                tcs.append(cell._tc)
            rows.append(texts)
            above = tcs
        tables.append(rows)
    return tables


def md(run: Run) -> list[list[list[str]]]:
    return md_tables(Path(run.outputs["md"]).read_text(encoding="utf-8"))


def summary_rows(table: list[list[str]]) -> dict[str, list[str]]:
    """Section I rows by line key (the label is the appendix line's, docs/appendix-mapping.md)."""
    by_label: dict[str, list[list[str]]] = {}
    for r in table[1:]:
        by_label.setdefault(r[1], []).append(r)
    out = {}
    for key in (*ref.SUMMARY, *ref.NOT_AVAILABLE_LINES, "score"):
        (row,) = by_label[line(key).label]
        out[key] = row
    return out


def figure(text: str) -> list[Decimal | None]:
    """A printed figure as numbers ("1.764/1.764" -> [1764, 1764])."""
    return [parse_number(p) for p in text.split("/")]


def reference_figure(text: str) -> list[Decimal]:
    return [ref.vi(p) for p in text.split("/")]


# ---- the tests ----------------------------------------------------------------------------------------


def test_snapshots_are_labelled_by_the_replica_clock_and_rank_among_63(run: Run) -> None:
    keys = {p.name for p in (run.data_dir / "landing").glob("*/period_type=ytd/period_key=*")}
    assert {k.removeprefix("period_key=") for k in keys} == set(PERIODS)
    con = duckdb.connect(str(run.data_dir / "warehouse.duckdb"), read_only=True)
    try:
        got = con.execute(
            "select period_key, total_score, rank_in_scope, rank_scope_size from fct_unit_score "
            "where unit_code = 'H55' and period_type = 'ytd' order by period_key"
        ).fetchall()
    finally:
        con.close()
    assert got == [(PERIODS[0], 77.79, 10, 63), (PERIODS[1], 78.59, 9, 63)]
    # The appendix names the capture time the portal's clock gave, in Vietnam time.
    assert "thu thập lúc 23:00 ngày 31/10/2023" in Path(run.outputs["md"]).read_text(encoding="utf-8")


def test_md_section_i_equals_every_reference_figure(run: Run) -> None:
    rows = summary_rows(md(run)[0])
    compared, differing = 0, {}
    for key, (_label, *ref_cells) in ref.SUMMARY.items():
        row = rows[key]
        ours = dict(zip(COLUMNS, row[2:6], strict=True))
        theirs = dict(zip(COLUMNS, ref_cells, strict=True))
        if key in ref.RATE_IN_COUNT_COLUMN:  # the reference prints 2.1/2.2's rate in its count column
            theirs = {"prev_rate": theirs["prev_count"], "curr_rate": theirs["curr_count"]}
        for col, text in theirs.items():
            if not text:
                continue  # the reference leaves the cell blank
            compared += 1
            if figure(ours[col]) != reference_figure(text):
                differing[(key, col)] = ours[col]
    score = rows["score"]
    assert (score[2], score[4]) == ref.SCORE  # "Đạt 77,79 điểm; xếp hạng 10/63 tỉnh, thành phố", …
    compared += 2
    assert compared == REFERENCE_FIGURES_I
    assert differing == EXPECTED_DIFFERENCES
    for key in ref.NOT_AVAILABLE_LINES:  # 3.7 and 6.3 are not in the portal's API
        assert rows[key][2] == rows[key][4] == rows[key][6] == NOT_AVAILABLE


def _expected_change(row: list[str]) -> list[Decimal]:
    """Count change then rate change, from the two printed figures of the row (the xlsx has both)."""
    spec = line_key_spec(row)
    out = []
    if spec.count_style:
        out.append(figure(row[4])[0] - figure(row[2])[0])  # type: ignore[operator]
    if spec.show_rate:
        out.append(parse_number(row[5]) - parse_number(row[3]))  # type: ignore[operator]
    return out


def _printed_change(row: list[str]) -> Decimal:
    """The one figure the md/docx change cell must hold: the rate's change, or the count's."""
    spec = line_key_spec(row)
    if spec.change_figure == "count":
        return figure(row[4])[0] - figure(row[2])[0]  # type: ignore[operator]
    return parse_number(row[5]) - parse_number(row[3])  # type: ignore[operator]


_SPEC_BY_LABEL: dict[str, object] = {}


def line_key_spec(row: list[str]):  # type: ignore[no-untyped-def]
    if not _SPEC_BY_LABEL:
        for key in ref.SUMMARY:
            _SPEC_BY_LABEL[line(key).label] = line(key)
    return _SPEC_BY_LABEL[row[1]]


def check_change(cell: str, want: Decimal, where: object) -> None:
    """A change cell: one figure; 'Giữ nguyên' when nothing changed, else its sign always shown
    ("+5,28", "-0,96") or, for a count, the word ("Tăng 120.415 hồ sơ", "Giảm 54.856 hồ sơ")."""
    if want == 0:
        assert cell == NO_CHANGE, (where, cell)
        return
    assert cell[0] == ("+" if want > 0 else "-") or cell.split()[0] == ("Tăng" if want > 0 else "Giảm"), (
        where,
        cell,
    )
    assert parse_change(cell) == want, (where, cell, want)


def test_md_section_i_changes_are_the_arithmetic_difference(run: Run) -> None:
    rows = summary_rows(md(run)[0])
    for key in ref.SUMMARY:
        check_change(rows[key][6], _printed_change(rows[key]), key)
    # The reference printed "+18" for line 1.1 (1.764 → 1.769); the appendix prints +5.
    reference_11 = next(
        cells for cells in (ln.split("\t") for ln in ref.REFERENCE.read_text(encoding="utf-8").splitlines())
        if len(cells) > 6 and cells[1] == ref.SUMMARY["1.1"][0]
    )  # fmt: skip
    assert reference_11[6] == "+18"
    assert rows["1.1"][6] == "Tăng 05 TTHC"
    assert (rows["1.2a"][6], rows["1.2b"][6], rows["2.1"][6]) == (
        "Tăng 120.415 hồ sơ",
        "Giảm 54.856 hồ sơ",
        "+5,28",
    )
    # Total score and rank: 78,59 − 77,79 and 10th → 9th.
    assert rows["score"][6] == "+0,80 điểm; tăng 1 bậc"


def test_md_sections_ii_to_iv_equal_the_reference_and_changes_are_arithmetic(run: Run) -> None:
    tables = md(run)
    compared, slips = 0, {}
    for section, index, ref_rows in UNIT_TABLES:
        table = tables[index]
        ours = {ref.canonical(r[1]): r for r in table[1:] if r[0]}
        assert sorted(ours) == sorted(ref.canonical(r[0]) for r in ref_rows), section
        for name, prev, curr, their_change in ref_rows:
            row = ours[ref.canonical(name)]
            assert parse_number(row[2]) == ref.vi(prev), (section, name, row)
            assert parse_number(row[3]) == ref.vi(curr), (section, name, row)
            compared += 2
            diff = ref.vi(curr) - ref.vi(prev)
            check_change(row[4], diff, (section, name))
            theirs = Decimal(0) if their_change == NO_CHANGE else ref.vi(their_change)
            if theirs != diff:
                slips[(section, name)] = (their_change, row[4])
    assert compared == REFERENCE_FIGURES_UNITS
    assert slips == REFERENCE_CHANGE_SLIPS
    overdue = tables[1]
    assert overdue[-1][1:] == ["TỔNG SỐ", "4.045", "1.100", "-2.945"]
    # Agencies first (two-digit codes), then the district People's Committees, each in code order.
    names = [r[1] for r in overdue[1:-1]]
    assert names[0] == "Sở Lao động, Thương binh và Xã hội" and names[16] == "UBND huyện Đại Từ"
    assert all(n.startswith("UBND") for n in names[16:]) and not any(n.startswith("UBND") for n in names[:16])


def _xlsx_rows(ws, first: int = 5) -> list[list[str]]:  # type: ignore[no-untyped-def]
    rows = []
    for row in ws.iter_rows(min_row=first):
        values = ["" if c.value is None else str(c.value) for c in row]
        if any(values):
            rows.append(values)
    return rows


def test_xlsx_prints_the_md_cells_and_keeps_them_as_numbers(run: Run) -> None:
    """The section sheets print the md's (and docx's) texts cell for cell; the sheet "Số liệu" holds the
    same figures as numbers, and both changes."""
    wb = openpyxl.load_workbook(run.outputs["xlsx"])
    tables = md(run)
    sheet_i = _xlsx_rows(wb["I. Tổng hợp"])
    assert [r[:7] for r in sheet_i[: len(tables[0])]] == tables[0]
    assert [r[:5] for r in _xlsx_rows(wb["II. Hồ sơ quá hạn"])[: len(tables[1])]] == tables[1]
    numbers = {(r[0].value, r[2].value): r for r in wb["Số liệu"].iter_rows(min_row=3)}
    md_rows = summary_rows(tables[0])
    for key in ref.SUMMARY:
        r, text = numbers[("I", line(key).label)], md_rows[key]
        for md_col, xl_col in ((2, 4), (3, 6), (4, 7), (5, 9)):
            if not text[md_col]:
                continue
            assert isinstance(r[xl_col].value, int | float), (key, r[xl_col].value)
            assert round(Decimal(str(r[xl_col].value)), 2) == figure(text[md_col])[0], (key, md_col)
        expected = _expected_change(text)
        got = [Decimal(str(c.value)) for c in (r[10], r[11]) if c.value is not None]
        assert [round(g, 2) for g in got] == expected, (key, got, expected)
    assert numbers[("I", line("1.1").label)][10].value == 5
    sections = {"II": "II", "III.1": "III", "III.2": "III", "IV.1": "IV", "IV.2": "IV"}
    for section, index, _ in UNIT_TABLES:
        rows = {name: r for (sec, name), r in numbers.items() if sec == sections[section]}
        for row in tables[index][1:]:
            if not row[0]:
                continue
            cells = rows[row[1]]
            cols = (4, 7, 10) if section == "II" else (6, 9, 11)
            for md_col, xl_col in zip((2, 3, 4), cols, strict=True):
                value = cells[xl_col].value
                assert isinstance(value, int | float), (section, row[1], value)
                assert round(Decimal(str(value)), 2) == parse_number(row[md_col]), (section, row, value)
    assert numbers[("IV", "Sở Thông tin và Truyền thông")][11].value == pytest.approx(-3.07)


def reference_section_v() -> list[tuple[str, list[Decimal]]]:
    """Section V of the reference: (commune, [deployed 30/9, units, completed 30/9, deployed 31/10, units,
    completed 31/10, change]) per row, then the total row."""
    text = (SCENARIO / "reference_appendix.txt").read_text(encoding="utf-8")
    out = []
    for ln in text[text.index("V. BIỂU TỔNG HỢP CUNG CẤP") :].splitlines():
        c = [x.strip() for x in ln.split("\t")]
        if len(c) >= 7 and (c[0].isdigit() or c[1] == "TỔNG CỘNG TOÀN TỈNH"):
            nums = [ref.vi(x.lstrip("+")) for cell in c[2:7] if cell for x in cell.split("/")]
            out.append((c[1].replace("Đông Hỷ", "Đồng Hỷ"), nums))
    return out


def test_the_office_figures_complete_the_reference_appendix(run: Run, tmp_path: Path) -> None:
    """With the office's figures for October 2023 (the scenario's office_figures_2023-10.csv), lines 3.7
    and 6.3 and section V print every figure of the reference, marked as the office's."""
    out = tmp_path / "complete.md"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DVC766_DATA_DIR", str(run.data_dir))
        argv = ["report", "--province", "H55", "--month", "2023-10", "--format", "md", "--out", str(out)]
        assert main([*argv, "--office-figures", str(SCENARIO / "office_figures_2023-10.csv")]) == 0
    text = out.read_text(encoding="utf-8")
    tables = md_tables(text)
    rows = {r[0]: r for r in tables[0] if r[0] in ("3.7", "6.3")}
    assert rows["3.7"][2:] == ["0", "", "0", "", NO_CHANGE]
    assert rows["6.3"][2:] == ["714.661", "", "754.830", "", "+40.169"]  # as the office writes it
    shown = re.sub(r"\\(.)", r"\1", text)  # as a reader sees it: the md escapes the "*" of the mark
    assert all(r[1].endswith("(**)") for r in rows.values()) and "(**) Số liệu dòng 3.7, 6.3 do" in shown
    printed = {r[1]: r for r in tables[6][2:]}
    for name, (dp, up, cp, dc, uc, cc, change) in reference_section_v()[:-1]:
        r = printed[name]
        assert figure(r[2]) == [dp, up] and figure(r[4]) == [dc, uc], name
        assert parse_number(r[3]) == cp and parse_number(r[5]) == cc and parse_change(r[6]) == change, name
    total, (prev, curr, change) = reference_section_v()[-1]
    assert [parse_number(c) for c in printed[total][3:6:2]] == [prev, curr]
    assert parse_change(printed[total][6]) == change
    assert "Số liệu mục V do Sở Nội vụ tỉnh Thái Nguyên cung cấp" in text
    assert NOT_AVAILABLE not in text  # the appendix goes out complete


def test_docx_holds_the_same_cells_as_the_md(run: Run) -> None:
    tables = docx_tables(Path(run.outputs["docx"]))
    expected = md(run)[:6]
    assert tables[:6] == expected
    document = docx.Document(run.outputs["docx"])
    sec = document.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert all(t.style.name == "Table Grid" for t in document.tables)


def test_docx_converts_to_pdf_with_the_tables_on_the_page(run: Run, tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if not office:
        pytest.skip("LibreOffice (libreoffice/soffice) is not on PATH; the docx-to-PDF check needs it")
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), run.outputs["docx"]],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = tmp_path / "appendix.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not on PATH; the PDF was produced but its text cannot be checked")
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    # Cells wrap inside their column (how depends on the fonts installed), and minus signs are Word's
    # non-breaking hyphen: compare without whitespace, hyphens as "-".
    flat = "".join(text.split()).replace("\u2011", "-")
    for cell in ("1.764/1.764", "Tăng05TTHC", "448.887", "Tăng120.415hồsơ", "4.045", "-3,07", "10/63"):
        assert cell in flat, cell
    for table in md(run)[1:6]:  # every unit of sections II-IV
        for row in table[1:]:
            assert "".join(row[1].split()) in flat, row


# ---- the dashboard, opened in a real headless browser with no network ----------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: the page must need no network
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=15000",
]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _dom(browser: str, page: Path, profile: Path) -> str:
    """The page as headless Chromium drew it (no network), its console free of errors."""
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    console = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln]
    assert not [ln for ln in console if "Uncaught" in ln or "Error" in ln], console
    return dom.stdout


def _chart(dom: str, key: str) -> str:
    start = dom.index(f'<div id="chart-{key}"')
    return dom[start : start + 400_000].split('<div id="chart-', 2)[1]


def _bar_texts(block: str) -> list[str]:
    """The labels drawn on a chart's bars (the SVG, not the data in the page's script)."""
    return re.findall(r'class="bartext[^"]*"[^>]*data-unformatted="([^"]*)"', block.split("<script", 1)[0])


def _ticks(block: str, axis: str) -> list[str]:
    return re.findall(rf'class="{axis}tick"[^>]*>.*?<text[^>]*>([^<]*)</text>', block)


def test_dashboard_renders_offline_in_a_browser_with_every_chart_drawn(run: Run, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not on PATH; .ci/run installs it from Debian's packages")
    out = ROOT / "tests" / "artifacts" / "dashboard_H55_2023-10.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DVC766_DATA_DIR", str(run.data_dir))
        assert main(["dashboard", "--province", "H55", "--month", "2023-10", "--out", str(out)]) == 0
        # the country's page, under the name `make demo` gives it
        assert main(["dashboard", "--province", "all", "--month", "2023-10"]) == 0
    national = run.data_dir / "reports" / "dashboard_all_2023-10.html"
    assert national.is_file() and not list(national.parent.glob("dashboard_toan-quoc*"))
    text = out.read_text(encoding="utf-8")
    # plotly.js and the data are inlined: no script or style is fetched from anywhere
    assert not re.findall(r'<(?:script|link)[^>]*(?:src|href)="https?:', text) and "plotly.js v" in text
    profile = tmp_path / "profile"
    dom = _dom(browser, out, profile)
    charts = re.findall(r'<div id="chart-([a-z\-A-Z]+)"', dom)
    assert {"trend", "groups", "change", "overdue", "online-service", "online-payment"} <= set(charts)
    # the points-at-stake charts: the groups whose units' counts add up to the province's (progress,
    # payment, …); the online services' formula is unknown, so that group has none and the page says so
    stake = {c.removeprefix("stake-") for c in charts if c.startswith("stake-")}
    assert {"TDGQ", "TTTT"} <= stake and "CLGQ" not in stake
    assert "Chưa tính được: Dịch vụ công trực tuyến (công thức điểm của Cổng chưa xác định)" in dom
    for key in charts:  # each chart drew its marks (bars or points) into its SVG
        block = _chart(dom, key)
        assert "main-svg" in block and 'class="point' in block, key
    assert "78,59" in dom  # H55's total score on 31/10/2023, as Table I prints it
    assert 'class="modebar-btn' not in dom  # no Plotly toolbar over the charts
    # the trend: the score on its own axis at least 10 points tall (0,80 is not a cliff), the rank below
    # it on whole numbers 1 … 63, each point labelled
    trend = _chart(dom, "trend")
    scores = [float(t.replace(",", ".")) for t in _ticks(trend, "y")]
    assert max(scores) - min(scores) >= 8, scores
    ranks = _ticks(trend, "y2")
    assert ranks[0] == "1" and ranks[-1] == "63" and all(t.isdigit() for t in ranks), ranks
    assert ">10<" in trend and ">9<" in trend and ">78,59<" in trend and ">77,79<" in trend
    # per unit: the worst 15 of 25 units, sorted, counts written 1.000 (not 1k), rates as the table's
    overdue = _chart(dom, "overdue")
    values = [int(v.replace(".", "")) for v in _bar_texts(overdue)]
    assert len(values) == 15 and values == sorted(values, reverse=True) and values[0] == 252, values
    assert not [t for t in _ticks(overdue, "x") if t.endswith("k")]
    service = _bar_texts(_chart(dom, "online-service"))
    assert service and all(re.fullmatch(r"\d+,\d", v) for v in service), service  # one decimal, as in III
    # the country: the ranking names the provinces and counts of October 2023
    ndom = _dom(browser, national, profile)
    assert "Xếp hạng 63 tỉnh, thành phố theo điểm tổng" in ndom and "34 tỉnh" not in ndom
    assert "tỉnh Thừa Thiên Huế" in ndom and ">tỉnh Huế<" not in ndom
    legend = re.findall(r'class="legendtext"[^>]*>([^<]*)<', _chart(ndom, "groups"))
    assert legend == ["Công khai, minh bạch", "Tiến độ giải quyết", "Dịch vụ công trực tuyến",
                      "Thanh toán trực tuyến", "Mức độ hài lòng", "Số hóa hồ sơ"], legend  # fmt: skip
    totals = re.findall(
        r'class="textpoint".*?data-unformatted="([^"]*)"', _chart(ndom, "groups").split("<script")[0]
    )
    assert "78,59" in [t.strip() for t in totals]  # the total after the bar, not the last segment's value
    shot = ROOT / "tests" / "artifacts" / "dashboard_H55_2023-10.png"
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1400,2600",
         out.as_uri()], capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.stat().st_size > 10_000


def test_dashboard_draws_no_rate_as_not_available(run: Run, tmp_path: Path) -> None:
    """A unit with no dossier to pay for (0 of 0) has no payment rate: the chart writes "Không có số
    liệu" beside its name and draws no bar, as the README promises, never "0,00"."""
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not on PATH; .ci/run installs it from Debian's packages")
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(run.data_dir / "warehouse.duckdb", data / "warehouse.duckdb")
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    con.execute(
        "update rpt_online_payment_by_unit set paid_online = 0, with_obligation = 0, rate = null, change_rate = null "
        "where unit_code = (select min(unit_code) from rpt_online_payment_by_unit where period_key = '2023-YTD-10' "
        "and province_code = 'H55') and period_key = '2023-YTD-10'"
    )
    (name,) = con.execute(
        "select unit_name from rpt_online_payment_by_unit where rate is null and period_key = '2023-YTD-10'"
    ).fetchone()
    con.close()
    page = tmp_path / "d.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DVC766_DATA_DIR", str(data))
        assert main(["dashboard", "--province", "H55", "--month", "2023-10", "--out", str(page)]) == 0
    block = _chart(_dom(browser, page, tmp_path / "profile"), "online-payment")
    labels = _bar_texts(block)
    assert labels.count(NOT_AVAILABLE) == 1 and unit_display_name(name) in block, labels


def test_dashboard_bad_input_is_one_line_and_writes_nothing(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DVC766_DATA_DIR", str(run.data_dir))
        for argv, words in (
            (["--province", "H99"], "H99"),
            (["--province", "H55", "--month", "2022-05"], "before"),
            (["--province", "H55", "--month", "2023-13"], "month 13"),
        ):
            out = tmp_path / "x.html"
            assert main(["dashboard", *argv, "--out", str(out)]) == 2
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1 and words in err, err
            assert not out.exists()
        mp.setenv("DVC766_DATA_DIR", str(tmp_path / "empty"))
        assert main(["dashboard", "--province", "H55", "--month", "2023-10"]) == 2
        assert "no warehouse" in capsys.readouterr().err
