-- Mart: where the portal changed a formula. For a scored indicator, a capture that disagrees with the
-- score model (fct_score_check status disagrees: half or more of its units) right after captures
-- that agreed, in capture order, and the run of disagreeing captures that follows it.
-- grain: one row per scored indicator × change (its first disagreeing capture)
-- key: indicator_code, first_disagreeing_capture_id
-- time column: first_disagreeing_at
-- The units' own figures only, not the drill-down's per-procedure answers; only captures that agree
-- or disagree take part (partly: one unit's quirk; no_formula and nothing_to_check say nothing).
-- still_disagreeing: the indicator's latest judged capture disagrees, so the seed no longer
-- describes the portal: dvc766/reference/score_formulas.csv needs the new formula (docs/scoring.md).
-- The run summary and `dvc766 build` print these rows (warehouse/score_check.py).
with judged as (
    select
        indicator_code,
        group_code,
        capture_id,
        scope,
        period_type,
        period_key,
        captured_at,
        status,
        units_checked,
        units_disagreeing,
        max_difference,
        worst_unit_code,
        worst_portal_score,
        worst_recomputed_score
    from fct_score_check
    where formality_id is null and status in ('agrees', 'disagrees')
),

ordered as (
    select
        *,
        lag(status) over (partition by indicator_code order by captured_at, capture_id) as previous_status,
        lag(captured_at) over (partition by indicator_code order by captured_at, capture_id) as previous_at
    from judged
),

runs as (
    select
        *,
        sum(case when coalesce(previous_status, '') <> status then 1 else 0 end) over (
            partition by indicator_code order by captured_at, capture_id rows unbounded preceding
        ) as run_no
    from ordered
),

last_run as (
    select indicator_code, max(run_no) as run_no
    from runs
    group by indicator_code
),

disagreeing_runs as (
    select
        indicator_code,
        run_no,
        arg_min(previous_status, (captured_at, capture_id)) as status_before,
        arg_min(previous_at, (captured_at, capture_id)) as last_agreeing_at,
        arg_min(capture_id, (captured_at, capture_id)) as first_disagreeing_capture_id,
        min(captured_at) as first_disagreeing_at,
        max(captured_at) as last_disagreeing_at,
        arg_min(scope, (captured_at, capture_id)) as first_scope,
        arg_min(period_type, (captured_at, capture_id)) as first_period_type,
        arg_min(period_key, (captured_at, capture_id)) as first_period_key,
        arg_min(units_checked, (captured_at, capture_id)) as first_units_checked,
        arg_min(units_disagreeing, (captured_at, capture_id)) as first_units_disagreeing,
        arg_min(worst_unit_code, (captured_at, capture_id)) as example_unit_code,
        arg_min(worst_portal_score, (captured_at, capture_id)) as example_portal_score,
        arg_min(worst_recomputed_score, (captured_at, capture_id)) as example_recomputed_score,
        count(*) as disagreeing_captures,
        any_value(group_code) as group_code
    from runs
    where status = 'disagrees'
    group by indicator_code, run_no
),

final as (
    select
        d.indicator_code,
        d.group_code,
        d.first_disagreeing_capture_id,
        d.first_disagreeing_at,
        d.last_agreeing_at,
        d.last_disagreeing_at,
        d.disagreeing_captures,
        d.first_scope,
        d.first_period_type,
        d.first_period_key,
        d.first_units_checked,
        d.first_units_disagreeing,
        d.example_unit_code,
        d.example_portal_score,
        d.example_recomputed_score,
        d.run_no = l.run_no as still_disagreeing
    from disagreeing_runs as d
    inner join last_run as l using (indicator_code)
    where d.status_before = 'agrees'
)

select * from final
