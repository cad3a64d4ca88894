-- Mart: each unit's total and six group scores as the daily watch saw them, one row per day.
-- incremental: year
-- grain: one row per unit × running period × watch day
-- key: unit_code, period_type, period_key, watch_date
-- time column: watch_date (the Vietnam-time day of the captures); captured_at is the latest capture used
-- The days of the running month and of the running year to date (`dvc766 watch`'s mornings, and the
-- month's last day), never used by fct_unit_score. Pivoted from fct_daily_unit_group_score, which
-- picks one capture per figure as fct_unit_group_score does, within the day: the total and the rank
-- come from one capture (capture_id), each group from that capture when it carries the group.
with groups as not materialized (
    select * from fct_daily_unit_group_score
),

final as (
    select
        unit_code,
        any_value(province_code) as province_code,
        period_type,
        period_key,
        min(period_start) as period_start,
        max(period_end) as period_end,
        watch_date,
        max(score) filter (where group_code = 'TOTAL') as total_score,
        max(score) filter (where group_code = 'CKMB') as score_ckmb,
        max(score) filter (where group_code = 'TDGQ') as score_tdgq,
        max(score) filter (where group_code = 'CLGQ') as score_clgq,
        max(score) filter (where group_code = 'TTTT') as score_tttt,
        max(score) filter (where group_code = 'MDHL') as score_mdhl,
        max(score) filter (where group_code = 'MDSH') as score_mdsh,
        max(rank_in_scope) filter (where group_code = 'TOTAL') as rank_in_scope,
        max(rank_scope_size) filter (where group_code = 'TOTAL') as rank_scope_size,
        max(rank_scope) filter (where group_code = 'TOTAL') as rank_scope,
        max(capture_id) filter (where group_code = 'TOTAL') as capture_id,
        count(distinct capture_id) as score_capture_count,
        max(captured_at) as captured_at
    from groups
    group by unit_code, period_type, period_key, watch_date
)

select * from final
