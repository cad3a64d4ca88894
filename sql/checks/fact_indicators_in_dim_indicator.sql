-- severity: error
-- incremental: year
-- Check: every indicator in fct_indicator is in the catalogue (dim_indicator): an unknown code
-- means the normaliser and the catalogue disagree.
select distinct f.indicator_code
from fct_indicator as f
where not exists (select 1 from dim_indicator as d where d.indicator_code = f.indicator_code)
