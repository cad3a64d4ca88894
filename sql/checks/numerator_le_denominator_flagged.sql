-- severity: warn
-- Check: numerator ≤ denominator on rows the portal flags with a data-quality status (their
-- denominator is provisional, so a breach is reported, not blocking).
select *
from fct_indicator
where numerator is not null
    and denominator is not null
    and numerator > denominator
    and quality_flag is not null
    and quality_flag <> 'DERIVED'
