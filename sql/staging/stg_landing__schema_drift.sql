-- Staging: landing dataset `schema_drift`, typed, no business logic.
-- grain: one row per field the source contract did not know × capture
-- key: endpoint, field_path, capture_id
-- time column: captured_at
with source as (
    select * from {{ landing('schema_drift') }}
),

typed as (
    select
        cast(field_path as varchar) as field_path,
        cast(example_value as varchar) as example_value,
        cast(period_type as varchar) as period_type,
        cast(period_key as varchar) as period_key,
        cast(captured_at as timestamptz) as captured_at,
        cast(source_api as varchar) as source_api,
        cast(endpoint as varchar) as endpoint,
        cast(scope as varchar) as scope,
        cast(capture_id as varchar) as capture_id,
        cast(filename as varchar) as source_file
    from source
)

select * from typed
