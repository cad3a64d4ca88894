"""Deterministic portal data for every province and month, consistent in itself.

Why generated rather than recorded: the real portal cannot be reached from development machines and
only a handful of real bodies exist, yet tests, benchmarks and the demo need every province for every
month, before and after the 2025 reorganisation, answering the way the portal does.

The model, in one paragraph: each unit (agency, commune, district) gets persistent traits from the
seed; each (province, month) gets one matrix of *additive counts*, one row per child unit, one column
per count of ``FIELDS``. Every figure a body shows is computed from those counts: a province's counts
are its children's column sums, a quarter's or year's counts are its months' sums, ratios are
``round(100 * num / den, 2)`` and scores follow v1-api.md §7. A running month is a floor-scaled share
of the full month, so every "part ≤ whole" relation survives. Matrices are built lazily with numpy and
cached per (province, month, share), so a request answers in a few milliseconds once warm.

Eras: from July 2025 the 34 provinces of ``provinces.json`` (real codes, IDs and legacy IDs) with
~15 agencies (``Hnn.01``..``Hnn.29``) and ~100 communes (``Hnn.100``..); before, the 63 provinces of
the merger table with ~20 agencies and ~9 districts (``Hnn.500``..). A period belongs to the era of
its last month, so "year 2025" is the 34-province view that the portal shows for it.
"""

from __future__ import annotations

import calendar
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np

from dvc766.periods import VN_TZ
from replica.shocks import Shock, active_shocks, apply_shocks
from replica.units import MERGER_MONTH, ProvinceTree, province_trees

# The additive counts of one unit for one month (columns of a month matrix).
FIELDS = (
    # dvc-progress-tree
    "received", "on_time", "overdue", "completed", "days_x100",
    # provide-online-tree (authority/partial/full/os_* are catalogue counts, summed like the rest)
    "authority", "partial", "full", "os_total", "os_with",
    "ch_online", "ch_direct", "ch_postal", "ch_total", "online_on_time", "online_overdue",
    # formality-online-payment-tree
    "pay_ok", "pay_oblig", "fee_online_f", "fee_dossier_f", "fee_distinct_f", "fee_f",
    # transparency
    "pub_num", "pub_den", "upd_num", "upd_den", "full_num", "full_den", "sync_num", "sync_den",
    # handling-satisfaction (dossier denominator = received)
    "dsat_num", "pet_total", "pet_tthc", "pet_staff", "pet_on_time", "pet_satisfied",
    # dossier-digitized (dossier denominator = received)
    "orig_num", "sohoa_num", "reuse_num", "synced_num", "cdc_num", "cdf_num", "cdf_den",
)  # fmt: skip
COL = {name: i for i, name in enumerate(FIELDS)}
GROUPS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")
GROUP_MAX = {"CKMB": 18, "TDGQ": 20, "CLGQ": 12, "TTTT": 10, "MDHL": 18, "MDSH": 22}


class Figures:
    """Counts of one province over one period: ``children`` rows and the ``parent`` sums.

    Children rows become Python lists only when a body needs them; national answers use parents only.
    """

    def __init__(self, tree: ProvinceTree, matrix: np.ndarray, months: list[tuple[int, int]]) -> None:
        self.tree = tree
        self.matrix = matrix
        self.months = months
        self.parent: list[int] = matrix.sum(axis=0).tolist()
        self._children: list[list[int]] | None = None

    @property
    def children(self) -> list[list[int]]:
        if self._children is None:
            self._children = self.matrix.tolist()
        return self._children


def era_of_month(year: int, month: int) -> str:
    return "post" if (year, month) >= MERGER_MONTH else "pre"


def era_of(months: list[tuple[int, int]]) -> str:
    """A period belongs to the era of its last month."""
    return era_of_month(*months[-1])


def period_months(period_type: str, year: int, number: int = 0) -> list[tuple[int, int]]:
    """The calendar months of ``month``/``quarter``/``half``/``year`` periods."""
    if period_type == "month":
        return [(year, number)]
    if period_type == "quarter":
        return [(year, m) for m in range(3 * number - 2, 3 * number + 1)]
    if period_type == "half":
        return [(year, m) for m in range(6 * number - 5, 6 * number + 1)]
    return [(year, m) for m in range(1, 13)]


def month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=VN_TZ)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year, month + 1) if month < 12 else (year + 1, 1)


def publication_time(year: int, month: int) -> datetime:
    """A month's own figures appear on the 3rd of the next month (after the nightly refreshes)."""
    y, m = next_month(year, month)
    return datetime(y, m, 3, tzinfo=VN_TZ)


def month_share(year: int, month: int, now: datetime) -> tuple[int, int] | None:
    """Which share of a month the portal has counted at ``now``: None (not started), (1, 1) when
    ended, else (hours elapsed, hours in month)."""
    start = month_start(year, month)
    if now < start:
        return None
    end = month_start(*next_month(year, month))
    if now >= end:
        return (1, 1)
    total = calendar.monthrange(year, month)[1] * 24
    return (int((now - start).total_seconds() // 3600), total)


def coverage(
    period_type: str, months: list[tuple[int, int]], now: datetime
) -> list[tuple[int, int, int, int]]:
    """The (year, month, share numerator, share denominator) the portal counts for a period at ``now``;
    empty means "not published yet". A running month shows its figures so far (the portal's "current
    month" view, partial and moving daily: what ``dvc766 watch`` reads); an ended month shows only
    once published (the 3rd of the next month); a running quarter or year counts its ended months
    whole and the current month in part."""
    if period_type == "month":
        y, m = months[0]
        share = month_share(y, m, now)
        if share is not None and share != (1, 1):
            return [(y, m, *share)] if share[0] > 0 else []
        return [(y, m, 1, 1)] if now >= publication_time(y, m) else []
    out = []
    for y, m in months:
        share = month_share(y, m, now)
        if share is not None:
            out.append((y, m, *share))
    return out


# --- counts --------------------------------------------------------------------------------------


def _traits(seed: int, tree: ProvinceTree) -> dict[str, np.ndarray]:
    """Persistent per-unit traits: size and quality levels that months vary around."""
    n = len(tree.children)
    rng = np.random.default_rng([seed, 21, tree.key, 0 if tree.era == "post" else 1])
    is_agency = np.array([u.kind == "agency" for u in tree.children])
    local_size = 1500.0 if tree.era == "post" else 9000.0
    size = np.where(is_agency, rng.lognormal(5.6, 1.3, n), rng.lognormal(math.log(local_size), 0.5, n))
    size = np.where(is_agency & (rng.random(n) < 0.1), 0.0, size)  # some agencies receive nothing
    size = np.minimum(size, 60_000.0)  # the busiest real unit takes ~30k a month; keeps counts in int32
    province_quality = rng.normal(0.0, 0.05)
    return {
        "size": size,
        "q_on_time": np.clip(rng.normal(0.72 + province_quality, 0.12, n), 0.2, 0.99),
        "q_done": rng.uniform(0.05, 0.4, n),
        "days": rng.uniform(2.0, 18.0, n),
        "authority": np.where(is_agency, rng.integers(3, 45, n), rng.integers(1, 6, n)),
        "q_partial": rng.uniform(0.2, 0.6, n),
        "q_full": rng.uniform(0.2, 0.8, n),
        "os_total": np.where(is_agency, rng.integers(8, 90, n), rng.integers(5, 25, n)),
        "q_os": rng.uniform(0.05, 0.5, n),
        "q_channel": rng.uniform(0.75, 0.98, n),
        "q_online": np.clip(rng.normal(0.8 + province_quality, 0.15, n), 0.05, 1.0),
        "q_oblig": rng.uniform(0.2, 0.6, n),
        "q_pay": np.clip(rng.normal(0.7, 0.15, n), 0.0, 1.0),
        "q_fee": rng.uniform(0.1, 0.6, n),  # share of the unit's procedures that carry a fee
        "pub_rate": np.where(is_agency, 0.8, 0.0),
        "q_sat": np.clip(rng.normal(0.8 + province_quality, 0.08, n), 0.3, 1.0),
        "petitions": np.where(is_agency, rng.uniform(0.0, 3.0, n), rng.uniform(0.0, 4.0, n)),
        "q_orig": rng.uniform(0.3, 0.95, n),
        "q_sohoa": rng.uniform(0.02, 0.5, n),
        "q_reuse": rng.uniform(0.0, 0.08, n),
        "q_cdc": rng.uniform(0.2, 0.7, n),
        "cdf_den": np.where(is_agency, rng.integers(5, 80, n), rng.integers(100, 400, n)),
    }


def _floor(a: np.ndarray) -> np.ndarray:
    return np.floor(a).astype(np.int64)


def year_block(
    seed: int, tree: ProvinceTree, year: int, partial: tuple[int, int, int] | None = None
) -> np.ndarray:
    """Counts of every child of ``tree`` for the 12 months of ``year``, shape (month, child, field).

    All twelve months are drawn at once (numpy works on 12 × children arrays), which makes a year
    cost about what one month did. ``partial = (month, num, den)`` counts only ``num/den`` of that
    month (a running month); its random draws are those of the full month, so a running month's
    counts are a floor-scaled share of the final ones and every "part ≤ whole" relation holds.
    """
    t = _cached_traits(seed, tree)
    n = len(tree.children)
    rng = np.random.default_rng([seed, 41, tree.key, year, 0 if tree.era == "post" else 1])
    months = np.arange(1, 13).reshape(12, 1)
    trend = 0.004 * ((year - 2023) * 12 + months)  # quality drifts upwards month by month
    season = 1.0 + 0.15 * np.sin(2 * np.pi * months / 12)
    num = np.ones((12, 1), dtype=np.int64)
    den = np.ones((12, 1), dtype=np.int64)
    if partial is not None:
        num[partial[0] - 1], den[partial[0] - 1] = partial[1], partial[2]
    share = num / den

    noise = rng.standard_normal((40, 12, n))  # one draw for all the year's rates
    draws = iter(noise)

    def rate(base: np.ndarray | float, spread: float, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
        return np.minimum(np.maximum(base + spread * next(draws), lo), hi)

    received_full = _floor(t["size"] * season * rng.lognormal(0.0, 0.15, (12, n)))
    received = received_full * num // den
    on_time = _floor(received * rate(t["q_on_time"] + trend, 0.04, 0.1, 1.0))
    overdue = received - on_time
    completed = on_time + _floor(overdue * rate(t["q_done"], 0.03))
    days_x100 = _floor(received * 100 * rate(t["days"], 0.8, 0.5, 40.0))

    authority = t["authority"].astype(np.int64)
    partial_count = _floor(authority * rate(t["q_partial"], 0.05))
    full = _floor((authority - partial_count) * rate(t["q_full"] + trend, 0.05))
    os_total = t["os_total"].astype(np.int64)
    os_with = _floor(os_total * rate(t["q_os"], 0.05) * share)
    ch_total = _floor(received * rate(t["q_channel"], 0.02))
    ch_online = _floor(ch_total * rate(t["q_online"] + trend, 0.03))
    ch_postal = _floor((ch_total - ch_online) * 0.02)
    ch_direct = ch_total - ch_online - ch_postal
    online_on_time = _floor(ch_online * rate(t["q_on_time"] + trend + 0.08, 0.04))
    online_overdue = ch_online - online_on_time

    pay_oblig = _floor(received * rate(t["q_oblig"], 0.03))
    pay_ok = _floor(pay_oblig * rate(t["q_pay"] + trend, 0.05))
    # The fee-bearing procedures are a part of the unit's procedures (4.1 ≤ 1.1's total, as on the portal).
    fee_f = _floor(authority * t["q_fee"])
    fee_dossier_f = _floor(fee_f * rate(0.3, 0.15))
    fee_online_f = _floor(fee_f * rate(0.25 + trend, 0.1))
    fee_distinct_f = fee_f

    pub_den = rng.poisson(t["pub_rate"] * share).astype(np.int64)
    pub_num = _floor(pub_den * rate(0.7 + trend, 0.2))
    upd_den = rng.poisson(t["pub_rate"] * 1.5 * share).astype(np.int64)
    upd_num = _floor(upd_den * rate(0.6 + trend, 0.2))
    # 1.1's total is the unit's procedure catalogue, the one 3.1 + 3.2 + 3.3 partition.
    full_den = authority
    full_num = _floor(full_den * rate(0.93, 0.05))
    sync_den = received
    sync_num = _floor(received * rate(0.97, 0.03))

    dsat_num = _floor(received * rate(t["q_sat"] + trend, 0.03))
    pet_total = rng.poisson(t["petitions"] * season).astype(np.int64) * num // den
    pet_tthc = _floor(pet_total * rate(0.7, 0.2))
    pet_staff = pet_total - pet_tthc  # 5.3's two kinds partition the petitions: a) + b) = 100 %
    pet_on_time = _floor(pet_total * rate(0.75 + trend, 0.2))
    pet_satisfied = _floor(pet_total * rate(0.6 + trend, 0.25))

    orig_num = _floor(received * rate(t["q_orig"] + trend, 0.04))
    sohoa_num = _floor(received * rate(t["q_sohoa"] + trend, 0.03))
    reuse_num = _floor(received * rate(t["q_reuse"], 0.01))
    synced_num = _floor(received * rate(0.02 + trend / 2, 0.01))
    cdc_num = _floor(received * rate(t["q_cdc"] + trend, 0.04))
    cdf_den = t["cdf_den"].astype(np.int64)
    cdf_num = _floor(cdf_den * rate(0.2 + trend, 0.05))

    scope = dict(locals())
    scope["partial"] = partial_count
    # int32 halves the cache's memory; sums over months and children are taken in int64.
    return np.stack([np.broadcast_to(scope[name], (12, n)).astype(np.int32) for name in FIELDS], axis=2)


_TRAITS: dict[tuple[int, str, str], dict[str, np.ndarray]] = {}
_TRAITS_LOCK = threading.Lock()


def _cached_traits(seed: int, tree: ProvinceTree) -> dict[str, np.ndarray]:
    key = (seed, tree.era, tree.unit.code)
    with _TRAITS_LOCK:
        hit = _TRAITS.get(key)
    if hit is None:
        hit = _traits(seed, tree)
        with _TRAITS_LOCK:
            _TRAITS[key] = hit
    return hit


class _LRU:
    """A small thread-safe LRU cache (year blocks of counts are the replica's working set)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[object, object] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key: object, value: object) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


class Dataset:
    """The generated portal: provinces per era and their counts for any covered period."""

    def __init__(self, seed: int = 766) -> None:
        self.seed = seed
        self._blocks = _LRU(600)  # year blocks: ~230 kB each at most
        self._figures = _LRU(800)
        # A scenario's shocks (replica.shocks) and the clock that says which are in force; the
        # server sets both. No shocks: figures depend on the covered shares alone.
        self.shocks: tuple[Shock, ...] = ()
        self.now: Callable[[], datetime] | None = None

    # registry
    def provinces(self, era: str) -> tuple[ProvinceTree, ...]:
        return province_trees(self.seed, era)

    def find(self, era: str, *, department_id: str | None = None, legacy_id: str | None = None,
             code: str | None = None) -> ProvinceTree | None:  # fmt: skip
        for tree in self.provinces(era):
            u = tree.unit
            if department_id is not None and u.department_id == department_id:
                return tree
            if legacy_id is not None and u.legacy_id == str(legacy_id):
                return tree
            if code is not None and u.code == code:
                return tree
        return None

    # counts
    def month(self, tree: ProvinceTree, year: int, month: int, num: int = 1, den: int = 1) -> np.ndarray:
        partial = None if num == den else (month, num, den)
        key = (tree.era, tree.unit.code, year, partial)
        block = self._blocks.get(key)
        if block is None:
            block = year_block(self.seed, tree, year, partial)
            self._blocks.put(key, block)
        return block[month - 1]  # type: ignore[index]

    def figures(self, tree: ProvinceTree, cover: Iterable[tuple[int, int, int, int]]) -> Figures:
        """Counts of a province over the covered months (children rows and parent sums)."""
        cover = tuple(cover)
        now = self.now() if self.shocks and self.now is not None else None
        shocked = {(y, m): active_shocks(self.shocks, tree.unit.code, y, m, now) for y, m, _, _ in cover}
        key = (tree.era, tree.unit.code, cover, tuple(shocked.values()))
        hit = self._figures.get(key)
        if hit is not None:
            return hit  # type: ignore[return-value]
        total = np.zeros((len(tree.children), len(FIELDS)), dtype=np.int64)
        for y, m, num, den in cover:
            counts = self.month(tree, y, m, num, den)
            if shocked[(y, m)]:
                counts = apply_shocks(counts, [u.code for u in tree.children], shocked[(y, m)], COL)
            total += counts
        figs = Figures(tree, total, [(c[0], c[1]) for c in cover])
        self._figures.put(key, figs)
        return figs
