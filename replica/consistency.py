"""The replica's own consistency checks: every body it serves, read back and held against itself.

Why apart from ``replica.generator``: the checks read the bodies that ``replica.shapes`` builds from
the generator's counts, so they sit above both (``generator`` → ``shapes`` → here), not inside the
generator, where they made the two import each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from dvc766.periods import VN_TZ
from replica import legacy_shapes, shapes, summary_shape
from replica.generator import GROUP_MAX, GROUPS, Dataset
from replica.scoring import group_total, r2, ratio, total_score

# --- consistency -------------------------------------------------------------------------------


def check_consistency(dataset: Dataset, period_type: str, year: int, number: int = 0,
                      now: datetime | None = None, codes: Iterable[str] | None = None,
                      era: str | None = None) -> list[str]:  # fmt: skip
    """Check every province of a period (or those in ``codes``) through the bodies the replica
    serves; return one line per problem, none when healthy.

    Checked: ratios match their counts, children's counts sum to the province's, metric scores are
    within their maximum, group scores sum to the total (service-results and legacy rows), the
    national ranking is sorted by total, and each group endpoint's province total equals the group
    score service-results reports for that province. ``era`` picks the unit structure (default: the
    period's own, so the 63 pre-merger provinces with their districts before July 2025).
    """

    now = now or datetime(2100, 1, 1, tzinfo=VN_TZ)
    request = shapes.PeriodRequest(period_type, year, number, era=era)
    era = request.unit_era
    wanted = set(codes) if codes is not None else None
    problems: list[str] = []
    national = summary_shape.service_results(dataset, request, None, now)
    problems += check_service_results(national, national=True)
    for tree in dataset.provinces(era):
        if wanted is not None and tree.unit.code not in wanted:
            continue
        bodies = {
            ep: shapes.v1_body(dataset, ep, request, tree, now, page_size=100_000)
            for ep in shapes.GROUP_ENDPOINTS
        }
        bodies["evaluation/service-results"] = summary_shape.service_results(dataset, request, tree, now)
        problems += [f"{tree.unit.code}: {p}" for p in check_province_bodies(bodies)]
    legacy = legacy_shapes.legacy_ranking(dataset, request, None, now)
    problems += check_legacy_rows(legacy)
    return problems


def _close(a: float | None, b: float | None, tol: float = 0.011) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= tol


def _check_metric(where: str, m: dict) -> list[str]:
    out = []
    num, den, rat, score, mx = m["numerator"], m["denominator"], m["ratio"], m["score"], m["maxScore"]
    if num is not None and den is not None:
        if num > den:
            out.append(f"{where} {m['code']}: numerator {num} > denominator {den}")
        if den and rat != ratio(num, den):
            out.append(f"{where} {m['code']}: ratio {rat} != round(100*{num}/{den}, 2)")
    if score is not None and not 0 <= score <= mx:
        out.append(f"{where} {m['code']}: score {score} outside 0..{mx}")
    return out


def check_province_bodies(bodies: dict[str, dict]) -> list[str]:
    """Consistency of one province's ``data`` objects, keyed by endpoint."""
    out: list[str] = []
    groups: dict[str, float] = {}
    for ep, code in (("evaluation/transparency", "CKMB"), ("evaluation/handling-satisfaction", "MDHL"),
                     ("evaluation/dossier-digitized", "MDSH")):  # fmt: skip
        data = bodies[ep]
        rows = [data["overview"], *data["evaluation"]]
        for row in rows:
            for m in row["metrics"]:
                out += _check_metric(f"{ep} {row['departmentName']}", m)
            if not _close(row["totalScore"], group_total(row["metrics"])):
                out.append(f"{ep} {row['departmentName']}: totalScore != sum of metric scores")
            if not 0 <= row["totalScore"] <= row["totalMaxScore"]:
                out.append(f"{ep} {row['departmentName']}: totalScore above its maximum")
        for i, m in enumerate(data["overview"]["metrics"]):
            if m["numerator"] is None or m["code"] == "ELECTRONIC_CERTIFIED_COPY":
                continue
            for key in ("numerator", "denominator"):
                total = sum(r["metrics"][i][key] for r in data["evaluation"])
                if total != m[key]:
                    out.append(f"{ep} {m['code']}: children's {key} sum {total} != province {m[key]}")
        groups[code] = data["overview"]["totalScore"]
    tree = bodies["evaluation/dvc-progress-tree"]
    p = tree["parent"]
    for key in ("totalReceived", "totalOnTime"):
        if sum(c[key] for c in tree["children"]) != p[key]:
            out.append(f"dvc-progress-tree: children's {key} do not sum to the province's")
    if sum(c["totalOverdue"] for c in tree["children"]) != p["totalReceived"] - p["totalOnTime"]:
        out.append("dvc-progress-tree: children's totalOverdue != province received − on time")
    for row in [p, *tree["children"]]:
        rec, on = row["totalReceived"], row["totalOnTime"]
        if rec and row["ratio"] != ratio(on, rec):
            out.append(f"dvc-progress-tree {row['departmentCode']}: ratio does not match its counts")
        if on > rec:
            out.append(f"dvc-progress-tree {row['departmentCode']}: on time above received")
    for c in tree["children"]:
        if not 0 <= c["score"] <= c["maxScore"]:
            out.append(f"dvc-progress-tree {c['departmentCode']}: score above its maximum")
    groups["TDGQ"] = p["totalScore"]
    online = bodies["evaluation/provide-online-tree"]["parent"]
    if (
        online["channelTotalSum"]
        != online["channelOnlineSum"] + online["channelDirectSum"] + online["channelPostalSum"]
    ):
        out.append("provide-online-tree: channel sums do not add up")
    if online["onlineOnTimeSum"] + online["onlineOverdueSum"] != online["channelOnlineSum"]:
        out.append("provide-online-tree: online on time + overdue != online dossiers")
    if online["partialCount"] + online["fullCount"] > online["authorityCount"]:
        out.append("provide-online-tree: partial + full above authority count")
    groups["CLGQ"] = online["totalScore"]
    pay = bodies["evaluation/formality-online-payment-tree"]
    for key, value in pay["parent"].items():
        if key.startswith(("totalDossier", "totalFee")) and sum(c[key] for c in pay["children"]) != value:
            out.append(f"formality-online-payment-tree: children's {key} do not sum to the province's")
    for row in [pay["parent"], *pay["children"]]:
        if row["totalDossierOnlinePaymentSuccess"] > row["totalDossierFinancialObligation"]:
            out.append("formality-online-payment-tree: paid online above financial obligation")
        if not 0 <= row["totalScore"] <= row["totalMaxScore"]:
            out.append("formality-online-payment-tree: score above its maximum")
    groups["TTTT"] = pay["parent"]["totalScore"]
    sr = bodies["evaluation/service-results"]
    out += check_service_results(sr, national=False)
    radar = {r["code"]: r["score"] for r in sr["radar"]}
    expected = {"CKMB": groups["CKMB"], "TDGQ": groups["TDGQ"], "MDHL": groups["MDHL"], "MDSH": groups["MDSH"],
                "ONLINE_SERVICE": r2(groups["CLGQ"] + groups["TTTT"])}  # fmt: skip
    for code, value in expected.items():
        if not _close(radar.get(code), value):
            out.append(f"service-results radar {code} {radar.get(code)} != group endpoint total {value}")
    if not _close(sr["overview"]["totalScore"], total_score(groups)):
        out.append("service-results total != sum of the six group endpoint totals")
    return out


def check_service_results(data: dict, *, national: bool) -> list[str]:
    out = []
    rows = data["evaluation"]
    totals = [r["totalScore"] for r in rows]
    if totals != sorted(totals, reverse=True):
        out.append("service-results evaluation is not sorted by totalScore desc")
    for r in rows:
        if national:
            if not _close(r["totalScore"], r2(sum(r["groupScores"].values()))):
                out.append(f"service-results {r['departmentCode']}: groups do not sum to the total")
            for g, v in r["groupScores"].items():
                if not 0 <= v <= GROUP_MAX[g]:
                    out.append(f"service-results {r['departmentCode']}: {g} {v} outside 0..{GROUP_MAX[g]}")
        if not 0 <= r["totalScore"] <= 100:
            out.append(f"service-results {r['departmentCode']}: total outside 0..100")
    return out


def check_legacy_rows(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if any(not isinstance(v, str) for v in r.values()):
            out.append(f"legacy {r.get('MA_COQUAN')}: a value is not a string")
        total = r2(sum(float(r[g]) for g in GROUPS))
        if not _close(float(r["TONG_SCORE"]), total):
            out.append(f"legacy {r['MA_COQUAN']}: TONG_SCORE != sum of the groups")
    ranks = [int(r["ROW_STT"]) for r in rows]
    if ranks != sorted(ranks):
        out.append("legacy national rows are not in rank order")
    return out
