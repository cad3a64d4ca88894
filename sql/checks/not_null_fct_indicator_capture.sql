-- severity: error
-- incremental: year
-- Check: the key and time columns of fct_indicator_capture are never null. Returns the offending rows.
select *
from fct_indicator_capture
where unit_code is null or indicator_code is null or period_type is null or period_key is null or capture_id is null or captured_at is null
