"""What the replica's server holds between requests (the dataset, clock, scenarios, faults, statistics,
the body cache) and how it reads a request: the period a v1 body or legacy ``params`` asks for, and
the wrong-province fault's substitute. The HTTP handling is :mod:`replica.server`'s.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from replica import shapes
from replica.clock import Clock
from replica.faults import Faults
from replica.generator import Dataset
from replica.scenarios import Scenarios


class ReplicaConfigError(ValueError):
    """The replica cannot start as asked (port in use, bad scenario, bad faults, bad clock)."""


class RequestError(Exception):
    """A request the portal would refuse; carries the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def dumps(obj: object) -> bytes:
    """The portal's serialisation: minified, UTF-8, Vietnamese text as-is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def envelope(data: object) -> dict:
    return {"code": "OK", "data": data, "message": "OK"}


@dataclass
class Stats:
    """Requests seen per endpoint with their arrival times (wall clock), for politeness tests."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[dict] = field(default_factory=list)

    def record(self, api: str, endpoint: str, simulated: datetime) -> dict:
        rec = {"api": api, "endpoint": endpoint, "at": time.time(), "simulated": simulated.isoformat(),
               "status": None}  # fmt: skip
        with self.lock:
            self.requests.append(rec)
        return rec

    def snapshot(self) -> dict:
        with self.lock:
            reqs = [dict(r) for r in self.requests]
        per: dict[str, dict] = {}
        for r in reqs:
            key = f"{r['api']}:{r['endpoint']}"
            slot = per.setdefault(key, {"count": 0, "times": []})
            slot["count"] += 1
            slot["times"].append(r["at"])
        return {"total": len(reqs), "endpoints": per, "requests": reqs}

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()


class ReplicaState:
    """Everything a request handler needs: data, clock, scenarios, faults, stats, a body cache."""

    def __init__(self, *, seed: int, clock: Clock, scenarios: Scenarios, faults: Faults) -> None:
        self.dataset = Dataset(seed)
        self.dataset.shocks, self.dataset.now = scenarios.shocks, clock.now
        self.clock = clock
        self.scenarios = scenarios
        self.faults = faults
        self.stats = Stats()
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()
        self._cache_lock = threading.Lock()

    def cached(self, key: tuple, build) -> bytes:
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        body = build()
        with self._cache_lock:
            self._cache[key] = body
            while len(self._cache) > 400:
                self._cache.popitem(last=False)
        return body


# --- request interpretation ---------------------------------------------------------------------


def int_field(body: dict, key: str, default: int | None = None) -> int:
    value = body.get(key, default)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RequestError(400, f"{key} must be an integer, got {value!r}") from None


def v1_period(endpoint: str, body: dict) -> shapes.PeriodRequest:
    """The period a v1 request asks for (handling-satisfaction prefers fromDate/toDate)."""
    if endpoint == "evaluation/handling-satisfaction" and body.get("fromDate") and body.get("toDate"):
        try:
            return shapes.PeriodRequest.from_dates(str(body["fromDate"]), str(body["toDate"]))
        except ValueError as exc:
            raise RequestError(400, str(exc)) from None
    time_type = body.get("timeType")
    if time_type not in ("year", "quarter", "month"):
        raise RequestError(400, "timeType must be year, quarter or month")
    year = int_field(body, "year")
    if time_type == "year":
        return shapes.PeriodRequest("year", year)
    key, top = ("quarter", 4) if time_type == "quarter" else ("month", 12)
    number = int_field(body, key)
    if not 1 <= number <= top:
        raise RequestError(400, f"{key} must be 1..{top}")
    return shapes.PeriodRequest(time_type, year, number)


def legacy_period(params: dict) -> shapes.PeriodRequest:
    year = int_field(params, "p_nam")
    month, quarter, half = (int_field(params, k, 0) or 0 for k in ("p_thang", "p_quy", "p_6thang"))
    if month:
        return shapes.PeriodRequest("month", year, month)
    if quarter:
        return shapes.PeriodRequest("quarter", year, quarter)
    if half:
        return shapes.PeriodRequest("half", year, half)
    return shapes.PeriodRequest("year", year)


def _other_province(state: ReplicaState, code: str | None) -> tuple[str, str, str]:
    """The (id, code, name) of a province other than ``code`` (the 'wrong province' fault)."""
    trees = state.dataset.provinces("post")
    codes = [t.unit.code for t in trees]
    i = codes.index(code) if code in codes else -1
    u = trees[(i + 1) % len(trees)].unit
    return u.department_id, u.code, u.name


def wrong_province(state: ReplicaState, obj: dict) -> dict:
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, dict):
        return obj
    for key in ("parent", "overview"):
        row = data.get(key)
        if isinstance(row, dict):
            dep_id, code, name = _other_province(state, row.get("departmentCode"))
            if "departmentId" in row:
                row["departmentId"] = dep_id
            if "departmentCode" in row:
                row["departmentCode"] = code
            row["departmentName"] = name
    return obj
