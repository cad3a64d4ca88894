-- rpt_province_summary: a province's year-to-date figures at each month end next to those at the previous
-- incremental: year
-- lookback: 1 year
-- month end, with the change. Section I of the monthly appendix is assembled from this table by
-- warehouse/report_data.py; warehouse/appendix_lines.py says which indicator each line reads and whether
-- it prints the indicator itself (count, rate) or its complement (rest_count, rest_rate).
--
-- grain: one row per province × ytd period × indicator.
-- key: province_code, period_key, indicator_code
--
-- count = numerator, total = denominator (whole numbers); rate = value rounded half-up to 2 decimals on
-- exact decimals; rest_count = total − count and rest_rate = 100 − rate (dossiers not synced, overdue
-- share, not paid online). Rates are rounded before differencing, so each change equals the difference
-- of the two printed figures: counts change in counts, rates in percentage points.
-- prev_* = the ytd period ending one month earlier (2023-YTD-09 for 2023-YTD-10); null when that month
-- end was not captured, and then the change is null too (never a change against zero).

with

provinces as (
    select distinct unit_code as province_code
    from dim_unit
    where unit_kind = 'province'
),

ytd as (
    select
        f.unit_code as province_code,
        f.indicator_code,
        f.period_key,
        f.period_start,
        f.period_end,
        year(f.period_end) * 12 + month(f.period_end) as month_index,
        cast(round(f.numerator) as bigint) as count_value,
        cast(round(f.denominator) as bigint) as total_value,
        half_up(f.value, 2) as rate,
        f.captured_at
    from fct_indicator as f
    inner join provinces as p on p.province_code = f.unit_code
    where f.period_type = 'ytd'
),

figures as (
    select
        *,
        total_value - count_value as rest_count,
        100 - rate as rest_rate
    from ytd
),

paired as (
    select
        cur.*,
        prev.period_key as prev_period_key,
        prev.period_end as prev_period_end,
        prev.count_value as prev_count_value,
        prev.total_value as prev_total_value,
        prev.rate as prev_rate,
        prev.rest_count as prev_rest_count,
        prev.rest_rate as prev_rest_rate,
        prev.captured_at as prev_captured_at
    from figures as cur
    left join figures as prev
        on prev.province_code = cur.province_code
        and prev.indicator_code = cur.indicator_code
        and prev.month_index = cur.month_index - 1
)

select
    province_code,
    period_key,
    period_start,
    period_end,
    indicator_code,
    count_value,
    total_value,
    rate,
    rest_count,
    rest_rate,
    captured_at,
    prev_period_key,
    prev_period_end,
    prev_count_value,
    prev_total_value,
    prev_rate,
    prev_rest_count,
    prev_rest_rate,
    prev_captured_at,
    count_value - prev_count_value as change_count,
    total_value - prev_total_value as change_total,
    rate - prev_rate as change_rate,
    rest_count - prev_rest_count as change_rest_count,
    rest_rate - prev_rest_rate as change_rest_rate
from paired
order by province_code, period_key, indicator_code
