-- severity: error
-- incremental: year
-- Check: fct_unit_score has one row per key (unit_code, period_type, period_key). Returns each duplicated key with its row count.
select unit_code, period_type, period_key, count(*) as n_rows
from fct_unit_score
group by all
having count(*) > 1
