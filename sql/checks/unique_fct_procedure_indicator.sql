-- severity: error
-- incremental: year
-- Check: one row per unit × procedure × indicator × period × capture in fct_procedure_indicator.
select unit_code, formality_id, indicator_code, period_type, period_key, capture_id, count(*) as n
from fct_procedure_indicator
group by all
having count(*) > 1
