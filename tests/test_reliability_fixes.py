"""Issue 7 follow-ups: partial landings finished on re-run, same-second refetches, quarantine at
landing recorded in raw/, unwritable data folders, a quiet replica, and hostile portal bodies.

Each test drives the pipeline as a user does (the flows in-process, or ``dvc766`` through
``dvc766.cli.main``) against the replica on 127.0.0.1, and checks what is left on disk.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from benchmarks.reliability_common import CLOCK_START, V1_PERIOD, fast_env, fast_settings
from dvc766.cli import main
from dvc766.periods import Period
from dvc766.settings import Settings
from dvc766.storage import Store
from flows.commands import doctor
from flows.landing import reland, write_batch
from flows.raw_store import RawStore, RawStoreError
from replica.server import start_replica
from tests.test_normalise_v1 import h44_capture

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "replica" / "scenarios" / "real_bodies"
AUGUST = Period.month(2026, 8)  # the month of the real H44 bodies
# starts with a quote, so it is also the name dim_unit picks (the first of a unit's names)
SQL_NAME = "'); DROP TABLE fct_indicator; -- Sở \"Tư pháp\" O'Brien"


@pytest.fixture(scope="module")
def replica() -> Iterator[Any]:
    with start_replica(now=CLOCK_START) as handle:
        yield handle


def _landing_bytes(data: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data)): p.read_bytes() for p in sorted((data / "landing").rglob("*.parquet"))}


def _use_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, url: str) -> None:
    for k, v in fast_env(data_dir, url).items():
        monkeypatch.setenv(k, v)


# --- 1. a batch cut off between its landing files is finished by the re-run -------------------------


def test_batch_cut_off_between_landing_files_is_finished_by_the_rerun(
    tmp_path: Path, replica: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.monthly import execute

    replica.set_faults("")
    settings = fast_settings(tmp_path / "data", replica.url)
    real = Store.write_bytes
    landing_writes = {"n": 0}

    def disk_full_after_first_landing_file(
        self: Store, rel: str, data: bytes, *, overwrite: bool = True
    ) -> str:
        if rel.startswith("landing/") and "__monthly" in rel and "national" not in rel:
            landing_writes["n"] += 1
            if landing_writes["n"] > 1:
                raise OSError(28, "No space left on device", rel)
        return real(self, rel, data, overwrite=overwrite)

    monkeypatch.setattr(Store, "write_bytes", disk_full_after_first_landing_file)
    first = execute("monthly", settings, [V1_PERIOD], ["H55"], build=False, use_prefect=False)
    assert not first.ok and landing_writes["n"] == 2
    monkeypatch.setattr(Store, "write_bytes", real)
    assert len(list((settings.data_dir / "landing").rglob("H55__*.parquet"))) == 1

    again = execute("monthly", settings, [V1_PERIOD], ["H55"], build=False, use_prefect=False)
    assert again.ok
    [h55] = [b for b in again.batches if b.scope == "H55"]
    assert h55.status == "relanded"  # before the fix: "skipped", the two missing files for good
    files = list((settings.data_dir / "landing").rglob("H55__*.parquet"))
    assert len(files) == 4 and {f.name.split("__")[1] for f in files} == {f"{h55.batch_id}.parquet"}
    problems, _notes = doctor(settings)
    assert problems == []
    before = _landing_bytes(settings.data_dir)
    reland(settings)
    assert _landing_bytes(settings.data_dir) == before


# --- 2. the same body captured again in the same second, under a new batch ----------------------------


def test_same_body_same_second_under_a_new_batch_gets_its_own_record(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    raw = RawStore(settings)
    first = h44_capture("evaluation/dvc-progress-tree", extra={"batch_id": "run1-H44-2026-08"})
    again = dataclasses.replace(first, run_id="run2", extra={"batch_id": "run2-H44-2026-08"})
    assert first.capture_id == again.capture_id
    rel = raw.put(first)
    assert raw.put(again) == rel  # before the fix: RawStoreError "other metadata"
    assert raw.put(again) == rel  # and again: a no-op
    records = raw.manifest()
    assert [r["extra"]["batch_id"] for r in records] == ["run1-H44-2026-08", "run2-H44-2026-08"]
    assert len(list((settings.data_dir / "raw").rglob("*.json.gz"))) == 1  # one body, two records
    # append-only still: the same batch with another outcome is refused
    with pytest.raises(RawStoreError, match="other metadata"):
        raw.put(first, "rejected:schema_change")
    # both batches land, and reland rebuilds them byte for byte
    write_batch(settings, [first], "run1-H44-2026-08")
    write_batch(settings, [again], "run2-H44-2026-08")
    before = _landing_bytes(settings.data_dir)
    summary = reland(settings)
    assert summary.batches == 2 and _landing_bytes(settings.data_dir) == before
    assert doctor(settings)[0] == []


# --- 4. an unwritable data folder ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["build"], ["reland"], ["backfill", "--from", "2026-01", "--to", "2026-02"]]
)
def test_unwritable_data_folder_is_one_line_exit_2_before_anything_is_fetched(
    argv: list[str],
    tmp_path: Path,
    replica: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    _use_env(monkeypatch, blocker / "data", replica.url)
    replica.reset_stats()
    assert main(argv) == 2
    _out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "is not a directory" in err
    assert replica.stats()["total"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"] and blocker.read_text() == "x"


# --- 5. the replica stays quiet when a client gives up ------------------------------------------------


def test_replica_prints_nothing_when_a_client_hangs_up_during_latency(
    replica: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from replica.server import Handler

    done = threading.Event()
    original = Handler.do_POST

    def tracked(self: Handler) -> None:
        try:
            original(self)
        finally:
            done.set()

    monkeypatch.setattr(Handler, "do_POST", tracked)
    replica.set_faults("dvc-progress-tree:latency=0.3:1")
    try:
        body = json.dumps({"timeType": "month", "year": 2026, "month": 2}).encode()
        request = (
            f"POST /api/v1/reporting/evaluation/dvc-progress-tree HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        with socket.create_connection(("127.0.0.1", replica.port)) as s:
            s.sendall(request)
            s.settimeout(0.05)
            with pytest.raises(TimeoutError):
                s.recv(1)  # the client gives up before the answer comes ...
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # ... with a reset
        assert done.wait(10)
    finally:
        replica.set_faults("")
    assert "Traceback" not in capfd.readouterr().err


# --- hostile bodies through the replica (and 3. quarantine at landing recorded in raw/) ---------------


def _hostile_scenario(folder: Path) -> None:
    """The real H44 August bodies, hostile until 11:00 on the replica's clock, clean (but for a
    unit name carrying quotes and SQL) from 11:00 on."""
    doc = json.loads((REAL / "scenario.json").read_text(encoding="utf-8"))
    real = {e["endpoint"]: e for e in doc["entries"] if e["api"] == "v1" and "_H44_" in e["body_file"]}

    def kids(d: dict[str, Any]) -> list[dict[str, Any]]:
        return d["children"]

    hostile = {
        "evaluation/dvc-progress-tree": lambda d: kids(d)[1].update(departmentCode="../../x"),
        "evaluation/provide-online-tree": lambda d: d["parent"].update(onlineDossierCount=-5),
        "evaluation/formality-online-payment-tree": lambda d: d["parent"].update(totalFeeFormality=1e300),
        "evaluation/transparency": lambda d: d["overview"]["metrics"][0].update(numerator=float("nan")),
        "evaluation/dossier-digitized": lambda d: d["overview"]["metrics"][0].update(ratio=150.0),
        "evaluation/handling-satisfaction": lambda d: d["overview"].update(departmentName=SQL_NAME),
    }
    # one unit named with quotes and SQL, as every endpoint names it (at one instant the warehouse takes
    # one capture's name by its one order: the name must be the portal's, not one endpoint's)
    tree = json.loads((REAL / real["evaluation/dvc-progress-tree"]["body_file"]).read_text(encoding="utf-8"))
    renamed = kids(tree["data"])[1]["departmentId"]

    def rename(d: dict[str, Any]) -> None:
        for row in d.get("children") or d.get("evaluation") or []:
            if row.get("departmentId") == renamed:
                row["departmentName"] = SQL_NAME

    clean = dict.fromkeys(real, rename)
    entries = []
    (folder / "bodies").mkdir(parents=True)
    for window, edits in (("hostile", hostile), ("clean", clean)):
        for endpoint, entry in sorted(real.items()):
            body = json.loads((REAL / entry["body_file"]).read_text(encoding="utf-8"))
            if endpoint in edits:
                edits[endpoint](body["data"])
            name = f"bodies/{window}-{endpoint.split('/')[-1]}.json"
            # allow_nan: the NaN goes out as a bare NaN token, as a broken serializer would send it
            (folder / name).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
            limit = {"until": "2026-10-05T11:00"} if window == "hostile" else {"from": "2026-10-05T11:00"}
            entries.append({**entry, "body_file": name, **limit})
    (folder / "scenario.json").write_text(json.dumps({"entries": entries}), encoding="utf-8")


@pytest.mark.usefixtures("prefect_harness")
def test_hostile_bodies_are_rejected_naming_the_field_and_sql_names_land_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "deep" / "er" / "scenario"
    _hostile_scenario(scenario)
    assert b"NaN" in (scenario / "bodies" / "hostile-transparency.json").read_bytes()
    data = tmp_path / "deep" / "er" / "data"
    with start_replica(now="2026-10-05T10:00", scenario=scenario) as replica:
        _use_env(monkeypatch, data, replica.url)
        assert main(["run", "--month", AUGUST.key, "--provinces", "H44", "--no-build"]) == 1
        out = capsys.readouterr().out
        assert "FAILED H44 2026-08" in out
        settings = Settings.from_env()
        outcomes = {
            r["endpoint"].removeprefix("evaluation/"): (r["outcome"], r.get("reason", ""))
            for r in RawStore(settings).manifest()
            if r["scope"] == "H44"
        }
        expected = {  # endpoint -> (outcome, words the reason must hold: the field and the value)
            "dvc-progress-tree": ("rejected:quarantine", ["'../../x'", "not a unit code"]),
            "provide-online-tree": ("rejected:quarantine", ["onlineDossierCount", "-5", "negative"]),
            "formality-online-payment-tree": ("rejected:quarantine", ["totalFeeFormality", "1e+300"]),
            "transparency": ("rejected:quarantine", ["numerator", "nan", "not a finite number"]),
            "dossier-digitized": ("rejected:quarantine", ["ratio", "150", "above 100"]),
        }
        for endpoint, (outcome, words) in expected.items():
            got, reason = outcomes[endpoint]
            assert got == outcome, (endpoint, got, reason)
            assert all(w in reason for w in words), (endpoint, reason)
        # quarantined at landing time (the client's checks passed): recorded as rejected, so the
        # folder is consistent — doctor finds nothing, reland rebuilds the same files
        assert main(["doctor"]) == 0
        before = _landing_bytes(data)
        assert main(["reland"]) == 0 and _landing_bytes(data) == before
        # nothing was written outside the data folder: no file named x anywhere above it
        assert not [p for p in tmp_path.rglob("x")] and not (tmp_path.parent / "x").exists()
        assert all(p.resolve().is_relative_to(data.resolve()) for p in data.rglob("*"))

        # the portal answers cleanly again, but for a unit name carrying quotes and SQL
        replica.set_now("2026-10-05T11:30")
        capsys.readouterr()
        assert main(["run", "--month", AUGUST.key, "--provinces", "H44"]) == 0
    capsys.readouterr()
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        names = {n for (n,) in con.execute("select unit_name from dim_unit where is_current").fetchall()}
        facts = con.execute("select count(*) from fct_indicator").fetchone()[0]
    finally:
        con.close()
    assert SQL_NAME in names and facts > 0  # inert text, unchanged; the table it names is intact
