-- rpt_overdue_by_unit: overdue dossiers per unit of a province, year to date at each month end, next to the
-- incremental: year
-- previous month end, with the change; plus one total row per province × period. Section II of the
-- monthly appendix.
--
-- grain: one row per province × ytd period × child unit, and one total row (unit_part = 'total',
--        unit_code = the province code) per province × ytd period.
-- key: province_code, period_key, unit_code
--
-- Source: rpt_unit_month_end_pairs PROGRESS_OVERDUE numerator (dvc-progress-tree child totalOverdue),
-- which says which units a period lists, their names, unit_part and order. A unit seen in only one of the
-- two periods has the other side null (change null). The total row sums the unit rows and comes last.

with

unit_rows as (
    select
        province_code,
        period_key,
        period_end,
        unit_code,
        unit_name,
        unit_part,
        part_order,
        sort_key,
        cast(round(cur_numerator) as bigint) as overdue,
        prev_period_key,
        cast(round(prev_numerator) as bigint) as prev_overdue
    from rpt_unit_month_end_pairs
    where indicator_code = 'PROGRESS_OVERDUE'
),

total_rows as (
    select
        province_code,
        period_key,
        period_end,
        province_code as unit_code,
        'TỔNG SỐ' as unit_name,
        'total' as unit_part,
        3 as part_order,
        '000000' as sort_key,  -- what the unit-code rule gives a province code (no '.' part)
        sum(overdue) as overdue,
        max(prev_period_key) as prev_period_key,
        sum(prev_overdue) as prev_overdue
    from unit_rows
    group by province_code, period_key, period_end
),

all_rows as (
    select * from unit_rows
    union all
    select * from total_rows
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
    cast(overdue as bigint) as overdue,
    prev_period_key,
    cast(prev_overdue as bigint) as prev_overdue,
    cast(overdue - prev_overdue as bigint) as change_overdue
from all_rows
order by province_code, period_key, part_order, sort_key
