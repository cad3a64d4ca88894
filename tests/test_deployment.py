"""The deployments: serve.py and prefect.yaml describe the same five."""

from __future__ import annotations

from pathlib import Path

import yaml

from deployments.serve import TIMEZONE, build_deployments, deployment_specs

ROOT = Path(__file__).resolve().parents[1]


def test_prefect_yaml_matches_the_served_deployments() -> None:
    doc = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in doc["deployments"]}
    specs = {s["name"]: s for s in deployment_specs()}
    assert (
        set(by_name)
        == set(specs)
        == {"monthly", "month-end-snapshot", "backfill", "backfill-chunk", "drilldown"}
    )
    for name, spec in specs.items():
        dep = by_name[name]
        module, func = spec["flow"].split(":")
        assert dep["entrypoint"] == f"{module.replace('.', '/')}.py:{func}"
        assert (ROOT / dep["entrypoint"].split(":")[0]).is_file()
        assert dep.get("concurrency_limit") == spec.get("concurrency", 1)
        # no job variables: `dvc766 serve` registers without a work pool, which refuses them
        assert not dep["work_pool"].get("job_variables")
        assert (dep["parameters"] or {}) == spec["parameters"]
        crons = [(s["cron"], s["timezone"]) for s in dep["schedules"]]
        assert crons == ([(spec["cron"], TIMEZONE)] if spec["cron"] else [])
        assert dep["work_pool"]["name"] == "dvc766"


def test_runner_deployments_carry_schedule_timezone_and_limit() -> None:
    deps = {d.name: d for d in build_deployments()}
    assert deps["monthly"].schedules[0].schedule.cron == "0 */6 3-10 * *"
    assert deps["monthly"].schedules[0].schedule.timezone == "Asia/Ho_Chi_Minh"
    assert deps["month-end-snapshot"].parameters == {"only_on_last_day": True, "window": True}
    assert deps["monthly"].parameters == {"with_closing_quarter": True, "window": True}
    assert not deps["backfill"].schedules
    assert {d.concurrency_limit for n, d in deps.items() if n != "backfill-chunk"} == {1}
    assert deps["backfill-chunk"].concurrency_limit is None
    assert not any(d.job_variables for d in deps.values())  # served deployments cannot carry any
    assert deps["backfill-chunk"].parameters == {"politeness": "prefect"}
    assert deps["monthly"].entrypoint == "flows.monthly.monthly_flow"
