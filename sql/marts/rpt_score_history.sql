-- rpt_score_history: each province's total and six group scores and its national rank per month (period
-- incremental: year
-- lookback: 1 year
-- 'month', for the appendix's chart page) and per month-end year-to-date capture (period 'ytd', for the
-- total-score line of section I), with the previous month's values and the change.
--
-- grain: one row per province × period (period_type in 'month', 'ytd').
-- key: province_code, period_type, period_key
--
-- Source: fct_unit_score rows of province units. Scores are rounded half-up to two decimals on exact
-- decimals before differencing. change_rank = rank − previous rank (negative = moved up the table).
-- The previous period is the same period type ending one month earlier; null when not captured.

with

provinces as (
    select distinct unit_code as province_code
    from dim_unit
    where unit_kind = 'province'
),

scores as (
    select
        s.unit_code as province_code,
        s.period_type,
        s.period_key,
        s.period_start,
        s.period_end,
        year(s.period_end) * 12 + month(s.period_end) as month_index,
        half_up(s.total_score, 2) as total_score,
        half_up(s.score_ckmb, 2) as score_ckmb,
        half_up(s.score_tdgq, 2) as score_tdgq,
        half_up(s.score_clgq, 2) as score_clgq,
        half_up(s.score_tttt, 2) as score_tttt,
        half_up(s.score_mdhl, 2) as score_mdhl,
        half_up(s.score_mdsh, 2) as score_mdsh,
        cast(s.rank_in_scope as integer) as rank_in_scope,
        cast(s.rank_scope_size as integer) as rank_scope_size,
        s.captured_at
    from fct_unit_score as s
    inner join provinces as p on p.province_code = s.unit_code
    where s.period_type in ('month', 'ytd')
),

paired as (
    select
        cur.*,
        prev.period_key as prev_period_key,
        prev.total_score as prev_total_score,
        prev.rank_in_scope as prev_rank_in_scope,
        prev.rank_scope_size as prev_rank_scope_size
    from scores as cur
    left join scores as prev
        on prev.province_code = cur.province_code
        and prev.period_type = cur.period_type
        and prev.month_index = cur.month_index - 1
)

select
    province_code,
    period_type,
    period_key,
    period_start,
    period_end,
    total_score,
    score_ckmb,
    score_tdgq,
    score_clgq,
    score_tttt,
    score_mdhl,
    score_mdsh,
    rank_in_scope,
    rank_scope_size,
    captured_at,
    prev_period_key,
    prev_total_score,
    prev_rank_in_scope,
    prev_rank_scope_size,
    total_score - prev_total_score as change_total_score,
    rank_in_scope - prev_rank_in_scope as change_rank
from paired
order by province_code, period_type, period_key
