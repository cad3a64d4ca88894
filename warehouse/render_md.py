"""The appendix as Markdown, for a quick look; also the text form of every cell, shared with the docx.

The cell functions here are the one place that turns figures into printed Vietnamese text, so the md
and docx renderings cannot disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from dvc766.periods import VN_TZ
from warehouse.appendix_lines import RATE_DECIMALS
from warehouse.numbers_vi import (
    NO_CHANGE,
    NOT_AVAILABLE,
    format_change,
    format_fraction,
    format_number,
)
from warehouse.report_data import AppendixData, ScoreLine, SummaryRow, UnitRow, UnitTable

TITLE_1 = "PHỤ LỤC"


def document_title(data: AppendixData) -> str:
    return (
        "SỐ LIỆU BỘ CHỈ SỐ CHỈ ĐẠO, ĐIỀU HÀNH VÀ ĐÁNH GIÁ CHẤT LƯỢNG PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP "
        f"TRONG THỰC HIỆN TTHC, DỊCH VỤ CÔNG CỦA {data.province_title} "
        f"THÁNG {data.month.number} NĂM {data.month.year}"
    )


def section_titles(data: AppendixData) -> dict[str, str]:
    """Headings of sections I–V and the chart page."""
    return {
        "I": f"I. BIỂU TỔNG HỢP SỐ LIỆU THÁNG {data.month.number} NĂM {data.month.year}",
        "II": "II. " + data.overdue.title,
        "III": "III. THỐNG KÊ TỶ LỆ CUNG CẤP DỊCH VỤ CÔNG TRỰC TUYẾN",
        "IV": "IV. THỐNG KÊ TỶ LỆ THANH TOÁN TRỰC TUYẾN",
        "V": "V. BIỂU TỔNG HỢP CUNG CẤP DỊCH VỤ CHỨNG THỰC ĐIỆN TỬ BẢN SAO TỪ BẢN CHÍNH",
        "chart": "BIỂU ĐỒ ĐIỂM TỔNG HỢP, ĐIỂM THEO NHÓM CHỈ SỐ VÀ XẾP HẠNG 12 THÁNG",
    }


def summary_header(data: AppendixData) -> list[str]:
    p, c = data.prev_date, data.curr_date
    return [
        "Số TT",
        "Nội dung",
        f"Số liệu ngày {p}",
        f"Tỷ lệ (%) ngày {p}",
        f"Số liệu ngày {c}",
        f"Tỷ lệ (%) ngày {c}",
        f"Tăng (+)/Giảm (-) so với ngày {p}",
    ]


def _count_text(row: SummaryRow, count: Decimal | None, total: Decimal | None) -> str:
    if row.spec.count_style == "fraction":
        return format_fraction(count, total)
    if row.spec.count_style == "count":
        return format_number(count)
    return ""


def change_text(parts: list[str]) -> str:
    """Join a line's count and rate changes; all-zero prints once "Giữ nguyên", all-missing once n/a."""
    if not parts:
        return ""
    if all(p == NO_CHANGE for p in parts):
        return NO_CHANGE
    if all(p == NOT_AVAILABLE for p in parts):
        return NOT_AVAILABLE
    return "; ".join(parts)


def summary_cells(row: SummaryRow) -> list[str]:
    """The seven printed cells of a section I row."""
    spec = row.spec
    if spec.kind in ("group", "heading"):
        return [spec.number, spec.label, "", "", "", "", ""]
    if spec.kind == "not_available":
        return [spec.number, spec.label, NOT_AVAILABLE, "", NOT_AVAILABLE, "", NOT_AVAILABLE]
    parts = []
    if spec.count_style:
        parts.append(format_change(row.change_count))
    if spec.show_rate:
        parts.append(format_change(row.change_rate, RATE_DECIMALS))
    return [
        spec.number,
        spec.label,
        _count_text(row, row.prev_count, row.prev_total),
        format_number(row.prev_rate, RATE_DECIMALS) if spec.show_rate else "",
        _count_text(row, row.curr_count, row.curr_total),
        format_number(row.curr_rate, RATE_DECIMALS) if spec.show_rate else "",
        change_text(parts),
    ]


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


def summary_table(data: AppendixData) -> list[list[str]]:
    """Header plus every row of section I as text."""
    out = [summary_header(data)]
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


def certified_table(data: AppendixData) -> list[list[str]] | None:
    """Section V as text, or None when no CSV was given."""
    cc = data.certified
    if cc is None:
        return None
    p, c = data.prev_date, data.curr_date
    out = [
        [
            "Số TT",
            "Địa phương",
            f"Đã triển khai ngày {p}",
            f"Số lượng hoàn thành ngày {p}",
            f"Đã triển khai ngày {c}",
            f"Số lượng hoàn thành ngày {c}",
            f"Tăng (+)/Giảm (-) so với ngày {p}",
        ]
    ]
    for i, r in enumerate(cc.rows, start=1):
        out.append(
            [
                str(i),
                r.unit_name,
                f"{r.deployed_prev}/{r.total}",
                format_number(r.completed_prev),
                f"{r.deployed_curr}/{r.total}",
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
    "Không có số liệu: API của Cổng Dịch vụ công quốc gia không cung cấp số liệu chứng thực điện tử bản sao "
    "từ bản chính; có thể bổ sung bằng tệp CSV (--certified-copies)."
)


def _vn_time(value: object) -> str:
    """A capture time as the analyst reads it: Vietnam time, "23:00 ngày 31/10/2023" (the warehouse keeps UTC)."""
    if not isinstance(value, datetime):
        return str(value)
    t = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(VN_TZ)
    return f"{t:%H:%M} ngày {t.day}/{t.month}/{t.year}, giờ Việt Nam"


def provenance_lines(data: AppendixData) -> list[str]:
    """Where the figures came from: the warehouse and, for section V, the analyst's CSV."""
    lines = [
        f"Số liệu mục I–IV: kho dữ liệu {data.warehouse_path} (kỳ {data.current.key} so với {data.previous.key}"
        + (f"; thu thập lúc {_vn_time(data.captured_at)}" if data.captured_at else "")
        + ")."
    ]
    lines += data.late_notes()
    if data.certified is not None:
        lines.append(
            f"Số liệu mục V: tệp CSV do người dùng cung cấp {data.certified.path} (sha256 {data.certified.sha256})."
        )
    return lines


def _md_table(rows: list[list[str]]) -> str:
    def esc(c: str) -> str:
        return c.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(c) for c in rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows[1:]]
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
    parts = [
        f"# {TITLE_1}",
        "",
        f"**{document_title(data)}**",
        "",
        f"## {t['I']}",
        "",
        _md_table(summary_table(data)),
    ]
    parts += ["", f"## {t['II']}", "", _md_table(unit_table(data, data.overdue, "Số lượng hồ sơ quá hạn"))]
    for key, attr, what, num in UNIT_SECTIONS:
        parts += ["", f"## {t[key]}"]
        for i, table in enumerate(getattr(data, attr), start=1):
            parts += [
                "",
                f"### {num}.{i}. {table.title}",
                "",
                _md_table(unit_table(data, table, what, " (%)")),
            ]
    parts += ["", f"## {t['V']}", ""]
    cert = certified_table(data)
    parts.append(_md_table(cert) if cert else CERTIFIED_NOT_AVAILABLE)
    if data.procedures:
        parts += ["", f"## {PROCEDURES_TITLE}", "", _md_table(procedure_table(data))]
    parts += ["", f"## {t['chart']}", "", f"![{t['chart']}]({image_name})", "", "## Nguồn số liệu", ""]
    parts += [f"- {line}" for line in provenance_lines(data)]
    return "\n".join(parts) + "\n"
