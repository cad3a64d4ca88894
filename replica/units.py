"""The replica's units: the 34 provinces of ``provinces.json`` (from July 2025) and the 63 before the
merger, each with its agencies and communes (or districts), named and identified the way the portal
does — codes in ``departmentCode`` order, time-ordered UUIDs, legacy numeric IDs.

Apart from the counts (:mod:`replica.generator`) because who exists, under which code and name, is a
question of its own: the 2025 reorganisation of departments and the city-only agencies live here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

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
