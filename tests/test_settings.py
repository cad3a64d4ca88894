"""Every DVC766_* variable is typed: a good value reaches Settings, a bad one is one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.settings import Settings, SettingsError, _Environment

ROOT = Path(__file__).resolve().parents[1]

GOOD = {
    "DVC766_DATA_DIR": ("/srv/dvc766", Path("/srv/dvc766")),
    "DVC766_PORTAL_URL": ("http://127.0.0.1:8766", "http://127.0.0.1:8766"),
    "DVC766_PACING_S": ("0.25", 0.25),
    "DVC766_JITTER_S": ("0", 0.0),
    "DVC766_CONNECT_TIMEOUT_S": ("5", 5.0),
    "DVC766_READ_TIMEOUT_S": ("30", 30.0),
    "DVC766_REQUEST_DEADLINE_S": ("45", 45.0),
    "DVC766_MAX_RETRIES": ("0", 0),
    "DVC766_BACKOFF_BASE_S": ("1", 1.0),
    "DVC766_BACKOFF_MAX_S": ("9", 9.0),
    "DVC766_MAX_BLOCKS": ("1", 1),
    "DVC766_V1_CUTOVER": ("2026-02", "2026-02"),
    "DVC766_HISTORY_START": ("2024-01", "2024-01"),
    "DVC766_BACKFILL_CONCURRENCY": ("4", 4),
    "DVC766_SCHEMA_DRIFT": ("Freeze", "freeze"),
    "DVC766_PREFECT_SERVER": ("ephemeral", "ephemeral"),
    "DVC766_BUILD_MEMORY_LIMIT": ("2GB", "2GB"),
    "DVC766_LAKE": ("s3://dvc766-lake/prod", "s3://dvc766-lake/prod"),
    "DVC766_S3_ENDPOINT_URL": ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    "DVC766_POLITENESS": ("Prefect", "prefect"),
    "DVC766_WRITER_WAIT_S": ("0", 0.0),
    "DVC766_NOTIFY": (
        "json://127.0.0.1:9/hook mailto://127.0.0.1:25/ops@example.com",
        "json://127.0.0.1:9/hook mailto://127.0.0.1:25/ops@example.com",
    ),
    "DVC766_NOTIFY_ON": ("All", "all"),
}


def test_every_variable_reaches_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {f"DVC766_{n.upper()}" for n in _Environment.model_fields} == set(GOOD)
    for name, (raw, _) in GOOD.items():
        monkeypatch.setenv(name, raw)
    s = Settings.from_env()
    for name, (_, want) in GOOD.items():
        assert getattr(s, name.removeprefix("DVC766_").lower()) == want, name


def test_an_empty_variable_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVC766_PACING_S", "")
    assert Settings.from_env().pacing_s == Settings().pacing_s


@pytest.mark.parametrize(
    ("name", "raw", "words"),
    [
        ("DVC766_PACING_S", "fast", "valid number"),
        ("DVC766_PACING_S", "-1", "greater than or equal to 0"),
        ("DVC766_MAX_BLOCKS", "0", "greater than or equal to 1"),
        ("DVC766_SCHEMA_DRIFT", "loose", "expected 'record' or 'freeze'"),
        ("DVC766_BUILD_MEMORY_LIMIT", "lots", "a size like 700MB or 2GB"),
        ("DVC766_HISTORY_START", "2023-13", "a month YYYY-MM"),
        ("DVC766_PORTAL_URL", "dichvucong.gov.vn", "http:// or https://"),
        ("DVC766_LAKE", "gs://bucket/x", "a folder or s3://bucket/prefix"),
        ("DVC766_POLITENESS", "per-thread", "expected 'local' or 'prefect'"),
        ("DVC766_REQUEST_DEADLINE_S", "0", "greater than 0"),
        ("DVC766_WRITER_WAIT_S", "forever", "valid number"),
        ("DVC766_NOTIFY_ON", "errors", "expected 'failures' or 'all'"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    raw: str,
    words: str,
) -> None:
    monkeypatch.setenv("DVC766_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(name, raw)
    with pytest.raises(SettingsError, match=name):
        Settings.from_env()
    assert main(["build"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{name}={raw!r}" in err and words in err
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_the_readme_lists_every_variable() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in GOOD if f"`{name}`" not in readme] == []
