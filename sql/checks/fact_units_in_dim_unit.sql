-- severity: error
-- incremental: year
-- Check: every unit in a fact table exists in dim_unit. Returns the missing units per table.
with fact_units as (
    select distinct 'fct_unit_score' as source_table, unit_code from fct_unit_score
    union all
    select distinct 'fct_indicator' as source_table, unit_code from fct_indicator
)

select f.source_table, f.unit_code
from fact_units as f
where not exists (select 1 from dim_unit as d where d.unit_code = f.unit_code)
