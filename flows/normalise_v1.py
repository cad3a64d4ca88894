"""Normalise a v1 API capture (``/api/v1/reporting/...``) into landing rows. Pure, no I/O.

Scope rules. A ``national`` capture (``departmentType: ADMINISTRATIVE_UNIT``) lists one row per
province: each row lands on that province (``province_code`` = the row's code); the national
aggregate (``overview``/``parent`` = "Cả nước") has no unit code and is not landed. A province
capture lands ``overview``/``parent`` on the province asked for (after checking it *is* that
province) and each child on its own code with ``province_code`` = the province.

What lands where (indicator codes: :mod:`flows.indicators`):

* service-results national: TOTAL per province (score ``totalScore``, rank by ``totalScore``
  descending, ties sharing a rank, over all rows) and the six ``groupScores``.
* service-results province: the province's TOTAL from ``overview``; each child's TOTAL with its rank
  among the province's children; ``donuts`` as ``ONLINE_PROVISION_*`` / ``ONLINE_DOSSIER_CHANNEL`` /
  ``OTHER_DOSSIER_CHANNEL`` on the province (numerator = the slice's value, denominator = the sum of
  the donut's values, value = the portal's percent). The same codes also come from
  provide-online-tree: the ``endpoint`` column tells them apart.
* Shape A (transparency, handling-satisfaction, dossier-digitized): the group score per unit and
  one indicator row per metric (``dataQualityStatus`` → ``quality_flag``).
* Tree endpoints: the group score per unit and the count indicators of docs/architecture.md.
* formalities: nothing (a catalogue, not figures).

Tree rows are read by the fields they carry rather than by position (the progress tree's parent
says ``totalScore``/``totalCompleted``, its children ``score``/``totalOverdue``), because the
national-mode shape of the tree endpoints has never been captured.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from dvc766.provinces import province_by_code
from flows.capture import Capture
from flows.errors import EnvelopeError, NotPublishedError, SchemaChangeError, WrongScopeError
from flows.indicators import BY_CODE
from flows.landing_schema import GROUP_MAX
from flows.normalise import Checker, Rows, child_kind_for, competition_ranks, empty_tables, load_json, pct

log = logging.getLogger(__name__)

SHAPE_A_GROUP = {
    "evaluation/transparency": "CKMB",
    "evaluation/handling-satisfaction": "MDHL",
    "evaluation/dossier-digitized": "MDSH",
}
TREE_GROUP = {
    "evaluation/dvc-progress-tree": "TDGQ",
    "evaluation/provide-online-tree": "CLGQ",
    "evaluation/formality-online-payment-tree": "TTTT",
}
SHAPE_A_CHILD_TYPES = {"PROVINCIAL_DEPARTMENT": False, "COMMUNE_PEOPLE_COMMITTEE": True}
TREE_CHILD_LEVELS = {"PROVINCE": False, "COMMUNE": True}
CHILD_GROUPS = {"AGENCY": False, "COMMUNE": True}
DONUT_CODES = {
    "onlineProvision": {
        "FULL": "ONLINE_PROVISION_FULL",
        "PARTIAL": "ONLINE_PROVISION_PARTIAL",
        "NONE": "ONLINE_PROVISION_NONE",
    },
    "onlineDossier": {"ONLINE": "ONLINE_DOSSIER_CHANNEL", "OTHER": "OTHER_DOSSIER_CHANNEL"},
}


def normalise_v1(capture: Capture, id_to_code: Mapping[str, str] | None = None) -> dict[str, pa.Table]:
    doc = load_json(capture)
    if not isinstance(doc, dict) or doc.get("code") != "OK" or "data" not in doc:
        msg = doc.get("message") if isinstance(doc, dict) else None
        raise EnvelopeError(
            f"{capture.endpoint}: envelope is not {{'code':'OK','data':...}} ({msg!r})", capture
        )
    data = doc["data"]
    if capture.endpoint == "formalities":
        return empty_tables()
    n = _V1(capture, data, id_to_code or {})
    if capture.endpoint == "evaluation/service-results":
        n.service_results()
    elif capture.endpoint in SHAPE_A_GROUP:
        n.shape_a(SHAPE_A_GROUP[capture.endpoint])
    elif capture.endpoint in TREE_GROUP:
        n.tree(TREE_GROUP[capture.endpoint])
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
    def __init__(self, capture: Capture, data: Any, id_to_code: Mapping[str, str]) -> None:
        self.c = capture
        self.ck = Checker(capture)
        self.rows = Rows(capture)
        self.data = data
        self.id_to_code = id_to_code
        self.national = capture.scope == "national"
        self.unresolved = 0
        if not isinstance(data, dict):
            raise self.ck.schema("data", "data", f"expected an object, got {type(data).__name__}")

    # --- identity -----------------------------------------------------------------------------

    def _row_code(self, row: Any, where: str) -> str | None:
        """The row's code: ``departmentCode`` when present, else via ``departmentId``; None = drop."""
        if isinstance(row, dict) and row.get("departmentCode") is not None:
            return self.ck.code(row["departmentCode"], "departmentCode", where)
        uid = self.ck.text(row, "departmentId", where, nullable=False)
        code = self.id_to_code.get(uid)
        if code is None:
            self.unresolved += 1
            return None
        return self.ck.code(code, "departmentId→code", where)

    def _check_top(self, top: dict[str, Any], where: str) -> None:
        """The overview/parent must be the province asked for (else the body answers another request)."""
        if self.national:
            return
        scope = self.c.scope
        code = top.get("departmentCode")
        if code is not None:
            got = self.ck.code(code, "departmentCode", where)
        else:
            uid = top.get("departmentId")
            known = province_by_code().get(scope)
            if uid is None or known is None:
                return
            got = scope if uid == known.department_id else self.id_to_code.get(uid, f"id {uid}")
        if got != scope:
            raise WrongScopeError(
                f"{self.c.endpoint} {self.c.period.key}: asked for {scope}, the body describes {got}", self.c
            )

    def _child_province(self, code: str) -> str:
        return code if self.national else self.c.scope

    def _unit_seen(self, row: dict[str, Any], code: str, kind: str, where: str) -> None:
        name = self.ck.text(row, "departmentName", where) if "departmentName" in row else None
        uid = row.get("departmentId") if isinstance(row.get("departmentId"), str) else None
        parent = None if self.national else self.c.scope
        self.rows.unit(code, self._child_province(code), kind, uid, name, parent)

    # --- service-results ----------------------------------------------------------------------

    def service_results(self) -> None:
        ck, d = self.ck, self.data
        overview = ck.obj(d, "overview", "data")
        evaluation = ck.array(d, "evaluation", "data")
        assert evaluation is not None
        self._check_top(overview, "overview")
        total = ck.num(overview, "totalScore", "overview")
        if total is None and not any(
            isinstance(r, dict) and r.get("totalScore") is not None for r in evaluation
        ):
            raise NotPublishedError(
                f"service-results {self.c.scope} {self.c.period.key}: not published yet", self.c
            )
        if not self.national:
            scope = self.c.scope
            ratio = ck.ratio(overview, "ratio", "overview")
            max_total = ck.num(overview, "totalMaxScore", "overview")
            ck.score(total, max_total, "totalScore", "overview")
            self.rows.score(scope, scope, "TOTAL", total, max_total, ratio)
            self.rows.unit(
                scope, scope, "province", None, ck.text(overview, "departmentName", "overview"), None
            )
            self._donuts(ck.obj(d, "donuts", "data", nullable=True))
        rows: list[tuple[dict[str, Any], str, float | None, str]] = []
        for i, r in enumerate(evaluation):
            where = f"evaluation[{i}]"
            code = self._row_code(r, where)
            if code is None:
                continue
            rows.append((r, code, ck.num(r, "totalScore", where), where))
        ranks = competition_ranks([s for _, _, s, _ in rows])
        for (r, code, score, where), rank in zip(rows, ranks, strict=True):
            ck.score(score, 100.0, "totalScore", where)
            ratio = ck.ratio(r, "ratio", where)
            province = self._child_province(code)
            self.rows.score(code, province, "TOTAL", score, 100.0, ratio, rank, len(evaluation))
            if self.national:
                groups = ck.obj(r, "groupScores", where)
                for g in GROUP_MAX:
                    gs = ck.score(ck.num(groups, g, f"{where}.groupScores"), GROUP_MAX[g], g, where)
                    self.rows.score(
                        code, province, g, gs, GROUP_MAX[g], None if gs is None else 100 * gs / GROUP_MAX[g]
                    )
                self._unit_seen(r, code, "province", where)
            else:
                group = ck.text(r, "childGroup", where, nullable=False)
                if group not in CHILD_GROUPS:
                    raise ck.schema(where, "childGroup", f"unknown value {group!r}")
                self._unit_seen(r, code, child_kind_for(self.c.period.end, CHILD_GROUPS[group]), where)

    def _donuts(self, donuts: dict[str, Any] | None) -> None:
        if donuts is None:
            return
        scope = self.c.scope
        for key, codes in DONUT_CODES.items():
            slices = self.ck.array(donuts, key, "donuts", nullable=True) if key in donuts else None
            if not slices:
                continue
            parsed = []
            for i, s in enumerate(slices):
                where = f"donuts.{key}[{i}]"
                code = self.ck.text(s, "code", where, nullable=False)
                if code not in codes:
                    raise self.ck.schema(where, "code", f"unknown donut slice {code!r}")
                parsed.append(
                    (codes[code], self.ck.count(s, "value", where), self.ck.ratio(s, "percent", where))
                )
            values = [v for _, v, _ in parsed]
            total = None if any(v is None for v in values) else sum(v for v in values if v is not None)
            for ind, value, percent in parsed:
                self.rows.indicator(scope, scope, ind, "CLGQ", num=value, den=total, value=percent)

    # --- Shape A ------------------------------------------------------------------------------

    def shape_a(self, group: str) -> None:
        ck, d = self.ck, self.data
        overview = ck.obj(d, "overview", "data")
        evaluation = ck.array(d, "evaluation", "data")
        assert evaluation is not None
        self._check_top(overview, "overview")
        if ck.num(overview, "totalScore", "overview") is None and not any(
            isinstance(r, dict) and r.get("totalScore") is not None for r in evaluation
        ):
            raise NotPublishedError(
                f"{self.c.endpoint} {self.c.scope} {self.c.period.key}: not published yet", self.c
            )
        if not self.national:
            scope = self.c.scope
            self._shape_a_unit(overview, scope, group, "overview")
            self.rows.unit(
                scope, scope, "province", overview.get("departmentId"), overview.get("departmentName"), None
            )
        for i, r in enumerate(evaluation):
            where = f"evaluation[{i}]"
            code = self._row_code(r, where)
            if code is None:
                continue
            self._shape_a_unit(r, code, group, where)
            if self.national:
                kind = "province"
            else:
                dtype = ck.text(r, "departmentType", where, nullable=False)
                if dtype not in SHAPE_A_CHILD_TYPES:
                    raise ck.schema(where, "departmentType", f"unknown value {dtype!r}")
                kind = child_kind_for(self.c.period.end, SHAPE_A_CHILD_TYPES[dtype])
            self._unit_seen(r, code, kind, where)

    def _shape_a_unit(self, row: dict[str, Any], code: str, group: str, where: str) -> None:
        ck = self.ck
        province = self._child_province(code) if where != "overview" else code
        max_score = ck.num(row, "totalMaxScore", where)
        score = ck.score(ck.num(row, "totalScore", where), max_score, "totalScore", where)
        self.rows.score(code, province, group, score, max_score, ck.ratio(row, "ratio", where))
        metrics = ck.array(row, "metrics", where)
        assert metrics is not None
        for j, m in enumerate(metrics):
            mw = f"{where}.metrics[{j}]"
            mcode = ck.text(m, "code", mw, nullable=False)
            assert mcode is not None
            if mcode not in BY_CODE or BY_CODE[mcode].is_group:
                raise ck.schema(mw, "code", f"unknown metric code {mcode!r}")
            num, den = ck.count(m, "numerator", mw), ck.count(m, "denominator", mw)
            ck.pair(num, den, f"{mcode}.numerator/denominator", mw)
            mmax = ck.num(m, "maxScore", mw)
            mscore = ck.score(ck.num(m, "score", mw), mmax, "score", mw)
            flag = m.get("dataQualityStatus")
            if flag is not None and not isinstance(flag, str):
                raise ck.schema(mw, "dataQualityStatus", "expected a string")
            self.rows.indicator(
                code,
                province,
                mcode,
                BY_CODE[mcode].group_code,
                num=num,
                den=den,
                value=ck.ratio(m, "ratio", mw),
                score=mscore,
                max_score=mmax,
                flag=flag,
            )

    # --- Shape B (trees) ----------------------------------------------------------------------

    def tree(self, group: str) -> None:
        ck, d = self.ck, self.data
        parent = ck.obj(d, "parent", "data", nullable=True)
        children = ck.array(d, "children", "data", nullable=True) or []
        if parent is None and not children:
            raise NotPublishedError(
                f"{self.c.endpoint} {self.c.scope} {self.c.period.key}: not published yet", self.c
            )
        if parent is not None:
            self._check_top(parent, "parent")
        if parent is not None and not self.national:
            scope = self.c.scope
            self._tree_unit(parent, scope, scope, group, "parent")
            self.rows.unit(
                scope, scope, "province", parent.get("departmentId"), parent.get("departmentName"), None
            )
        for i, r in enumerate(children):
            where = f"children[{i}]"
            code = self._row_code(r, where)
            if code is None:
                continue
            self._tree_unit(r, code, self._child_province(code), group, where)
            if self.national:
                kind = "province"
            else:
                level = ck.text(r, "level", where, nullable=False)
                if level not in TREE_CHILD_LEVELS:
                    raise ck.schema(where, "level", f"unknown value {level!r}")
                kind = child_kind_for(self.c.period.end, TREE_CHILD_LEVELS[level])
            self._unit_seen(r, code, kind, where)

    def _tree_unit(self, r: dict[str, Any], code: str, province: str, group: str, where: str) -> None:
        ck = self.ck
        # Naming switch on the progress tree: parent totalScore/totalMaxScore, child score/maxScore.
        if group == "TDGQ" and "totalScore" not in r:
            max_score = ck.num(r, "maxScore", where)
            score = ck.score(ck.num(r, "score", where), max_score, "score", where)
        else:
            max_score = ck.num(r, "totalMaxScore", where)
            score = ck.score(ck.num(r, "totalScore", where), max_score, "totalScore", where)
        ratio = ck.ratio(r, "ratio", where)
        self.rows.score(code, province, group, score, max_score, ratio)
        ind = self.rows.indicator

        def cnt(field: str) -> int | None:
            return ck.count(r, field, where)

        def frac(name: str, num: int | None, den: int | None, **kw: Any) -> None:
            ck.pair(num, den, f"{name} numerator/denominator", where)
            kw.setdefault("value", pct(num, den))
            ind(code, province, name, group, num=num, den=den, **kw)

        if group == "TDGQ":
            received, on_time = cnt("totalReceived"), cnt("totalOnTime")
            frac("PROGRESS_ON_TIME", on_time, received, value=ratio, score=score, max_score=max_score)
            if "totalOverdue" not in r:
                overdue = None if received is None or on_time is None else received - on_time
                if overdue is not None and overdue < 0:
                    raise ck.quarantine(where, "totalOnTime", on_time, "above totalReceived")
            else:
                overdue = cnt("totalOverdue")
            frac("PROGRESS_OVERDUE", overdue, received)
            if "totalCompleted" in r:
                frac("PROGRESS_COMPLETED", cnt("totalCompleted"), received)
            ind(code, province, "PROGRESS_AVG_DAYS", group, value=ck.num(r, "avgProcessingDays", where))
        elif group == "CLGQ":
            ind(code, province, "ONLINE_SERVICE_RATE", group, value=ratio, score=score, max_score=max_score)
            if "authorityCount" not in r:
                return  # children carry only the score and ratio
            authority = cnt("authorityCount")
            frac("ONLINE_TREE_PARTIAL", cnt("partialCount"), authority)
            frac("ONLINE_TREE_FULL", cnt("fullCount"), authority)
            ch_total = cnt("channelTotalSum")
            online, direct, postal = cnt("channelOnlineSum"), cnt("channelDirectSum"), cnt("channelPostalSum")
            frac("ONLINE_TREE_CHANNEL_ONLINE", online, ch_total)
            other = None if direct is None or postal is None else direct + postal
            frac("ONLINE_TREE_CHANNEL_OTHER", other, ch_total)
            on_t, over = cnt("onlineOnTimeSum"), cnt("onlineOverdueSum")
            handled = None if on_t is None or over is None else on_t + over
            frac("ONLINE_ON_TIME", on_t, handled)
            frac("ONLINE_OVERDUE", over, handled)
            frac("ONLINE_SERVICE_WITH_DOSSIER", cnt("onlineDossierCount"), cnt("onlineServiceTotal"))
        else:  # TTTT
            fee = cnt("totalFeeFormality")
            frac(
                "PAYMENT_ONLINE_DOSSIER",
                cnt("totalDossierOnlinePaymentSuccess"),
                cnt("totalDossierFinancialObligation"),
                score=score,
                max_score=max_score,
            )
            frac("PAYMENT_FEE_FORMALITY_OFFERED", cnt("totalFeeDossierFormalityDistinct"), fee)
            frac("PAYMENT_FORMALITY_PAID", cnt("totalDossierOnlineFormalityPaymentSuccess"), fee)
            with_dossier = cnt("totalFeeDossierFormality")
            if with_dossier is not None and fee is not None and with_dossier > fee:
                # Not a proven part of totalFeeFormality (its name, without "Distinct", reads as a
                # count over units; Thái Nguyên's 2023 appendix has 213 such procedures against 182
                # fee-bearing ones). Land both counts, flagged so the warehouse warns instead of
                # quarantining the province's whole view over a field no appendix line uses.
                ind(code, province, "PAYMENT_FEE_FORMALITY_WITH_DOSSIER", group, num=with_dossier, den=fee,
                    flag="ABOVE_BASE")  # fmt: skip
            else:
                frac("PAYMENT_FEE_FORMALITY_WITH_DOSSIER", with_dossier, fee)
