"""The Thái Nguyên 2023 replica scenario carries every figure of the reference appendix (sections I–IV).

Why: the end-to-end appendix test compares the rendered appendix with the reference; that only means
something if the replica answers, on 30/9/2023 and 31/10/2023, bodies whose fields give exactly the
reference's figures under docs/appendix-mapping.md, in the portal's real shapes. These checks read the
reference text itself (a copy kept with the scenario) and the committed bodies, independently of the
build script and of the replica server.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
import urllib.request
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "replica" / "scenarios" / "thai_nguyen_2023"
BUILD_SCRIPT = ROOT / "replica" / "scenarios" / "build_thai_nguyen_2023.py"
REFERENCE_COPY = SCENARIO / "reference_appendix.txt"
REFERENCE_SHA256 = "9ad7ba769d1f67aa600f2894069f005391541611ec631f9d55163d0c6f19ab88"
MERGER_CSV = ROOT / "dvc766" / "reference" / "province-merger-2025.csv"

H55_ID = "019d2be3-6a88-732b-8b25-68dfdcdcff0e"
DAYS = {"sep": "2023-09-30", "oct": "2023-10-31"}
GROUP_MAX = {"CKMB": 18, "TDGQ": 20, "CLGQ": 12, "TTTT": 10, "MDHL": 18, "MDSH": 22}
# The reference spells some units differently between sections; one canonical name per unit.
VARIANTS = {
    "Sở Tài Nguyên và Môi trường": "Sở Tài nguyên và Môi trường",
    "Sở Công Thương": "Sở Công thương",
    "Sở Nông nghiệp và PTNT": "Sở Nông nghiệp và Phát triển Nông thôn",
    "Sở Giao thông vận tải": "Sở Giao thông Vận tải",
}


# --- the reference text ------------------------------------------------------------------------------


def vn_number(cell: str) -> Decimal:
    """``448.887`` → 448887, ``86,14`` → 86.14, ``97,03%`` → 97.03."""
    return Decimal(cell.strip().rstrip("%").replace(".", "").replace(",", "."))


def tolerance(cell: str) -> Decimal:
    """Half a unit of the last printed decimal (``12,6`` → 0.05, ``86,14`` → 0.005)."""
    decimals = len(cell.strip().rstrip("%").split(",")[1]) if "," in cell else 0
    return Decimal(5) / Decimal(10) ** (decimals + 1)


def parse_reference(text: str) -> dict[str, Any]:
    """Section I as {line: {month: (count cell, rate cell)}} plus the per-unit tables of II–IV."""
    out: dict[str, Any] = {"I": {}, "II": [], "II_total": None, "III": [], "IV": [], "total": {}}
    section = None
    current = None
    for raw in text.splitlines():
        cells = raw.split("\t")
        head = cells[0].strip()
        if re.match(r"^(I|II|III|IV|V)\. ", raw):
            section = raw.split(".")[0]
            continue
        if section == "I":
            if "ĐIỂM TỔNG HỢP" in raw:
                for month, cell in (("sep", cells[3]), ("oct", cells[5])):
                    m = re.search(r"Đạt ([\d,]+) điểm; xếp hạng (\d+)/(\d+)", cell)
                    assert m, cell
                    out["total"][month] = (vn_number(m.group(1)), int(m.group(2)), int(m.group(3)))
                continue
            if re.fullmatch(r"\d,\d", head):
                current = head.replace(",", ".")
                key = current
            elif re.fullmatch(r"[ab]\)", head):
                key = f"{current}{head[0]}"
            else:
                continue
            if len(cells) >= 6:
                out["I"][key] = {"sep": (cells[2], cells[3]), "oct": (cells[4], cells[5])}
        elif section in ("II", "III", "IV"):
            if head.isdigit() and len(cells) >= 4:
                out[section].append((cells[1].strip(), cells[2].strip(), cells[3].strip()))
            elif section == "II" and len(cells) > 1 and cells[1].strip() == "TỔNG SỐ":
                out["II_total"] = (vn_number(cells[2]), vn_number(cells[3]))
    return out


@pytest.fixture(scope="module")
def ref() -> dict[str, Any]:
    return parse_reference(REFERENCE_COPY.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bodies() -> dict[str, dict[str, dict]]:
    """month → endpoint stem → parsed `data`."""
    out: dict[str, dict[str, dict]] = {}
    for month, day in DAYS.items():
        out[month] = {}
        for path in sorted((SCENARIO / day).glob("*.json")):
            doc = json.loads(path.read_bytes())
            assert doc["code"] == "OK" and doc["message"] == "OK"
            out[month][path.name.removesuffix("_ytd.json")] = doc["data"]
    return out


def canonical(name: str) -> str:
    return VARIANTS.get(name, name)


def metric(data: dict, code: str) -> dict:
    return next(m for m in data["overview"]["metrics"] if m["code"] == code)


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {r["departmentName"]: r for r in rows}


def pct(n: int, d: int) -> Decimal:
    return Decimal(n) * 100 / Decimal(d)


def section_i_values(b: dict[str, dict], line: str) -> tuple[Any, Decimal | None]:
    """(count, rate) that the pipeline derives for a section-I line, per docs/appendix-mapping.md."""
    tr, pt, po = (
        b["transparency_H55"],
        b["dvc-progress-tree_H55"]["parent"],
        b["provide-online-tree_H55"]["parent"],
    )
    pay, sr, hs, dd = (
        b["formality-online-payment-tree_H55"]["parent"],
        b["service-results_H55"],
        b["handling-satisfaction_H55"],
        b["dossier-digitized_H55"],
    )
    donut = {d["code"]: d for d in sr["donuts"]["onlineProvision"] + sr["donuts"]["onlineDossier"]}
    pcf, sync = metric(tr, "PUBLIC_CONTENT_FULL"), metric(tr, "DOSSIER_SYNC")
    online_done = po["onlineOnTimeSum"] + po["onlineOverdueSum"]
    d = Decimal
    table: dict[str, tuple[Any, Decimal | None]] = {
        "1.1": ((pcf["numerator"], pcf["denominator"]), d(str(pcf["ratio"]))),
        "1.2a": (sync["numerator"], d(str(sync["ratio"]))),
        "1.2b": (sync["denominator"] - sync["numerator"], 100 - d(str(sync["ratio"]))),
        "2.1": (None, pct(pt["totalOnTime"], pt["totalReceived"])),
        "2.2": (None, pct(pt["totalReceived"] - pt["totalOnTime"], pt["totalReceived"])),
        "3.1": (donut["PARTIAL"]["value"], d(str(donut["PARTIAL"]["percent"]))),
        "3.2": (donut["FULL"]["value"], d(str(donut["FULL"]["percent"]))),
        "3.3": (donut["NONE"]["value"], d(str(donut["NONE"]["percent"]))),
        "3.4a": (None, d(str(donut["ONLINE"]["percent"]))),
        "3.4b": (None, d(str(donut["OTHER"]["percent"]))),
        "3.5a": (None, pct(po["onlineOnTimeSum"], online_done)),
        "3.5b": (None, pct(po["onlineOverdueSum"], online_done)),
        "3.6": (None, pct(po["onlineDossierCount"], po["onlineServiceTotal"])),
        "4.1a": (
            pay["totalFeeDossierFormalityDistinct"],
            pct(pay["totalFeeDossierFormalityDistinct"], pay["totalFeeFormality"]),
        ),
        "4.1b": (
            pay["totalFeeFormality"] - pay["totalFeeDossierFormalityDistinct"],
            pct(pay["totalFeeFormality"] - pay["totalFeeDossierFormalityDistinct"], pay["totalFeeFormality"]),
        ),
        "4.2a": (
            pay["totalDossierOnlinePaymentSuccess"],
            pct(pay["totalDossierOnlinePaymentSuccess"], pay["totalDossierFinancialObligation"]),
        ),
        "4.2b": (
            pay["totalDossierFinancialObligation"] - pay["totalDossierOnlinePaymentSuccess"],
            100 - pct(pay["totalDossierOnlinePaymentSuccess"], pay["totalDossierFinancialObligation"]),
        ),
        "4.3a": (
            pay["totalDossierOnlineFormalityPaymentSuccess"],
            pct(pay["totalDossierOnlineFormalityPaymentSuccess"], pay["totalFeeDossierFormality"]),
        ),
        "4.3b": (
            pay["totalFeeDossierFormality"] - pay["totalDossierOnlineFormalityPaymentSuccess"],
            100 - pct(pay["totalDossierOnlineFormalityPaymentSuccess"], pay["totalFeeDossierFormality"]),
        ),
        "5.1": (None, d(str(metric(hs, "PETITION_HANDLING_SATISFACTION")["ratio"]))),
        "5.2": (None, d(str(metric(hs, "DOSSIER_RECEIVING_SATISFACTION")["ratio"]))),
        "5.3a": (None, d(str(metric(hs, "PETITION_CLASSIFICATION_TTHC")["ratio"]))),
        "5.3b": (None, d(str(metric(hs, "PETITION_CLASSIFICATION_STAFF")["ratio"]))),
        "6.1": (None, d(str(metric(dd, "SO_HOA_GIAY_TO_GIAI_QUYET")["ratio"]))),
        "6.2": (None, d(str(metric(dd, "ORIGINAL_RESULT_AVAILABLE")["ratio"]))),
        "6.4": (
            metric(dd, "REUSED_DIGITIZED_DATA")["numerator"],
            d(str(metric(dd, "REUSED_DIGITIZED_DATA")["ratio"])),
        ),
    }
    return table[line]


# Lines the API does not carry (printed as not available by the pipeline).
NOT_IN_API = {"3.7", "6.3"}
# Header lines of section I that carry no figure of their own.
HEADERS = {"1.2", "3.4", "3.5", "4.1", "4.2", "4.3", "5.3"}


def test_reference_copy_is_the_shared_reference() -> None:
    # sha256 of shared/reference/000_043cba9f507b194d.txt, the text of the Word original
    assert hashlib.sha256(REFERENCE_COPY.read_bytes()).hexdigest() == REFERENCE_SHA256


def test_parser_reads_every_section(ref: dict[str, Any]) -> None:
    expected = {"1.1", "1.2a", "1.2b", "2.1", "2.2", "3.1", "3.2", "3.3", "3.4a", "3.4b", "3.5a", "3.5b"}
    expected |= {"3.6", "3.7", "4.1a", "4.1b", "4.2a", "4.2b", "4.3a", "4.3b", "5.1", "5.2", "5.3a", "5.3b"}
    expected |= {"6.1", "6.2", "6.3", "6.4"}
    assert expected <= set(ref["I"])
    assert len(ref["II"]) == 25 and ref["II_total"] == (4045, 1100)
    assert len(ref["III"]) == 28 and len(ref["IV"]) == 27
    assert ref["total"]["oct"] == (Decimal("78.59"), 9, 63)


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_section_i_figures(ref: dict[str, Any], bodies: dict, month: str) -> None:
    b = bodies[month]
    checked = 0
    for line, cells in ref["I"].items():
        if line in NOT_IN_API or line in HEADERS:
            continue
        count_cell, rate_cell = (c.strip() for c in cells[month])
        count, rate = section_i_values(b, line)
        if count is not None and count_cell:
            if "/" in count_cell:
                n, d = (int(vn_number(x)) for x in count_cell.split("/"))
                assert count == (n, d), line
            else:
                assert count == int(vn_number(count_cell)), line
        # Rate-only lines print their rate in whichever column is filled.
        shown = rate_cell or (count_cell if count is None else "")
        if shown:
            assert abs(rate - vn_number(shown)) <= tolerance(shown), (line, rate, shown)
        checked += 1
    assert checked == 26


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_total_score_and_rank(ref: dict[str, Any], bodies: dict, month: str) -> None:
    score, rank, of = ref["total"][month]
    rows = bodies[month]["service-results_national"]["evaluation"]
    assert len(rows) == of
    h55 = next(i for i, r in enumerate(rows) if r["departmentCode"] == "H55")
    assert Decimal(str(rows[h55]["totalScore"])) == score
    assert h55 + 1 == rank
    assert Decimal(str(bodies[month]["service-results_H55"]["overview"]["totalScore"])) == score


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_section_ii_overdue_per_unit(ref: dict[str, Any], bodies: dict, month: str) -> None:
    col = 1 if month == "sep" else 2
    children = by_name(bodies[month]["dvc-progress-tree_H55"]["children"])
    assert set(children) == {canonical(r[0]) for r in ref["II"]}
    for row in ref["II"]:
        assert children[canonical(row[0])]["totalOverdue"] == int(vn_number(row[col])), row
    assert sum(c["totalOverdue"] for c in children.values()) == ref["II_total"][col - 1]


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_section_iii_online_service_rate_per_unit(ref: dict[str, Any], bodies: dict, month: str) -> None:
    col = 1 if month == "sep" else 2
    children = by_name(bodies[month]["provide-online-tree_H55"]["children"])
    assert set(children) == {canonical(r[0]) for r in ref["III"]}
    for row in ref["III"]:
        got = Decimal(str(children[canonical(row[0])]["ratio"]))
        assert abs(got - vn_number(row[col])) <= tolerance(row[col]), row


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_section_iv_online_payment_rate_per_unit(ref: dict[str, Any], bodies: dict, month: str) -> None:
    col = 1 if month == "sep" else 2
    children = by_name(bodies[month]["formality-online-payment-tree_H55"]["children"])
    assert set(children) == {canonical(r[0]) for r in ref["IV"]}
    for row in ref["IV"]:
        c = children[canonical(row[0])]
        obligation = c["totalDossierFinancialObligation"]
        got = pct(c["totalDossierOnlinePaymentSuccess"], obligation) if obligation else Decimal(0)
        assert abs(got - vn_number(row[col])) <= Decimal("0.005"), row


# --- self-consistency ------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_progress_tree_counts_are_consistent(bodies: dict, month: str) -> None:
    tree = bodies[month]["dvc-progress-tree_H55"]
    parent, children = tree["parent"], tree["children"]
    for c in children:
        assert c["totalOnTime"] + c["totalOverdue"] == c["totalReceived"], c["departmentCode"]
        assert c["score"] <= c["maxScore"] == 20
    assert parent["totalReceived"] == sum(c["totalReceived"] for c in children)
    assert parent["totalOnTime"] == sum(c["totalOnTime"] for c in children)
    assert abs(
        Decimal(str(parent["ratio"])) - pct(parent["totalOnTime"], parent["totalReceived"])
    ) <= Decimal("0.005")
    assert parent["totalCompleted"] <= parent["totalReceived"]


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_payment_tree_counts_are_consistent(bodies: dict, month: str) -> None:
    tree = bodies[month]["formality-online-payment-tree_H55"]
    for field in (
        "totalDossierOnlinePaymentSuccess",
        "totalDossierFinancialObligation",
        "totalDossierOnlineFormalityPaymentSuccess",
        "totalFeeDossierFormality",
    ):
        assert tree["parent"][field] == sum(c[field] for c in tree["children"]), field
    for c in [tree["parent"], *tree["children"]]:
        assert c["totalDossierOnlinePaymentSuccess"] <= c["totalDossierFinancialObligation"]
        assert c["totalDossierOnlineFormalityPaymentSuccess"] <= c["totalFeeDossierFormality"]
        assert c["totalFeeDossierFormalityDistinct"] <= c["totalFeeFormality"]
        assert 0 <= c["totalScore"] <= c["totalMaxScore"] == 10


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_shape_a_scores_and_children_sums(bodies: dict, month: str) -> None:
    for stem, max_score in (
        ("transparency_H55", 18),
        ("handling-satisfaction_H55", 18),
        ("dossier-digitized_H55", 22),
    ):
        data = bodies[month][stem]
        rows = [data["overview"], *data["evaluation"]]
        for row in rows:
            assert row["totalMaxScore"] == max_score
            scores = [Decimal(str(m["score"])) for m in row["metrics"] if m["score"] is not None]
            assert Decimal(str(row["totalScore"])) == sum(scores), (stem, row["departmentName"])
            assert row["totalScore"] <= max_score
            for m in row["metrics"]:
                assert m["score"] is None or m["score"] <= m["maxScore"], (stem, m["code"])
                if m["numerator"] is not None and m["denominator"]:
                    assert m["numerator"] <= m["denominator"]
                    assert abs(Decimal(str(m["ratio"])) - pct(m["numerator"], m["denominator"])) <= Decimal(
                        "0.005"
                    )
        assert data["pagination"]["total"] == len(data["evaluation"])
        assert [r["stt"] for r in data["evaluation"]] == list(range(1, len(data["evaluation"]) + 1))
    # Dossier counts apportioned to the units add back up to the province's.
    sync = "DOSSIER_SYNC"
    tr = bodies[month]["transparency_H55"]
    for part in ("numerator", "denominator"):
        total = sum(next(m for m in r["metrics"] if m["code"] == sync)[part] for r in tr["evaluation"])
        assert total == metric(tr, sync)[part]


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_group_scores_add_up_to_the_total(bodies: dict, month: str) -> None:
    b = bodies[month]
    groups = {
        "CKMB": b["transparency_H55"]["overview"]["totalScore"],
        "TDGQ": b["dvc-progress-tree_H55"]["parent"]["totalScore"],
        "CLGQ": b["provide-online-tree_H55"]["parent"]["totalScore"],
        "TTTT": b["formality-online-payment-tree_H55"]["parent"]["totalScore"],
        "MDHL": b["handling-satisfaction_H55"]["overview"]["totalScore"],
        "MDSH": b["dossier-digitized_H55"]["overview"]["totalScore"],
    }
    for g, v in groups.items():
        assert 0 <= v <= GROUP_MAX[g], g
    total = b["service-results_H55"]["overview"]["totalScore"]
    assert sum(Decimal(str(v)) for v in groups.values()) == Decimal(str(total))
    radar = {r["code"]: Decimal(str(r["score"])) for r in b["service-results_H55"]["radar"]}
    assert radar["ONLINE_SERVICE"] == Decimal(str(groups["CLGQ"])) + Decimal(str(groups["TTTT"]))
    assert radar["CKMB"] == Decimal(str(groups["CKMB"])) and radar["MDSH"] == Decimal(str(groups["MDSH"]))
    national = next(r for r in b["service-results_national"]["evaluation"] if r["departmentCode"] == "H55")
    assert national["groupScores"] == groups


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_national_ranking(bodies: dict, month: str) -> None:
    data = bodies[month]["service-results_national"]
    rows = data["evaluation"]
    scores = [r["totalScore"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    old = [line.split(",") for line in MERGER_CSV.read_text(encoding="utf-8").splitlines()[1:]]
    continuing = {new_code for name, new, new_code in old if name == new}
    codes = [r["departmentCode"] for r in rows]
    assert len(set(codes)) == 63
    assert continuing <= set(codes)
    assert {c for c in codes if c not in continuing} == {f"Z{i:02d}" for i in range(1, 64 - len(continuing))}
    # named as in 2023: the merger table's June-2025 names, but "Thừa Thiên Huế" (a city, Huế, from 2025)
    places = {name for name, _, _ in old} - {"Huế"} | {"Thừa Thiên Huế"}
    assert any(r["departmentName"] == "UBND tỉnh Thừa Thiên Huế" for r in rows)
    for r in rows:
        assert re.sub(r"^UBND (tỉnh|thành phố) ", "", r["departmentName"]) in places
        groups = r["groupScores"]
        assert list(groups) == list(GROUP_MAX)
        assert all(0 <= groups[g] <= GROUP_MAX[g] for g in groups)
        assert sum(Decimal(str(v)) for v in groups.values()) == Decimal(str(r["totalScore"]))
        assert r["ratio"] == r["totalScore"]
    assert rows[[r["departmentCode"] for r in rows].index("H55")]["departmentId"] == H55_ID


def test_october_score_delta_is_the_change_since_september(bodies: dict) -> None:
    sep = {
        r["departmentCode"]: Decimal(str(r["totalScore"]))
        for r in bodies["sep"]["service-results_national"]["evaluation"]
    }
    for r in bodies["oct"]["service-results_national"]["evaluation"]:
        assert Decimal(str(r["scoreDelta"])) == Decimal(str(r["totalScore"])) - sep[r["departmentCode"]]


def test_units_keep_one_code_and_one_name_across_endpoints(bodies: dict) -> None:
    seen: dict[str, set[str]] = {}
    levels: dict[str, set[str]] = {}
    for month in bodies.values():
        for stem, data in month.items():
            if stem == "service-results_national":
                continue
            rows = data.get("children") or data.get("evaluation")
            code_of = {}
            if stem in ("transparency_H55", "handling-satisfaction_H55"):  # no departmentCode: join on the ID
                code_of = {
                    r["departmentId"]: r["departmentCode"]
                    for r in month["dossier-digitized_H55"]["evaluation"]
                }
            for r in rows:
                code = r.get("departmentCode") or code_of[r["departmentId"]]
                seen.setdefault(code, set()).add(r["departmentName"])
                level = r.get("level") or r.get("departmentLevel") or r.get("childGroup")
                levels.setdefault(code, set()).add({"AGENCY": "PROVINCE"}.get(level, level))
    assert all(len(names) == 1 for names in seen.values()), seen
    names = [next(iter(v)) for v in seen.values()]
    assert len(names) == len(set(names)) == 28
    for code, lv in levels.items():
        if re.fullmatch(r"H55\.\d{2}", code):
            assert lv == {"PROVINCE"}, code
        else:
            assert re.fullmatch(r"H55\.2\d{2}", code) and lv == {"COMMUNE"}, code


def test_children_come_in_code_order(bodies: dict) -> None:
    for month in bodies.values():
        for stem in ("dvc-progress-tree_H55", "provide-online-tree_H55", "formality-online-payment-tree_H55"):
            codes = [c["departmentCode"] for c in month[stem]["children"]]
            assert codes == sorted(codes), stem


# --- the portal's shapes -----------------------------------------------------------------------------

REAL = {
    "transparency_H55": "v1/qd766/transparency_H44_month2026-08_all.trimmed.json",
    "handling-satisfaction_H55": "v1/qd766/handling-satisfaction_H44_2026-08-01_2026-08-31_all.trimmed.json",
    "dossier-digitized_H55": "v1/qd766/dossier-digitized_H44_month2026-08_all.trimmed.json",
    "dvc-progress-tree_H55": "v1/qd766/dvc-progress-tree_H44_month2026-08_all.json",
    "provide-online-tree_H55": "v1/qd766/provide-online-tree_H44_month2026-08_all.json",
    "formality-online-payment-tree_H55": "v1/qd766/formality-online-payment-tree_H44_month2026-08_all.trimmed.json",
    "service-results_H55": "v1/crawler766/service-results_H21_GiaLai_year2026.json",
    "service-results_national": "v1/crawler766/service-results_national_year2026_20261010.json",
}
OPTIONAL_KEYS = {"dataQualityStatus", "dataQualityMessage"}


def skeleton(obj: Any) -> Any:
    """Key order and JSON kind (number/string/null/...) of a body, lists reduced to their first item."""
    if isinstance(obj, dict):
        return [(k, skeleton(v)) for k, v in obj.items() if k not in OPTIONAL_KEYS]
    if isinstance(obj, list):
        return [skeleton(obj[0])] if obj else []
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return type(obj).__name__
    return "number"


def kinds_compatible(mine: Any, real: Any) -> bool:
    """Same keys in the same order; leaves agree except where the real sample holds null or []."""
    if isinstance(real, list) and isinstance(mine, list):
        if not real or not mine:
            return True
        if isinstance(real[0], tuple) or isinstance(mine[0], tuple):
            return [k for k, _ in mine] == [k for k, _ in real] and all(
                kinds_compatible(a, b) for (_, a), (_, b) in zip(mine, real, strict=True)
            )
        return kinds_compatible(mine[0], real[0])
    return mine == real or "NoneType" in (mine, real)


@pytest.mark.parametrize("stem", sorted(REAL))
def test_bodies_have_the_real_shapes(portal_dir: Path, bodies: dict, stem: str) -> None:
    real = skeleton(json.loads((portal_dir / REAL[stem]).read_text(encoding="utf-8")))
    for month in bodies:
        path = SCENARIO / DAYS[month] / f"{stem}_ytd.json"
        mine = skeleton(json.loads(path.read_bytes()))
        assert kinds_compatible(mine, real), (stem, month)


def test_bodies_are_minified_utf8_with_integral_numbers_as_integers() -> None:
    for path in sorted(SCENARIO.glob("2023-*/*.json")):
        raw = path.read_bytes()
        doc = json.loads(raw)
        assert json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8") == raw, path.name
        assert not re.search(rb"[:\[,]-?\d+\.0[,\]}]", raw), path.name


def test_bodies_are_what_the_build_script_produces() -> None:
    """The committed output is the script's output: nobody edited a body by hand."""
    spec = importlib.util.spec_from_file_location("build_thai_nguyen_2023", BUILD_SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script loads
    try:
        spec.loader.exec_module(module)
        built = module.build_all()
    finally:
        del sys.modules[spec.name]
    for rel, data in built.items():
        assert (SCENARIO / rel).read_bytes() == data, rel


# --- scenario.json ----------------------------------------------------------------------------------


def scenario_entries() -> list[dict]:
    return json.loads((SCENARIO / "scenario.json").read_text(encoding="utf-8"))["entries"]


def month_end_requests(day: str) -> list[tuple[str, dict]]:
    """The requests a month-end snapshot of H55 sends (v1-api.md §3)."""
    year = {"timeType": "year", "year": 2023}
    page = {"currentPage": 1, "pageSize": 200}
    reqs = [
        ("evaluation/service-results", {**year, "departmentType": "ADMINISTRATIVE_UNIT"}),
        ("evaluation/service-results", {**year, "rootDepartmentId": H55_ID}),
        (
            "evaluation/handling-satisfaction",
            {"fromDate": "2023-01-01", "toDate": "2023-12-31", "rootDepartmentId": H55_ID, **page},
        ),
    ]
    for ep in (
        "transparency",
        "dossier-digitized",
        "dvc-progress-tree",
        "provide-online-tree",
        "formality-online-payment-tree",
    ):
        reqs.append((f"evaluation/{ep}", {"rootDepartmentId": H55_ID, **page, **year}))
    return reqs


def matching(entries: list[dict], endpoint: str, request: dict, at: str) -> list[dict]:
    now = datetime.fromisoformat(at)
    return [
        e
        for e in entries
        if e["endpoint"] == endpoint
        and all(request.get(k) == v for k, v in e["match"].items())
        and datetime.fromisoformat(e["from"]) <= now < datetime.fromisoformat(e["until"])
    ]


def test_scenario_entries_point_to_existing_files_and_do_not_overlap() -> None:
    entries = scenario_entries()
    assert len(entries) == 16
    for e in entries:
        assert e["api"] == "v1" and e["status"] == 201
        assert (SCENARIO / e["body_file"]).is_file(), e["body_file"]
    by_key: dict[str, list[tuple[datetime, datetime]]] = {}
    for e in entries:
        key = json.dumps([e["endpoint"], e["match"]], sort_keys=True)
        by_key.setdefault(key, []).append(
            (datetime.fromisoformat(e["from"]), datetime.fromisoformat(e["until"]))
        )
    for key, windows in by_key.items():
        windows.sort()
        for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
            assert end <= start, key


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_each_month_end_request_finds_exactly_its_month(month: str) -> None:
    entries = scenario_entries()
    day = DAYS[month]
    for endpoint, request in month_end_requests(day):
        found = matching(entries, endpoint, request, f"{day}T23:00")
        assert len(found) == 1, (endpoint, request)
        assert found[0]["body_file"].startswith(day)
        # The whole capture day answers this month; before the first capture nothing matches, so the
        # replica falls back to generated data.
        assert matching(entries, endpoint, request, f"{day}T00:00") == found
        assert not matching(entries, endpoint, request, "2023-09-29T23:00")


def client_requests(month: str) -> list[tuple[str, dict, str | None]]:
    """(endpoint, body, expected province code) as flows/v1_client.py builds them for ytd of the month."""
    v1_client = pytest.importorskip("flows.v1_client")
    from dvc766.periods import Period
    from dvc766.provinces import get_province

    period = Period("ytd", 2023, int(DAYS[month][5:7]))
    h55 = get_province("H55")
    out: list[tuple[str, dict, str | None]] = [
        (ep, v1_client.build_request(ep, period, h55), "H55") for ep in v1_client.ENDPOINTS
    ]
    national = v1_client.build_request("evaluation/service-results", period, None)
    out.append(("evaluation/service-results", national, None))
    return out


@pytest.mark.parametrize("month", ["sep", "oct"])
def test_the_pipeline_client_requests_find_the_bodies_and_accept_them(month: str) -> None:
    """The v1 client's own request bodies match this month's entries, and its validator accepts every
    province body as the province it asked for."""
    from flows.sources.v1 import parse_v1_body

    day = DAYS[month]
    for endpoint, request, code in client_requests(month):
        found = matching(scenario_entries(), endpoint, request, f"{day}T23:00")
        assert len(found) == 1, (endpoint, request)
        if code is not None:
            parse_v1_body(endpoint, (SCENARIO / found[0]["body_file"]).read_bytes(), code)


def test_the_pipeline_validator_accepts_the_2023_national_ranking() -> None:
    from flows.sources.v1 import parse_v1_body

    for month, day in DAYS.items():
        endpoint, request, _ = client_requests(month)[-1]
        found = matching(scenario_entries(), endpoint, request, f"{day}T23:00")
        parse_v1_body(endpoint, (SCENARIO / found[0]["body_file"]).read_bytes(), None)


def test_the_replica_loads_the_scenario() -> None:
    scenarios = pytest.importorskip("replica.scenarios")
    loaded = scenarios.load_scenario(SCENARIO)
    assert len(loaded.entries) == 16
    assert all(
        e.body == (SCENARIO / Path(e.body_file).relative_to(SCENARIO)).read_bytes() for e in loaded.entries
    )


def test_the_replica_serves_the_bytes_at_each_month_end() -> None:
    server = pytest.importorskip("replica.server")
    if not hasattr(server, "start_replica"):
        pytest.skip("replica.server.start_replica is not available")
    for month, day in DAYS.items():
        with server.start_replica(scenarios=[SCENARIO], now=f"{day}T23:00") as replica:
            base = replica.url.rstrip("/")
            for endpoint, request in month_end_requests(day):
                req = urllib.request.Request(
                    f"{base}/api/v1/reporting/{endpoint}",
                    data=json.dumps(request).encode(),
                    headers={"Content-Type": "application/json"},
                    method="POST",
                )
                with urllib.request.urlopen(req, timeout=10) as resp:
                    assert resp.status == 201
                    body = resp.read()
                expected = matching(scenario_entries(), endpoint, request, f"{day}T23:00")[0]["body_file"]
                assert body == (SCENARIO / expected).read_bytes(), (month, endpoint)
