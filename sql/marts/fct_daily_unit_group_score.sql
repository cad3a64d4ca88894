-- Mart: the figure behind each score of fct_daily_unit_score, one row per group: the capture it came
-- from, its maximum and its ratio, as the daily watch saw them that day.
-- incremental: year
-- grain: one row per unit × group (or TOTAL) × running period × watch day
-- key: unit_code, group_code, period_type, period_key, watch_date
-- time column: watch_date (the Vietnam-time day of the capture)
-- Which captures: those taken while their period ran (captured_running in sql/macros.sql: the running
-- month, the year to date before its month's last day, as `dvc766 watch` takes them every morning)
-- and the year to date taken on its month's last day (as_of on_time: that morning's watch, the 22:30
-- month-end snapshot), so the days of a month run up to its end; fct_unit_group_score never uses the
-- running captures, the month-end day is in both. One capture per figure, in the order
-- fct_unit_group_score uses, within a day (docs/warehouse.md, "Which capture a figure comes from"):
-- the day's total and rank come from one capture — one that ranks the unit in its own scope (the
-- national ranking for a province, its province's answer for a unit) before one that does not, then
-- the later, then the greater capture_id — and each group from that same capture when it carries the
-- group, else from the day's latest capture that does. The portal refreshes its figures once a night
-- (around 02:00), so a day's captures agree.
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
    select d.*
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
        province_code,
        group_code,
        period_type,
        period_key,
        period_start,
        period_end,
        watch_date,
        score,
        max_score,
        ratio,
        rank_in_scope,
        rank_scope_size,
        case when rank_in_scope is not null then scope end as rank_scope,
        captured_at,
        source_api,
        endpoint,
        scope,
        capture_id
    from picked
)

select * from final
