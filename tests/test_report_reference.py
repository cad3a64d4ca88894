"""The reference appendix's figures (Thái Nguyên, 30/9/2023 and 31/10/2023) and a tiny warehouse built from them.

Every figure the report tests compare is listed in the tables below, copied from
``replica/scenarios/thai_nguyen_2023/reference_appendix.txt``; ``test_tables_match_reference_text`` re-reads that
text so a typo here cannot go unnoticed. The reference's change column is listed too but deliberately
not trusted: the report must print the arithmetic difference (its "+18" is +5, its "+3,07" is -3,07).

The warehouse is built directly with the issue-4 columns of ``dim_unit``, ``fct_indicator`` and
``fct_unit_score``, then the project's own ``sql/marts/rpt_*.sql`` run against it.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REFERENCE
from warehouse.models import create_macros, discover_models, order_models

ROOT = Path(__file__).resolve().parents[1]
PROVINCE = "H55"

# Section I: line key -> (label as printed by the reference, prev count, prev rate, curr count, curr rate).
# "" = the reference leaves the cell blank. Lines 3.7 and 6.3 are not in the portal's API
# (docs/appendix-mapping.md): the report prints them as not available, so their figures are not compared.
SUMMARY: dict[str, tuple[str, str, str, str, str]] = {
    "1.1": (
        "Số TTHC công khai trên Cổng DVC quốc gia/tổng số TTHC",
        "1.764/1.764",
        "100",
        "1.769/1.769",
        "100",
    ),
    "1.2a": ("Hồ sơ đã đồng bộ", "448.887", "86,14", "569.302", "97,03%"),
    "1.2b": ("Hồ sơ chưa đồng bộ", "72.256", "13,86", "17.400", "2,97%"),
    "2.1": ("Tỷ lệ hồ sơ giải quyết đúng hạn", "93,55", "", "98,83", ""),
    "2.2": ("Tỷ lệ hồ sơ giải quyết quá hạn (chi tiết tại Phụ lục số II)", "6,45", "", "1,17", ""),
    "3.1": ("TTHC cung cấp DVCTT một phần", "151", "8,56", "151", "8,54"),
    "3.2": ("TTHC cung cấp DVCTT toàn trình", "810", "45,92", "810", "45,79"),
    "3.3": ("Còn lại", "803", "45,52", "808", "45,68"),
    "3.4a": ("Hồ sơ nộp trực tuyến", "", "73,68", "", "77,24"),
    "3.4b": ("Hồ sơ nộp trực tiếp và theo hình thức khác", "", "26,32", "", "22,76"),
    "3.5a": ("Hồ sơ xử lý đúng hạn", "", "94,29", "", "95,25"),
    "3.5b": ("Hồ sơ xử lý quá hạn", "", "5,71", "", "4,75"),
    "3.6": ("Tỷ lệ DVC trực tuyến có phát sinh hồ sơ", "", "12,6", "", "15,4"),
    "4.1a": ("Cung cấp trên cổng DVC Quốc gia", "182", "100", "190", "100"),
    "4.1b": ("Chưa tích hợp, cung cấp dịch vụ thanh toán trực tuyến", "0", "0", "0", "0"),
    "4.2a": ("Thanh toán trực tuyến", "34.766", "36,32", "68.043", "47,81"),
    "4.2b": ("Thanh toán trực tiếp và hình thức khác", "60.947", "63,68", "74.285", "52,19"),
    "4.3a": ("Thanh toán trực tuyến", "148", "69,48", "157", "70,72"),
    "4.3b": ("Thanh toán trực tiếp và hình thức khác", "65", "30,52", "65", "29,28"),
    "5.1": ("Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị", "", "100", "", "100"),
    "5.2": ("Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC", "", "92,39", "", "94,19"),
    "5.3a": ("Kiến nghị về những vướng mắc, bất cập về quy định hành chính", "", "52,17", "", "54,0"),
    "5.3b": ("Phản ánh về hành vi của cán bộ, công chức, viên chức", "", "47,83", "", "46,0"),
    "6.1": ("Tỷ lệ hồ sơ, kết quả TTHC được số hóa hồ sơ", "", "80,47", "", "83,68"),
    "6.2": ("Tỷ lệ hồ sơ được cấp kết quả điện tử", "", "37,82", "", "44,11"),
    "6.4": ("Tỷ lệ khai thác, sử dụng lại thông tin, dữ liệu số hóa", "256.434", "57,01", "378.371", "66,33"),
}
# Lines 2.1/2.2 print their rate in the reference's "Số liệu" column; the report prints it as a rate.
RATE_IN_COUNT_COLUMN = {"2.1", "2.2"}
NOT_AVAILABLE_LINES = ("3.7", "6.3")
SCORE = ("Đạt 77,79 điểm; xếp hạng 10/63 tỉnh, thành phố", "Đạt 78,59 điểm; xếp hạng 9/63 tỉnh, thành phố")

# Sections II-IV: (unit as the reference names it, 30/9/2023, 31/10/2023, the reference's change).
OVERDUE: tuple[tuple[str, str, str, str], ...] = (
    ("Sở Lao động, Thương binh và Xã hội", "1", "2", "+1"),
    ("Sở Tư pháp", "29", "28", "-1"),
    ("UBND huyện Đại Từ", "601", "252", "-349"),
    ("UBND thành phố Thái Nguyên", "375", "43", "-332"),
    ("UBND huyện Phú Bình", "910", "57", "-853"),
    ("UBND huyện Đồng Hỷ", "216", "29", "-187"),
    ("UBND thành phố Phổ Yên", "239", "78", "-161"),
    ("UBND huyện Định Hóa", "543", "112", "-431"),
    ("UBND huyện Phú Lương", "279", "52", "-227"),
    ("UBND thành phố Sông Công", "219", "84", "-135"),
    ("UBND huyện Võ Nhai", "324", "107", "-217"),
    ("Sở Tài nguyên và Môi trường", "145", "169", "+24"),
    ("Sở Xây dựng", "12", "3", "-9"),
    ("Sở Nông nghiệp và Phát triển Nông thôn", "1", "0", "-1"),
    ("Sở Y tế", "10", "5", "-5"),
    ("Sở Giao thông Vận tải", "88", "37", "-51"),
    ("Ban quản lý các Khu công nghiệp", "0", "1", "+1"),
    ("Sở Văn hóa, Thể thao và Du lịch", "1", "1", "0"),
    ("Sở Công thương", "2", "3", "+1"),
    ("Sở Thông tin và Truyền thông", "1", "1", "0"),
    ("Sở Khoa học và Công nghệ", "0", "0", "0"),
    ("Sở Giáo dục và Đào tạo", "0", "0", "0"),
    ("Sở Ngoại vụ", "0", "0", "0"),
    ("Sở Nội vụ", "13", "1", "-12"),
    ("Sở Kế hoạch và Đầu tư", "36", "35", "-1"),
)
SERVICE_AGENCIES: tuple[tuple[str, str, str, str], ...] = (
    ("Sở Nông nghiệp và PTNT", "100", "100", "Giữ nguyên"),
    ("Sở Tài chính", "98,0", "99,9", "+1,9"),
    ("Ban quản lý các Khu công nghiệp", "100", "98,8", "-1,2"),
    ("Sở Khoa học và Công nghệ", "99,7", "99,7", "Giữ nguyên"),
    ("Sở Nội vụ", "95,5", "95,9", "+0,4"),
    ("Sở Giáo dục và Đào tạo", "100", "100", "Giữ nguyên"),
    ("Sở Ngoại vụ", "100", "100", "Giữ nguyên"),
    ("Sở Thông tin và Truyền thông", "96,5", "96,7", "+0,2"),
    ("Sở Văn hóa, Thể thao và Du lịch", "98,1", "98,3", "+0,2"),
    ("Sở Tư pháp", "97,4", "96,8", "-0,6"),
    ("Sở Công Thương", "94,0", "94,0", "Giữ nguyên"),
    ("Sở Xây dựng", "80,3", "79,2", "-1,1"),
    ("Sở Y tế", "68,5", "68,2", "-0,3"),
    ("Sở Tài Nguyên và Môi trường", "61,2", "61,7", "+0,5"),
    ("Sở Giao thông vận tải", "35,3", "34,0", "-1,3"),
    ("Sở Lao động, Thương binh và Xã hội", "12,0", "15,1", "+3,1"),
    ("Sở Kế hoạch và Đầu tư", "61,9", "65,5", "+3,6"),
    ("Ban Dân tộc", "0", "75,0", "75,0"),
    ("Thanh tra tỉnh", "0", "0", "0"),
)
SERVICE_LOCAL: tuple[tuple[str, str, str, str], ...] = (
    ("UBND thành phố Sông Công", "89,0", "90,5", "+1,5"),
    ("UBND huyện Phú Lương", "84,4", "85,6", "+1,2"),
    ("UBND huyện Phú Bình", "79,8", "82,3", "+2,5"),
    ("UBND huyện Định Hóa", "78,4", "85,1", "+6,7"),
    ("UBND huyện Võ Nhai", "69,9", "74,7", "+4,8"),
    ("UBND thành phố Thái Nguyên", "72,1", "76,0", "+3,9"),
    ("UBND huyện Đại Từ", "67,2", "73,7", "+6,5"),
    ("UBND thành phố Phổ Yên", "56,0", "55,3", "-0,7"),
    ("UBND huyện Đồng Hỷ", "67,1", "73,2", "+6,1"),
)
PAYMENT_AGENCIES: tuple[tuple[str, str, str, str], ...] = (
    ("Sở Tài Nguyên và Môi trường", "98,96", "98,79", "-0,17"),
    ("Sở Công thương", "87,88", "86,11", "-1,77"),
    ("Sở Khoa học và Công nghệ", "65,12", "64,81", "-0,31"),
    ("Sở Nông nghiệp và PTNT", "95,43", "97,81", "+2,38"),
    ("Sở Tư pháp", "83,4", "84,86", "+1,46"),
    ("Sở Văn hóa, Thể thao và Du lịch", "52,78", "57,65", "+4,87"),
    ("Sở Thông tin và Truyền thông", "37,38", "34,31", "+3,07"),
    ("Sở Y tế", "46,25", "52,08", "+5,83"),
    ("Sở Kế hoạch và Đầu tư", "0", "0", "0"),
    ("Sở Lao động, Thương binh và Xã hội", "0", "0", "0"),
    ("Sở Nội vụ", "100", "100", "Giữ nguyên"),
    ("Ban quản lý các Khu công nghiệp", "0", "0", "0"),
    ("Sở Giao thông vận tải", "98,27", "98,35", "+0,08"),
    ("Sở Xây dựng", "24,05", "25,31", "+1,26"),
    ("Sở Ngoại vụ", "0", "0", "0"),
    ("Ban Dân tộc", "0", "0", "0"),
    ("Sở Tài chính", "0", "0", "0"),
    ("Sở Giáo dục và Đào tạo", "0", "0", "0"),
)
PAYMENT_LOCAL: tuple[tuple[str, str, str, str], ...] = (
    ("UBND thành phố Sông Công", "84,16", "86,71", "+2,55"),
    ("UBND huyện Đồng Hỷ", "46,82", "58,08", "+11,26"),
    ("UBND thành phố Phổ Yên", "6,99", "7,03", "+0,04"),
    ("UBND huyện Phú Lương", "11,14", "20,48", "+9,34"),
    ("UBND huyện Võ Nhai", "6,5", "7,47", "+0,97"),
    ("UBND huyện Định Hóa", "40,65", "68,65", "+28"),
    ("UBND huyện Phú Bình", "38,03", "60,06", "+22,03"),
    ("UBND thành phố Thái Nguyên", "21,06", "21,93", "+0,87"),
    ("UBND huyện Đại Từ", "0,01", "1,47", "1,46"),
)

# The units of the tiny warehouse: code, name, kind, and the other spellings the reference uses.
UNITS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "H55.01",
        "Sở Nông nghiệp và Phát triển Nông thôn",
        "agency",
        ("Sở Nông nghiệp và PTNT", "Sở Nông nghiệp và Môi trường"),
    ),
    ("H55.02", "Sở Tài chính", "agency", ()),
    ("H55.03", "Ban quản lý các Khu công nghiệp", "agency", ()),
    ("H55.04", "Sở Khoa học và Công nghệ", "agency", ()),
    ("H55.05", "Sở Nội vụ", "agency", ()),
    ("H55.06", "Sở Giáo dục và Đào tạo", "agency", ()),
    ("H55.07", "Sở Ngoại vụ", "agency", ()),
    ("H55.08", "Sở Thông tin và Truyền thông", "agency", ()),
    ("H55.09", "Sở Văn hóa, Thể thao và Du lịch", "agency", ()),
    ("H55.10", "Sở Tư pháp", "agency", ()),
    ("H55.11", "Sở Công Thương", "agency", ()),
    ("H55.12", "Sở Xây dựng", "agency", ()),
    ("H55.13", "Sở Y tế", "agency", ()),
    ("H55.14", "Sở Tài nguyên và Môi trường", "agency", ()),
    ("H55.15", "Sở Giao thông vận tải", "agency", ()),
    ("H55.16", "Sở Lao động, Thương binh và Xã hội", "agency", ()),
    ("H55.17", "Sở Kế hoạch và Đầu tư", "agency", ()),
    ("H55.18", "Ban Dân tộc", "agency", ()),
    ("H55.19", "Thanh tra tỉnh", "agency", ()),
    ("H55.164", "UBND thành phố Thái Nguyên", "district", ()),
    ("H55.165", "UBND thành phố Sông Công", "district", ()),
    ("H55.167", "UBND huyện Định Hóa", "district", ()),
    ("H55.168", "UBND huyện Phú Lương", "district", ()),
    ("H55.169", "UBND huyện Đồng Hỷ", "district", ()),
    ("H55.170", "UBND huyện Võ Nhai", "district", ()),
    ("H55.171", "UBND huyện Đại Từ", "district", ()),
    ("H55.172", "UBND thành phố Phổ Yên", "district", ()),
    ("H55.173", "UBND huyện Phú Bình", "district", ()),
)


def canonical(name: str) -> str:
    """The warehouse's name for a unit as the reference spells it (case and abbreviations vary)."""
    key = name.strip().casefold()
    for _, canon, _, aliases in UNITS:
        if key in {canon.casefold(), *(a.casefold() for a in aliases)}:
            return canon
    raise KeyError(name)


def vi(text: str) -> Decimal:
    """A reference figure as a Decimal ("97,03%" -> 97.03, "1.764" -> 1764)."""
    return Decimal(text.strip().rstrip("%").replace(".", "").replace(",", "."))


def _code(name: str) -> str:
    canon = canonical(name)
    return next(u[0] for u in UNITS if u[1] == canon)


def _indicator_rows() -> list[tuple]:
    """(unit, indicator, period index 0=Sep/1=Oct, numerator, denominator, value) from the tables above."""
    rows: list[tuple] = []
    for i in (0, 1):
        s = {k: (v[1 + 2 * i], v[2 + 2 * i]) for k, v in SUMMARY.items()}

        def num(key: str, s: dict = s) -> int:
            return int(vi(s[key][0]))

        def rate(key: str, col: int = 1, s: dict = s) -> Decimal:
            return vi(s[key][col])

        rows += [
            (PROVINCE, "PUBLIC_CONTENT_FULL", i, *(int(vi(x)) for x in s["1.1"][0].split("/")), rate("1.1")),
            (PROVINCE, "DOSSIER_SYNC", i, num("1.2a"), num("1.2a") + num("1.2b"), rate("1.2a")),
            (PROVINCE, "PROGRESS_ON_TIME", i, None, None, rate("2.1", 0)),
            (
                PROVINCE,
                "ONLINE_PROVISION_PARTIAL",
                i,
                num("3.1"),
                num("3.1") + num("3.2") + num("3.3"),
                rate("3.1"),
            ),
            (
                PROVINCE,
                "ONLINE_PROVISION_FULL",
                i,
                num("3.2"),
                num("3.1") + num("3.2") + num("3.3"),
                rate("3.2"),
            ),
            (
                PROVINCE,
                "ONLINE_PROVISION_NONE",
                i,
                num("3.3"),
                num("3.1") + num("3.2") + num("3.3"),
                rate("3.3"),
            ),
            (PROVINCE, "ONLINE_DOSSIER_CHANNEL", i, None, None, rate("3.4a")),
            (PROVINCE, "OTHER_DOSSIER_CHANNEL", i, None, None, rate("3.4b")),
            (PROVINCE, "ONLINE_ON_TIME", i, None, None, rate("3.5a")),
            (PROVINCE, "ONLINE_OVERDUE", i, None, None, rate("3.5b")),
            (PROVINCE, "ONLINE_SERVICE_WITH_DOSSIER", i, None, None, rate("3.6")),
            (
                PROVINCE,
                "PAYMENT_FEE_FORMALITY_OFFERED",
                i,
                num("4.1a"),
                num("4.1a") + num("4.1b"),
                rate("4.1a"),
            ),
            (PROVINCE, "PAYMENT_ONLINE_DOSSIER", i, num("4.2a"), num("4.2a") + num("4.2b"), rate("4.2a")),
            (PROVINCE, "PAYMENT_FORMALITY_PAID", i, num("4.3a"), num("4.3a") + num("4.3b"), rate("4.3a")),
            (PROVINCE, "PETITION_HANDLING_SATISFACTION", i, None, None, rate("5.1")),
            (PROVINCE, "DOSSIER_RECEIVING_SATISFACTION", i, None, None, rate("5.2")),
            (PROVINCE, "PETITION_CLASSIFICATION_TTHC", i, None, None, rate("5.3a")),
            (PROVINCE, "PETITION_CLASSIFICATION_STAFF", i, None, None, rate("5.3b")),
            (PROVINCE, "SO_HOA_GIAY_TO_GIAI_QUYET", i, None, None, rate("6.1")),
            (PROVINCE, "ORIGINAL_RESULT_AVAILABLE", i, None, None, rate("6.2")),
            (PROVINCE, "REUSED_DIGITIZED_DATA", i, num("6.4"), None, rate("6.4")),
        ]
        for name, *figs in OVERDUE:
            rows.append((_code(name), "PROGRESS_OVERDUE", i, int(vi(figs[i])), None, None))
        for name, *figs in SERVICE_AGENCIES + SERVICE_LOCAL:
            rows.append((_code(name), "ONLINE_SERVICE_RATE", i, None, None, vi(figs[i])))
        for n, (name, *figs) in enumerate(PAYMENT_AGENCIES + PAYMENT_LOCAL):
            r = vi(figs[i])
            # Counts chosen so that paid/obliged x 100 is the reference's rate; a zero rate is "none paid
            # online" of dossiers that had an obligation (0/37, as the reference's 0/959 …); 0 of 0 is no
            # rate at all (tests/test_rpt_models.py).
            den = 10000 if r else 37 + n
            rows.append((_code(name), "PAYMENT_ONLINE_DOSSIER", i, int(r * 100), den, None))
    return rows


YTD = (("2023-YTD-09", date(2023, 9, 30)), ("2023-YTD-10", date(2023, 10, 31)))
MISSING_MONTH = "2023-03"  # the chart must show a gap here, not a zero


def month_scores() -> list[tuple]:
    """Synthetic monthly scores 2022-11..2023-10 (the reference has none); group scores sum to the total."""
    out = []
    for k in range(12):
        y, m = (2022, 11 + k) if k < 2 else (2023, k - 1)
        key = f"{y:04d}-{m:02d}"
        if key == MISSING_MONTH:
            continue
        groups = [round(12 + 3 * math.sin(k + g), 2) for g in range(6)]
        end = date(y + (m == 12), m % 12 + 1, 1).toordinal() - 1
        out.append(
            (
                "month",
                key,
                date(y, m, 1),
                date.fromordinal(end),
                round(sum(groups), 2),
                *groups,
                5 + k % 7,
                63,
            )
        )
    return out


def build_warehouse(path: Path, *, with_rpt: bool = True) -> Path:
    """A DuckDB file with the issue-4 tables holding the reference figures, then the rpt_* models."""
    con = duckdb.connect(str(path))
    con.execute(
        """
        create table dim_unit (unit_code varchar, valid_from timestamp, valid_to timestamp, unit_name varchar,
            unit_id varchar, unit_kind varchar, province_code varchar, parent_code varchar, is_current boolean);
        create table fct_indicator (unit_code varchar, indicator_code varchar, period_type varchar,
            period_key varchar, period_start date, period_end date, numerator double, denominator double,
            value double, score double, max_score double, quality_flag varchar, captured_at timestamp,
            source_api varchar);
        create table fct_unit_score (unit_code varchar, period_type varchar, period_key varchar,
            period_start date, period_end date, total_score double, score_ckmb double, score_tdgq double,
            score_clgq double, score_tttt double, score_mdhl double, score_mdsh double, rank_in_scope integer,
            rank_scope_size integer, captured_at timestamp, source_api varchar);
        """
    )
    seen = datetime(2023, 9, 30, 17, 0)
    units = [
        (PROVINCE, seen, None, "UBND tỉnh Thái Nguyên", "p-55", "province", PROVINCE, None, True),
        ("H44", seen, None, "UBND tỉnh Quảng Ngãi", "p-44", "province", "H44", None, True),
    ]
    units += [(c, seen, None, n, f"u-{c}", k, PROVINCE, PROVINCE, True) for c, n, k, _ in UNITS]
    # A renamed unit: the October report must use the name it had when October was captured.
    units[2] = (
        "H55.01",
        seen,
        datetime(2023, 10, 15),
        "Sở Nông nghiệp và Phát triển Nông thôn",
        "u-1",
        "agency",
        PROVINCE,
        PROVINCE,
        False,
    )
    units.append(
        (
            "H55.01",
            datetime(2023, 10, 15),
            None,
            "Sở Nông nghiệp và Môi trường",
            "u-1",
            "agency",
            PROVINCE,
            PROVINCE,
            True,
        )
    )
    con.executemany("insert into dim_unit values (?, ?, ?, ?, ?, ?, ?, ?, ?)", units)
    facts = []
    for unit, code, i, numerator, denominator, value in _indicator_rows():
        key, end = YTD[i]
        captured = datetime(end.year, end.month, end.day, 17, 0)
        facts.append(
            (
                unit,
                code,
                "ytd",
                key,
                date(2023, 1, 1),
                end,
                numerator,
                denominator,
                None if value is None else float(value),
                None,
                None,
                "ok",
                captured,
                "v1",
            )
        )
    con.executemany("insert into fct_indicator values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", facts)
    # captured on the month's last day: the month-end figures (fct_indicator.as_of, issue 20)
    con.execute("alter table fct_indicator add column as_of varchar default 'on_time'")
    scores = [
        ("ytd", "2023-YTD-09", date(2023, 1, 1), date(2023, 9, 30), 77.79, *[None] * 6, 10, 63),
        ("ytd", "2023-YTD-10", date(2023, 1, 1), date(2023, 10, 31), 78.59, *[None] * 6, 9, 63),
    ]
    scores += month_scores()
    con.executemany(
        "insert into fct_unit_score values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(PROVINCE, *s, seen, "v1") for s in scores],
    )
    if with_rpt:
        run_rpt_models(con)
    con.close()
    return path


HISTORY_RPT_MODELS = frozenset(
    {"rpt_revisions", "rpt_province_history", "rpt_daily_movement", "rpt_watch_finding"}
)
# issue 31's score-model reports read the capture facts and the seed: tested on full builds
SCORE_RPT_MODELS = frozenset(
    {
        "rpt_province_points_lost",
        "rpt_points_at_stake",
        "rpt_procedure_points_at_stake",
        "rpt_score_formula_changes",
    }
)


def run_rpt_models(con: duckdb.DuckDBPyConnection) -> None:
    """Materialise the appendix's sql/marts/rpt_*.sql the way the warehouse runner does.

    (``create table … as <file>``, in the order of the names each reads: the per-unit tables read
    ``rpt_unit_month_end_pairs``). The history reports (issue 6) and the daily watch's (issue 32) read
    marts this hand-made warehouse does not have, and are tested against full builds instead (so are
    issue 31's).
    """
    models = [
        m
        for m in discover_models()
        if m.name.startswith("rpt_") and m.name not in HISTORY_RPT_MODELS | SCORE_RPT_MODELS
    ]
    create_macros(con)
    for model in order_models(models):
        con.execute(f'create or replace table "{model.name}" as {model.sql}')


def _reference_lines() -> list[list[str]]:
    if not REFERENCE.is_file():
        pytest.skip(f"the reference appendix {REFERENCE} is not present")
    return [line.split("\t") for line in REFERENCE.read_text(encoding="utf-8").splitlines()]


def test_tables_match_reference_text() -> None:
    """Each listed figure is on the reference's line for that label, in the listed column."""
    lines = _reference_lines()
    used: set[int] = set()
    for key, (label, *figs) in SUMMARY.items():
        hits = [i for i, cells in enumerate(lines) if len(cells) > 2 and cells[1] == label and i not in used]
        assert hits, f"line {key}: label {label!r} not in the reference"
        cells = lines[hits[0]]
        used.add(hits[0])
        assert [c.strip() for c in cells[2:6]] == list(figs), f"line {key}: {cells}"
    for table in (OVERDUE, SERVICE_AGENCIES, SERVICE_LOCAL, PAYMENT_AGENCIES, PAYMENT_LOCAL):
        for row in table:
            assert any(cells[1:5] == list(row) for cells in lines if len(cells) >= 5), row
    text = REFERENCE.read_text(encoding="utf-8")
    assert all(s in text for s in SCORE)
    assert (len(OVERDUE), len(SERVICE_AGENCIES), len(SERVICE_LOCAL)) == (25, 19, 9)
    assert (len(PAYMENT_AGENCIES), len(PAYMENT_LOCAL)) == (18, 9)
    # The reference's own total of section II is the sum of its rows.
    assert sum(vi(r[1]) for r in OVERDUE) == 4045 and sum(vi(r[2]) for r in OVERDUE) == 1100
