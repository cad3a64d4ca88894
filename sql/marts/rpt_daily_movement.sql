-- Report: how each unit's total and group scores moved from one daily watch to the next, in a week,
-- and since the last month end; rank changes; how many of a province's units went up, down or stayed.
-- incremental: year
-- lookback: 1 year
-- grain: one row per unit × running period × watch day × measure (TOTAL or one of the six groups)
-- key: unit_code, period_type, period_key, watch_date, measure
-- time column: watch_date
-- Series: a running month's days are compared among themselves (a month starts again from nothing);
-- the year to date's across its months (YTD-10 on 31/10, YTD-11 on 1/11: the same running year), never
-- across a new year. previous_*: the watch before in the series (usually yesterday); week_ago_*: the
-- latest watch at least 7 days before; month_end_*: the figure fct_unit_score holds for the last month
-- end (the year to date at the end of the month before; for a running month, the month before's own
-- figure), with its rank. Rank changes count places gained (previous rank − rank: +2 = up two
-- places). A change is flat when it is 0,00 at the portal's two decimals. On a province's own rows,
-- units_up/down/flat count its agencies and communes whose score for the measure rose, fell or stayed
-- since their previous watch (units without one are not counted), and figures_changed counts the
-- indicator figures of the province and its units (of the measure's group; all for TOTAL) that differ
-- from the previous watch or are new: 0 means the portal had no new figures that morning.
with daily as (
    select * from fct_daily_unit_score
),

measures as (
    select measure
    from (values ('TOTAL'), ('CKMB'), ('TDGQ'), ('CLGQ'), ('TTTT'), ('MDHL'), ('MDSH')) as m (measure)
),

long as (
    select
        d.unit_code,
        d.province_code,
        d.period_type,
        d.period_key,
        d.period_end,
        d.watch_date,
        d.captured_at,
        case when d.period_type = 'ytd' then cast(year(d.period_end) as varchar) else d.period_key end
            as series_key,
        m.measure,
        case m.measure
            when 'TOTAL' then d.total_score
            when 'CKMB' then d.score_ckmb
            when 'TDGQ' then d.score_tdgq
            when 'CLGQ' then d.score_clgq
            when 'TTTT' then d.score_tttt
            when 'MDHL' then d.score_mdhl
            when 'MDSH' then d.score_mdsh
        end as score,
        case when m.measure = 'TOTAL' then d.rank_in_scope end as rank_in_scope,
        case when m.measure = 'TOTAL' then d.rank_scope_size end as rank_scope_size,
        case when m.measure = 'TOTAL' then d.rank_scope end as rank_scope
    from daily as d
    cross join measures as m
),

with_previous as (
    select
        *,
        lag(watch_date) over series as previous_watch_date,
        lag(score) over series as previous_score,
        lag(rank_in_scope) over series as previous_rank
    from long
    window series as (partition by unit_code, period_type, series_key, measure order by watch_date)
),

week_ago as (
    select
        l.unit_code,
        l.period_type,
        l.period_key,
        l.watch_date,
        l.measure,
        w.watch_date as week_ago_date,
        w.score as week_ago_score,
        w.rank_in_scope as week_ago_rank
    from long as l
    inner join long as w
        on w.unit_code = l.unit_code
        and w.period_type = l.period_type
        and w.series_key = l.series_key
        and w.measure = l.measure
        and w.watch_date <= l.watch_date - interval 7 day
    qualify row_number() over (
        partition by l.unit_code, l.period_type, l.period_key, l.watch_date, l.measure
        order by w.watch_date desc
    ) = 1
),

month_end_scores as (
    select
        unit_code,
        period_type,
        period_key,
        m.measure,
        case m.measure
            when 'TOTAL' then s.total_score
            when 'CKMB' then s.score_ckmb
            when 'TDGQ' then s.score_tdgq
            when 'CLGQ' then s.score_clgq
            when 'TTTT' then s.score_tttt
            when 'MDHL' then s.score_mdhl
            when 'MDSH' then s.score_mdsh
        end as score,
        case when m.measure = 'TOTAL' then s.rank_in_scope end as rank_in_scope
    from fct_unit_score as s
    cross join measures as m
    where s.period_type in ('month', 'ytd')
),

moved as (
    select
        p.*,
        -- the last month end: the year to date at the end of the month before (none in January: the
        -- year started again), or, for a running month, the month before's own figure
        case
            when p.period_type = 'ytd' and month(p.period_end) > 1
                then strftime(p.period_end - interval 1 month, '%Y') || '-YTD-'
                || strftime(p.period_end - interval 1 month, '%m')
            when p.period_type = 'month' then strftime(p.period_end - interval 1 month, '%Y-%m')
        end as month_end_period_key
    from with_previous as p
),

counts as (
    select
        province_code,
        period_type,
        period_key,
        watch_date,
        measure,
        count(*) filter (where round(score - previous_score, 2) > 0) as units_up,
        count(*) filter (where round(score - previous_score, 2) < 0) as units_down,
        count(*) filter (where round(score - previous_score, 2) = 0) as units_flat
    from with_previous
    where unit_code <> province_code and score is not null and previous_score is not null
    group by province_code, period_type, period_key, watch_date, measure
),

indicator_days as (
    select
        province_code,
        group_code,
        period_type,
        period_key,
        watch_date,
        case when period_type = 'ytd' then cast(year(period_end) as varchar) else period_key end
            as series_key,
        concat_ws(
            '|', coalesce(cast(numerator as varchar), '-'), coalesce(cast(denominator as varchar), '-'),
            coalesce(cast(value as varchar), '-'), coalesce(cast(score as varchar), '-')
        ) as figure,
        unit_code,
        indicator_code
    from fct_daily_indicator
),

indicator_changes as (
    select
        *,
        lag(figure) over (
            partition by unit_code, indicator_code, period_type, series_key order by watch_date
        ) as previous_figure
    from indicator_days
),

changed as (
    select
        i.province_code,
        i.period_type,
        i.period_key,
        i.watch_date,
        m.measure,
        count(*) filter (where coalesce(i.previous_figure <> i.figure, true)) as figures_changed
    from indicator_changes as i
    inner join measures as m on m.measure = 'TOTAL' or m.measure = i.group_code
    group by i.province_code, i.period_type, i.period_key, i.watch_date, m.measure
),

final as (
    select
        p.unit_code,
        p.province_code,
        p.period_type,
        p.period_key,
        p.watch_date,
        p.measure,
        ind.max_score,
        p.score,
        p.rank_in_scope,
        p.rank_scope_size,
        p.rank_scope,
        p.previous_watch_date,
        p.previous_score,
        round(p.score - p.previous_score, 2) as change_since_previous,
        p.previous_rank,
        p.previous_rank - p.rank_in_scope as places_since_previous,
        w.week_ago_date,
        w.week_ago_score,
        round(p.score - w.week_ago_score, 2) as change_7_days,
        w.week_ago_rank,
        w.week_ago_rank - p.rank_in_scope as places_7_days,
        p.month_end_period_key,
        e.score as month_end_score,
        round(p.score - e.score, 2) as change_since_month_end,
        e.rank_in_scope as month_end_rank,
        e.rank_in_scope - p.rank_in_scope as places_since_month_end,
        case when p.unit_code = p.province_code then coalesce(c.units_up, 0) end as units_up,
        case when p.unit_code = p.province_code then coalesce(c.units_down, 0) end as units_down,
        case when p.unit_code = p.province_code then coalesce(c.units_flat, 0) end as units_flat,
        case when p.unit_code = p.province_code then coalesce(x.figures_changed, 0) end as figures_changed,
        p.captured_at
    from moved as p
    left join dim_indicator as ind on ind.indicator_code = p.measure
    left join week_ago as w
        on w.unit_code = p.unit_code
        and w.period_type = p.period_type
        and w.period_key = p.period_key
        and w.watch_date = p.watch_date
        and w.measure = p.measure
    left join month_end_scores as e
        on e.unit_code = p.unit_code
        and e.period_type = p.period_type
        and e.period_key = p.month_end_period_key
        and e.measure = p.measure
    left join counts as c
        on c.province_code = p.province_code
        and c.period_type = p.period_type
        and c.period_key = p.period_key
        and c.watch_date = p.watch_date
        and c.measure = p.measure
    left join changed as x
        on x.province_code = p.province_code
        and x.period_type = p.period_type
        and x.period_key = p.period_key
        and x.watch_date = p.watch_date
        and x.measure = p.measure
)

select * from final
