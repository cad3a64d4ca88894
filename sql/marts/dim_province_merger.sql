-- Mart: the 2025 reorganisation, 63 provinces into 34 (effective 2025-07-01).
-- grain: one row per pre-merger province
-- key: old_province
-- time column: merged_on (the date the old province ceased to exist as a unit)
with merger as (
    select * from seed_province_merger
),

provinces as (
    select * from seed_province
),

final as (
    select
        merger.old_province,
        merger.new_province,
        merger.new_code,
        provinces.province_name as new_province_name,
        date '2025-07-01' as merged_on,
        merger.old_province = merger.new_province as keeps_name
    from merger
    left join provinces on provinces.province_code = merger.new_code
)

select * from final
order by new_code, old_province
