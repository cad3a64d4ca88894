"""The procedure (TTHC) catalogue behind ``formalities`` (v1-api.md §4.4): a deterministic list the size
of the real one, paged and searched as the portal does.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

from replica.units import ProvinceTree

# --- formalities ----------------------------------------------------------------------------------

CATALOGUE_SIZE = 5741  # the real catalogue's size in 2026 (its page 575 at pageSize 10 is a real body)
ACTIONS = ("Cấp", "Cấp lại", "Điều chỉnh", "Gia hạn", "Thu hồi", "Đăng ký", "Thẩm định", "Công nhận", "Xác nhận",
           "Phê duyệt", "Chấp thuận", "Thông báo")  # fmt: skip
OBJECTS = ("giấy phép kinh doanh", "giấy chứng nhận đủ điều kiện", "chứng chỉ hành nghề", "giấy phép xây dựng",
           "giấy phép lái xe", "hộ tịch", "quyền sử dụng đất", "dự án đầu tư", "hợp tác xã", "hộ kinh doanh",
           "thủ tục hải quan", "tài sản kết cấu hạ tầng", "giấy phép môi trường", "cơ sở giáo dục",
           "cơ sở khám bệnh, chữa bệnh", "doanh nghiệp xã hội")  # fmt: skip


def _hash_int(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


@lru_cache(maxsize=4)
def catalogue(seed: int) -> tuple[dict, ...]:
    """The deterministic catalogue of administrative procedures (``formalities``)."""
    from replica.units import _uuid  # the same ID scheme as units

    ministries = [_uuid(seed, "ministry", i) for i in range(22)]
    province_ids = [tr.unit.department_id for tr in ds_provinces(seed)]
    items = []
    for i in range(CATALOGUE_SIZE):
        h = _hash_int(seed, "formality", i)
        state = "INACTIVE" if h % 20 == 0 else "UPDATED" if h % 10 == 1 else "ACTIVE"
        dep = ministries[h % len(ministries)]
        applied = province_ids if h % 3 == 0 else []
        items.append({
            "id": _uuid(seed, "formality", i), "code": f"{1 + h % 6}.{100000 + i * 7:06d}",
            "name": f"Thủ tục: {ACTIONS[(h >> 8) % len(ACTIONS)]} {OBJECTS[(h >> 16) % len(OBJECTS)]}",
            "state": state, "departmentId": dep, "publishingDepartmentIds": [dep], "appliedDepartmentIds": applied,
        })  # fmt: skip
    return tuple(items)


def ds_provinces(seed: int) -> tuple[ProvinceTree, ...]:
    from replica.units import province_trees

    return province_trees(seed, "post")


def formalities(seed: int, q: str | None, page: int, page_size: int) -> dict:
    """One page of the catalogue, optionally filtered by ``q`` (code or name, case-insensitive)."""
    items = catalogue(seed)
    if q:
        needle = q.casefold()
        items = tuple(
            it for it in items if needle in it["code"].casefold() or needle in it["name"].casefold()
        )
    page, page_size = max(1, page), max(1, page_size)
    return {"items": list(items[(page - 1) * page_size : page * page_size]),
            "pagination": {"total": len(items), "currentPage": page, "pageSize": page_size,
                           "totalPages": math.ceil(len(items) / page_size)}}  # fmt: skip
