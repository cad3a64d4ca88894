-- severity: error
-- incremental: year
-- Check: where a single capture gave a unit's total and all six group scores (the national
-- ranking does), the groups sum to the total within 0.01. Rows mixing captures are checked by
-- the warn check group_scores_sum_to_total_mixed.
select
    unit_code,
    period_type,
    period_key,
    total_score,
    score_ckmb + score_tdgq + score_clgq + score_tttt + score_mdhl + score_mdsh as group_sum,
    score_capture_count
from fct_unit_score
where score_capture_count = 1
    and total_score is not null
    and score_ckmb is not null and score_tdgq is not null and score_clgq is not null
    and score_tttt is not null and score_mdhl is not null and score_mdsh is not null
    and abs(score_ckmb + score_tdgq + score_clgq + score_tttt + score_mdhl + score_mdsh - total_score)
        > 0.01
