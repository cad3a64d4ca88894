-- Mart: every captured (or derived) indicator value, so the portal's revisions can be traced.
-- grain: one row per unit × indicator × period × capture
-- key: unit_code, indicator_code, period_type, period_key, capture_id
-- time column: captured_at (period columns: period_start, period_end)
-- A capture relanded under another batch is the same capture: its duplicate rows collapse here.
with landed as (
    select * from stg_landing__indicator_values
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
    qualify row_number() over (
        partition by unit_code, indicator_code, period_type, period_key, capture_id
        order by raw_sha256
    ) = 1
)

select * from final
