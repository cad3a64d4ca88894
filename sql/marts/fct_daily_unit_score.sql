-- Mart: each unit's total and six group scores as the daily watch saw them, one row per day.
-- incremental: year
-- grain: one row per unit × running period × watch day
-- key: unit_code, period_type, period_key, watch_date
-- time column: watch_date (the Vietnam-time day of the captures); captured_at is the latest capture used
-- Which captures: those taken while their period ran (captured_running in sql/macros.sql: the running
-- month, the year to date before its month's last day, as `dvc766 watch` takes them every morning)
-- and the year to date taken on its month's last day (as_of on_time: that morning's watch, the 22:30
-- month-end snapshot), so the days of a month run up to its end. fct_unit_score never uses the
-- running captures; the month-end day is in both. Per unit × group × day the latest capture of the
-- day wins (the portal refreshes its figures once a night, around 02:00). Rank: from the TOTAL rows,
-- a province's from a national-scope capture (rank among the 34), any other unit's from a capture
-- scoped to its province, as in fct_unit_score.
with daily as not materialized (
    select
        *,
        cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date) as watch_date
    from stg_landing__unit_scores
    where not derived
      and (captured_running(period_type, period_end, captured_at) or as_of = 'on_time')
),

latest_per_group as (
    select *
    from daily
    qualify row_number() over (
        partition by unit_code, period_type, period_key, watch_date, group_code
        order by captured_at desc, capture_id desc
    ) = 1
),

ranks as (
    select
        unit_code,
        period_type,
        period_key,
        watch_date,
        rank_in_scope,
        rank_scope_size,
        scope as rank_scope
    from daily
    where group_code = 'TOTAL' and rank_in_scope is not null
    qualify row_number() over (
        partition by unit_code, period_type, period_key, watch_date
        order by
            case
                when unit_code = province_code and scope = 'national' then 0
                when unit_code <> province_code and scope <> 'national' then 0
                else 1
            end,
            captured_at desc,
            capture_id desc
    ) = 1
),

pivoted as (
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
        max(captured_at) as captured_at,
        count(distinct capture_id) as score_capture_count
    from latest_per_group
    group by unit_code, period_type, period_key, watch_date
),

final as (
    select
        pivoted.unit_code,
        pivoted.province_code,
        pivoted.period_type,
        pivoted.period_key,
        pivoted.period_start,
        pivoted.period_end,
        pivoted.watch_date,
        pivoted.total_score,
        pivoted.score_ckmb,
        pivoted.score_tdgq,
        pivoted.score_clgq,
        pivoted.score_tttt,
        pivoted.score_mdhl,
        pivoted.score_mdsh,
        ranks.rank_in_scope,
        ranks.rank_scope_size,
        ranks.rank_scope,
        pivoted.score_capture_count,
        pivoted.captured_at
    from pivoted
    left join ranks
        on ranks.unit_code = pivoted.unit_code
        and ranks.period_type = pivoted.period_type
        and ranks.period_key = pivoted.period_key
        and ranks.watch_date = pivoted.watch_date
)

select * from final
