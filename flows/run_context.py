"""What every task of one run shares: settings, the one polite HTTP session, the portal clients and the
raw and landing stores (:class:`RunContext`), and how a run and its batches are named.

Built once per flow run and handed to each task in-process; :func:`make_context` is the one place
tests swap the real clients for fakes.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dvc766.landing_schema import DATASETS
from dvc766.periods import Period
from dvc766.settings import Settings
from dvc766.storage import Store
from flows.capture import Capture
from flows.errors import PortalError
from flows.gc_policy import collect_less_often
from flows.plan import LEGACY_RANKING, NATIONAL, PlanError, legacy_rows

LandFn = Callable[[Settings, list[Capture], str], dict[str, int]]


def new_run_id(flow: str) -> str:
    """Sortable and unique; safe inside batch ids and file names."""
    return f"{flow}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


class RunContext:
    """What every task of one run shares: settings, the one PoliteSession, clients and stores.

    Built once per flow run and handed to each task in-process (tasks use NO_CACHE, so it is
    never hashed or serialised). ``stop()`` records an open circuit breaker so queued batches
    make no further requests.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        flow: str = "run",
        run_id: str | None = None,
        run_key: str | None = None,
        session: Any | None = None,
        v1: Any | None = None,
        legacy: Any | None = None,
        raw: Any | None = None,
        land: LandFn | None = None,
    ) -> None:
        collect_less_often()  # the process runs the pipeline now (flows.gc_policy)
        self.settings = settings
        self.flow = flow
        self.run_id = run_id or new_run_id(flow)
        # the run the politeness belongs to: this one, or the fan-out that started it (shared breaker)
        self.run_key = run_key or self.run_id
        if session is None and (v1 is None or legacy is None):
            from flows.politeness import make_gate
            from flows.portal_http import PoliteSession

            session = PoliteSession(settings, gate=make_gate(settings, self.run_key))
        self.session = session
        if v1 is None:
            from flows.v1_client import V1Client

            v1 = V1Client(settings, session)
        if legacy is None:
            from flows.legacy_client import LegacyClient

            legacy = LegacyClient(settings, session)
        if raw is None:
            from flows.raw_store import RawStore

            raw = RawStore(settings)
        if land is None:
            from flows.landing import write_batch

            land = write_batch
        self.v1, self.legacy, self.raw, self.land = v1, legacy, raw, land
        self.stopped = ""
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}
        self._national_rows: dict[str, list[dict[str, Any]]] = {}

    def stop(self, message: str) -> None:
        with self._lock:
            self.stopped = self.stopped or message

    def http_stats(self) -> dict[str, float]:
        stats = getattr(self.session, "stats", None) or {}
        return {k: stats.get(k, 0) for k in ("requests", "retries", "blocks", "bytes")}

    def next_batch_id(self, scope: str, period: Period) -> str:
        """``<run_id>-<scope>-<period>``, with ``.aN`` from the second attempt on: never reused."""
        key = f"{scope}-{period.key}"
        with self._lock:
            n = self._attempts[key] = self._attempts.get(key, 0) + 1
        return f"{self.run_id}{'' if n == 1 else f'.a{n}'}-{key}"

    def is_landed(self, period: Period, batch_id: str) -> bool:
        """True when some landing file carries this batch id (write_batch names files by it)."""
        store = Store.lake(self.settings)
        for dataset in DATASETS:
            rel = f"landing/{dataset}/period_type={period.period_type}/period_key={period.key}"
            if store.list_files(rel, suffix=f"__{batch_id}.parquet"):
                return True
        return False

    def is_fully_landed(self, captures: list[Capture], batch_id: str) -> bool:
        """True when every landing file the batch's captures make exists: a batch cut off between
        two of its files (a kill, a full disk) is not done, whatever one file says."""
        from flows.landing import expected_files

        # A landing function may say which files it makes (test doubles do); write_batch's are
        # computed by flows.landing.expected_files.
        files_for = getattr(self.land, "expected_files", None) or expected_files
        try:
            expected = files_for(captures, batch_id)
        except PortalError:
            return False  # it does not normalise now: never call it done
        store = Store.lake(self.settings)
        return all(store.exists(rel) for rel in expected)

    def legacy_national_rows(self, period: Period) -> list[dict[str, Any]]:
        """The period's legacy national ranking rows, from the raw store (the latest ok capture)."""
        with self._lock:
            cached = self._national_rows.get(period.key)
        if cached is not None:
            return cached
        rec = self.raw.latest("legacy", LEGACY_RANKING, period.key, NATIONAL)
        if rec is None:
            raise PlanError(
                f"no legacy national ranking for {period.key}: it is needed to find the province IDs"
            )
        rows = legacy_rows(self.raw.load(rec).json())
        with self._lock:
            self._national_rows[period.key] = rows
        return rows


def make_context(settings: Settings, flow: str, run_key: str | None = None) -> RunContext:
    """The run's context with the real portal clients; the one place tests swap for fakes.
    ``run_key``: the fan-out run this one is a part of (its workers share one circuit breaker)."""
    return RunContext(settings, flow=flow, run_key=run_key)
