"""Normalise a v1 API capture (``/api/v1/reporting/...``) into landing rows. Pure, no I/O.

The body is read through the v1 contract (:func:`flows.sources.v1.parse_v1`: the same parse the
client made at fetch time, so envelope, not-published, scope and value rules are not checked again
here); this module only maps the typed objects to rows.

Scope rules. A ``national`` capture (``departmentType: ADMINISTRATIVE_UNIT``) lists one row per
province: each row lands on that province (``province_code`` = the row's code); the national
aggregate (``overview``/``parent`` = "Cả nước") has no unit code and is not landed. A province
capture lands ``overview``/``parent`` on the province asked for and each child on its own code with
``province_code`` = the province. A per-procedure capture (``formalityId``) lands the same rows in
the ``procedure_*`` datasets, keyed by the procedure's ID too.

What lands where (indicator codes: :mod:`dvc766.indicators`):

* service-results national: TOTAL per province (score ``totalScore``, rank by ``totalScore``
  descending, ties sharing a rank, over all rows) and the six ``groupScores``.
* service-results province: the province's TOTAL from ``overview``; each child's TOTAL with its rank
  among the province's children; ``donuts`` as ``ONLINE_PROVISION_*`` / ``ONLINE_DOSSIER_CHANNEL`` /
  ``OTHER_DOSSIER_CHANNEL`` on the province (numerator = the slice's value, denominator = the sum of
  the donut's values, value = the portal's percent).
* Shape A (transparency, handling-satisfaction, dossier-digitized): the group score per unit and
  one indicator row per metric (``dataQualityStatus`` → ``quality_flag``).
* Tree endpoints: the group score per unit and the count indicators of docs/architecture.md.
* formalities: the catalogue rows (``formalities``: code, name, state, owning and applying
  departments).
* Fields the contract does not know: one ``schema_drift`` row each (the known fields still land).

A numerator above its denominator quarantines the body where the indicator's pair nests
(:attr:`dvc766.indicators.Indicator.nests`); where it does not, both counts land as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from dvc766.indicators import BY_CODE
from dvc766.landing_schema import GROUP_MAX
from dvc766.periods import VN_TZ
from dvc766.provinces import NATIONAL_UNIT, split_scope
from flows.capture import Capture
from flows.errors import QuarantineError, SchemaChangeError
from flows.landing_rows import Rows, child_kind_for, competition_ranks, pct
from flows.sources.v1 import V1Body, parse_v1
from flows.sources.v1 import models as m
from flows.sources.v1.settings import (
    CHILD_GROUPS,
    DONUT_CODES,
    FORMALITIES,
    SERVICE_RESULTS,
    SHAPE_A_CHILD_TYPES,
    SHAPE_A_GROUP,
    TREE_CHILD_LEVELS,
    TREE_GROUP,
)

log = logging.getLogger(__name__)


def normalise_v1(
    capture: Capture, id_to_code: Mapping[str, str] | None = None, drift_mode: str = "record"
) -> dict[str, pa.Table]:
    body = parse_v1(capture, drift_mode)
    n = _V1(capture, body, id_to_code or {})
    if capture.endpoint == SERVICE_RESULTS:
        n.service_results()
    elif capture.endpoint in SHAPE_A_GROUP:
        n.shape_a(SHAPE_A_GROUP[capture.endpoint])
    elif capture.endpoint in TREE_GROUP:
        n.tree(TREE_GROUP[capture.endpoint])
    elif capture.endpoint == FORMALITIES:
        for item in body.data.items:
            n.rows.formality(item)
    else:
        raise SchemaChangeError(f"unknown v1 endpoint {capture.endpoint!r}", capture)
    if n.unresolved:
        log.warning(
            "%s %s %s: dropped %d row(s) whose departmentId has no known departmentCode",
            capture.endpoint,
            capture.scope,
            capture.period.key,
            n.unresolved,
        )
    return n.rows.tables()


class _V1:
    def __init__(self, capture: Capture, body: V1Body, id_to_code: Mapping[str, str]) -> None:
        self.c = capture
        self.body = body
        self.rows = Rows(capture, body.formality_id)
        self.id_to_code = id_to_code
        self.national = body.national
        # the province asked for (a per-procedure request's scope is ``H55~<procedure code>``)
        self.province = split_scope(capture.scope)[0]
        self._period_end = capture.period.end  # asked of every child row (its kind)
        self.unresolved = 0
        self.rows.drift(body.drift)

    # --- identity -----------------------------------------------------------------------------

    def _where(self, where: str) -> str:
        return f"{self.c.api} {self.c.endpoint} ({self.c.scope}, {self.c.period.key}) {where}"

    def _schema(self, where: str, field: str, msg: str) -> SchemaChangeError:
        return SchemaChangeError(f"{self._where(where)}: field {field!r} {msg}", self.c)

    def _row_code(self, row: Any) -> str | None:
        """The row's code: ``departmentCode`` when present, else via ``departmentId``; None = drop."""
        code = getattr(row, "departmentCode", None)
        if code is not None:
            return code
        code = self.id_to_code.get(row.departmentId)
        if code is None:
            self.unresolved += 1
        return code

    def _child_province(self, code: str) -> str:
        return code if self.national else self.province

    @property
    def _head(self) -> str:
        """Who the overview/parent describes: the province asked for, or the country (VN)."""
        return NATIONAL_UNIT if self.national else self.province

    def _delta(self, unit: str, province: str, group: str, value: float | None) -> None:
        """The portal's own change since the previous period (``scoreDelta``), where it gives one."""
        if value is not None:
            self.rows.indicator(unit, province, f"{group}_SCORE_DELTA", group, value=value)

    def _series(self, code: str, points: list[tuple[str, float | None]], *, whole_year: bool = False) -> None:
        """A month series of the year as this capture reports it, on the unit the body describes.

        Every chart has twelve points, but most report only the months of the period asked for and
        pad the rest: the trees' ``monthlyChart`` with 0, service-results' ``dossierChart`` with null
        (a month view of August says 0 for July). Those pads are not reports and do not land — a
        later capture of September would otherwise overwrite August's real figure with its pad.
        Service-results' ``monthlyChart`` (``whole_year``) reports every month of the year whatever
        the period; there only its nulls outside the period (months not reported yet) are pads. A
        year view (``year``, or the running year at a month end, ``ytd``) covers the months begun when
        it was captured: a running year asked on 10/10 reports October so far, not November.
        """
        period = self.c.period
        year, first, last = period.year, period.start.month, period.end.month
        if period.period_type in ("year", "ytd"):
            seen = self.c.captured_at.astimezone(VN_TZ).date()
            last = 12 if seen.year > year else max(last, seen.month) if seen.year == year else last
        for month, value in points:
            if not (len(month) == 2 and month.isdigit() and 1 <= int(month) <= 12):
                continue
            if not first <= int(month) <= last and (not whole_year or value is None):
                continue
            self.rows.series(self._head, self._head, code, f"{year:04d}-{month}", value)

    def _country(self, name: str | None) -> None:
        self.rows.unit(NATIONAL_UNIT, NATIONAL_UNIT, "country", None, name, None)

    def _unit_seen(self, row: Any, code: str, kind: str) -> None:
        parent = None if self.national else self.province
        self.rows.unit(code, self._child_province(code), kind, row.departmentId, row.departmentName, parent)

    def _kind(self, labels: dict[str, bool], value: str, where: str, field: str) -> str:
        if self.national:
            return "province"
        if value not in labels:
            raise self._schema(where, field, f"has an unknown value {value!r}")
        return child_kind_for(self._period_end, labels[value])

    def _pair(self, code: str, num: int | None, den: int | None, where: str) -> None:
        """Quarantine a numerator above its denominator where the indicator's pair nests."""
        if num is not None and den is not None and num > den and BY_CODE[code].nests:
            raise QuarantineError(
                f"{self._where(where)}: field '{code}.numerator/denominator' = '{num}/{den}': "
                "numerator above denominator",
                self.c,
            )

    # --- service-results ----------------------------------------------------------------------

    def service_results(self) -> None:
        d = self.body.data
        overview = d.overview
        head = self._head
        self.rows.score(head, head, "TOTAL", overview.totalScore, overview.totalMaxScore, overview.ratio)
        if self.national:
            self._country(overview.departmentName)
        else:
            self.rows.unit(head, head, "province", None, overview.departmentName, None)
        self._donuts(d.donuts)
        if d.growthPercent is not None:
            self.rows.indicator(head, head, "TOTAL_SCORE_GROWTH", "TOTAL", value=d.growthPercent)
        for item in d.radar:
            if f"RADAR_{item.code}" in BY_CODE:
                self.rows.indicator(head, head, f"RADAR_{item.code}", "TOTAL", value=item.ratio, score=item.score,
                                    max_score=item.maxScore)  # fmt: skip
        self._series(
            "SR_MONTH_AVERAGE_SCORE", [(p.month, p.averageScore) for p in d.monthlyChart], whole_year=True
        )
        self._series("SR_MONTH_ON_TIME_PCT", [(p.month, p.onTimePct) for p in d.dossierChart])
        self._series("SR_MONTH_OVERDUE_PCT", [(p.month, p.overduePct) for p in d.dossierChart])
        rows = d.evaluation
        ranks = competition_ranks([r.totalScore for r in rows])
        for i, (r, rank) in enumerate(zip(rows, ranks, strict=True)):
            code = r.departmentCode
            province = self._child_province(code)
            self.rows.score(code, province, "TOTAL", r.totalScore, 100.0, r.ratio, rank, len(rows))
            self._delta(code, province, "TOTAL", r.scoreDelta)
            if self.national:
                for g, gmax in GROUP_MAX.items():
                    gs = getattr(r.groupScores, g)
                    if gs is not None and gs > gmax + 0.005:
                        raise QuarantineError(
                            f"{self._where(f'evaluation[{i}]')}: field '{g}' = {gs!r}: a score above its "
                            f"maximum {gmax:g}",
                            self.c,
                        )
                    self.rows.score(code, province, g, gs, gmax, None if gs is None else 100 * gs / gmax)
            kind = self._kind(CHILD_GROUPS, getattr(r, "childGroup", ""), f"evaluation[{i}]", "childGroup")
            self._unit_seen(r, code, kind)

    def _donuts(self, donuts: m.Donuts | None) -> None:
        if donuts is None:
            return
        scope = self._head
        for key, codes in DONUT_CODES.items():
            slices = getattr(donuts, key)
            if not slices:
                continue
            for j, s in enumerate(slices):
                if s.code not in codes:
                    raise self._schema(f"donuts.{key}[{j}]", "code", f"has an unknown donut slice {s.code!r}")
            values = [s.value for s in slices]
            total = None if any(v is None for v in values) else sum(v for v in values if v is not None)
            for s in slices:
                self.rows.indicator(
                    scope, scope, codes[s.code], "CLGQ", num=s.value, den=total, value=s.percent
                )

    # --- Shape A ------------------------------------------------------------------------------

    def shape_a(self, group: str) -> None:
        d = self.body.data
        ov, head = d.overview, self._head
        self._shape_a_unit(ov, head, head, group, "overview")
        if self.national:
            self._country(ov.departmentName)
        else:
            self.rows.unit(head, head, "province", ov.departmentId, ov.departmentName, None)
        for i, r in enumerate(d.evaluation):
            where = f"evaluation[{i}]"
            code = self._row_code(r)
            if code is None:
                continue
            self._shape_a_unit(r, code, self._child_province(code), group, where)
            self._unit_seen(
                r, code, self._kind(SHAPE_A_CHILD_TYPES, r.departmentType, where, "departmentType")
            )

    def _shape_a_unit(self, row: m.ShapeARow, code: str, province: str, group: str, where: str) -> None:
        self.rows.score(code, province, group, row.totalScore, row.totalMaxScore, row.ratio)
        self._delta(code, province, group, row.scoreDelta)
        average = getattr(row, "averageScore", None)
        if average is not None:
            self.rows.indicator(code, province, f"{group}_AVERAGE_SCORE", group, value=average)
        if isinstance(row, m.SatisfactionRow | m.SatisfactionOverview):
            ind = self.rows.indicator
            if row.totalPetitions is not None:
                ind(code, province, "PETITIONS_RECEIVED", group, num=row.totalPetitions)
            if row.classifiedPetitions is not None:
                ind(
                    code,
                    province,
                    "PETITIONS_CLASSIFIED",
                    group,
                    num=row.classifiedPetitions,
                    den=row.totalPetitions,
                )
            if row.totalDossiers is not None:
                ind(code, province, "DOSSIERS_RATED", group, num=row.totalDossiers)
        for j, metric in enumerate(row.metrics):
            known = BY_CODE.get(metric.code)
            if known is None or known.is_group:
                continue  # a metric code the catalogue does not know: reported as drift by the contract
            self._pair(metric.code, metric.numerator, metric.denominator, f"{where}.metrics[{j}]")
            self.rows.indicator(
                code,
                province,
                metric.code,
                known.group_code,
                num=metric.numerator,
                den=metric.denominator,
                value=metric.ratio,
                score=metric.score,
                max_score=metric.maxScore,
                flag=metric.dataQualityStatus,
            )

    # --- Shape B (trees) ----------------------------------------------------------------------

    def tree(self, group: str) -> None:
        d = self.body.data
        head = self._head
        if d.parent is not None:
            self._tree_unit(d.parent, head, head, group, "parent")
            if self.national:
                self._country(d.parent.departmentName)
            else:
                self.rows.unit(head, head, "province", d.parent.departmentId, d.parent.departmentName, None)
        chart = getattr(d, "monthlyChart", None) or []
        if group == "TDGQ":
            self._series("PROGRESS_MONTH_ON_TIME_PCT", [(p.month, p.onTimePct) for p in chart])
            self._series("PROGRESS_MONTH_OVERDUE_PCT", [(p.month, p.overduePct) for p in chart])
        elif group == "CLGQ":
            self._series("ONLINE_MONTH_DOSSIER_PCT", [(p.label, p.onlineDossierPct) for p in chart])
        for i, r in enumerate(d.children or []):
            where = f"children[{i}]"
            code = self._row_code(r)
            if code is None:
                continue
            self._tree_unit(r, code, self._child_province(code), group, where)
            self._unit_seen(r, code, self._kind(TREE_CHILD_LEVELS, r.level, where, "level"))

    def _tree_unit(self, r: Any, code: str, province: str, group: str, where: str) -> None:
        if isinstance(r, m.ProgressChild):  # the naming switch: children say score/maxScore
            score, max_score = r.score, r.maxScore
        else:
            score, max_score = r.totalScore, r.totalMaxScore
        self.rows.score(code, province, group, score, max_score, r.ratio)
        if isinstance(r, m.TreeChildId):
            self._delta(code, province, group, r.scoreDelta)
        ind = self.rows.indicator

        def frac(name: str, num: int | None, den: int | None, **kw: Any) -> None:
            self._pair(name, num, den, where)
            above = num is not None and den is not None and num > den  # only where the pair does not nest
            kw.setdefault("value", None if above else pct(num, den))
            ind(code, province, name, group, num=num, den=den, **kw)

        if group == "TDGQ":
            received, on_time = r.totalReceived, r.totalOnTime
            frac("PROGRESS_ON_TIME", on_time, received, value=r.ratio, score=score, max_score=max_score)
            if isinstance(r, m.ProgressParent):
                overdue = None if received is None or on_time is None else received - on_time
                if overdue is not None and overdue < 0:
                    raise QuarantineError(
                        f"{self._where(where)}: field 'totalOnTime' = {on_time!r}: above totalReceived",
                        self.c,
                    )
                frac("PROGRESS_OVERDUE", overdue, received)
                frac("PROGRESS_COMPLETED", r.totalCompleted, received)
            else:
                frac("PROGRESS_OVERDUE", r.totalOverdue, received)
            ind(code, province, "PROGRESS_AVG_DAYS", group, value=r.avgProcessingDays)
        elif group == "CLGQ":
            ind(code, province, "ONLINE_SERVICE_RATE", group, value=r.ratio, score=score, max_score=max_score)
            if not isinstance(r, m.OnlineParent):
                return  # children carry only the score and ratio
            authority = r.authorityCount
            frac("ONLINE_TREE_PARTIAL", r.partialCount, authority)
            frac("ONLINE_TREE_FULL", r.fullCount, authority)
            ch_total = r.channelTotalSum
            frac("ONLINE_TREE_CHANNEL_ONLINE", r.channelOnlineSum, ch_total)
            direct, postal = r.channelDirectSum, r.channelPostalSum
            frac(
                "ONLINE_TREE_CHANNEL_OTHER",
                None if direct is None or postal is None else direct + postal,
                ch_total,
            )
            frac("ONLINE_TREE_CHANNEL_DIRECT", direct, ch_total)
            frac("ONLINE_TREE_CHANNEL_POSTAL", postal, ch_total)
            on_t, over = r.onlineOnTimeSum, r.onlineOverdueSum
            handled = None if on_t is None or over is None else on_t + over
            frac("ONLINE_ON_TIME", on_t, handled)
            frac("ONLINE_OVERDUE", over, handled)
            frac("ONLINE_SERVICE_WITH_DOSSIER", r.onlineDossierCount, r.onlineServiceTotal)
        else:  # TTTT
            fee = r.totalFeeFormality
            frac(
                "PAYMENT_ONLINE_DOSSIER",
                r.totalDossierOnlinePaymentSuccess,
                r.totalDossierFinancialObligation,
                score=score,
                max_score=max_score,
            )
            frac("PAYMENT_FEE_FORMALITY_OFFERED", r.totalFeeDossierFormalityDistinct, fee)
            frac("PAYMENT_FORMALITY_PAID", r.totalDossierOnlineFormalityPaymentSuccess, fee)
            frac("PAYMENT_FEE_FORMALITY_WITH_DOSSIER", r.totalFeeDossierFormality, fee)
