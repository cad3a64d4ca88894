-- severity: error
-- incremental: year
-- Check: no score exceeds its maximum (+0.005 for the portal's rounding): indicator scores
-- against their own max_score, group scores against the group maxima, totals against 100.
with indicator_breaches as (
    select
        'fct_indicator' as source_table,
        unit_code,
        indicator_code as item,
        period_type,
        period_key,
        score,
        max_score
    from fct_indicator
    where score is not null and max_score is not null and score > max_score + 0.005
),

group_scores as (
    unpivot fct_unit_score
    on total_score, score_ckmb, score_tdgq, score_clgq, score_tttt, score_mdhl, score_mdsh
    into name item value score
),

group_maxima as (
    select * from (values
        ('total_score', 100.0),
        ('score_ckmb', 18.0),
        ('score_tdgq', 20.0),
        ('score_clgq', 12.0),
        ('score_tttt', 10.0),
        ('score_mdhl', 18.0),
        ('score_mdsh', 22.0)
    ) as t (item, max_score)
),

group_breaches as (
    select
        'fct_unit_score' as source_table,
        g.unit_code,
        g.item,
        g.period_type,
        g.period_key,
        g.score,
        m.max_score
    from group_scores as g
    inner join group_maxima as m on m.item = g.item
    where g.score > m.max_score + 0.005
)

select * from indicator_breaches
union all
select * from group_breaches
