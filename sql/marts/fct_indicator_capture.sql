-- Mart: every captured (or derived) indicator value, so the portal's revisions can be traced.
-- incremental: year
-- grain: one row per unit × indicator × period × capture
-- key: unit_code, indicator_code, period_type, period_key, capture_id
-- time column: captured_at (period columns: period_start, period_end)
-- A capture's rows land together in one file; should the same capture be landed again under
-- another batch (another file), only its first file counts, so its rows are not doubled.
-- is_current: this row is the value fct_indicator shows for its unit × indicator × period: among
-- landed values a captured one before a derived one; for a ytd period a capture taken on the month's
-- last day (as_of on_time) before a late or early one, so a late snapshot never replaces the
-- month-end figure (it is kept here, visible); then the latest capture (the portal revises past
-- periods). A landed value always wins over one the warehouse derives (fct_indicator_derived).
-- Captures taken while their period ran (the daily watch's running month and early year-to-date:
-- captured_running in sql/macros.sql) are not here but in fct_daily_indicator: a morning's partial
-- figure is not a capture of the period, and never replaces an ended month or a month end.
-- Speed: most figures were captured once. The ranking reads only the key and time columns, and
-- only where a province × period × indicator has several captures (a refresh, two endpoints); it
-- yields the few superseded rows, and every other row is current as it stands.
with landed as not materialized (
    select * from stg_landing__indicator_values
    where not captured_running(period_type, period_end, captured_at)
),

capture_files as (
    select capture_id, min(source_file) as source_file
    from landed
    group by capture_id
),

contested as (
    select period_type, period_key, province_code, indicator_code
    from landed
    group by period_type, period_key, province_code, indicator_code
    having count(distinct capture_id) > 1
),

superseded as (
    select distinct unit_code, indicator_code, period_type, period_key, capture_id
    from landed
    semi join contested using (period_type, period_key, province_code, indicator_code)
    qualify dense_rank() over (
        partition by unit_code, indicator_code, period_type, period_key
        order by derived asc, coalesce(as_of, 'on_time') <> 'on_time', captured_at desc, capture_id desc
    ) > 1
),

final as (
    select
        landed.unit_code,
        landed.province_code,
        landed.indicator_code,
        landed.group_code,
        landed.period_type,
        landed.period_key,
        landed.period_start,
        landed.period_end,
        landed.numerator,
        landed.denominator,
        landed.value,
        landed.score,
        landed.max_score,
        landed.quality_flag,
        landed.derived,
        landed.captured_at,
        landed.as_of,
        landed.source_api,
        landed.endpoint,
        landed.scope,
        landed.capture_id,
        landed.raw_sha256,
        superseded.capture_id is null as is_current
    from landed
    semi join capture_files using (capture_id, source_file)
    left join superseded
        on superseded.unit_code = landed.unit_code
        and superseded.indicator_code = landed.indicator_code
        and superseded.period_type = landed.period_type
        and superseded.period_key = landed.period_key
        and superseded.capture_id = landed.capture_id
)

select * from final
