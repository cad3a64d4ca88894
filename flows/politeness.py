"""Who holds the portal's politeness: the spacing of request starts and the circuit breaker.

Politeness belongs to the portal, not to a process. One run on one machine keeps both in memory
(:class:`LocalGate`, shared by the run's threads). Several Prefect workers serving one backfill must
share them, or two workers would each pace on their own and together ask twice as fast, and a block
seen by one would not stop the other. :class:`PrefectGate` keeps both on the Prefect server the
workers already talk to:

* **pacing** is a global concurrency limit in rate-limit mode (``dvc766-portal``: one slot, decaying
  at ``1 / pacing_s`` per second): every request start, from any process, takes a slot, so starts are
  spaced by ``pacing_s`` across all workers (Prefect's ``rate_limit``; the jitter is a random pause
  before asking, so it never shortens a gap);
* **the circuit breaker** is a Prefect Variable per run (``dvc766_circuit_<run>``): every worker adds
  its blocks to one count, and once it reaches ``max_blocks`` the Variable says the circuit is open;
  every worker reads it before each request and stops.

``DVC766_POLITENESS=prefect`` selects it, or a backfill's ``politeness="prefect"`` parameter (the
``backfill-chunk`` deployment passes it); the CLI's default is local.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from typing import Protocol

from dvc766.settings import Settings

PORTAL_LIMIT = "dvc766-portal"


class Gate(Protocol):
    """What the HTTP layer asks of whoever holds the politeness."""

    def pace(self) -> float:
        """Wait until this request may start; returns the seconds waited."""
        ...

    def open_message(self) -> str | None:
        """Why the circuit is open (stop sending), or None."""
        ...

    def add_block(self, reason: str) -> tuple[int, str | None]:
        """Count one block; returns the blocks counted so far and, once open, why."""
        ...


def breaker_message(blocks: int, reason: str) -> str:
    return (
        f"portal blocked us {blocks} times; stopping the run; wait and retry later "
        f"— never rotate identity (last block: {reason})"
    )


class LocalGate:
    """Pacing and breaker of one process: request starts serialised by a lock, spaced by
    ``pacing_s ± jitter_s``, and a block count kept in memory."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._sleep, self._clock, self._rng = sleep, clock, rng or random.Random()
        self._pace_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._last_start: float | None = None
        self._blocks = 0
        self._open: str | None = None

    def pace(self) -> float:
        s = self.settings
        waited = 0.0
        with self._pace_lock:  # held while waiting, so starts serialise
            if self._last_start is not None:
                gap = max(0.0, s.pacing_s + self._rng.uniform(-s.jitter_s, s.jitter_s))
                waited = max(0.0, self._last_start + gap - self._clock())
                if waited:
                    self._sleep(waited)
            self._last_start = self._clock()
        return waited

    def open_message(self) -> str | None:
        return self._open

    def add_block(self, reason: str) -> tuple[int, str | None]:
        with self._state_lock:
            self._blocks += 1
            if self._blocks >= self.settings.max_blocks and self._open is None:
                self._open = breaker_message(self._blocks, reason)
            return self._blocks, self._open


def circuit_variable(run_key: str) -> str:
    """The Variable holding one run's breaker (Prefect names: lower case, digits, _ and -)."""
    return "dvc766_circuit_" + re.sub(r"[^a-z0-9_-]+", "_", run_key.lower())[:200]


def ensure_portal_limit(settings: Settings) -> None:
    """Create or update the global rate limit every worker paces against (idempotent)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    # a decay of 1/pacing slots per second: one start per pacing_s; pacing 0 means no spacing at all
    decay = 1.0 / settings.pacing_s if settings.pacing_s > 0 else 1000.0
    with get_client(sync_client=True) as client:
        try:
            current = client.read_global_concurrency_limit_by_name(PORTAL_LIMIT)
        except ObjectNotFound:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(
                    name=PORTAL_LIMIT, limit=1, slot_decay_per_second=decay, active=True
                )
            )
            return
        if (
            current.limit != 1
            or abs((current.slot_decay_per_second or 0) - decay) > 1e-9
            or not current.active
        ):
            client.update_global_concurrency_limit(
                PORTAL_LIMIT, GlobalConcurrencyLimitUpdate(limit=1, slot_decay_per_second=decay, active=True)
            )


class PrefectGate:
    """Pacing and breaker held by the Prefect server, shared by every worker of one run."""

    def __init__(
        self,
        settings: Settings,
        run_key: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.variable = circuit_variable(run_key)
        self._sleep, self._rng = sleep, rng or random.Random()
        self._lock = threading.Lock()
        ensure_portal_limit(settings)

    def pace(self) -> float:
        from prefect.concurrency.sync import rate_limit

        started = time.monotonic()
        jitter = self._rng.uniform(0, self.settings.jitter_s) if self.settings.jitter_s else 0.0
        if jitter:
            self._sleep(jitter)
        rate_limit(PORTAL_LIMIT, occupy=1, strict=True)
        return time.monotonic() - started

    def _state(self) -> dict:
        from prefect.variables import Variable

        value = Variable.get(self.variable, default=None)
        return value if isinstance(value, dict) else {"blocks": 0, "open": None}

    def open_message(self) -> str | None:
        return self._state().get("open")

    def add_block(self, reason: str) -> tuple[int, str | None]:
        """Read, add one, write: two workers blocked in the same instant may count one block once,
        which opens the circuit one block later at worst; a block is never lost once written."""
        from prefect.variables import Variable

        with self._lock:
            state = self._state()
            blocks = int(state.get("blocks", 0)) + 1
            opened = state.get("open")
            if blocks >= self.settings.max_blocks and not opened:
                opened = breaker_message(blocks, reason)
            Variable.set(self.variable, {"blocks": blocks, "open": opened}, overwrite=True)
            return blocks, opened


def make_gate(settings: Settings, run_key: str, **kwargs: object) -> Gate:
    """The gate ``settings.politeness`` asks for; ``run_key`` names the run the breaker belongs to."""
    if settings.politeness == "prefect":
        return PrefectGate(settings, run_key)
    return LocalGate(settings, **kwargs)  # type: ignore[arg-type]
