"""A tiny scripted HTTP server on 127.0.0.1 for the client tests.

Why not mocks: the retry, truncation and reset paths live in requests/urllib3's handling of real
sockets, so the tests talk to a real server that misbehaves on cue. Each request takes the next
scripted ``Reply`` (the last one repeats); every request is recorded for assertions.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Reply:
    """What the stub answers. ``action``: "" (normal), "reset" (TCP RST, no answer), "truncate"
    (announce the full Content-Length, send ``truncate_to`` bytes, close), "delay" (wait ``delay_s``
    before answering normally), "trickle" (the headers, then the body one byte every ``delay_s``)."""

    status: int = 201
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    action: str = ""
    truncate_to: int = 10
    delay_s: float = 0.0


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class StubServer:
    """Serve ``replies`` in order on an ephemeral 127.0.0.1 port; use as a context manager."""

    def __init__(self, replies: list[Reply]) -> None:
        if not replies:
            raise ValueError("StubServer needs at least one reply")
        self._replies = list(replies)
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
                return

            _date: str | None = None

            def date_time_string(self, timestamp: float | None = None) -> str:
                # A scripted Date header replaces the server's clock (the portal's clock in tests).
                return self._date or super().date_time_string(timestamp)

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                reply = stub._next(
                    RecordedRequest("POST", self.path, {k: v for k, v in self.headers.items()}, body)
                )
                if reply.action == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if reply.action == "delay":
                    time.sleep(reply.delay_s)
                self._date = reply.headers.get("Date")
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
                headers.pop("Date", None)  # sent once, by send_response via date_time_string()
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if reply.action == "trickle":
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):
                        for i in range(len(reply.body)):
                            self.wfile.write(reply.body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(reply.delay_s)
                    self.close_connection = True
                    return
                if reply.action == "truncate":
                    self.wfile.write(reply.body[: reply.truncate_to])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                # The client may have given up already (read-timeout tests): that is expected.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(reply.body)
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown (and so each test) fast.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    def _next(self, req: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(req)
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
