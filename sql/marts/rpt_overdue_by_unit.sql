-- rpt_overdue_by_unit: overdue dossiers per unit of a province, year to date at each month end, next to the
-- previous month end, with the change; plus one total row per province × period. Section II of the
-- monthly appendix.
--
-- Grain: one row per province × ytd period × child unit, and one total row (unit_part = 'total',
-- unit_code = the province code) per province × ytd period.
-- Key:   (province_code, period_key, unit_code).
--
-- Source: fct_indicator PROGRESS_OVERDUE numerator (dvc-progress-tree child totalOverdue). A unit seen in
-- only one of the two periods gets a row with the other side null (change null). unit_part is 'agency'
-- (provincial departments, Hnn.xx) or 'local' (district/commune People's Committees); rows are ordered
-- agencies first, then local units, each by unit code (sort_key). The total row sums the unit rows.

with

facts as (
    select
        split_part(f.unit_code, '.', 1) as province_code,
        f.unit_code,
        f.period_key,
        f.period_end,
        year(f.period_end) * 12 + month(f.period_end) as month_index,
        cast(round(f.numerator) as bigint) as overdue,
        f.captured_at
    from fct_indicator as f
    where f.period_type = 'ytd'
      and f.indicator_code = 'PROGRESS_OVERDUE'
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

unit_rows as (
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
        cur.overdue,
        prev.period_key as prev_period_key,
        prev.overdue as prev_overdue
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
),

total_rows as (
    select
        province_code,
        period_key,
        period_end,
        province_code as unit_code,
        'TỔNG SỐ' as unit_name,
        'total' as unit_part,
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
    case unit_part when 'agency' then 1 when 'local' then 2 else 3 end as part_order,
    lpad(split_part(unit_code, '.', 2), 6, '0') as sort_key,
    cast(overdue as bigint) as overdue,
    prev_period_key,
    cast(prev_overdue as bigint) as prev_overdue,
    cast(overdue - prev_overdue as bigint) as change_overdue
from all_rows
order by province_code, period_key, part_order, sort_key
