-- Mart: each unit's total and six group scores per period, with its rank.
-- incremental: year
-- grain: one row per unit × period
-- key: unit_code, period_type, period_key
-- time column: period_start .. period_end; captured_at is the latest capture used in the row
-- One capture per figure, picked in fct_unit_group_score by the one order docs/warehouse.md writes
-- down ("Which capture a figure comes from"): the total score and the rank come from one capture
-- (capture_id; the rank is that capture's ranking of that score), and each group from that same
-- capture when it carries the group (a province's national ranking carries all six), else from the
-- first capture in the order that does (a unit's groups come from the group endpoints).
-- score_capture_count says how many captures the row's scores come from; as_of is late when any
-- group of the row had no capture on the month's last day.
with groups as not materialized (
    select * from fct_unit_group_score
),

pivoted as (
    select
        unit_code,
        period_type,
        period_key,
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
        max(rank_scope_size) filter (where group_code = 'TOTAL') as rank_scope_size,
        max(rank_scope) filter (where group_code = 'TOTAL') as rank_scope,
        max(capture_id) filter (where group_code = 'TOTAL') as capture_id,
        max(captured_at) as captured_at,
        arg_max(source_api, (captured_at, capture_id)) as source_api,
        case
            when bool_or(as_of = 'late') then 'late'
            when bool_or(as_of = 'early') then 'early'
            when bool_or(as_of = 'on_time') then 'on_time'
        end as as_of,
        bool_or(derived) as derived,
        count(distinct capture_id) as score_capture_count
    from groups
    group by unit_code, period_type, period_key
),

final as (
    select
        unit_code,
        province_code,
        period_type,
        period_key,
        period_start,
        period_end,
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
        derived,
        score_capture_count,
        captured_at,
        as_of,
        source_api,
        capture_id
    from pivoted
)

select * from final
