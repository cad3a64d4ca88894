"""The daily watch driven as a province runs it: the replica's clock moves over consecutive November
mornings of a scenario built to trip each rule (replica/scenarios/watch_week), ``dvc766 watch`` runs each
morning and sends its digest to real receivers on 127.0.0.1 (a JSON webhook, as a Telegram or Zalo relay
is reached, and an SMTP server), and the published warehouse, the digests and the month before's
month-end figures are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dvc766.cli import main
from tests.published import query, replica_env
from tests.receivers import Mailbox, Webhook, receivers

replica_server = pytest.importorskip("replica.server")

MONTH_END = (
    "select unit_code, period_key, total_score, score_tdgq, rank_in_scope, as_of, captured_at "
    "from fct_unit_score where period_key in ('2026-YTD-10', '2026-10') order by all"
)
MONTH_END_FIGURES = (
    "select unit_code, indicator_code, period_key, numerator, denominator, value, score, capture_id "
    "from fct_indicator where period_key in ('2026-YTD-10', '2026-10') order by all"
)


@pytest.fixture(scope="module")
def channels() -> Iterator[tuple[Webhook, Mailbox]]:
    with receivers() as pair:
        yield pair


@pytest.fixture(scope="module")
def replica() -> Iterator[object]:
    with replica_server.start_replica(scenario="watch_week") as handle:
        yield handle


def findings(db: Path, day: int) -> set[tuple[str, str, str]]:
    rows = query(
        db,
        "select rule_code, unit_code, period_type from rpt_watch_finding "
        f"where watch_date = '2026-11-{day:02d}' and unit_code in ('H55', 'H55.151', 'H55.155')",
    )
    return {tuple(r) for r in rows}  # type: ignore[misc]


@pytest.mark.usefixtures("prefect_harness")
def test_a_week_of_mornings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    replica: object,
    channels: tuple[Webhook, Mailbox],
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "data"
    for k, v in replica_env(data, replica.url).items():  # type: ignore[attr-defined]
        monkeypatch.setenv(k, v)
    hook, mail = channels
    monkeypatch.setenv("DVC766_NOTIFY", f"{hook.url} {mail.url}")
    # October closes: the month-end snapshot on 31/10, the month itself once published (3/11)
    replica.set_now("2026-10-31T22:30")  # type: ignore[attr-defined]
    assert main(["snapshot", "--provinces", "H55"]) == 0
    replica.set_now("2026-11-03T08:00")  # type: ignore[attr-defined]
    assert main(["run", "--month", "2026-10", "--provinces", "H55"]) == 0
    db = data / "warehouse.duckdb"
    month_end, month_end_figures = query(db, MONTH_END), query(db, MONTH_END_FIGURES)
    assert len(month_end) > 100 and len(month_end_figures) > 1000
    assert hook.messages() == [] and mail.messages() == []  # healthy runs alert no one

    reports = data / "reports"
    for n, day in enumerate((4, 5, 6, 7), start=1):
        replica.set_now(f"2026-11-{day:02d}T07:00")  # type: ignore[attr-defined]
        replica.reset_stats()  # type: ignore[attr-defined]
        capsys.readouterr()
        assert main(["watch", "--provinces", "H55"]) == 0
        out = capsys.readouterr().out
        assert replica.stats()["total"] == 9  # type: ignore[attr-defined]  # 7 views + 2 national rankings
        assert out.count(f"digest H55 2026-11-{day:02d} (new)") == 1  # one digest each morning
        assert len(list(reports.glob("digest_H55_*.md"))) == n == len(list(reports.glob("digest_H55_*.html")))
        # sent once to each channel, and nothing else (a healthy morning alerts no one)
        for channel in (hook, mail):
            assert len(channel.messages()) == n
            assert f"Tỉnh Thái Nguyên — sáng {day:02d}/11/2026" in channel.messages()[-1].title
        assert hook.messages()[-1].kind == "info" and "Lũy kế năm 2026" in hook.messages()[-1].body

    # the second morning compares with the first, with the figures the warehouse holds
    change = query(
        db,
        "select change_since_previous from rpt_daily_movement where unit_code = 'H55' "
        "and period_type = 'ytd' and measure = 'TOTAL' and watch_date = '2026-11-05'",
    )[0][0]
    second = (reports / "digest_H55_2026-11-05.md").read_text(encoding="utf-8")
    assert (
        "So với hôm qua (04/11): " + (f"{change:+.2f}".replace(".", ",") if change else "giữ nguyên")
        in second
    )
    assert "Giảm điểm trong một ngày" in second and "UBND xã Nam Phúc" in second  # H55.151's fall
    first = (reports / "digest_H55_2026-11-04.md").read_text(encoding="utf-8")
    assert "hôm qua" not in first.split("Tháng này")[1].split("\n")[0]  # the month's first morning

    # each rule fires on the morning the scenario trips it, and not on the others
    assert ("DAILY_FALL", "H55.151", "month") in findings(db, 5)
    assert ("OVERDUE_RISING", "H55.151", "month") in findings(db, 5)
    assert ("DAILY_FALL", "H55.151", "month") not in findings(db, 6)  # no new fall the next morning
    assert ("DECLINE_STREAK", "H55.155", "month") not in findings(db, 6)  # two falls are not three
    assert ("DECLINE_STREAK", "H55.155", "month") in findings(db, 7)
    assert {("DAILY_FALL", "H55.155", "month"), ("OVERDUE_RISING", "H55.155", "month")} & (
        findings(db, 5) | findings(db, 6)
    ) == set()  # its small daily slips stay under those rules' thresholds
    assert ("RANK_LOST", "H55", "ytd") in findings(db, 7)
    assert all(("RANK_LOST", "H55", "ytd") not in findings(db, d) for d in (4, 5, 6))
    groups = query(
        db,
        "select measure from rpt_watch_finding where rule_code = 'GROUP_BELOW_MAX' and unit_code = 'H55' "
        "and watch_date = '2026-11-07'",
    )
    assert ("MDSH",) in groups and ("TDGQ",) not in groups  # 49 % of 22 fires; 84 % of 20 does not
    seventh = (reports / "digest_H55_2026-11-07.md").read_text(encoding="utf-8")
    assert "Tụt hạng" in seventh and seventh.count("\n- **") <= 3  # at most three findings
    assert len([w for w in seventh.split() if any(c.isalnum() for c in w)]) < 500  # a 1-2 minute read

    # the dashboard's trend goes on with the running month's mornings
    assert main(["dashboard", "--province", "H55", "--out", str(tmp_path / "d.html")]) == 0
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "từng ngày của tháng đang chạy" in page and "7\\u002f11\\u002f2026" in page

    # a morning the portal answers with nothing: the digest says there is nothing new, not yesterday again
    replica.set_now("2026-11-08T07:00")  # type: ignore[attr-defined]
    replica.set_faults("all:empty-month")  # type: ignore[attr-defined]
    assert main(["watch", "--provinces", "H55"]) == 0
    replica.set_faults("")  # type: ignore[attr-defined]
    eighth = (reports / "digest_H55_2026-11-08.md").read_text(encoding="utf-8")
    assert "Sáng nay chưa có số liệu mới" in eighth and "07/11/2026" in eighth and "Lũy kế" not in eighth
    told = hook.messages()[-1]
    assert len(hook.messages()) == 5 and "chưa có số liệu mới" in told.title + told.body
    sent = mail.messages()[-1]
    assert "chưa có số liệu mới" in sent.title and "Lũy kế năm" not in sent.body

    # October's month-end and month figures are exactly as before the mornings
    assert query(db, MONTH_END) == month_end
    assert query(db, MONTH_END_FIGURES) == month_end_figures

    # November ends: the monthly run asks for it again rather than take a morning's partial figures
    replica.set_now("2026-12-03T08:00")  # type: ignore[attr-defined]
    replica.reset_stats()  # type: ignore[attr-defined]
    assert main(["run", "--month", "2026-11", "--provinces", "H55"]) == 0
    assert replica.stats()["total"] == 8  # type: ignore[attr-defined]
    assert len(hook.messages()) == 5  # a healthy monthly run tells no one
    final = query(
        db,
        "select as_of, cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date) from fct_unit_score "
        "where unit_code = 'H55' and period_key = '2026-11'",
    )
    assert [(a, str(d)) for a, d in final] == [(None, "2026-12-03")]
    assert query(
        db,
        "select count(distinct watch_date) from fct_daily_unit_score where period_key = '2026-11' "
        "and unit_code = 'H55'",
    ) == [(4,)]


@pytest.mark.parametrize(
    ("env", "argv", "words"),
    [
        (
            {"DVC766_WATCH_RULES": "{rules}"},
            ["watch", "--provinces", "H55"],
            "(DAILY_FALL) threshold: 'half' is not a number",
        ),
        ({"DVC766_WATCH_RULES": "{missing}"}, ["watch", "--provinces", "H55"], "cannot read it"),
        ({}, ["watch", "--provinces", "H99"], "H99"),
        ({"DVC766_WATCH_PROVINCES": "H55;H44"}, ["watch"], "DVC766_WATCH_PROVINCES"),
    ],
)
def test_bad_watch_input_is_one_line_and_nothing_is_asked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    argv: list[str],
    words: str,
) -> None:
    rules = tmp_path / "rules.csv"
    rules.write_text(
        "rule_code,priority,threshold,threshold_unit,days,min_count,label_vi,what\n"
        "DAILY_FALL,2,half,points,,,Giảm điểm,x\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    monkeypatch.setenv("DVC766_PORTAL_URL", "http://127.0.0.1:9")  # nothing listens: nothing may be asked
    for k, v in env.items():
        monkeypatch.setenv(k, v.format(rules=rules, missing=tmp_path / "none.csv"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err
    assert not data.exists()
