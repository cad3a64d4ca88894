"""The Parquet landing zone's datasets and their column types: the contract between the
normaliser (which writes them) and the warehouse's staging models (which read them).

Layout: ``landing/<dataset>/period_type=<t>/period_key=<k>/<scope>__<capture_id>.parquet``
(hive-partitioned). Every row carries the period, the capture time and the raw body's sha256, so a
figure can be traced back to the exact response it came from. Nulls stay null.

Period types: ``month``, ``quarter``, ``year`` (a whole year, asked for after it ended, or the
running year asked for mid-month), ``ytd`` (the running year captured at a month end, or derived
from month figures: ``derived`` is then true). See ``dvc766.periods``.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

_PERIOD_AND_PROVENANCE = [
    pa.field("period_type", pa.string(), nullable=False),
    pa.field("period_key", pa.string(), nullable=False),
    pa.field("period_start", pa.date32(), nullable=False),
    pa.field("period_end", pa.date32(), nullable=False),
    pa.field("captured_at", TS, nullable=False),
    pa.field("source_api", pa.string(), nullable=False),  # v1 | legacy
    pa.field("endpoint", pa.string(), nullable=False),
    pa.field("scope", pa.string(), nullable=False),  # national | province code asked for
    pa.field("capture_id", pa.string(), nullable=False),
    pa.field("raw_sha256", pa.string(), nullable=False),
    pa.field("derived", pa.bool_(), nullable=False),  # true: computed from month figures, not captured
]

# One row per unit × group (or TOTAL) × period × capture. Long form, because a unit's six group
# scores come from different endpoints (and for provinces also from the national ranking).
UNIT_SCORES = pa.schema(
    [
        pa.field("unit_code", pa.string(), nullable=False),
        pa.field("province_code", pa.string(), nullable=False),
        pa.field("group_code", pa.string(), nullable=False),  # TOTAL CKMB TDGQ CLGQ TTTT MDHL MDSH
        pa.field("score", pa.float64()),
        pa.field("max_score", pa.float64()),
        pa.field("ratio", pa.float64()),
        pa.field("rank_in_scope", pa.int32()),  # national rank (provinces) or rank in province
        pa.field("rank_scope_size", pa.int32()),
        *_PERIOD_AND_PROVENANCE,
    ]
)

# One row per unit × indicator × period × capture: the portal's metrics and the tree endpoints'
# counts (indicator codes: see warehouse dim_indicator / dvc766.indicators).
INDICATOR_VALUES = pa.schema(
    [
        pa.field("unit_code", pa.string(), nullable=False),
        pa.field("province_code", pa.string(), nullable=False),
        pa.field("indicator_code", pa.string(), nullable=False),
        pa.field("group_code", pa.string(), nullable=False),
        pa.field("numerator", pa.int64()),
        pa.field("denominator", pa.int64()),
        pa.field("value", pa.float64()),  # ratio in percent, or the figure itself (e.g. days)
        pa.field("score", pa.float64()),
        pa.field("max_score", pa.float64()),
        pa.field("quality_flag", pa.string()),  # portal's dataQualityStatus, or DERIVED
        *_PERIOD_AND_PROVENANCE,
    ]
)

# One row per unit × capture: what the portal called the unit, its ID and kind, as seen then.
UNITS_SEEN = pa.schema(
    [
        pa.field("unit_code", pa.string(), nullable=False),
        pa.field("province_code", pa.string(), nullable=False),
        pa.field("unit_id", pa.string()),  # v1 UUID or legacy numeric ID
        pa.field("unit_name", pa.string()),
        pa.field("unit_kind", pa.string(), nullable=False),  # province | agency | district | commune
        pa.field("parent_code", pa.string()),
        *_PERIOD_AND_PROVENANCE,
    ]
)

# Per-procedure (TTHC) figures: the same rows as above for a request filtered by ``formalityId``,
# keyed by the procedure's portal ID as well. Kept apart so a unit's own figures never mix with the
# share of them one procedure accounts for.
_FORMALITY = pa.field("formality_id", pa.string(), nullable=False)
PROCEDURE_UNIT_SCORES = pa.schema([UNIT_SCORES.field(0), _FORMALITY, *list(UNIT_SCORES)[1:]])
PROCEDURE_INDICATOR_VALUES = pa.schema([INDICATOR_VALUES.field(0), _FORMALITY, *list(INDICATOR_VALUES)[1:]])

# One row per field the source contract did not know × capture (schema drift, dlt-style): the known
# fields of that body landed; this says what else it carried.
SCHEMA_DRIFT = pa.schema(
    [
        pa.field("field_path", pa.string(), nullable=False),  # e.g. children[].totalLate
        pa.field("example_value", pa.string()),  # the first value seen, shortened
        *_PERIOD_AND_PROVENANCE,
    ]
)

# The portal's own month series of the year (service-results monthlyChart/dossierChart, the trees'
# monthlyChart) as one capture of period P reports them: one row per unit × series × month × capture.
# A series seen in many captures keeps every capture; the latest wins downstream.
REPORTED_SERIES = pa.schema(
    [
        pa.field("unit_code", pa.string(), nullable=False),
        pa.field("province_code", pa.string(), nullable=False),
        pa.field("series_code", pa.string(), nullable=False),  # an indicator code (SR_MONTH_AVERAGE_SCORE…)
        pa.field("series_month", pa.string(), nullable=False),  # YYYY-MM
        pa.field("value", pa.float64()),  # null for months the portal has no figure for (future ones)
        *_PERIOD_AND_PROVENANCE,
    ]
)

# The procedure (TTHC) catalogue, one row per procedure × capture (a catalogue page): who owns it and
# which departments apply it, as that capture listed them. Labelled with the year it was taken in.
FORMALITIES = pa.schema(
    [
        pa.field("formality_id", pa.string(), nullable=False),  # the portal's UUID (formalityId)
        pa.field("formality_code", pa.string(), nullable=False),  # e.g. 2.000815
        pa.field("formality_name", pa.string()),
        pa.field("state", pa.string()),  # ACTIVE | UPDATED | INACTIVE
        pa.field("department_id", pa.string()),  # the owning department
        pa.field("publishing_department_ids", pa.list_(pa.string())),
        pa.field("applied_department_ids", pa.list_(pa.string())),
        *_PERIOD_AND_PROVENANCE,
    ]
)

DATASETS: dict[str, pa.Schema] = {
    "unit_scores": UNIT_SCORES,
    "indicator_values": INDICATOR_VALUES,
    "units_seen": UNITS_SEEN,
    "procedure_unit_scores": PROCEDURE_UNIT_SCORES,
    "procedure_indicator_values": PROCEDURE_INDICATOR_VALUES,
    "schema_drift": SCHEMA_DRIFT,
    "reported_series": REPORTED_SERIES,
    "formalities": FORMALITIES,
}

GROUP_CODES = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")
GROUP_MAX = {"CKMB": 18.0, "TDGQ": 20.0, "CLGQ": 12.0, "TTTT": 10.0, "MDHL": 18.0, "MDSH": 22.0}
