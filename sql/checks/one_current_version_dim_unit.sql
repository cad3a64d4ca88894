-- severity: error
-- Check: every unit code in dim_unit has exactly one current version (is_current), and the current
-- version is the one whose validity is open (valid_to null). Returns each code that breaks it.
select unit_code, count(*) filter (where is_current) as current_versions,
    count(*) filter (where valid_to is null) as open_versions
from dim_unit
group by unit_code
having count(*) filter (where is_current) <> 1
    or count(*) filter (where valid_to is null) <> 1
    or count(*) filter (where is_current and valid_to is null) <> 1
