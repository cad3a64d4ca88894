-- severity: warn
-- Check: numerator ≤ denominator on rows of nesting pairs that the portal flags with a data-quality
-- status (their denominator is provisional, so a breach is reported, not blocking).
select f.*
from fct_indicator as f
inner join dim_indicator as i on i.indicator_code = f.indicator_code and i.nests
where f.numerator is not null
    and f.denominator is not null
    and f.numerator > f.denominator
    and f.quality_flag is not null
    and f.quality_flag <> 'DERIVED'
