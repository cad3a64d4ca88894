-- Report: every figure the portal revised after it was first captured, with both values and times.
-- incremental: year
-- grain: one row per figure × revision (a capture whose value differs from the capture before it)
-- key: unit_code, period_type, period_key, figure_source, figure_code, measure, as_of, endpoint, scope,
--      revised_capture_id
-- nullable: as_of
-- time column: revised_captured_at (the capture that showed the new value)
-- A figure is one measure of one unit × period as asked the same way (endpoint and scope): a unit
-- score (`figure_source` 'unit_score': the total or a group score, or the rank) or an indicator
-- value ('indicator': numerator, denominator, value, score). Captures of the same figure are
-- compared in capture order; each change is one row with the value before and after, and the first
-- captured value with its time so "moved from 90.19 to 90.3" reads off one row. Year-to-date
-- captures are compared only with captures of the same as-of kind (on_time with on_time, late with
-- late): a snapshot taken on 2/10 is October's first days, not the portal revising 30/9. A figure that
-- went from unpublished (NULL) to a value, or back, is a revision too. Derived rows (summed by the
-- pipeline) are not captures and never appear. The facts (fct_unit_score, fct_indicator) show the
-- latest capture; `is_latest` marks the revision that produced the value they show. The daily
-- watch's captures of running periods are days moving on, not revisions (rpt_daily_movement's).
-- Speed: only unit × period × endpoint × scope combinations captured more than once are compared,
-- and those are looked for only among period × endpoint × scope combinations with more than one
-- capture (a figure captured twice needs its request made twice), which most months are not.
with scores as not materialized (
    select * from stg_landing__unit_scores
    where not derived and not captured_running(period_type, period_end, captured_at)
),

-- A capture landed twice (under two batches) counts once: its first file, as in fct_indicator_capture.
score_files as (
    select capture_id, min(source_file) as source_file
    from scores
    group by capture_id
),

score_rows as not materialized (
    select * replace (coalesce(as_of, '') as as_of) from scores
    semi join score_files using (capture_id, source_file)
),

score_requests_repeated as (
    select period_type, period_key, as_of, endpoint, scope
    from score_rows
    group by all
    having count(distinct capture_id) > 1
),

score_candidates as (
    select * from score_rows
    semi join score_requests_repeated using (period_type, period_key, as_of, endpoint, scope)
),

score_repeated as (
    select unit_code, period_type, period_key, as_of, endpoint, scope
    from score_candidates
    group by all
    having count(distinct capture_id) > 1
),

score_measures as (
    select
        unit_code, province_code, period_type, period_key, period_start, period_end,
        'unit_score' as figure_source, group_code as figure_code, 'score' as measure,
        as_of, endpoint, scope, source_api, captured_at, capture_id, score as figure_value
    from score_candidates
    semi join score_repeated using (unit_code, period_type, period_key, as_of, endpoint, scope)
    union all
    select
        unit_code, province_code, period_type, period_key, period_start, period_end,
        'unit_score', 'TOTAL', 'rank',
        as_of, endpoint, scope, source_api, captured_at, capture_id, cast(rank_in_scope as double)
    from score_candidates
    semi join score_repeated using (unit_code, period_type, period_key, as_of, endpoint, scope)
    where group_code = 'TOTAL'
),

indicators as not materialized (
    select * replace (coalesce(as_of, '') as as_of) from fct_indicator_capture
    where not derived
),

indicator_requests_repeated as (
    select period_type, period_key, as_of, endpoint, scope
    from indicators
    group by all
    having count(distinct capture_id) > 1
),

indicator_candidates as (
    select * from indicators
    semi join indicator_requests_repeated using (period_type, period_key, as_of, endpoint, scope)
),

indicator_repeated as (
    select unit_code, period_type, period_key, as_of, endpoint, scope
    from indicator_candidates
    group by all
    having count(distinct capture_id) > 1
),

indicator_wide as (
    select * from indicator_candidates
    semi join indicator_repeated using (unit_code, period_type, period_key, as_of, endpoint, scope)
),

indicator_measures as (
    select
        unit_code, province_code, period_type, period_key, period_start, period_end,
        'indicator' as figure_source, indicator_code as figure_code, measure,
        as_of, endpoint, scope, source_api, captured_at, capture_id, figure_value
    from (
        select
            *,
            cast(numerator as double) as m_numerator,
            cast(denominator as double) as m_denominator,
            value as m_value,
            score as m_score
        from indicator_wide
    )
    unpivot include nulls (
        figure_value for measure in (
            m_numerator as 'numerator', m_denominator as 'denominator', m_value as 'value', m_score as 'score'
        )
    )
),

measures as (
    select * from score_measures
    union all
    select * from indicator_measures
),

sequenced as (
    select
        *,
        lag(figure_value) over figure as previous_value,
        lag(captured_at) over figure as previous_captured_at,
        lag(capture_id) over figure as previous_capture_id,
        first_value(figure_value) over figure as first_value,
        first_value(captured_at) over figure as first_captured_at,
        row_number() over figure as capture_no,
        count(*) over (
            partition by unit_code, period_type, period_key, figure_source, figure_code, measure, as_of, endpoint, scope
        ) as capture_count
    from measures
    window figure as (
        partition by unit_code, period_type, period_key, figure_source, figure_code, measure, as_of, endpoint, scope
        order by captured_at, capture_id
    )
),

changes as (
    select *
    from sequenced
    where capture_no > 1
        and (figure_value <> previous_value or (figure_value is null) <> (previous_value is null))
),

final as (
    select
        unit_code,
        province_code,
        period_type,
        period_key,
        period_start,
        period_end,
        figure_source,
        figure_code,
        measure,
        nullif(as_of, '') as as_of,
        endpoint,
        scope,
        source_api,
        previous_value,
        figure_value as revised_value,
        round(figure_value - previous_value, 6) as change,
        previous_captured_at,
        captured_at as revised_captured_at,
        previous_capture_id,
        capture_id as revised_capture_id,
        first_value,
        first_captured_at,
        row_number() over (
            partition by unit_code, period_type, period_key, figure_source, figure_code, measure, as_of, endpoint, scope
            order by captured_at, capture_id
        ) as revision_no,
        capture_count,
        -- the last change: its revised value is the one the latest capture still shows
        row_number() over (
            partition by unit_code, period_type, period_key, figure_source, figure_code, measure, as_of, endpoint, scope
            order by captured_at desc, capture_id desc
        ) = 1 as is_latest
    from changes
)

select * from final
order by unit_code, period_type, period_key, figure_source, figure_code, measure, revised_captured_at
