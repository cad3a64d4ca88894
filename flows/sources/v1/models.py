"""Typed models of the v1 API's answers: one per endpoint family (shared/portal/v1-api.md §4).

Every field the project knows is declared; a missing one or one of another JSON type fails the
parse (schema change), a new one is kept aside as drift (:mod:`flows.sources.contract`). Figures are
nullable: the portal writes ``null`` for "no data", which is not a change of shape. Identity and
structure fields (IDs, names, lists) are not. The value rules of the domain (no negative counts,
ratios within 0..100, scores within their maximum, codes safe to key on) sit on the types and
validators here, so a fetch, a normalisation and a reland judge a body alike.

The same models serve every period kind (month, quarter, year, a satisfaction date range) and the
per-procedure variant (``formalityId``): those answers have the same shape, only fewer metrics
(dossier-digitized drops ``CITIZEN_DATA_CONNECTED_FORMALITY`` per procedure, and its maximum with it).
"""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from flows.sources.contract import (
    Count,
    MaxScore,
    Model,
    Number,
    Ratio,
    Signed,
    Text,
    UnitCode,
    check_score,
)


class Pagination(Model):
    total: Count
    currentPage: Count
    pageSize: Count
    totalPages: Count


class Metric(Model):
    """One sub-indicator of a Shape A row (``metrics[]``)."""

    code: str
    name: Text
    numerator: Count
    denominator: Count
    ratio: Ratio
    score: Number
    maxScore: MaxScore
    dataQualityStatus: str | None = None
    dataQualityMessage: str | None = None

    @model_validator(mode="after")
    def _score_within_max(self) -> Metric:
        check_score(self.score, self.maxScore, "score")
        return self


# --- Shape A: transparency, handling-satisfaction, dossier-digitized ---------------------------------


class ShapeARow(Model):
    """A unit row (``evaluation[]``); the overview is the same with nullable identity."""

    stt: Count
    departmentId: str
    departmentName: Text
    departmentType: str
    departmentLevel: str
    agencyLevel: str
    totalScore: Number
    totalMaxScore: MaxScore
    ratio: Ratio
    scoreDelta: Signed
    metrics: list[Metric]
    departmentCode: UnitCode | None = None  # dossier-digitized only; absent elsewhere

    @model_validator(mode="after")
    def _score_within_max(self) -> ShapeARow:
        check_score(self.totalScore, self.totalMaxScore, "totalScore")
        return self


class ShapeAOverview(ShapeARow):
    # The overview's identity may be null in national mode ("Cả nước" has no ID or code).
    departmentId: str | None  # type: ignore[assignment]
    departmentType: str | None  # type: ignore[assignment]
    departmentLevel: str | None  # type: ignore[assignment]
    agencyLevel: str | None  # type: ignore[assignment]


class _SatisfactionCounts(Model):
    totalPetitions: Count
    classifiedPetitions: Count
    totalDossiers: Count
    averageScore: Number


class TransparencyRow(ShapeARow):
    averageScore: Number = None  # on the overview of every capture; tolerated on rows


class TransparencyOverview(ShapeAOverview):
    averageScore: Number = None


class SatisfactionRow(ShapeARow, _SatisfactionCounts):
    pass


class SatisfactionOverview(ShapeAOverview, _SatisfactionCounts):
    pass


class DigitizedRow(ShapeARow):
    departmentCode: UnitCode  # type: ignore[assignment]


class DigitizedOverview(ShapeAOverview):
    departmentCode: UnitCode | None  # type: ignore[assignment]


class Transparency(Model):
    overview: TransparencyOverview
    evaluation: list[TransparencyRow]
    pagination: Pagination
    source: str
    # Present ([]) in every capture; never seen non-empty, so its items are not typed.
    monthlyChart: list[Any] | None = None


class Satisfaction(Model):
    overview: SatisfactionOverview
    evaluation: list[SatisfactionRow]
    pagination: Pagination
    source: str


class Digitized(Model):
    overview: DigitizedOverview
    evaluation: list[DigitizedRow]
    pagination: Pagination
    source: str


# --- Shape B: the three *-tree endpoints -------------------------------------------------------------


class TreeParentId(Model):
    departmentId: str | None
    departmentName: Text
    departmentCode: UnitCode | None


class TreeChildId(Model):
    departmentId: str
    departmentName: Text
    departmentCode: UnitCode
    level: str
    scoreDelta: Signed


class ProgressParent(TreeParentId):
    totalReceived: Count
    totalOnTime: Count
    totalCompleted: Count
    avgProcessingDays: Number
    ratio: Ratio
    totalScore: Number
    totalMaxScore: MaxScore

    @model_validator(mode="after")
    def _score_within_max(self) -> ProgressParent:
        check_score(self.totalScore, self.totalMaxScore, "totalScore")
        return self


class ProgressChild(TreeChildId):
    # The naming switch of this endpoint: children say score/maxScore and totalOverdue.
    totalReceived: Count
    totalOnTime: Count
    totalOverdue: Count
    avgProcessingDays: Number
    ratio: Ratio
    score: Number
    maxScore: MaxScore

    @model_validator(mode="after")
    def _score_within_max(self) -> ProgressChild:
        check_score(self.score, self.maxScore, "score")
        return self


class ProgressMonth(Model):
    month: str
    onTimePct: Ratio
    overduePct: Ratio


class ProgressTree(Model):
    parent: ProgressParent | None
    children: list[ProgressChild] | None
    monthlyChart: list[ProgressMonth] | None = None


class _TreeScore(Model):
    totalScore: Number
    totalMaxScore: MaxScore
    ratio: Ratio

    @model_validator(mode="after")
    def _score_within_max(self) -> _TreeScore:
        check_score(self.totalScore, self.totalMaxScore, "totalScore")
        return self


class OnlineParent(TreeParentId, _TreeScore):
    authorityCount: Count
    partialCount: Count
    fullCount: Count
    onlineDossierCount: Count
    onlineServiceTotal: Count
    channelOnlineSum: Count
    channelDirectSum: Count
    channelPostalSum: Count
    channelTotalSum: Count
    onlineOnTimeSum: Count
    onlineOverdueSum: Count


class OnlineChild(TreeChildId, _TreeScore):
    """Children carry only the score and ratio."""


class OnlineMonth(Model):
    label: str
    onlineDossierPct: Ratio


class OnlineTree(Model):
    parent: OnlineParent | None
    children: list[OnlineChild] | None
    monthlyChart: list[OnlineMonth] | None = None


class _PaymentFigures(_TreeScore):
    totalDossierOnlinePaymentSuccess: Count
    totalDossierFinancialObligation: Count
    totalDossierOnlineFormalityPaymentSuccess: Count
    totalFeeDossierFormalityDistinct: Count
    totalFeeDossierFormality: Count
    totalFeeFormality: Count


class PaymentParent(TreeParentId, _PaymentFigures):
    pass


class PaymentChild(TreeChildId, _PaymentFigures):
    pass


class PaymentTree(Model):
    parent: PaymentParent | None
    children: list[PaymentChild] | None


# --- service-results ----------------------------------------------------------------------------------


class SrOverview(Model):
    departmentName: Text
    departmentCode: UnitCode | None
    totalScore: Number
    ratio: Ratio
    totalMaxScore: MaxScore

    @model_validator(mode="after")
    def _score_within_max(self) -> SrOverview:
        check_score(self.totalScore, self.totalMaxScore, "totalScore")
        return self


class RadarItem(Model):
    code: str
    name: Text
    score: Number
    maxScore: MaxScore
    ratio: Ratio


class DonutSlice(Model):
    code: str
    name: Text
    value: Count
    percent: Ratio


class Donuts(Model):
    onlineDossier: list[DonutSlice] | None
    onlineProvision: list[DonutSlice] | None


class GroupScores(Model):
    CKMB: Number
    TDGQ: Number
    CLGQ: Number
    TTTT: Number
    MDHL: Number
    MDSH: Number


class SrRow(Model):
    departmentId: str
    departmentName: Text
    departmentCode: UnitCode
    totalScore: Number
    ratio: Ratio
    scoreDelta: Signed

    @model_validator(mode="after")
    def _score_within_max(self) -> SrRow:
        check_score(self.totalScore, 100.0, "totalScore")
        return self


class SrNationalRow(SrRow):
    groupScores: GroupScores


class SrProvinceRow(SrRow):
    childGroup: str


class SrMonth(Model):
    month: str
    averageScore: Number


class SrDossierMonth(Model):
    month: str
    onTimePct: Ratio
    overduePct: Ratio


class _ServiceResults(Model):
    overview: SrOverview
    growthPercent: Signed
    radar: list[RadarItem]
    donuts: Donuts | None
    monthlyChart: list[SrMonth]
    dossierChart: list[SrDossierMonth]


class ServiceResultsNational(_ServiceResults):
    evaluation: list[SrNationalRow]


class ServiceResultsProvince(_ServiceResults):
    evaluation: list[SrProvinceRow]


# --- formalities (the procedure catalogue) ------------------------------------------------------------


class Formality(Model):
    id: str
    code: str
    name: Text
    state: str
    departmentId: str | None
    publishingDepartmentIds: list[str]
    appliedDepartmentIds: list[str]


class Formalities(Model):
    items: list[Formality]
    pagination: Pagination


class Envelope(Model):
    """``{"code":"OK","data":{...},"message":"OK"}`` around every answer; ``data`` typed later."""

    code: str | None
    data: Any
    message: str | None
