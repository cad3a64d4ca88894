-- Mart: where the points are. Each unit's stake in its province's score: the points the province
-- would win if that unit alone reached the indicator's target (all its overdue dossiers on time, all
-- its fee-bearing procedures paid online, …), everything else unchanged, computed with the
-- province's formula (dim_score_formula) on the province's counts; and what the unit has to change.
-- incremental: year
-- grain: one row per unit × period × indicator (the units listed in the province's own answer)
-- key: unit_code, period_type, period_key, indicator_code
-- time column: period_start .. period_end; captured_at says which capture
-- One answer: the province's current capture of the indicator (fct_indicator_capture.is_current) and
-- the units' rows of that same capture. Only where the units' counts add up exactly to the
-- province's (numerators and denominators, every unit counted: the progress and payment trees do)
-- — otherwise a unit's counts are not a part of the province's and no stake is computed (nor a row).
-- The stake: S(after) − S(now) with S = min(score maximum, sum of the score's terms), unrounded (the
-- portal rounds each published part; stakes stay exact so they add up), "after" adding the unit's
-- counts_to_change to the province's numerator. Where the term reaches its cap only at a ratio of 1
-- (full_at = 1) and the score's own maximum does not bind, the units' stakes add up to points_lost;
-- where the cap comes earlier (satisfaction at 90 %, payment B at 80 %) each stake is capped, so
-- together they may exceed it. A unit with nothing to count (no dossiers) has nothing at stake.
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

unit_rows as not materialized (
    select u.unit_code, u.province_code, u.indicator_code, u.capture_id, u.numerator, u.denominator
    from fct_indicator_capture as u
    semi join current_province using (capture_id, indicator_code, province_code)
    where u.unit_code <> u.province_code
),

unit_sums as (
    select
        capture_id,
        indicator_code,
        province_code,
        count(*) as units,
        count(numerator) as with_numerator,
        count(denominator) as with_denominator,
        sum(numerator) as numerator_sum,
        sum(denominator) as denominator_sum
    from unit_rows
    group by capture_id, indicator_code, province_code
),

additive as (
    select p.*
    from current_province as p
    inner join unit_sums as s using (capture_id, indicator_code, province_code)
    where
        s.with_numerator = s.units
        and s.with_denominator = s.units
        and s.numerator_sum = p.numerator
        and s.denominator_sum = p.denominator
),

-- every term of each score as the province has it now (a term not additive still counts in S)
province_terms as (
    select
        p.capture_id,
        p.province_code,
        f.indicator_code as score_code,
        any_value(f.terms) as terms,
        any_value(f.score_max) as score_max,
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

stakes as (
    select
        u.unit_code,
        a.province_code,
        a.period_type,
        a.period_key,
        a.period_start,
        a.period_end,
        f.group_code,
        a.indicator_code,
        f.indicator_code as score_code,
        f.change_label_vi,
        f.full_at,
        f.cap,
        u.numerator as unit_numerator,
        u.denominator as unit_denominator,
        a.numerator as province_numerator,
        a.denominator as province_denominator,
        case
            when coalesce(u.denominator, 0) = 0 then 0
            else greatest(0, cast(ceil(f.full_at * u.denominator - 1e-9) as bigint) - u.numerator)
        end as counts_to_change,
        term_points(
            f.points, f.target_ratio, f.cap, f.zero_denominator_points, a.numerator, a.denominator, a.value
        ) as term_now,
        coalesce(t.score_max, 1e9) as score_max,
        case when t.terms_found = t.terms and t.terms_scored = t.terms then t.terms_sum end as terms_sum,
        a.captured_at,
        a.capture_id
    from additive as a
    inner join unit_rows as u using (capture_id, indicator_code, province_code)
    inner join formulas as f on f.term_indicator = a.indicator_code
    inner join province_terms as t
        on t.capture_id = a.capture_id and t.province_code = a.province_code and t.score_code = f.indicator_code
),

scored as (
    select
        s.*,
        term_points(
            f.points, f.target_ratio, f.cap, f.zero_denominator_points,
            s.province_numerator + s.counts_to_change, s.province_denominator, null
        ) as term_after
    from stakes as s
    inner join formulas as f on f.term_indicator = s.indicator_code
),

names as (
    select unit_code, unit_name
    from dim_unit
    where is_current
),

final as (
    select
        s.unit_code,
        n.unit_name,
        s.province_code,
        s.period_type,
        s.period_key,
        s.period_start,
        s.period_end,
        s.group_code,
        s.indicator_code,
        s.score_code,
        case
            when s.counts_to_change = 0 or s.terms_sum is null then 0.0
            else round(greatest(0.0,
                least(s.score_max, s.terms_sum - s.term_now + s.term_after) - least(s.score_max, s.terms_sum)
            ), 6)
        end as points_at_stake,
        s.counts_to_change,
        s.change_label_vi,
        s.unit_numerator,
        s.unit_denominator,
        s.province_numerator,
        s.province_denominator,
        round(s.term_now, 6) as province_points,
        case when s.term_now is not null then round(greatest(0.0, s.cap - s.term_now), 6) end as points_lost,
        round(least(s.score_max, s.terms_sum), 6) as province_score,
        s.captured_at,
        s.capture_id
    from scored as s
    left join names as n using (unit_code)
)

-- stored in province, period and indicator order: a province's figures repeat on its units' rows,
-- so ordered they compress to almost nothing (60 months × 34 provinces: 136 MB unordered)
select * from final
order by province_code, period_type, period_key, indicator_code, unit_code
