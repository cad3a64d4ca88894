"""What a finished run tells the data engineer: one short Vietnamese message, and one line in the run log.

One message per run, not one per problem: a blocked run is a failed province *and* an open circuit
breaker, and a phone that buzzes twice for it is worse than one message that says both. The message's
kind is the most serious thing that happened (:data:`PRIORITY`); its body lists the rest, the figures,
and what to do. Only alerts are sent by default; ``DVC766_NOTIFY_ON=all`` adds a summary of every run.

Called by each flow at its end, wherever it runs (the CLI, ``dvc766 serve``, a worker), and by the
flows' Prefect failure hooks for a run that died before it could summarise itself. Nothing here can
fail the run: sending and logging report their own failures into the summary.
"""

from __future__ import annotations

import logging
from typing import Any

from dvc766.provinces import get_province
from dvc766.settings import Settings, SettingsError
from flows import run_log
from flows.notify import Delivery, Event, notify
from flows.summary import NOT_PUBLISHED, RunFailedError, RunSummary

log = logging.getLogger(__name__)

# the most serious first: the message takes the first kind that applies
PRIORITY = (
    "snapshot_missed",
    "month_not_published",
    "circuit_open",
    "checks_failed",
    "schema_change",
    "run_failed",
    "formula_change",
    "drift",
)

CAUSE_VI = {
    "blocked": "cổng chặn truy cập (403/406/429 hoặc trang từ chối)",
    "circuit_open": "cầu dao ngắt vì cổng chặn nhiều lần",
    "transient": "cổng tạm thời lỗi (5xx, quá thời gian chờ, mất kết nối)",
    "schema_change": "cổng đổi cấu trúc dữ liệu",
    "quarantine": "giá trị bất thường, đã cách ly",
    "wrong_scope": "cổng trả số liệu của đơn vị khác",
    "envelope": "phản hồi không hợp lệ",
    "plan": "thiếu dữ liệu để lập yêu cầu",
    "chunk": "một phần của lượt chạy song song lỗi",
}
SCHEMA_KINDS = {"schema_change", "quarantine", "wrong_scope", "envelope"}

TODO_VI = {
    "snapshot_missed": "Số liệu lũy kế ngày cuối tháng không thể lấy lại sau. Kho sẽ tính các chỉ tiêu cộng "
    "dồn từ số liệu tháng (đánh dấu derived); điểm và thứ hạng lũy kế của tháng này sẽ không có.",
    "month_not_published": "Kiểm tra tháng trên Cổng DVC quốc gia. Khi cổng công bố, chạy: {rerun}",
    "circuit_open": "Chờ vài giờ rồi chạy lại (phần đã nạp được bỏ qua): {rerun}. Không đổi IP hay danh tính.",
    "checks_failed": "Kho cũ vẫn nguyên, chưa công bố gì mới. Xem các kiểm tra lỗi bằng `dvc766 build`, sửa "
    "rồi build lại.",
    "schema_change": "Thân phản hồi bị từ chối vẫn giữ trong raw/ (`dvc766 doctor`). Cập nhật hợp đồng dữ "
    "liệu (flows/sources/) rồi chạy lại: {rerun}",
    "run_failed": "Chạy lại (phần đã nạp được bỏ qua): {rerun}",
    "drift": "Các trường đã biết vẫn được nạp. Xem bảng fct_schema_drift; cập nhật hợp đồng nếu cần.",
    "formula_change": "Điểm công bố vẫn là điểm của Cổng. Tìm công thức mới trên các lần lấy số liệu không "
    "khớp (bảng fct_score_check), sửa dvc766/reference/score_formulas.csv (docs/scoring.md) rồi build lại; "
    "đến lúc đó số điểm các đơn vị giữ (dvc766 levers) tính theo công thức cũ.",
}
FLOW_VI = {
    "monthly": "chạy tháng",
    "snapshot": "chốt cuối tháng",
    "backfill": "nạp bù",
    "backfill-fanout": "nạp bù song song",
    "watch": "theo dõi hằng ngày",
}


def province_label(code: str) -> str:
    if code == "national":
        return "toàn quốc"
    try:
        return f"{code} {get_province(code).name.removeprefix('UBND ')}"
    except ValueError:
        return code


def drift_key(line: str) -> str:
    """``endpoint: new field path`` without the example value (it varies between captures)."""
    return line.split(" (e.g.", 1)[0]


def rerun_command(summary: RunSummary, codes: list[str] | None = None) -> str:
    """The command that runs again what failed (batches already landed are skipped)."""
    only = f" --provinces {','.join(codes)}" if codes else ""
    periods = [p for p in summary.periods if "YTD" not in p]
    if summary.flow == "snapshot":
        return f"`dvc766 snapshot{only}` (chỉ trong ngày cuối tháng)"
    if summary.flow == "watch":
        return f"`dvc766 watch{only}` (số liệu của sáng nay)"
    if summary.flow.startswith("backfill") and periods:
        return f"`dvc766 backfill --from {periods[0]} --to {periods[-1]}{only}`"
    month = next((p for p in periods if len(p) == 7), periods[0] if periods else "")
    return f"`dvc766 run --month {month}{only}`" if month else f"`dvc766 run{only}`"


def kinds_of(summary: RunSummary, new_drift: list[str]) -> list[str]:
    """Every alert kind this run is, most serious first."""
    found = set()
    if summary.missed:
        found.add("snapshot_missed" if summary.flow == "snapshot" else "month_not_published")
    if summary.stopped:
        found.add("circuit_open")
    if summary.build.get("status") == "failed" and (
        summary.build.get("error") == "CheckFailedError"
        or str(summary.build.get("message", "")).startswith("CheckFailedError")
    ):
        found.add("checks_failed")
    failed = summary.failed
    if any(b.error_kind in SCHEMA_KINDS for b in failed):
        found.add("schema_change")
    if failed or summary.build.get("status") == "failed":
        found.add("run_failed")
    if new_drift:
        found.add("drift")
    if summary.formula_changes:
        found.add("formula_change")
    return [k for k in PRIORITY if k in found]


def _figures(summary: RunSummary) -> dict[str, Any]:
    scopes = {b.scope for b in summary.batches if b.scope != "national"}
    bad = sorted({b.scope for b in summary.failed if b.scope != "national"})
    return {
        "periods": ", ".join(summary.periods),
        "requests": summary.requests,
        "provinces_ok": len(scopes - set(bad)),
        "provinces_failed": len(bad),
        "rows_landed": sum(summary.rows_landed().values()),
        "not_published": sum(1 for b in summary.batches if b.status == NOT_PUBLISHED),
    }


def _warehouse_vi(build: dict[str, Any]) -> str:
    status = build.get("status")
    if not build:
        return "không build (--no-build)"
    if status == "ok":
        return f"đã công bố, kiểm tra đạt {build.get('checks_passed')}/{build.get('checks_total')}"
    if status == "failed":
        return f"KHÔNG công bố: {build.get('message', '')}"
    return f"không cập nhật ({build.get('message', status)})"


def _vi(n: int) -> str:
    """1.234.567: Vietnamese digit grouping."""
    return f"{n:,}".replace(",", ".")


def compose(summary: RunSummary, new_drift: list[str] | None = None) -> Event | None:
    """The run's one message: an alert when something went wrong, else a summary (or, while the
    portal has not published, a waiting note), sent only when asked for. None for a skipped run."""
    if summary.skipped_run:
        return None
    new_drift = new_drift or []
    kinds = kinds_of(summary, new_drift)
    figures = _figures(summary)
    what = f"{FLOW_VI.get(summary.flow, summary.flow)} {figures['periods']}".strip()
    lines: list[str] = []
    bad = sorted({b.scope for b in summary.failed})
    if summary.missed:
        lines.append(f"HẾT KHUNG GIỜ: {summary.missed}")
    if summary.stopped:
        lines.append(f"Cầu dao đã ngắt, lượt chạy dừng: {summary.stopped}")
    for b in summary.failed:
        why = CAUSE_VI.get(b.error_kind, "lỗi")
        lines.append(f"Lỗi {province_label(b.scope)} {b.period_key}: {why} — {b.cause}")
    if new_drift:
        lines.append(f"Trường mới trên cổng ({len(new_drift)}): " + "; ".join(new_drift[:5]))
    for change in summary.formula_changes:
        lines.append(
            f"Cổng đổi công thức tính điểm {change.get('indicator_code')} ({change.get('group_code')}): "
            f"{change.get('disagreeing_captures')} lần lấy số liệu từ {str(change.get('first_disagreeing_at'))[:10]} "
            f"không khớp công thức đã biết (khớp đến {str(change.get('last_agreeing_at'))[:10]})"
        )
    if figures["not_published"] and not summary.missed:
        lines.append(
            f"Chưa công bố: {figures['not_published']} lô ({summary.waiting or 'cổng chưa có số liệu'})"
        )
    lines.append(
        f"Số liệu: {figures['requests']} yêu cầu, {figures['provinces_ok']} tỉnh đạt, "
        f"{figures['provinces_failed']} tỉnh lỗi, {_vi(figures['rows_landed'])} dòng đã nạp."
    )
    lines.append(f"Kho dữ liệu: {_warehouse_vi(summary.build)}.")
    if kinds:
        kind = kinds[0]
        codes = [c for c in bad if c != "national"]
        blocked = kind == "run_failed" and any(b.error_kind == "blocked" for b in summary.failed)
        todo = TODO_VI["circuit_open" if blocked else kind]  # blocked: wait, never rotate identity
        lines.append("Cần làm: " + todo.format(rerun=rerun_command(summary, codes or None)))
        lines.append(f"Lượt chạy: {summary.run_id}")
        label = {
            "snapshot_missed": "LỠ chốt số liệu cuối tháng",
            "month_not_published": "tháng chưa công bố khi hết hạn",
            "circuit_open": "bị cổng chặn",
            "checks_failed": "kiểm tra dữ liệu không đạt",
            "schema_change": "cổng đổi cấu trúc",
            "run_failed": f"{len([c for c in bad if c != 'national']) or len(bad)} tỉnh lỗi",
            "formula_change": "cổng đổi công thức tính điểm",
            "drift": "cổng có trường mới",
        }[kind]
        return Event(kind, f"dvc766: {what} — {label}", "\n".join(lines), figures)  # type: ignore[arg-type]
    lines.append(f"Lượt chạy: {summary.run_id}")
    if summary.waiting:
        return Event("waiting", f"dvc766: {what} — cổng chưa công bố, sẽ thử lại", "\n".join(lines), figures)
    return Event("run_ok", f"dvc766: {what} — xong", "\n".join(lines), figures)


def report(summary: RunSummary, settings: Settings, *, send: bool = True) -> Event | None:
    """Tell whoever ``DVC766_NOTIFY`` names about the finished run, and append it to the run log.
    ``send=False``: log only (a fan-out's chunk: the fan-out reports for all its chunks)."""
    drift = sorted({drift_key(line) for b in summary.batches for line in b.drift})
    seen = run_log.drift_seen(settings) if drift else set()
    new_drift = [d for d in drift if d not in seen]
    event = compose(summary, new_drift)
    delivery = Delivery(skipped="not sent")
    repeat = _already_told(summary, event, settings) if send and event is not None else ""
    if repeat:
        delivery = Delivery(skipped=repeat)
        summary.notices.append(f"not notified again: {repeat}")
    elif send and event is not None:
        delivery = notify(event, settings)
        summary.notices += delivery.lines()
    error = run_log.append(settings, _record(summary, event, delivery, drift))
    if error:
        summary.notices.append(error)
    say = _run_logger()
    for line in summary.notices:
        if "FAILED" in line or "not written" in line:
            say.warning(line)
        else:
            say.info(line)
    return event


def _run_logger() -> Any:
    """The flow run's logger (the Prefect UI shows it) when there is a run, else this module's."""
    try:
        from prefect import get_run_logger

        return get_run_logger()
    except Exception:  # outside a flow run (a plain call, a test)
        return log


def _failed_keys(summary: RunSummary) -> list[str]:
    return sorted({f"{b.scope} {b.period_key} {b.error_kind}" for b in summary.failed})


def _already_told(summary: RunSummary, event: Event, settings: Settings) -> str:
    """Why not to send this alert: the same flow's last run over the same periods raised the same alert
    for the same provinces and causes, and it reached someone (the monthly window fires every 6 hours:
    one page for a schema change, not 32). Empty when it should be sent."""
    if not event.is_alert:
        return ""
    last = next(
        (
            r
            for r in reversed(run_log.read(settings))
            if r.get("flow") == summary.flow and r.get("outcome") != "skipped"
        ),
        None,
    )
    if (
        last is not None
        and last.get("alert") == event.kind
        and last.get("periods") == summary.periods
        and last.get("failed_keys") == _failed_keys(summary)
        and last.get("stopped", "") == summary.stopped
        and (last.get("notified") or str(last.get("notify_skipped", "")).startswith("the same alert"))
    ):
        return f"the same alert as run {last.get('run_id')} ({event.kind}), already sent"
    return ""


def _record(summary: RunSummary, event: Event | None, delivery: Delivery, drift: list[str]) -> dict[str, Any]:
    if summary.skipped_run:
        outcome = "skipped"
    elif summary.missed:
        outcome = "missed"
    elif not summary.ok:
        outcome = "failed"
    elif summary.waiting:
        outcome = "waiting"
    else:
        outcome = "ok"
    return {
        "flow": summary.flow,
        "run_id": summary.run_id,
        "outcome": outcome,
        "periods": summary.periods,
        "provinces": len(summary.provinces),
        "failed": sorted({f"{b.scope} {b.period_key}: {b.cause}"[:300] for b in summary.failed}),
        "failed_keys": _failed_keys(summary),
        "stopped": summary.stopped,
        "missed": summary.missed,
        "waiting": summary.waiting,
        "skipped": summary.skipped_run,
        "build": summary.build.get("status", ""),
        "requests": summary.requests,
        "drift": drift,
        "alert": event.kind if event is not None and event.is_alert else "",
        "notified": delivery.sent,
        "notify_failed": [f"{u}: {w}" for u, w in delivery.failed],
        "notify_skipped": delivery.skipped,
    }


# --- runs that died before summarising themselves (Prefect state hooks) ------------------------------


def on_run_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """A Prefect ``on_failure``/``on_crashed`` hook: a run that ended without its own report (an
    exception outside the batches, a killed process) is alerted and logged here. A run whose failure
    is its summary's (``RunFailedError``) has reported already."""
    try:
        try:
            exc = state.result(raise_on_failure=False)
        except Exception as read_error:  # the result may be gone with the process
            exc = read_error
        if isinstance(exc, RunFailedError):
            return
        settings = Settings.from_env()
        name = getattr(flow, "name", "run")
        why = state.message or (f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else "")
        summary = RunSummary(flow=name, run_id=str(getattr(flow_run, "name", "") or "-"), data_dir="")
        event = Event(
            "run_failed",
            f"dvc766: {FLOW_VI.get(name, name)} dừng bất thường ({state.name})",
            f"Lượt chạy {summary.run_id} kết thúc {state.name}: {why}\n"
            "Cần làm: xem nhật ký lượt chạy trên Prefect; `dvc766 doctor` kiểm tra thư mục dữ liệu; "
            "chạy lại (phần đã nạp được bỏ qua).",
            {"state": str(state.name)},
        )
        delivery = notify(event, settings)
        run_log.append(
            settings,
            {
                "flow": name,
                "run_id": summary.run_id,
                "outcome": str(state.name).lower(),
                "failed": [why[:300]],
                "alert": "run_failed",
                "notified": delivery.sent,
                "notify_failed": [f"{u}: {w}" for u, w in delivery.failed],
            },
        )
    except (SettingsError, Exception) as exc:  # a hook must never raise into Prefect's engine
        log.warning("failure hook could not report: %s", exc)
