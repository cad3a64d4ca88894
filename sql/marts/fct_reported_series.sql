-- Mart: the portal's own month-by-month series of the year, as each capture reported them
-- (service-results monthlyChart/dossierChart, the progress and online-service trees' monthlyChart).
-- incremental: year
-- grain: one row per unit × series × month × capture
-- key: unit_code, series_code, series_month, capture_id
-- time column: captured_at (series_month is the month the value is about; period_* the capture's)
-- is_current: the latest capture's value of that unit × series × month, whichever period it was
-- asked for (the year view of October reports January again: the latest report wins, every
-- capture is kept). A capture landed twice (two batches) counts once, as in fct_indicator_capture.
with landed as not materialized (
    select * from stg_landing__reported_series
),

capture_files as (
    select capture_id, min(source_file) as source_file
    from landed
    group by capture_id
),

series as (
    select * from landed
    semi join capture_files using (capture_id, source_file)
),

final as (
    select
        unit_code,
        province_code,
        series_code,
        series_month,
        cast(series_month || '-01' as date) as month_start,
        value,
        period_type,
        period_key,
        period_start,
        period_end,
        captured_at,
        source_api,
        endpoint,
        capture_id,
        row_number() over (
            partition by unit_code, series_code, series_month
            order by captured_at desc, capture_id desc
        ) = 1 as is_current
    from series
)

select * from final
