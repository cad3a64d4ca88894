-- Staging: landing dataset `units_seen`, typed, no business logic.
-- grain: one row per unit × capture (what the portal called the unit then)
-- key: unit_code, capture_id
-- time column: captured_at
with source as (
    select * from {{ landing('units_seen') }}
),

typed as (
    select
        cast(unit_code as varchar) as unit_code,
        cast(province_code as varchar) as province_code,
        cast(unit_id as varchar) as unit_id,
        cast(unit_name as varchar) as unit_name,
        cast(unit_kind as varchar) as unit_kind,
        cast(parent_code as varchar) as parent_code,
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
        cast(derived as boolean) as derived,
        cast(filename as varchar) as source_file
    from source
)

select * from typed
