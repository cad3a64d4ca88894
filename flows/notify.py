"""Telling someone: the one place dvc766 sends a message, through Apprise.

Why Apprise: one URL per channel reaches email (``mailto://``), Telegram (``tgram://``), Slack,
Discord, ntfy, a JSON webhook (``json://``, how a Zalo bot or any relay is reached) and many more, with
no code per channel. ``DVC766_NOTIFY`` holds one or more URLs (spaces or commas between them);
``DVC766_NOTIFY_ON`` says which events go out: ``failures`` (the default: alerts only) or ``all``
(alerts and a short summary of every run).

Callers build a typed :class:`Event` (its kind, a short Vietnamese title and body, the figures) and
call :func:`notify`. Sending never raises: a channel that cannot be reached is logged and reported in
the returned :class:`Delivery` (the run summary prints it), and the run goes on as it would have.
The run alerts (:mod:`flows.alerts`) and the daily watch's digest both send through here.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from dvc766.settings import Settings

log = logging.getLogger(__name__)

EventKind = Literal[
    "run_failed",  # provinces failed (which, why)
    "circuit_open",  # the portal blocked us: the run stopped
    "schema_change",  # the portal changed a body's shape: rejected, nothing landed from it
    "drift",  # a field the contracts do not know appeared (landed anyway)
    "checks_failed",  # the warehouse's checks failed: nothing published
    "formula_change",  # the portal scores an indicator by another formula than the seed's (published anyway)
    "month_not_published",  # the monthly window closed without the month
    "snapshot_missed",  # the month-end window closed without the snapshot
    "run_ok",  # a run's summary (only with DVC766_NOTIFY_ON=all)
    "waiting",  # the portal has not published yet; the window retries (only with =all)
    "digest",  # the daily watch's morning digest of one province (flows/watch.py): always sent
]
ALERTS: frozenset[str] = frozenset(
    {
        "run_failed",
        "circuit_open",
        "schema_change",
        "drift",
        "checks_failed",
        "formula_change",
        "month_not_published",
        "snapshot_missed",
    }
)
_TYPE = {
    "run_ok": "success",
    "waiting": "info",
    "drift": "warning",
    "formula_change": "warning",
    "digest": "info",
}  # the rest: failure
Figure = int | float | str


@dataclass(frozen=True)
class Event:
    """One thing worth telling: ``title`` and ``body`` in Vietnamese, short, with what to do;
    ``figures`` the numbers it is about (also written into the body by whoever builds it)."""

    kind: EventKind
    title: str
    body: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    @property
    def is_alert(self) -> bool:
        return self.kind in ALERTS

    def text(self) -> str:
        return f"{self.title}\n{self.body}"


@dataclass
class Delivery:
    """What became of one event: channels reached, channels that failed and why, or why none was tried."""

    sent: list[str] = field(default_factory=list)  # channel URLs with secrets hidden
    failed: list[tuple[str, str]] = field(default_factory=list)  # (channel, reason)
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        out = [f"notified {url}" for url in self.sent]
        out += [f"notification to {url} FAILED: {why}" for url, why in self.failed]
        return out


class NotifyConfigError(ValueError):
    """``DVC766_NOTIFY`` holds a URL Apprise cannot use."""


def targets(setting: str | None) -> list[str]:
    """The URLs of ``DVC766_NOTIFY``: separated by whitespace or commas (a comma inside a URL's query,
    as in ``?to=a@x,b@y``, stays with its URL: a new URL starts with ``scheme://``)."""
    if not setting:
        return []
    parts = re.split(r"[\s,]+(?=[A-Za-z][A-Za-z0-9+.\-]*://)|\s+", setting.strip())
    return [p.strip().strip(",") for p in parts if p.strip().strip(",")]


def check_targets(setting: str | None) -> list[str]:
    """The URLs, each one Apprise understands; raises :class:`NotifyConfigError` naming the first that
    is not (without its secrets: only the scheme and host are echoed)."""
    import apprise

    urls = targets(setting)
    for url in urls:
        with _apprise_quiet():  # Apprise logs its own complaint (with the URL's secrets, shortened)
            understood = apprise.Apprise().add(url)
        if not understood:
            raise NotifyConfigError(
                f"DVC766_NOTIFY: URL {urls.index(url) + 1} ({_redact(url)}) is not a notification URL Apprise understands "
                "(e.g. mailto://user:password@smtp.example.com?to=ops@example.com, tgram://BOT_TOKEN/CHAT_ID, "
                "json://host:port/path)"
            )
    return urls


@contextlib.contextmanager
def _apprise_quiet() -> Iterator[None]:
    logger = logging.getLogger("apprise")
    before = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = before


def _redact(url: str) -> str:
    """A URL named without anything that may be a secret (a Telegram token sits where a host would)."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*)://", url)
    return f"{m[1]}://…" if m else "(a URL without a scheme)"


def wanted(event: Event, settings: Settings) -> bool:
    """Does ``DVC766_NOTIFY_ON`` ask for this event? Alerts and the daily watch's digests always (a
    digest is what the watch is run for); the rest with ``all``."""
    return event.is_alert or event.kind == "digest" or settings.notify_on == "all"


def notify(event: Event, settings: Settings | None = None) -> Delivery:
    """Send ``event`` to every channel of ``DVC766_NOTIFY`` that asks for it; never raises."""
    settings = settings or Settings.from_env()
    out = Delivery()
    urls = targets(settings.notify)
    if not urls:
        out.skipped = "DVC766_NOTIFY is not set"
        return out
    if not wanted(event, settings):
        out.skipped = f"DVC766_NOTIFY_ON={settings.notify_on}: {event.kind} is not sent"
        return out
    for url in urls:
        name, why = _send(url, event)
        if why:
            log.warning("notification to %s failed: %s", name, why)
            out.failed.append((name, why))
        else:
            out.sent.append(name)
    return out


def _send(url: str, event: Event) -> tuple[str, str]:
    """(channel shown without secrets, failure reason or "")."""
    try:
        import apprise

        app = apprise.Apprise()
        if not app.add(url):
            return _redact(url), "not a notification URL Apprise understands"
        name = next(iter(app)).url(privacy=True).split("?", 1)[0]
        with apprise.LogCapture(level=logging.WARNING) as captured:
            result = app.notify(
                title=event.title,
                body=event.body,
                notify_type=_TYPE.get(event.kind, "failure"),
                body_format="text",
            )
        if result:
            return name, ""
        lines = [ln.split(" - ", 2)[-1] for ln in captured.getvalue().splitlines() if ln.strip()]
        return name, "; ".join(lines[-2:]) or "the channel refused the message"
    except Exception as exc:  # a notification must never fail the run it reports on
        return _redact(url), f"{type(exc).__name__}: {exc}"
