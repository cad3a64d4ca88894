-- severity: error
-- incremental: year
-- Check: a percentage indicator's value lies within 0..100 (a ratio the portal computed from
-- counts cannot leave that range; +0.005 for the portal's two-decimal rounding). Returns the
-- offending fct_indicator rows.
with percent_indicators as (
    select indicator_code
    from dim_indicator
    where unit_of_measure in ('%', 'percent')
)

select f.*
from fct_indicator as f
inner join percent_indicators as p on p.indicator_code = f.indicator_code
where f.value < 0 or f.value > 100.005
