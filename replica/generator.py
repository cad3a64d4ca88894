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
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import numpy as np

from dvc766.periods import VN_TZ
from dvc766.provinces import UNIT_CODE_RE, merger_table, provinces

MERGER_MONTH = (2025, 7)
# Legacy numeric IDs of the 34 provinces, as the legacy gateway returns them (legacy-api.md §4).
LEGACY_IDS: dict[str, str] = {
    "H01": "398126", "H05": "401621", "H12": "408562", "H13": "409587", "H14": "410516",
    "H15": "381137", "H17": "426100", "H18": "383348", "H19": "426101", "H20": "374613",
    "H21": "384251", "H24": "387628", "H26": "389181", "H27": "390693", "H29": "411312",
    "H31": "426108", "H32": "415139", "H35": "420192", "H36": "421149", "H37": "417489",
    "H38": "426105", "H41": "418979", "H42": "393975", "H44": "422607", "H48": "365792",
    "H49": "426106", "H50": "6715", "H52": "426103", "H53": "369810", "H55": "370865",
    "H56": "371854", "H57": "374087", "H60": "384979", "H61": "377087",
}  # fmt: skip
CITIES = {"Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế"}

AGENCY_NAMES = (
    "Văn phòng UBND tỉnh", "Sở Nội vụ", "Sở Tư pháp", "Sở Văn hóa, Thể thao và Du lịch", "Sở Tài chính",
    "Sở Công Thương", "Sở Giáo dục và Đào tạo", "Sở Giao thông vận tải", "Sở Xây dựng", "Sở Y tế",
    "Sở Lao động - Thương binh và Xã hội", "Sở Khoa học và Công nghệ", "Ban Quản lý các khu công nghiệp",
    "Sở Nông nghiệp và Môi trường", "Sở Tài nguyên và Môi trường", "Sở Thông tin và Truyền thông",
    "Sở Ngoại vụ", "Thanh tra tỉnh", "Sở Dân tộc và Tôn giáo", "Sở Kế hoạch và Đầu tư", "Sở Du lịch",
    "Ban Dân tộc", "Công an tỉnh", "Bảo hiểm xã hội tỉnh", "Cục Thuế tỉnh",
    "Sở Nông nghiệp và Phát triển nông thôn", "Ban Quản lý Khu kinh tế", "Sở Quy hoạch - Kiến trúc",
    "Sở An toàn thực phẩm",
)  # fmt: skip
# The 2025 reorganisation of provincial departments (in force by July 2025, the replica's "post" era):
# these were merged away (NN&PTNT + TN&MT → NN&MT, KH&ĐT → Tài chính, TT&TT → KH&CN, LĐ-TB&XH → Nội vụ,
# GTVT → Xây dựng, Ban Dân tộc → Sở Dân tộc và Tôn giáo) and appear only before it …
PRE_REFORM_ONLY = frozenset({
    "Sở Giao thông vận tải", "Sở Lao động - Thương binh và Xã hội", "Sở Tài nguyên và Môi trường",
    "Sở Thông tin và Truyền thông", "Sở Kế hoạch và Đầu tư", "Ban Dân tộc", "Sở Nông nghiệp và Phát triển nông thôn",
})  # fmt: skip
# … and these were created by it, so appear only after.
POST_REFORM_ONLY = frozenset({"Sở Nông nghiệp và Môi trường", "Sở Dân tộc và Tôn giáo"})
CITY_ONLY = frozenset({"Sở Quy hoạch - Kiến trúc", "Sở An toàn thực phẩm"})  # Hà Nội, Hồ Chí Minh


def agency_numbers(era: str, short: str) -> list[int]:
    """The agency numbers (1-based into ``AGENCY_NAMES``) a province of ``era`` can have."""
    barred = PRE_REFORM_ONLY if era == "post" else POST_REFORM_ONLY
    if short not in ("Hà Nội", "Hồ Chí Minh"):
        barred = barred | CITY_ONLY
    return [i for i, name in enumerate(AGENCY_NAMES, start=1) if name not in barred]


SYLLABLES = (
    "An", "Bình", "Cẩm", "Đông", "Giang", "Hòa", "Hưng", "Khánh", "Lạc", "Long", "Minh", "Mỹ", "Nam",
    "Ngọc", "Phú", "Phúc", "Quang", "Sơn", "Tân", "Thạnh", "Thành", "Thanh", "Thái", "Thuận", "Tiên",
    "Trung", "Tường", "Vân", "Việt", "Vĩnh", "Xuân", "Yên", "Hải", "Lâm", "Định", "Kim", "Bảo", "Hồng",
)  # fmt: skip

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


@dataclass(frozen=True)
class Unit:
    """One unit as the portal lists it; ``kind`` is province, agency, commune or district."""

    code: str
    department_id: str
    name: str
    kind: str
    legacy_id: str


@dataclass(frozen=True)
class ProvinceTree:
    """A province and its children (in ``departmentCode`` string order, as the portal lists them)."""

    unit: Unit
    children: tuple[Unit, ...]
    era: str  # "post" (from 2025-07) or "pre"
    code_source: str  # "portal" (a real code) or "replica" (assigned here)
    key: int  # stable number feeding the random streams


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


_HUNDREDTH = Decimal("0.01")


def r2(x: float) -> float | int:
    """Round half-up to two decimals on the number's decimal text (86.135 → 86.14, where ``round``
    gives 86.13: the binary value sits below the half), written as the portal writes numbers
    (``20``, not ``20.0``). The same rule as the Thái Nguyên scenario's builder."""
    d = Decimal(repr(x + 0.0)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    return int(d) if d == d.to_integral_value() else float(d)


def ratio(num: int, den: int) -> float | int | None:
    """``round(100 * num / den, 2)``; None when there is nothing to divide by."""
    return r2(100.0 * num / den) if den else None


def _uuid(*parts: object) -> str:
    h = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return f"019d{h[0:4]}-{h[4:8]}-7{h[8:11]}-{'89ab'[int(h[11], 16) % 4]}{h[12:15]}-{h[15:27]}"


def _short(name: str) -> str:
    for prefix in ("UBND tỉnh ", "UBND thành phố ", "UBND Thành phố "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _province_name(place: str) -> str:
    return f"UBND Thành phố {place}" if place in CITIES else f"UBND tỉnh {place}"


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
    empty means "not published yet". A month period shows only once published; a running quarter or
    year counts its ended months whole and the current month in part."""
    if period_type == "month":
        y, m = months[0]
        return [(y, m, 1, 1)] if now >= publication_time(y, m) else []
    out = []
    for y, m in months:
        share = month_share(y, m, now)
        if share is not None:
            out.append((y, m, *share))
    return out


# --- the unit registry --------------------------------------------------------------------------


def _children(seed: int, era: str, code: str, short: str, key: int) -> tuple[Unit, ...]:
    rng = np.random.default_rng([seed, 11, key, 0 if era == "post" else 1])
    n_agencies = int(rng.integers(13, 18)) if era == "post" else int(rng.integers(18, 23))
    allowed = np.array(agency_numbers(era, short))
    agency_nums = sorted(rng.choice(allowed, size=n_agencies, replace=False).tolist())
    units = []
    base = (1 if era == "post" else 5) * 10_000_000 + key * 10_000
    level = "thành phố" if short in CITIES else "tỉnh"
    for i, num in enumerate(agency_nums):
        ucode = f"{code}.{num:02d}"
        own = AGENCY_NAMES[num - 1].replace(" tỉnh", f" {level}")  # "Thanh tra thành phố" in a city
        name = f"{own} - {level} {short}"
        units.append(Unit(ucode, _uuid(seed, era, ucode), name, "agency", str(base + i + 1)))
    if era == "post":
        n_local, first, kinds = int(rng.integers(90, 111)), 100, ("UBND xã", "UBND xã", "UBND phường")
        kind = "commune"
    else:
        n_local, first, kinds = int(rng.integers(7, 12)), 500, ("UBND huyện", "UBND huyện", "UBND thị xã")
        kind = "district"
    # Place names of two different syllables, each capitalised as Vietnamese names are ("Vân Cẩm"), no
    # two alike in a province: drawn without replacement from every ordered pair.
    n_syl = len(SYLLABLES)
    pairs = [(a, b) for a in range(n_syl) for b in range(n_syl) if a != b]
    picks = [pairs[i] for i in rng.choice(len(pairs), size=n_local, replace=False).tolist()]
    kind_picks = rng.integers(0, len(kinds), size=n_local).tolist()
    for j in range(n_local):
        ucode = f"{code}.{first + j}"
        place = f"{SYLLABLES[picks[j][0]]} {SYLLABLES[picks[j][1]]}"
        name = f"{kinds[kind_picks[j]]} {place}"
        units.append(Unit(ucode, _uuid(seed, era, ucode), name, kind, str(base + 100 + j)))
    return tuple(sorted(units, key=lambda u: u.code))


@lru_cache(maxsize=8)
def province_trees(seed: int, era: str) -> tuple[ProvinceTree, ...]:
    """The provinces of an era with their children, in code order."""
    real = {p.code: p for p in provinces()}
    out = []
    if era == "post":
        for key, p in enumerate(sorted(real.values(), key=lambda p: p.code)):
            unit = Unit(p.code, p.department_id, p.name, "province", LEGACY_IDS[p.code])
            out.append(
                ProvinceTree(unit, _children(seed, era, p.code, _short(p.name), key), era, "portal", key)
            )
        return tuple(out)
    for row in pre_merger_provinces(seed):
        code, key = row["code"], int(row["key"])
        unit = Unit(code, row["departmentId"], row["departmentName"], "province", row["legacyId"])
        tree = ProvinceTree(
            unit, _children(seed, era, code, row["oldProvince"], key), era, row["codeSource"], key
        )
        out.append(tree)
    return tuple(sorted(out, key=lambda t: t.unit.code))


@lru_cache(maxsize=8)
def pre_merger_provinces(seed: int = 766) -> tuple[dict[str, str], ...]:
    """The 63 pre-July-2025 provinces: continuing ones keep their post-merger code, ID and legacy ID;
    absorbed ones get replica codes ``Z01``..``Z29`` marked ``"codeSource": "replica"``."""
    real = {p.code: p for p in provinces()}
    rows = []
    absorbed = 0
    for i, m in enumerate(merger_table()):
        continuing = m.old_province == m.new_province
        if continuing:
            p = real[m.new_code]
            code, dep_id, legacy, source = p.code, p.department_id, LEGACY_IDS[p.code], "portal"
        else:
            absorbed += 1
            code = f"Z{absorbed:02d}"
            dep_id = _uuid(seed, "pre", code)
            legacy, source = str(430000 + 137 * absorbed), "replica"
        if not UNIT_CODE_RE.fullmatch(code):  # pragma: no cover - guards the code scheme
            raise ValueError(f"replica code {code} does not match UNIT_CODE_RE")
        name = real[m.new_code].name if continuing else _province_name(m.old_province)
        rows.append(
            {
                "code": code,
                "departmentId": dep_id,
                "departmentName": name,
                "oldProvince": m.old_province,
                "mergedInto": m.new_code,
                "legacyId": legacy,
                "codeSource": source,
                "key": str(100 + i),
            }
        )
    return tuple(rows)


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
        key = (tree.era, tree.unit.code, cover)
        hit = self._figures.get(key)
        if hit is not None:
            return hit  # type: ignore[return-value]
        total = np.zeros((len(tree.children), len(FIELDS)), dtype=np.int64)
        for y, m, num, den in cover:
            total += self.month(tree, y, m, num, den)
        figs = Figures(tree, total, [(c[0], c[1]) for c in cover])
        self._figures.put(key, figs)
        return figs


# --- scores (v1-api.md §7) -----------------------------------------------------------------------

TRANSPARENCY_METRICS = (
    ("PUBLISH_ON_TIME", "Tỷ lệ TTHC công bố đúng hạn", "pub_num", "pub_den", 6),
    ("PUBLIC_UPDATE_ON_TIME", "Tỷ lệ TTHC cập nhật, công khai đúng hạn", "upd_num", "upd_den", 4),
    ("PUBLIC_CONTENT_FULL", "Tỷ lệ TTHC công khai đầy đủ nội dung", "full_num", "full_den", 2),
    ("DOSSIER_SYNC", "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG", "sync_num", "sync_den", 6),
)
DIGITIZED_METRICS = (
    ("ORIGINAL_RESULT_AVAILABLE", "Tỷ lệ hồ sơ thủ tục hành chính có cấp kết quả giải quyết thủ tục hành chính điện tử", "orig_num", "received", 6),
    ("SO_HOA_GIAY_TO_GIAI_QUYET", "Tỷ lệ hồ sơ thủ tục hành chính thực hiện số hóa hồ sơ", "sohoa_num", "received", 4),
    ("REUSED_DIGITIZED_DATA", "Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa", "reuse_num", "received", 2),
    ("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", "Tỷ lệ hồ sơ TTHC được số hóa có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng", "synced_num", "received", 4),
    ("CITIZEN_DATA_CONNECTED_DOSSIER", "Tỷ lệ hồ sơ TTHC có sử dụng thông tin, dữ liệu dân cư", "cdc_num", "received", 2),
    ("CITIZEN_DATA_CONNECTED_FORMALITY", "Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư phục vụ GQ TTHC", "cdf_num", "cdf_den", 2),
)  # fmt: skip
ECC = ("ELECTRONIC_CERTIFIED_COPY", "Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính", 2)
SATISFACTION_METRICS = (
    (
        "PETITION_CLASSIFICATION_TTHC",
        "Tỷ lệ PAKN về quy định, thủ tục hành chính",
        "pet_tthc",
        "pet_total",
        0,
    ),
    (
        "DOSSIER_RECEIVING_SATISFACTION",
        "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
        "dsat_num",
        "received",
        6,
    ),
    ("PETITION_PROCESSING_ON_TIME", "Tỷ lệ PAKN xử lý đúng hạn", "pet_on_time", "pet_total", 6),
    ("PETITION_HANDLING_SATISFACTION", "Tỷ lệ hài lòng trong xử lý PAKN", "pet_satisfied", "pet_total", 6),
    (
        "PETITION_CLASSIFICATION_STAFF",
        "Tỷ lệ PAKN về hành vi cán bộ, công chức, viên chức",
        "pet_staff",
        "pet_total",
        0,
    ),
)


def _metric(
    code: str, name: str, num: int | None, den: int | None, rat: object, score: object, mx: int
) -> dict:
    return {"code": code, "name": name, "numerator": num, "denominator": den, "ratio": rat, "score": score,
            "maxScore": mx}  # fmt: skip


def transparency_metrics(c: list[int]) -> list[dict]:
    out = []
    for code, name, n, d, mx in TRANSPARENCY_METRICS:
        num, den = c[COL[n]], c[COL[d]]
        m = _metric(code, name, num, den, ratio(num, den), r2(mx * num / den) if den else None, mx)
        if code == "DOSSIER_SYNC":
            if den:
                m["dataQualityStatus"] = "TEMP_NATIONAL_REPORT_DENOMINATOR"
                m["dataQualityMessage"] = (
                    "Mẫu số BCQG/GRIS đang dùng số tạm, cần thay bằng dữ liệu crawl hệ thống cũ."
                )
            else:
                m["dataQualityStatus"] = "NO_NATIONAL_REPORT_DATA"
                m["dataQualityMessage"] = "Không có dữ liệu báo cáo tổng hợp."
        out.append(m)
    return out


def digitized_metrics(c: list[int], *, with_formality: bool = True) -> list[dict]:
    out = []
    for code, name, n, d, mx in DIGITIZED_METRICS:
        if code == "CITIZEN_DATA_CONNECTED_FORMALITY" and not with_formality:
            continue
        num, den = c[COL[n]], c[COL[d]]
        if not den:
            score = None
        elif code == "REUSED_DIGITIZED_DATA":
            score = r2(min(mx, mx * num / den / 0.8))
        else:
            score = r2(min(mx, mx * num / den))
        out.append(_metric(code, name, num, den, ratio(num, den), score, mx))
    out.append(_metric(ECC[0], ECC[1], None, None, 100, ECC[2], ECC[2]))
    return out


def satisfaction_metrics(c: list[int]) -> list[dict]:
    out = []
    for code, name, n, d, mx in SATISFACTION_METRICS:
        num, den = c[COL[n]], c[COL[d]]
        rat = ratio(num, den) if den else 0
        if mx == 0:
            score = None
        elif code == "DOSSIER_RECEIVING_SATISFACTION":
            score = r2(min(6.0, 6.0 * num / den / 0.9)) if den else 0
        else:
            score = r2(6.0 * num / den) if den else 6
        out.append(_metric(code, name, num, den, rat, score, mx))
    return out


def group_total(metrics: list[dict]) -> float | int:
    return r2(sum(m["score"] for m in metrics if m["score"] is not None))


def progress_score(c: list[int]) -> tuple[float | int, float | int, float | int]:
    """(ratio, score, avgProcessingDays); a unit with no dossiers shows 0, as the portal does."""
    rec, on = c[COL["received"]], c[COL["on_time"]]
    if not rec:
        return 0, 0, 0
    return r2(100.0 * on / rec), r2(20.0 * on / rec), r2(c[COL["days_x100"]] / 100.0 / rec)


def online_score(c: list[int]) -> float | int:
    """The replica's own online-service score (the portal's formula is not published), ≤ 10 of 12."""

    def share(n: str, d: str) -> float:
        return c[COL[n]] / c[COL[d]] if c[COL[d]] else 0.0

    return r2(12.0 * (0.45 * share("ch_online", "ch_total") + 0.25 * share("full", "authority")
                      + 0.13 * share("os_with", "os_total")))  # fmt: skip


def payment_score(c: list[int]) -> float | int:
    """6·A + min(2, 2.5·B) + 2.5·min(1, C), capped at 10 (v1-api.md §7)."""
    oblig, fee = c[COL["pay_oblig"]], c[COL["fee_f"]]
    a = c[COL["pay_ok"]] / oblig if oblig else 0.0
    b = c[COL["fee_online_f"]] / fee if fee else 0.0
    cc = min(1.0, c[COL["fee_dossier_f"]] / fee) if fee else 0.0  # capped as the scenario's builder caps it
    return r2(min(10.0, 6 * a + min(2.0, 2.5 * b) + 2.5 * cc))


def group_scores(c: list[int]) -> dict[str, float | int]:
    """The six group scores of one unit's counts, and nothing else: the total is their sum."""
    return {
        "CKMB": group_total(transparency_metrics(c)),
        "TDGQ": progress_score(c)[1],
        "CLGQ": online_score(c),
        "TTTT": payment_score(c),
        "MDHL": group_total(satisfaction_metrics(c)),
        "MDSH": group_total(digitized_metrics(c)),
    }


def total_score(groups: dict[str, float | int]) -> float | int:
    return r2(sum(groups.values()))
