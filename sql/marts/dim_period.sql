-- Mart: every reporting period in the landing zone, and the ytd periods derived from months.
-- incremental: year
-- grain: one row per period
-- key: period_type, period_key
-- time column: period_start .. period_end (inclusive dates)
-- number: month (1-12) for month and ytd, quarter (1-4) for quarter, 0 for year (dvc766.periods).
-- Periods come from the built facts (a few columns of tables) rather than from every landing file
-- again; units_seen has no fact of its own with the period's dates, so it is read as landed.
-- A period seen only in the daily watch's captures of running periods is not here (yet): it has no
-- figure in the facts until it ends (fct_daily_* hold its days).
with score_periods as (
    select period_type, period_key, min(period_start) as period_start, max(period_end) as period_end
    from fct_unit_score
    group by period_type, period_key
),

indicator_periods as (
    select period_type, period_key, min(period_start) as period_start, max(period_end) as period_end
    from fct_indicator_capture
    group by period_type, period_key
),

unit_periods as (
    select period_type, period_key, min(period_start) as period_start, max(period_end) as period_end
    from stg_landing__units_seen
    where not captured_running(period_type, period_end, captured_at)
    group by period_type, period_key
),

derived_periods as (
    select period_type, period_key, min(period_start) as period_start, max(period_end) as period_end
    from fct_indicator_derived
    group by period_type, period_key
),

landed as (
    select * from derived_periods
    union all
    select * from score_periods
    union all
    select * from indicator_periods
    union all
    select * from unit_periods
),

periods as (
    select
        period_type,
        period_key,
        min(period_start) as period_start,
        max(period_end) as period_end
    from landed
    group by period_type, period_key
),

final as (
    select
        period_key,
        period_type,
        year(period_end) as year,
        case period_type
            when 'month' then month(period_end)
            when 'ytd' then month(period_end)
            when 'quarter' then quarter(period_end)
            else 0
        end as number,
        period_start,
        period_end,
        case period_type
            when 'month' then 'Tháng ' || month(period_end) || '/' || year(period_end)
            when 'quarter' then 'Quý ' || quarter(period_end) || '/' || year(period_end)
            when 'year' then 'Năm ' || year(period_end)
            else 'Lũy kế đến ' || strftime(period_end, '%d/%m/%Y')
        end as label_vi
    from periods
)

select * from final
order by period_start, period_type
