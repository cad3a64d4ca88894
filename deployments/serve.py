"""The scheduled deployments, served by ``dvc766 serve`` (or deployed with ``prefect.yaml``).

Schedules (Asia/Ho_Chi_Minh):

* ``monthly`` — ``0 */6 3-10 * *``: every 6 hours from the 3rd to the 10th (the window of
  :mod:`dvc766.schedule`). Runs the previous month for all 34 provinces, and after March, June,
  September and December the quarter that month closes. The first firing after the portal publishes
  lands the month; later firings skip what is landed (no request); a month still not published at
  the last firing is an alert.
* ``month-end-snapshot`` — ``30 22 28-31 * *``: 22:30 on days 28-31; cron cannot say "last day of
  the month", so the flow runs with ``only_on_last_day=True`` and skips (a completed run that says
  so) unless today is the month's last day in Vietnam time. With ``window=True`` it retries transient
  failures every 10 minutes until midnight; a month end not taken by then is an alert.
* ``backfill`` — no schedule; trigger by hand with parameters, e.g.
  ``prefect deployment run backfill/backfill -p from_month=2025-01 -p to_month=2025-12``.

Every deployment but ``backfill-chunk`` has a concurrency limit of 1: one writer at a time (the
warehouse build also takes a lock). ``backfill-chunk`` is one part of a fanned-out backfill
(:mod:`flows.fanout`): chunks land side by side on the work pool's workers and never build, and their
workers share one pacing and one circuit breaker through the Prefect server.

Catch-up: Prefect does not back-schedule runs missed while nothing was serving (a schedule only
creates upcoming runs). A missed ``monthly`` run is caught up by running it again, or
``dvc766 backfill --from <missed> --to <last month>``: both skip whatever is already captured and
landed, so catching up asks the portal only for what is missing. A missed month-end snapshot
cannot be caught up (the portal only answers year-to-date *now*); the warehouse derives what is
additive from the month figures and marks it derived.
"""

from __future__ import annotations

from typing import Any

from prefect.deployments.runner import EntrypointType
from prefect.schedules import Cron

from dvc766.schedule import MONTHLY_CRON, SNAPSHOT_CRON, TIMEZONE

TAGS = ["dvc766"]


def deployment_specs() -> list[dict[str, Any]]:
    """What each deployment is (plain data: printed by ``--dry-run``, checked against prefect.yaml)."""
    return [
        {
            "name": "monthly",
            "flow": "flows.monthly:monthly_flow",
            "cron": MONTHLY_CRON,
            "parameters": {"with_closing_quarter": True, "window": True},
            "description": "The previous month (Vietnam time) for all provinces, and the quarter it closes, landed, then the warehouse build; every 6 h from the 3rd to the 10th until the portal has published it.",
        },
        {
            "name": "month-end-snapshot",
            "flow": "flows.snapshot:snapshot_flow",
            "cron": SNAPSHOT_CRON,
            "parameters": {"only_on_last_day": True, "window": True},
            "description": "Year-to-date views on the month's last day (skips on days 28-30 unless last); transient failures retried until midnight.",
        },
        {
            "name": "backfill",
            "flow": "flows.backfill:backfill_flow",
            "cron": None,
            "parameters": {},
            "description": "A month range, resumable; trigger by hand with from_month/to_month.",
        },
        {
            "name": "backfill-chunk",
            "flow": "flows.backfill:backfill_flow",
            "cron": None,
            # its runs share the portal's pacing and breaker through the Prefect server: a parameter,
            # not the worker's environment, so it holds whether a work pool or `dvc766 serve` runs it
            "parameters": {"politeness": "prefect"},
            "concurrency": None,  # the work pool's workers run chunks side by side; politeness is shared
            "description": "Part of a fanned-out backfill (dvc766 backfill --fan-out): a few months, landed, no build; its workers share one pacing and one circuit breaker through the Prefect server.",
        },
        {
            "name": "drilldown",
            "flow": "flows.drilldown:drilldown_flow",
            "cron": None,
            "parameters": {},
            "description": "Per-procedure figures of one province and month within a request budget, resumable; trigger by hand with province/month/budget.",
        },
    ]


def _load(target: str) -> Any:
    import importlib

    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def build_deployments() -> list[Any]:
    """RunnerDeployments for ``prefect.serve`` (module entrypoints, so they run from any directory)."""
    out = []
    for spec in deployment_specs():
        flow = _load(spec["flow"])
        out.append(
            flow.to_deployment(
                name=spec["name"],
                schedules=[Cron(spec["cron"], timezone=TIMEZONE)] if spec["cron"] else None,
                parameters=spec["parameters"],
                concurrency_limit=spec.get("concurrency", 1),
                description=spec["description"],
                tags=TAGS,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return out


def describe() -> list[str]:
    lines = []
    for spec in deployment_specs():
        flow = _load(spec["flow"])
        when = f"cron '{spec['cron']}' ({TIMEZONE})" if spec["cron"] else "no schedule (trigger by hand)"
        limit = spec.get("concurrency", 1)
        lines.append(
            f"{flow.name}/{spec['name']}: {when}, concurrency limit {limit or 'none'}, parameters {spec['parameters']} "
            f"— {spec['description']}"
        )
    return lines


def main(dry_run: bool = False) -> int:
    """Print the deployments (``--dry-run``) or serve them until interrupted."""
    if dry_run:
        print("\n".join(describe()))
        return 0
    from prefect import serve

    serve(*build_deployments())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
