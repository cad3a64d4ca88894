"""Shocks: chosen units of a province handle a share of a month's dossiers late, from a time on.

Why: the generated counts of a running month grow smoothly with the clock (a floor-scaled share of the
final month), so from one morning to the next almost nothing moves, and the daily watch's rules
(a fall of 0.5 points in a day, three days of decline, overdue dossiers rising, a rank lost) would
never have anything to find. A scenario names what happens on which day instead, like the portal's
own bad mornings, and a test moves the replica's clock across them.

In ``scenario.json``, beside ``entries``::

    "shocks": [{"province": "H55", "units": ["H55.101"], "month": "2026-11",
                "from": "2026-11-05T00:00", "until": "2026-11-06T00:00", "on_time_factor": 0.5}]

``units`` absent: every child unit of the province. ``month`` absent: the month ``from`` falls in.
While the clock is in ``[from, until)`` the units' on-time dossiers of that month (in every period
that counts it: the month, its quarter, the year-to-date) are ``floor(on_time × on_time_factor)``,
the rest overdue; received, completed and every other count stay as generated, so every
"part ≤ whole" relation and the replica's consistency checks still hold. Shocks of one unit and
month multiply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from replica.clock import ClockError, parse_now

ON_TIME, OVERDUE = "on_time", "overdue"


class ShockError(ValueError):
    """A ``shocks`` item of a scenario that cannot be used."""


@dataclass(frozen=True)
class Shock:
    province: str
    units: tuple[str, ...] | None  # None: every child unit of the province
    year: int
    month: int
    valid_from: datetime
    valid_until: datetime | None
    on_time_factor: float

    def active(self, province: str, year: int, month: int, now: datetime) -> bool:
        if (province, year, month) != (self.province, self.year, self.month) or now < self.valid_from:
            return False
        return self.valid_until is None or now < self.valid_until


def parse_shocks(items: object, where: str) -> tuple[Shock, ...]:
    """The ``shocks`` list of a scenario file; one clear line naming the item when one is unusable."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ShockError(f"{where}: shocks must be a list")
    out = []
    for i, raw in enumerate(items):
        at = f"{where} shock {i}"
        if not isinstance(raw, dict):
            raise ShockError(f"{at} is not an object")
        province = raw.get("province")
        if not isinstance(province, str) or not province:
            raise ShockError(f"{at}: province is missing")
        units = raw.get("units")
        if units is not None and (not isinstance(units, list) or not all(isinstance(u, str) for u in units)):
            raise ShockError(f"{at}: units must be a list of unit codes")
        try:
            valid_from = parse_now(str(raw.get("from", "")))
            until = raw.get("until")
            valid_until = parse_now(str(until)) if until is not None else None
        except ClockError as exc:
            raise ShockError(f"{at}: {exc}") from None
        month = raw.get("month") or f"{valid_from.year:04d}-{valid_from.month:02d}"
        try:
            year, number = (int(x) for x in str(month).split("-"))
        except ValueError:
            raise ShockError(f"{at}: month {month!r} is not YYYY-MM") from None
        factor = raw.get("on_time_factor")
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 <= factor <= 1:
            raise ShockError(f"{at}: on_time_factor must be a number from 0 to 1")
        out.append(
            Shock(
                province,
                tuple(units) if units is not None else None,
                year,
                number,
                valid_from,
                valid_until,
                float(factor),
            )  # fmt: skip
        )
    return tuple(out)


def active_shocks(
    shocks: tuple[Shock, ...], province: str, year: int, month: int, now: datetime | None
) -> tuple[Shock, ...]:
    if now is None:
        return ()
    return tuple(s for s in shocks if s.active(province, year, month, now))


def apply_shocks(
    matrix: np.ndarray, unit_codes: list[str], shocks: tuple[Shock, ...], columns: dict[str, int]
) -> np.ndarray:
    """A copy of one month's counts (child × field) with the shocks' on-time dossiers made overdue."""
    if not shocks:
        return matrix
    out = np.array(matrix, dtype=np.int64, copy=True)
    factor = np.ones(len(unit_codes))
    for shock in shocks:
        wanted = None if shock.units is None else set(shock.units)
        for i, code in enumerate(unit_codes):
            if wanted is None or code in wanted:
                factor[i] *= shock.on_time_factor
    on_time = out[:, columns[ON_TIME]]
    moved = on_time - np.floor(on_time * factor).astype(np.int64)
    out[:, columns[ON_TIME]] = on_time - moved
    out[:, columns[OVERDUE]] += moved
    return out
