-- Mart: each indicator of each unit as the daily watch saw it, one row per day.
-- incremental: year
-- grain: one row per unit × indicator × running period × watch day
-- key: unit_code, indicator_code, period_type, period_key, watch_date
-- time column: watch_date (the Vietnam-time day of the capture)
-- The same captures as fct_daily_unit_score (taken while their period ran, and the year to date on
-- its month's last day); per unit × indicator × day the latest capture of the day. A capture landed
-- twice (two batches) counts once, as in fct_indicator_capture.
with daily as not materialized (
    select
        *,
        cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date) as watch_date
    from stg_landing__indicator_values
    where not derived
      and (captured_running(period_type, period_end, captured_at) or as_of = 'on_time')
),

final as (
    select
        unit_code,
        province_code,
        indicator_code,
        group_code,
        period_type,
        period_key,
        period_start,
        period_end,
        watch_date,
        numerator,
        denominator,
        value,
        score,
        max_score,
        quality_flag,
        captured_at,
        endpoint,
        capture_id
    from daily
    qualify row_number() over (
        partition by unit_code, indicator_code, period_type, period_key, watch_date
        order by captured_at desc, capture_id desc, source_file
    ) = 1
)

select * from final
