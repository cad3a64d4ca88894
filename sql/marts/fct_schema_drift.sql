-- Mart: the fields the portal sent that the source contracts do not know (schema drift). Their
-- bodies landed their known fields (DVC766_SCHEMA_DRIFT=record); this says what else they carried,
-- so the contract can be extended before anyone relies on the new field.
-- grain: one row per API × endpoint × field path
-- key: source_api, endpoint, field_path
-- time column: last_captured_at
with sightings as (
    select * from stg_landing__schema_drift
),

final as (
    select
        source_api,
        endpoint,
        field_path,
        min(captured_at) as first_captured_at,
        max(captured_at) as last_captured_at,
        arg_min(capture_id, (captured_at, capture_id)) as first_capture_id,
        arg_max(capture_id, (captured_at, capture_id)) as last_capture_id,
        arg_min(example_value, (captured_at, capture_id)) as example_value,
        count(distinct capture_id) as captures,
        count(distinct scope) as scopes
    from sightings
    group by source_api, endpoint, field_path
)

select * from final
order by source_api, endpoint, field_path
