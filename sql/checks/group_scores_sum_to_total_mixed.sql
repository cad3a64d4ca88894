-- severity: warn
-- Check: where a unit's total and six group scores come from different captures (endpoints
-- captured at different times), they still sum within 0.01; the real portal's endpoints disagree
-- now and then, so this is reported, not blocking.
select
    unit_code,
    period_type,
    period_key,
    total_score,
    score_ckmb + score_tdgq + score_clgq + score_tttt + score_mdhl + score_mdsh as group_sum,
    score_capture_count
from fct_unit_score
where score_capture_count > 1
    and total_score is not null
    and score_ckmb is not null and score_tdgq is not null and score_clgq is not null
    and score_tttt is not null and score_mdhl is not null and score_mdsh is not null
    and abs(score_ckmb + score_tdgq + score_clgq + score_tttt + score_mdhl + score_mdsh - total_score)
        > 0.01
