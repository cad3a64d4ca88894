"""The replica's HTTP server: both portal APIs on 127.0.0.1, plus a small control surface.

Why it speaks HTTP at all (rather than being a fake inside the client): the clients' timeouts,
retries, pacing, block detection and byte-exact capture are only tested for real when the bytes go
over a socket, with real status codes, headers, resets and short bodies.

Routes:
- ``POST /api/v1/reporting/<endpoint>``: the seven evaluation endpoints and ``formalities``; 201 and
  the ``{"code":"OK","data":...,"message":"OK"}`` envelope, minified UTF-8 JSON.
- ``POST /jsp/rest.jsp``: form field ``params=<JSON>``; bare arrays of all-string rows.
- ``GET|POST /__replica/clock`` (``{"now": "2026-10-31T23:00"}``; null returns to real time),
  ``GET|POST /__replica/faults`` (``{"spec": "..."}``), ``GET /__replica/stats``,
  ``POST /__replica/stats/reset``, ``GET /__replica/health``.

The ``Date`` header carries the simulated clock. Generated bodies are cached per request and clock
hour, so repeated requests answer in well under a millisecond.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import errno
import json
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dvc766.periods import VN_TZ
from replica import catalogue, legacy_shapes, shapes, summary_shape
from replica.clock import Clock
from replica.faults import (
    CONTENT_KINDS,
    LEGACY_SERVICES,
    V1_ENDPOINTS,
    WAF_PAGE,
    Fault,
    Faults,
    duplicate_key,
    previous_period_request,
    rename_keys,
)
from replica.scenarios import Scenarios
from replica.state import (
    ReplicaConfigError,
    ReplicaState,
    RequestError,
    dumps,
    envelope,
    int_field,
    legacy_period,
    v1_period,
    wrong_province,
)
from replica.units import ProvinceTree

V1_PREFIX = "/api/v1/reporting/"
LEGACY_PATH = "/jsp/rest.jsp"
JSON_TYPE = "application/json; charset=utf-8"
LEGACY_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html; charset=utf-8"
EPOCH = datetime(1970, 1, 1, tzinfo=VN_TZ)  # "asked before anything was published": empty-month fault
DEFAULT_RENAMES = {
    "v1": ("ratio", "rate"),
    "formalities": ("code", "maTTHC"),
    "legacy": ("TONG_SCORE", "TONG_DIEM"),
}


# --- the handler --------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dvc766-replica/0.1"
    sys_version = ""
    server: ReplicaHTTPServer

    @property
    def state(self) -> ReplicaState:
        return self.server.state

    def setup(self) -> None:
        """Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and the
        client's delayed ACK would add ~40 ms to every keep-alive response."""
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Quiet by default: the CLI prints one line when ready and tests read /__replica/stats."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header comes from the simulated clock, as captures take their time from it."""
        return email.utils.formatdate(self.state.clock.now().timestamp(), usegmt=True)

    # plumbing
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None,
              *, truncate: bool = False) -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate:
            self.wfile.write(body[: max(1, len(body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def _json(self, status: int, obj: object) -> None:
        self._send(status, dumps(obj), JSON_TYPE)

    def _reset(self) -> None:
        """Close the socket with an RST and no response, as a firewall dropping the connection does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    # routes
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        path = urllib.parse.urlsplit(self.path).path
        if path == "/__replica/health":
            self._json(200, {"ok": True})
        elif path == "/__replica/stats":
            self._json(200, self.state.stats.snapshot())
        elif path == "/__replica/clock":
            self._json(200, self._clock_doc())
        elif path == "/__replica/faults":
            self._json(200, {"spec": self.state.faults.spec, "faults": self.state.faults.describe()})
        else:
            self._json(404, {"statusCode": 404, "message": f"Cannot GET {path}", "error": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        try:
            self._post()
        except (BrokenPipeError, ConnectionResetError):
            # the client gave up (e.g. its read timeout during a latency fault): expected, not a bug
            self.close_connection = True
        except Exception as exc:  # a replica bug must surface as a 500 with its cause, not a silent hang-up
            traceback.print_exc(file=sys.stderr)
            with contextlib.suppress(OSError):
                self._json(
                    500, {"code": "INTERNAL_ERROR", "data": None, "message": f"replica error: {exc!r}"}
                )

    def _post(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        raw = self._read_body()
        if path.startswith("/__replica/"):
            self._control(path, raw)
        elif path.startswith(V1_PREFIX):
            self._v1(path[len(V1_PREFIX) :], raw)
        elif path == LEGACY_PATH:
            self._legacy(raw)
        else:
            self._json(404, {"statusCode": 404, "message": f"Cannot POST {path}", "error": "Not Found"})

    def _clock_doc(self) -> dict:
        clock = self.state.clock
        return {"now": clock.now().isoformat(timespec="seconds"), "simulated": clock.simulated}

    def _control(self, path: str, raw: bytes) -> None:
        try:
            doc = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"error": "body must be JSON"})
            return
        try:
            if path == "/__replica/clock":
                self.state.clock.set(doc.get("now"))
                self._json(200, self._clock_doc())
            elif path == "/__replica/faults":
                self.state.faults.set(str(doc.get("spec") or ""))
                self._json(200, {"spec": self.state.faults.spec, "faults": self.state.faults.describe()})
            elif path == "/__replica/stats/reset":
                self.state.stats.reset()
                self._json(200, {"ok": True})
            else:
                self._json(404, {"error": f"unknown control path {path}"})
        except ValueError as exc:
            self._json(400, {"error": str(exc)})

    # fault application shared by both APIs; returns True when the response has been dealt with
    def _pre_fault(self, api: str, endpoint: str) -> Fault | None:
        latency, fault = self.state.faults.pick(api, endpoint)
        if latency:
            time.sleep(latency)
        return fault

    def _terminal_fault(self, fault: Fault | None) -> bool:
        if fault is None:
            return False
        if fault.kind == "reset":
            self._reset()
        elif fault.kind == "5xx":
            status = HTTPStatus(int(fault.params.get("status", "503")))
            page = f"<html><body><h1>{status.value} {status.phrase}</h1></body></html>"
            self._send(status.value, page.encode(), HTML_TYPE)
        elif fault.kind == "429":
            headers = {"Retry-After": fault.params.get("retry-after", "1")}
            self._send(429, b"<html><body><h1>429 Too Many Requests</h1></body></html>", HTML_TYPE, headers)
        elif fault.kind == "403":
            self._send(403, b"<html><body><h1>403 Forbidden</h1></body></html>", HTML_TYPE)
        elif fault.kind == "waf":
            support_id = str(int(time.time() * 1000) % 10**19).rjust(19, "7")
            self._send(200, WAF_PAGE.format(support_id=support_id).encode(), HTML_TYPE)
        else:
            return False
        return True

    def _v1(self, endpoint: str, raw: bytes) -> None:
        if endpoint not in V1_ENDPOINTS:
            self._json(
                404,
                {"statusCode": 404, "message": f"Cannot POST {V1_PREFIX}{endpoint}", "error": "Not Found"},
            )
            return
        now = self.state.clock.now()
        rec = self.state.stats.record("v1", endpoint, now)
        fault = self._pre_fault("v1", endpoint)
        if self._terminal_fault(fault):
            rec["status"] = "fault:" + fault.kind  # type: ignore[union-attr]
            return
        try:
            try:
                body = json.loads(raw or b"{}")
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise RequestError(400, "request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise RequestError(400, "request body must be a JSON object")
            status, payload = self._v1_payload(endpoint, body, now, fault)
        except RequestError as exc:
            status, payload = exc.status, dumps({"code": "BAD_REQUEST", "data": None, "message": str(exc)})
        rec["status"] = status
        self._send(status, payload, JSON_TYPE, truncate=fault is not None and fault.kind == "truncated")

    def _v1_payload(self, endpoint: str, body: dict, now: datetime, fault: Fault | None) -> tuple[int, bytes]:
        kind = fault.kind if fault else None
        content_fault = kind in CONTENT_KINDS
        if kind == "wrong-period":  # the answer of the period before, as if asked for it
            body, fault, kind, content_fault = previous_period_request(body), None, None, False
        if kind == "duplicate-key":
            status, payload = self._v1_payload(endpoint, body, now, None)
            return status, duplicate_key(payload, fault.params.get("field"))  # type: ignore[union-attr]
        entry = self.state.scenarios.find("v1", endpoint, body, now)
        if entry is not None and not content_fault:
            return entry.status, entry.body
        if entry is None and self.state.scenarios.strict:
            raise RequestError(404, f"no scenario entry matches this {endpoint} request (strict scenario)")
        if not content_fault:
            return 201, self._v1_generated(endpoint, body, now)
        if kind == "empty-month":
            return 201, self._v1_generated(endpoint, body, EPOCH)
        obj = json.loads(entry.body if entry is not None else self._v1_generated(endpoint, body, now))
        if kind == "wrong-province":
            obj = wrong_province(self.state, obj)
        else:
            default = DEFAULT_RENAMES["formalities" if endpoint == "formalities" else "v1"]
            old, new = fault.params.get("field", ">".join(default)).split(">", 1)  # type: ignore[union-attr]
            obj = rename_keys(obj, old, new)
        return 201, dumps(obj)

    def _v1_generated(self, endpoint: str, body: dict, now: datetime) -> bytes:
        key = ("v1", endpoint, json.dumps(body, sort_keys=True), now.strftime("%Y%m%d%H"))
        return self.state.cached(key, lambda: dumps(envelope(self._v1_data(endpoint, body, now))))

    def _v1_data(self, endpoint: str, body: dict, now: datetime) -> object:
        ds = self.state.dataset
        page, size = int_field(body, "currentPage", 1), int_field(body, "pageSize", 10)
        if endpoint == "formalities":
            q = body.get("q")
            return catalogue.formalities(ds.seed, str(q) if q else None, page, size)
        procedure = body.get("formalityID" if endpoint == "evaluation/dossier-digitized" else "formalityId")
        period = dataclasses.replace(
            v1_period(endpoint, body), era="post", procedure=str(procedure) if procedure else None
        )
        tree = self._v1_scope(body, period)
        if endpoint == "evaluation/service-results":
            return summary_shape.service_results(ds, period, tree, now)
        formality = bool(body.get("formalityID")) if endpoint == "evaluation/dossier-digitized" else False
        return shapes.v1_body(ds, endpoint, period, tree, now, page=page, page_size=size, formality=formality)

    def _v1_scope(self, body: dict, period: shapes.PeriodRequest) -> ProvinceTree | None:
        root = body.get("rootDepartmentId")
        if root:
            tree = self.state.dataset.find(period.unit_era, department_id=str(root))
            if tree is None:
                raise RequestError(400, f"rootDepartmentId {root} is not a province in this period")
            return tree
        if body.get("departmentType") == "ADMINISTRATIVE_UNIT":
            return None
        raise RequestError(400, "rootDepartmentId or departmentType ADMINISTRATIVE_UNIT is required")

    def _legacy(self, raw: bytes) -> None:
        form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
        try:
            params = json.loads(form["params"][0])
            if not isinstance(params, dict):
                raise ValueError
        except (KeyError, IndexError, ValueError):
            self._send(400, b"params must be a JSON object", "text/plain; charset=utf-8")
            return
        service = str(params.get("service", ""))
        if service not in LEGACY_SERVICES:
            self._send(404, f"unknown service {service}".encode(), "text/plain; charset=utf-8")
            return
        now = self.state.clock.now()
        rec = self.state.stats.record("legacy", service, now)
        fault = self._pre_fault("legacy", service)
        if self._terminal_fault(fault):
            rec["status"] = "fault:" + fault.kind  # type: ignore[union-attr]
            return
        try:
            status, payload = self._legacy_payload(service, params, now, fault)
        except RequestError as exc:
            status, payload = exc.status, str(exc).encode()
        rec["status"] = status
        ctype = LEGACY_TYPE if status < 400 else "text/plain; charset=utf-8"
        self._send(status, payload, ctype, truncate=fault is not None and fault.kind == "truncated")

    def _legacy_payload(
        self, service: str, params: dict, now: datetime, fault: Fault | None
    ) -> tuple[int, bytes]:
        kind = fault.kind if fault else None
        if kind == "wrong-period":  # the rows of the period before, as if asked for it
            params, fault, kind = previous_period_request(params), None, None
        if kind == "duplicate-key":
            status, payload = self._legacy_payload(service, params, now, None)
            return status, duplicate_key(payload, fault.params.get("field", "TONG_SCORE"))  # type: ignore[union-attr]
        entry = self.state.scenarios.find("legacy", service, params, now)
        if kind == "empty-month":
            return 200, b"[]"
        if entry is not None and kind is None:
            return entry.status, entry.body
        if entry is None and self.state.scenarios.strict:
            raise RequestError(404, f"no scenario entry matches this {service} request (strict scenario)")
        if entry is not None:
            rows = json.loads(entry.body)
        else:
            rows = self._legacy_rows(service, params, now, wrong=kind == "wrong-province")
        if kind == "renamed-field":
            old, new = fault.params.get("field", ">".join(DEFAULT_RENAMES["legacy"])).split(">", 1)  # type: ignore[union-attr]
            rows = rename_keys(rows, old, new)
        return 200, dumps(rows)

    def _legacy_rows(self, service: str, params: dict, now: datetime, *, wrong: bool = False) -> list:
        ds = self.state.dataset
        period = legacy_period(params)
        era = period.unit_era
        tinh = str(params.get("p_tinh_id", "0")).strip()
        tree = None
        if tinh not in ("", "0"):
            tree = ds.find(era, legacy_id=tinh)
            if tree is None:
                return []
            if wrong:
                trees = ds.provinces(era)
                tree = trees[(trees.index(tree) + 1) % len(trees)]
        if service == "report_tinh_766_service":
            return legacy_shapes.legacy_ranking(ds, period, tree, now, page_index=int_field(params, "pageIndex", 1),
                                         page_size=int_field(params, "pageSize", 1000))  # fmt: skip
        huyen = str(params.get("p_huyen_id") or "").strip() or None
        return legacy_shapes.legacy_month_sum(ds, period, tree, now, unit_legacy_id=huyen)


class ReplicaHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, state: ReplicaState) -> None:
        self.state = state
        super().__init__(("127.0.0.1", port), Handler)

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        """Clients that hang up mid-response (and our own resets) are normal here: stay quiet."""


@dataclass
class ReplicaHandle:
    """A running replica: its URL and the knobs a test turns."""

    server: ReplicaHTTPServer
    thread: threading.Thread | None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state(self) -> ReplicaState:
        return self.server.state

    def set_now(self, now: datetime | str | None) -> None:
        self.state.clock.set(now)

    def set_faults(self, spec: str) -> None:
        self.state.faults.set(spec)

    def stats(self) -> dict:
        return self.state.stats.snapshot()

    def reset_stats(self) -> None:
        self.state.stats.reset()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def __enter__(self) -> ReplicaHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_replica(port: int = 0, scenarios: list[str | Path] | None = None, faults: str = "",
                  now: datetime | str | None = None, seed: int = 766) -> ReplicaHTTPServer:  # fmt: skip
    """Validate everything and bind 127.0.0.1:port; raise ReplicaConfigError with one clear line."""
    try:
        clock = Clock(now)
        state = ReplicaState(seed=seed, clock=clock, scenarios=Scenarios(scenarios), faults=Faults(faults))
    except ValueError as exc:
        raise ReplicaConfigError(str(exc)) from None
    try:
        return ReplicaHTTPServer(port, state)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ReplicaConfigError(
                f"port {port} is already in use on 127.0.0.1; pick another with --port"
            ) from None
        raise ReplicaConfigError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None


def start_replica(port: int = 0, scenarios: list[str | Path] | None = None, faults: str = "",
                  now: datetime | str | None = None, seed: int = 766, *,
                  scenario: str | Path | None = None) -> ReplicaHandle:  # fmt: skip
    """Start a replica in a background thread (port 0 = any free port); use as a context manager.

    ``scenario`` is a convenience for one folder; it is consulted before ``scenarios``."""
    folders = ([scenario] if scenario is not None else []) + list(scenarios or [])
    server = build_replica(port, folders, faults, now, seed)
    thread = threading.Thread(
        target=server.serve_forever, name=f"replica-{server.server_address[1]}", daemon=True
    )
    thread.start()
    return ReplicaHandle(server, thread)
