-- severity: warn
-- Check: a month of the portal's own score series (service-results monthlyChart averageScore, the
-- latest report of that month) against dvc766's own capture of that month's total score, where
-- both exist. A warning listing the differences above 0.01 point: the two are computed by the
-- portal at different times.
with reported as (
    select unit_code, series_month, value as reported_score
    from fct_reported_series
    where series_code = 'SR_MONTH_AVERAGE_SCORE' and is_current and value is not null
),

captured as (
    select unit_code, period_key as series_month, total_score as captured_score
    from fct_unit_score
    where period_type = 'month' and total_score is not null
)

select r.unit_code, r.series_month, r.reported_score, c.captured_score,
       round(r.reported_score - c.captured_score, 2) as difference
from reported as r
inner join captured as c using (unit_code, series_month)
where abs(r.reported_score - c.captured_score) > 0.01
