"""Sending the morning digest through the notification channels (``DVC766_NOTIFY``).

Why a function of its own: the watch renders the digest (plain text for chat channels, Markdown and
HTML files beside the dashboard); whether and where it is *sent* is the notification settings'
business, shared with the data engineer's alerts (:mod:`flows.notify`, Apprise: Telegram, email,
webhooks…). The watch calls :func:`deliver` once per province and morning and prints the line it
returns; a failure to send never fails the watch. Every ``DVC766_NOTIFY`` URL receives every watched
province's digest (kind ``digest``: sent whatever ``DVC766_NOTIFY_ON`` says), so a province watches
its own (``DVC766_WATCH_PROVINCES``).
"""

from __future__ import annotations

from dataclasses import dataclass

from dvc766.settings import Settings


@dataclass(frozen=True)
class Delivery:
    sent: bool
    line: str


def deliver(settings: Settings, subject: str, text: str, html: str) -> Delivery:
    """Send one digest (``subject`` as the title, ``text`` as the body) to every channel of
    ``DVC766_NOTIFY``; never raises. ``html`` is the same digest for channels that show HTML; the
    channels are sent the plain text, which reads the same in a chat and in a mail."""
    del html
    from flows.notify import Event, notify

    try:
        delivery = notify(Event("digest", subject, text), settings)
    except Exception as exc:  # notify does not raise; a bug in it must not fail the watch either
        return Delivery(False, f"not sent: {type(exc).__name__}: {exc}")
    if delivery.skipped:
        return Delivery(False, f"not sent: {delivery.skipped}")
    lines = delivery.lines()
    return Delivery(bool(delivery.sent) and not delivery.failed, "; ".join(lines) or "not sent: no channel")
