-- severity: error
-- incremental: year
-- Check: every period in a fact table exists in dim_period.
with fact_periods as (
    select distinct 'fct_unit_score' as source_table, period_type, period_key from fct_unit_score
    union all
    select distinct 'fct_indicator' as source_table, period_type, period_key from fct_indicator
)

select f.*
from fact_periods as f
where not exists (
    select 1 from dim_period as d
    where d.period_type = f.period_type and d.period_key = f.period_key
)
