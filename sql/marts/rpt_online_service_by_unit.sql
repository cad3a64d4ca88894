-- rpt_online_service_by_unit: the online-service rate of each unit of a province, year to date at each month
-- incremental: year
-- end, next to the previous month end, with the change in percentage points. Section III of the monthly
-- appendix (agencies and local People's Committees in separate tables).
--
-- grain: one row per province × ytd period × child unit.
-- key: province_code, period_key, unit_code
--
-- Source: rpt_unit_month_end_pairs ONLINE_SERVICE_RATE value (provide-online-tree child ratio), which says
-- which units a period lists, their names, unit_part and order. Rounded half-up to one decimal on exact
-- decimals before differencing, so the change equals the difference of the printed figures. A unit seen
-- in only one of the two periods has the other side null (change null).

with

rates as (
    select
        province_code,
        period_key,
        period_end,
        unit_code,
        unit_name,
        unit_part,
        part_order,
        sort_key,
        -- one decimal, half-up on exact decimals, as the appendix prints it (98,0)
        half_up(cur_value, 1) as rate,
        prev_period_key,
        half_up(prev_value, 1) as prev_rate
    from rpt_unit_month_end_pairs
    where indicator_code = 'ONLINE_SERVICE_RATE'
)

select
    province_code,
    period_key,
    period_end,
    unit_code,
    unit_name,
    unit_part,
    part_order,
    sort_key,
    rate,
    prev_period_key,
    prev_rate,
    rate - prev_rate as change_rate
from rates
order by province_code, period_key, part_order, sort_key
