-- severity: error
-- Check: the key and time columns of dim_period are never null. Returns the offending rows.
select *
from dim_period
where period_type is null or period_key is null or period_start is null or period_end is null
