-- Mart: how the portal named and identified each unit at each capture instant: the sightings
-- dim_unit's versions are made from.
-- incremental: year
-- grain: one row per unit × capture instant × period captured
-- key: unit_code, captured_at, period_type, period_key
-- time column: captured_at
-- Why a table of its own: versions run across all of history, but sightings belong to periods, so
-- keeping them here lets a build re-read only the years whose landing changed; dim_unit then
-- reads this small table instead of every units_seen file.
-- Several endpoints captured at the same second may spell a name differently: one sighting per
-- unit, instant and period is kept by the same deterministic pick dim_unit applies across periods
-- (one that names the unit, then the greater capture_id: the warehouse's one order for captures of
-- one instant), so the pick of picks equals the pick over all rows. Not one per instant across periods: which
-- periods share a second is an accident of timing (a backfill asks 2025-10 and 2025-11 within a
-- second or not), and the sightings of a period must not depend on it. The pick is an aggregate
-- (arg_max of the sort key) rather than a top-1 window: the same row, without sorting 1.7 M rows.
with seen as (
    select
        *,
        case
            when unit_id is null then null
            when regexp_full_match(unit_id, '[0-9]+') then 'legacy'
            else 'v1'
        end as id_kind
    from stg_landing__units_seen
),

picked as (
    select
        unit_code,
        captured_at,
        period_type,
        period_key,
        arg_max(
            {'province_code': province_code, 'unit_id': unit_id, 'unit_name': unit_name, 'unit_kind': unit_kind,
             'parent_code': parent_code, 'id_kind': id_kind, 'capture_id': capture_id},
            -- a sighting that names the unit, then the greater capture_id (docs/warehouse.md, "Which
            -- capture a figure comes from": captures of one instant in the one fixed order)
            (unit_name is not null, unit_id is not null, capture_id)
        ) as pick
    from seen
    group by unit_code, captured_at, period_type, period_key
),

final as (
    select
        unit_code,
        pick.province_code,
        pick.unit_id,
        pick.unit_name,
        pick.unit_kind,
        pick.parent_code,
        pick.id_kind,
        captured_at,
        pick.capture_id,
        period_type,
        period_key
    from picked
)

select * from final
