-- Staging: landing dataset `indicator_values`, typed, no business logic.
-- grain: one row per unit × indicator × period × capture, as landed
-- key: unit_code, indicator_code, period_type, period_key, capture_id
-- time column: captured_at; as_of: on_time | late | early for ytd captures (see below) (period columns: period_start, period_end)
with source as (
    select * from {{ landing('indicator_values') }}
),

typed as (
    select
        cast(unit_code as varchar) as unit_code,
        cast(province_code as varchar) as province_code,
        cast(indicator_code as varchar) as indicator_code,
        cast(group_code as varchar) as group_code,
        cast(numerator as bigint) as numerator,
        cast(denominator as bigint) as denominator,
        cast(value as double) as value,
        cast(score as double) as score,
        cast(max_score as double) as max_score,
        cast(quality_flag as varchar) as quality_flag,
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

select
    *,
    -- A year-to-date figure is "as seen on the portal" on the day it was captured: on the month's
    -- last day (Vietnam time) it is the month-end figure; after it, a late one (October's first
    -- days); before it, an early one. Other periods are fixed spans: as_of is null.
    case
        when period_type <> 'ytd' then null
        when cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date) = period_end then 'on_time'
        when cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date) > period_end then 'late'
        else 'early'
    end as as_of
from typed
