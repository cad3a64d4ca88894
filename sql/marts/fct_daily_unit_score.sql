-- Mart: each unit's total and six group scores as the daily watch saw them, one row per day.
-- incremental: year
-- grain: one row per unit × running period × watch day
-- key: unit_code, period_type, period_key, watch_date
-- time column: watch_date (the Vietnam-time day of the captures); captured_at is the latest capture used
-- Which captures: those taken while their period ran (captured_running in sql/macros.sql: the running
-- month, the year to date before its month's last day, as `dvc766 watch` takes them every morning)
-- and the year to date taken on its month's last day (as_of on_time: that morning's watch, the 22:30
-- month-end snapshot), so the days of a month run up to its end. fct_unit_score never uses the
-- running captures; the month-end day is in both. One capture per figure, in the order
-- fct_unit_group_score uses within a day (docs/warehouse.md, "Which capture a figure comes from"):
-- the day's total and rank come from one capture — the latest of the day, one that ranks the unit
-- in its own scope (the national ranking for a province, its province's answer for a unit) before
-- one that does not — and each group from that same capture when it carries the group, else from the
-- day's latest capture that does. The portal refreshes its figures once a night (around 02:00), so a
-- day's captures agree.
with daily as not materialized (
    select
        *,
        cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date) as watch_date,
        group_code = 'TOTAL' and rank_in_scope is not null
        and (unit_code = province_code) = (scope = 'national') as ranks_in_own_scope
    from stg_landing__unit_scores
    where not derived
      and (captured_running(period_type, period_end, captured_at) or as_of = 'on_time')
),

row_capture as (
    select unit_code, period_type, period_key, watch_date, capture_id as row_capture_id
    from daily
    where group_code = 'TOTAL'
    qualify row_number() over (
        partition by unit_code, period_type, period_key, watch_date
        order by ranks_in_own_scope desc, captured_at desc, capture_id desc
    ) = 1
),

picked as (
    select
        d.*,
        d.capture_id = r.row_capture_id as from_row_capture
    from daily as d
    left join row_capture as r
        on r.unit_code = d.unit_code
        and r.period_type = d.period_type
        and r.period_key = d.period_key
        and r.watch_date = d.watch_date
    qualify row_number() over (
        partition by d.unit_code, d.period_type, d.period_key, d.watch_date, d.group_code
        order by
            coalesce(d.capture_id = r.row_capture_id and (d.score is not null or d.group_code = 'TOTAL'), false)
                desc,
            d.captured_at desc,
            d.capture_id desc
    ) = 1
),

final as (
    select
        unit_code,
        period_type,
        period_key,
        watch_date,
        any_value(province_code) as province_code,
        min(period_start) as period_start,
        max(period_end) as period_end,
        max(score) filter (where group_code = 'TOTAL') as total_score,
        max(score) filter (where group_code = 'CKMB') as score_ckmb,
        max(score) filter (where group_code = 'TDGQ') as score_tdgq,
        max(score) filter (where group_code = 'CLGQ') as score_clgq,
        max(score) filter (where group_code = 'TTTT') as score_tttt,
        max(score) filter (where group_code = 'MDHL') as score_mdhl,
        max(score) filter (where group_code = 'MDSH') as score_mdsh,
        max(rank_in_scope) filter (where group_code = 'TOTAL') as rank_in_scope,
        max(rank_scope_size) filter (where group_code = 'TOTAL' and rank_in_scope is not null)
            as rank_scope_size,
        max(scope) filter (where group_code = 'TOTAL' and rank_in_scope is not null) as rank_scope,
        count(distinct capture_id) as score_capture_count,
        max(captured_at) as captured_at
    from picked
    group by unit_code, period_type, period_key, watch_date
)

select
    unit_code,
    province_code,
    period_type,
    period_key,
    period_start,
    period_end,
    watch_date,
    total_score,
    score_ckmb,
    score_tdgq,
    score_clgq,
    score_tttt,
    score_mdhl,
    score_mdsh,
    rank_in_scope,
    rank_scope_size,
    rank_scope,
    score_capture_count,
    captured_at
from final
