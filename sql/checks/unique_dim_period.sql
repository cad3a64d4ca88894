-- severity: error
-- Check: dim_period has one row per key (period_type, period_key). Returns each duplicated key with its row count.
select period_type, period_key, count(*) as n_rows
from dim_period
group by all
having count(*) > 1
