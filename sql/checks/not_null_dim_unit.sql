-- severity: error
-- Check: the key and time columns of dim_unit are never null. Returns the offending rows.
select *
from dim_unit
where unit_code is null or valid_from is null or unit_kind is null
