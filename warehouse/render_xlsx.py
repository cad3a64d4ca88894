"""The appendix as an Excel workbook for analysts: numbers stay numbers.

One sheet per section plus a chart sheet. Counts carry ``#,##0``, rates ``0.00`` (``0.0`` in section III),
changes a signed format that prints zero as "Giữ nguyên", so Excel shows the appendix's look while every
cell stays a number to compute with. A figure that is not available is the text "Không có số liệu".
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet

from warehouse.chart import chart_png
from warehouse.numbers_vi import NOT_AVAILABLE
from warehouse.render_md import (
    CERTIFIED_NOT_AVAILABLE,
    PROCEDURES_TITLE,
    TITLE_1,
    UNIT_SECTIONS,
    document_title,
    procedure_table,
    provenance_lines,
    section_titles,
)
from warehouse.report_data import AppendixData, SummaryRow, UnitTable

COUNT_FMT = "#,##0"
CHANGE_COUNT_FMT = '+#,##0;-#,##0;"Giữ nguyên"'


def rate_fmt(decimals: int) -> str:
    return "0." + "0" * decimals if decimals else "0"


def change_rate_fmt(decimals: int) -> str:
    f = rate_fmt(decimals)
    return f'+{f};-{f};"Giữ nguyên"'


SHEETS = {
    "I": "I. Tổng hợp",
    "II": "II. Hồ sơ quá hạn",
    "III": "III. DVC trực tuyến",
    "IV": "IV. Thanh toán trực tuyến",
    "V": "V. Chứng thực điện tử",
    "chart": "Biểu đồ",
}
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _put(ws: Worksheet, row: int, col: int, value: object, fmt: str | None = None) -> None:
    """Write a figure: Decimal → int/float with a number format; None → the not-available text."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        cell.value = NOT_AVAILABLE
    elif isinstance(value, Decimal):
        cell.value = (
            int(value)
            if value == value.to_integral_value() and fmt in (COUNT_FMT, CHANGE_COUNT_FMT)
            else float(value)
        )
        if fmt:
            cell.number_format = fmt
    else:
        cell.value = value  # type: ignore[assignment]
        if fmt and isinstance(value, int | float):
            cell.number_format = fmt
    cell.border = _BORDER


def _header(ws: Worksheet, row: int, names: list[str]) -> None:
    for c, name in enumerate(names, start=1):
        cell = ws.cell(row=row, column=c, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = _BORDER


def _title(ws: Worksheet, data: AppendixData, heading: str) -> int:
    ws.cell(row=1, column=1, value=TITLE_1).font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=document_title(data)).font = Font(bold=True)
    ws.cell(row=3, column=1, value=heading).font = Font(bold=True)
    return 5


def _summary_sheet(ws: Worksheet, data: AppendixData, heading: str) -> None:
    r = _title(ws, data, heading)
    p, c = data.prev_date, data.curr_date
    _header(
        ws,
        r,
        [
            "Số TT",
            "Nội dung",
            f"Số liệu ngày {p}",
            f"Tổng số ngày {p}",
            f"Tỷ lệ (%) ngày {p}",
            f"Số liệu ngày {c}",
            f"Tổng số ngày {c}",
            f"Tỷ lệ (%) ngày {c}",
            f"Tăng/Giảm số liệu so với ngày {p}",
            f"Tăng/Giảm tỷ lệ (điểm %) so với ngày {p}",
        ],
    )
    rate, drate = rate_fmt(2), change_rate_fmt(2)
    for row in data.summary:
        r += 1
        spec = row.spec
        ws.cell(row=r, column=1, value=spec.number).border = _BORDER
        ws.cell(row=r, column=2, value=spec.label).border = _BORDER
        if spec.kind in ("group", "heading"):
            ws.cell(row=r, column=1).font = ws.cell(row=r, column=2).font = Font(bold=True)
        elif spec.kind == "not_available":
            for col in (3, 6, 9):
                _put(ws, r, col, None)
        elif spec.kind == "score":
            s = data.score
            _put(ws, r, 3, s.prev_score, rate)
            _put(ws, r, 6, s.curr_score, rate)
            _put(ws, r, 9, s.change_score, drate)
            r += 1
            ws.cell(row=r, column=2, value="Xếp hạng (trên số tỉnh, thành phố)").border = _BORDER
            _put(ws, r, 3, s.prev_rank, COUNT_FMT)
            _put(ws, r, 4, s.prev_size, COUNT_FMT)
            _put(ws, r, 6, s.curr_rank, COUNT_FMT)
            _put(ws, r, 7, s.curr_size, COUNT_FMT)
            _put(ws, r, 9, s.change_rank, CHANGE_COUNT_FMT)
        else:
            _figure_row(ws, r, row, rate, drate)
    ws.column_dimensions["B"].width = 60
    for col in "CDEFGHIJ":
        ws.column_dimensions[col].width = 16


def _figure_row(ws: Worksheet, r: int, row: SummaryRow, rate: str, drate: str) -> None:
    spec = row.spec
    if spec.count_style:
        _put(ws, r, 3, row.prev_count, COUNT_FMT)
        _put(ws, r, 6, row.curr_count, COUNT_FMT)
        _put(ws, r, 9, row.change_count, CHANGE_COUNT_FMT)
        if spec.count_style == "fraction":
            _put(ws, r, 4, row.prev_total, COUNT_FMT)
            _put(ws, r, 7, row.curr_total, COUNT_FMT)
    if spec.show_rate:
        _put(ws, r, 5, row.prev_rate, rate)
        _put(ws, r, 8, row.curr_rate, rate)
        _put(ws, r, 10, row.change_rate, drate)


def _unit_block(
    ws: Worksheet, r: int, data: AppendixData, table: UnitTable, what: str, subtitle: str | None
) -> int:
    if subtitle:
        ws.cell(row=r, column=1, value=subtitle).font = Font(bold=True)
        r += 1
    p, c = data.prev_date, data.curr_date
    _header(
        ws,
        r,
        ["Số TT", "Đơn vị", f"{what} ngày {p}", f"{what} ngày {c}", f"Tăng (+)/Giảm (-) so với ngày {p}"],
    )
    value_fmt = COUNT_FMT if table.decimals == 0 else rate_fmt(table.decimals)
    change_fmt = CHANGE_COUNT_FMT if table.decimals == 0 else change_rate_fmt(table.decimals)
    rows = [(str(i), u) for i, u in enumerate(table.rows, start=1)]
    if table.total is not None:
        rows.append(("", table.total))
    for number, u in rows:
        r += 1
        ws.cell(row=r, column=1, value=number).border = _BORDER
        ws.cell(row=r, column=2, value=u.unit_name).border = _BORDER
        _put(ws, r, 3, u.prev, value_fmt)
        _put(ws, r, 4, u.curr, value_fmt)
        _put(ws, r, 5, u.change, change_fmt)
    ws.column_dimensions["B"].width = 45
    for col in "CDE":
        ws.column_dimensions[col].width = 22
    return r + 2


def render_xlsx(data: AppendixData) -> bytes:
    """The appendix as .xlsx bytes."""
    t = section_titles(data)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS["I"]
    _summary_sheet(ws, data, t["I"])

    ws = wb.create_sheet(SHEETS["II"])
    _unit_block(ws, _title(ws, data, t["II"]), data, data.overdue, "Số lượng hồ sơ quá hạn", None)
    for key, attr, what, num in UNIT_SECTIONS:
        ws = wb.create_sheet(SHEETS[key])
        r = _title(ws, data, t[key])
        for i, table in enumerate(getattr(data, attr), start=1):
            r = _unit_block(ws, r, data, table, what + " (%)", f"{num}.{i}. {table.title}")

    ws = wb.create_sheet(SHEETS["V"])
    r = _title(ws, data, t["V"])
    cc = data.certified
    if cc is None:
        ws.cell(row=r, column=1, value=CERTIFIED_NOT_AVAILABLE)
    else:
        p, c = data.prev_date, data.curr_date
        _header(
            ws,
            r,
            [
                "Số TT",
                "Địa phương",
                f"Đã triển khai ngày {p}",
                f"Tổng số ngày {p}",
                f"Số lượng hoàn thành ngày {p}",
                f"Đã triển khai ngày {c}",
                f"Tổng số ngày {c}",
                f"Số lượng hoàn thành ngày {c}",
                f"Tăng (+)/Giảm (-) so với ngày {p}",
            ],
        )
        for i, row in enumerate(cc.rows, start=1):
            r += 1
            values = [
                i,
                row.unit_name,
                row.deployed_prev,
                row.total,
                row.completed_prev,
                row.deployed_curr,
                row.total,
                row.completed_curr,
                row.change,
            ]
            for col, v in enumerate(values, start=1):
                _put(ws, r, col, v, CHANGE_COUNT_FMT if col == 9 else COUNT_FMT if col > 2 else None)
        r += 1
        ws.cell(row=r, column=2, value="TỔNG CỘNG TOÀN TỈNH").border = _BORDER
        _put(ws, r, 5, cc.total_prev, COUNT_FMT)
        _put(ws, r, 8, cc.total_curr, COUNT_FMT)
        _put(ws, r, 9, cc.total_change, CHANGE_COUNT_FMT)
        ws.column_dimensions["B"].width = 35
    r += 2
    for line in provenance_lines(data):
        ws.cell(row=r, column=1, value=line).font = Font(italic=True)
        r += 1

    if data.procedures:
        ws = wb.create_sheet("VI. Thủ tục")
        r = _title(ws, data, PROCEDURES_TITLE)
        _header(ws, r, procedure_table(data)[0])
        for i, proc in enumerate(data.procedures, start=1):
            r += 1
            for col, v in enumerate(
                [i, proc.code, proc.name, proc.overdue, proc.received, proc.rate], start=1
            ):
                _put(ws, r, col, v, COUNT_FMT if col in (4, 5) else rate_fmt(2) if col == 6 else None)
        ws.column_dimensions["C"].width = 60

    ws = wb.create_sheet(SHEETS["chart"])
    ws.cell(row=1, column=1, value=t["chart"]).font = Font(bold=True)
    img = Image(io.BytesIO(chart_png(data)))
    ws.add_image(img, "A3")

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
