-- Mart: the administrative procedures (TTHC) of the portal's catalogue, by code, as versions.
-- grain: one row per procedure code × version; a new version starts when the name, state, portal
--        ID or owning department seen under the code changes, in capture order.
-- key: formality_code, valid_from
-- time column: valid_from (inclusive) .. valid_to (exclusive; null for the current version)
-- Like dim_unit: keyed on the code (names and IDs change under it); `formality_id` is the UUID a
-- per-procedure request filters on, `applied_department_count` how many departments apply it, and
-- `applied_department_ids` the list as last seen.
with seen as (
    select
        formality_code,
        formality_id,
        formality_name,
        state,
        department_id,
        applied_department_ids,
        captured_at
    from stg_landing__formalities
    qualify row_number() over (partition by formality_code, captured_at order by capture_id desc) = 1
),

flagged as (
    select
        *,
        case
            when lag(captured_at) over w is null then 1
            when (formality_name, state, formality_id, department_id)
                is distinct from (lag(formality_name) over w, lag(state) over w, lag(formality_id) over w,
                                  lag(department_id) over w) then 1
            else 0
        end as starts_version
    from seen
    window w as (partition by formality_code order by captured_at)
),

versioned as (
    select
        *,
        sum(starts_version) over (partition by formality_code order by captured_at) as version_no
    from flagged
),

versions as (
    select
        formality_code,
        version_no,
        min(captured_at) as valid_from,
        arg_max(formality_id, captured_at) as formality_id,
        arg_max(formality_name, captured_at) as formality_name,
        arg_max(state, captured_at) as state,
        arg_max(department_id, captured_at) as department_id,
        arg_max(applied_department_ids, captured_at) as applied_department_ids
    from versioned
    group by formality_code, version_no
),

final as (
    select
        formality_code,
        formality_id,
        formality_name,
        state,
        department_id,
        len(applied_department_ids) as applied_department_count,
        applied_department_ids,
        valid_from,
        lead(valid_from) over (partition by formality_code order by valid_from) as valid_to,
        lead(valid_from) over (partition by formality_code order by valid_from) is null as is_current
    from versions
)

select * from final
order by formality_code, valid_from
