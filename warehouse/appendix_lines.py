"""THE mapping from warehouse indicators to the lines of section I of the monthly appendix.

This is the code form of ``docs/appendix-mapping.md``; keep the two in step. Everything else
(the SQL of ``rpt_province_summary``, ``report_data``, the renderers) reads this list instead of
knowing line numbers or indicator codes itself, so a line moves or changes source in one place.

How a line's figures are derived from its indicator's row of ``rpt_province_summary``:

* ``derive="direct"``: count = numerator, rate = value (the portal's ratio, in %).
* ``derive="complement"``: the other part of the same indicator: count = denominator − numerator,
  rate = 100 − value (e.g. dossiers not synced, overdue share). ``rpt_province_summary`` carries these
  as ``rest_count`` / ``rest_rate`` with their own previous values and changes, computed in SQL.

``count_style``: ``None`` (no count shown), ``"count"`` (the count) or ``"fraction"``
(``numerator/denominator`` as line 1.1 prints it). ``show_rate``: whether the rate column is filled.

The change column prints one figure per line, as the reference does: the rate's change ("+5,28") where
the line has a rate that moves, the count's change in words ("Tăng 120.415 hồ sơ", "Tăng 05 TTHC") where
the count is what the reader follows (``change_of="count"``: 1.1 and 4.1, whose rates sit at 100 %, and
1.2, the dossiers synced). ``count_unit`` is the noun of the count ("hồ sơ", "TTHC").
A line with ``kind="office"`` has no source in the portal's API: its count comes from the figures the
office supplies (``warehouse/office_figures.py``, ``report --office-figures``) and is marked on the page
as the office's; without them it prints "not available" in every figure cell, never an invented figure.
``footnote`` is the marker of a note printed under Table I (line 4.3's base, ``FOOTNOTES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LineKind = Literal["group", "heading", "figure", "office", "score"]
Derive = Literal["direct", "complement"]
CountStyle = Literal["count", "fraction"] | None
ChangeOf = Literal["count", "rate"]

RATE_DECIMALS = 2  # section I prints rates with two decimals (86,14)


@dataclass(frozen=True)
class LineSpec:
    """One printed row of section I."""

    key: str  # unique id, e.g. "1.2a"
    number: str  # what the "Số TT" column prints: "I", "1.1", "a)"
    label: str  # Vietnamese label
    kind: LineKind = "figure"
    indicator: str | None = None
    derive: Derive = "direct"
    count_style: CountStyle = None
    show_rate: bool = True
    change_of: ChangeOf | None = None  # None: the rate when shown, else the count
    count_unit: str = "hồ sơ"
    footnote: str = ""  # "*": the label carries the marker and Table I is followed by its note

    @property
    def change_figure(self) -> ChangeOf | None:
        """Which figure the change column prints for this line (None: none, e.g. a heading)."""
        if self.change_of:
            return self.change_of
        if self.show_rate:
            return "rate"
        return "count" if self.count_style else None


def _fig(key: str, number: str, label: str, indicator: str, **kw: object) -> LineSpec:
    return LineSpec(key=key, number=number, label=label, kind="figure", indicator=indicator, **kw)  # type: ignore[arg-type]


def _group(key: str, number: str, label: str) -> LineSpec:
    return LineSpec(key=key, number=number, label=label, kind="group", show_rate=False)


def _heading(key: str, number: str, label: str) -> LineSpec:
    return LineSpec(key=key, number=number, label=label, kind="heading", show_rate=False)


def _office(key: str, number: str, label: str) -> LineSpec:
    return LineSpec(key=key, number=number, label=label, kind="office", count_style="count", show_rate=False)


SUMMARY_LINES: tuple[LineSpec, ...] = (
    _group("I", "I", "Công khai, minh bạch"),
    _fig(
        "1.1",
        "1.1",
        "Số TTHC công khai trên Cổng DVC quốc gia/tổng số TTHC",
        "PUBLIC_CONTENT_FULL",
        count_style="fraction",
        change_of="count",
        count_unit="TTHC",
    ),
    _heading("1.2", "1.2", "Số hồ sơ tiếp nhận đã đồng bộ"),
    _fig("1.2a", "a)", "Hồ sơ đã đồng bộ", "DOSSIER_SYNC", count_style="count", change_of="count"),
    _fig(
        "1.2b",
        "b)",
        "Hồ sơ chưa đồng bộ",
        "DOSSIER_SYNC",
        derive="complement",
        count_style="count",
        change_of="count",
    ),
    _group("II", "II", "Tiến độ giải quyết"),
    _fig("2.1", "2.1", "Tỷ lệ hồ sơ giải quyết đúng hạn", "PROGRESS_ON_TIME"),
    _fig(
        "2.2",
        "2.2",
        "Tỷ lệ hồ sơ giải quyết quá hạn (chi tiết tại Phụ lục số II)",
        "PROGRESS_ON_TIME",
        derive="complement",
    ),
    _group("III", "III", "Dịch vụ công trực tuyến (chi tiết tại Phụ lục số III)"),
    _fig(
        "3.1",
        "3.1",
        "TTHC cung cấp DVCTT một phần",
        "ONLINE_PROVISION_PARTIAL",
        count_style="count",
        count_unit="TTHC",
    ),
    _fig(
        "3.2",
        "3.2",
        "TTHC cung cấp DVCTT toàn trình",
        "ONLINE_PROVISION_FULL",
        count_style="count",
        count_unit="TTHC",
    ),
    # the office follows the procedures left without online service as a count ("Tăng 05 TTHC")
    _fig(
        "3.3",
        "3.3",
        "Còn lại",
        "ONLINE_PROVISION_NONE",
        count_style="count",
        change_of="count",
        count_unit="TTHC",
    ),
    _heading("3.4", "3.4", "Tỷ lệ nộp hồ sơ trực tuyến"),
    _fig("3.4a", "a)", "Hồ sơ nộp trực tuyến", "ONLINE_DOSSIER_CHANNEL", count_style="count"),
    _fig(
        "3.4b",
        "b)",
        "Hồ sơ nộp trực tiếp và theo hình thức khác",
        "OTHER_DOSSIER_CHANNEL",
        count_style="count",
    ),
    _heading("3.5", "3.5", "Kết quả xử lý hồ sơ nộp trực tuyến với hồ sơ đang xử lý"),
    _fig("3.5a", "a)", "Hồ sơ xử lý đúng hạn", "ONLINE_ON_TIME"),
    _fig("3.5b", "b)", "Hồ sơ xử lý quá hạn", "ONLINE_OVERDUE"),
    _fig("3.6", "3.6", "Tỷ lệ DVC trực tuyến có phát sinh hồ sơ", "ONLINE_SERVICE_WITH_DOSSIER"),
    _office("3.7", "3.7", "Số lượng tăng trưởng DVC trực tuyến"),
    _group("IV", "IV", "Thanh toán trực tuyến (chi tiết tại Phụ lục số IV)"),
    _heading(
        "4.1",
        "4.1",
        "Tỷ lệ TTHC có yêu cầu nghĩa vụ tài chính cung cấp trên Cổng dịch vụ công quốc gia",
    ),
    _fig(
        "4.1a",
        "a)",
        "Cung cấp trên cổng DVC Quốc gia",
        "PAYMENT_FEE_FORMALITY_OFFERED",
        count_style="count",
        change_of="count",
        count_unit="TTHC",
    ),
    _fig(
        "4.1b",
        "b)",
        "Chưa tích hợp, cung cấp dịch vụ thanh toán trực tuyến",
        "PAYMENT_FEE_FORMALITY_OFFERED",
        derive="complement",
        count_style="count",
        change_of="count",
        count_unit="TTHC",
    ),
    _heading("4.2", "4.2", "Tỷ lệ hồ sơ thanh toán trực tuyến"),
    _fig("4.2a", "a)", "Thanh toán trực tuyến (hồ sơ)", "PAYMENT_ONLINE_DOSSIER", count_style="count"),
    _fig(
        "4.2b",
        "b)",
        "Thanh toán trực tiếp và hình thức khác (hồ sơ)",
        "PAYMENT_ONLINE_DOSSIER",
        derive="complement",
        count_style="count",
    ),
    LineSpec(
        key="4.3",
        number="4.3",
        label="Tỷ lệ TTHC có giao dịch thanh toán trực tuyến",
        kind="heading",
        show_rate=False,
        footnote="*",
    ),
    _fig(
        "4.3a",
        "a)",
        "Thanh toán trực tuyến (TTHC)",
        "PAYMENT_FORMALITY_PAID",
        count_style="count",
        count_unit="TTHC",
    ),
    _fig(
        "4.3b",
        "b)",
        "Thanh toán trực tiếp và hình thức khác (TTHC)",
        "PAYMENT_FORMALITY_PAID",
        derive="complement",
        count_style="count",
        count_unit="TTHC",
    ),
    _group("V", "V", "Mức độ hài lòng"),
    _fig(
        "5.1",
        "5.1",
        "Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị",
        "PETITION_HANDLING_SATISFACTION",
    ),
    _fig(
        "5.2",
        "5.2",
        "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
        "DOSSIER_RECEIVING_SATISFACTION",
    ),
    _heading("5.3", "5.3", "Tỷ lệ xử lý phản ánh, kiến nghị theo phân loại"),
    _fig(
        "5.3a",
        "a)",
        "Kiến nghị về những vướng mắc, bất cập về quy định hành chính",
        "PETITION_CLASSIFICATION_TTHC",
    ),
    _fig(
        "5.3b",
        "b)",
        "Phản ánh về hành vi của cán bộ, công chức, viên chức",
        "PETITION_CLASSIFICATION_STAFF",
    ),
    _group("VI", "VI", "Số hóa kết quả hồ sơ TTHC"),
    _fig(
        "6.1",
        "6.1",
        "Tỷ lệ hồ sơ, kết quả TTHC được số hóa hồ sơ",
        "SO_HOA_GIAY_TO_GIAI_QUYET",
    ),
    _fig("6.2", "6.2", "Tỷ lệ hồ sơ được cấp kết quả điện tử", "ORIGINAL_RESULT_AVAILABLE"),
    _office(
        "6.3",
        "6.3",
        "Số lượng tài khoản Cổng DVC quốc gia được xác thực với cơ sở dữ liệu quốc gia Dân cư",
    ),
    _fig(
        "6.4",
        "6.4",
        "Tỷ lệ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
        "REUSED_DIGITIZED_DATA",
        count_style="count",
    ),
    # Total score and national rank come from fct_unit_score (rpt_score_history), not an indicator.
    LineSpec(key="score", number="VII", label="ĐIỂM TỔNG HỢP VÀ XẾP HẠNG", kind="score", show_rate=False),
)


# The notes under Table I, by the marker a line's label carries (docs/appendix-mapping.md, note (*)).
# Line 4.3: the province's earlier appendices divide by the procedures with any payment transaction
# (148 + 65 = 213 in October 2023); the portal publishes no count of procedures paid only at the
# counter, so dvc766 divides by the fee-bearing procedures, the base of line 4.1 and of the portal's
# own payment score, and says so on the page.
FOOTNOTES: dict[str, str] = {
    "*": (
        "(*) Dòng 4.3 tính trên tổng số TTHC có yêu cầu nghĩa vụ tài chính (cùng cơ sở với dòng 4.1, "
        "là cơ sở Cổng Dịch vụ công quốc gia dùng để chấm điểm): a) số TTHC đã có giao dịch thanh toán "
        "trực tuyến, b) số TTHC còn lại. Cổng không công bố số TTHC chỉ có giao dịch thanh toán trực "
        "tiếp, nên tỷ lệ dòng này có thể khác các phụ lục trước đây (tính trên tổng số TTHC có giao "
        "dịch thanh toán)."
    ),
}


def line(key: str) -> LineSpec:
    """The spec of one line by key (``"1.2a"``); KeyError names the key."""
    for spec in SUMMARY_LINES:
        if spec.key == key:
            return spec
    raise KeyError(f"no appendix line {key!r}")


# Per-unit sections: which indicator each reads (docs/appendix-mapping.md, second table).
OVERDUE_INDICATOR = "PROGRESS_OVERDUE"  # II: numerator = totalOverdue per child unit
ONLINE_SERVICE_INDICATOR = "ONLINE_SERVICE_RATE"  # III: value = provide-online-tree child ratio
ONLINE_PAYMENT_INDICATOR = "PAYMENT_ONLINE_DOSSIER"  # IV: numerator / denominator × 100, 0 if none
ONLINE_SERVICE_DECIMALS = 1  # section III prints one decimal (98,0), as the reference does
ONLINE_PAYMENT_DECIMALS = 2
