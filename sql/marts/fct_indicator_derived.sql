-- Mart: year-to-date figures derived from month figures, for the month ends the portal can no
-- longer be asked about (it answers a `year` request with the running year as of today).
-- grain: one row per unit × indicator × ytd period × source endpoint
-- key: unit_code, indicator_code, period_type, period_key, capture_id
-- time column: period_start .. period_end (1 January .. the month end); captured_at is the latest
--              month capture used
-- Rule (the SQL twin of flows.derive_ytd): only indicators the catalogue marks `additive` (counts
-- of dossiers or petitions in the period); the latest capture of each month; the ytd at month M
-- exists only when every month 1..M is present with numerator and denominator; numerator and
-- denominator are the sums, value = 100 × numerator / denominator; scores, maxima and ranks are
-- not additive and stay null. capture_id = 'derived_' + the first 12 hex digits of the sha256 of
-- the month capture ids (sorted, comma-joined), as flows.derive_ytd names them.
with additive as (
    select indicator_code from dim_indicator where additive
),

month_rows as (
    select c.*
    from fct_indicator_capture as c
    semi join additive using (indicator_code)
    where c.period_type = 'month' and not c.derived
),

latest_month_rows as (
    select *, year(period_start) as year, month(period_start) as month
    from month_rows
    qualify row_number() over (
        partition by unit_code, province_code, indicator_code, group_code, endpoint, source_api, period_key
        order by captured_at desc, capture_id desc
    ) = 1
),

running as (
    select
        unit_code,
        province_code,
        indicator_code,
        group_code,
        endpoint,
        source_api,
        year,
        month,
        sum(numerator) over w as numerator,
        sum(denominator) over w as denominator,
        count(*) filter (where numerator is not null and denominator is not null) over w as good_months,
        max(captured_at) over w as captured_at,
        arg_max(scope, captured_at) over w as scope,
        list_sort(list(capture_id) over w) as month_captures
    from latest_month_rows
    window w as (
        partition by unit_code, province_code, indicator_code, group_code, endpoint, source_api, year
        order by month
        rows between unbounded preceding and current row
    )
),

final as (
    select
        unit_code,
        province_code,
        indicator_code,
        group_code,
        'ytd' as period_type,
        printf('%04d-YTD-%02d', year, month) as period_key,
        make_date(year, 1, 1) as period_start,
        last_day(make_date(year, month, 1)) as period_end,
        cast(numerator as bigint) as numerator,
        cast(denominator as bigint) as denominator,
        case when denominator = 0 then null else 100.0 * numerator / denominator end as value,
        cast(null as double) as score,
        cast(null as double) as max_score,
        'DERIVED' as quality_flag,
        true as derived,
        captured_at,
        source_api,
        endpoint,
        scope,
        'derived_' || left(sha256(array_to_string(month_captures, ',')), 12) as capture_id,
        sha256(array_to_string(month_captures, ',')) as raw_sha256
    from running
    where good_months = month
)

select * from final
