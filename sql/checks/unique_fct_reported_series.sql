-- severity: error
-- incremental: year
-- Check: one row per unit × series × month × capture in fct_reported_series.
select unit_code, series_code, series_month, capture_id, count(*) as n
from fct_reported_series
group by unit_code, series_code, series_month, capture_id
having count(*) > 1
