-- severity: error
-- incremental: year
-- Check: a unit's score and its rank come from one capture and agree. Returns (1) rows of
-- fct_unit_score whose total, rank or capture is not the TOTAL figure fct_unit_group_score picked
-- (a score and a rank from two captures), and (2) units ranked worse than a unit of the same kind,
-- scope, period and capture with a lower score (ranks out of the order of their scores: the mark of
-- two rankings mixed). Ties may hold distinct ranks (the legacy gateway numbers its rows). Compared
-- within one kind because one real legacy answer (An Giang, October 2025 exports) carries its
-- agencies ranked by one request and its communes by another, each kind in the order of its scores.
with published as (
    select
        s.unit_code,
        s.period_type,
        s.period_key,
        s.rank_scope,
        s.capture_id,
        s.total_score,
        s.rank_in_scope,
        coalesce(u.unit_kind, 'unknown') as unit_kind
    from fct_unit_score as s
    left join dim_unit as u on u.unit_code = s.unit_code and u.is_current
    where s.rank_in_scope is not null and s.total_score is not null
),

from_two_captures as (
    select
        s.unit_code,
        s.period_type,
        s.period_key,
        'score and rank not the TOTAL figure of one capture' as problem,
        s.total_score,
        s.rank_in_scope,
        s.capture_id
    from fct_unit_score as s
    left join fct_unit_group_score as g
        on g.unit_code = s.unit_code
        and g.period_type = s.period_type
        and g.period_key = s.period_key
        and g.group_code = 'TOTAL'
    where g.capture_id is distinct from s.capture_id
        or g.score is distinct from s.total_score
        or g.rank_in_scope is distinct from s.rank_in_scope
),

-- per score level: the best and worst rank given to it; a level ranked better than a higher level
-- (its best rank above the worst rank of any higher-scored level) contradicts the scores
levels as (
    select
        period_type, period_key, rank_scope, capture_id, unit_kind, total_score,
        min(rank_in_scope) as best_rank,
        max(rank_in_scope) as worst_rank
    from published
    group by all
),

out_of_order as (
    select
        *,
        max(worst_rank) over (
            partition by period_type, period_key, rank_scope, capture_id, unit_kind
            order by total_score desc
            rows between unbounded preceding and 1 preceding
        ) as worst_rank_above
    from levels
)

select unit_code, period_type, period_key, problem, total_score, rank_in_scope, capture_id
from from_two_captures
union all
select
    p.unit_code,
    p.period_type,
    p.period_key,
    'ranked ahead of a higher score of the same capture' as problem,
    p.total_score,
    p.rank_in_scope,
    p.capture_id
from out_of_order as o
join published as p
    on p.period_type = o.period_type
    and p.period_key = o.period_key
    and p.rank_scope = o.rank_scope
    and p.capture_id = o.capture_id
    and p.unit_kind = o.unit_kind
    and p.total_score = o.total_score
where p.rank_in_scope <= o.worst_rank_above
