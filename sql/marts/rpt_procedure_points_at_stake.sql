-- Mart: where the points are, per administrative procedure (TTHC), where the drill-down ran: the
-- points of the province's score that one procedure holds — in the whole province (unit_code = the
-- province) and in each unit — i.e. what the province would win if that procedure's dossiers (or
-- procedures) there alone reached the indicator's target, everything else unchanged.
-- incremental: year
-- grain: one row per unit × procedure × period × indicator
-- key: unit_code, formality_id, period_type, period_key, indicator_code
-- time column: period_start .. period_end; captured_at says which procedure capture
-- Same model as rpt_points_at_stake, on rpt_province_points_lost (the province's counts and score
-- now): the procedure's counts to change are added to the province's numerator. Only indicators the
-- province has there (the units' counts add up to the province's) and procedure counts within the
-- province's; the procedure's current capture (fct_procedure_indicator.is_current).
with formulas as (
    select * from dim_score_formula
    where formula_kind = 'ratio'
),

base as (
    select
        p.province_code,
        p.period_type,
        p.period_key,
        p.indicator_code,
        p.score_code,
        p.group_code,
        f.change_label_vi,
        p.province_numerator,
        p.province_denominator,
        p.province_points,
        p.province_score
    from rpt_province_points_lost as p
    inner join formulas as f on f.term_indicator = p.indicator_code
),

procedure_rows as (
    select
        r.unit_code,
        r.province_code,
        r.formality_id,
        r.formality_code,
        r.indicator_code,
        r.period_type,
        r.period_key,
        r.period_start,
        r.period_end,
        r.numerator,
        r.denominator,
        r.captured_at,
        r.capture_id
    from fct_procedure_indicator as r
    where r.is_current and r.indicator_code in (select term_indicator from formulas)
),

stakes as (
    select
        r.unit_code,
        r.province_code,
        r.formality_id,
        r.formality_code,
        r.period_type,
        r.period_key,
        r.period_start,
        r.period_end,
        b.group_code,
        r.indicator_code,
        b.score_code,
        b.change_label_vi,
        r.numerator as procedure_numerator,
        r.denominator as procedure_denominator,
        b.province_numerator,
        b.province_denominator,
        b.province_points,
        b.province_score,
        f.score_max,
        case
            when coalesce(r.denominator, 0) = 0 then 0
            else greatest(0, cast(ceil(f.full_at * r.denominator - 1e-9) as bigint) - r.numerator)
        end as counts_to_change,
        f.points,
        f.target_ratio,
        f.cap,
        f.zero_denominator_points,
        r.captured_at,
        r.capture_id
    from procedure_rows as r
    inner join base as b using (province_code, period_type, period_key, indicator_code)
    inner join formulas as f on f.term_indicator = r.indicator_code
    where
        r.numerator is not null
        and r.denominator is not null
        and r.denominator <= b.province_denominator
        and r.numerator <= b.province_numerator
),

final as (
    select
        s.unit_code,
        s.province_code,
        s.formality_id,
        s.formality_code,
        s.period_type,
        s.period_key,
        s.period_start,
        s.period_end,
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
        s.procedure_numerator,
        s.procedure_denominator,
        s.province_numerator,
        s.province_denominator,
        s.captured_at,
        s.capture_id
    from stakes as s
)

select * from final
