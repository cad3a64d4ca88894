-- Mart: the points a province's score lacks, per period and indicator, by the score model
-- (dim_score_formula): the base of the points at stake (rpt_points_at_stake holds each unit's share).
-- incremental: year
-- grain: one row per province × period × indicator (a term of a published score)
-- key: province_code, period_type, period_key, indicator_code
-- time column: period_start .. period_end; captured_at says which capture
-- One answer: the province's current capture of the indicator (fct_indicator_capture.is_current).
-- Only where its units' counts add up exactly to the province's in that capture (numerators and
-- denominators, every unit counted: the progress and payment trees do) — there a unit's counts are a
-- part of the province's and its stake can be computed; elsewhere no row (transparency's procedure
-- counts, which every unit lists whole, do not add up). province_score: S = min(score maximum, sum of
-- the score's terms), unrounded — every term of the score as the province has it now, additive or not.
with formulas as (
    select * from dim_score_formula
    where formula_kind = 'ratio'
),

current_province as (
    select
        c.capture_id,
        c.province_code,
        c.indicator_code,
        c.period_type,
        c.period_key,
        c.period_start,
        c.period_end,
        c.captured_at,
        c.numerator,
        c.denominator,
        c.value
    from fct_indicator_capture as c
    where
        c.is_current
        and not c.derived
        and c.unit_code = c.province_code
        and c.scope = c.province_code
        and c.indicator_code in (select term_indicator from formulas)
),

province_rows as (
    select
        p.*,
        term_points(f.points, f.target_ratio, f.cap, f.zero_denominator_points, p.numerator, p.denominator, p.value)
            as province_points
    from current_province as p
    inner join formulas as f on f.term_indicator = p.indicator_code
),

unit_sums as (
    select
        u.capture_id,
        u.indicator_code,
        u.province_code,
        count(*) as units,
        count(u.numerator) as with_numerator,
        count(u.denominator) as with_denominator,
        sum(u.numerator) as numerator_sum,
        sum(u.denominator) as denominator_sum
    from fct_indicator_capture as u
    semi join current_province using (capture_id, indicator_code, province_code)
    where u.unit_code <> u.province_code
    group by u.capture_id, u.indicator_code, u.province_code
),

province_terms as (
    select
        p.capture_id,
        p.province_code,
        f.indicator_code as score_code,
        any_value(f.terms) as terms,
        count(*) as terms_found,
        count(
            term_points(f.points, f.target_ratio, f.cap, f.zero_denominator_points, p.numerator, p.denominator, p.value)
        ) as terms_scored,
        sum(
            term_points(f.points, f.target_ratio, f.cap, f.zero_denominator_points, p.numerator, p.denominator, p.value)
        ) as terms_sum
    from current_province as p
    inner join formulas as f on f.term_indicator = p.indicator_code
    group by p.capture_id, p.province_code, f.indicator_code
),

final as (
    select
        p.province_code,
        p.period_type,
        p.period_key,
        p.period_start,
        p.period_end,
        f.group_code,
        p.indicator_code,
        f.indicator_code as score_code,
        p.numerator as province_numerator,
        p.denominator as province_denominator,
        s.units,
        p.province_points,
        case when p.province_points is not null then greatest(0.0, f.cap - p.province_points) end as points_lost,
        case
            when t.terms_found = t.terms and t.terms_scored = t.terms
                then least(coalesce(f.score_max, 1e9), t.terms_sum)
        end as province_score,
        f.full_at,
        f.cap,
        f.full_at = 1 and f.cap = f.points and t.terms_found = t.terms
            and coalesce(f.score_max, 1e9) >= t.terms_sum - p.province_points + f.cap as stakes_add_up,
        p.captured_at,
        p.capture_id
    from province_rows as p
    inner join unit_sums as s using (capture_id, indicator_code, province_code)
    inner join formulas as f on f.term_indicator = p.indicator_code
    inner join province_terms as t
        on t.capture_id = p.capture_id and t.province_code = p.province_code and t.score_code = f.indicator_code
    where
        s.with_numerator = s.units
        and s.with_denominator = s.units
        and s.numerator_sum = p.numerator
        and s.denominator_sum = p.denominator
)

select * from final
