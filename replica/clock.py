"""The replica's simulated clock.

Why a clock of its own: year-to-date answers, a running month's partial figures and "not published
yet" months all depend on *when* the portal is asked. Tests reproduce "the figures as seen on the
portal on 31/10/2023" by setting the clock, and may move it at run time without a restart. A set
clock is frozen (it does not tick), so two identical requests get identical answers.
"""

from __future__ import annotations

import threading
from datetime import datetime

from dvc766.periods import VN_TZ

NOW_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


class ClockError(ValueError):
    """A ``--now`` value that is not a Vietnam-time timestamp."""


def parse_now(text: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM`` (Asia/Ho_Chi_Minh); an explicit UTC offset is honoured too."""
    if not isinstance(text, str) or not text.strip():
        raise ClockError("--now must look like 2026-10-31T23:00 (Vietnam time)")
    raw = text.strip()
    for fmt in NOW_FORMATS:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=VN_TZ)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ClockError(f"--now {raw!r} is not a time like 2026-10-31T23:00 (Vietnam time)") from None
    return parsed.replace(tzinfo=VN_TZ) if parsed.tzinfo is None else parsed.astimezone(VN_TZ)


class Clock:
    """Real Vietnam time by default; a fixed instant once set."""

    def __init__(self, now: datetime | str | None = None) -> None:
        self._lock = threading.Lock()
        self._fixed: datetime | None = None
        if now is not None:
            self.set(now)

    def set(self, now: datetime | str | None) -> None:
        """Freeze the clock at ``now`` (text or aware datetime); None returns to real time."""
        if isinstance(now, str):
            value: datetime | None = parse_now(now)
        elif isinstance(now, datetime):
            value = now.replace(tzinfo=VN_TZ) if now.tzinfo is None else now.astimezone(VN_TZ)
        else:
            value = None
        with self._lock:
            self._fixed = value

    @property
    def simulated(self) -> bool:
        return self._fixed is not None

    def now(self) -> datetime:
        """The replica's current time, aware, in Vietnam time."""
        with self._lock:
            fixed = self._fixed
        return fixed if fixed is not None else datetime.now(VN_TZ)
