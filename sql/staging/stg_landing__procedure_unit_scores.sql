-- Staging: landing dataset `procedure_unit_scores`, typed, no business logic.
-- grain: one row per unit × procedure × group × period × capture (a per-procedure answer)
-- key: unit_code, formality_id, group_code, period_type, period_key, capture_id
-- time column: captured_at
with source as (
    select * from {{ landing('procedure_unit_scores') }}
),

typed as (
    select
        cast(unit_code as varchar) as unit_code,
        cast(formality_id as varchar) as formality_id,
        cast(province_code as varchar) as province_code,
        cast(group_code as varchar) as group_code,
        cast(score as double) as score,
        cast(max_score as double) as max_score,
        cast(ratio as double) as ratio,
        cast(period_type as varchar) as period_type,
        cast(period_key as varchar) as period_key,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(captured_at as timestamptz) as captured_at,
        cast(source_api as varchar) as source_api,
        cast(endpoint as varchar) as endpoint,
        cast(scope as varchar) as scope,
        cast(capture_id as varchar) as capture_id,
        cast(raw_sha256 as varchar) as raw_sha256,
        cast(filename as varchar) as source_file
    from source
)

select * from typed
