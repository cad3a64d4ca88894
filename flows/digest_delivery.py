"""Sending the morning digest through the notification channels (``DVC766_NOTIFY``).

Why a function of its own: the watch renders the digest (Markdown for chat channels, HTML for email)
and writes both beside the dashboard; whether and where it is *sent* is the notification settings'
business, shared with the data engineer's alerts. The watch calls :func:`deliver` once per province
and morning, and prints the line it returns; a failure to send never fails the watch.

SEAM(issue 29): the notification channels (Apprise URLs in ``DVC766_NOTIFY``: Telegram, email,
webhooks) are being built in issue 29 and are not in this build. Until they are, :func:`deliver` sends
nothing and says so; it does not pretend. To wire: call issue 29's send function here with
``subject`` as the title and ``text`` (the digest in plain text, readable in any chat) as the body,
return ``Delivery(True, …)`` naming the channels reached, and catch its failure into
``Delivery(False, …)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from dvc766.settings import Settings


@dataclass(frozen=True)
class Delivery:
    sent: bool
    line: str


def deliver(settings: Settings, subject: str, text: str, html: str) -> Delivery:
    """Send one digest through the configured channels; never raises."""
    del settings, subject, text, html  # SEAM(issue 29): the channels' send function goes here
    return Delivery(
        False,
        "not sent: this build has no notification channels yet (DVC766_NOTIFY, issue 29); "
        "the digest is in the files above",
    )
