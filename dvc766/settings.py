"""All run-time settings in one place, each overridable by a ``DVC766_*`` environment variable.

Why one frozen object: flows, the warehouse runner and the replica all read the same values, and a
test can build its own ``Settings(...)`` without touching the process environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_PORTAL_URL = "https://dichvucong.gov.vn"
V1_PREFIX = "/api/v1/reporting/"
LEGACY_PATH = "/jsp/rest.jsp"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a number") from exc


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not an integer") from exc


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = (os.environ.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw not in choices:
        raise SettingsError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return raw


class SettingsError(ValueError):
    """A setting from the environment cannot be used."""


@dataclass(frozen=True)
class Settings:
    """Where data lives, which portal to ask, and how politely."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    portal_url: str = DEFAULT_PORTAL_URL
    # Politeness: sequential requests spaced by pacing ± jitter seconds.
    pacing_s: float = 1.0
    jitter_s: float = 0.5
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    max_retries: int = 3
    backoff_base_s: float = 2.0
    backoff_max_s: float = 60.0
    # Blocks (403/406/429/WAF page) tolerated in one run before the circuit breaker opens.
    max_blocks: int = 3
    # First month served by the v1 API; earlier months go to the legacy rest.jsp gateway.
    v1_cutover: str = "2026-01"
    # Earliest month the portal has any 766 history for (the index started in 2023).
    history_start: str = "2023-01"
    # Bounded concurrency for backfills; politeness is still enforced by one shared limiter.
    backfill_concurrency: int = 2
    # A field the portal adds: "record" lands the known fields and reports the new one (run summary,
    # warehouse table schema_drift); "freeze" rejects the body as a schema change.
    schema_drift: str = "record"
    # Where a CLI command's flow runs are recorded when PREFECT_API_URL is not set: "local" starts one
    # long-lived Prefect server on 127.0.0.1 that later commands reuse (flows/prefect_api.py);
    # "ephemeral" lets Prefect start its temporary server inside each command (20-30 s every time).
    prefect_server: str = "local"
    user_agent: str = "dvc766/0.1 (+monthly 766 appendix; contact: provincial analyst)"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def v1_base(self) -> str:
        return self.portal_url.rstrip("/") + V1_PREFIX

    @property
    def legacy_url(self) -> str:
        return self.portal_url.rstrip("/") + LEGACY_PATH

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls) -> Settings:
        d = cls()
        return cls(
            data_dir=Path(os.environ.get("DVC766_DATA_DIR") or d.data_dir),
            portal_url=os.environ.get("DVC766_PORTAL_URL") or d.portal_url,
            pacing_s=_env_float("DVC766_PACING_S", d.pacing_s),
            jitter_s=_env_float("DVC766_JITTER_S", d.jitter_s),
            connect_timeout_s=_env_float("DVC766_CONNECT_TIMEOUT_S", d.connect_timeout_s),
            read_timeout_s=_env_float("DVC766_READ_TIMEOUT_S", d.read_timeout_s),
            max_retries=_env_int("DVC766_MAX_RETRIES", d.max_retries),
            backoff_base_s=_env_float("DVC766_BACKOFF_BASE_S", d.backoff_base_s),
            backoff_max_s=_env_float("DVC766_BACKOFF_MAX_S", d.backoff_max_s),
            max_blocks=_env_int("DVC766_MAX_BLOCKS", d.max_blocks),
            v1_cutover=os.environ.get("DVC766_V1_CUTOVER") or d.v1_cutover,
            history_start=os.environ.get("DVC766_HISTORY_START") or d.history_start,
            backfill_concurrency=_env_int("DVC766_BACKFILL_CONCURRENCY", d.backfill_concurrency),
            schema_drift=_env_choice("DVC766_SCHEMA_DRIFT", d.schema_drift, ("record", "freeze")),
            prefect_server=_env_choice("DVC766_PREFECT_SERVER", d.prefect_server, ("local", "ephemeral")),
        )
