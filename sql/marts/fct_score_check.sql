-- Mart: every score the portal published, recomputed from its own counts by the score model
-- (dim_score_formula, docs/scoring.md), per scored indicator and capture: how many units the portal
-- scored as the model does, within its two-decimal rounding.
-- incremental: year
-- grain: one row per scored indicator × capture × procedure (formality_id null: the units' own
--        figures; else one procedure's answer of the drill-down)
-- key: indicator_code, capture_id, formality_id
-- nullable: formality_id
-- time column: captured_at (period columns: period_start, period_end)
-- A unit agrees when |recomputed − portal| ≤ 0.005 (a one-term score is compared unrounded, so
-- either rounding of an exact half agrees); a score of several terms is the sum of its terms each
-- rounded half-up, as the portal rounds each part (a part on an exact half either way: recomputed_low);
-- or when both give no score (dvc766/score_formulas.py agrees(), the same rule in Python). status: agrees
-- (every checked unit), partly (fewer than half disagree: a unit's own quirk), disagrees (half or
-- more: this capture was not scored by the seed's formula), no_formula (the formula is unknown,
-- nothing recomputed) or nothing_to_check. Captured figures only (a derived year-to-date has no
-- portal score to check).
with formulas as (
    select * from dim_score_formula
),

-- a score is as sure as its least sure term
scores as (
    select
        indicator_code,
        any_value(group_code) as group_code,
        case
            when bool_or(evidence = 'unknown') then 'unknown'
            when bool_or(evidence = 'partly_verified') then 'partly_verified'
            else 'verified'
        end as evidence
    from formulas
    group by indicator_code
),

scored_codes as (
    select distinct term_indicator as code from formulas
    union
    select distinct indicator_code from formulas
),

landed as not materialized (
    select
        unit_code, province_code, cast(null as varchar) as formality_id, indicator_code, period_type,
        period_key, period_start, period_end, numerator, denominator, value, score, captured_at,
        endpoint, scope, capture_id
    from fct_indicator_capture
    where not derived and indicator_code in (select code from scored_codes)
    union all
    select
        unit_code, province_code, formality_id, indicator_code, period_type, period_key, period_start,
        period_end, numerator, denominator, value, score, captured_at, endpoint, scope, capture_id
    from fct_procedure_indicator
    where indicator_code in (select code from scored_codes)
),

-- Each landed row of a scored indicator's term, with the term's points. A score's first term reads
-- the scored indicator itself (dvc766/score_formulas.py checks it), so the portal's score is the
-- term-1 row's.
terms as not materialized (
    select
        l.unit_code,
        l.formality_id,
        l.capture_id,
        l.period_type,
        l.period_key,
        l.period_start,
        l.period_end,
        l.captured_at,
        l.endpoint,
        l.scope,
        f.indicator_code,
        f.term,
        f.terms,
        f.formula_kind,
        f.score_max,
        case when f.term = 1 then l.score end as portal_score,
        coalesce(l.denominator > 0 and l.numerator is null, false) as input_missing,
        term_points(
            f.points, f.target_ratio, f.cap, f.zero_denominator_points, l.numerator, l.denominator, l.value
        ) as points
    from landed as l
    inner join formulas as f on f.term_indicator = l.indicator_code
),

-- a one-term score: its row is the unit's score (most rows: no grouping needed)
single_term as (
    select
        unit_code, formality_id, capture_id, indicator_code, period_type, period_key, period_start,
        period_end, captured_at, endpoint, scope, formula_kind,
        1 as terms_expected,
        1 as terms_found,
        portal_score,
        input_missing,
        case when points is not null then least(score_max, points) end as recomputed_score,
        case when points is not null then least(score_max, points) end as recomputed_low,
        0.005 as tolerance
    from terms
    where terms = 1
),

-- a score of several terms (the payment group): its parts, each rounded half-up, summed, capped
several_terms as (
    select
        unit_code,
        formality_id,
        capture_id,
        indicator_code,
        any_value(period_type) as period_type,
        any_value(period_key) as period_key,
        any_value(period_start) as period_start,
        any_value(period_end) as period_end,
        any_value(captured_at) as captured_at,
        any_value(endpoint) as endpoint,
        any_value(scope) as scope,
        any_value(formula_kind) as formula_kind,
        any_value(terms) as terms_expected,
        count(*) as terms_found,
        max(portal_score) as portal_score,
        bool_or(input_missing) as input_missing,
        case
            when count(points) < count(*) then null
            else least(any_value(score_max), sum(half_up(round(points, 6), 2)))
        end as recomputed_score,
        case
            when count(points) < count(*) then null
            else least(any_value(score_max), sum(
                half_up(round(points, 6), 2)
                - case when abs(points * 100 - floor(points * 100) - 0.5) < 1e-4 then 0.01 else 0 end
            ))
        end as recomputed_low,
        0.0 as tolerance
    from terms
    where terms > 1
    group by unit_code, formality_id, capture_id, indicator_code
    having count(*) filter (where term = 1) = 1
),

per_unit as (
    select * from single_term
    union all
    select * from several_terms
),

compared as (
    select
        *,
        case
            when formula_kind = 'unknown' then 'no_formula'
            when formula_kind = 'no_score' then
                case when coalesce(portal_score, 0) = 0 then 'agrees' else 'disagrees' end
            when terms_found < terms_expected or input_missing then 'not_checkable'
            when recomputed_score is null and portal_score is null then 'agrees'
            when recomputed_score is null or portal_score is null then 'disagrees'
            when portal_score between recomputed_low - tolerance - 1e-6 and recomputed_score + tolerance + 1e-6
                then 'agrees'
            else 'disagrees'
        end as unit_status
    from per_unit
),

per_capture as (
    select
        c.indicator_code,
        c.capture_id,
        c.formality_id,
        any_value(c.formula_kind) as formula_kind,
        any_value(c.period_type) as period_type,
        any_value(c.period_key) as period_key,
        any_value(c.period_start) as period_start,
        any_value(c.period_end) as period_end,
        any_value(c.captured_at) as captured_at,
        any_value(c.endpoint) as endpoint,
        any_value(c.scope) as scope,
        count(*) filter (where c.unit_status in ('agrees', 'disagrees')) as units_checked,
        count(*) filter (where c.unit_status = 'agrees') as units_agreeing,
        count(*) filter (where c.unit_status = 'disagrees') as units_disagreeing,
        count(*) filter (where c.unit_status = 'not_checkable') as units_not_checkable,
        count(*) filter (where c.unit_status = 'agrees' and c.portal_score is not null) as scores_agreeing,
        max(abs(c.recomputed_score - c.portal_score)) as max_difference,
        arg_max(
            c.unit_code,
            case when c.unit_status = 'disagrees' then coalesce(abs(c.recomputed_score - c.portal_score), 1e9) end
        ) as worst_unit_code,
        arg_max(
            c.portal_score,
            case when c.unit_status = 'disagrees' then coalesce(abs(c.recomputed_score - c.portal_score), 1e9) end
        ) as worst_portal_score,
        arg_max(
            c.recomputed_score,
            case when c.unit_status = 'disagrees' then coalesce(abs(c.recomputed_score - c.portal_score), 1e9) end
        ) as worst_recomputed_score
    from compared as c
    group by c.indicator_code, c.capture_id, c.formality_id
),

final as (
    select
        p.indicator_code,
        f.group_code,
        p.formula_kind,
        f.evidence,
        p.capture_id,
        p.formality_id,
        p.scope,
        p.period_type,
        p.period_key,
        p.period_start,
        p.period_end,
        p.captured_at,
        p.endpoint,
        p.units_checked,
        p.units_agreeing,
        p.units_disagreeing,
        p.units_not_checkable,
        p.scores_agreeing,
        round(p.max_difference, 6) as max_difference,
        p.worst_unit_code,
        p.worst_portal_score,
        round(p.worst_recomputed_score, 6) as worst_recomputed_score,
        case
            when p.formula_kind = 'unknown' then 'no_formula'
            when p.units_checked = 0 then 'nothing_to_check'
            when p.units_disagreeing = 0 then 'agrees'
            when 2 * p.units_disagreeing >= p.units_checked then 'disagrees'
            else 'partly'
        end as status
    from per_capture as p
    inner join scores as f using (indicator_code)
)

select * from final
