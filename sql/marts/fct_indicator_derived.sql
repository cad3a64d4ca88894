-- Mart: year-to-date figures derived from month figures, for the month ends the portal can no
-- longer be asked about (it answers a `year` request with the running year as of today).
-- incremental: year
-- joins: as written
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
-- is_current: this row is the value fct_indicator shows: no landed value exists for its unit ×
-- indicator × ytd period (a landed one always wins), and it is the latest derived one (the same
-- figure can be derived from two endpoints' months).
-- Speed (3 million rows for 60 months × 34 provinces): a month is ranked only where its request
-- was captured more than once, the capture chains are hashed once per request series and month end
-- (per row only where a month was captured twice), and only keys derived twice are ranked.
with additive as (
    select indicator_code from dim_indicator where additive
),

month_rows as not materialized (
    select
        c.unit_code,
        c.province_code,
        c.indicator_code,
        c.group_code,
        c.endpoint,
        c.source_api,
        c.scope,
        c.period_key,
        c.period_start,
        c.numerator,
        c.denominator,
        c.captured_at,
        c.capture_id
    from fct_indicator_capture as c
    semi join additive using (indicator_code)
    where c.period_type = 'month' and not c.derived
),

-- Each request (province × endpoint × API × month): how many captures it has. Two captures of one
-- series' month need the same request asked twice.
request_captures as (
    select
        province_code,
        endpoint,
        source_api,
        period_key,
        period_start,
        count(distinct capture_id) as captures,
        min(capture_id) as capture_id
    from month_rows
    group by province_code, endpoint, source_api, period_key, period_start
),

recaptured as (
    select province_code, endpoint, source_api, period_key
    from request_captures
    where captures > 1
),

latest_month_rows as not materialized (
    select *
    from month_rows
    anti join recaptured using (province_code, endpoint, source_api, period_key)
    union all
    select *
    from month_rows
    semi join recaptured using (province_code, endpoint, source_api, period_key)
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
        year(period_start) as year,
        month(period_start) as month,
        sum(numerator) over w as numerator,
        sum(denominator) over w as denominator,
        count(*) filter (where numerator is not null and denominator is not null) over w as good_months,
        max(captured_at) over w as captured_at,
        arg_max(scope, captured_at) over w as scope
    from latest_month_rows
    window
        w as (
            partition by unit_code, province_code, indicator_code, group_code, endpoint, source_api,
                year(period_start)
            order by month(period_start)
            rows between unbounded preceding and current row
        )
),

-- A ytd row is named after the chain of its months' captures. Where every month of a request
-- series was captured once, every unit's chain is the requests' chain: hashed once per province ×
-- endpoint × month end (a few thousand), not once per row (millions).
request_chains as (
    select
        province_code,
        endpoint,
        source_api,
        year(period_start) as year,
        month(period_start) as month,
        max(captures) over w as most_captures,
        sha256(array_to_string(list_sort(list(capture_id) over w), ',')) as chain_sha256
    from request_captures
    window
        w as (
            partition by province_code, endpoint, source_api, year(period_start)
            order by month(period_start)
            rows between unbounded preceding and current row
        )
),

-- Series with a month captured twice (rare): there a unit's latest captures are its own, so its
-- chain is hashed per row, as the rule says.
recaptured_years as (
    select distinct province_code, endpoint, source_api, year(period_start) as year
    from request_captures
    where captures > 1
),

unit_chains as (
    select
        unit_code,
        province_code,
        indicator_code,
        group_code,
        endpoint,
        source_api,
        year(period_start) as year,
        month(period_start) as month,
        sha256(array_to_string(list_sort(list(capture_id) over w), ',')) as chain_sha256
    from latest_month_rows
    semi join recaptured_years as r
        on r.province_code = latest_month_rows.province_code
        and r.endpoint = latest_month_rows.endpoint
        and r.source_api = latest_month_rows.source_api
        and r.year = year(latest_month_rows.period_start)
    window
        w as (
            partition by unit_code, province_code, indicator_code, group_code, endpoint, source_api,
                year(period_start)
            order by month(period_start)
            rows between unbounded preceding and current row
        )
),

complete as (
    select
        running.*,
        coalesce(unit_chains.chain_sha256, request_chains.chain_sha256) as chain_sha256
    from running
    left join request_chains
        on request_chains.province_code = running.province_code
        and request_chains.endpoint = running.endpoint
        and request_chains.source_api = running.source_api
        and request_chains.year = running.year
        and request_chains.month = running.month
        and request_chains.most_captures = 1
    left join unit_chains
        on unit_chains.unit_code = running.unit_code
        and unit_chains.province_code = running.province_code
        and unit_chains.indicator_code = running.indicator_code
        and unit_chains.group_code = running.group_code
        and unit_chains.endpoint = running.endpoint
        and unit_chains.source_api = running.source_api
        and unit_chains.year = running.year
        and unit_chains.month = running.month
    where running.good_months = running.month
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
        'derived_' || left(chain_sha256, 12) as capture_id,
        chain_sha256 as raw_sha256
    from complete
),

landed_keys as (
    select distinct unit_code, indicator_code, period_type, period_key
    from fct_indicator_capture
    where period_type = 'ytd'
),

-- A unit × indicator can be derived twice for one ytd period only when its months come from two
-- series (two endpoints or APIs): rare. Those units' ytd rows are derived again here, from their
-- own few month rows (the same rule as `running` and `final`), to find the rows that lose; reading
-- `final` a second time would compute every series' running sums twice.
two_series as (
    select unit_code, indicator_code
    from latest_month_rows
    group by unit_code, indicator_code
    having count(distinct (group_code, endpoint, source_api)) > 1
),

two_series_ytd as (
    select
        unit_code,
        indicator_code,
        printf('%04d-YTD-%02d', year(period_start), month(period_start)) as period_key,
        max(captured_at) over w as ytd_captured_at,
        'derived_' || left(sha256(array_to_string(list_sort(list(capture_id) over w), ',')), 12) as ytd_capture_id,
        count(*) filter (where numerator is not null and denominator is not null) over w as good_months,
        month(period_start) as month
    from latest_month_rows
    semi join two_series using (unit_code, indicator_code)
    window w as (
        partition by unit_code, province_code, indicator_code, group_code, endpoint, source_api, year(period_start)
        order by month(period_start)
        rows between unbounded preceding and current row
    )
),

superseded as (
    select unit_code, indicator_code, period_key, ytd_capture_id as capture_id
    from two_series_ytd
    where good_months = month
    qualify row_number() over (
        partition by unit_code, indicator_code, period_key
        order by ytd_captured_at desc, ytd_capture_id desc
    ) > 1
),

flagged as (
    select
        final.*,
        landed_keys.unit_code is null
        and (final.unit_code, final.indicator_code, final.period_key, final.capture_id) not in (
            select (unit_code, indicator_code, period_key, capture_id) from superseded
        ) as is_current
    from final
    left join landed_keys
        on landed_keys.unit_code = final.unit_code
        and landed_keys.indicator_code = final.indicator_code
        and landed_keys.period_key = final.period_key
)

select * from flagged
