-- Mart: the portal's score model as data: which formula gives each score the portal publishes, one
-- row per term (the payment group's score has three). Loaded from the seed
-- dvc766/reference/score_formulas.csv (dvc766/score_formulas.py); docs/scoring.md says what each
-- column means, how sure each row is and on which real bodies it was checked.
-- grain: one row per scored indicator × term
-- key: indicator_code, term
-- time column: none (reference data, loaded by the runner as seed_score_formula)
with formulas as (
    select * from seed_score_formula
),

final as (
    select
        f.indicator_code,
        f.term,
        f.group_code,
        f.term_indicator,
        f.formula_kind,
        f.points,
        f.target_ratio,
        f.cap,
        f.zero_denominator_points,
        f.full_at,
        f.score_max,
        count(*) over (partition by f.indicator_code) as terms,
        f.evidence,
        f.change_label_vi,
        f.note
    from formulas as f
)

select * from final
order by group_code, indicator_code, term
