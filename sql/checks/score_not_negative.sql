-- severity: error
-- incremental: year
-- Check: scores, counts and values are never negative (the portal publishes none).
select
    unit_code, indicator_code, period_type, period_key, numerator, denominator, value, score
from fct_indicator
where numerator < 0 or denominator < 0 or score < 0
union all
select
    unit_code, 'TOTAL/GROUP', period_type, period_key, null, null, null, total_score
from fct_unit_score
where least(total_score, score_ckmb, score_tdgq, score_clgq, score_tttt, score_mdhl, score_mdsh) < 0
