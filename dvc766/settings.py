"""All run-time settings in one place, each overridable by a ``DVC766_*`` environment variable.

Why one frozen object: flows, the warehouse runner and the replica all read the same values, and a
test can build its own ``Settings(...)`` without touching the process environment. The defaults live
on ``Settings``; ``Settings.from_env`` reads the environment through a pydantic-settings model
(``_Environment``) that types and bounds every variable, so a bad value is one line naming the
variable (``DVC766_PACING_S='fast': Input should be a valid number``) before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORTAL_URL = "https://dichvucong.gov.vn"
V1_PREFIX = "/api/v1/reporting/"
LEGACY_PATH = "/jsp/rest.jsp"


class SettingsError(ValueError):
    """A setting from the environment cannot be used."""


@dataclass(frozen=True)
class Settings:
    """Where data lives, which portal to ask, and how politely."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    # Where raw bodies and the landing zone live: a folder, or S3-compatible object storage
    # ("s3://bucket/prefix", credentials from the usual AWS_* variables). None: inside data_dir. The
    # published warehouse, reports and locks stay in data_dir, on the machine that builds.
    lake: str | None = None
    # An S3-compatible server other than AWS (MinIO, a local test server): "http://127.0.0.1:9000".
    s3_endpoint_url: str | None = None
    portal_url: str = DEFAULT_PORTAL_URL
    # Politeness: sequential requests spaced by pacing ± jitter seconds.
    pacing_s: float = 1.0
    jitter_s: float = 0.5
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    # The whole of one request (connect, answer, body) must end within this, or it counts as a transient
    # failure: a read timeout bounds each wait for more bytes, so a trickling server never trips it.
    request_deadline_s: float = 120.0
    max_retries: int = 3
    backoff_base_s: float = 2.0
    backoff_max_s: float = 60.0
    # Blocks (403/406/429/WAF page) tolerated in one run before the circuit breaker opens.
    max_blocks: int = 3
    # Who holds the pacing and the circuit breaker: "local" (this process: one run on one machine) or
    # "prefect" (the Prefect server: a global rate limit and a shared breaker, so several workers
    # together ask the portal no faster than one; flows/politeness.py).
    politeness: str = "local"
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
    # Memory DuckDB may use while building the warehouse (DuckDB's spelling: "500MB", "2GB"). Full
    # 60-month build (34 provinces, 2 cores), 2026-12-02: 700 MB -> 30.5 s, 1,520 MiB peak RSS; 500 MB ->
    # 31.0 s, 1,215 MiB; 400 MB -> 31.7 s, 1,147 MiB. The process needs ~0.7 GB above DuckDB's own limit.
    build_memory_limit: str = "500MB"
    # How long run/snapshot/backfill/drilldown/reland wait for another command writing to the same data
    # folder before refusing (dvc766/writer_lock.py); 0 refuses at once.
    writer_wait_s: float = 60.0
    # Who is told (flows/notify.py): one or more Apprise URLs (mailto://, tgram://, json://, ...),
    # separated by spaces or commas; none: nobody. notify_on: "failures" (alerts only) or "all" (a
    # short summary of every scheduled or CLI run too).
    notify: str | None = None
    notify_on: str = "failures"
    user_agent: str = "dvc766/0.1 (+monthly 766 appendix; contact: provincial analyst)"

    @property
    def lake_root(self) -> str:
        """The root raw/ and landing/ are under: ``lake`` when set, else the data folder."""
        return self.lake or str(self.data_dir)

    @property
    def lake_is_remote(self) -> bool:
        return "://" in self.lake_root

    @property
    def landing_dir(self) -> str:
        return f"{self.lake_root.rstrip('/')}/landing"

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
        """The defaults above, overridden by every ``DVC766_*`` variable set (an empty one counts as
        unset); raises ``SettingsError`` naming the first variable that cannot be used."""
        try:
            env = _Environment()
        except ValidationError as exc:
            raise SettingsError(_describe(exc)) from None
        given = {k: v for k, v in env.model_dump().items() if v is not None}
        return cls(**given)


_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
_MEMORY = r"^\d+(\.\d+)?\s*([KMGT]i?B)$"
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]


class _Environment(BaseSettings):
    """The ``DVC766_*`` variables, typed; None = not set (the ``Settings`` default applies)."""

    model_config = SettingsConfigDict(env_prefix="DVC766_", env_ignore_empty=True, extra="ignore")

    data_dir: Path | None = None
    lake: Annotated[str, Field(pattern=r"^(s3://[a-z0-9][a-z0-9.\-]{1,62}(/.*)?|[^:]+)$")] | None = None
    s3_endpoint_url: Annotated[str, Field(pattern=r"^https?://[^/]+/?$")] | None = None
    portal_url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    pacing_s: Seconds | None = None
    jitter_s: Seconds | None = None
    connect_timeout_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    read_timeout_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    request_deadline_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    max_retries: Count | None = None
    backoff_base_s: Seconds | None = None
    backoff_max_s: Seconds | None = None
    max_blocks: Annotated[int, Field(ge=1)] | None = None
    politeness: Literal["local", "prefect"] | None = None
    v1_cutover: Annotated[str, Field(pattern=_MONTH)] | None = None
    history_start: Annotated[str, Field(pattern=_MONTH)] | None = None
    backfill_concurrency: Annotated[int, Field(ge=1)] | None = None
    schema_drift: Literal["record", "freeze"] | None = None
    prefect_server: Literal["local", "ephemeral"] | None = None
    build_memory_limit: Annotated[str, Field(pattern=_MEMORY)] | None = None
    writer_wait_s: Seconds | None = None
    notify: str | None = None
    notify_on: Literal["failures", "all"] | None = None

    @field_validator("schema_drift", "prefect_server", "politeness", "notify_on", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


_SETTABLE = {f.name for f in fields(Settings)}
assert set(_Environment.model_fields) <= _SETTABLE, "every variable sets a Settings field"


def _describe(exc: ValidationError) -> str:
    """One line for the first bad variable: its name, the value given, and what it should be."""
    err = exc.errors()[0]
    name = "DVC766_" + str(err["loc"][0]).upper()
    hint = {
        "string_pattern_mismatch": "expected " + _PATTERN_HINTS.get(str(err["loc"][0]), "another form"),
        "literal_error": err["msg"].replace("Input should be", "expected"),
    }.get(err["type"], err["msg"])
    more = len(exc.errors()) - 1
    return f"{name}={err.get('input')!r}: {hint}" + (f" (and {more} more)" if more else "")


_PATTERN_HINTS = {
    "portal_url": "a URL starting with http:// or https://",
    "v1_cutover": "a month YYYY-MM",
    "history_start": "a month YYYY-MM",
    "build_memory_limit": "a size like 700MB or 2GB",
    "lake": "a folder or s3://bucket/prefix",
    "s3_endpoint_url": "a server URL like http://127.0.0.1:9000",
}
