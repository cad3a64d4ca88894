"""Build the replica scenario that carries Thái Nguyên's (H55) figures of the reference appendix.

The reference appendix (reference ``000_043cba9f507b194d.txt`` of the project notes, copied next to the
scenario as ``reference_appendix.txt``) compares the province's year-to-date figures seen on the
portal on 30/9/2023 and on 31/10/2023. This script turns its figures into v1-API bodies so that a
``dvc766 snapshot`` run against the replica on those two days lands exactly those figures, and the
rendered appendix can be compared with the reference line by line.

Everything the reference states is written out below in readable tables (``SECTION_I``,
``OVERDUE``, ``ONLINE_RATE``, ``PAYMENT_RATE``); every other number (counts the reference does not
print, children's counts, other provinces' scores) is derived deterministically from those tables
and a few documented choices, under the mapping of ``docs/appendix-mapping.md``. ``REFERENCE.md``
is generated alongside the bodies and tells, for every reference figure, which body and field carry
it.

Run ``python replica/scenarios/build_thai_nguyen_2023.py`` from the repository root; the output is
committed, so the replica never runs this script.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Run as a script, sys.path[0] is this folder; the repository root makes `dvc766` a regular package.
sys.path.insert(0, str(HERE.parents[1]))

from dvc766.provinces import merger_table, province_by_code  # noqa: E402

OUT = HERE / "thai_nguyen_2023"

PROVINCE_CODE = "H55"
PROVINCE_ID = "019d2be3-6a88-732b-8b25-68dfdcdcff0e"
PROVINCE_NAME = "UBND tỉnh Thái Nguyên"
YEAR = 2023
MONTHS = ("2023-09", "2023-10")
# Capture day and the replica-clock window in which each month's bodies are served.
CAPTURE = {
    "2023-09": {"day": "2023-09-30", "from": "2023-09-30T00:00", "until": "2023-10-01T00:00"},
    "2023-10": {"day": "2023-10-31", "from": "2023-10-31T00:00", "until": "2023-11-01T00:00"},
}

# --------------------------------------------------------------------------------------------------
# The reference figures, as printed (decimal commas turned into points). Sep = 30/9/2023, Oct =
# 31/10/2023. Only the figures, never the printed change column (which has slips: "+18" for 1.1,
# "+3,07" for Sở Thông tin và Truyền thông in section IV).
# --------------------------------------------------------------------------------------------------

SECTION_I: dict[str, dict[str, Any]] = {
    # line: {month: figures}
    "1.1": {"2023-09": {"n": 1764, "d": 1764, "rate": 100}, "2023-10": {"n": 1769, "d": 1769, "rate": 100}},
    "1.2a": {"2023-09": {"count": 448887, "rate": 86.14}, "2023-10": {"count": 569302, "rate": 97.03}},
    "1.2b": {"2023-09": {"count": 72256, "rate": 13.86}, "2023-10": {"count": 17400, "rate": 2.97}},
    "2.1": {"2023-09": {"rate": 93.55}, "2023-10": {"rate": 98.83}},
    "2.2": {"2023-09": {"rate": 6.45}, "2023-10": {"rate": 1.17}},
    "3.1": {"2023-09": {"count": 151, "rate": 8.56}, "2023-10": {"count": 151, "rate": 8.54}},
    "3.2": {"2023-09": {"count": 810, "rate": 45.92}, "2023-10": {"count": 810, "rate": 45.79}},
    "3.3": {"2023-09": {"count": 803, "rate": 45.52}, "2023-10": {"count": 808, "rate": 45.68}},
    "3.4a": {"2023-09": {"rate": 73.68}, "2023-10": {"rate": 77.24}},
    "3.4b": {"2023-09": {"rate": 26.32}, "2023-10": {"rate": 22.76}},
    "3.5a": {"2023-09": {"rate": 94.29}, "2023-10": {"rate": 95.25}},
    "3.5b": {"2023-09": {"rate": 5.71}, "2023-10": {"rate": 4.75}},
    "3.6": {"2023-09": {"rate": 12.6}, "2023-10": {"rate": 15.4}},
    "4.1a": {"2023-09": {"count": 182, "rate": 100}, "2023-10": {"count": 190, "rate": 100}},
    "4.1b": {"2023-09": {"count": 0, "rate": 0}, "2023-10": {"count": 0, "rate": 0}},
    "4.2a": {"2023-09": {"count": 34766, "rate": 36.32}, "2023-10": {"count": 68043, "rate": 47.81}},
    "4.2b": {"2023-09": {"count": 60947, "rate": 63.68}, "2023-10": {"count": 74285, "rate": 52.19}},
    "4.3a": {"2023-09": {"count": 148, "rate": 69.48}, "2023-10": {"count": 157, "rate": 70.72}},
    "4.3b": {"2023-09": {"count": 65, "rate": 30.52}, "2023-10": {"count": 65, "rate": 29.28}},
    "5.1": {"2023-09": {"rate": 100}, "2023-10": {"rate": 100}},
    "5.2": {"2023-09": {"rate": 92.39}, "2023-10": {"rate": 94.19}},
    "5.3a": {"2023-09": {"rate": 52.17}, "2023-10": {"rate": 54.0}},
    "5.3b": {"2023-09": {"rate": 47.83}, "2023-10": {"rate": 46.0}},
    "6.1": {"2023-09": {"rate": 80.47}, "2023-10": {"rate": 83.68}},
    "6.2": {"2023-09": {"rate": 37.82}, "2023-10": {"rate": 44.11}},
    "6.4": {"2023-09": {"count": 256434, "rate": 57.01}, "2023-10": {"count": 378371, "rate": 66.33}},
    "total": {
        "2023-09": {"score": 77.79, "rank": 10, "of": 63},
        "2023-10": {"score": 78.59, "rank": 9, "of": 63},
    },
}

# Section II: overdue dossiers per unit (name exactly as printed, Sep, Oct).
OVERDUE: list[tuple[str, int, int]] = [
    ("Sở Lao động, Thương binh và Xã hội", 1, 2),
    ("Sở Tư pháp", 29, 28),
    ("UBND huyện Đại Từ", 601, 252),
    ("UBND thành phố Thái Nguyên", 375, 43),
    ("UBND huyện Phú Bình", 910, 57),
    ("UBND huyện Đồng Hỷ", 216, 29),
    ("UBND thành phố Phổ Yên", 239, 78),
    ("UBND huyện Định Hóa", 543, 112),
    ("UBND huyện Phú Lương", 279, 52),
    ("UBND thành phố Sông Công", 219, 84),
    ("UBND huyện Võ Nhai", 324, 107),
    ("Sở Tài nguyên và Môi trường", 145, 169),
    ("Sở Xây dựng", 12, 3),
    ("Sở Nông nghiệp và Phát triển Nông thôn", 1, 0),
    ("Sở Y tế", 10, 5),
    ("Sở Giao thông Vận tải", 88, 37),
    ("Ban quản lý các Khu công nghiệp", 0, 1),
    ("Sở Văn hóa, Thể thao và Du lịch", 1, 1),
    ("Sở Công thương", 2, 3),
    ("Sở Thông tin và Truyền thông", 1, 1),
    ("Sở Khoa học và Công nghệ", 0, 0),
    ("Sở Giáo dục và Đào tạo", 0, 0),
    ("Sở Ngoại vụ", 0, 0),
    ("Sở Nội vụ", 13, 1),
    ("Sở Kế hoạch và Đầu tư", 36, 35),
]
OVERDUE_TOTAL = {"2023-09": 4045, "2023-10": 1100}

# Section III: online-service provision rate per unit (%), 3.1 agencies then 3.2 districts.
ONLINE_RATE: list[tuple[str, float, float]] = [
    ("Sở Nông nghiệp và PTNT", 100, 100),
    ("Sở Tài chính", 98.0, 99.9),
    ("Ban quản lý các Khu công nghiệp", 100, 98.8),
    ("Sở Khoa học và Công nghệ", 99.7, 99.7),
    ("Sở Nội vụ", 95.5, 95.9),
    ("Sở Giáo dục và Đào tạo", 100, 100),
    ("Sở Ngoại vụ", 100, 100),
    ("Sở Thông tin và Truyền thông", 96.5, 96.7),
    ("Sở Văn hóa, Thể thao và Du lịch", 98.1, 98.3),
    ("Sở Tư pháp", 97.4, 96.8),
    ("Sở Công Thương", 94.0, 94.0),
    ("Sở Xây dựng", 80.3, 79.2),
    ("Sở Y tế", 68.5, 68.2),
    ("Sở Tài Nguyên và Môi trường", 61.2, 61.7),
    ("Sở Giao thông vận tải", 35.3, 34.0),
    ("Sở Lao động, Thương binh và Xã hội", 12.0, 15.1),
    ("Sở Kế hoạch và Đầu tư", 61.9, 65.5),
    ("Ban Dân tộc", 0, 75.0),
    ("Thanh tra tỉnh", 0, 0),
    ("UBND thành phố Sông Công", 89.0, 90.5),
    ("UBND huyện Phú Lương", 84.4, 85.6),
    ("UBND huyện Phú Bình", 79.8, 82.3),
    ("UBND huyện Định Hóa", 78.4, 85.1),
    ("UBND huyện Võ Nhai", 69.9, 74.7),
    ("UBND thành phố Thái Nguyên", 72.1, 76.0),
    ("UBND huyện Đại Từ", 67.2, 73.7),
    ("UBND thành phố Phổ Yên", 56.0, 55.3),
    ("UBND huyện Đồng Hỷ", 67.1, 73.2),
]

# Section IV: online-payment rate per unit (%), 4.1 agencies then 4.2 districts. The reference
# prints "+3,07" for Sở Thông tin và Truyền thông although 37,38 → 34,31 is −3,07; the figures
# are used, not the printed change.
PAYMENT_RATE: list[tuple[str, float, float]] = [
    ("Sở Tài Nguyên và Môi trường", 98.96, 98.79),
    ("Sở Công thương", 87.88, 86.11),
    ("Sở Khoa học và Công nghệ", 65.12, 64.81),
    ("Sở Nông nghiệp và PTNT", 95.43, 97.81),
    ("Sở Tư pháp", 83.4, 84.86),
    ("Sở Văn hóa, Thể thao và Du lịch", 52.78, 57.65),
    ("Sở Thông tin và Truyền thông", 37.38, 34.31),
    ("Sở Y tế", 46.25, 52.08),
    ("Sở Kế hoạch và Đầu tư", 0, 0),
    ("Sở Lao động, Thương binh và Xã hội", 0, 0),
    ("Sở Nội vụ", 100, 100),
    ("Ban quản lý các Khu công nghiệp", 0, 0),
    ("Sở Giao thông vận tải", 98.27, 98.35),
    ("Sở Xây dựng", 24.05, 25.31),
    ("Sở Ngoại vụ", 0, 0),
    ("Ban Dân tộc", 0, 0),
    ("Sở Tài chính", 0, 0),
    ("Sở Giáo dục và Đào tạo", 0, 0),
    ("UBND thành phố Sông Công", 84.16, 86.71),
    ("UBND huyện Đồng Hỷ", 46.82, 58.08),
    ("UBND thành phố Phổ Yên", 6.99, 7.03),
    ("UBND huyện Phú Lương", 11.14, 20.48),
    ("UBND huyện Võ Nhai", 6.5, 7.47),
    ("UBND huyện Định Hóa", 40.65, 68.65),
    ("UBND huyện Phú Bình", 38.03, 60.06),
    ("UBND thành phố Thái Nguyên", 21.06, 21.93),
    ("UBND huyện Đại Từ", 0.01, 1.47),
]

# --------------------------------------------------------------------------------------------------
# One unit table for every endpoint: the union of the names of sections II–IV. The reference spells
# some units differently from one section to the next; the canonical name is section II's where the
# unit appears there (the variants are merged below and listed in REFERENCE.md).
# Codes are the replica's own (the portal's real 2023 codes are not known): agencies H55.01..H55.19
# in order of first appearance (section II, then III), district People's Committees H55.201..H55.209
# (level COMMUNE, as the portal files districts before July 2025).
# `volume` is a relative dossier volume used only to apportion the province's counts to its units.
# --------------------------------------------------------------------------------------------------

NAME_VARIANTS: dict[str, str] = {
    "Sở Tài Nguyên và Môi trường": "Sở Tài nguyên và Môi trường",
    "Sở Công Thương": "Sở Công thương",
    "Sở Nông nghiệp và PTNT": "Sở Nông nghiệp và Phát triển Nông thôn",
    "Sở Giao thông vận tải": "Sở Giao thông Vận tải",
}


@dataclass(frozen=True)
class Unit:
    """One child unit of the province as the replica files it."""

    code: str
    name: str
    agency: bool
    volume: float

    @property
    def department_id(self) -> str:
        """A stable replica UUID in the portal's time-ordered style (real IDs are not known)."""
        digest = hashlib.sha256(f"replica-thai-nguyen-2023/{self.code}".encode()).hexdigest()
        return f"019d2be3-6a88-732b-8b25-{digest[:12]}"


UNITS: tuple[Unit, ...] = (
    Unit("H55.01", "Sở Lao động, Thương binh và Xã hội", True, 3),
    Unit("H55.02", "Sở Tư pháp", True, 20),
    Unit("H55.03", "Sở Tài nguyên và Môi trường", True, 30),
    Unit("H55.04", "Sở Xây dựng", True, 3),
    Unit("H55.05", "Sở Nông nghiệp và Phát triển Nông thôn", True, 4),
    Unit("H55.06", "Sở Y tế", True, 5),
    Unit("H55.07", "Sở Giao thông Vận tải", True, 25),
    Unit("H55.08", "Ban quản lý các Khu công nghiệp", True, 2),
    Unit("H55.09", "Sở Văn hóa, Thể thao và Du lịch", True, 1),
    Unit("H55.10", "Sở Công thương", True, 4),
    Unit("H55.11", "Sở Thông tin và Truyền thông", True, 0.5),
    Unit("H55.12", "Sở Khoa học và Công nghệ", True, 0.5),
    Unit("H55.13", "Sở Giáo dục và Đào tạo", True, 1),
    Unit("H55.14", "Sở Ngoại vụ", True, 0.2),
    Unit("H55.15", "Sở Nội vụ", True, 2),
    Unit("H55.16", "Sở Kế hoạch và Đầu tư", True, 15),
    Unit("H55.17", "Sở Tài chính", True, 0.5),
    Unit("H55.18", "Ban Dân tộc", True, 0.1),
    Unit("H55.19", "Thanh tra tỉnh", True, 0.05),
    Unit("H55.201", "UBND huyện Đại Từ", False, 110),
    Unit("H55.202", "UBND thành phố Thái Nguyên", False, 130),
    Unit("H55.203", "UBND huyện Phú Bình", False, 80),
    Unit("H55.204", "UBND huyện Đồng Hỷ", False, 60),
    Unit("H55.205", "UBND thành phố Phổ Yên", False, 90),
    Unit("H55.206", "UBND huyện Định Hóa", False, 50),
    Unit("H55.207", "UBND huyện Phú Lương", False, 55),
    Unit("H55.208", "UBND thành phố Sông Công", False, 45),
    Unit("H55.209", "UBND huyện Võ Nhai", False, 40),
)
UNIT_BY_NAME = {u.name: u for u in UNITS}


def unit_for(printed_name: str) -> Unit:
    """The unit a name printed in the reference refers to (spelling variants merged)."""
    return UNIT_BY_NAME[NAME_VARIANTS.get(printed_name, printed_name)]


# --------------------------------------------------------------------------------------------------
# Choices for figures the reference does not print (documented in REFERENCE.md).
# --------------------------------------------------------------------------------------------------

# Progress tree: total received dossiers (year to date) chosen so that the overdue total of
# section II gives exactly the printed on-time rate (4045 / 62713 = 6.45 %, 1100 / 94012 = 1.17 %).
PROGRESS_RECEIVED = {"2023-09": 62713, "2023-10": 94012}
# Transparency metrics the appendix does not print (numerator, denominator).
PUBLISH_ON_TIME = {"2023-09": (45, 48), "2023-10": (46, 52)}
PUBLIC_UPDATE_ON_TIME = {"2023-09": (40, 44), "2023-10": (41, 50)}
# Procedures handled at district level (each district publishes the same set); the rest of 1.1's
# count belongs to the agencies.
DISTRICT_PROCEDURES = {"2023-09": 262, "2023-10": 262}
# Online services (3.6): services with dossiers / online services.
ONLINE_SERVICE_TOTAL = {"2023-09": 1500, "2023-10": 1500}
# Digitisation metrics the appendix does not print (ratio, %).
SYNCED_PERSONAL_STORAGE = {"2023-09": 25.0, "2023-10": 27.0}
CITIZEN_DOSSIER = {"2023-09": 40.0, "2023-10": 42.0}
CITIZEN_FORMALITY = {"2023-09": (530, 1764), "2023-10": (548, 1769)}
# Petitions (PAKN) per unit (year to date) and the late-handled ones; classification numerators
# come from 5.3 a)/b).
PETITIONS = {
    "2023-09": {
        "H55.03": 6, "H55.202": 8, "H55.201": 5, "H55.203": 4, "H55.205": 5, "H55.204": 3,
        "H55.206": 3, "H55.207": 3, "H55.208": 3, "H55.209": 2, "H55.01": 2, "H55.07": 2,
    },
    "2023-10": {
        "H55.03": 7, "H55.202": 9, "H55.201": 5, "H55.203": 4, "H55.205": 6, "H55.204": 3,
        "H55.206": 3, "H55.207": 3, "H55.208": 3, "H55.209": 2, "H55.01": 2, "H55.07": 2, "H55.04": 1,
    },
}  # fmt: skip
PETITIONS_LATE = {"2023-09": {"H55.202": 1, "H55.201": 1}, "2023-10": {"H55.202": 1, "H55.201": 1}}
# Payment tree: fee-bearing procedures per agency (districts share one district-level set).
FEE_FORMALITIES = {
    "H55.03": 30, "H55.10": 12, "H55.12": 6, "H55.05": 15, "H55.02": 14, "H55.09": 8, "H55.11": 5,
    "H55.06": 12, "H55.16": 10, "H55.01": 4, "H55.15": 2, "H55.08": 6, "H55.07": 18, "H55.04": 10,
    "H55.14": 1, "H55.18": 1, "H55.17": 3, "H55.13": 5,
}  # fmt: skip
FEE_FORMALITIES_OCT_EXTRA = {"H55.03": 3, "H55.07": 2, "H55.04": 1}
DISTRICT_FEE_FORMALITIES = {"2023-09": 20, "2023-10": 22}
# Dossiers with a financial obligation per payment unit (year to date), before balancing. October
# grows most where the rate jumped (Định Hóa, Phú Bình, Đồng Hỷ, Phú Lương). The two balancers per
# month (a high-rate and a low-rate unit) take what makes section I's 4.2 counts exact.
PAYMENT_VOLUME = {
    "2023-09": {
        "H55.03": 6000, "H55.10": 200, "H55.12": 43, "H55.05": 350, "H55.02": 3500, "H55.09": 72,
        "H55.11": 107, "H55.06": 160, "H55.15": 30, "H55.04": 237,
        "H55.208": 3000, "H55.204": 5000, "H55.205": 12000, "H55.207": 6000, "H55.209": 5000,
        "H55.206": 4000, "H55.203": 7000, "H55.201": 10000,
    },
    "2023-10": {
        "H55.03": 7800, "H55.10": 260, "H55.12": 56, "H55.05": 455, "H55.02": 4550, "H55.09": 94,
        "H55.11": 139, "H55.06": 208, "H55.15": 39, "H55.04": 308,
        "H55.208": 3900, "H55.204": 6525, "H55.205": 15600, "H55.207": 6806, "H55.209": 6500,
        "H55.206": 8250, "H55.203": 11413, "H55.201": 13000,
    },
}  # fmt: skip
PAYMENT_BALANCERS = {"2023-09": ("H55.07", "H55.202"), "2023-10": ("H55.07", "H55.202")}
# Obligations of the units that paid nothing online (section IV rate 0), as a share of all.
PAYMENT_ZERO_SHARE = 0.03
# Service-results extras.
GROWTH_PERCENT = {"2023-09": 2.41, "2023-10": 1.03}
SEED = 20231031

GROUPS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")
GROUP_MAX = {"CKMB": 18, "TDGQ": 20, "CLGQ": 12, "TTTT": 10, "MDHL": 18, "MDSH": 22}

METRIC_NAMES = {
    "PUBLISH_ON_TIME": "Tỷ lệ TTHC công bố đúng hạn",
    "PUBLIC_UPDATE_ON_TIME": "Tỷ lệ TTHC cập nhật, công khai đúng hạn",
    "PUBLIC_CONTENT_FULL": "Tỷ lệ TTHC công khai đầy đủ nội dung",
    "DOSSIER_SYNC": "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG",
    "ORIGINAL_RESULT_AVAILABLE": "Tỷ lệ hồ sơ thủ tục hành chính có cấp kết quả giải quyết thủ tục hành chính điện tử",
    "SO_HOA_GIAY_TO_GIAI_QUYET": "Tỷ lệ hồ sơ thủ tục hành chính thực hiện số hóa hồ sơ",
    "REUSED_DIGITIZED_DATA": "Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": "Tỷ lệ hồ sơ TTHC được số hóa có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng",
    "CITIZEN_DATA_CONNECTED_DOSSIER": "Tỷ lệ hồ sơ TTHC có sử dụng thông tin, dữ liệu dân cư",
    "CITIZEN_DATA_CONNECTED_FORMALITY": "Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư phục vụ GQ TTHC",
    "ELECTRONIC_CERTIFIED_COPY": "Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính",
    "PETITION_CLASSIFICATION_TTHC": "Tỷ lệ PAKN về quy định, thủ tục hành chính",
    "DOSSIER_RECEIVING_SATISFACTION": "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
    "PETITION_PROCESSING_ON_TIME": "Tỷ lệ PAKN xử lý đúng hạn",
    "PETITION_HANDLING_SATISFACTION": "Tỷ lệ hài lòng trong xử lý PAKN",
    "PETITION_CLASSIFICATION_STAFF": "Tỷ lệ PAKN về hành vi cán bộ, công chức, viên chức",
}  # fmt: skip

# --------------------------------------------------------------------------------------------------
# Arithmetic helpers
# --------------------------------------------------------------------------------------------------


def r2(x: float | Decimal) -> float | int:
    """Round half-up to 2 decimals, written as the portal writes numbers (``20``, not ``20.0``)."""
    d = Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(d) if d == d.to_integral_value() else float(d)


def pct(n: int, d: int) -> float | int:
    """n / d as a percentage with 2 decimals, half-up."""
    return r2(Decimal(n) * 100 / Decimal(d))


def numerator_for(rate: float, d: int) -> int:
    """The numerator over ``d`` whose percentage rounds to ``rate``; fails loudly if none exists."""
    guess = round(rate * d / 100)
    for n in (guess, guess - 1, guess + 1):
        if 0 <= n <= d and pct(n, d) == r2(rate):
            return n
    raise ValueError(f"no numerator over {d} gives {rate} %")


def denominator_for(n: int, rate: float) -> int:
    """The smallest denominator near n × 100 / rate whose percentage rounds to ``rate``."""
    guess = round(n * 100 / rate)
    for d in sorted(range(guess - 5, guess + 6), key=lambda x: abs(x - guess)):
        if d >= n and d > 0 and pct(n, d) == r2(rate):
            return d
    raise ValueError(f"no denominator for {n} gives {rate} %")


def apportion(total: int, weights: list[float], caps: list[int] | None = None) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder), each ≤ its cap.

    Used so that children's counts add up exactly to the province's count.
    """
    n = len(weights)
    caps = caps if caps is not None else [total] * n
    if sum(caps) < total:
        raise ValueError(f"cannot apportion {total}: caps sum to {sum(caps)}")
    out = [0] * n
    remaining = total
    active = [i for i in range(n) if weights[i] > 0 and caps[i] > 0]
    while remaining > 0 and active:
        wsum = sum(weights[i] for i in active)
        shares = {i: remaining * weights[i] / wsum for i in active}
        give = {i: min(int(shares[i]), caps[i] - out[i]) for i in active}
        given = sum(give.values())
        if given == 0:
            order = sorted(active, key=lambda i: (-(shares[i] - int(shares[i])), i))
            for i in order[:remaining]:
                give[i] = 1
            given = sum(give.values())
        for i, g in give.items():
            out[i] += g
        remaining -= given
        active = [i for i in active if out[i] < caps[i]]
    if remaining:
        raise ValueError(f"could not apportion {total} within the caps")
    return out


def rate_pair(rate: float, d_guess: int) -> tuple[int, int]:
    """A (numerator, denominator) pair close to d_guess whose percentage rounds to ``rate``."""
    if rate == 0:
        return 0, max(d_guess, 0)
    d = max(d_guess, 1)
    while True:
        guess = rate * d / 100
        for n in (int(guess), int(guess) + 1):
            if 0 < n <= d and pct(n, d) == r2(rate):
                return n, d
        d += 1


# --------------------------------------------------------------------------------------------------
# Body builders (one per endpoint; key order copied from the real bodies in tests/fixtures/portal/v1/)
# --------------------------------------------------------------------------------------------------


def metric(code: str, num: int | None, den: int | None, ratio: Any, score: Any, max_score: int) -> dict:
    return {
        "code": code,
        "name": METRIC_NAMES[code],
        "numerator": num,
        "denominator": den,
        "ratio": ratio,
        "score": score,
        "maxScore": max_score,
    }


def linear_metric(code: str, num: int, den: int, max_score: int, full_at: float = 100) -> dict:
    """A metric scored max × ratio / full_at, capped at max (digitisation, transparency)."""
    if den == 0:
        return metric(code, num, den, None, None, max_score)
    ratio = pct(num, den)
    return metric(code, num, den, ratio, r2(min(max_score, max_score * ratio / full_at)), max_score)


def shape_a_row(unit: Unit | None, stt: int, extra_first: dict, tail: dict) -> dict:
    """Common Shape A row fields: the province overview when unit is None, else a child."""
    row: dict[str, Any] = {"stt": stt}
    if unit is None:
        row |= {"departmentId": PROVINCE_ID, "departmentName": PROVINCE_NAME}
        row |= extra_first
        row |= {"departmentType": "PROVINCE", "departmentLevel": "PROVINCE", "agencyLevel": "level_1"}
    else:
        row |= {"departmentId": unit.department_id, "departmentName": unit.name}
        row |= extra_first
        row |= {
            "departmentType": "PROVINCIAL_DEPARTMENT" if unit.agency else "COMMUNE_PEOPLE_COMMITTEE",
            "departmentLevel": "PROVINCE" if unit.agency else "COMMUNE",
            "agencyLevel": "level_2",
        }
    return row | tail


def pagination(n: int) -> dict:
    """The portal echoes the request's pageSize; 500 is what flows/v1_client.py sends (Shape A)."""
    return {"total": n, "currentPage": 1, "pageSize": 500, "totalPages": 1}


def envelope(data: dict) -> dict:
    return {"code": "OK", "data": data, "message": "OK"}


def total_of(metrics: list[dict]) -> float | int:
    return r2(sum(Decimal(str(m["score"])) for m in metrics if m["score"] is not None))


class MonthBuilder:
    """Builds the eight bodies of one month-end capture and records where each figure went."""

    def __init__(self, month: str) -> None:
        self.month = month
        self.mi = MONTHS.index(month)
        self.fig = {line: vals[month] for line, vals in SECTION_I.items()}
        self.groups: dict[str, float | int] = {}
        self.child_groups: dict[str, dict[str, float | int]] = {u.code: {} for u in UNITS}
        self.bodies: dict[str, dict] = {}

    # ---- transparency -------------------------------------------------------------------------
    def transparency(self) -> dict:
        f11, f12 = self.fig["1.1"], self.fig["1.2a"]
        n_sync = f12["count"]
        d_sync = n_sync + self.fig["1.2b"]["count"]
        assert pct(n_sync, d_sync) == r2(f12["rate"]), "1.2 a) rate does not follow from the counts"
        prov_metrics = [
            linear_metric("PUBLISH_ON_TIME", *PUBLISH_ON_TIME[self.month], 6),
            linear_metric("PUBLIC_UPDATE_ON_TIME", *PUBLIC_UPDATE_ON_TIME[self.month], 4),
            linear_metric("PUBLIC_CONTENT_FULL", f11["n"], f11["d"], 2),
            linear_metric("DOSSIER_SYNC", n_sync, d_sync, 6),
        ]
        total = total_of(prov_metrics)
        self.groups["CKMB"] = total
        # Children: own procedures all public (1.1 is 100 %); synced dossiers apportioned by volume.
        agencies = [u for u in UNITS if u.agency]
        agency_procs = apportion(f11["d"] - DISTRICT_PROCEDURES[self.month], [u.volume + 3 for u in agencies])
        procs = dict(zip([u.code for u in agencies], agency_procs, strict=True))
        dens = apportion(d_sync, [u.volume for u in UNITS])
        nums = apportion(n_sync, [u.volume * (0.9 + 0.01 * (i % 7)) for i, u in enumerate(UNITS)], caps=dens)
        rows = []
        for i, u in enumerate(UNITS):
            p = procs.get(u.code, DISTRICT_PROCEDURES[self.month])
            ms = [
                metric("PUBLISH_ON_TIME", 0, 0, None, None, 6),
                metric("PUBLIC_UPDATE_ON_TIME", 0, 0, None, None, 4),
                linear_metric("PUBLIC_CONTENT_FULL", p, p, 2),
                linear_metric("DOSSIER_SYNC", nums[i], dens[i], 6),
            ]
            t = total_of(ms)
            self.child_groups[u.code]["CKMB"] = t
            rows.append(
                shape_a_row(u, i + 1, {}, {"totalScore": t, "totalMaxScore": 18, "ratio": pct_of(t, 18)})
                | {"scoreDelta": None, "metrics": ms}
            )
        overview = shape_a_row(
            None, 1, {}, {"totalScore": total, "totalMaxScore": 18, "ratio": pct_of(total, 18)}
        ) | {
            "scoreDelta": None,
            "metrics": prov_metrics,
            "averageScore": r2(sum(Decimal(str(r["totalScore"])) for r in rows) / len(rows)),
        }
        return envelope(
            {
                "overview": overview,
                "monthlyChart": [],
                "evaluation": rows,
                "pagination": pagination(len(rows)),
                "source": "reporting_766_transparency_* and reporting_dvc_calendar Mongo collections",
            }
        )

    # ---- dvc-progress-tree --------------------------------------------------------------------
    def progress(self) -> dict:
        received = PROGRESS_RECEIVED[self.month]
        units = [(unit_for(name), (sep, oct_)[self.mi]) for name, sep, oct_ in OVERDUE]
        units.sort(key=lambda t: code_key(t[0].code))
        overdue_total = sum(o for _, o in units)
        assert overdue_total == OVERDUE_TOTAL[self.month], "section II rows do not add up to its total"
        on_time = apportion(received - overdue_total, [u.volume for u, _ in units])
        on_time_total = received - overdue_total
        ratio = pct(on_time_total, received)
        assert ratio == r2(self.fig["2.1"]["rate"]), f"2.1: {ratio}"
        score = r2(20 * Decimal(on_time_total) / received)
        self.groups["TDGQ"] = score
        children = []
        for i, (u, overdue) in enumerate(units):
            rec = on_time[i] + overdue
            c_ratio = pct(on_time[i], rec) if rec else 0
            c_score = r2(20 * Decimal(on_time[i]) / rec) if rec else 0
            self.child_groups[u.code]["TDGQ"] = c_score
            children.append(
                {
                    "departmentId": u.department_id,
                    "departmentName": u.name,
                    "departmentCode": u.code,
                    "level": "PROVINCE" if u.agency else "COMMUNE",
                    "totalReceived": rec,
                    "totalOnTime": on_time[i],
                    "totalOverdue": overdue,
                    "avgProcessingDays": r2(3 + (int(u.code.split(".")[1]) * 37 % 90) / 10),
                    "ratio": c_ratio,
                    "score": c_score,
                    "maxScore": 20,
                    "scoreDelta": None,
                }
            )
        parent = {
            "departmentId": PROVINCE_ID,
            "departmentName": PROVINCE_NAME,
            "departmentCode": PROVINCE_CODE,
            "totalReceived": received,
            "totalOnTime": on_time_total,
            "totalCompleted": int(received * 0.962),
            "avgProcessingDays": (5.84, 5.61)[self.mi],
            "ratio": ratio,
            "totalScore": score,
            "totalMaxScore": 20,
        }
        chart = []
        last = int(self.month[5:])
        for m in range(1, 13):
            on = r2(min(99.9, 86 + m * 1.05)) if m <= last else 0
            chart.append({"month": f"{m:02d}", "onTimePct": on, "overduePct": r2(100 - on) if on else 0})
        return envelope({"parent": parent, "children": children, "monthlyChart": chart})

    # ---- service-results (province) donuts and the provide-online tree --------------------------
    def channels(self) -> tuple[int, int]:
        """Online dossiers and all dossiers: all received dossiers are the 1.2 sync denominator."""
        total = self.fig["1.2a"]["count"] + self.fig["1.2b"]["count"]
        online = numerator_for(self.fig["3.4a"]["rate"], total)
        assert pct(total - online, total) == r2(self.fig["3.4b"]["rate"])
        return online, total

    def provide_online(self) -> dict:
        online, total = self.channels()
        other = total - online
        postal = other // 40
        on_time = numerator_for(self.fig["3.5a"]["rate"], online)
        assert pct(online - on_time, online) == r2(self.fig["3.5b"]["rate"])
        svc_total = ONLINE_SERVICE_TOTAL[self.month]
        svc_with = numerator_for(self.fig["3.6"]["rate"], svc_total)
        provision_total = self.fig["3.1"]["count"] + self.fig["3.2"]["count"] + self.fig["3.3"]["count"]
        children = []
        for name, sep, oct_ in sorted(ONLINE_RATE, key=lambda t: code_key(unit_for(t[0]).code)):
            u = unit_for(name)
            ratio = r2((sep, oct_)[self.mi])
            c_score = r2(12 * Decimal(str(ratio)) / 100)
            self.child_groups[u.code]["CLGQ"] = c_score
            children.append(
                {
                    "departmentId": u.department_id,
                    "departmentName": u.name,
                    "departmentCode": u.code,
                    "level": "PROVINCE" if u.agency else "COMMUNE",
                    "totalScore": c_score,
                    "totalMaxScore": 12,
                    "ratio": ratio,
                    "scoreDelta": None,
                }
            )
        # CLGQ is the one group whose score the portal's formula is not published for: it takes
        # what the service-results total leaves after the five reproducible groups.
        score = r2(
            Decimal(str(self.fig["total"]["score"])) - sum(Decimal(str(v)) for v in self.groups.values())
        )
        assert 0 <= score <= 12, f"CLGQ balance out of range: {score}"
        self.groups["CLGQ"] = score
        parent = {
            "departmentId": PROVINCE_ID,
            "departmentName": PROVINCE_NAME,
            "departmentCode": PROVINCE_CODE,
            "totalScore": score,
            "totalMaxScore": 12,
            "ratio": pct_of(score, 12),
            "authorityCount": provision_total,
            "partialCount": self.fig["3.1"]["count"],
            "fullCount": self.fig["3.2"]["count"],
            "onlineDossierCount": svc_with,
            "onlineServiceTotal": svc_total,
            "channelOnlineSum": online,
            "channelDirectSum": other - postal,
            "channelPostalSum": postal,
            "channelTotalSum": total,
            "onlineOnTimeSum": on_time,
            "onlineOverdueSum": online - on_time,
        }
        last = int(self.month[5:])
        chart = [
            {"label": f"{m:02d}", "onlineDossierPct": r2(60 + m * 1.9) if m <= last else 0}
            for m in range(1, 13)
        ]
        return envelope({"parent": parent, "children": children, "monthlyChart": chart})

    # ---- formality-online-payment-tree --------------------------------------------------------
    def payment(self) -> dict:
        paid_total = self.fig["4.2a"]["count"]
        oblig_total = paid_total + self.fig["4.2b"]["count"]
        assert pct(paid_total, oblig_total) == r2(self.fig["4.2a"]["rate"])
        rates = {unit_for(name).code: r2((sep, oct_)[self.mi]) for name, sep, oct_ in PAYMENT_RATE}
        paid, oblig = fit_payment(rates, paid_total, oblig_total, self.month)
        fee = {
            c: n + (FEE_FORMALITIES_OCT_EXTRA.get(c, 0) if self.mi else 0) for c, n in FEE_FORMALITIES.items()
        }
        for u in UNITS:
            if not u.agency:
                fee[u.code] = DISTRICT_FEE_FORMALITIES[self.month]
        fee_distinct = self.fig["4.1a"]["count"]
        fee_total = fee_distinct + self.fig["4.1b"]["count"]
        assert sum(v for c, v in fee.items() if UNIT_BY_CODE[c].agency) + DISTRICT_FEE_FORMALITIES[
            self.month
        ] == (fee_total)
        formality_paid = self.fig["4.3a"]["count"]
        fee_dossier = formality_paid + self.fig["4.3b"]["count"]
        codes = sorted(rates, key=code_key)
        # Fee-bearing procedures that had dossiers (sum = 4.3's denominator), at least one per unit
        # with obligations; procedures paid online (sum = 4.3 a)), at least one per unit that paid.
        with_dossier = [1 if oblig[c] else 0 for c in codes]
        extra = apportion(
            fee_dossier - sum(with_dossier),
            [fee[c] if oblig[c] else 0 for c in codes],
            caps=[fee[c] - with_dossier[i] if oblig[c] else 0 for i, c in enumerate(codes)],
        )
        fd = {c: with_dossier[i] + extra[i] for i, c in enumerate(codes)}
        base = [1 if paid[c] else 0 for c in codes]
        extra = apportion(
            formality_paid - sum(base),
            [fd[c] * rates[c] for c in codes],
            caps=[fd[c] - base[i] if paid[c] else 0 for i, c in enumerate(codes)],
        )
        fp = {c: base[i] + extra[i] for i, c in enumerate(codes)}
        children = []
        for c in codes:
            u = UNIT_BY_CODE[c]
            s = payment_score(paid[c], oblig[c], fp[c], fd[c], fee[c])
            self.child_groups[c]["TTTT"] = s
            children.append(
                {
                    "departmentId": u.department_id,
                    "departmentName": u.name,
                    "departmentCode": c,
                    "level": "PROVINCE" if u.agency else "COMMUNE",
                    "totalMaxScore": 10,
                    "ratio": r2(Decimal(str(s)) * 10),
                    "totalScore": s,
                    "totalDossierOnlinePaymentSuccess": paid[c],
                    "totalDossierFinancialObligation": oblig[c],
                    "totalDossierOnlineFormalityPaymentSuccess": fp[c],
                    "totalFeeDossierFormalityDistinct": fee[c],
                    "totalFeeDossierFormality": fd[c],
                    "totalFeeFormality": fee[c],
                    "scoreDelta": None,
                }
            )
        score = payment_score(paid_total, oblig_total, formality_paid, fee_dossier, fee_total)
        self.groups["TTTT"] = score
        parent = {
            "departmentId": PROVINCE_ID,
            "departmentName": PROVINCE_NAME,
            "departmentCode": PROVINCE_CODE,
            "totalMaxScore": 10,
            "totalScore": score,
            "totalDossierOnlinePaymentSuccess": paid_total,
            "totalDossierFinancialObligation": oblig_total,
            "totalDossierOnlineFormalityPaymentSuccess": formality_paid,
            "totalFeeDossierFormalityDistinct": fee_distinct,
            "totalFeeDossierFormality": fee_dossier,
            "totalFeeFormality": fee_total,
            "ratio": r2(Decimal(str(score)) * 10),
        }
        return envelope({"parent": parent, "children": children})

    # ---- handling-satisfaction ----------------------------------------------------------------
    def satisfaction(self) -> dict:
        dossiers = self.digitized_denominator()
        sat = numerator_for(self.fig["5.2"]["rate"], dossiers)
        pets = PETITIONS[self.month]
        n_pet = sum(pets.values())
        tthc = numerator_for(self.fig["5.3a"]["rate"], n_pet)
        assert pct(n_pet - tthc, n_pet) == r2(self.fig["5.3b"]["rate"])
        late = PETITIONS_LATE[self.month]
        on_time = n_pet - sum(late.values())
        handled_ok = numerator_for(self.fig["5.1"]["rate"], n_pet)
        prov = satisfaction_metrics(tthc, sat, dossiers, on_time, handled_ok, n_pet, n_pet - tthc, n_pet)
        total = total_of(prov)
        self.groups["MDHL"] = total
        dens = apportion(dossiers, [u.volume for u in UNITS])
        nums = apportion(sat, [u.volume * (0.97 + 0.005 * (i % 5)) for i, u in enumerate(UNITS)], caps=dens)
        codes = [u.code for u in UNITS]
        unit_pets = [pets.get(c, 0) for c in codes]
        unit_tthc = apportion(tthc, [float(p) for p in unit_pets], caps=unit_pets)
        rows = []
        for i, u in enumerate(UNITS):
            p = unit_pets[i]
            ok = p - late.get(u.code, 0)
            ms = satisfaction_metrics(unit_tthc[i], nums[i], dens[i], ok, p, p, p - unit_tthc[i], p)
            t = total_of(ms)
            self.child_groups[u.code]["MDHL"] = t
            rows.append(
                shape_a_row(u, i + 1, {}, {"totalScore": t, "totalMaxScore": 18, "ratio": pct_of(t, 18)})
                | {
                    "scoreDelta": None,
                    "metrics": ms,
                    "totalPetitions": p,
                    "classifiedPetitions": p,
                    "totalDossiers": dens[i],
                    "averageScore": None,
                }
            )
        overview = shape_a_row(
            None, 1, {}, {"totalScore": total, "totalMaxScore": 18, "ratio": pct_of(total, 18)}
        ) | {
            "scoreDelta": None,
            "metrics": prov,
            "totalPetitions": n_pet,
            "classifiedPetitions": n_pet,
            "totalDossiers": dossiers,
            "averageScore": None,
        }
        return envelope(
            {
                "overview": overview,
                "evaluation": rows,
                "pagination": pagination(len(rows)),
                "source": "reporting_766_satisfaction_petition_months, reporting_766_satisfaction_dossier_periods",
            }
        )

    # ---- dossier-digitized --------------------------------------------------------------------
    def digitized_denominator(self) -> int:
        """The year's dossiers in the digitisation base: fixed by 6.4's count and rate."""
        return denominator_for(self.fig["6.4"]["count"], self.fig["6.4"]["rate"])

    def digitized(self) -> dict:
        d = self.digitized_denominator()
        nums = {
            "ORIGINAL_RESULT_AVAILABLE": numerator_for(self.fig["6.2"]["rate"], d),
            "SO_HOA_GIAY_TO_GIAI_QUYET": numerator_for(self.fig["6.1"]["rate"], d),
            "REUSED_DIGITIZED_DATA": self.fig["6.4"]["count"],
            "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": numerator_for(SYNCED_PERSONAL_STORAGE[self.month], d),
            "CITIZEN_DATA_CONNECTED_DOSSIER": numerator_for(CITIZEN_DOSSIER[self.month], d),
        }
        cf_n, cf_d = CITIZEN_FORMALITY[self.month]
        prov = digitized_metrics(nums, d, cf_n, cf_d, province=True)
        total = total_of(prov)
        self.groups["MDSH"] = total
        dens = apportion(d, [u.volume for u in UNITS])
        unit_nums = {
            code: apportion(
                n, [u.volume * (0.85 + 0.03 * ((i + k) % 6)) for i, u in enumerate(UNITS)], caps=dens
            )
            for k, (code, n) in enumerate(nums.items())
        }
        procs = apportion(cf_d, [u.volume + 3 for u in UNITS])
        procs_conn = apportion(cf_n, [float(p) for p in procs], caps=procs)
        rows = []
        for i, u in enumerate(UNITS):
            ms = digitized_metrics({c: v[i] for c, v in unit_nums.items()}, dens[i], procs_conn[i], procs[i])
            t = total_of(ms)
            self.child_groups[u.code]["MDSH"] = t
            rows.append(
                shape_a_row(
                    u,
                    i + 1,
                    {"departmentCode": u.code},
                    {"totalScore": t, "totalMaxScore": 22, "ratio": pct_of(t, 22)},
                )
                | {"metrics": ms, "scoreDelta": None}
            )
        overview = shape_a_row(
            None,
            1,
            {"departmentCode": PROVINCE_CODE},
            {"totalScore": total, "totalMaxScore": 22, "ratio": pct_of(total, 22)},
        ) | {"metrics": prov, "scoreDelta": None}
        return envelope(
            {
                "overview": overview,
                "evaluation": rows,
                "pagination": pagination(len(rows)),
                "source": "reporting_digitized_dossiers_daily Mongo collection",
            }
        )

    # ---- service-results (province) -----------------------------------------------------------
    def service_results(self) -> dict:
        total = self.fig["total"]["score"]
        assert r2(sum(Decimal(str(v)) for v in self.groups.values())) == r2(total)
        g = self.groups
        radar = [
            radar_item("CKMB", "Công khai, minh bạch", g["CKMB"], 18),
            radar_item("TDGQ", "Tiến độ giải quyết", g["TDGQ"], 20),
            radar_item(
                "ONLINE_SERVICE",
                "Dịch vụ trực tuyến",
                r2(Decimal(str(g["CLGQ"])) + Decimal(str(g["TTTT"]))),
                22,
            ),
            radar_item("MDHL", "Mức độ hài lòng", g["MDHL"], 18),
            radar_item("MDSH", "Số hóa hồ sơ", g["MDSH"], 22),
        ]
        online, all_dossiers = self.channels()
        prov_total = self.fig["3.1"]["count"] + self.fig["3.2"]["count"] + self.fig["3.3"]["count"]
        donuts = {
            "onlineDossier": [
                {
                    "code": "ONLINE",
                    "name": "Trực tuyến",
                    "value": online,
                    "percent": pct(online, all_dossiers),
                },
                {
                    "code": "OTHER",
                    "name": "Trực tiếp, bưu chính",
                    "value": all_dossiers - online,
                    "percent": pct(all_dossiers - online, all_dossiers),
                },
            ],
            "onlineProvision": [
                provision("FULL", "Toàn trình", self.fig["3.2"]["count"], prov_total),
                provision("PARTIAL", "Một phần", self.fig["3.1"]["count"], prov_total),
                provision("NONE", "Chưa cung cấp", self.fig["3.3"]["count"], prov_total),
            ],
        }
        for code, line in (("FULL", "3.2"), ("PARTIAL", "3.1"), ("NONE", "3.3")):
            item = next(x for x in donuts["onlineProvision"] if x["code"] == code)
            assert item["percent"] == r2(self.fig[line]["rate"]), f"{line}: {item['percent']}"
        evaluation = []
        for u in UNITS:
            t = r2(sum(Decimal(str(v)) for v in self.child_groups[u.code].values()))
            evaluation.append(
                {
                    "departmentId": u.department_id,
                    "departmentName": u.name,
                    "departmentCode": u.code,
                    "totalScore": t,
                    "ratio": t,
                    "scoreDelta": None,
                    "childGroup": "AGENCY" if u.agency else "COMMUNE",
                }
            )
        evaluation.sort(key=lambda r: (-r["totalScore"], code_key(r["departmentCode"])))
        last = int(self.month[5:])
        month_scores = [61.2, 63.5, 65.8, 68.1, 70.4, 72.2, 73.9, 75.6, 77.2, 78.1]
        return envelope(
            {
                "overview": {
                    "departmentName": PROVINCE_NAME,
                    "departmentCode": PROVINCE_CODE,
                    "totalScore": r2(total),
                    "totalMaxScore": 100,
                    "ratio": r2(total),
                },
                "growthPercent": GROWTH_PERCENT[self.month],
                "radar": radar,
                "donuts": donuts,
                "evaluation": evaluation,
                "monthlyChart": [
                    {"month": f"{m:02d}", "averageScore": r2(month_scores[m - 1]) if m <= last else None}
                    for m in range(1, 13)
                ],
                "dossierChart": [
                    {
                        "month": f"{m:02d}",
                        "onTimePct": r2(86 + m * 1.05) if m <= last else None,
                        "overduePct": r2(100 - (86 + m * 1.05)) if m <= last else None,
                    }
                    for m in range(1, 13)
                ],
            }
        )

    def build(self) -> dict[str, dict]:
        """All bodies of the month; group endpoints first so service-results can sum them."""
        self.bodies["evaluation/transparency"] = self.transparency()
        self.bodies["evaluation/dvc-progress-tree"] = self.progress()
        self.bodies["evaluation/formality-online-payment-tree"] = self.payment()
        self.bodies["evaluation/handling-satisfaction"] = self.satisfaction()
        self.bodies["evaluation/dossier-digitized"] = self.digitized()
        self.bodies["evaluation/provide-online-tree"] = self.provide_online()
        self.bodies["evaluation/service-results"] = self.service_results()
        return self.bodies


UNIT_BY_CODE = {u.code: u for u in UNITS}


def code_key(code: str) -> tuple[str, ...]:
    """The portal lists children in departmentCode string order."""
    return (code,)


def pct_of(score: float | int, max_score: int) -> float | int:
    return r2(Decimal(str(score)) * 100 / max_score)


def radar_item(code: str, name: str, score: float | int, max_score: int) -> dict:
    return {
        "code": code,
        "name": name,
        "score": score,
        "maxScore": max_score,
        "ratio": pct_of(score, max_score),
    }


def provision(code: str, name: str, value: int, total: int) -> dict:
    return {"code": code, "name": name, "value": value, "percent": pct(value, total)}


def satisfaction_metrics(
    tthc: int, sat: int, dossiers: int, on_time: int, handled_ok: int, pets: int, staff: int, classified: int
) -> list[dict]:
    """MDHL metrics in the portal's order; scoring as reproduced by qd766 (v1-api.md §7)."""

    def ratio0(n: int, d: int) -> float | int:
        return pct(n, d) if d else 0

    receiving = ratio0(sat, dossiers)
    recv_score = r2(min(6, 6 * Decimal(str(receiving)) / 90)) if dossiers else 0

    def pakn(n: int) -> float | int:
        # PAKN metrics: 6 × ratio, and a full 6 when the unit had no petitions.
        return r2(6 * Decimal(n) / pets) if pets else 6

    return [
        metric("PETITION_CLASSIFICATION_TTHC", tthc, classified, ratio0(tthc, classified), None, 0),
        metric("DOSSIER_RECEIVING_SATISFACTION", sat, dossiers, receiving, recv_score, 6),
        metric("PETITION_PROCESSING_ON_TIME", on_time, pets, ratio0(on_time, pets), pakn(on_time), 6),
        metric(
            "PETITION_HANDLING_SATISFACTION", handled_ok, pets, ratio0(handled_ok, pets), pakn(handled_ok), 6
        ),
        metric("PETITION_CLASSIFICATION_STAFF", staff, classified, ratio0(staff, classified), None, 0),
    ]


def digitized_metrics(
    nums: dict[str, int], d: int, cf_n: int, cf_d: int, province: bool = False
) -> list[dict]:
    """MDSH metrics in the portal's order (the two CITIZEN_* metrics are scored on the province)."""
    ms = [
        linear_metric("ORIGINAL_RESULT_AVAILABLE", nums["ORIGINAL_RESULT_AVAILABLE"], d, 6),
        linear_metric("SO_HOA_GIAY_TO_GIAI_QUYET", nums["SO_HOA_GIAY_TO_GIAI_QUYET"], d, 4),
        linear_metric("REUSED_DIGITIZED_DATA", nums["REUSED_DIGITIZED_DATA"], d, 2, full_at=80),
        linear_metric("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", nums["SYNCED_WITH_DVCQG_PERSONAL_STORAGE"], d, 4),
        linear_metric("CITIZEN_DATA_CONNECTED_DOSSIER", nums["CITIZEN_DATA_CONNECTED_DOSSIER"], d, 2),
        linear_metric("CITIZEN_DATA_CONNECTED_FORMALITY", cf_n, cf_d, 2),
        metric("ELECTRONIC_CERTIFIED_COPY", None, None, 100, 2, 2),
    ]
    return ms


def payment_score(
    paid: int, oblig: int, formality_paid: int, fee_dossier: int, fee_total: int
) -> float | int:
    """6·A + min(2, 2.5·B) + 2.5·min(1, C), at most 10 (v1-api.md §7).

    C is capped because 4.3's count exceeds 4.1's; the total is capped because the three parts can
    reach 10.5 while the group's maximum is 10.
    """
    a = Decimal(paid) / oblig if oblig else Decimal(0)
    b = Decimal(formality_paid) / fee_total if fee_total else Decimal(0)
    c = min(Decimal(1), Decimal(fee_dossier) / fee_total) if fee_total else Decimal(0)
    return r2(min(Decimal(10), 6 * a + min(Decimal(2), Decimal("2.5") * b) + Decimal("2.5") * c))


def fit_payment(
    rates: dict[str, float | int], paid_total: int, oblig_total: int, month: str
) -> tuple[dict[str, int], dict[str, int]]:
    """Per-unit (paid online, with obligation) whose rates round to section IV and sum to 4.2's counts.

    Units other than the two balancing ones get obligations from PAYMENT_VOLUME; the high-rate and
    low-rate balancers take the obligations that make both sums exact (two equations, two unknowns);
    units whose rate is 0 share what is left of the obligations (about PAYMENT_ZERO_SHARE).
    """
    hi, lo = PAYMENT_BALANCERS[month]
    volume = PAYMENT_VOLUME[month]
    zero = [c for c, r in rates.items() if r == 0]
    others = [c for c, r in rates.items() if r != 0 and c not in (hi, lo)]
    paid: dict[str, int] = {}
    oblig: dict[str, int] = {}
    for c in others:
        paid[c], oblig[c] = rate_pair(rates[c], volume[c])
    rest_paid = paid_total - sum(paid.values())
    rest_oblig = oblig_total - round(oblig_total * PAYMENT_ZERO_SHARE) - sum(oblig.values())
    r_hi, r_lo = Decimal(str(rates[hi])) / 100, Decimal(str(rates[lo])) / 100
    o_hi = int((rest_paid - r_lo * rest_oblig) / (r_hi - r_lo))
    assert 0 < o_hi < rest_oblig, f"{month}: payment volumes cannot reach 4.2's rate"
    for nudge in range(200):
        paid[hi], oblig[hi] = rate_pair(rates[hi], o_hi + nudge)
        p_lo = paid_total - sum(paid[c] for c in others) - paid[hi]
        try:
            oblig[lo] = denominator_for(p_lo, rates[lo])
        except ValueError:
            continue
        paid[lo] = p_lo
        slack = oblig_total - sum(oblig.values())
        if slack < 0:
            continue
        zero_weights = [float(FEE_FORMALITIES.get(c, 1)) for c in zero]
        for c, o in zip(zero, apportion(slack, zero_weights), strict=True):
            paid[c], oblig[c] = 0, o
        return paid, oblig
    raise ValueError(f"{month}: could not fit the payment children to 4.2's counts")


# --------------------------------------------------------------------------------------------------
# National ranking (63 provinces before the July 2025 merger)
# --------------------------------------------------------------------------------------------------

CITIES_2023 = {"Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ"}
# The merger table names provinces as they were in June 2025; in 2023 one had another name (Huế became a
# centrally run city, "thành phố Huế", on 1 January 2025).
NAMES_2023 = {"Huế": "Thừa Thiên Huế"}


@dataclass(frozen=True)
class OldProvince:
    """A pre-merger province row of the national ranking."""

    code: str
    name: str
    department_id: str


def old_provinces() -> list[OldProvince]:
    """The 63 provinces of the merger table: continuing provinces keep their post-merger code and ID,
    the others get replica codes Z01.. (their real codes are not known here) and replica IDs."""
    rows = []
    z = 0
    for m in merger_table():
        kind = "thành phố" if m.old_province in CITIES_2023 else "tỉnh"
        name = f"UBND {kind} {NAMES_2023.get(m.old_province, m.old_province)}"
        if m.old_province == m.new_province:
            rows.append(OldProvince(m.new_code, name, province_by_code()[m.new_code].department_id))
        else:
            z += 1
            code = f"Z{z:02d}"
            rows.append(
                OldProvince(code, name, str(uuid.uuid5(uuid.NAMESPACE_URL, f"dvc766-replica/{code}")))
            )
    return rows


def split_groups(total: Decimal, rng: random.Random) -> dict[str, float | int]:
    """Six group scores within their maxima that add up exactly to ``total``."""
    fr = {g: Decimal(str(rng.uniform(0.55, 1.0))) for g in GROUPS}
    raw = {g: GROUP_MAX[g] * fr[g] for g in GROUPS}
    scale = total / sum(raw.values())
    vals = {g: min(Decimal(GROUP_MAX[g]), raw[g] * scale).quantize(Decimal("0.01")) for g in GROUPS}
    for _ in range(50):
        diff = total - sum(vals.values())
        if diff == 0:
            break
        g = max(GROUPS, key=lambda k: (GROUP_MAX[k] - vals[k]) if diff > 0 else vals[k])
        step = max(-vals[g], min(diff, GROUP_MAX[g] - vals[g]))
        vals[g] += step
    assert sum(vals.values()) == total
    return {g: r2(v) for g, v in vals.items()}


def national(months: dict[str, MonthBuilder]) -> dict[str, dict]:
    """The national service-results body of each month, H55 at the reference's rank."""
    rng = random.Random(SEED)
    provs = [p for p in old_provinces() if p.code != PROVINCE_CODE]
    sep = SECTION_I["total"]["2023-09"]
    oct_ = SECTION_I["total"]["2023-10"]
    # September: rank-1 provinces above H55, the rest below; October: each moves a little, then the
    # count above H55 is forced to rank − 1 by moving the provinces nearest the line.
    above = set(rng.sample(range(len(provs)), sep["rank"] - 1))
    scores_sep = {}
    for i, p in enumerate(provs):
        v = rng.uniform(78.2, 90.5) if i in above else rng.uniform(52.0, 77.4)
        scores_sep[p.code] = Decimal(str(round(v, 2)))
    scores_oct = {c: v + Decimal(str(round(rng.uniform(-0.9, 1.6), 2))) for c, v in scores_sep.items()}
    line = Decimal(str(oct_["score"]))
    for _ in range(100):
        hi = sorted((c for c in scores_oct if scores_oct[c] > line), key=lambda c: scores_oct[c])
        lo = sorted((c for c in scores_oct if scores_oct[c] < line), key=lambda c: -scores_oct[c])
        if len(hi) > oct_["rank"] - 1:
            scores_oct[hi[0]] = line - Decimal("0.07")
        elif len(hi) < oct_["rank"] - 1:
            scores_oct[lo[0]] = line + Decimal("0.11")
        else:
            break
    for scores, ref in ((scores_sep, sep), (scores_oct, oct_)):
        assert all(v != Decimal(str(ref["score"])) for v in scores.values())
    prev_delta = {c: Decimal(str(round(rng.uniform(-1.5, 2.5), 2))) for c in scores_sep}
    prev_delta[PROVINCE_CODE] = Decimal("1.12")
    scores_sep[PROVINCE_CODE] = Decimal(str(sep["score"]))
    scores_oct[PROVINCE_CODE] = Decimal(str(oct_["score"]))
    group_rng = random.Random(SEED + 1)
    out = {}
    names = {p.code: p for p in old_provinces()}
    for month, scores in (("2023-09", scores_sep), ("2023-10", scores_oct)):
        rows = []
        for code, total in scores.items():
            if code == PROVINCE_CODE:
                groups = dict(months[month].groups)
                groups = {g: groups[g] for g in GROUPS}
            else:
                groups = split_groups(total, group_rng)
            delta = prev_delta[code] if month == "2023-09" else scores_oct[code] - scores_sep[code]
            rows.append(
                {
                    "departmentId": names[code].department_id,
                    "departmentName": PROVINCE_NAME if code == PROVINCE_CODE else names[code].name,
                    "departmentCode": code,
                    "totalScore": r2(total),
                    "ratio": r2(total),
                    "scoreDelta": r2(delta),
                    "groupScores": groups,
                }
            )
        rows.sort(key=lambda r: (-r["totalScore"], r["departmentCode"]))
        out[month] = national_body(rows, month)
    return out


def national_body(rows: list[dict], month: str) -> dict:
    n = len(rows)
    avg = {g: sum(Decimal(str(r["groupScores"][g])) for r in rows) / n for g in GROUPS}
    total = r2(sum(Decimal(str(r["totalScore"])) for r in rows) / n)
    last = int(month[5:])
    online, other = (9_874_310, 1_412_006) if month == "2023-09" else (11_265_442, 1_539_871)
    full, partial, none = (38_420, 9_160, 46_310) if month == "2023-09" else (38_911, 9_120, 46_402)
    prov_total = full + partial + none
    return envelope(
        {
            "overview": {
                "departmentName": "Cả nước",
                "departmentCode": None,
                "totalScore": total,
                "totalMaxScore": 100,
                "ratio": total,
            },
            "growthPercent": (3.18, 1.27)[MONTHS.index(month)],
            "radar": [
                radar_item("CKMB", "Công khai, minh bạch", r2(avg["CKMB"]), 18),
                radar_item("TDGQ", "Tiến độ giải quyết", r2(avg["TDGQ"]), 20),
                radar_item("ONLINE_SERVICE", "Dịch vụ trực tuyến", r2(avg["CLGQ"] + avg["TTTT"]), 22),
                radar_item("MDHL", "Mức độ hài lòng", r2(avg["MDHL"]), 18),
                radar_item("MDSH", "Số hóa hồ sơ", r2(avg["MDSH"]), 22),
            ],
            "donuts": {
                "onlineDossier": [
                    {
                        "code": "ONLINE",
                        "name": "Trực tuyến",
                        "value": online,
                        "percent": pct(online, online + other),
                    },
                    {
                        "code": "OTHER",
                        "name": "Trực tiếp, bưu chính",
                        "value": other,
                        "percent": pct(other, online + other),
                    },
                ],
                "onlineProvision": [
                    provision("FULL", "Toàn trình", full, prov_total),
                    provision("PARTIAL", "Một phần", partial, prov_total),
                    provision("NONE", "Chưa cung cấp", none, prov_total),
                ],
            },
            "evaluation": rows,
            "monthlyChart": [
                {"month": f"{m:02d}", "averageScore": r2(55 + m * 1.3) if m <= last else None}
                for m in range(1, 13)
            ],
            "dossierChart": [
                {
                    "month": f"{m:02d}",
                    "onTimePct": r2(84 + m * 0.9) if m <= last else None,
                    "overduePct": r2(16 - m * 0.9) if m <= last else None,
                }
                for m in range(1, 13)
            ],
        }
    )


# --------------------------------------------------------------------------------------------------
# Output: bodies, scenario.json, REFERENCE.md
# --------------------------------------------------------------------------------------------------

ENDPOINT_FILES = {
    "evaluation/service-results": "service-results_H55",
    "evaluation/transparency": "transparency_H55",
    "evaluation/handling-satisfaction": "handling-satisfaction_H55",
    "evaluation/dossier-digitized": "dossier-digitized_H55",
    "evaluation/dvc-progress-tree": "dvc-progress-tree_H55",
    "evaluation/provide-online-tree": "provide-online-tree_H55",
    "evaluation/formality-online-payment-tree": "formality-online-payment-tree_H55",
}


def dump(body: dict) -> bytes:
    """Minified UTF-8 JSON with Vietnamese text as-is, as the portal sends it."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def match_for(endpoint: str, month: str) -> dict:
    if endpoint == "evaluation/handling-satisfaction":
        # the portal's own year view, as the pipeline asks it (dvc766 flows/v1_client.py)
        return {"rootDepartmentId": PROVINCE_ID, "fromDate": f"{YEAR}-01-01", "toDate": f"{YEAR}-12-31"}
    return {"rootDepartmentId": PROVINCE_ID, "timeType": "year", "year": YEAR}


def build_all() -> dict[str, bytes]:
    """Every output file (relative path → bytes), built in memory."""
    files: dict[str, bytes] = {}
    entries = []
    builders = {m: MonthBuilder(m) for m in MONTHS}
    for b in builders.values():
        b.build()
    nat = national(builders)
    for m, b in builders.items():
        window = {"from": CAPTURE[m]["from"], "until": CAPTURE[m]["until"]}
        for endpoint, stem in ENDPOINT_FILES.items():
            rel = f"{CAPTURE[m]['day']}/{stem}_ytd.json"
            files[rel] = dump(b.bodies[endpoint])
            entries.append(
                {
                    "api": "v1",
                    "endpoint": endpoint,
                    "match": match_for(endpoint, m),
                    "status": 201,
                    "body_file": rel,
                }
                | window
            )
        rel = f"{CAPTURE[m]['day']}/service-results_national_ytd.json"
        files[rel] = dump(nat[m])
        entries.append(
            {
                "api": "v1",
                "endpoint": "evaluation/service-results",
                "match": {"departmentType": "ADMINISTRATIVE_UNIT", "timeType": "year", "year": YEAR},
                "status": 201,
                "body_file": rel,
            }
            | window
        )
    scenario = {"strict": False, "entries": entries}
    files["scenario.json"] = (json.dumps(scenario, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    files["REFERENCE.md"] = reference_md(builders).encode("utf-8")
    return files


def fmt(v: Any) -> str:
    return "null" if v is None else str(v)


def reference_md(builders: dict[str, MonthBuilder]) -> str:
    """The table of every reference figure and the body field carrying it."""
    sep_day, oct_day = CAPTURE["2023-09"]["day"], CAPTURE["2023-10"]["day"]
    lines = [
        "# Thái Nguyên (H55) 2023 scenario: where each reference figure lives",
        "",
        "Generated by `replica/scenarios/build_thai_nguyen_2023.py` — do not edit by hand. The reference",
        "itself is kept here as `reference_appendix.txt` (a byte copy of",
        "the project notes' `reference/000_043cba9f507b194d.txt`); `tests/test_scenario_thai_nguyen.py` parses it and",
        "checks every figure below against the bodies.",
        "",
        "The bodies answer the month-end snapshot requests (year to date, `timeType: year`, `year: 2023`;",
        "handling-satisfaction `fromDate 2023-01-01`, `toDate 2023-12-31`, the portal's year view) on the replica clock:",
        f"`{sep_day}/…` from 2023-09-30T00:00 until 2023-10-01T00:00 (figures of 30/9/2023) and",
        f"`{oct_day}/…` from 2023-10-31T00:00 until 2023-11-01T00:00 (figures of 31/10/2023).",
        "The mapping is `docs/appendix-mapping.md`. `SR` = service-results_H55, `NAT` = service-results_national,",
        "`TR` = transparency, `PT` = dvc-progress-tree, `PO` = provide-online-tree, `PAY` =",
        "formality-online-payment-tree, `HS` = handling-satisfaction, `DD` = dossier-digitized (all `_ytd.json`).",
        "",
        "## Section I",
        "",
        "| line | figure | 30/9/2023 | 31/10/2023 | body | field(s) |",
        "|---|---|---|---|---|---|",
    ]
    rows_i = [
        ("1.1", "count n/d", "n", "TR", "overview.metrics[PUBLIC_CONTENT_FULL].numerator / denominator"),
        ("1.1", "rate", "rate", "TR", "overview.metrics[PUBLIC_CONTENT_FULL].ratio"),
        ("1.2a", "count", "count", "TR", "overview.metrics[DOSSIER_SYNC].numerator"),
        ("1.2a", "rate", "rate", "TR", "overview.metrics[DOSSIER_SYNC].ratio"),
        ("1.2b", "count", "count", "TR", "DOSSIER_SYNC denominator − numerator"),
        ("1.2b", "rate", "rate", "TR", "100 − DOSSIER_SYNC ratio"),
        ("2.1", "rate", "rate", "PT", "parent.totalOnTime / parent.totalReceived (parent.ratio)"),
        ("2.2", "rate", "rate", "PT", "(parent.totalReceived − totalOnTime) / totalReceived"),
        ("3.1", "count", "count", "SR", "donuts.onlineProvision[PARTIAL].value"),
        ("3.1", "rate", "rate", "SR", "donuts.onlineProvision[PARTIAL].percent"),
        ("3.2", "count", "count", "SR", "donuts.onlineProvision[FULL].value"),
        ("3.2", "rate", "rate", "SR", "donuts.onlineProvision[FULL].percent"),
        ("3.3", "count", "count", "SR", "donuts.onlineProvision[NONE].value"),
        ("3.3", "rate", "rate", "SR", "donuts.onlineProvision[NONE].percent"),
        ("3.4a", "rate", "rate", "SR", "donuts.onlineDossier[ONLINE].percent"),
        ("3.4b", "rate", "rate", "SR", "donuts.onlineDossier[OTHER].percent"),
        ("3.5a", "rate", "rate", "PO", "parent.onlineOnTimeSum / (onlineOnTimeSum + onlineOverdueSum)"),
        ("3.5b", "rate", "rate", "PO", "parent.onlineOverdueSum / (onlineOnTimeSum + onlineOverdueSum)"),
        ("3.6", "rate", "rate", "PO", "parent.onlineDossierCount / parent.onlineServiceTotal"),
        ("4.1a", "count", "count", "PAY", "parent.totalFeeDossierFormalityDistinct"),
        ("4.1a", "rate", "rate", "PAY", "totalFeeDossierFormalityDistinct / totalFeeFormality"),
        ("4.1b", "count", "count", "PAY", "totalFeeFormality − totalFeeDossierFormalityDistinct"),
        ("4.2a", "count", "count", "PAY", "parent.totalDossierOnlinePaymentSuccess"),
        ("4.2a", "rate", "rate", "PAY", "totalDossierOnlinePaymentSuccess / totalDossierFinancialObligation"),
        (
            "4.2b",
            "count",
            "count",
            "PAY",
            "totalDossierFinancialObligation − totalDossierOnlinePaymentSuccess",
        ),
        ("4.2b", "rate", "rate", "PAY", "100 − 4.2a rate"),
        ("4.3a", "count", "count", "PAY", "parent.totalDossierOnlineFormalityPaymentSuccess"),
        (
            "4.3a",
            "rate",
            "rate",
            "PAY",
            "totalDossierOnlineFormalityPaymentSuccess / totalFeeDossierFormality",
        ),
        (
            "4.3b",
            "count",
            "count",
            "PAY",
            "totalFeeDossierFormality − totalDossierOnlineFormalityPaymentSuccess",
        ),
        ("4.3b", "rate", "rate", "PAY", "100 − 4.3a rate"),
        ("5.1", "rate", "rate", "HS", "overview.metrics[PETITION_HANDLING_SATISFACTION].ratio"),
        ("5.2", "rate", "rate", "HS", "overview.metrics[DOSSIER_RECEIVING_SATISFACTION].ratio"),
        ("5.3a", "rate", "rate", "HS", "overview.metrics[PETITION_CLASSIFICATION_TTHC].ratio"),
        ("5.3b", "rate", "rate", "HS", "overview.metrics[PETITION_CLASSIFICATION_STAFF].ratio"),
        ("6.1", "rate", "rate", "DD", "overview.metrics[SO_HOA_GIAY_TO_GIAI_QUYET].ratio"),
        ("6.2", "rate", "rate", "DD", "overview.metrics[ORIGINAL_RESULT_AVAILABLE].ratio"),
        ("6.4", "count", "count", "DD", "overview.metrics[REUSED_DIGITIZED_DATA].numerator"),
        ("6.4", "rate", "rate", "DD", "overview.metrics[REUSED_DIGITIZED_DATA].ratio"),
        ("total", "score", "score", "NAT", "evaluation[H55].totalScore (= SR overview.totalScore)"),
        (
            "total",
            "rank/N",
            "rank",
            "NAT",
            "position of H55 in evaluation (sorted by totalScore desc) / rows",
        ),
    ]
    for line, what, key, body, field in rows_i:
        s, o = SECTION_I[line]["2023-09"], SECTION_I[line]["2023-10"]
        if key == "n":
            sv, ov = f"{s['n']}/{s['d']}", f"{o['n']}/{o['d']}"
        elif key == "rank":
            sv, ov = f"{s['rank']}/{s['of']}", f"{o['rank']}/{o['of']}"
        else:
            sv, ov = fmt(s[key]), fmt(o[key])
        lines.append(f"| {line} | {what} | {sv} | {ov} | {body} | {field} |")
    lines += [
        "| 3.7 | growth of online services | 0 | 0 | – | not in the API: the office's figures (`office_figures_2023-10.csv`) |",
        "| 6.3 | accounts verified with the population DB | 714.661 | 754.830 | – | not in the API: the office's figures (`office_figures_2023-10.csv`) |",
        "",
        "## Section II — overdue dossiers per unit (`PT` children[code].totalOverdue)",
        "",
        "| unit (as printed) | code | 30/9 | 31/10 |",
        "|---|---|---|---|",
    ]
    for name, s, o in OVERDUE:
        lines.append(f"| {name} | {unit_for(name).code} | {s} | {o} |")
    lines.append(
        f"| TỔNG SỐ (sum of the children) | – | {OVERDUE_TOTAL['2023-09']} | {OVERDUE_TOTAL['2023-10']} |"
    )
    lines += [
        "",
        "## Section III — online-service rate per unit (`PO` children[code].ratio)",
        "",
        "| unit (as printed) | code | 30/9 | 31/10 |",
        "|---|---|---|---|",
    ]
    for name, s, o in ONLINE_RATE:
        lines.append(f"| {name} | {unit_for(name).code} | {r2(s)} | {r2(o)} |")
    lines += [
        "",
        "## Section IV — online-payment rate per unit",
        "",
        "`PAY` children[code]: totalDossierOnlinePaymentSuccess / totalDossierFinancialObligation × 100,",
        "2 decimals (0 when nothing was paid). The printed change for Sở Thông tin và Truyền thông (+3,07)",
        "is the reference's slip: 37,38 → 34,31 is −3,07; the bodies carry the two figures.",
        "",
        "| unit (as printed) | code | 30/9 | paid/obligation 30/9 | 31/10 | paid/obligation 31/10 |",
        "|---|---|---|---|---|---|",
    ]
    pay = {
        m: {
            c["departmentCode"]: c
            for c in b.bodies["evaluation/formality-online-payment-tree"]["data"]["children"]
        }
        for m, b in builders.items()
    }
    for name, s, o in PAYMENT_RATE:
        c = unit_for(name).code
        ps, po = pay["2023-09"][c], pay["2023-10"][c]
        lines.append(
            f"| {name} | {c} | {r2(s)} | {ps['totalDossierOnlinePaymentSuccess']}/{ps['totalDossierFinancialObligation']}"
            f" | {r2(o)} | {po['totalDossierOnlinePaymentSuccess']}/{po['totalDossierFinancialObligation']} |"
        )
    lines += [
        "",
        "## Units (one table for every endpoint)",
        "",
        "Codes and IDs are the replica's (the portal's 2023 codes are not known). Agencies `H55.xx`,",
        "district People's Committees `H55.2xx` (level `COMMUNE`). Each endpoint lists the units of its",
        "section: progress tree = section II, provide-online tree = section III, payment tree =",
        "section IV; transparency, handling-satisfaction, dossier-digitized and service-results list all.",
        "",
        "| code | name |",
        "|---|---|",
    ]
    lines += [f"| {u.code} | {u.name} |" for u in UNITS]
    lines += [
        "",
        "Spelling variants merged (printed → canonical):",
        "",
    ]
    lines += [f"- {k} → {v}" for k, v in NAME_VARIANTS.items()]
    lines += [
        "- section V's `UBND huyện Đông Hỷ` is `UBND huyện Đồng Hỷ` (section V is not in the API: the office's figures, `office_figures_2023-10.csv`)",
        "",
        "## Choices for figures the reference does not print",
        "",
        "- Progress tree: totalReceived 62713 (Sep) / 94012 (Oct), the smallest-change totals for which",
        "  section II's overdue sums (4045 / 1100) give exactly 93,55 % / 98,83 % on time; children's on-time",
        "  counts apportioned by unit volume.",
        "- Dossier channels: all received dossiers = DOSSIER_SYNC denominator (521143 / 586702);",
        "  ONLINE = the count giving 73,68 % / 77,24 %; 3.5 counts over the online dossiers.",
        "- Digitisation denominator: the count for which 6.4's numerator gives its rate (also the",
        "  satisfaction `totalDossiers`).",
        "- Group scores: CKMB, TDGQ, TTTT, MDHL, MDSH follow v1-api.md §7's arithmetic from the metrics;",
        "  CLGQ (not reproducible from published parameters) is the balance to the service-results total.",
        "- Payment score uses 2,5·min(1, C) because 4.3's count (213 / 222) exceeds 4.1's (182 / 190).",
        "- National ranking: the 63 provinces of `dvc766/reference/province-merger-2025.csv` (continuing",
        "  provinces with their post-merger code and ID, others `Z01`.. with replica IDs), other",
        "  provinces' scores drawn from a fixed seed; October scoreDelta = October − September total.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Write every file under thai_nguyen_2023/ (bodies, scenario.json, REFERENCE.md)."""
    files = build_all()
    for rel, data in files.items():
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    print(f"wrote {len(files)} files under {OUT}")


if __name__ == "__main__":
    main()
