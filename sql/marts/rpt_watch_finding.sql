-- Report: what the daily watch's rules found each morning, each finding with the figures that made it fire.
-- incremental: year
-- grain: one row per rule × unit × running period × watch day × measure
-- key: rule_code, unit_code, period_type, period_key, watch_date, measure
-- time column: watch_date
-- The rules and their thresholds are dim_watch_rule (the seed dvc766/reference/watch_rules.csv, or a
-- province's own file in DVC766_WATCH_RULES; docs/watch.md):
--   RANK_LOST       a province's national rank (the running month's or the year to date's) at least
--                   `threshold` places worse than at the previous watch;
--   DAILY_FALL      a unit's total score down by `threshold` points or more since the previous watch;
--   DECLINE_STREAK  a unit's total score down by `threshold` or more at each of the last `days`
--                   watches in a row (fires every morning the streak goes on);
--   OVERDUE_RISING  a unit's share of overdue dossiers up by `threshold` percentage points or more
--                   since the previous watch, with at least `min_count` more overdue dossiers (a
--                   running month's counts only grow: the share is what says it got worse);
--   GROUP_BELOW_MAX a province's year-to-date group score below `threshold` % of the group's maximum.
-- Evidence, the same columns for every rule: value_before (at compared_with) and value_now (a score,
-- a rank or a share of overdue dossiers, per the rule), change = value_now − value_before, out_of (the
-- group's maximum, or how many were ranked), count_* (overdue dossiers, and the dossiers received),
-- streak_days; worst_group and worst_group_change: the group of the unit that fell most over the
-- same span. severity: how far past its threshold the finding is (1 = just at it), to order findings
-- of one rule. The country (VN) is not watched. A unit's points at stake (what it would win back)
-- are rpt_points_at_stake's, where that model is built; the digest shows them beside the finding.
with rules as (
    select * from dim_watch_rule
),

movement as (
    select
        *,
        case when period_type = 'ytd' then left(period_key, 4) else period_key end as series_key
    from rpt_daily_movement
    where unit_code <> 'VN'
),

group_moves as (
    select unit_code, period_type, period_key, watch_date, measure, change_since_previous, score
    from movement
    where measure <> 'TOTAL'
),

worst_daily as (
    select
        unit_code,
        period_type,
        period_key,
        watch_date,
        arg_min(measure, change_since_previous) as worst_group,
        min(change_since_previous) as worst_group_change
    from group_moves
    where change_since_previous < 0
    group by unit_code, period_type, period_key, watch_date
),

rank_lost as (
    select
        r.rule_code,
        m.unit_code,
        m.province_code,
        m.period_type,
        m.period_key,
        m.watch_date,
        m.measure,
        m.previous_watch_date as compared_with,
        cast(m.previous_rank as double) as value_before,
        cast(m.rank_in_scope as double) as value_now,
        cast(m.rank_in_scope - m.previous_rank as double) as change,
        cast(m.rank_scope_size as double) as out_of,
        cast(null as bigint) as count_before,
        cast(null as bigint) as count_now,
        cast(null as bigint) as count_total,
        cast(null as integer) as streak_days,
        (m.rank_in_scope - m.previous_rank) / nullif(r.threshold, 0) as severity
    from movement as m
    inner join rules as r on r.rule_code = 'RANK_LOST'
    where m.measure = 'TOTAL'
      and m.unit_code = m.province_code
      and m.rank_scope = 'national'
      and m.rank_in_scope - m.previous_rank >= greatest(r.threshold, 1)
),

daily_fall as (
    select
        r.rule_code,
        m.unit_code,
        m.province_code,
        m.period_type,
        m.period_key,
        m.watch_date,
        m.measure,
        m.previous_watch_date as compared_with,
        m.previous_score as value_before,
        m.score as value_now,
        m.change_since_previous as change,
        m.max_score as out_of,
        cast(null as bigint) as count_before,
        cast(null as bigint) as count_now,
        cast(null as bigint) as count_total,
        cast(null as integer) as streak_days,
        -m.change_since_previous / nullif(r.threshold, 0) as severity
    from movement as m
    inner join rules as r on r.rule_code = 'DAILY_FALL'
    where m.measure = 'TOTAL' and m.change_since_previous <= -r.threshold
),

streak_marked as (
    select
        m.*,
        r.threshold,
        r.days,
        m.change_since_previous <= -r.threshold as declining
    from movement as m
    inner join rules as r on r.rule_code = 'DECLINE_STREAK'
    where m.measure = 'TOTAL'
),

streak_islands as (
    select
        *,
        sum(case when declining then 0 else 1 end) over (
            partition by unit_code, period_type, series_key
            order by watch_date rows between unbounded preceding and current row
        ) as island
    from streak_marked
),

streaks as (
    select
        *,
        row_number() over island_rows - 1 as streak,
        first_value(watch_date) over island_rows as island_start,
        first_value(score) over island_rows as island_start_score
    from streak_islands
    window island_rows as (
        partition by unit_code, period_type, series_key, island
        order by watch_date rows between unbounded preceding and current row
    )
),

decline_streak as (
    select
        'DECLINE_STREAK' as rule_code,
        s.unit_code,
        s.province_code,
        s.period_type,
        s.period_key,
        s.watch_date,
        s.measure,
        -- the watch before the streak's first fall (it did not fall, or was the series' first)
        s.island_start as compared_with,
        s.island_start_score as value_before,
        s.score as value_now,
        round(s.score - s.island_start_score, 2) as change,
        s.max_score as out_of,
        cast(null as bigint) as count_before,
        cast(null as bigint) as count_now,
        cast(null as bigint) as count_total,
        cast(s.streak as integer) as streak_days,
        -- the whole fall over the streak, against the least that fires
        (s.island_start_score - s.score) / nullif(s.threshold * s.days, 0) as severity
    from streaks as s
    where s.declining and s.streak >= s.days
),

overdue as (
    select
        *,
        case when period_type = 'ytd' then left(period_key, 4) else period_key end as series_key,
        lag(watch_date) over series as previous_watch_date,
        lag(value) over series as previous_value,
        lag(numerator) over series as previous_numerator
    from fct_daily_indicator
    where indicator_code = 'PROGRESS_OVERDUE' and unit_code <> 'VN'
    window series as (
        partition by
            unit_code,
            period_type,
            case when period_type = 'ytd' then left(period_key, 4) else period_key end
        order by watch_date
    )
),

overdue_rising as (
    select
        r.rule_code,
        o.unit_code,
        o.province_code,
        o.period_type,
        o.period_key,
        o.watch_date,
        'TDGQ' as measure,
        o.previous_watch_date as compared_with,
        o.previous_value as value_before,
        o.value as value_now,
        round(o.value - o.previous_value, 2) as change,
        cast(null as double) as out_of,
        o.previous_numerator as count_before,
        o.numerator as count_now,
        o.denominator as count_total,
        cast(null as integer) as streak_days,
        (o.value - o.previous_value) / nullif(r.threshold, 0) as severity
    from overdue as o
    inner join rules as r on r.rule_code = 'OVERDUE_RISING'
    where o.value - o.previous_value >= r.threshold
      and o.numerator - o.previous_numerator >= r.min_count
),

group_below as (
    select
        r.rule_code,
        m.unit_code,
        m.province_code,
        m.period_type,
        m.period_key,
        m.watch_date,
        m.measure,
        m.previous_watch_date as compared_with,
        m.previous_score as value_before,
        m.score as value_now,
        m.change_since_previous as change,
        m.max_score as out_of,
        cast(null as bigint) as count_before,
        cast(null as bigint) as count_now,
        cast(null as bigint) as count_total,
        cast(null as integer) as streak_days,
        (r.threshold / 100 * m.max_score - m.score) / nullif(r.threshold / 100 * m.max_score, 0) + 1
            as severity
    from movement as m
    inner join rules as r on r.rule_code = 'GROUP_BELOW_MAX'
    where m.measure <> 'TOTAL'
      and m.unit_code = m.province_code
      and m.period_type = 'ytd'
      and m.score < r.threshold / 100 * m.max_score
),

found as (
    select * from rank_lost
    union all by name
    select * from daily_fall
    union all by name
    select * from decline_streak
    union all by name
    select * from overdue_rising
    union all by name
    select * from group_below
),

-- the group that fell most over the finding's span: since the previous watch for a daily fall, since
-- the streak began for a decline streak
worst_span as (
    select
        f.rule_code,
        f.unit_code,
        f.period_type,
        f.period_key,
        f.watch_date,
        arg_min(g.measure, g.score - b.score) as worst_group,
        round(min(g.score - b.score), 2) as worst_group_change
    from found as f
    inner join group_moves as g
        on g.unit_code = f.unit_code
        and g.period_type = f.period_type
        and g.period_key = f.period_key
        and g.watch_date = f.watch_date
    inner join movement as b
        on b.unit_code = f.unit_code
        and b.period_type = f.period_type
        and b.watch_date = f.compared_with
        and b.measure = g.measure
    where f.rule_code = 'DECLINE_STREAK' and g.score < b.score
    group by f.rule_code, f.unit_code, f.period_type, f.period_key, f.watch_date
),

final as (
    select
        f.rule_code,
        r.priority,
        r.label_vi,
        r.threshold,
        f.unit_code,
        f.province_code,
        f.period_type,
        f.period_key,
        f.watch_date,
        f.measure,
        f.compared_with,
        f.value_before,
        f.value_now,
        f.change,
        f.out_of,
        f.count_before,
        f.count_now,
        f.count_total,
        f.streak_days,
        case
            when f.rule_code = 'DAILY_FALL' then d.worst_group
            when f.rule_code = 'DECLINE_STREAK' then s.worst_group
        end as worst_group,
        case
            when f.rule_code = 'DAILY_FALL' then d.worst_group_change
            when f.rule_code = 'DECLINE_STREAK' then s.worst_group_change
        end as worst_group_change,
        round(f.severity, 4) as severity
    from found as f
    inner join rules as r on r.rule_code = f.rule_code
    left join worst_daily as d
        on d.unit_code = f.unit_code
        and d.period_type = f.period_type
        and d.period_key = f.period_key
        and d.watch_date = f.watch_date
    left join worst_span as s
        on s.rule_code = f.rule_code
        and s.unit_code = f.unit_code
        and s.period_type = f.period_type
        and s.period_key = f.period_key
        and s.watch_date = f.watch_date
)

select * from final
