-- severity: error
-- Check: one row per API × endpoint × field path in fct_schema_drift.
select source_api, endpoint, field_path, count(*) as n
from fct_schema_drift
group by source_api, endpoint, field_path
having count(*) > 1
