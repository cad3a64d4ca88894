-- Staging: landing dataset `unit_scores`, typed, no business logic.
-- grain: one row per unit × group (or TOTAL) × period × capture, as landed
-- key: unit_code, group_code, period_type, period_key, capture_id
-- time column: captured_at; as_of: on_time | late | early for ytd captures (see below) (period columns: period_start, period_end)
-- {{ landing('unit_scores') }} is replaced by the runner with a read_parquet() over the landing
-- files, or with an empty relation of the same schema when the dataset has no files yet.
-- source_file (lineage) is the landing file a row was read from.
with source as (
    select * from {{ landing('unit_scores') }}
),

typed as (
    select
        cast(unit_code as varchar) as unit_code,
        cast(province_code as varchar) as province_code,
        cast(group_code as varchar) as group_code,
        cast(score as double) as score,
        cast(max_score as double) as max_score,
        cast(ratio as double) as ratio,
        cast(rank_in_scope as integer) as rank_in_scope,
        cast(rank_scope_size as integer) as rank_scope_size,
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
