-- Mart: every captured (or derived) indicator value, so the portal's revisions can be traced.
-- grain: one row per unit × indicator × period × capture
-- key: unit_code, indicator_code, period_type, period_key, capture_id
-- time column: captured_at (period columns: period_start, period_end)
-- A capture's rows land together in one file; should the same capture be landed again under
-- another batch (another file), only its first file counts, so its rows are not doubled.
with landed as (
    select * from stg_landing__indicator_values
),

capture_files as (
    select capture_id, min(source_file) as source_file
    from landed
    group by capture_id
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
        numerator,
        denominator,
        value,
        score,
        max_score,
        quality_flag,
        derived,
        captured_at,
        source_api,
        endpoint,
        scope,
        capture_id,
        raw_sha256
    from landed
    semi join capture_files using (capture_id, source_file)
)

select * from final
