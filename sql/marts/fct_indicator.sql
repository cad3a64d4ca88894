-- Mart: the current value of each indicator for each unit and period.
-- grain: one row per unit × indicator × period
-- key: unit_code, indicator_code, period_type, period_key
-- time column: period_start .. period_end; captured_at says which capture the figure comes from
-- Rule: a captured value wins over a derived one (a ytd summed from months, fct_indicator_derived)
-- for the same key;
-- among captured values the latest capture wins (the portal revises past periods).
-- Speed: most figures were captured once. Only where a province × period × indicator has several
-- captures (a refresh, a derived ytd, two endpoints) are its rows ranked; the rest pass straight
-- through, which keeps the build fast on millions of rows.
with captures as (
    select * exclude (scope, raw_sha256) from fct_indicator_capture
    union all
    select * exclude (scope, raw_sha256) from fct_indicator_derived
),

contested as (
    select period_type, period_key, province_code, indicator_code
    from captures
    group by period_type, period_key, province_code, indicator_code
    having count(distinct capture_id) > 1
),

uncontested_rows as (
    select *
    from captures
    anti join contested using (period_type, period_key, province_code, indicator_code)
),

latest_contested_rows as (
    select *
    from captures
    semi join contested using (period_type, period_key, province_code, indicator_code)
    qualify row_number() over (
        partition by unit_code, indicator_code, period_type, period_key
        order by derived asc, captured_at desc, capture_id desc
    ) = 1
),

latest as (
    select * from uncontested_rows
    union all
    select * from latest_contested_rows
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
