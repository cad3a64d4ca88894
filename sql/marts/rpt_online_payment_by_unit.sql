-- rpt_online_payment_by_unit: the online-payment rate of each unit of a province, year to date at each month
-- end, next to the previous month end, with the change in percentage points. Section IV of the monthly
-- appendix (agencies and local People's Committees in separate tables).
--
-- Grain: one row per province × ytd period × child unit.
-- Key:   (province_code, period_key, unit_code).
--
-- Source: fct_indicator PAYMENT_ONLINE_DOSSIER (payment tree child totalDossierOnlinePaymentSuccess /
-- totalDossierFinancialObligation × 100); 0 when the unit had no dossier with a financial obligation,
-- null when the counts are missing. Rounded half-up to two decimals before differencing. A unit seen in
-- only one of the two periods has the other side null. unit_part 'agency' or 'local'; order: part, then
-- unit code (sort_key).

with

facts as (
    select
        split_part(f.unit_code, '.', 1) as province_code,
        f.unit_code,
        f.period_key,
        f.period_end,
        year(f.period_end) * 12 + month(f.period_end) as month_index,
        cast(round(f.numerator) as bigint) as paid_online,
        cast(round(f.denominator) as bigint) as with_obligation,
        -- paid online / with a financial obligation × 100, two decimals half-up; 0 when no obligation
        case
            when f.denominator is null or f.numerator is null then null
            when f.denominator = 0 then cast(0 as decimal(38, 2))
            else round(cast(cast(f.numerator * 100.0 / f.denominator as varchar) as decimal(38, 10)), 2)
        end as rate,
        f.captured_at
    from fct_indicator as f
    where f.period_type = 'ytd'
      and f.indicator_code = 'PAYMENT_ONLINE_DOSSIER'
      and f.unit_code like '%.%'
),

periods as (
    select distinct province_code, period_key, period_end, month_index
    from facts
),

unit_periods as (
    select distinct p.province_code, p.period_key, p.period_end, p.month_index, f.unit_code
    from periods as p
    inner join facts as f
        on f.province_code = p.province_code
        and f.month_index in (p.month_index, p.month_index - 1)
),

unit_names as (
    -- The name and kind a unit had when this period was captured (latest version not after the capture),
    -- else its earliest version: a backfill may capture a 2023 period long after the unit was renamed.
    select
        up.province_code,
        up.period_key,
        up.unit_code,
        d.unit_name,
        d.unit_kind,
        row_number() over (
            partition by up.province_code, up.period_key, up.unit_code
            order by
                case when d.valid_from <= coalesce(cur.captured_at, up.period_end) then 0 else 1 end,
                case when d.valid_from <= coalesce(cur.captured_at, up.period_end) then d.valid_from end desc,
                d.valid_from
        ) as version_rank
    from unit_periods as up
    left join facts as cur
        on cur.unit_code = up.unit_code and cur.period_key = up.period_key
    left join dim_unit as d on d.unit_code = up.unit_code
),

all_rows as (
    select
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
        cur.paid_online,
        cur.with_obligation,
        cur.rate,
        prev.period_key as prev_period_key,
        prev.rate as prev_rate
    from unit_periods as up
    left join unit_names as n
        on n.province_code = up.province_code
        and n.period_key = up.period_key
        and n.unit_code = up.unit_code
        and n.version_rank = 1
    left join facts as cur
        on cur.unit_code = up.unit_code and cur.month_index = up.month_index
    left join facts as prev
        on prev.unit_code = up.unit_code and prev.month_index = up.month_index - 1
)


select
    province_code,
    period_key,
    period_end,
    unit_code,
    unit_name,
    unit_part,
    case unit_part when 'agency' then 1 else 2 end as part_order,
    lpad(split_part(unit_code, '.', 2), 6, '0') as sort_key,
    paid_online,
    with_obligation,
    rate,
    prev_period_key,
    prev_rate,
    rate - prev_rate as change_rate
from all_rows
order by province_code, period_key, part_order, sort_key
