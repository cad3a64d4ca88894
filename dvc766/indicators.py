"""The indicator catalogue: every figure the normaliser lands in ``indicator_values``, with its
group, labels, unit of measure, maximum points and direction.

Why one list in code: the normaliser (which emits the codes), the warehouse's ``dim_indicator``
(built from :func:`catalogue_table`) and the YTD derivation (which needs to know what may be summed
over months) must agree on the same codes. Portal metric codes (v1-api.md §7) are kept as the portal
spells them; the tree endpoints' counts get codes of our own (docs/architecture.md).

``max_score`` is ``None`` where the portal publishes no maximum (unknown is not 0). ``additive`` is
true only when numerator and denominator count events of the period (dossiers, petitions), so that
summing months gives the year-to-date figure; counts of procedures (TTHC) or units are stocks, and
summing them over months would double count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import pyarrow as pa

from dvc766.endpoints import (
    DIGITIZED,
    ONLINE_TREE,
    PAYMENT_TREE,
    PROGRESS_TREE,
    SATISFACTION,
    SERVICE_RESULTS,
    TRANSPARENCY,
)
from dvc766.landing_schema import GROUP_MAX

PCT = "%"


@dataclass(frozen=True)
class Indicator:
    indicator_code: str
    group_code: str  # CKMB TDGQ CLGQ TTTT MDHL MDSH, or TOTAL for the total row
    label_vi: str
    label_en: str
    unit_of_measure: str  # unit of ``value``: "%", "days", "points"
    count_unit_vi: str | None  # unit of numerator/denominator: "hồ sơ", "TTHC", "PAKN", "đơn vị"
    count_unit_en: str | None  # "dossiers", "procedures", "petitions", "units"
    max_score: float | None
    higher_is_better: bool | None  # None: informational, no direction
    source_endpoint: str
    source_field: str
    additive: bool = False
    is_group: bool = False
    # True when the numerator counts a part of what the denominator counts, so num > den cannot be
    # real and quarantines the body; False for a pair that is only a comparison of two counts.
    nests: bool = True


_D = ("hồ sơ", "dossiers")
_P = ("TTHC", "procedures")
_K = ("PAKN", "petitions")
_U = ("đơn vị", "units")

_TR = TRANSPARENCY
_SA = SATISFACTION
_DG = DIGITIZED
_PR = PROGRESS_TREE
_ON = ONLINE_TREE
_PA = PAYMENT_TREE
_SR = SERVICE_RESULTS


def _i(
    code: str,
    group: str,
    vi: str,
    en: str,
    counts: tuple[str, str] | None,
    max_score: float | None,
    better: bool | None,
    endpoint: str,
    field: str,
    *,
    unit: str = PCT,
    additive: bool | None = None,
    nests: bool = True,
) -> Indicator:
    if additive is None:
        additive = counts in (_D, _K)
    return Indicator(
        code,
        group,
        vi,
        en,
        unit,
        counts[0] if counts else None,
        counts[1] if counts else None,
        max_score,
        better,
        endpoint,
        field,
        additive,
        nests=nests,
    )


INDICATORS: tuple[Indicator, ...] = (
    # CKMB — transparency (portal metric codes)
    _i(
        "PUBLISH_ON_TIME",
        "CKMB",
        "Tỷ lệ TTHC công bố đúng hạn",
        "Procedures published on time",
        _P,
        6,
        True,
        _TR,
        "metrics[PUBLISH_ON_TIME]",
    ),
    _i(
        "PUBLIC_UPDATE_ON_TIME",
        "CKMB",
        "Tỷ lệ TTHC cập nhật, công khai đúng hạn",
        "Procedures updated and made public on time",
        _P,
        4,
        True,
        _TR,
        "metrics[PUBLIC_UPDATE_ON_TIME]",
    ),
    _i(
        "PUBLIC_CONTENT_FULL",
        "CKMB",
        "Tỷ lệ TTHC công khai đầy đủ nội dung",
        "Procedures published with full content",
        _P,
        2,
        True,
        _TR,
        "metrics[PUBLIC_CONTENT_FULL]",
    ),
    _i(
        "DOSSIER_SYNC",
        "CKMB",
        "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG",
        "Dossiers synced to the national portal",
        _D,
        6,
        True,
        _TR,
        "metrics[DOSSIER_SYNC]",
    ),
    # TDGQ — progress tree
    _i(
        "PROGRESS_ON_TIME",
        "TDGQ",
        "Tỷ lệ hồ sơ giải quyết đúng hạn",
        "Dossiers handled on time",
        _D,
        20,
        True,
        _PR,
        "totalOnTime/totalReceived, ratio, totalScore|score",
    ),
    _i(
        "PROGRESS_OVERDUE",
        "TDGQ",
        "Hồ sơ giải quyết quá hạn",
        "Dossiers overdue",
        _D,
        None,
        False,
        _PR,
        "children totalOverdue; parent totalReceived-totalOnTime",
    ),
    _i(
        "PROGRESS_COMPLETED",
        "TDGQ",
        "Hồ sơ đã giải quyết",
        "Dossiers completed",
        _D,
        None,
        True,
        _PR,
        "parent totalCompleted/totalReceived",
    ),
    _i(
        "PROGRESS_AVG_DAYS",
        "TDGQ",
        "Thời gian giải quyết trung bình",
        "Average processing time",
        None,
        None,
        False,
        _PR,
        "avgProcessingDays",
        unit="days",
        additive=False,
    ),
    # CLGQ — online services
    _i(
        "ONLINE_SERVICE_RATE",
        "CLGQ",
        "Tỷ lệ cung cấp dịch vụ công trực tuyến",
        "Online service score ratio",
        None,
        12,
        True,
        _ON,
        "ratio, totalScore",
        additive=False,
    ),
    _i(
        "ONLINE_PROVISION_PARTIAL",
        "CLGQ",
        "TTHC cung cấp DVC trực tuyến một phần",
        "Procedures offered partly online",
        _P,
        None,
        True,
        _SR,
        "service-results donut PARTIAL",
    ),
    _i(
        "ONLINE_TREE_PARTIAL",
        "CLGQ",
        "TTHC cung cấp DVC trực tuyến một phần",
        "Procedures offered partly online",
        _P,
        None,
        True,
        _ON,
        "partialCount/authorityCount (provide-online-tree parent)",
    ),
    _i(
        "ONLINE_PROVISION_FULL",
        "CLGQ",
        "TTHC cung cấp DVC trực tuyến toàn trình",
        "Procedures offered fully online",
        _P,
        None,
        True,
        _SR,
        "service-results donut FULL",
    ),
    _i(
        "ONLINE_TREE_FULL",
        "CLGQ",
        "TTHC cung cấp DVC trực tuyến toàn trình",
        "Procedures offered fully online",
        _P,
        None,
        True,
        _ON,
        "fullCount/authorityCount (provide-online-tree parent)",
    ),
    _i(
        "ONLINE_PROVISION_NONE",
        "CLGQ",
        "TTHC chưa cung cấp DVC trực tuyến",
        "Procedures not offered online",
        _P,
        None,
        False,
        _SR,
        "donuts.onlineProvision NONE",
    ),
    _i(
        "ONLINE_DOSSIER_CHANNEL",
        "CLGQ",
        "Hồ sơ nộp trực tuyến",
        "Dossiers submitted online",
        _D,
        None,
        True,
        _SR,
        "service-results donut ONLINE",
    ),
    _i(
        "ONLINE_TREE_CHANNEL_ONLINE",
        "CLGQ",
        "Hồ sơ nộp trực tuyến",
        "Dossiers submitted online",
        _D,
        None,
        True,
        _ON,
        "channelOnlineSum/channelTotalSum (provide-online-tree parent)",
    ),
    _i(
        "OTHER_DOSSIER_CHANNEL",
        "CLGQ",
        "Hồ sơ nộp trực tiếp, bưu chính",
        "Dossiers submitted in person or by post",
        _D,
        None,
        False,
        _SR,
        "service-results donut OTHER",
    ),
    _i(
        "ONLINE_TREE_CHANNEL_OTHER",
        "CLGQ",
        "Hồ sơ nộp trực tiếp, bưu chính",
        "Dossiers submitted in person or by post",
        _D,
        None,
        False,
        _ON,
        "(channelDirectSum+channelPostalSum)/channelTotalSum (provide-online-tree parent)",
    ),
    _i(
        "ONLINE_ON_TIME",
        "CLGQ",
        "Hồ sơ trực tuyến giải quyết đúng hạn",
        "Online dossiers handled on time",
        _D,
        None,
        True,
        _ON,
        "onlineOnTimeSum/(onlineOnTimeSum+onlineOverdueSum)",
    ),
    _i(
        "ONLINE_OVERDUE",
        "CLGQ",
        "Hồ sơ trực tuyến giải quyết quá hạn",
        "Online dossiers overdue",
        _D,
        None,
        False,
        _ON,
        "onlineOverdueSum/(onlineOnTimeSum+onlineOverdueSum)",
    ),
    _i(
        "ONLINE_SERVICE_WITH_DOSSIER",
        "CLGQ",
        "DVC trực tuyến có phát sinh hồ sơ",
        "Online services that received dossiers",
        _P,
        None,
        True,
        _ON,
        "onlineDossierCount/onlineServiceTotal",
    ),
    # TTTT — online payment
    _i(
        "PAYMENT_ONLINE_DOSSIER",
        "TTTT",
        "Tỷ lệ hồ sơ thanh toán trực tuyến",
        "Dossiers paid online",
        _D,
        10,
        True,
        _PA,
        "totalDossierOnlinePaymentSuccess/totalDossierFinancialObligation, totalScore",
    ),
    _i(
        "PAYMENT_FEE_FORMALITY_OFFERED",
        "TTTT",
        "TTHC có phí, lệ phí cung cấp thanh toán trực tuyến",
        "Fee-bearing procedures offered with online payment",
        _P,
        None,
        True,
        _PA,
        "totalFeeDossierFormalityDistinct/totalFeeFormality",
    ),
    _i(
        "PAYMENT_FORMALITY_PAID",
        "TTTT",
        "TTHC có phát sinh thanh toán trực tuyến",
        "Procedures with online payments",
        _P,
        None,
        True,
        _PA,
        "totalDossierOnlineFormalityPaymentSuccess/totalFeeFormality",
    ),
    _i(
        "PAYMENT_FEE_FORMALITY_WITH_DOSSIER",
        "TTTT",
        "TTHC có phí, lệ phí phát sinh hồ sơ",
        "Fee-bearing procedures that received dossiers",
        _P,
        None,
        True,
        _PA,
        "totalFeeDossierFormality/totalFeeFormality",
        # Not a proven part of totalFeeFormality: its name, without "Distinct", reads as a count over
        # units, and Thái Nguyên's 2023 appendix has 213 such procedures against 182 fee-bearing ones.
        nests=False,
    ),
    # MDHL — satisfaction
    _i(
        "DOSSIER_RECEIVING_SATISFACTION",
        "MDHL",
        "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
        "Satisfaction with dossier handling",
        _D,
        6,
        True,
        _SA,
        "metrics[DOSSIER_RECEIVING_SATISFACTION]",
    ),
    _i(
        "PETITION_PROCESSING_ON_TIME",
        "MDHL",
        "Tỷ lệ PAKN xử lý đúng hạn",
        "Petitions processed on time",
        _K,
        6,
        True,
        _SA,
        "metrics[PETITION_PROCESSING_ON_TIME]",
    ),
    _i(
        "PETITION_HANDLING_SATISFACTION",
        "MDHL",
        "Tỷ lệ hài lòng trong xử lý PAKN",
        "Satisfaction with petition handling",
        _K,
        6,
        True,
        _SA,
        "metrics[PETITION_HANDLING_SATISFACTION]",
    ),
    _i(
        "PETITION_CLASSIFICATION_TTHC",
        "MDHL",
        "Tỷ lệ PAKN về quy định, thủ tục hành chính",
        "Petitions about procedures",
        _K,
        0,
        None,
        _SA,
        "metrics[PETITION_CLASSIFICATION_TTHC]",
    ),
    _i(
        "PETITION_CLASSIFICATION_STAFF",
        "MDHL",
        "Tỷ lệ PAKN về hành vi cán bộ, công chức, viên chức",
        "Petitions about staff conduct",
        _K,
        0,
        None,
        _SA,
        "metrics[PETITION_CLASSIFICATION_STAFF]",
    ),
    # MDSH — digitisation
    _i(
        "ORIGINAL_RESULT_AVAILABLE",
        "MDSH",
        "Tỷ lệ hồ sơ TTHC có cấp kết quả giải quyết TTHC điện tử",
        "Dossiers with an electronic result",
        _D,
        6,
        True,
        _DG,
        "metrics[ORIGINAL_RESULT_AVAILABLE]",
    ),
    _i(
        "SO_HOA_GIAY_TO_GIAI_QUYET",
        "MDSH",
        "Tỷ lệ hồ sơ TTHC thực hiện số hóa hồ sơ",
        "Dossiers digitised",
        _D,
        4,
        True,
        _DG,
        "metrics[SO_HOA_GIAY_TO_GIAI_QUYET]",
    ),
    _i(
        "REUSED_DIGITIZED_DATA",
        "MDSH",
        "Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
        "Dossiers reusing digitised data",
        _D,
        2,
        True,
        _DG,
        "metrics[REUSED_DIGITIZED_DATA]",
    ),
    _i(
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE",
        "MDSH",
        "Tỷ lệ hồ sơ TTHC được số hóa có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng",
        "Digitised dossiers shared to personal storage",
        _D,
        4,
        True,
        _DG,
        "metrics[SYNCED_WITH_DVCQG_PERSONAL_STORAGE]",
    ),
    _i(
        "CITIZEN_DATA_CONNECTED_DOSSIER",
        "MDSH",
        "Tỷ lệ hồ sơ TTHC có sử dụng thông tin, dữ liệu dân cư",
        "Dossiers using population data",
        _D,
        2,
        True,
        _DG,
        "metrics[CITIZEN_DATA_CONNECTED_DOSSIER]",
    ),
    _i(
        "CITIZEN_DATA_CONNECTED_FORMALITY",
        "MDSH",
        "Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư phục vụ GQ TTHC",
        "Procedures connected to population data",
        _P,
        2,
        True,
        _DG,
        "metrics[CITIZEN_DATA_CONNECTED_FORMALITY]",
    ),
    _i(
        "ELECTRONIC_CERTIFIED_COPY",
        "MDSH",
        "Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính",
        "Electronic certified copies offered",
        None,
        2,
        True,
        _DG,
        "metrics[ELECTRONIC_CERTIFIED_COPY]",
    ),
)

# Figures the portal gives beside the index's own (issue 19): its change since the previous period,
# the radar, the averages and counts of the group endpoints, the two channel counts the appendix
# adds up. Signed figures use "points" or "percent change", so the 0..100 check does not apply.
_GROUP_VI = {"CKMB": "công khai, minh bạch", "TDGQ": "tiến độ giải quyết", "CLGQ": "dịch vụ công trực tuyến",
             "TTTT": "thanh toán trực tuyến", "MDHL": "mức độ hài lòng", "MDSH": "số hóa hồ sơ"}  # fmt: skip
_GROUP_EN = {"CKMB": "transparency", "TDGQ": "handling progress", "CLGQ": "online services",
             "TTTT": "online payment", "MDHL": "satisfaction", "MDSH": "digitisation"}  # fmt: skip
_GROUP_SOURCE = {"CKMB": _TR, "TDGQ": _PR, "CLGQ": _ON, "TTTT": _PA, "MDHL": _SA, "MDSH": _DG}
_PTS = "points"

PORTAL_EXTRAS: tuple[Indicator, ...] = (
    _i("TOTAL_SCORE_DELTA", "TOTAL", "Điểm tổng tăng/giảm so với kỳ trước (Cổng tính)",
       "Total score change since the previous period, as the portal computes it", None, None, None, _SR,
       "evaluation[].scoreDelta", unit=_PTS),
    *(
        _i(f"{g}_SCORE_DELTA", g, f"Điểm nhóm {_GROUP_VI[g]} tăng/giảm so với kỳ trước (Cổng tính)",
           f"Change of the {_GROUP_EN[g]} score since the previous period, as the portal computes it",
           None, None, None, _GROUP_SOURCE[g], "scoreDelta", unit=_PTS)
        for g in ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")
    ),
    _i("TOTAL_SCORE_GROWTH", "TOTAL", "Tỷ lệ tăng trưởng điểm tổng so với kỳ trước (Cổng tính)",
       "Growth of the total score since the previous period, as the portal computes it", None, None, None,
       _SR, "growthPercent", unit="percent change"),
    *(
        _i(f"RADAR_{code}", "TOTAL", f"Biểu đồ radar: {vi}", f"Radar: {en}", None, None, True, _SR,
           f"radar[code={code}]")
        for code, vi, en in (
            ("CKMB", "công khai, minh bạch", "transparency"),
            ("TDGQ", "tiến độ giải quyết", "handling progress"),
            ("ONLINE_SERVICE", "dịch vụ công trực tuyến và thanh toán trực tuyến", "online services and payment"),
            ("MDHL", "mức độ hài lòng", "satisfaction"),
            ("MDSH", "số hóa hồ sơ", "digitisation"),
        )
    ),
    _i("CKMB_AVERAGE_SCORE", "CKMB", "Điểm trung bình nhóm công khai, minh bạch (Cổng tính)",
       "Average transparency score, as the portal gives it", None, None, True, _TR, "overview.averageScore",
       unit=_PTS),
    _i("MDHL_AVERAGE_SCORE", "MDHL", "Điểm trung bình nhóm mức độ hài lòng (Cổng tính)",
       "Average satisfaction score, as the portal gives it", None, None, True, _SA, "averageScore", unit=_PTS),
    _i("PETITIONS_RECEIVED", "MDHL", "Số phản ánh, kiến nghị", "Petitions received", _K, None, None, _SA,
       "totalPetitions"),
    _i("PETITIONS_CLASSIFIED", "MDHL", "Số phản ánh, kiến nghị đã phân loại", "Petitions classified", _K, None,
       None, _SA, "classifiedPetitions/totalPetitions", nests=False),
    _i("DOSSIERS_RATED", "MDHL", "Số hồ sơ được đánh giá mức độ hài lòng", "Dossiers rated for satisfaction", _D,
       None, None, _SA, "totalDossiers"),
    _i("ONLINE_TREE_CHANNEL_DIRECT", "CLGQ", "Hồ sơ nộp trực tiếp", "Dossiers submitted in person", _D, None,
       False, _ON, "channelDirectSum/channelTotalSum (provide-online-tree parent)"),
    # The portal's own month-by-month series of the year, as one answer reports them (landed in
    # reported_series, one row per month of the series).
    _i("SR_MONTH_AVERAGE_SCORE", "TOTAL", "Điểm tổng từng tháng (biểu đồ của Cổng)",
       "Total score month by month, as the portal's chart gives it", None, 100, True, _SR,
       "monthlyChart[].averageScore", unit=_PTS),
    _i("SR_MONTH_ON_TIME_PCT", "TDGQ", "Tỷ lệ hồ sơ đúng hạn từng tháng (biểu đồ của Cổng)",
       "On-time dossiers month by month, as the portal's chart gives it", None, None, True, _SR,
       "dossierChart[].onTimePct"),
    _i("SR_MONTH_OVERDUE_PCT", "TDGQ", "Tỷ lệ hồ sơ quá hạn từng tháng (biểu đồ của Cổng)",
       "Overdue dossiers month by month, as the portal's chart gives it", None, None, False, _SR,
       "dossierChart[].overduePct"),
    _i("PROGRESS_MONTH_ON_TIME_PCT", "TDGQ", "Tỷ lệ hồ sơ đúng hạn từng tháng (cây tiến độ)",
       "On-time dossiers month by month, as the progress tree's chart gives it", None, None, True, _PR,
       "monthlyChart[].onTimePct"),
    _i("PROGRESS_MONTH_OVERDUE_PCT", "TDGQ", "Tỷ lệ hồ sơ quá hạn từng tháng (cây tiến độ)",
       "Overdue dossiers month by month, as the progress tree's chart gives it", None, None, False, _PR,
       "monthlyChart[].overduePct"),
    _i("ONLINE_MONTH_DOSSIER_PCT", "CLGQ", "Tỷ lệ hồ sơ trực tuyến từng tháng (cây DVCTT)",
       "Online dossiers month by month, as the online-service tree's chart gives it", None, None, True, _ON,
       "monthlyChart[].onlineDossierPct"),
    _i("ONLINE_TREE_CHANNEL_POSTAL", "CLGQ", "Hồ sơ nộp qua bưu chính", "Dossiers submitted by post", _D, None,
       False, _ON, "channelPostalSum/channelTotalSum (provide-online-tree parent)"),
)  # fmt: skip

_GROUP_LABELS = {
    "CKMB": ("Công khai, minh bạch", "Transparency"),
    "TDGQ": ("Tiến độ giải quyết", "Handling progress"),
    "CLGQ": ("Dịch vụ công trực tuyến", "Online public services"),
    "TTTT": ("Thanh toán trực tuyến", "Online payment"),
    "MDHL": ("Mức độ hài lòng", "Satisfaction"),
    "MDSH": ("Số hóa hồ sơ", "Digitisation"),
    "TOTAL": ("Tổng điểm", "Total score"),
}
_GROUP_ENDPOINT = {"CKMB": _TR, "TDGQ": _PR, "CLGQ": _ON, "TTTT": _PA, "MDHL": _SA, "MDSH": _DG, "TOTAL": _SR}

GROUPS: tuple[Indicator, ...] = tuple(
    Indicator(
        indicator_code=g,
        group_code=g,
        label_vi=vi,
        label_en=en,
        unit_of_measure="points",
        count_unit_vi=None,
        count_unit_en=None,
        max_score=100.0 if g == "TOTAL" else GROUP_MAX[g],
        higher_is_better=True,
        source_endpoint=_GROUP_ENDPOINT[g],
        source_field="totalScore",
        additive=False,
        is_group=True,
    )
    for g, (vi, en) in _GROUP_LABELS.items()
)

CATALOGUE: tuple[Indicator, ...] = INDICATORS + PORTAL_EXTRAS + GROUPS
BY_CODE: dict[str, Indicator] = {i.indicator_code: i for i in CATALOGUE}
ADDITIVE_CODES: frozenset[str] = frozenset(i.indicator_code for i in INDICATORS + PORTAL_EXTRAS if i.additive)

_ARROW_TYPES = {
    "max_score": pa.float64(),
    "higher_is_better": pa.bool_(),
    "additive": pa.bool_(),
    "is_group": pa.bool_(),
    "nests": pa.bool_(),
}


def indicator(code: str) -> Indicator:
    """Look a code up; an unknown code is a programming error, not portal data."""
    return BY_CODE[code]


def catalogue_table() -> pa.Table:
    """The catalogue as an Arrow table (one row per indicator and per group), for dim_indicator."""
    schema = pa.schema([pa.field(f.name, _ARROW_TYPES.get(f.name, pa.string())) for f in fields(Indicator)])
    return pa.Table.from_pylist([asdict(i) for i in CATALOGUE], schema=schema)
