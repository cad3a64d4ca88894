"""Scores and metric objects from counts, as the portal computes them (v1-api.md §7), and the portal's
rounding (half-up to two decimals, integers without a decimal point).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from replica.generator import COL

_HUNDREDTH = Decimal("0.01")


def r2(x: float) -> float | int:
    """Round half-up to two decimals on the number's decimal text (86.135 → 86.14, where ``round``
    gives 86.13: the binary value sits below the half), written as the portal writes numbers
    (``20``, not ``20.0``). The same rule as the Thái Nguyên scenario's builder.

    Fast path: away from a half, the binary value and its decimal text round the same way, so the
    hundredths are ``floor(100·|x| + ½)``; within 10⁻⁶ of a half the decimal text decides. (A month
    of replica bodies rounds ~300,000 figures: the Decimal route alone was 40 % of generating them.)
    """
    scaled = abs(x) * 100.0
    whole = math.floor(scaled)
    if abs(scaled - whole - 0.5) < 1e-6 or scaled > 1e12:
        d = Decimal(repr(x + 0.0)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
        return int(d) if d == d.to_integral_value() else float(d)
    hundredths = whole + 1 if scaled - whole > 0.5 else whole
    if x < 0:
        hundredths = -hundredths
    if hundredths % 100 == 0:
        return hundredths // 100
    return hundredths / 100


def ratio(num: int, den: int) -> float | int | None:
    """``round(100 * num / den, 2)``; None when there is nothing to divide by."""
    return r2(100.0 * num / den) if den else None


# --- scores (v1-api.md §7) -----------------------------------------------------------------------

TRANSPARENCY_METRICS = (
    ("PUBLISH_ON_TIME", "Tỷ lệ TTHC công bố đúng hạn", "pub_num", "pub_den", 6),
    ("PUBLIC_UPDATE_ON_TIME", "Tỷ lệ TTHC cập nhật, công khai đúng hạn", "upd_num", "upd_den", 4),
    ("PUBLIC_CONTENT_FULL", "Tỷ lệ TTHC công khai đầy đủ nội dung", "full_num", "full_den", 2),
    ("DOSSIER_SYNC", "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG", "sync_num", "sync_den", 6),
)
DIGITIZED_METRICS = (
    ("ORIGINAL_RESULT_AVAILABLE", "Tỷ lệ hồ sơ thủ tục hành chính có cấp kết quả giải quyết thủ tục hành chính điện tử", "orig_num", "received", 6),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", "Tỷ lệ hồ sơ thủ tục hành chính thực hiện số hóa hồ sơ", "sohoa_num", "received", 4),
    ("REUSED_DIGITIZED_DATA", "Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa", "reuse_num", "received", 2),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", "Tỷ lệ hồ sơ TTHC được số hóa có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng", "synced_num", "received", 4),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", "Tỷ lệ hồ sơ TTHC có sử dụng thông tin, dữ liệu dân cư", "cdc_num", "received", 2),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", "Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư phục vụ GQ TTHC", "cdf_num", "cdf_den", 2),
)  # fmt: skip
ECC = ("ELECTRONIC_CERTIFIED_COPY", "Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính", 2)
SATISFACTION_METRICS = (
    (
        "PETITION_CLASSIFICATION_TTHC",
        "Tỷ lệ PAKN về quy định, thủ tục hành chính",
        "pet_tthc",
        "pet_total",
        0,
    ),
    (
        "DOSSIER_RECEIVING_SATISFACTION",
        "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
        "dsat_num",
        "received",
        6,
    ),
    ("PETITION_PROCESSING_ON_TIME", "Tỷ lệ PAKN xử lý đúng hạn", "pet_on_time", "pet_total", 6),
    ("PETITION_HANDLING_SATISFACTION", "Tỷ lệ hài lòng trong xử lý PAKN", "pet_satisfied", "pet_total", 6),
    (
        "PETITION_CLASSIFICATION_STAFF",
        "Tỷ lệ PAKN về hành vi cán bộ, công chức, viên chức",
        "pet_staff",
        "pet_total",
        0,
    ),
)


def _metric(
    code: str, name: str, num: int | None, den: int | None, rat: object, score: object, mx: int
) -> dict:
    return {"code": code, "name": name, "numerator": num, "denominator": den, "ratio": rat, "score": score,
            "maxScore": mx}  # fmt: skip


def _transparency_score(num: int, den: int, mx: int) -> float | int | None:
    return r2(mx * num / den) if den else None


def _digitized_score(code: str, num: int, den: int, mx: int) -> float | int | None:
    if not den:
        return None
    if code == "REUSED_DIGITIZED_DATA":
        return r2(min(mx, mx * num / den / 0.8))
    return r2(min(mx, mx * num / den))


def _satisfaction_score(code: str, num: int, den: int, mx: int) -> float | int | None:
    if mx == 0:
        return None
    if code == "DOSSIER_RECEIVING_SATISFACTION":
        return r2(min(6.0, 6.0 * num / den / 0.9)) if den else 0
    return r2(6.0 * num / den) if den else 6


def transparency_metrics(c: list[int]) -> list[dict]:
    out = []
    for code, name, n, d, mx in TRANSPARENCY_METRICS:
        num, den = c[COL[n]], c[COL[d]]
        m = _metric(code, name, num, den, ratio(num, den), _transparency_score(num, den, mx), mx)
        if code == "DOSSIER_SYNC":
            if den:
                m["dataQualityStatus"] = "TEMP_NATIONAL_REPORT_DENOMINATOR"
                m["dataQualityMessage"] = (
                    "Mẫu số BCQG/GRIS đang dùng số tạm, cần thay bằng dữ liệu crawl hệ thống cũ."
                )
            else:
                m["dataQualityStatus"] = "NO_NATIONAL_REPORT_DATA"
                m["dataQualityMessage"] = "Không có dữ liệu báo cáo tổng hợp."
        out.append(m)
    return out


def digitized_metrics(c: list[int], *, with_formality: bool = True) -> list[dict]:
    out = []
    for code, name, n, d, mx in DIGITIZED_METRICS:
        if code == "CITIZEN_DATA_CONNECTED_FORMALITY" and not with_formality:
            continue
        num, den = c[COL[n]], c[COL[d]]
        out.append(_metric(code, name, num, den, ratio(num, den), _digitized_score(code, num, den, mx), mx))
    out.append(_metric(ECC[0], ECC[1], None, None, 100, ECC[2], ECC[2]))
    return out


def satisfaction_metrics(c: list[int]) -> list[dict]:
    out = []
    for code, name, n, d, mx in SATISFACTION_METRICS:
        num, den = c[COL[n]], c[COL[d]]
        rat = ratio(num, den) if den else 0
        out.append(_metric(code, name, num, den, rat, _satisfaction_score(code, num, den, mx), mx))
    return out


def _total(scores: list[float | int | None]) -> float | int:
    """A group's total: its metrics' scores summed in order, then rounded as the portal rounds."""
    return r2(sum(s for s in scores if s is not None))


def group_total(metrics: list[dict]) -> float | int:
    return _total([m["score"] for m in metrics])


def _group_totals(c: list[int]) -> tuple[float | int, float | int, float | int]:
    """The three Shape A group totals (CKMB, MDHL, MDSH) from the metric scores alone: what
    :func:`group_total` gives on the metric objects, without making them (a national or a
    province summary scores every unit; the objects were two thirds of generating a month)."""
    transparency = _total(
        [_transparency_score(c[COL[n]], c[COL[d]], mx) for _code, _name, n, d, mx in TRANSPARENCY_METRICS]
    )
    satisfaction = _total(
        [
            _satisfaction_score(code, c[COL[n]], c[COL[d]], mx)
            for code, _name, n, d, mx in SATISFACTION_METRICS
        ]
    )
    digitized = _total(
        [_digitized_score(code, c[COL[n]], c[COL[d]], mx) for code, _name, n, d, mx in DIGITIZED_METRICS]
        + [ECC[2]]
    )
    return transparency, satisfaction, digitized


def progress_score(c: list[int]) -> tuple[float | int, float | int, float | int]:
    """(ratio, score, avgProcessingDays); a unit with no dossiers shows 0, as the portal does."""
    rec, on = c[COL["received"]], c[COL["on_time"]]
    if not rec:
        return 0, 0, 0
    return r2(100.0 * on / rec), r2(20.0 * on / rec), r2(c[COL["days_x100"]] / 100.0 / rec)


def online_score(c: list[int]) -> float | int:
    """The replica's own online-service score (the portal's formula is not published), ≤ 10 of 12."""

    def share(n: str, d: str) -> float:
        return c[COL[n]] / c[COL[d]] if c[COL[d]] else 0.0

    return r2(12.0 * (0.45 * share("ch_online", "ch_total") + 0.25 * share("full", "authority")
                      + 0.13 * share("os_with", "os_total")))  # fmt: skip


def payment_score(c: list[int]) -> float | int:
    """6·A + min(2, 2.5·B) + 2.5·min(1, C), each part rounded half-up as the portal rounds each part of
    a group, at most 10 (v1-api.md §7; the real bodies' scores are the sum of the rounded parts:
    Phú Thọ's Sở Xây dựng, 4,28 + 0,91 + 0,45 = 5,64 where the unrounded sum is 5,6484)."""
    oblig, fee = c[COL["pay_oblig"]], c[COL["fee_f"]]
    a = c[COL["pay_ok"]] / oblig if oblig else 0.0
    b = c[COL["fee_online_f"]] / fee if fee else 0.0
    cc = min(1.0, c[COL["fee_dossier_f"]] / fee) if fee else 0.0  # capped as the scenario's builder caps it
    return r2(min(10.0, r2(6 * a) + r2(min(2.0, 2.5 * b)) + r2(2.5 * cc)))


def group_scores(c: list[int]) -> dict[str, float | int]:
    """The six group scores of one unit's counts, and nothing else: the total is their sum."""
    transparency, satisfaction, digitized = _group_totals(c)
    return {
        "CKMB": transparency,
        "TDGQ": progress_score(c)[1],
        "CLGQ": online_score(c),
        "TTTT": payment_score(c),
        "MDHL": satisfaction,
        "MDSH": digitized,
    }


def total_score(groups: dict[str, float | int]) -> float | int:
    return r2(sum(groups.values()))
