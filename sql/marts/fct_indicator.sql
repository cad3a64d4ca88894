-- materialized: view
-- incremental: year
-- Mart (view): the current value of each indicator for each unit and period.
-- grain: one row per unit × indicator × period
-- key: unit_code, indicator_code, period_type, period_key
-- time column: period_start .. period_end; captured_at says which capture the figure comes from
-- Rule: a landed value wins over a value the warehouse derives (a ytd summed from months,
-- fct_indicator_derived) for the same key; among landed values a captured one wins over a derived
-- one, then the latest capture (the portal revises past periods); among derived values the latest.
-- Each fact table marks its winning rows `is_current`, so this view only filters and stacks them.
-- Why a view: it would repeat 9 of every 10 rows of the two fact tables; written out it was the
-- single most expensive step of a build (16.6 s of 84 s for 60 months × 34 provinces), and reading
-- it through the filter costs an analyst little (60 months: count(*) 0.06 s, one unit's series 0.05 s).
with current_rows as (
    select * exclude (scope, raw_sha256, is_current) from fct_indicator_capture where is_current
    union all by name
    select * exclude (scope, raw_sha256, is_current) from fct_indicator_derived where is_current
)

select
    unit_code,
    province_code,
    indicator_code,
    group_code,
    period_type,
    period_key,
    period_start,
    period_end,
    numerator,
    denominator,
    value,
    score,
    max_score,
    quality_flag,
    derived,
    captured_at,
    as_of,
    source_api,
    endpoint,
    capture_id
from current_rows
