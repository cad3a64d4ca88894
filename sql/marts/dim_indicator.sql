-- Mart: the indicator catalogue (portal metric codes and the tree endpoints' counts).
-- grain: one row per indicator
-- key: indicator_code
-- time column: none (reference data from flows.indicators, loaded by the runner as seed_indicator)
with catalogue as (
    select * from seed_indicator
),

final as (
    select
        indicator_code,
        group_code,
        label_vi,
        label_en,
        unit_of_measure,
        max_score,
        higher_is_better,
        count_unit_vi,
        count_unit_en,
        source_endpoint,
        source_field,
        additive,
        is_group,
        nests
    from catalogue
)

select * from final
order by group_code, indicator_code
