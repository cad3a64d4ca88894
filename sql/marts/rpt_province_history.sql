-- Report: each of the 34 provinces' score series across the 2025 reorganisation, with the series of
-- incremental: year
-- the pre-merger provinces it was formed from side by side (never combined).
-- grain: one row per new province × series (the province itself, or one predecessor) × period
-- key: new_code, series_code, period_type, period_key
-- time column: period_start .. period_end
-- Which structure a row belongs to: the legacy gateway ranked the 63 old provinces for periods
-- ending before 2025-07-01; every v1 answer, and legacy answers for later periods, rank the 34.
-- A pre-merger row is attached to its new province through dim_province_merger by the name the
-- portal gave the unit for that period ("UBND tỉnh Bắc Kạn" → Bắc Kạn → H55), because absorbed
-- provinces had codes of their own. A province that kept its name keeps its code, so Thái Nguyên's
-- pre-merger series and H55's later series share series_code H55 (series_role 'same_name').
-- Scores and ranks are each series' own: never summed or averaged across merged provinces (a
-- 63-province rank and a 34-province rank are not comparable either; see rank_scope_size).
with scores as (
    select * from fct_unit_score
    where unit_code = province_code and unit_code not like '%.%'
),

merger as (
    select * from dim_province_merger
),

-- The name each province-level unit had in each period (latest capture of that period).
names as (
    select
        unit_code,
        period_type,
        period_key,
        arg_max(unit_name, (captured_at, capture_id)) as unit_name
    from stg_landing__units_seen
    where unit_code = province_code and unit_name is not null
    group by unit_code, period_type, period_key
),

before_merger as (
    select
        merger.new_code,
        merger.old_province as series_name,
        case when merger.keeps_name then 'same_name' else 'absorbed' end as series_role,
        'before_merger' as era,
        scores.*
    from scores
    join names using (unit_code, period_type, period_key)
    join merger
        on lower(nfc_normalize(merger.old_province)) = lower(
            trim(regexp_replace(nfc_normalize(names.unit_name), '^\s*UBND\s+(tỉnh|thành\s+phố)\s+', '', 'i'))
        )
    where scores.source_api = 'legacy' and scores.period_end < date '2025-07-01'
),

after_merger as (
    select
        scores.unit_code as new_code,
        province.new_province as series_name,
        'province' as series_role,
        'after_merger' as era,
        scores.*
    from scores
    join (select distinct new_code, new_province from merger) as province
        on province.new_code = scores.unit_code
    where not (scores.source_api = 'legacy' and scores.period_end < date '2025-07-01')
),

predecessors as (
    select * from province_predecessors
),

final as (
    select
        series.new_code,
        predecessors.new_province,
        predecessors.predecessor_count,
        series.era,
        series.unit_code as series_code,
        series.series_name,
        series.series_role,
        series.period_type,
        series.period_key,
        series.period_start,
        series.period_end,
        series.total_score,
        series.score_ckmb,
        series.score_tdgq,
        series.score_clgq,
        series.score_tttt,
        series.score_mdhl,
        series.score_mdsh,
        series.rank_in_scope,
        series.rank_scope_size,
        series.rank_scope,
        series.source_api,
        series.captured_at
    from (
        select * from before_merger
        union all by name
        select * from after_merger
    ) as series
    join predecessors on predecessors.new_code = series.new_code
)

select * from final
order by new_code, period_type, period_start, era, series_role desc, series_name
