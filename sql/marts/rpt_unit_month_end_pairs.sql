-- rpt_unit_month_end_pairs: each child unit's year-to-date figure at a month end next to the same unit's
-- incremental: year
-- lookback: 1 year
-- figure at the previous month end, with the unit's name and part as of that capture. The common base of
-- the appendix's per-unit tables (rpt_overdue_by_unit, rpt_online_service_by_unit,
-- rpt_online_payment_by_unit), which add only their own arithmetic, so the three cannot drift apart on
-- which units, names or order they show.
--
-- grain: one row per province × ytd period × child unit × measure (indicator_code).
-- key: indicator_code, province_code, period_key, unit_code
--
-- Source: fct_indicator ytd rows of child units (unit_code Hnn.x) of the indicators those tables show.
-- A period is a month end at which the province has a figure for the measure; a unit is listed in it when
-- it has a figure at that month end or at the previous one, the other side null (prev_period_key null
-- when the previous month end has none). cur_* / prev_* are the raw numerator, denominator and value.
-- unit_part is 'agency' (provincial departments, Hnn.xx) or 'local' (district/commune People's
-- Committees); part_order and sort_key order agencies first, then local units, each by unit code.

with

facts as (
    select
        f.indicator_code,
        split_part(f.unit_code, '.', 1) as province_code,
        f.unit_code,
        f.period_key,
        f.period_end,
        year(f.period_end) * 12 + month(f.period_end) as month_index,
        f.numerator,
        f.denominator,
        f.value,
        f.captured_at
    from fct_indicator as f
    where f.period_type = 'ytd'
      and f.indicator_code in ('PROGRESS_OVERDUE', 'ONLINE_SERVICE_RATE', 'PAYMENT_ONLINE_DOSSIER')
      and f.unit_code like '%.%'
),

periods as (
    select distinct indicator_code, province_code, period_key, period_end, month_index
    from facts
),

unit_periods as (
    select distinct p.indicator_code, p.province_code, p.period_key, p.period_end, p.month_index, f.unit_code
    from periods as p
    inner join facts as f
        on f.indicator_code = p.indicator_code
        and f.province_code = p.province_code
        and f.month_index in (p.month_index, p.month_index - 1)
),

unit_names as (
    -- The name and kind a unit had when this period was captured (latest version not after the capture),
    -- else its earliest version: a backfill may capture a 2023 period long after the unit was renamed.
    select
        up.indicator_code,
        up.province_code,
        up.period_key,
        up.unit_code,
        d.unit_name,
        d.unit_kind,
        row_number() over (
            partition by up.indicator_code, up.province_code, up.period_key, up.unit_code
            order by
                case when d.valid_from <= coalesce(cur.captured_at, up.period_end) then 0 else 1 end,
                case when d.valid_from <= coalesce(cur.captured_at, up.period_end) then d.valid_from end desc,
                d.valid_from
        ) as version_rank
    from unit_periods as up
    left join facts as cur
        on cur.indicator_code = up.indicator_code
        and cur.unit_code = up.unit_code
        and cur.period_key = up.period_key
    left join dim_unit as d on d.unit_code = up.unit_code
),

unit_rows as (
    select
        up.indicator_code,
        up.province_code,
        up.period_key,
        up.period_end,
        up.unit_code,
        coalesce(n.unit_name, up.unit_code) as unit_name,
        case
            when coalesce(n.unit_kind, '') = 'agency' then 'agency'
            when n.unit_kind in ('district', 'commune') then 'local'
            when length(split_part(up.unit_code, '.', 2)) <= 2 then 'agency'
            else 'local'
        end as unit_part,
        cur.numerator as cur_numerator,
        cur.denominator as cur_denominator,
        cur.value as cur_value,
        prev.period_key as prev_period_key,
        prev.numerator as prev_numerator,
        prev.denominator as prev_denominator,
        prev.value as prev_value
    from unit_periods as up
    left join unit_names as n
        on n.indicator_code = up.indicator_code
        and n.province_code = up.province_code
        and n.period_key = up.period_key
        and n.unit_code = up.unit_code
        and n.version_rank = 1
    left join facts as cur
        on cur.indicator_code = up.indicator_code
        and cur.unit_code = up.unit_code
        and cur.month_index = up.month_index
    left join facts as prev
        on prev.indicator_code = up.indicator_code
        and prev.unit_code = up.unit_code
        and prev.month_index = up.month_index - 1
)

select
    indicator_code,
    province_code,
    period_key,
    period_end,
    unit_code,
    unit_name,
    unit_part,
    case unit_part when 'agency' then 1 else 2 end as part_order,
    lpad(split_part(unit_code, '.', 2), 6, '0') as sort_key,
    cur_numerator,
    cur_denominator,
    cur_value,
    prev_period_key,
    prev_numerator,
    prev_denominator,
    prev_value
from unit_rows
order by indicator_code, province_code, period_key, part_order, sort_key
