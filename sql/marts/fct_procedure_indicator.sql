-- Mart: each indicator of one administrative procedure (TTHC) in one unit and period: the share of
-- the unit's figures that procedure accounts for (the drill-down), every capture kept.
-- incremental: year
-- grain: one row per unit × procedure × indicator × period × capture
-- key: unit_code, formality_id, indicator_code, period_type, period_key, capture_id
-- time column: captured_at (period columns: period_start, period_end)
-- is_current: the latest capture of that unit × procedure × indicator × period (the portal revises),
-- by the warehouse's one order (docs/warehouse.md, "Which capture a figure comes from").
-- The group scores of a procedure's answers are rows too (indicator_code = the group code:
-- TDGQ, CLGQ, …), so one table answers "which procedures pull a group down". formality_code is the
-- procedure's code as the catalogue gives it (null until the catalogue holds the procedure).
with indicators as (
    select
        unit_code, formality_id, province_code, indicator_code, group_code, numerator, denominator, value,
        score, max_score, quality_flag, period_type, period_key, period_start, period_end, captured_at,
        endpoint, scope, capture_id, source_file
    from stg_landing__procedure_indicator_values
),

scores as (
    select
        unit_code, formality_id, province_code, group_code as indicator_code, group_code,
        cast(null as bigint) as numerator, cast(null as bigint) as denominator, ratio as value,
        score, max_score, cast(null as varchar) as quality_flag, period_type, period_key, period_start,
        period_end, captured_at, endpoint, scope, capture_id, source_file
    from stg_landing__procedure_unit_scores
),

-- A capture landed twice (two batches) counts once: its first file of each dataset. Per dataset,
-- since a capture's indicators and its group scores land in two files (procedure_indicator_values,
-- procedure_unit_scores): one file per capture dropped every group score. Keyed with the scope too:
-- two procedures with no dossiers can get byte-identical answers within one second, so one capture
-- id, yet they are two answers.
capture_files as (
    select capture_id, scope, min(source_file) as source_file
    from indicators
    group by capture_id, scope
    union all
    select capture_id, scope, min(source_file) as source_file
    from scores
    group by capture_id, scope
),

rows as (
    select * from indicators
    union all by name
    select * from scores
),

codes as (
    select formality_id, formality_code
    from dim_formality
    qualify row_number() over (partition by formality_id order by valid_from desc) = 1
),

final as (
    select
        r.unit_code,
        r.province_code,
        r.formality_id,
        c.formality_code,
        r.indicator_code,
        r.group_code,
        r.period_type,
        r.period_key,
        r.period_start,
        r.period_end,
        r.numerator,
        r.denominator,
        r.value,
        r.score,
        r.max_score,
        r.quality_flag,
        r.captured_at,
        r.endpoint,
        r.scope,
        r.capture_id,
        row_number() over (
            partition by r.unit_code, r.formality_id, r.indicator_code, r.period_type, r.period_key
            order by r.captured_at desc, r.capture_id desc
        ) = 1 as is_current
    from rows as r
    semi join capture_files using (capture_id, scope, source_file)
    left join codes as c on c.formality_id = r.formality_id
)

select * from final
