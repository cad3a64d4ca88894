-- rpt_online_payment_by_unit: the online-payment rate of each unit of a province, year to date at each month
-- incremental: year
-- end, next to the previous month end, with the change in percentage points. Section IV of the monthly
-- appendix (agencies and local People's Committees in separate tables).
--
-- grain: one row per province × ytd period × child unit.
-- key: province_code, period_key, unit_code
--
-- Source: rpt_unit_month_end_pairs PAYMENT_ONLINE_DOSSIER (payment tree child
-- totalDossierOnlinePaymentSuccess / totalDossierFinancialObligation × 100), which says which units a
-- period lists, their names, unit_part and order. Null when the unit had no dossier with a financial
-- obligation (0 of 0: no rate) or when the counts are missing. Rounded half-up to two decimals before differencing. A
-- unit seen in only one of the two periods has the other side null.

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
        cast(round(cur_numerator) as bigint) as paid_online,
        cast(round(cur_denominator) as bigint) as with_obligation,
        -- paid online / with a financial obligation × 100, two decimals half-up; null when no obligation
        -- (sql/macros.sql).
        pct_half_up(cur_numerator, cur_denominator) as rate,
        prev_period_key,
        pct_half_up(prev_numerator, prev_denominator) as prev_rate
    from rpt_unit_month_end_pairs
    where indicator_code = 'PAYMENT_ONLINE_DOSSIER'
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
    paid_online,
    with_obligation,
    rate,
    prev_period_key,
    prev_rate,
    rate - prev_rate as change_rate
from rates
order by province_code, period_key, part_order, sort_key
