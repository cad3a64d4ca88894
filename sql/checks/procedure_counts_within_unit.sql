-- severity: error
-- incremental: year
-- Check: a procedure's share of an additive count (dossiers, petitions: dim_indicator.additive)
-- never exceeds the unit's own figure for the same indicator and period. Returns the procedure
-- rows above their unit's.
with procedure_rows as (
    select p.*
    from fct_procedure_indicator as p
    inner join dim_indicator as i on i.indicator_code = p.indicator_code and i.additive
    where p.is_current
)

select
    p.unit_code, p.formality_code, p.indicator_code, p.period_key,
    p.numerator, u.numerator as unit_numerator, p.denominator, u.denominator as unit_denominator
from procedure_rows as p
inner join fct_indicator as u
    on u.unit_code = p.unit_code
    and u.indicator_code = p.indicator_code
    and u.period_type = p.period_type
    and u.period_key = p.period_key
where p.numerator > u.numerator or p.denominator > u.denominator
