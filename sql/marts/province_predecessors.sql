-- materialized: view
-- Mart (view): each post-merger province and the pre-July-2025 provinces it was formed from.
-- grain: one row per post-merger province
-- key: new_code
-- time column: merged_on
with merger as (
    select * from dim_province_merger
),

final as (
    select
        new_code,
        any_value(new_province) as new_province,
        any_value(merged_on) as merged_on,
        count(*) as predecessor_count,
        list(old_province order by old_province) as predecessors
    from merger
    group by new_code
)

select * from final
order by new_code
