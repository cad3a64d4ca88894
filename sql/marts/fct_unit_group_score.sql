-- Mart: the figure behind each score of fct_unit_score, one row per group: the capture it came from,
-- its maximum and its ratio (the portal's totalMaxScore/maxScore and ratio of the unit's row).
-- incremental: year
-- grain: one row per unit × group (or TOTAL) × period
-- key: unit_code, group_code, period_type, period_key
-- time column: captured_at (period columns: period_start, period_end)
-- Which capture a figure comes from is one total order, written once in docs/warehouse.md ("Which
-- capture a figure comes from"): a captured figure before a derived one; for a ytd period a capture
-- taken on the month's last day before a late or early one (as_of); then the later captured_at;
-- then the greater capture_id (captures of the same second: a fixed, arbitrary order). A unit's row
-- is anchored first: its TOTAL comes from the first capture in that order, where a capture that
-- ranks the unit in its own scope (the national ranking for a province, its province's answer for
-- a unit) goes before one that does not at the same as_of, and the rank is that capture's ranking
-- of that score, never another capture's. Each group then comes from that same capture when it
-- carries the group, else from the first capture in the order that does. So a province's total,
-- rank and six groups come from one national ranking, and two captures taken at the same second
-- never mix in one row.
with scores as not materialized (
    select
        *,
        coalesce(as_of, 'on_time') <> 'on_time' as off_month_end,
        group_code = 'TOTAL' and rank_in_scope is not null
        and (unit_code = province_code) = (scope = 'national') as ranks_in_own_scope
    from stg_landing__unit_scores
),

row_capture as (
    select unit_code, period_type, period_key, capture_id as row_capture_id
    from scores
    where group_code = 'TOTAL'
    qualify row_number() over (
        partition by unit_code, period_type, period_key
        order by derived asc, off_month_end asc, ranks_in_own_scope desc, captured_at desc, capture_id desc
    ) = 1
),

picked as (
    select
        s.*,
        s.capture_id = r.row_capture_id as from_row_capture
    from scores as s
    left join row_capture as r
        on r.unit_code = s.unit_code
        and r.period_type = s.period_type
        and r.period_key = s.period_key
    qualify row_number() over (
        partition by s.unit_code, s.period_type, s.period_key, s.group_code
        order by
            s.derived asc,
            s.off_month_end asc,
            coalesce(s.capture_id = r.row_capture_id and (s.score is not null or s.group_code = 'TOTAL'), false)
                desc,
            s.captured_at desc,
            s.capture_id desc
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
        score,
        max_score,
        ratio,
        rank_in_scope,
        rank_scope_size,
        case when rank_in_scope is not null then scope end as rank_scope,
        derived,
        captured_at,
        as_of,
        source_api,
        endpoint,
        scope,
        capture_id,
        raw_sha256
    from picked
)

select * from final
