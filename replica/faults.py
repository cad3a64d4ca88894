"""Faults the replica injects on demand, so clients can be tested against a misbehaving portal.

Why: the real portal throttles, fails, hides behind an F5 firewall page with HTTP 200, drops
connections and occasionally answers for the wrong province. Each of those must be exercised at the
HTTP level, deterministically.

Spec: comma-separated items ``[target:]kind[:count][:key=value]...``:

- ``target``: ``all`` (default), ``v1``, ``legacy``, an endpoint (``dvc-progress-tree``,
  ``evaluation/dvc-progress-tree``, ``formalities``) or a legacy service (``report_tinh_766_service``);
- ``kind``: ``latency=SECONDS``, ``5xx`` (503, or ``status=502``), ``429`` (``retry-after=N``), ``403``,
  ``waf`` (the F5 "Request Rejected" HTML page with status 200), ``reset`` (socket closed without a
  response), ``truncated`` (Content-Length larger than the bytes sent), ``wrong-province``,
  ``renamed-field`` (``field=old>new``), ``empty-month`` (answers as "not published yet"),
  ``wrong-period`` (the answer of the period before the one asked: the month before, the quarter
  before, the year before), ``duplicate-key`` (a key written twice in one object, the second time
  with another value: ``field=NAME``, by default the first key holding a number — ``TONG_SCORE`` in
  legacy rows — so a parser that keeps the last value reads a lie);
- ``count``: only the first N matching requests get the fault; without it every request does.

Examples: ``all:latency=0.2``, ``dvc-progress-tree:5xx:2``, ``service-results:429:1:retry-after=1``,
``transparency:waf``, ``legacy:reset:1``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field

V1_ENDPOINTS = (
    "evaluation/service-results",
    "evaluation/transparency",
    "evaluation/handling-satisfaction",
    "evaluation/dossier-digitized",
    "evaluation/dvc-progress-tree",
    "evaluation/provide-online-tree",
    "evaluation/formality-online-payment-tree",
    "formalities",
)
LEGACY_SERVICES = ("report_tinh_766_service", "report_by_month_sum_service")
KINDS = ("latency", "5xx", "429", "403", "waf", "reset", "truncated", "wrong-province", "renamed-field",
         "empty-month", "wrong-period", "duplicate-key")  # fmt: skip
CONTENT_KINDS = ("empty-month", "wrong-province", "renamed-field", "wrong-period", "duplicate-key")
TARGETS = {"all", "v1", "legacy", *V1_ENDPOINTS, *LEGACY_SERVICES} | {
    e.removeprefix("evaluation/") for e in V1_ENDPOINTS
}

WAF_PAGE = (
    "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. "
    "Please consult with your administrator.<br><br>Your support ID is: {support_id}<br><br>"
    "<a href='javascript:history.back();'>[Go Back]</a></body></html>"
)


class FaultSpecError(ValueError):
    """A ``--faults`` spec the replica cannot understand."""


@dataclass
class Fault:
    """One parsed fault item and how many times it has fired."""

    target: str
    kind: str
    count: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    latency_s: float = 0.0
    used: int = 0

    def matches(self, api: str, endpoint: str) -> bool:
        t = self.target
        if t == "all" or t == api:
            return True
        return t in (endpoint, endpoint.removeprefix("evaluation/"))

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.used >= self.count


def _parse_item(item: str) -> Fault:
    parts = [p.strip() for p in item.split(":")]
    head = parts[0]
    if head in KINDS or head.startswith("latency="):
        target, rest = "all", parts
    else:
        target, rest = head, parts[1:]
    if target not in TARGETS:
        raise FaultSpecError(
            f"fault {item!r}: unknown target {target!r} (use all, v1, legacy or an endpoint name)"
        )
    if not rest or not rest[0]:
        raise FaultSpecError(f"fault {item!r}: missing the fault kind ({', '.join(KINDS)})")
    kind = rest[0]
    latency = 0.0
    if kind.startswith("latency="):
        try:
            latency = float(kind.split("=", 1)[1])
        except ValueError:
            raise FaultSpecError(f"fault {item!r}: latency must be a number of seconds") from None
        if latency < 0:
            raise FaultSpecError(f"fault {item!r}: latency must not be negative")
        kind = "latency"
    elif kind not in KINDS or kind == "latency":
        raise FaultSpecError(
            f"fault {item!r}: unknown kind {kind!r} (one of {', '.join(KINDS)}; latency=SECONDS)"
        )
    fault = Fault(target, kind, latency_s=latency)
    for token in rest[1:]:
        if token.isdigit():
            fault.count = int(token)
        elif "=" in token:
            key, value = token.split("=", 1)
            fault.params[key.strip()] = value.strip()
        else:
            raise FaultSpecError(f"fault {item!r}: cannot read {token!r} (a count or key=value)")
    if "retry-after" in fault.params and not fault.params["retry-after"].isdigit():
        raise FaultSpecError(f"fault {item!r}: retry-after must be whole seconds")
    if "status" in fault.params and fault.params["status"] not in {"500", "502", "503", "504"}:
        raise FaultSpecError(f"fault {item!r}: status must be 500, 502, 503 or 504")
    if kind == "renamed-field" and "field" in fault.params and ">" not in fault.params["field"]:
        raise FaultSpecError(f"fault {item!r}: field must look like old>new")
    return fault


def parse_faults(spec: str | None) -> list[Fault]:
    """Parse a spec; an empty spec means no faults."""
    if not spec or not spec.strip():
        return []
    return [_parse_item(item) for item in spec.split(",") if item.strip()]


class Faults:
    """The active faults, replaceable at run time, consulted once per request (thread-safe)."""

    def __init__(self, spec: str = "") -> None:
        self._lock = threading.Lock()
        self._faults = parse_faults(spec)
        self.spec = spec

    def set(self, spec: str) -> None:
        faults = parse_faults(spec)  # validate before replacing
        with self._lock:
            self._faults = faults
            self.spec = spec

    def pick(self, api: str, endpoint: str) -> tuple[float, Fault | None]:
        """Latency to add, and the one response fault (if any) this request gets."""
        latency = 0.0
        chosen: Fault | None = None
        with self._lock:
            for f in self._faults:
                if f.exhausted or not f.matches(api, endpoint):
                    continue
                if f.kind == "latency":
                    latency += f.latency_s
                    f.used += 1
                elif chosen is None:
                    chosen = f
                    f.used += 1
        return latency, chosen

    def describe(self) -> list[dict]:
        with self._lock:
            return [{"target": f.target, "kind": f.kind, "count": f.count, "used": f.used, "params": f.params}
                    for f in self._faults]  # fmt: skip


def rename_keys(obj: object, old: str, new: str) -> object:
    """Rename a key everywhere in a parsed JSON value (the 'renamed field' schema change)."""
    if isinstance(obj, dict):
        return {(new if k == old else k): rename_keys(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rename_keys(v, old, new) for v in obj]
    return obj


def previous_period_request(fields: dict) -> dict:
    """The request for the period before the one ``fields`` ask (the 'wrong period' fault): v1's
    ``timeType`` month/quarter/year, handling-satisfaction's fromDate/toDate (a year back) and the
    legacy gateway's ``p_nam``/``p_thang``/``p_quy``."""
    out = dict(fields)
    if "timeType" in fields:
        year = int(fields.get("year") or 0)
        kind = fields["timeType"]
        if kind in ("month", "quarter"):
            top = 12 if kind == "month" else 4
            number = int(fields.get(kind) or 1)
            out["year"], out[kind] = (year, number - 1) if number > 1 else (year - 1, top)
        else:
            out["year"] = year - 1
    elif "fromDate" in fields and "toDate" in fields:
        for key in ("fromDate", "toDate"):
            text = str(fields[key])
            out[key] = f"{int(text[:4]) - 1:04d}{text[4:]}"
    elif "p_nam" in fields:
        year = int(str(fields["p_nam"]).strip() or 0)
        month, quarter = (int(str(fields.get(k) or 0).strip() or 0) for k in ("p_thang", "p_quy"))
        if month:
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
            out["p_thang"] = str(month)
        elif quarter:
            year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
            out["p_quy"] = str(quarter)
        else:
            year -= 1
        out["p_nam"] = str(year)
    return out


_NUMBER_KEY = re.compile(rb'"([A-Za-z_][A-Za-z0-9_]*)":\s*-?[0-9]')


def duplicate_key(payload: bytes, field: str | None = None) -> bytes:
    """Write a key of a JSON text twice in its object: the first ``"field":value`` (by default the
    first key holding a number) is followed by ``"field":<another value>``, so a parser that keeps the
    last value reads the other one. A text without the key gets a second ``data``/first key as is."""
    text = payload.decode("utf-8")
    if field is None:
        m = _NUMBER_KEY.search(payload)
        field = m.group(1).decode() if m else None
    if field is None:
        return payload
    key = json.dumps(field) + ":"
    start = text.find(key)
    if start < 0:
        return payload
    pos = start + len(key)
    while text[pos] in " \t\r\n":  # a pretty-printed scenario body
        pos += 1
    value, end = json.JSONDecoder().raw_decode(text, pos)
    if isinstance(value, bool) or value is None:
        lie: object = value
    elif isinstance(value, int | float):
        lie = value + 1
    elif isinstance(value, str) and value.replace(".", "", 1).isdigit():
        lie = str(round(float(value) + 1, 2))
    else:
        lie = value
    return (text[:end] + "," + key + json.dumps(lie, ensure_ascii=False) + text[end:]).encode("utf-8")
