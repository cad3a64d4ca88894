-- Mart: units (provinces, agencies, districts, communes) by code, as slowly changing versions.
-- grain: one row per unit code × version; a new version starts when the name or portal ID seen
--        under the code changes, in capture order (names and UUIDs change under the same code).
-- key: unit_code, valid_from
-- time column: valid_from (inclusive) .. valid_to (exclusive; null for the current version)
-- IDs: the legacy gateway's numeric ID and the v1 API's UUID for one code are the same unit, so an
-- ID starts a version only when it differs from the previous ID of the same kind (a reissue), not
-- when a legacy capture follows a v1 capture or the other way round; `unit_id` is the latest seen.
-- Sightings come from fct_unit_sighting (one per unit, instant and period); a unit seen at one
-- instant in several periods (a month-end snapshot takes the month, the year to date and last
-- year's ranking) keeps one sighting per instant, by the same pick fct_unit_sighting makes.
with per_instant as (
    select
        unit_code,
        province_code,
        unit_id,
        unit_name,
        unit_kind,
        parent_code,
        id_kind,
        captured_at
    from fct_unit_sighting
    qualify row_number() over (
        partition by unit_code, captured_at
        order by unit_name is null, unit_id is null, capture_id desc
    ) = 1
),

with_previous_id as (
    select
        *,
        lag(unit_id) over (partition by unit_code, id_kind order by captured_at) as previous_same_kind_id
    from per_instant
),

flagged as (
    select
        *,
        case
            when lag(captured_at) over w is null then 1
            when unit_name is distinct from lag(unit_name) over w then 1
            when id_kind is not null and previous_same_kind_id is distinct from unit_id
                and previous_same_kind_id is not null then 1
            else 0
        end as starts_version
    from with_previous_id
    window w as (partition by unit_code order by captured_at)
),

numbered as (
    select
        *,
        sum(starts_version) over (partition by unit_code order by captured_at) as version_no
    from flagged
),

versions as (
    select
        unit_code,
        version_no,
        min(captured_at) as valid_from,
        arg_max(unit_name, captured_at) as unit_name,
        arg_max(unit_id, captured_at) as unit_id,
        arg_max(unit_kind, captured_at) as unit_kind,
        arg_max(province_code, captured_at) as province_code,
        arg_max(parent_code, captured_at) as parent_code
    from numbered
    group by unit_code, version_no
),

final as (
    select
        unit_code,
        valid_from,
        lead(valid_from) over (partition by unit_code order by valid_from) as valid_to,
        unit_name,
        unit_id,
        unit_kind,
        province_code,
        parent_code,
        lead(valid_from) over (partition by unit_code order by valid_from) is null as is_current
    from versions
)

select * from final
order by unit_code, valid_from
