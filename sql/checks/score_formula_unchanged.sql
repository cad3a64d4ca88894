-- severity: warn
-- Check: the portal still scores every indicator by the formula of the score model: no indicator
-- whose captures agreed with dvc766/reference/score_formulas.csv now disagrees (rpt_score_formula_changes,
-- still_disagreeing). A hit is the portal changing a formula: the published scores are the portal's
-- and stay; the points at stake of that indicator use the old formula until the seed is updated.
select
    indicator_code,
    first_disagreeing_at,
    last_agreeing_at,
    disagreeing_captures,
    first_scope,
    first_period_key,
    example_unit_code,
    example_portal_score,
    example_recomputed_score
from rpt_score_formula_changes
where still_disagreeing
