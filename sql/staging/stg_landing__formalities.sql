-- Staging: landing dataset `formalities` (the procedure catalogue), typed, no business logic.
-- grain: one row per procedure × capture (a catalogue page)
-- key: formality_id, capture_id
-- time column: captured_at
with source as (
    select * from {{ landing('formalities') }}
),

typed as (
    select
        cast(formality_id as varchar) as formality_id,
        cast(formality_code as varchar) as formality_code,
        cast(formality_name as varchar) as formality_name,
        cast(state as varchar) as state,
        cast(department_id as varchar) as department_id,
        cast(publishing_department_ids as varchar[]) as publishing_department_ids,
        cast(applied_department_ids as varchar[]) as applied_department_ids,
        cast(captured_at as timestamptz) as captured_at,
        cast(capture_id as varchar) as capture_id,
        cast(filename as varchar) as source_file
    from source
)

select * from typed
