"""Every real portal body of the fixtures, as scores to check and as a landed warehouse.

Why one helper: the score model (``dvc766/reference/score_formulas.csv``) must agree with every real
body we hold, read two ways — the bodies walked directly (:func:`published_scores`, which also reads
the two excerpts that are not whole answers and cannot be landed) and the warehouse's own check
after the pipeline lands them (:func:`land_real_bodies`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvc766.settings import Settings
from flows.capture import Capture
from flows.landing import write_batch
from tests.test_normalise_v1 import PORTAL, h44_batch, national_capture
from tests.test_real_period_variants import CASES, capture_of

V1 = PORTAL / "v1"
SHAPE_A = ("transparency", "handling-satisfaction", "dossier-digitized")
PAYMENT_FIELDS = {
    "PAYMENT_ONLINE_DOSSIER": ("totalDossierOnlinePaymentSuccess", "totalDossierFinancialObligation"),
    "PAYMENT_FORMALITY_PAID": ("totalDossierOnlineFormalityPaymentSuccess", "totalFeeFormality"),
    "PAYMENT_FEE_FORMALITY_WITH_DOSSIER": ("totalFeeDossierFormality", "totalFeeFormality"),
}


@dataclass(frozen=True)
class PublishedScore:
    """One score a real body published, with the counts its formula reads."""

    source: str  # the file
    unit: str  # name of the unit the row is about
    code: str  # the scored indicator
    portal: float | None
    counts: dict[str, tuple[float | None, float | None, float | None]]  # term indicator → (num, den, value)


def _shape_a_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "metrics" in data:  # an excerpt of one evaluation row
        return [data]
    return [data["overview"], *data.get("evaluation", [])]


def published_scores() -> Iterator[PublishedScore]:
    """Every scored figure of every real v1 body and excerpt under tests/fixtures/portal/v1."""
    for path in sorted(V1.glob("*/*.json")):
        name = f"{path.parent.name}/{path.name}"
        doc = json.loads(path.read_text(encoding="utf-8"))
        data = doc.get("data", doc) if isinstance(doc, dict) else None
        if not isinstance(data, dict):
            continue
        if "indicators" in data:  # 766-Analyze's own snapshot format: the six groups of one province
            yield from _snapshot_scores(name, data)
        elif any(k in name for k in SHAPE_A):
            for row in _shape_a_rows(data):
                for m in row["metrics"]:
                    counts = {m["code"]: (m["numerator"], m["denominator"], m["ratio"])}
                    yield PublishedScore(name, row.get("departmentName", ""), m["code"], m["score"], counts)
        elif "dvc-progress-tree" in name:
            for r in [data["parent"], *data["children"]]:
                counts = {"PROGRESS_ON_TIME": (r["totalOnTime"], r["totalReceived"], r["ratio"])}
                score = r.get("totalScore", r.get("score"))
                yield PublishedScore(name, r["departmentName"], "PROGRESS_ON_TIME", score, counts)
        elif "payment" in name:
            for r in [data["parent"], *data["children"]]:
                counts = {k: (r[n], r[d], None) for k, (n, d) in PAYMENT_FIELDS.items()}
                yield PublishedScore(
                    name, r["departmentName"], "PAYMENT_ONLINE_DOSSIER", r["totalScore"], counts
                )


def _snapshot_scores(name: str, data: dict[str, Any]) -> Iterator[PublishedScore]:
    """The figures 766-Analyze kept of Đắk Lắk's year (its format: nulls became 0, payment metrics
    relabelled but in the portal's order A, B, C)."""
    groups = data["indicators"]
    unit = data["department"]["name"]
    for key in ("transparency", "digitized", "satisfaction"):
        for m in groups[key]["metrics"]:
            counts = {m["code"]: (m["numerator"], m["denominator"], m["ratio"])}
            yield PublishedScore(name, unit, m["code"], m["score"], counts)
    on_time = groups["progress"]["metrics"]["onTime"]
    counts = {"PROGRESS_ON_TIME": (on_time["numerator"], on_time["denominator"], on_time["ratio"])}
    yield PublishedScore(name, unit, "PROGRESS_ON_TIME", on_time["score"], counts)
    parts = groups["payment"]["metrics"]
    counts = {
        code: (m["numerator"], m["denominator"], m["ratio"])
        for code, m in zip(PAYMENT_FIELDS, parts, strict=True)
    }
    yield PublishedScore(name, unit, "PAYMENT_ONLINE_DOSSIER", groups["payment"]["score"], counts)


def real_captures() -> list[Capture]:
    """The landable real answers: Phú Thọ's August 2026 bodies and the four period / procedure
    variants (one batch, so units are named across them), and the national ranking of 17/09/2026."""
    batch = [*h44_batch(), *(capture_of(name) for name in sorted(CASES))]
    return [dataclasses.replace(c, extra={"batch_id": "real-h44"}) for c in batch]


def land_real_bodies(settings: Settings) -> None:
    write_batch(settings, real_captures(), "real-h44")
    nat = dataclasses.replace(national_capture(), extra={"batch_id": "real-national"})
    write_batch(settings, [nat], "real-national")


def portal_file(name: str) -> Path:
    return V1 / name
