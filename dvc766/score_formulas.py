"""The portal's score model as data: which formula gives each score the portal publishes, loaded and
checked from the seed file ``dvc766/reference/score_formulas.csv`` (documented in docs/scoring.md).

Why a seed and not code: the formulas are a public reverse-engineering, not an official text, and the
portal may change them. Kept as rows (indicator → kind and parameters), an analyst reads and reviews
them as a table, the warehouse loads the very same rows (``seed_score_formula``: every captured score
is recomputed in SQL and compared, ``fct_score_check``) and the points-at-stake model reads them
there; a changed portal formula is then one edited row, not a code change.

A row is one *term*. A score of one term is ``min(cap, points × ratio / target_ratio)`` with
``ratio = numerator / denominator``; at a zero denominator the term gives ``zero_denominator_points``
(empty: the portal gives no score). A score of several terms (the payment group) is the sum of its
terms, each rounded half-up to two decimals as the portal rounds each part, at most the indicator's
``max_score`` (``indicators.csv``). ``formula_kind`` ``no_score``: the portal publishes no score
(maximum 0); ``unknown``: no formula fits the bodies, nothing is recomputed and no stake computed.

This module also evaluates the model in Python (:func:`term_points`, :func:`score`) for ``dvc766
levers`` and the tests; the replica keeps its own copy of the formulas on purpose (a test compares).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

import pyarrow as pa

from dvc766.indicators import BY_CODE

SEED_FILE = "score_formulas.csv"
KINDS = ("ratio", "no_score", "unknown")
EVIDENCE = ("verified", "partly_verified", "unknown")
# A score agrees with its recomputation when they differ by at most the published rounding (half a
# hundredth) plus what binary arithmetic adds.
TOLERANCE = 0.005 + 1e-6


@dataclass(frozen=True)
class Term:
    indicator_code: str  # the indicator whose landed score this formula gives
    term: int  # 1.. within the score
    term_indicator: str  # the indicator whose numerator/denominator the term reads
    formula_kind: str  # ratio | no_score | unknown
    points: float | None  # points at the target ratio
    target_ratio: float | None  # the ratio (0..1) at which the term gives ``points``
    cap: float | None  # the most points the term gives
    zero_denominator_points: float | None  # points at a zero denominator; None: no score
    evidence: str  # verified | partly_verified | unknown (docs/scoring.md says on what)
    change_label_vi: str  # what a unit changes to win the term, in Vietnamese ("hồ sơ quá hạn")
    note: str

    @property
    def group_code(self) -> str:
        return BY_CODE[self.indicator_code].group_code

    @property
    def full_at(self) -> float | None:
        """The ratio at which the term reaches its cap: a unit's target (90 % for satisfaction)."""
        if self.formula_kind != "ratio" or not self.points or self.target_ratio is None or self.cap is None:
            return None
        return min(1.0, self.target_ratio * self.cap / self.points)


class FormulaSeedError(ValueError):
    """The seed says something the code cannot use (a programming error, not portal data)."""


def _number(text: str, where: str, column: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise FormulaSeedError(f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise FormulaSeedError(f"{where}: {column} {text!r} must be a finite number ≥ 0")
    return value


def _parse_row(row: dict[str, str], line: int) -> Term:
    code = row["indicator_code"]
    where = f"{SEED_FILE} line {line} ({code})"
    if None in row or None in row.values():
        raise FormulaSeedError(f"{where}: the row has more or fewer cells than the header (quote a comma)")
    try:
        term_no = int(row["term"])
    except ValueError:
        raise FormulaSeedError(f"{where}: term {row['term']!r} is not a whole number") from None
    t = Term(
        indicator_code=code,
        term=term_no,
        term_indicator=row["term_indicator"],
        formula_kind=row["formula_kind"],
        points=_number(row["points"], where, "points"),
        target_ratio=_number(row["target_ratio"], where, "target_ratio"),
        cap=_number(row["cap"], where, "cap"),
        zero_denominator_points=_number(row["zero_denominator_points"], where, "zero_denominator_points"),
        evidence=row["evidence"],
        change_label_vi=row["change_label_vi"],
        note=row["note"],
    )
    for c in (t.indicator_code, t.term_indicator):
        if c not in BY_CODE or BY_CODE[c].is_group:
            raise FormulaSeedError(f"{where}: {c!r} is not an indicator of indicators.csv")
    if t.formula_kind not in KINDS:
        raise FormulaSeedError(f"{where}: formula_kind {t.formula_kind!r} is not one of {', '.join(KINDS)}")
    if t.evidence not in EVIDENCE:
        raise FormulaSeedError(f"{where}: evidence {t.evidence!r} is not one of {', '.join(EVIDENCE)}")
    if t.formula_kind == "ratio":
        if not t.points or not t.target_ratio or t.cap is None or t.target_ratio > 1:
            raise FormulaSeedError(f"{where}: a ratio term needs points > 0, 0 < target_ratio ≤ 1 and a cap")
        if not t.change_label_vi:
            raise FormulaSeedError(f"{where}: a ratio term needs change_label_vi (what a unit changes)")
        mx = BY_CODE[code].max_score
        if mx is not None and t.cap > mx + 1e-9:
            raise FormulaSeedError(f"{where}: cap {t.cap:g} is above the indicator's maximum {mx:g}")
    elif t.term_indicator != t.indicator_code or t.term != 1:
        raise FormulaSeedError(f"{where}: a {t.formula_kind} formula is one term on its own indicator")
    return t


def load_formulas(text: str | None = None) -> tuple[Term, ...]:
    """The seed's rows as typed terms (``text`` replaces the packaged file, for tests)."""
    if text is None:
        text = resources.files("dvc766").joinpath("reference", SEED_FILE).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    expected = [f.name for f in fields(Term)]
    if reader.fieldnames != expected:
        raise FormulaSeedError(f"{SEED_FILE}: columns {reader.fieldnames} differ from {expected}")
    terms = tuple(_parse_row(row, n) for n, row in enumerate(reader, start=2))
    by_score: dict[str, list[Term]] = {}
    for t in terms:
        by_score.setdefault(t.indicator_code, []).append(t)
    for code, ts in by_score.items():
        if [t.term for t in ts] != list(range(1, len(ts) + 1)):
            raise FormulaSeedError(f"{SEED_FILE}: {code}'s terms must be numbered 1, 2, … in order")
        if len({t.formula_kind for t in ts}) > 1:
            raise FormulaSeedError(f"{SEED_FILE}: {code} mixes formula kinds")
        if ts[0].term_indicator != code:
            raise FormulaSeedError(f"{SEED_FILE}: {code}'s first term must read {code} itself (its score)")
        if len({t.term_indicator for t in ts}) < len(ts):
            raise FormulaSeedError(f"{SEED_FILE}: {code} reads one indicator in two terms")
    owners: dict[str, str] = {}
    for t in terms:
        other = owners.setdefault(t.term_indicator, t.indicator_code)
        if other != t.indicator_code:
            raise FormulaSeedError(
                f"{SEED_FILE}: {t.term_indicator} is a term of {other} and of {t.indicator_code}"
            )
    return terms


FORMULAS: tuple[Term, ...] = load_formulas()
BY_SCORE: dict[str, tuple[Term, ...]] = {}
for _t in FORMULAS:
    BY_SCORE[_t.indicator_code] = (*BY_SCORE.get(_t.indicator_code, ()), _t)
BY_TERM_INDICATOR: dict[str, Term] = {t.term_indicator: t for t in FORMULAS}

_ARROW_TYPES = {
    "term": pa.int32(),
    "points": pa.float64(),
    "target_ratio": pa.float64(),
    "cap": pa.float64(),
    "zero_denominator_points": pa.float64(),
}


def formula_table(terms: tuple[Term, ...] | None = None) -> pa.Table:
    """The seed as an Arrow table (one row per term, with its group and the score's maximum), for the
    warehouse's ``seed_score_formula``."""
    terms = FORMULAS if terms is None else terms
    schema = pa.schema(
        [pa.field(f.name, _ARROW_TYPES.get(f.name, pa.string())) for f in fields(Term)]
        + [
            pa.field("group_code", pa.string()),
            pa.field("score_max", pa.float64()),
            pa.field("full_at", pa.float64()),
        ]
    )
    rows = [
        {
            **asdict(t),
            "group_code": t.group_code,
            "score_max": BY_CODE[t.indicator_code].max_score,
            "full_at": t.full_at,
        }
        for t in terms
    ]
    return pa.Table.from_pylist(rows, schema=schema)


# --- the model in Python --------------------------------------------------------------------------


def half_up(x: float, places: int = 2) -> float:
    """``x`` rounded half-up on its decimal text, as the portal rounds (2.675 → 2.68)."""
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def term_points(
    t: Term, numerator: float | None, denominator: float | None, value: float | None = None
) -> float | None:
    """The term's points, unrounded; None where the portal gives no score (or the kind has none).

    Counts first: ``numerator / denominator``; a zero denominator gives ``zero_denominator_points``
    (None: no score; then the portal's own ratio ``value`` when it sends one without counts worth
    dividing, as for the certified copies); no counts at all: the portal's ratio ``value`` (percent).
    """
    if t.formula_kind != "ratio":
        return None
    assert t.points is not None and t.target_ratio is not None and t.cap is not None
    if denominator is not None and denominator > 0:
        if numerator is None:
            return None
        ratio = numerator / denominator
    elif denominator is not None and t.zero_denominator_points is not None:
        return t.zero_denominator_points
    elif value is not None and numerator in (None, 0):
        ratio = value / 100.0
    else:
        return None
    return min(t.cap, t.points * ratio / t.target_ratio)


def _part_range(p: float) -> tuple[float, float]:
    """The two-decimal values the portal may publish for one part: its half-up rounding, and one
    hundredth less where the part sits on an exact half (3.975 from 6 × 318/480, whose binary value
    is 3.97499…: a decimal rounding gives 3.98, a binary one 3.97; the bodies do not say which)."""
    high = half_up(round(p, 6))
    on_half = abs(p * 100 - math.floor(p * 100) - 0.5) < 1e-4
    return (high - 0.01 if on_half else high), high


def score_range(
    code: str,
    counts: Mapping[str, tuple[float | None, float | None, float | None]],
    terms: tuple[Term, ...] | None = None,
) -> tuple[float, float] | None:
    """(lowest, highest) value the portal may publish for ``code`` by the model: a one-term score is
    its exact value with the rounding's half a hundredth either side; several terms are each rounded
    (either way at an exact half) and summed; at most the indicator's maximum. None: no score."""
    ts = BY_SCORE[code] if terms is None else terms
    parts = [term_points(t, *counts.get(t.term_indicator, (None, None, None))) for t in ts]
    if any(p is None for p in parts):
        return None
    mx = BY_CODE[code].max_score
    cap = math.inf if mx is None else mx
    if len(parts) == 1:
        exact = min(cap, parts[0])  # type: ignore[type-var]
        return exact - TOLERANCE, exact + TOLERANCE
    ranges = [_part_range(p) for p in parts]  # type: ignore[arg-type]
    low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    return min(cap, low) - 1e-6, min(cap, high) + 1e-6


def agrees(
    code: str,
    counts: Mapping[str, tuple[float | None, float | None, float | None]],
    portal: float | None,
    terms: tuple[Term, ...] | None = None,
) -> bool:
    """Whether the portal's published ``portal`` score is one the model gives (no score for no score)."""
    ts = BY_SCORE[code] if terms is None else terms
    if ts[0].formula_kind == "no_score":
        return portal in (None, 0)
    span = score_range(code, counts, ts)
    if span is None or portal is None:
        return span is None and portal is None
    return span[0] <= portal <= span[1]


def score(
    code: str,
    counts: Mapping[str, tuple[float | None, float | None, float | None]],
    terms: tuple[Term, ...] | None = None,
) -> float | None:
    """The score of ``code`` from its terms' (numerator, denominator, value): one term unrounded,
    several terms each rounded half-up and summed; at most the indicator's maximum. None: no score
    (or no formula). :func:`agrees` says whether a published score is the model's."""
    ts = BY_SCORE[code] if terms is None else terms
    parts = [term_points(t, *counts.get(t.term_indicator, (None, None, None))) for t in ts]
    if any(p is None for p in parts):
        return None
    total = parts[0] if len(parts) == 1 else sum(half_up(p) for p in parts)  # type: ignore[arg-type]
    mx = BY_CODE[code].max_score
    return total if mx is None else min(mx, total)  # type: ignore[type-var,return-value]


def counts_to_target(t: Term, numerator: int | None, denominator: int | None) -> int:
    """How many of a unit's counted items must change for its ratio to reach the term's target
    (``full_at``): overdue dossiers to bring on time, procedures to open to online payment, …"""
    full_at = t.full_at
    if full_at is None or not denominator or numerator is None:
        return 0
    need = math.ceil(full_at * denominator - 1e-9)
    return max(0, need - int(numerator))
