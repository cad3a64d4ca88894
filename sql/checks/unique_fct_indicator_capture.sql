-- severity: error
-- incremental: year
-- Check: fct_indicator_capture has one row per key (unit_code, indicator_code, period_type, period_key, capture_id). Returns each duplicated key with its row count.
select unit_code, indicator_code, period_type, period_key, capture_id, count(*) as n_rows
from fct_indicator_capture
group by all
having count(*) > 1
