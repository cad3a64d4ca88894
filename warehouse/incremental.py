"""What an incremental build may keep from the published warehouse, and what it must rebuild.

Why: a monthly run adds one month, but a full build re-reads and rewrites every month of history,
so its cost grows with the years (issue 8: publishing one more month with 60 months of history
cost 5× what it cost with 12). Every figure belongs to one period, and every period to one calendar
year, so the large models are partitioned by year (``left(period_key, 4)``: '2026-08', '2026-Q3',
'2026', '2026-YTD-10' all start with it). A build compares the landing zone with the one the
published file was built from, year by year, and rebuilds only the years whose files changed.

What is compared:

* **Landing state**: for each dataset × year, a fingerprint of its files (relative path, size,
  modification time), like ``make`` or ``rsync``: a new batch, a refreshed capture, a relanded or
  deleted file all change it. It is stored in the published file (``_build_state``).
* **Code state**: one fingerprint of everything else a figure depends on: every SQL model and
  check, the seeds (indicator catalogue, provinces, merger table), the landing contract and the
  format of this module. Any difference means a full build, so an incremental build never mixes
  rows made by two versions of a model.

A model opts in with a header line ``-- incremental: year`` (its rows for a year depend only on its
inputs' rows for that year) and, when it compares a period with the one before (a January with
the December before it), ``-- lookback: 1 year``. A check opts in the same way when each of its
offending rows belongs to one partition. Everything else is rebuilt whole when an input changed,
and compared with the copy it replaces so that only a real change spreads to the models reading it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dvc766.storage import Store
from warehouse.model_header import Header

# Bump when the way partitions or fingerprints are computed changes: the next build is then full.
STATE_FORMAT = 1
# The partition of a row of any period-keyed model: its calendar year, as text.
PARTITION_EXPR = "left(period_key, 4)"
STATE_TABLE = "_build_state"

_PERIOD_KEY_DIR_RE = re.compile(r"(?:^|/)period_key=(\d{4})")


@dataclass(frozen=True)
class Partitioning:
    """How a model or check is partitioned: by year (``incremental``) and how far back it reads."""

    incremental: bool = False
    lookback_years: int = 0

    @classmethod
    def of(cls, header: Header) -> Partitioning:
        """From a model's or check's header (``incremental: year``, ``lookback: N years``)."""
        return cls(header.incremental, header.lookback_years)

    def input_years(self, years: Iterable[str]) -> set[str]:
        """The years of input needed to rebuild ``years`` (each year and the ``lookback`` before it)."""
        return {str(int(y) - k) for y in years for k in range(self.lookback_years + 1)}

    def affected_years(self, changed: Iterable[str]) -> set[str]:
        """The output years a change of input ``changed`` years reaches (each and ``lookback`` after)."""
        return {str(int(y) + k) for y in changed for k in range(self.lookback_years + 1)}


@dataclass(frozen=True)
class LandingFile:
    path: str  # relative to the landing root: <dataset>/period_type=../period_key=../<file>.parquet
    size: int
    mtime_ns: int

    @property
    def year(self) -> str:
        m = _PERIOD_KEY_DIR_RE.search(self.path)
        if not m:
            raise ValueError(f"landing file outside a period_key=YYYY… folder: {self.path}")
        return m.group(1)


def files_digest(files: Iterable[LandingFile], *header: str) -> str:
    """One sha256 of ``header`` lines and each file's path, size and modification time: what says
    that a set of landing files is still the one something was made from (a build's year, a compact
    file's partition)."""
    text = "\n".join([*header, *(f"{f.path}\t{f.size}\t{f.mtime_ns}" for f in files)])
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class LandingState:
    """Every landing Parquet file, by dataset and year, with one fingerprint per dataset × year."""

    files: dict[str, dict[str, list[LandingFile]]] = field(default_factory=dict)
    # Set once the partitions are compacted (warehouse.landing_compaction): dataset -> year -> the
    # compact files standing for that year's batch files, which the build then reads instead.
    compact: dict[str, dict[str, list[str]]] | None = None

    @classmethod
    def scan(
        cls,
        landing: str | Path | Store,
        datasets: Iterable[str],
        dirs: Callable[[str], list[str]] | None = None,
    ) -> LandingState:
        """Every landing file of ``datasets`` (a folder, or a :class:`Store` on object storage);
        with ``dirs``, only the files below the folders it names for each dataset."""
        store = landing if isinstance(landing, Store) else Store(landing)
        state = cls()
        for dataset in datasets:
            by_year: dict[str, list[LandingFile]] = {}
            for rel in dirs(dataset) if dirs else [dataset]:
                for st in store.stat_files(rel, ".parquet"):
                    f = LandingFile(st.path, st.size, st.mtime_ns)
                    by_year.setdefault(f.year, []).append(f)
            state.files[dataset] = {y: sorted(fs, key=lambda f: f.path) for y, fs in by_year.items()}
        return state

    def fingerprints(self) -> dict[tuple[str, str], str]:
        return {
            (dataset, year): files_digest(files)
            for dataset, by_year in self.files.items()
            for year, files in by_year.items()
        }

    def years(self) -> set[str]:
        return {y for by_year in self.files.values() for y in by_year}

    def paths(self, dataset: str, years: Iterable[str] | None = None) -> list[str]:
        """Relative paths of ``dataset``'s files, of ``years`` only when given."""
        by_year = self.files.get(dataset, {})
        wanted = by_year.keys() if years is None else [y for y in years if y in by_year]
        return sorted(f.path for y in wanted for f in by_year[y])

    def count(self, dataset: str) -> int:
        return sum(len(fs) for fs in self.files.get(dataset, {}).values())


def code_fingerprint(sql_texts: Mapping[str, str], seeds_digest: str, contract: str) -> str:
    """One fingerprint of the models, checks, seeds and landing contract a build used."""
    payload = json.dumps(
        {
            "format": STATE_FORMAT,
            "sql": dict(sorted(sql_texts.items())),
            "seeds": seeds_digest,
            "contract": contract,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def seeds_digest(con: duckdb.DuckDBPyConnection, seeds: Iterable[str]) -> str:
    """A digest of the seed tables' content (the catalogue a test passes in differs from the real one)."""
    parts = []
    for name in seeds:
        row = con.execute(
            f"select md5(coalesce(string_agg(t::varchar, chr(10) order by t::varchar), '')) from \"{name}\" as t"
        ).fetchone()
        parts.append(f"{name}:{row[0] if row else ''}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class PreviousBuild:
    """What the published warehouse was built from."""

    code: str
    landing: dict[tuple[str, str], str]


def read_previous_build(warehouse_path: Path) -> PreviousBuild | None:
    """The build state stored in the published file; None when there is none to build upon."""
    if not warehouse_path.is_file():
        return None
    try:
        con = duckdb.connect(str(warehouse_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute(f"select kind, dataset, year, fingerprint from {STATE_TABLE}").fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    code = next((fp for kind, _d, _y, fp in rows if kind == "code"), None)
    if code is None:
        return None
    landing = {(d, y): fp for kind, d, y, fp in rows if kind == "landing"}
    return PreviousBuild(code, landing)


def write_state(con: duckdb.DuckDBPyConnection, code: str, landing: Mapping[tuple[str, str], str]) -> None:
    """Store what this build was made from, for the next build to compare with."""
    rows = [("code", None, None, code)] + [("landing", d, y, fp) for (d, y), fp in sorted(landing.items())]
    con.execute(
        f"create or replace table {STATE_TABLE} "
        "(kind varchar not null, dataset varchar, year varchar, fingerprint varchar not null)"
    )
    con.executemany(f"insert into {STATE_TABLE} values (?, ?, ?, ?)", rows)


def changed_years(
    previous: Mapping[tuple[str, str], str], current: Mapping[tuple[str, str], str]
) -> dict[str, set[str]]:
    """Per dataset, the years whose files were added, removed or changed since the previous build."""
    out: dict[str, set[str]] = {}
    for key in set(previous) | set(current):
        if previous.get(key) != current.get(key):
            dataset, year = key
            out.setdefault(dataset, set()).add(year)
    return out
