"""The morning digest as text a province's leaders read in one or two minutes: Markdown and HTML.

Why one small block model rendered twice: the Markdown goes to chat channels (Telegram, Zalo through a
webhook) and the HTML to email and beside the dashboard; both must say exactly the same, so the
sentences are written once (:func:`blocks`) and only the markup differs. Names the portal gives are
data: escaped in both forms, never markup. The tone is the one provinces use with their leaders:
figures first, changes with their sign, and suggestions ("có thể …"), not orders.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dvc766.periods import Period
from warehouse.appendix_model import province_label
from warehouse.numbers_vi import format_change, format_number
from warehouse.watch_digest import GROUP_LABELS, NO_CAPTURE, Digest, Finding, Lever, Standing

Run = tuple[str, bool]  # (text, bold)


@dataclass
class Block:
    kind: str  # "h1" | "h2" | "p" | "ul" | "table" | "note"
    runs: list[Run] | None = None
    items: list[list[Run]] | None = None
    header: list[str] | None = None
    rows: list[list[str]] | None = None


def _d(day: date | None) -> str:
    return f"{day.day:02d}/{day.month:02d}" if day else ""


def _dy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _pts(value: float | None) -> str:
    return format_number(value, 2)


def _chg(value: float | None) -> str:
    text = format_change(value, 2)
    return text.lower() if text[:1] not in "+-" else text


def _places(places: int | None) -> str:
    if places is None:
        return ""
    if places > 0:
        return f"tăng {places} bậc"
    if places < 0:
        return f"giảm {-places} bậc"
    return "giữ hạng"


def _since(previous: date | None, day: date) -> str:
    if previous is None:
        return ""
    return f"hôm qua ({_d(previous)})" if previous == day - timedelta(days=1) else f"ngày {_d(previous)}"


def _period_label(period_type: str, period_key: str) -> str:
    p = Period.from_key(period_key)
    return "lũy kế năm" if period_type == "ytd" else f"tháng {p.number}"


def _month_end_label(s: Standing) -> str:
    if not s.month_end_key:
        return ""
    p = Period.from_key(s.month_end_key)
    return f"cuối tháng {p.number}" if s.period_type == "ytd" else f"tháng {p.number}"


def _standing(s: Standing, day: date) -> list[Run]:
    title = "Lũy kế năm" if s.period_type == "ytd" else "Tháng này"
    p = Period.from_key(s.period_key)
    title += f" {p.year}" if s.period_type == "ytd" else f" ({p.number}/{p.year}, từ đầu tháng)"
    head = f"{title}: {_pts(s.score)} điểm"
    if s.rank is not None:
        head += f", hạng {s.rank}/{s.out_of}"
    runs: list[Run] = [(head + ".", True)]
    parts = []
    # a watch taken on the month end itself is said once, as the month end
    said = (
        Period.from_key(s.month_end_key).end if s.month_end_key and s.change_month_end is not None else None
    )
    if s.previous_date is not None and not (s.period_type == "ytd" and s.previous_date == said):
        move = _chg(s.change_day) + " điểm"
        if _places(s.places_day):
            move += ", " + _places(s.places_day)
        parts.append(f"so với {_since(s.previous_date, day)}: {move}")
    if s.change_month_end is not None:
        move = _chg(s.change_month_end) + " điểm"
        if _places(s.places_month_end):
            move += ", " + _places(s.places_month_end)
        parts.append(f"so với {_month_end_label(s)}: {move}")
    if (
        s.change_week is not None
        and s.week_date is not None
        and not (s.period_type == "ytd" and s.week_date == said)
    ):
        parts.append(f"so với 7 ngày trước ({_d(s.week_date)}): {_chg(s.change_week)} điểm")
    if parts:
        text = "; ".join(parts)
        runs.append((" " + text[0].upper() + text[1:] + ".", False))
    return runs


def _group(code: str | None) -> str:
    return GROUP_LABELS.get(code or "", code or "")


def _unit(f: Finding) -> str:
    if f.is_province:
        name = province_label(f.unit_name)
        return name[:1].upper() + name[1:]
    return f.unit_name


def _finding(f: Finding, digest: Digest) -> list[Run]:
    when = _since(f.compared_with, digest.watch_date)
    span = _period_label(f.period_type, f.period_key)
    if f.rule_code == "RANK_LOST":
        body = (
            f"{_unit(f)}: hạng {format_number(f.value_before)} → {format_number(f.value_now)}/"
            f"{format_number(f.out_of)} ({span}), giảm {format_number(f.change)} bậc so với {when}."
        )
    elif f.rule_code in ("DAILY_FALL", "DECLINE_STREAK"):
        if f.rule_code == "DECLINE_STREAK":
            lead, since = f"giảm {f.streak_days} lần theo dõi liên tiếp từ ngày {_d(f.compared_with)}, ", ""
        else:  # "in a day" is the rule's title; say the day only when the watch before was not yesterday
            lead, since = "", "" if when.startswith("hôm qua") else f" so với {when}"
        body = (
            f"{_unit(f)} ({span}): {lead}{_pts(f.value_before)} → {_pts(f.value_now)} điểm "
            f"({_chg(f.change)}){since}."
        )
        if f.worst_group:
            body += f" Giảm nhiều nhất: {_group(f.worst_group)} ({_chg(f.worst_group_change)})."
    elif f.rule_code == "OVERDUE_RISING":
        more = (f.count_now or 0) - (f.count_before or 0)
        body = (
            f"{_unit(f)}: tỷ lệ hồ sơ quá hạn {_pts(f.value_before)}% → {_pts(f.value_now)}% so với {when} "
            f"({span}); {format_number(f.count_now)} hồ sơ quá hạn (thêm {format_number(more)}) trên "
            f"{format_number(f.count_total)} hồ sơ tiếp nhận."
        )
    else:  # GROUP_BELOW_MAX
        share = 100 * (f.value_now or 0) / f.out_of if f.out_of else None
        body = (
            f"{_group(f.measure)}: {_pts(f.value_now)}/{format_number(f.out_of)} điểm "
            f"({format_number(share, 1)}% điểm tối đa, {span})."
        )
    if f.points_at_stake is not None and f.points_at_stake >= 0.005:  # shown: at least +0,01
        body += f" Dư địa: +{_pts(f.points_at_stake)} điểm cho tỉnh."
    return [(f.label_vi + ". ", True), (body, False)]


def _lever_change(lever: Lever) -> str:
    """What the unit would change: "120 hồ sơ quá hạn", else the group ("Thanh toán trực tuyến")."""
    if lever.counts_to_change and lever.change_label_vi:
        return f"{format_number(lever.counts_to_change)} {lever.change_label_vi}"
    return _group(lever.group_code)


def _suggestion(f: Finding, digest: Digest) -> str:
    if f.rule_code == "RANK_LOST":
        return "Có thể xem lại các nhóm chỉ số vừa giảm điểm để lấy lại thứ hạng."
    if f.rule_code in ("DAILY_FALL", "DECLINE_STREAK"):
        about = f" về nhóm {_group(f.worst_group)}" if f.worst_group else ""
        if f.is_province:
            return f"Có thể xem các đơn vị làm giảm điểm của tỉnh{about.replace(' về', ' ở')}."
        return f"Có thể trao đổi với {f.unit_name}{about} để biết nguyên nhân điểm giảm."
    if f.rule_code == "OVERDUE_RISING":
        who = "các đơn vị" if f.is_province else f.unit_name
        return f"Có thể nhắc {who} rà soát các hồ sơ sắp đến hạn và đã quá hạn."
    missing = (f.out_of or 0) - (f.value_now or 0)
    return (
        f"Nhóm {_group(f.measure)} còn {_pts(missing)} điểm chưa đạt: có thể ưu tiên các đơn vị "
        "có dư địa lớn nhất ở nhóm này."
    )


def title(digest: Digest) -> str:
    name = province_label(digest.province_name)
    return f"Bản tin Chỉ số 766 — {name[:1].upper() + name[1:]} — sáng {_dy(digest.watch_date)}"


def subject(digest: Digest) -> str:
    """One line for a notification's title: the place, the day and the headline figure."""
    head = title(digest)
    ytd = next((s for s in digest.standings if s.period_type == "ytd"), None)
    if not digest.has_news:
        return head + ": chưa có số liệu mới"
    if ytd is not None and ytd.score is not None:
        rank = f", hạng {ytd.rank}/{ytd.out_of}" if ytd.rank is not None else ""
        return head + f": {_pts(ytd.score)} điểm{rank} ({_chg(ytd.change_day)})"
    return head


def blocks(digest: Digest) -> list[Block]:
    """What the digest says, in order, as blocks both renderings share."""
    out = [Block("h1", runs=[(title(digest), False)])]
    if not digest.has_news:
        if digest.latest_date is None:
            why = "chưa có lần theo dõi hằng ngày nào có số liệu của tỉnh."
        elif digest.status == NO_CAPTURE:
            why = (
                "chưa lấy được số liệu từ Cổng Dịch vụ công quốc gia. Số liệu gần nhất là của sáng "
                f"{_dy(digest.latest_date)}, đã nêu trong bản tin hôm đó."
            )
        else:
            why = (
                f"số liệu trên Cổng giống hệt lần theo dõi ngày {_dy(digest.latest_date)} (Cổng chưa "
                "cập nhật), nên bản tin không nhắc lại."
            )
        out.append(Block("p", runs=[("Sáng nay chưa có số liệu mới: ", True), (why, False)]))
        return out
    for s in digest.standings:
        out.append(Block("p", runs=_standing(s, digest.watch_date)))
    if digest.groups:
        span = "lũy kế năm" if digest.groups_period == "ytd" else "tháng này"
        out.append(Block("h2", runs=[(f"Sáu nhóm chỉ số ({span})", False)]))
        rows = []
        for g in digest.groups:
            share = 100 * g.score / g.max_score if g.score is not None and g.max_score else None
            rows.append(
                [
                    _group(g.code),
                    _pts(g.score),
                    format_number(g.max_score),
                    format_number(share, 1) + "%",
                    _chg(g.change_day) if g.change_day is not None else "",
                ]  # fmt: skip
            )
        out.append(Block("table", header=["Nhóm", "Điểm", "Tối đa", "Đạt", "So với hôm trước"], rows=rows))
    if digest.findings:
        out.append(Block("h2", runs=[("Điểm cần chú ý", False)]))
        out.append(Block("ul", items=[_finding(f, digest) for f in digest.findings]))
    if digest.units:
        out.append(Block("h2", runs=[("Đơn vị cần theo dõi (tháng này, so với lần trước)", False)]))
        items = []
        for u in digest.units:
            text = f"{u.unit_name}: {_pts(u.score)} điểm ({_chg(u.change)})"
            if u.worst_group:
                text += f"; giảm nhiều nhất: {_group(u.worst_group)} ({_chg(u.worst_group_change)})"
            items.append([(text, False)])
        out.append(Block("ul", items=items))
    if digest.levers:
        out.append(Block("h2", runs=[("Dư địa điểm lớn nhất", False)]))
        out.append(
            Block(
                "ul",
                items=[
                    [
                        (
                            f"{lv.unit_name}: {_lever_change(lv)} → +{_pts(lv.points_at_stake)} điểm",
                            False,
                        )
                    ]
                    for lv in digest.levers
                ],
            )
        )
    if digest.units_up is not None:
        total = (digest.units_up or 0) + (digest.units_down or 0) + (digest.units_flat or 0)
        out.append(
            Block(
                "p",
                runs=[
                    ("Biến động đơn vị (tháng này, so với lần trước): ", True),
                    (
                        f"{digest.units_up} đơn vị tăng điểm, {digest.units_down} giảm, "
                        f"{digest.units_flat} giữ nguyên (trong {total} đơn vị).",
                        False,
                    ),
                ],
            )
        )
    suggestions = list(dict.fromkeys(_suggestion(f, digest) for f in digest.findings))
    if suggestions:
        out.append(Block("h2", runs=[("Gợi ý", False)]))
        out.append(Block("ul", items=[[(s, False)] for s in suggestions]))
    when = digest.captured_at
    seen = f"lúc {when:%H:%M} ngày {_dy(when.date())}" if when else f"ngày {_dy(digest.watch_date)}"
    out.append(
        Block(
            "note",
            runs=[
                (
                    f"Số liệu: Cổng Dịch vụ công quốc gia, xem {seen} (số liệu trong tháng còn thay đổi "
                    "hằng ngày). Các gợi ý chỉ để tham khảo.",
                    False,
                )
            ],
        )
    )
    return out


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_runs(runs: list[Run]) -> str:
    return "".join(
        f"**{_md(t.strip())}**" + (" " if t.endswith(" ") else "") if b else _md(t) for t, b in runs
    )


def to_text(digest: Digest) -> str:
    """Plain text, for channels that show no markup (a Telegram chat, an SMS relay, a text email):
    headings on lines of their own, bullets, the groups one a line."""
    lines: list[str] = []
    for b in blocks(digest):
        text = "".join(t for t, _ in b.runs or [])
        if b.kind == "h1":
            lines += [text.upper(), ""]
        elif b.kind == "h2":
            lines.append(text.upper())
        elif b.kind in ("p", "note"):
            lines += [text, ""]
        elif b.kind == "ul":
            lines += ["• " + "".join(t for t, _ in item) for item in b.items or []] + [""]
        elif b.kind == "table":
            for row in b.rows or []:
                name, score, most, share, change = row
                lines.append(f"• {name}: {score}/{most} ({share})" + (f", {change}" if change else ""))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_markdown(digest: Digest) -> str:
    lines: list[str] = []
    for b in blocks(digest):
        if b.kind == "h1":
            lines += [f"# {_md_runs(b.runs or [])}", ""]
        elif b.kind == "h2":
            lines += [f"## {_md_runs(b.runs or [])}", ""]
        elif b.kind in ("p", "note"):
            text = _md_runs(b.runs or [])
            lines += [f"_{text}_" if b.kind == "note" else text, ""]
        elif b.kind == "ul":
            lines += [f"- {_md_runs(item)}" for item in b.items or []] + [""]
        elif b.kind == "table":
            lines.append("| " + " | ".join(_md(h) for h in b.header or []) + " |")
            lines.append("|" + "|".join(["---"] + ["---:"] * (len(b.header or []) - 1)) + "|")
            lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in b.rows or []]
            lines.append("")
    # dvc766's mark (warehouse/report_files.py): a later morning may write over this file, never over another
    lines.append(
        f"<!-- dvc766: bản tin theo dõi hằng ngày {digest.province_code} {digest.watch_date.isoformat()} -->"
    )
    return "\n".join(lines).rstrip() + "\n"


def _html_runs(runs: list[Run]) -> str:
    return "".join(f"<strong>{html.escape(t)}</strong>" if b else html.escape(t) for t, b in runs)


STYLE = (
    "body{font-family:'Times New Roman',serif;max-width:46em;margin:1.5em auto;padding:0 1em;"
    "line-height:1.45;color:#111}h1{font-size:1.35em}h2{font-size:1.1em;margin-top:1.2em}"
    "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .6em}"
    "td:not(:first-child){text-align:right}.note{color:#555;font-size:.9em}"
)


def to_html(digest: Digest) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="generator" content="dvc766">',
        f"<title>{html.escape(title(digest))}</title><style>{STYLE}</style></head><body>",
    ]
    for b in blocks(digest):
        if b.kind in ("h1", "h2"):
            parts.append(f"<{b.kind}>{_html_runs(b.runs or [])}</{b.kind}>")
        elif b.kind == "p":
            parts.append(f"<p>{_html_runs(b.runs or [])}</p>")
        elif b.kind == "note":
            parts.append(f'<p class="note">{_html_runs(b.runs or [])}</p>')
        elif b.kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{_html_runs(i)}</li>" for i in b.items or []) + "</ul>")
        elif b.kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.header or [])
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in b.rows or []
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
