-- Mart: the daily watch's rules and the thresholds they fire at (rpt_watch_finding applies them).
-- grain: one row per rule
-- key: rule_code
-- time column: none (reference data: dvc766/reference/watch_rules.csv, or the province's own file
-- named by DVC766_WATCH_RULES, loaded by the runner as seed_watch_rule; docs/watch.md)
with rules as (
    select * from seed_watch_rule
),

final as (
    select
        rule_code,
        priority,
        threshold,
        threshold_unit,
        days,
        min_count,
        label_vi,
        what
    from rules
)

select * from final
order by priority
