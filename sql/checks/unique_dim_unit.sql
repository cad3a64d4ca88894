-- severity: error
-- Check: dim_unit has one row per key (unit_code, valid_from). Returns each duplicated key with its row count.
select unit_code, valid_from, count(*) as n_rows
from dim_unit
group by all
having count(*) > 1
