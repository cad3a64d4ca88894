-- severity: error
-- incremental: year
-- Check: fct_indicator has one row per key (unit_code, indicator_code, period_type, period_key). Returns each duplicated key with its row count.
select unit_code, indicator_code, period_type, period_key, count(*) as n_rows
from fct_indicator
group by all
having count(*) > 1
