"""The indicator catalogue: every figure the normaliser lands in ``indicator_values`` (and each score
group), with its group, labels, unit of measure, maximum points and direction.

The catalogue is a seed file, ``dvc766/reference/indicators.csv``, one row per code with named
columns: an analyst reads and reviews it as a table, and the warehouse's ``dim_indicator`` is built
from the very same rows (:func:`catalogue_table`). Why one file both sides load: the normaliser (which
emits the codes), ``dim_indicator`` and the year-to-date derivation (which must know what may be
summed over months) must agree on the same codes. Portal metric codes (v1-api.md §7) are kept as the
portal spells them; the tree endpoints' counts get codes of our own (docs/architecture.md).

Columns (empty cell = null): ``max_score`` is empty where the portal publishes no maximum (unknown is
not 0). ``additive`` is true only when numerator and denominator count events of the period
(dossiers, petitions), so that summing months gives the year-to-date figure; counts of procedures
(TTHC) or units are stocks, and summing them over months would double count. ``nests`` is true when
the numerator counts a part of what the denominator counts, so num > den cannot be real and
quarantines the body; false for a pair that only compares two counts. The file is checked as it is
read: a wrong boolean, a number that is not one, an unknown group or endpoint, or a group row that
disagrees with :data:`dvc766.landing_schema.GROUP_MAX` fails loudly naming the row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from importlib import resources

import pyarrow as pa

from dvc766.endpoints import KNOWN_ENDPOINTS
from dvc766.landing_schema import GROUP_MAX

SEED_FILE = "indicators.csv"
GROUP_CODES_AND_TOTAL = (*GROUP_MAX, "TOTAL")


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
    nests: bool = True


class CatalogueError(ValueError):
    """The seed file says something the code cannot use (a programming error, not portal data)."""


_BOOLS = {"true": True, "false": False}


def _bool(text: str, where: str, *, nullable: bool = False) -> bool | None:
    if nullable and text == "":
        return None
    if text not in _BOOLS:
        raise CatalogueError(f"{where}: expected true or false, got {text!r}")
    return _BOOLS[text]


def _parse_row(row: dict[str, str], line: int) -> Indicator:
    code = row["indicator_code"]
    where = f"{SEED_FILE} line {line} ({code})"
    try:
        max_score = float(row["max_score"]) if row["max_score"] else None
    except ValueError:
        raise CatalogueError(f"{where}: max_score {row['max_score']!r} is not a number") from None
    item = Indicator(
        indicator_code=code,
        group_code=row["group_code"],
        label_vi=row["label_vi"],
        label_en=row["label_en"],
        unit_of_measure=row["unit_of_measure"],
        count_unit_vi=row["count_unit_vi"] or None,
        count_unit_en=row["count_unit_en"] or None,
        max_score=max_score,
        higher_is_better=_bool(row["higher_is_better"], where, nullable=True),
        source_endpoint=row["source_endpoint"],
        source_field=row["source_field"],
        additive=bool(_bool(row["additive"], where)),
        is_group=bool(_bool(row["is_group"], where)),
        nests=bool(_bool(row["nests"], where)),
    )
    if not (code and item.label_vi and item.label_en and item.unit_of_measure):
        raise CatalogueError(f"{where}: code, labels and unit of measure are required")
    if item.group_code not in GROUP_CODES_AND_TOTAL:
        raise CatalogueError(f"{where}: unknown group {item.group_code!r}")
    if item.source_endpoint not in KNOWN_ENDPOINTS:
        raise CatalogueError(f"{where}: unknown endpoint {item.source_endpoint!r}")
    if item.is_group and (code != item.group_code or item.max_score != GROUP_MAX.get(code, 100.0)):
        raise CatalogueError(f"{where}: a group row must be its own group with the group's maximum")
    return item


def load_catalogue(text: str | None = None) -> tuple[Indicator, ...]:
    """The seed file's rows as typed indicators (``text`` replaces the packaged file, for tests)."""
    if text is None:
        text = resources.files("dvc766").joinpath("reference", SEED_FILE).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    expected = [f.name for f in fields(Indicator)]
    if reader.fieldnames != expected:
        raise CatalogueError(f"{SEED_FILE}: columns {reader.fieldnames} differ from {expected}")
    items = tuple(_parse_row(row, n) for n, row in enumerate(reader, start=2))
    seen: set[str] = set()
    for item in items:
        if item.indicator_code in seen:
            raise CatalogueError(f"{SEED_FILE}: {item.indicator_code} is listed twice")
        seen.add(item.indicator_code)
    missing = set(GROUP_CODES_AND_TOTAL) - {i.indicator_code for i in items if i.is_group}
    if missing:
        raise CatalogueError(f"{SEED_FILE}: no group row for {', '.join(sorted(missing))}")
    return items


CATALOGUE: tuple[Indicator, ...] = load_catalogue()
INDICATORS: tuple[Indicator, ...] = tuple(i for i in CATALOGUE if not i.is_group)
BY_CODE: dict[str, Indicator] = {i.indicator_code: i for i in CATALOGUE}
ADDITIVE_CODES: frozenset[str] = frozenset(i.indicator_code for i in INDICATORS if i.additive)

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
