"""The appendix as Markdown, for a quick look; also the text form of every cell, shared with the docx
and the xlsx.

The cell functions here are the one place that turns figures into printed Vietnamese text, so the md,
docx and xlsx renderings cannot disagree. The md carries no trace of the analyst's files (a Markdown
file has no properties; the docx and xlsx keep the trace in theirs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from dvc766.periods import VN_TZ
from dvc766.text import printable
from warehouse.appendix_lines import FOOTNOTES, RATE_DECIMALS
from warehouse.appendix_model import (
    DEFAULT_ISSUER,
    AppendixData,
    ScoreLine,
    SummaryRow,
    UnitRow,
    UnitTable,
    vn_day,
)
from warehouse.numbers_vi import (
    NOT_AVAILABLE,
    format_change,
    format_count_change,
    format_fraction,
    format_number,
)

TITLE_1 = "PHỤ LỤC"


def document_title(data: AppendixData) -> str:
    return (
        "SỐ LIỆU BỘ CHỈ SỐ CHỈ ĐẠO, ĐIỀU HÀNH VÀ ĐÁNH GIÁ CHẤT LƯỢNG PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP "
        f"TRONG THỰC HIỆN TTHC, DỊCH VỤ CÔNG CỦA {data.province_title} "
        f"THÁNG {data.month.number} NĂM {data.month.year}"
    )


def letter_line(data: AppendixData) -> str:
    """The line under the title that ties the appendix to its letter, as the reference prints it:
    "(Kèm theo Công văn số 2590/SNV-CCHC ngày 01/11/2023 của Sở Nội vụ)". What the CLI was not given
    is left as dotted blanks, the way an unnumbered draft is sent for signature."""
    number = (data.letter_number or "").strip()
    if not number:
        number = "…/SNV-CCHC"
    elif number.isdigit() and data.issuer == DEFAULT_ISSUER:
        number += "/SNV-CCHC"
    if data.letter_date:
        day = f"{data.letter_date:%d/%m/%Y}"
    else:
        day = f"…/…/{data.month.year + (data.month.number == 12)}"  # sent the month after
    return f"(Kèm theo Công văn số {number} ngày {day} của {data.issuer})"


def chart_title(data: AppendixData) -> str:
    """The chart's heading, true to what it plots (the year-to-date figures at each month end shown)."""
    shown = data.chart_points
    if shown[0].total is None:
        return "BIỂU ĐỒ ĐIỂM TỔNG HỢP, ĐIỂM THEO NHÓM CHỈ SỐ VÀ XẾP HẠNG"
    first, last = shown[0].month.end, shown[-1].month.end
    span = (
        f"NGÀY {vn_day(last)}"
        if first == last
        else f"CÁC NGÀY CUỐI THÁNG, TỪ NGÀY {vn_day(first)} ĐẾN NGÀY {vn_day(last)}"
    )
    return f"BIỂU ĐỒ ĐIỂM TỔNG HỢP, ĐIỂM THEO NHÓM CHỈ SỐ VÀ XẾP HẠNG TẠI {span}"


def section_titles(data: AppendixData) -> dict[str, str]:
    """Headings of sections I–V and the chart page."""
    return {
        "I": f"I. BIỂU TỔNG HỢP SỐ LIỆU THÁNG {data.month.number} NĂM {data.month.year}",
        "II": "II. " + data.overdue.title,
        "III": "III. THỐNG KÊ TỶ LỆ CUNG CẤP DỊCH VỤ CÔNG TRỰC TUYẾN",
        "IV": "IV. THỐNG KÊ TỶ LỆ THANH TOÁN TRỰC TUYẾN",
        "V": "V. BIỂU TỔNG HỢP CUNG CẤP DỊCH VỤ CHỨNG THỰC ĐIỆN TỬ BẢN SAO TỪ BẢN CHÍNH",
        "chart": chart_title(data),
    }


PORTAL_STAT = "Thống kê trên Cổng dịch vụ công quốc gia ngày"


def summary_header(data: AppendixData) -> list[list[str]]:
    """Table I's two header rows, as the reference prints them: each day over its "Số liệu | Tỷ lệ (%)".

    The second row's blank cells are where the first row's cells span down (docx and xlsx merge them)."""
    p, c = data.prev_date, data.curr_date
    return [
        [
            "Số TT",
            "Nội dung",
            f"{PORTAL_STAT} {p}",
            "",
            f"{PORTAL_STAT} {c}",
            "",
            f"Tăng (+)/Giảm (-) so với ngày {p}",
        ],
        ["", "", "Số liệu", "Tỷ lệ (%)", "Số liệu", "Tỷ lệ (%)", ""],
    ]


def _count_text(row: SummaryRow, count: Decimal | None, total: Decimal | None) -> str:
    if row.spec.count_style == "fraction":
        return format_fraction(count, total)
    if row.spec.count_style == "count":
        return format_number(count)
    return ""


def change_text(row: SummaryRow) -> str:
    """The one figure of a line's change column (``LineSpec.change_figure``): the rate's change
    ("+5,28", "Giữ nguyên") or the count's in words ("Tăng 120.415 hồ sơ")."""
    what = row.spec.change_figure
    if what == "rate":
        return format_change(row.change_rate, RATE_DECIMALS)
    if what == "count":
        return format_count_change(row.change_count, row.spec.count_unit)
    return ""


OFFICE_MARK = "(**)"  # a figure the office supplied (warehouse/office_figures.py), not the portal


def label_text(row: SummaryRow) -> str:
    """A line's label with its note marker: "(*)" for line 4.3's base, "(**)" for the office's figures."""
    label = row.spec.label
    if row.spec.footnote:
        label += f" ({row.spec.footnote})"
    if row.supplied:
        label += f" {OFFICE_MARK}"
    return label


def summary_cells(row: SummaryRow) -> list[str]:
    """The seven printed cells of a section I row."""
    spec = row.spec
    if spec.kind in ("group", "heading"):
        return [spec.number, label_text(row), "", "", "", "", ""]
    if spec.kind == "office":
        if not row.supplied:
            return [spec.number, spec.label, NOT_AVAILABLE, "", NOT_AVAILABLE, "", NOT_AVAILABLE]
        # the office writes its counts' change signed, as the reference prints 6.3's "+40.169"
        return [spec.number, label_text(row), format_number(row.prev_count), "",
                format_number(row.curr_count), "", format_change(row.change_count)]  # fmt: skip
    return [
        spec.number,
        label_text(row),
        _count_text(row, row.prev_count, row.prev_total),
        format_number(row.prev_rate, RATE_DECIMALS) if spec.show_rate else "",
        _count_text(row, row.curr_count, row.curr_total),
        format_number(row.curr_rate, RATE_DECIMALS) if spec.show_rate else "",
        change_text(row),
    ]


def summary_notes(data: AppendixData) -> list[str]:
    """The notes printed under Table I: each marker's note once, in the order the markers appear."""
    notes = [FOOTNOTES[m] for m in dict.fromkeys(r.spec.footnote for r in data.summary if r.spec.footnote)]
    supplied = [r.spec.number for r in data.summary if r.supplied]
    if supplied:
        lines = ", ".join(supplied)
        notes.append(
            f"{OFFICE_MARK} Số liệu dòng {lines} do {data.issuing_office} cung cấp; Cổng Dịch vụ công "
            "quốc gia không công bố số liệu này."
        )
    return notes


def score_text(score: Decimal | None, rank: int | None, size: int | None) -> str:
    if score is None:
        return NOT_AVAILABLE
    text = f"Đạt {format_number(score, 2)} điểm"
    if rank is not None and size is not None:
        text += f"; xếp hạng {rank}/{size} tỉnh, thành phố"
    return text


def score_change_text(s: ScoreLine) -> str:
    if s.change_score is None:
        return NOT_AVAILABLE
    text = f"{format_change(s.change_score, 2)} điểm"
    if s.change_rank is not None:
        if s.change_rank < 0:
            text += f"; tăng {-s.change_rank} bậc"
        elif s.change_rank > 0:
            text += f"; giảm {s.change_rank} bậc"
        else:
            text += "; giữ nguyên thứ hạng"
    return text


def score_cells(row: SummaryRow, s: ScoreLine) -> list[str]:
    return [
        row.spec.number,
        row.spec.label,
        score_text(s.prev_score, s.prev_rank, s.prev_size),
        "",
        score_text(s.curr_score, s.curr_rank, s.curr_size),
        "",
        score_change_text(s),
    ]


SUMMARY_HEADER_ROWS = 2


def header_spans(rows: list[list[str]]) -> dict[tuple[int, int], tuple[int, int]]:
    """Which header cells span others, as the reference draws a two-row header: a filled top cell over a
    blank one spans down; a filled top cell followed by blanks over filled cells spans across them.
    ``(row, col) -> (last row, last col)``, 0-based, for the spanning cells only; docx and xlsx both
    merge from it."""
    if len(rows) < 2:
        return {}
    top, below = rows[0], rows[1]
    spans = {}
    for c, name in enumerate(top):
        if not name:
            continue
        end = c
        while end + 1 < len(top) and not top[end + 1] and below[end + 1]:
            end += 1
        last_row = 0 if below[c] else 1
        if (last_row, end) != (0, c):
            spans[(0, c)] = (last_row, end)
    return spans


def summary_table(data: AppendixData) -> list[list[str]]:
    """The two header rows plus every row of section I as text."""
    out = summary_header(data)
    for row in data.summary:
        out.append(score_cells(row, data.score) if row.spec.kind == "score" else summary_cells(row))
    return out


def unit_header(data: AppendixData, what: str, unit: str = "") -> list[str]:
    p, c = data.prev_date, data.curr_date
    return [
        "Số TT",
        "Đơn vị",
        f"{what} ngày {p}{unit}",
        f"{what} ngày {c}{unit}",
        f"Tăng (+)/Giảm (-) so với ngày {p}{unit}",
    ]


def unit_cells(number: str, row: UnitRow, decimals: int) -> list[str]:
    return [
        number,
        row.unit_name,
        format_number(row.prev, decimals),
        format_number(row.curr, decimals),
        format_change(row.change, decimals),
    ]


def unit_table(data: AppendixData, table: UnitTable, what: str, unit: str = "") -> list[list[str]]:
    out = [unit_header(data, what, unit)]
    out += [unit_cells(str(i), r, table.decimals) for i, r in enumerate(table.rows, start=1)]
    if table.total is not None:
        out.append(unit_cells("", table.total, table.decimals))
    return out


UNIT_SECTIONS = (
    ("III", "online_service", "Tỷ lệ cung cấp DVC trực tuyến", "3"),
    ("IV", "online_payment", "Tỷ lệ thanh toán trực tuyến", "4"),
)


CERTIFIED_HEADER_ROWS = 2


def certified_table(data: AppendixData) -> list[list[str]] | None:
    """Section V as text, with the reference's two header rows (each day over its "Đã triển khai |
    Số lượng hoàn thành"), or None when the office gave no section-V figures."""
    cc = data.certified
    if cc is None:
        return None
    p, c = data.prev_date, data.curr_date
    out = [
        ["Số TT", "Địa phương", f"Số liệu ngày {p}", "", f"Số liệu ngày {c}", "",
         f"Tăng (+)/Giảm (-) so với ngày {p}"],
        ["", "", "Đã triển khai", "Số lượng hoàn thành", "Đã triển khai", "Số lượng hoàn thành", ""],
    ]  # fmt: skip
    for i, r in enumerate(cc.certified, start=1):
        out.append(
            [
                str(i),
                r.unit_name,
                f"{format_number(r.deployed_prev)}/{format_number(r.units_prev)}",
                format_number(r.completed_prev),
                f"{format_number(r.deployed_curr)}/{format_number(r.units_curr)}",
                format_number(r.completed_curr),
                format_change(r.change),
            ]
        )
    out.append(
        [
            "",
            "TỔNG CỘNG TOÀN TỈNH",
            "",
            format_number(cc.total_prev),
            "",
            format_number(cc.total_curr),
            format_change(cc.total_change),
        ]
    )
    return out


CERTIFIED_NOT_AVAILABLE = (
    "Không có số liệu: Cổng Dịch vụ công quốc gia không công bố số liệu chứng thực điện tử bản sao từ bản "
    "chính; số liệu mục này do Sở Nội vụ tổng hợp từ báo cáo của các địa phương khi có."
)


def certified_note(data: AppendixData) -> str:
    """Under section V's table: whose figures these are."""
    return (
        f"{OFFICE_MARK} Số liệu mục V do {data.issuing_office} cung cấp, tổng hợp từ báo cáo của các "
        "địa phương; Cổng Dịch vụ công quốc gia không công bố số liệu này."
    )


def _vn_time(value: object) -> str:
    """A capture time as the analyst reads it: Vietnam time, "23:00 ngày 31/10/2023" (the warehouse keeps UTC)."""
    if not isinstance(value, datetime):
        return str(value)
    t = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(VN_TZ)
    return f"{t:%H:%M} ngày {t.day}/{t.month}/{t.year}, giờ Việt Nam"


def _span(data: AppendixData) -> str:
    """The period of Table I's figures in words: "lũy kế từ ngày 01/01/2026 đến ngày 31/10/2026"."""
    return f"lũy kế từ ngày 01/01/{data.current.year} đến ngày {data.curr_date}"


def provenance_lines(data: AppendixData) -> list[str]:
    """The printed source note: where and when the figures were taken, in the reader's words.

    What only the analyst needs (the warehouse file, period keys, the CSV's checksum) goes to
    ``trace_lines``, kept in the document's properties, never on the page."""
    lines = [
        "Nguồn số liệu mục I–IV: Cổng Dịch vụ công quốc gia (dichvucong.gov.vn), số liệu "
        + _span(data)
        + f", so sánh với số liệu đến ngày {data.prev_date}"
        + (f"; thu thập lúc {_vn_time(data.captured_at)}" if data.captured_at else "")
        + "."
    ]
    lines += data.late_notes()
    return lines


@dataclass(frozen=True)
class DocumentProperties:
    """What a rendered file says of itself (docx core properties, xlsx workbook properties)."""

    title: str
    subject: str
    author: str
    keywords: str
    comments: str
    category: str = "Phụ lục"


def document_properties(data: AppendixData) -> DocumentProperties:
    """The file's own account: the title, the issuing office as author, the analyst's trace as comments."""
    return DocumentProperties(
        title=printable(document_title(data)),
        subject=f"Phụ lục số liệu Bộ chỉ số 766 tháng {data.month.number}/{data.month.year}",
        author=printable(data.issuing_office),
        keywords=printable(f"Bộ chỉ số 766; {data.province_code}; {data.month.key}"),
        comments=printable("; ".join(trace_lines(data))),
    )


def trace_lines(data: AppendixData) -> list[str]:
    """Where each figure came from, for the analyst who must answer for it: the warehouse file, the
    period keys and the office's figures file with its sha256. Written to the file's properties (docx,
    xlsx), never to the printed page; file names only, as the file travels by email and must not carry
    the analyst's local folders."""
    lines = [
        f"dvc766: kho dữ liệu {data.warehouse_path.name}; kỳ {data.current.key} so với {data.previous.key}"
    ]
    if data.office is not None:
        what = ", ".join(data.office.supplies()) or "thứ tự đơn vị"
        lines.append(f"số liệu của cơ quan ({what}): tệp {data.office.name} (sha256 {data.office.sha256})")
    return lines


# Characters that start inline markup (emphasis, code, links, images, HTML, tables, strikethrough,
# entities) in CommonMark and GitHub's tables; a backslash before each prints it as itself.
_MD_MARKUP = re.compile(r"([\\`*_\[\]<>|~&])")


def md_text(text: str) -> str:
    """``text`` as literal Markdown: printable (dvc766.text), markup characters escaped, one line.

    Every text the md report prints goes through it, so a unit name like ``<img src=x>`` or
    ``[click](http://…)`` from the portal or a CSV is shown as written, never rendered."""
    return _MD_MARKUP.sub(r"\\\1", printable(text))


def _md_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(md_text(c) for c in rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(md_text(c) for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines)


PROCEDURES_TITLE = "VI. THỦ TỤC HÀNH CHÍNH CÓ NHIỀU HỒ SƠ QUÁ HẠN NHẤT TRONG THÁNG"


def procedure_table(data: AppendixData) -> list[list[str]]:
    """The optional drill-down section: header row then one row per procedure (none: no section)."""
    rows = [
        [
            "Số TT",
            "Mã TTHC",
            "Tên thủ tục hành chính",
            "Số hồ sơ quá hạn",
            "Số hồ sơ tiếp nhận",
            "Tỷ lệ quá hạn (%)",
        ]
    ]
    for i, p in enumerate(data.procedures, start=1):
        rows.append([str(i), p.code, p.name, format_number(p.overdue), format_number(p.received),
                     format_number(p.rate, 2)])  # fmt: skip
    return rows


def render_md(data: AppendixData, image_name: str) -> str:
    """The whole appendix as Markdown; ``image_name`` is the chart PNG saved beside it."""
    t = section_titles(data)
    t = {key: md_text(title) for key, title in t.items()}
    parts = [
        f"# {TITLE_1}",
        "",
        f"**{md_text(document_title(data))}**",
        "",
        f"*{md_text(letter_line(data))}*",
        "",
        f"## {t['I']}",
        "",
        _md_table(summary_table(data)),
    ]
    notes = summary_notes(data)
    if notes:
        parts += ["", *(f"*{md_text(n)}*  " for n in notes)]
    parts += ["", f"## {t['II']}", "", _md_table(unit_table(data, data.overdue, "Số lượng hồ sơ quá hạn"))]
    for key, attr, what, num in UNIT_SECTIONS:
        parts += ["", f"## {t[key]}"]
        for i, table in enumerate(getattr(data, attr), start=1):
            parts += [
                "",
                f"### {num}.{i}. {md_text(table.title)}",
                "",
                _md_table(unit_table(data, table, what, " (%)")),
            ]
    parts += ["", f"## {t['V']}", ""]
    cert = certified_table(data)
    parts.append(_md_table(cert) if cert else md_text(CERTIFIED_NOT_AVAILABLE))
    if cert:
        parts += ["", f"*{md_text(certified_note(data))}*"]
    if data.procedures:
        parts += ["", f"## {PROCEDURES_TITLE}", "", _md_table(procedure_table(data))]
    image = quote(image_name)  # a file name with spaces or brackets stays one link target
    parts += ["", f"## {t['chart']}", "", f"![{t['chart']}]({image})", "", "## Nguồn số liệu", ""]
    parts += [f"- {md_text(line)}" for line in provenance_lines(data)]
    # The md's "properties": the same trace the docx and xlsx carry (file names only), unseen when
    # rendered, and the mark by which `report --out` knows a file as an md report of dvc766's own.
    parts += ["", "<!-- " + printable(" | ".join(trace_lines(data))).replace("--", "‐‐") + " -->"]
    return "\n".join(parts) + "\n"
