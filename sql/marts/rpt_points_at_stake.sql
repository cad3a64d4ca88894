-- Mart: where the points are. Each unit's stake in its province's score: the points the province
-- would win if that unit alone reached the indicator's target (all its overdue dossiers on time, all
-- its dossiers with an obligation paid online, …), everything else unchanged, computed with the
-- province's formula (dim_score_formula) on the province's counts; and what the unit has to change.
-- incremental: year
-- grain: one row per unit × period × indicator (the units listed in the province's own answer)
-- key: unit_code, period_type, period_key, indicator_code
-- The province's side — its counts, its score now, the points it lacks, whether stakes add up — is
-- rpt_province_points_lost (one row per province × period × indicator, only where the units' counts
-- add up to the province's); the units' rows come from that same capture.
-- The stake: S(after) − S(now), S = min(score maximum, sum of the score's terms), unrounded (the
-- portal rounds each published part; stakes stay exact so they add up), "after" adding the unit's
-- counts_to_change (⌈full_at × denominator⌉ − numerator, at least 0) to the province's numerator.
-- With full_at 1 and the score's maximum not binding (stakes_add_up) the units' stakes add up to
-- points_lost; where the cap comes earlier (satisfaction at 90 %, payment B at 80 %) each stake is
-- capped, so together they may exceed it. A unit with nothing to count has nothing at stake.
-- Names are dim_unit's (joined by the reader): reading dim_unit here would rebuild every year of
-- this table whenever a run sees a unit, and 4 million rows (60 months) carry them for 9 MB.
with formulas as (
    select * from dim_score_formula
    where formula_kind = 'ratio'
),

provinces as (
    select * from rpt_province_points_lost
),

unit_rows as (
    select u.unit_code, u.province_code, u.indicator_code, u.capture_id, u.numerator, u.denominator
    from fct_indicator_capture as u
    semi join provinces using (capture_id, indicator_code, province_code)
    where u.unit_code <> u.province_code
),

stakes as (
    select
        u.unit_code,
        p.province_code,
        p.period_type,
        p.period_key,
        p.group_code,
        p.indicator_code,
        p.score_code,
        f.change_label_vi,
        u.numerator as unit_numerator,
        u.denominator as unit_denominator,
        case
            when coalesce(u.denominator, 0) = 0 then 0
            else greatest(0, cast(ceil(f.full_at * u.denominator - 1e-9) as bigint) - u.numerator)
        end as counts_to_change,
        p.province_points,
        p.province_score,
        f.score_max,
        f.points,
        f.target_ratio,
        f.cap,
        f.zero_denominator_points,
        p.province_numerator,
        p.province_denominator,
        p.capture_id
    from unit_rows as u
    inner join provinces as p using (capture_id, indicator_code, province_code)
    inner join formulas as f on f.term_indicator = p.indicator_code
),

final as (
    select
        s.unit_code,
        s.province_code,
        s.period_type,
        s.period_key,
        s.group_code,
        s.indicator_code,
        s.score_code,
        case
            when s.counts_to_change = 0 or s.province_score is null or s.province_points is null then 0.0
            else round(greatest(0.0,
                least(coalesce(s.score_max, 1e9),
                    s.province_score - s.province_points
                    + term_points(s.points, s.target_ratio, s.cap, s.zero_denominator_points,
                                  s.province_numerator + s.counts_to_change, s.province_denominator, null))
                - s.province_score
            ), 6)
        end as points_at_stake,
        s.counts_to_change,
        s.change_label_vi,
        s.unit_numerator,
        s.unit_denominator,
        s.capture_id
    from stakes as s
)

select * from final
