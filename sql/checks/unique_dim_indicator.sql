-- severity: error
-- Check: dim_indicator has one row per key (indicator_code). Returns each duplicated key with its row count.
select indicator_code, count(*) as n_rows
from dim_indicator
group by all
having count(*) > 1
