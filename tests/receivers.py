"""Real notification receivers on 127.0.0.1 for the alert tests: a JSON webhook and an SMTP server.

Apprise sends to them exactly as it would to a relay or a mail server (``json://127.0.0.1:PORT/hook``,
``mailto://127.0.0.1:PORT/ops@example.com``); the tests read what arrived.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Message:
    """One message as it arrived: title, body, and the channel's own kind (``failure``/``success``...)."""

    title: str
    body: str
    kind: str = ""

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"


class Webhook:
    """An HTTP server that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        received: list[dict] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    received.append(json.loads(self.rfile.read(length) or b"{}"))
                finally:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"json://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def messages(self) -> list[Message]:
        return [Message(d.get("title", ""), d.get("message", ""), d.get("type", "")) for d in self.received]

    def clear(self) -> None:
        self.received.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """A local SMTP server (aiosmtpd) that keeps every message delivered to it."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        raw: list[bytes] = []
        self.raw = raw

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
                raw.append(envelope.original_content or envelope.content)  # type: ignore[attr-defined]
                return "250 Message accepted"

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.url = f"mailto://127.0.0.1:{self.port}/ops@example.com?from=dvc766@example.com&mode=insecure"

    def messages(self) -> list[Message]:
        out = []
        for data in self.raw:
            msg = email.message_from_bytes(data, policy=email.policy.default)
            part = msg.get_body(preferencelist=("plain", "html"))
            out.append(Message(str(msg["Subject"]), part.get_content() if part else ""))
        return out

    def clear(self) -> None:
        self.raw.clear()

    def close(self) -> None:
        self.controller.stop()


@contextmanager
def receivers() -> Iterator[tuple[Webhook, Mailbox]]:
    hook, mail = Webhook(), Mailbox()
    try:
        yield hook, mail
    finally:
        hook.close()
        mail.close()
