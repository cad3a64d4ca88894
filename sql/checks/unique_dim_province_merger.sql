-- severity: error
-- Check: dim_province_merger has one row per key (old_province). Returns each duplicated key with its row count.
select old_province, count(*) as n_rows
from dim_province_merger
group by all
having count(*) > 1
