-- Staging: landing dataset `reported_series`, typed, no business logic.
-- grain: one row per unit × series × month × capture (a month series as one capture reports it)
-- key: unit_code, series_code, series_month, capture_id
-- time column: captured_at
with source as (
    select * from {{ landing('reported_series') }}
),

typed as (
    select
        cast(unit_code as varchar) as unit_code,
        cast(province_code as varchar) as province_code,
        cast(series_code as varchar) as series_code,
        cast(series_month as varchar) as series_month,
        cast(value as double) as value,
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
