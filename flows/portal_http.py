"""The one HTTP layer both portal clients go through: polite, bounded, and loud when blocked.

Why one layer: the portal sits behind a WAF that blocks clients that hammer it. Every request of a
run therefore shares one pacing limiter (sequential starts spaced by ``pacing_s ± jitter_s``, even
when several threads use the session), one retry policy (5xx, timeouts, resets, truncated bodies, gzip
streams cut short and answers that miss the request's deadline are retried a bounded number of times
with exponential backoff and jitter, ``Retry-After`` honoured),
and one circuit breaker: 403/406/429 answers and WAF "Request Rejected" pages count as blocks, and
after ``settings.max_blocks`` of them the session refuses to send anything more. The identity is
fixed (one User-Agent, the portal's own Origin/Referer); it is never rotated to get past a block.

Every request has a total deadline (``request_deadline_s``) besides the connect and read timeouts: a
read timeout bounds each wait for the next bytes, so a server trickling one byte every half second
never trips it and could hold a run for hours. When the deadline passes, a watchdog shuts the
request's socket down and the request counts as a transient failure (:class:`_DeadlineAdapter`).
The body is read as it came over the wire and decoded here, so a gzip stream cut short (its
Content-Length matching the cut) is a truncated body, retried, and never kept as the answer.

``sleep``, ``clock`` and ``rng`` are injectable so tests exercise every path without waiting.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from dvc766.settings import Settings
from flows.errors import BlockedError, CircuitOpenError, TransientError
from flows.politeness import Gate, LocalGate

PORTAL_ORIGIN = "https://dichvucong.gov.vn"
# The public pages that call each API; sent as Referer exactly like a browser on those pages would.
V1_REFERER = "https://dichvucong.gov.vn/danh-gia-chat-luong-phuc-vu"
LEGACY_REFERER = "https://dichvucong.gov.vn/p/home/dvc-index-tinhthanhpho-tonghop.html"

BLOCK_STATUSES = frozenset({403, 406, 429})
WAF_MARKERS = (b"request rejected", b"the requested url was rejected", b"support id", b"ndc waf")
# Only the head of a body is searched for WAF markers: rejection pages are small.
_WAF_SCAN_BYTES = 64 * 1024


@dataclass(frozen=True)
class HttpResult:
    """One final HTTP answer: status, headers, the exact body bytes, and how many attempts it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    attempts: int


class _TruncatedBody(Exception):
    """The body ended before its Content-Length, or its gzip stream before its end: cut mid-answer."""


class _DeadlineExceeded(Exception):
    """The request had no complete answer within ``request_deadline_s``."""


# --- the per-request deadline -------------------------------------------------------------------------

_inflight = threading.local()  # the calling thread's request in flight: {"sock": ..., "expired": bool}


def _note_socket(sock: object) -> None:
    """Tell the request in flight on this thread which socket it uses (the socket itself: http.client
    drops the connection's reference to it once an answer says ``Connection: close``)."""
    box = getattr(_inflight, "box", None)
    if box is not None:
        box["sock"] = sock


class _DeadlineHTTPConnection(HTTPConnection):
    """urllib3's connection, telling the request in flight on this thread which socket it uses."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:
            _note_socket(self.sock)


class _DeadlineHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:
            _note_socket(self.sock)


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection  # type: ignore[assignment]


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connections a watchdog can cut (:meth:`PoliteSession._send_once`)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}


def _cut(box: dict[str, Any]) -> None:
    """The watchdog: the deadline passed, shut the request's socket so every read returns at once."""
    box["expired"] = True
    sock = box.get("sock")
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: the request has ended
            sock.shutdown(socket.SHUT_RDWR)


# --- the body as sent, decoded here -------------------------------------------------------------------


def _gunzip(data: bytes) -> bytes:
    """Every gzip member of ``data``; raises :class:`_TruncatedBody` when the stream stops short of its
    end (zlib hands back what it has without complaint, which would be kept as a short body)."""
    out = []
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(d.decompress(data))
        out.append(d.flush())
        if not d.eof:
            raise _TruncatedBody("the gzip stream ends before its end marker (cut short)")
        data = d.unused_data
    return b"".join(out)


def _inflate(data: bytes) -> bytes:
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # zlib-wrapped, as the standard says, or raw
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(data) + d.flush()
        except zlib.error:
            continue
        if not d.eof:
            raise _TruncatedBody("the deflate stream ends before its end (cut short)")
        return out
    raise zlib.error("not a deflate stream")


def decode_body(wire: bytes, content_encoding: str | None) -> bytes:
    """The body from the bytes sent, undoing ``Content-Encoding`` (gzip, deflate) last to first.
    Raises :class:`_TruncatedBody` for a stream cut short and ``zlib.error`` for one that is not
    what it says it is; an encoding this client never asks for is left as it came."""
    body = wire
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            body = _gunzip(body)
        elif coding == "deflate":
            body = _inflate(body)
        elif coding != "identity":
            break
    return body


def is_waf_page(body: bytes, headers: dict[str, str] | None = None) -> bool:
    """True when ``body`` is an HTML rejection page from the portal's firewall.

    Only HTML-looking bodies (starting with ``<`` or served as text/html) are searched, so a JSON
    body that happens to contain one of the phrases in a unit name is never mistaken for a block.
    """
    head = body[:_WAF_SCAN_BYTES]
    ctype = ""
    for k, v in (headers or {}).items():
        if k.lower() == "content-type":
            ctype = v.lower()
    if not (head.lstrip().startswith(b"<") or "html" in ctype):
        return False
    low = head.lower()
    return any(marker in low for marker in WAF_MARKERS)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _header(headers: dict[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


class PoliteSession:
    """A requests.Session wrapper with timeouts, retries, pacing and a circuit breaker (one per run)."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        http: requests.Session | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        # who holds pacing and the breaker: this process, or the Prefect server for every worker
        self.gate: Gate = gate or LocalGate(settings, sleep=sleep, clock=clock, rng=self._rng)
        self._http = http or requests.Session()
        if isinstance(self._http, requests.Session):  # its connections can be cut at the deadline
            adapter = _DeadlineAdapter()
            self._http.mount("http://", adapter)
            self._http.mount("https://", adapter)
        # One fixed identity for the whole run; per-request headers only add the content type.
        self._http.headers.update(
            {
                "User-Agent": settings.user_agent,
                "Accept": "application/json, text/plain, */*",
                # only what decode_body undoes (and what requests asks for anyway)
                "Accept-Encoding": "gzip, deflate",
                "Origin": PORTAL_ORIGIN,
            }
        )
        self._state_lock = threading.Lock()
        self.stats: dict[str, float] = {
            "requests": 0,
            "retries": 0,
            "blocks": 0,
            "bytes": 0,
            "seconds_waiting": 0.0,
        }

    # -- public API ---------------------------------------------------------------------------

    @property
    def user_agent(self) -> str:
        return str(self._http.headers["User-Agent"])

    @property
    def circuit_open(self) -> bool:
        return self.gate.open_message() is not None

    def post_json(self, url: str, body: dict[str, Any]) -> HttpResult:
        """POST ``body`` as compact UTF-8 JSON (how the portal's own page sends it)."""
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", "Referer": V1_REFERER}
        return self._request(url, data, headers)

    def post_form(self, url: str, fields: dict[str, str]) -> HttpResult:
        """POST ``fields`` form-encoded (the legacy gateway's ``params=<JSON>``)."""
        data = urlencode(fields).encode("ascii")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "X-Requested-With": "XMLHttpRequest",
            "Referer": LEGACY_REFERER,
        }
        return self._request(url, data, headers)

    def close(self) -> None:
        self._http.close()

    # -- internals ----------------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self._sleep(seconds)
        with self._state_lock:
            self.stats["seconds_waiting"] += seconds

    def _pace(self) -> None:
        """Wait for this request's turn (pacing ± jitter, held by the gate: this process or every worker)."""
        waited = self.gate.pace()
        if waited:
            with self._state_lock:
                self.stats["seconds_waiting"] += waited

    def _backoff_delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter (half fixed, half random); Retry-After wins, both capped."""
        s = self.settings
        if retry_after is not None:
            return min(retry_after, s.backoff_max_s)
        base = min(s.backoff_max_s, s.backoff_base_s * (2 ** (attempt - 1)))
        return base / 2 + self._rng.uniform(0, base / 2)

    def _check_open(self) -> None:
        message = self.gate.open_message()
        if message is not None:
            raise CircuitOpenError(message)

    def _record_block(self, url: str, reason: str, result: HttpResult) -> BlockedError | CircuitOpenError:
        """Count one block; return the error to raise (CircuitOpenError once the limit is reached)."""
        blocks, opened = self.gate.add_block(f"{reason} from {url}")
        with self._state_lock:
            self.stats["blocks"] += 1
        if opened is not None:
            err: BlockedError | CircuitOpenError = CircuitOpenError(opened)
        else:
            err = BlockedError(
                f"blocked by the portal: {reason} from {url} "
                f"({blocks}/{self.settings.max_blocks} blocks before the run stops)"
            )
        err.result = result  # type: ignore[attr-defined]
        return err

    def _send_once(self, url: str, data: bytes, headers: dict[str, str]) -> tuple[requests.Response, bytes]:
        """One attempt: the answer and its decoded body, within ``request_deadline_s`` in all."""
        s = self.settings
        box: dict[str, Any] = {"sock": None, "expired": False}
        watchdog = threading.Timer(s.request_deadline_s, _cut, args=(box,))
        watchdog.daemon = True
        _inflight.box = box
        watchdog.start()
        try:
            resp = self._http.post(
                url,
                data=data,
                headers=headers,
                timeout=(s.connect_timeout_s, s.read_timeout_s),
                stream=True,
                allow_redirects=False,
            )
            try:
                # The bytes as sent: urllib3 raises on a body shorter than its Content-Length
                # (ProtocolError) and on a read timeout; both are transient, handled by the caller.
                wire = resp.raw.read(decode_content=False) if hasattr(resp, "raw") else resp.content
            finally:
                resp.close()
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if box["expired"]:
                raise _DeadlineExceeded(self._deadline_text()) from exc
            raise
        finally:
            watchdog.cancel()
            _inflight.box = None
        if box["expired"]:  # the answer completed just as the deadline passed: it is late all the same
            raise _DeadlineExceeded(self._deadline_text())
        expected = resp.headers.get("Content-Length")
        if expected is not None and expected.isdigit() and len(wire) != int(expected):
            raise _TruncatedBody(f"body has {len(wire)} of {expected} bytes announced by Content-Length")
        return resp, decode_body(wire, resp.headers.get("Content-Encoding"))

    def _deadline_text(self) -> str:
        return (
            f"no complete answer within {self.settings.request_deadline_s:g} s "
            "(DVC766_REQUEST_DEADLINE_S: the portal answered too slowly)"
        )

    def _request(self, url: str, data: bytes, headers: dict[str, str]) -> HttpResult:
        max_retries = max(0, self.settings.max_retries)
        attempts = 0
        retried_429 = False
        while True:
            self._check_open()
            attempts += 1
            self._pace()
            # again after the wait: another thread, or another worker, may have been blocked meanwhile
            self._check_open()
            with self._state_lock:
                self.stats["requests"] += 1
            retry_after: float | None = None
            try:
                resp, body = self._send_once(url, data, headers)
            except (
                requests.Timeout,
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                urllib3.exceptions.HTTPError,
            ) as exc:
                cause = _describe_transport_error(exc)
            except _DeadlineExceeded as exc:
                cause = str(exc)
            except _TruncatedBody as exc:
                cause = f"truncated body ({exc})"
            except (requests.exceptions.ContentDecodingError, zlib.error) as exc:
                cause = f"undecodable body ({exc})"
            else:
                hdrs = {k: v for k, v in resp.headers.items()}
                result = HttpResult(resp.status_code, hdrs, body, url, attempts)
                with self._state_lock:
                    self.stats["bytes"] += len(body)
                if is_waf_page(body, hdrs):
                    raise self._record_block(url, f"WAF rejection page (HTTP {resp.status_code})", result)
                if resp.status_code in BLOCK_STATUSES:
                    retry_after = parse_retry_after(_header(hdrs, "Retry-After"))
                    err = self._record_block(url, f"HTTP {resp.status_code}", result)
                    can_retry = (
                        resp.status_code == 429
                        and retry_after is not None
                        and not retried_429
                        and isinstance(err, BlockedError)
                    )
                    if not can_retry:
                        raise err
                    retried_429 = True
                    with self._state_lock:
                        self.stats["retries"] += 1
                    self._wait(min(retry_after, self.settings.backoff_max_s))
                    continue
                if resp.status_code < 500:
                    return result
                cause = f"HTTP {resp.status_code}"
                retry_after = parse_retry_after(_header(hdrs, "Retry-After"))
            if attempts > max_retries:
                raise TransientError(
                    f"portal request to {url} failed after {attempts} attempts: {cause}; "
                    "the portal may be down or slow — retry the run later"
                )
            with self._state_lock:
                self.stats["retries"] += 1
            self._wait(self._backoff_delay(attempts, retry_after))


def _describe_transport_error(exc: Exception) -> str:
    if isinstance(exc, requests.ConnectTimeout | urllib3.exceptions.ConnectTimeoutError):
        return f"connect timeout ({exc.__class__.__name__})"
    if isinstance(exc, requests.Timeout | urllib3.exceptions.ReadTimeoutError):
        return f"read timeout ({exc.__class__.__name__})"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | urllib3.exceptions.ProtocolError):
        return f"truncated body / connection dropped mid-answer ({exc})"
    text = str(exc)
    low = text.lower()
    if "reset" in low or "aborted" in low or "remotedisconnected" in low or "closed" in low:
        return f"connection reset by the portal ({text})"
    return f"connection error ({text})"
