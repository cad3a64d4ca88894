"""The daily watch's models on hand-written mornings: the days kept, the movement, each rule at its
threshold (firing at it, quiet just short of it), the month-end rule, and the digest they make."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dvc766.periods import Period
from tests.landing_factory import Landing
from warehouse.runner import build_models
from warehouse.watch_digest import NEW, NO_CAPTURE, UNCHANGED, load_digest
from warehouse.watch_digest_render import to_html, to_markdown

NOV, YTD = Period.month(2026, 11), Period("ytd", 2026, 11)
GROUPS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")
# the province's year to date: CKMB at exactly 80 % of 18 (quiet), TDGQ at 79.9 % of 20 (fires)
YTD_GROUPS = {"CKMB": 14.4, "TDGQ": 15.98, "CLGQ": 11.0, "TTTT": 9.0, "MDHL": 16.0, "MDSH": 20.0}
# a unit's total by morning: H55.101 falls 0.50 (fires), then 0.05 twice (three falls in a row);
# H55.102 falls 0.49 (quiet), then 0.04 (breaks the run), then 0.07; H55.103 stays; H55.104 rises
UNITS = {
    "H55.101": (70.0, 69.5, 69.45, 69.4),
    "H55.102": (70.0, 69.51, 69.47, 69.4),
    "H55.103": (60.0, 60.0, 60.0, 60.0),
    "H55.104": (50.0, 51.0, 52.0, 53.0),
}
# overdue dossiers / received: H55.101 +4.55 points of share and +6 dossiers (fires); H55.102 +3.86
# and +4 dossiers (quiet: fewer than 5); H55.103 +5 dossiers but the same share (quiet)
OVERDUE = {
    "H55.101": ((10, 100), (16, 110), (17, 120), (18, 130)),
    "H55.102": ((10, 100), (14, 101), (15, 110), (16, 120)),
    "H55.103": ((10, 100), (15, 150), (16, 160), (17, 170)),
}
MONTH_RANKS = (10, 10, 11, 11)  # the province loses one place in the month's ranking on the 6th
DAYS = (4, 5, 6, 7)


def morning(land: Landing, day: int, i: int | None, *, total: float = 65.0, overdue: int = 300) -> None:
    """One watch: the national rankings (month, year to date) and the province's views of the month."""
    at = f"2026-11-{day:02d}T00:00"  # 07:00 in Vietnam
    nat_m, nat_y = land.provenance(NOV, at), land.provenance(YTD, at)
    prov = land.provenance(NOV, at, scope="H55")
    tree = land.provenance(NOV, at, scope="H55", endpoint="evaluation/dvc-progress-tree")
    rank = MONTH_RANKS[i] if i is not None else 11
    scores = [
        land.score("H55", "TOTAL", total, nat_m, max_score=100, rank=rank, rank_size=34),
        land.score("H44", "TOTAL", 66.0, nat_m, max_score=100, rank=9, rank_size=34),
        land.score("H55", "TOTAL", 66.0, nat_y, max_score=100, rank=5, rank_size=34),
    ]
    scores += [land.score("H55", g, s, nat_y) for g, s in YTD_GROUPS.items()]
    values = [land.value("H55", "PROGRESS_OVERDUE", "TDGQ", tree, numerator=overdue, denominator=1000)]
    seen = [land.unit_seen("H55", "UBND tỉnh Thái Nguyên", "p55", nat_m)]
    if i is not None:
        for n, (code, totals) in enumerate(UNITS.items(), start=1):
            scores.append(land.score(code, "TOTAL", totals[i], prov, rank=n, rank_size=4))
            scores.append(land.score(code, "TDGQ", totals[i] - 50, prov))
            name = "UBND xã <b>Ba</b> & *Bốn*" if code == "H55.103" else f"UBND xã {code[-3:]}"
            seen.append(land.unit_seen(code, name, f"id{code}", prov))
        for code, counts in OVERDUE.items():
            num, den = counts[i]
            values.append(land.value(code, "PROGRESS_OVERDUE", "TDGQ", tree, numerator=num, denominator=den))
    land.write("unit_scores", scores)
    land.write("indicator_values", values)
    land.write("units_seen", seen)


def month_ends(land: Landing) -> None:
    """October's month end: a watch at 07:00 and the snapshot at 22:30 of 31/10, a late capture on
    1/11, and October's own figures captured on 3/11."""
    ytd10 = Period("ytd", 2026, 10)
    for at, total in (("2026-10-31T00:00", 65.0), ("2026-10-31T15:30", 65.5), ("2026-11-01T02:00", 70.0)):
        land.write(
            "unit_scores",
            [
                land.score(
                    "H55", "TOTAL", total, land.provenance(ytd10, at), max_score=100, rank=6, rank_size=34
                )
            ],
        )
    oct_ = land.provenance(Period.month(2026, 10), "2026-11-03T01:00")
    land.write("unit_scores", [land.score("H55", "TOTAL", 64.0, oct_, max_score=100, rank=12, rank_size=34)])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("watch")
    land = Landing(data)
    month_ends(land)
    for i, day in enumerate(DAYS):
        morning(land, day, i)
    morning(land, 12, None, overdue=301)  # a week on: the province's rows only
    morning(land, 13, None, overdue=301)  # the portal did not refresh: every figure as on the 12th
    path = data / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    build_models(con, data / "landing")
    con.close()
    return path


def q(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fired(path: Path, rule: str) -> set[tuple[str, int]]:
    return {
        (u, d.day)
        for u, d in q(path, "select unit_code, watch_date from rpt_watch_finding where rule_code = ?", [rule])
    }


def test_the_days_are_kept_and_never_stand_for_a_month(warehouse: Path) -> None:
    days = q(
        warehouse,
        "select watch_date, total_score, rank_in_scope from fct_daily_unit_score "
        "where unit_code = 'H55' and period_type = 'month' order by watch_date",
    )
    assert [(d.day, t, r) for d, t, r in days] == [
        (4, 65.0, 10), (5, 65.0, 10), (6, 65.0, 11), (7, 65.0, 11), (12, 65.0, 11), (13, 65.0, 11)
    ]  # fmt: skip
    assert q(warehouse, "select count(*) from fct_daily_indicator where unit_code = 'H55.101'") == [(4,)]
    # the running month and the early year to date are nowhere in the facts the appendix reads
    for table in ("fct_unit_score", "fct_indicator", "dim_period"):
        assert q(
            warehouse, f"select count(*) from {table} where period_key in ('2026-11', '2026-YTD-11')"
        ) == [(0,)], table
    # October's month end: the 22:30 snapshot, not the 07:00 watch nor the late capture of 1/11
    assert q(warehouse, "select total_score, as_of from fct_unit_score where period_key = '2026-YTD-10'") == [
        (65.5, "on_time")
    ]
    assert q(
        warehouse,
        "select watch_date, total_score from fct_daily_unit_score where period_key = '2026-YTD-10'",
    ) == [
        (date(2026, 10, 31), 65.5)
    ]  # that day's figure, the later of its captures; the late one is not a day


def test_movement_since_yesterday_a_week_and_the_month_end(warehouse: Path) -> None:
    cols = (
        "previous_watch_date, change_since_previous, places_since_previous, week_ago_date, "
        "month_end_period_key, change_since_month_end, places_since_month_end"
    )
    month = q(
        warehouse,
        f"select watch_date, {cols} from rpt_daily_movement where unit_code = 'H55' and period_type = 'month' "
        "and measure = 'TOTAL' order by watch_date",
    )
    by_day = {d.day: rest for d, *rest in month}
    assert by_day[6] == [date(2026, 11, 5), 0.0, -1, None, "2026-10", 1.0, 1]
    assert by_day[12][3] == date(2026, 11, 5)  # the latest watch at least 7 days before
    ytd = q(
        warehouse,
        f"select {cols} from rpt_daily_movement where unit_code = 'H55' and period_type = 'ytd' "
        "and measure = 'TOTAL' and watch_date = '2026-11-04'",
    )
    # the year to date goes on across months: 4/11 compares with the month end of 31/10
    assert ytd == [(date(2026, 10, 31), 0.5, 1, None, "2026-YTD-10", 0.5, 1)]
    counts = q(
        warehouse,
        "select watch_date, units_up, units_down, units_flat from rpt_daily_movement "
        "where unit_code = 'H55' and period_type = 'month' and measure = 'TOTAL' order by watch_date",
    )
    assert [(d.day, u, dn, f) for d, u, dn, f in counts][:4] == [
        (4, 0, 0, 0), (5, 1, 2, 1), (6, 1, 2, 1), (7, 1, 2, 1)
    ]  # fmt: skip


def test_each_rule_fires_at_its_threshold_and_stays_quiet_short_of_it(warehouse: Path) -> None:
    assert fired(warehouse, "DAILY_FALL") == {("H55.101", 5)}  # -0.50 fires, -0.49 does not
    # three falls of 0.05 or more in a row on the 7th (two on the 6th are not enough); H55.102's run
    # is broken by a fall of 0.04
    assert fired(warehouse, "DECLINE_STREAK") == {("H55.101", 7)}
    assert fired(warehouse, "OVERDUE_RISING") == {("H55.101", 5)}  # +6 dossiers; +4 is too few
    assert fired(warehouse, "RANK_LOST") == {("H55", 6)}
    below = q(
        warehouse,
        "select distinct measure from rpt_watch_finding where rule_code = 'GROUP_BELOW_MAX'",
    )
    assert below == [("TDGQ",)]  # 79.9 % of the maximum fires, exactly 80 % does not
    evidence = q(
        warehouse,
        "select compared_with, value_before, value_now, change, count_before, count_now, count_total "
        "from rpt_watch_finding where rule_code = 'OVERDUE_RISING'",
    )
    assert evidence == [(date(2026, 11, 4), 10.0, 14.55, 4.55, 10, 16, 110)]
    streak = q(
        warehouse,
        "select compared_with, value_before, value_now, change, streak_days, worst_group "
        "from rpt_watch_finding where rule_code = 'DECLINE_STREAK'",
    )
    assert streak == [(date(2026, 11, 4), 70.0, 69.4, -0.6, 3, "TDGQ")]


def test_a_provinces_own_thresholds_replace_the_seeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.csv"
    rules.write_text(
        "rule_code,priority,threshold,threshold_unit,days,min_count,label_vi,what\n"
        "DAILY_FALL,2,0.4,points,,,Giảm điểm trong một ngày,a fall of 0.4\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DVC766_WATCH_RULES", str(rules))
    land = Landing(tmp_path)
    for i, day in enumerate(DAYS[:2]):
        morning(land, day, i)
    con = duckdb.connect()
    build_models(con, tmp_path / "landing")
    got = con.execute("select unit_code from rpt_watch_finding where rule_code = 'DAILY_FALL'").fetchall()
    assert sorted(got) == [("H55.101",), ("H55.102",)]  # -0.49 now fires too
    assert con.execute(
        "select threshold from dim_watch_rule where rule_code = 'DECLINE_STREAK'"
    ).fetchall() == [(0.05,)]  # the rules the file leaves out keep the seed's thresholds


def test_the_digest_of_a_morning_with_news(warehouse: Path) -> None:
    digest = load_digest(warehouse, "H55", date(2026, 11, 5))
    assert digest.status == NEW
    ytd, month = digest.standings
    assert (ytd.period_type, ytd.score, ytd.rank, ytd.out_of, ytd.previous_date) == (
        "ytd", 66.0, 5, 34, date(2026, 11, 4)
    )  # fmt: skip
    assert (month.rank, month.change_month_end) == (10, 1.0)
    assert [g.code for g in digest.groups] == list(GROUPS)
    assert [(f.rule_code, f.unit_code) for f in digest.findings] == [
        ("DAILY_FALL", "H55.101"),
        ("OVERDUE_RISING", "H55.101"),
        ("GROUP_BELOW_MAX", "H55"),
    ]
    assert [u.unit_code for u in digest.units] == ["H55.102"]  # the other unit that fell, not H55.101 again
    assert (digest.units_up, digest.units_down, digest.units_flat) == (1, 2, 1)
    # no points at stake for these units (or no such model in this build): no section, nothing invented
    assert not digest.levers
    text = to_markdown(digest)
    assert "Lũy kế năm 2026: 66,00 điểm, hạng 5/34" in text
    assert "UBND xã 101 (tháng 11): 70,00 → 69,50 điểm (-0,50). Giảm nhiều nhất: Tiến độ giải quyết" in text
    assert "10,00% → 14,55%" in text and "16 hồ sơ quá hạn (thêm 6)" in text
    assert "Tiến độ giải quyết: 15,98/20 điểm (79,9% điểm tối đa" in text
    assert "Dư địa" not in text and "## Gợi ý" in text
    words = [w for w in text.split() if any(c.isalnum() for c in w)]  # not the table's rules
    assert len(words) < 500  # a one-to-two-minute read (about 250 words a minute)


def test_portal_names_are_data_in_both_renderings(warehouse: Path) -> None:
    digest = load_digest(warehouse, "H55", date(2026, 11, 7))
    digest.units[0].unit_name = "UBND xã <b>Ba</b> & *Bốn*"
    page = to_html(digest)
    assert "<b>Ba</b>" not in page and "&lt;b&gt;Ba&lt;/b&gt; &amp; *Bốn*" in page
    assert r"\<b\>Ba\<\/b\>" not in to_markdown(digest) and r"\*Bốn\*" in to_markdown(digest)


def test_a_morning_without_new_figures_says_so(warehouse: Path) -> None:
    same = load_digest(warehouse, "H55", date(2026, 11, 13))
    assert (same.status, same.latest_date) == (UNCHANGED, date(2026, 11, 12))
    text = to_markdown(same)
    assert "Sáng nay chưa có số liệu mới" in text and "giống hệt lần theo dõi ngày 12/11/2026" in text
    assert "Lũy kế năm" not in text and "Điểm cần chú ý" not in text  # yesterday is not repeated
    none = load_digest(warehouse, "H55", date(2026, 11, 14))
    assert (none.status, none.latest_date) == (NO_CAPTURE, date(2026, 11, 13))
    assert "chưa lấy được số liệu" in to_markdown(none) and "13/11/2026" in to_markdown(none)


def test_the_levers_come_from_points_at_stake_at_the_latest_month_end(
    warehouse: Path, tmp_path: Path
) -> None:
    """Stakes (issue 31's rpt_points_at_stake) of the latest period the province has fill the levers,
    with what to change, and the stake of a finding's unit and group."""
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute(
        "create or replace table rpt_points_at_stake as select * from (values "
        "('H55.101', 'H55', 'ytd', '2026-YTD-10', 'TDGQ', 'PROGRESS_ON_TIME', 0.35, 120, 'hồ sơ quá hạn'), "
        "('H55.102', 'H55', 'ytd', '2026-YTD-10', 'TTTT', 'PAYMENT_ONLINE_DOSSIER', 0.12, 40, "
        "'hồ sơ chưa thanh toán trực tuyến'), "
        "('H55.103', 'H55', 'ytd', '2026-YTD-10', 'TTTT', 'PAYMENT_ONLINE_DOSSIER', 0.004, 1, 'x'), "
        "('H55.102', 'H55', 'month', '2026-10', 'TTTT', 'PAYMENT_ONLINE_DOSSIER', 9.0, 1, 'x')) "
        "t(unit_code, province_code, period_type, period_key, group_code, indicator_code, points_at_stake, "
        "counts_to_change, change_label_vi)"
    )
    con.close()
    digest = load_digest(copy, "H55", date(2026, 11, 5))
    assert [(lv.unit_name, lv.points_at_stake) for lv in digest.levers or []] == [
        ("UBND xã 101", 0.35),
        ("UBND xã 102", 0.12),
    ]  # the month end's year to date (not October's own month), under 0,01 left out
    assert digest.findings[1].points_at_stake == 0.35  # overdue dossiers of H55.101: its TDGQ stake
    text = to_markdown(digest)
    assert "Dư địa điểm lớn nhất" in text and "UBND xã 101: 120 hồ sơ quá hạn → +0,35 điểm" in text


def test_the_plain_text_digest_says_the_same_without_markup(warehouse: Path) -> None:
    from warehouse.watch_digest_render import to_text

    digest = load_digest(warehouse, "H55", date(2026, 11, 5))
    text = to_text(digest)
    assert "**" not in text and "|" not in text and "#" not in text
    assert "• Tiến độ giải quyết: 15,98/20 (79,9%)" in text
    assert "UBND xã 101 (tháng 11): 70,00 → 69,50 điểm (-0,50)" in text


def test_a_digest_never_writes_over_a_file_dvc766_did_not_write(warehouse: Path, tmp_path: Path) -> None:
    from dvc766.settings import Settings
    from flows.watch import write_digests

    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir()
    (settings.data_dir / "warehouse.duckdb").write_bytes(warehouse.read_bytes())
    first = write_digests(settings, ["H55"], date(2026, 11, 5))
    assert first[0].status == NEW  # written, and a second morning's run may write over its own file
    assert write_digests(settings, ["H55"], date(2026, 11, 5))[0].status == NEW
    mine = settings.reports_dir / "digest_H55_2026-11-06.md"
    mine.write_text("notes of the office, not a digest\n", encoding="utf-8")
    refused = write_digests(settings, ["H55"], date(2026, 11, 6))[0]
    assert refused.status.startswith("not written:") and "not an md report dvc766 wrote" in refused.status
    assert mine.read_text(encoding="utf-8") == "notes of the office, not a digest\n"
