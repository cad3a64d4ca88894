-- severity: error
-- incremental: year
-- Check: the key and time columns of fct_indicator are never null. Returns the offending rows.
select *
from fct_indicator
where unit_code is null or indicator_code is null or period_type is null or period_key is null or period_start is null or period_end is null or captured_at is null
