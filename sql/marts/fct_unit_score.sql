-- Mart: each unit's total and six group scores per period, with its rank.
-- incremental: year
-- grain: one row per unit × period
-- key: unit_code, period_type, period_key
-- time column: period_start .. period_end; captured_at is the latest capture used in the row
-- Scores: for each group (and TOTAL) the latest capture wins, a captured value before a derived
-- one; for a ytd period a capture on the month's last day before a late one (as_of), so a late
-- snapshot never replaces the month-end figure; as_of says which kind the row used. Groups can come from different endpoints captured at different times (a province's TDGQ
-- from dvc-progress-tree, its ranking from service-results); score_capture_count says how many
-- captures the row mixes. Rank: taken from the TOTAL rows; a province's rank comes from a
-- national-scope capture (rank among the 34) when there is one, any other unit's rank from a
-- capture scoped to its province (rank among the province's units); then the latest capture.
-- Captures taken while their period ran (the daily watch's: captured_running in sql/macros.sql) are
-- not used: they are fct_daily_unit_score's, and never stand for an ended period or a month end.
with scores as not materialized (
    select * from stg_landing__unit_scores
    where not captured_running(period_type, period_end, captured_at)
),

latest_per_group as (
    select *
    from scores
    qualify row_number() over (
        partition by unit_code, period_type, period_key, group_code
        order by derived asc, coalesce(as_of, 'on_time') <> 'on_time', captured_at desc, capture_id desc
    ) = 1
),

ranks as (
    select
        unit_code,
        period_type,
        period_key,
        rank_in_scope,
        rank_scope_size,
        scope as rank_scope
    from scores
    where group_code = 'TOTAL' and rank_in_scope is not null
    qualify row_number() over (
        partition by unit_code, period_type, period_key
        order by
            case
                when unit_code = province_code and scope = 'national' then 0
                when unit_code <> province_code and scope <> 'national' then 0
                else 1
            end,
            derived asc,
            coalesce(as_of, 'on_time') <> 'on_time',
            captured_at desc,
            capture_id desc
    ) = 1
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
        max(captured_at) as captured_at,
        arg_max(source_api, captured_at) as source_api,
        -- late when any group of the row had no capture on the month's last day (only a late one)
        case
            when bool_or(as_of = 'late') then 'late'
            when bool_or(as_of = 'early') then 'early'
            when bool_or(as_of = 'on_time') then 'on_time'
        end as as_of,
        bool_or(derived) as derived,
        count(distinct capture_id) as score_capture_count
    from latest_per_group
    group by unit_code, period_type, period_key
),

final as (
    select
        pivoted.unit_code,
        pivoted.province_code,
        pivoted.period_type,
        pivoted.period_key,
        pivoted.period_start,
        pivoted.period_end,
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
        pivoted.derived,
        pivoted.score_capture_count,
        pivoted.captured_at,
        pivoted.as_of,
        pivoted.source_api
    from pivoted
    left join ranks
        on ranks.unit_code = pivoted.unit_code
        and ranks.period_type = pivoted.period_type
        and ranks.period_key = pivoted.period_key
)

select * from final
