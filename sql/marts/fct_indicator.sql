-- Mart: the current value of each indicator for each unit and period.
-- grain: one row per unit × indicator × period
-- key: unit_code, indicator_code, period_type, period_key
-- time column: period_start .. period_end; captured_at says which capture the figure comes from
-- Rule: a captured value wins over a derived one (e.g. a ytd summed from months) for the same key;
-- among captured values the latest capture wins (the portal revises past periods).
with captures as (
    select * from fct_indicator_capture
),

latest as (
    select *
    from captures
    qualify row_number() over (
        partition by unit_code, indicator_code, period_type, period_key
        order by derived asc, captured_at desc, capture_id desc
    ) = 1
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
        capture_id
    from latest
)

select * from final
