-- severity: warn
-- Check: the portal's own change of a total score since the previous period (scoreDelta of the
-- national ranking and of a province's units) against the change dvc766 computes between the two
-- periods it holds: a month against the month before, a month-end year-to-date against the one a
-- month earlier. A warning, not a failure: the portal's base may be
-- another day or period. Returns the differences above 0.01 point.
with deltas as (
    select unit_code, period_key, value as portal_change
    from fct_indicator
    where indicator_code = 'TOTAL_SCORE_DELTA' and period_type in ('month', 'ytd')
),

scores as (
    select unit_code, period_type, period_key, period_end, total_score
    from fct_unit_score
    where period_type in ('month', 'ytd')
),

paired as (
    select
        cur.unit_code,
        cur.period_key,
        prev.period_key as previous_period_key,
        d.portal_change,
        round(cur.total_score - prev.total_score, 2) as computed_change
    from deltas as d
    inner join scores as cur on cur.unit_code = d.unit_code and cur.period_key = d.period_key
    inner join scores as prev
        on prev.unit_code = cur.unit_code
        and prev.period_type = cur.period_type
        and prev.period_end = last_day(cur.period_end - interval 1 month)
)

select *, round(portal_change - computed_change, 2) as difference
from paired
where abs(portal_change - computed_change) > 0.01
