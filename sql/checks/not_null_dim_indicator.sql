-- severity: error
-- Check: the key and time columns of dim_indicator are never null. Returns the offending rows.
select *
from dim_indicator
where indicator_code is null or group_code is null
