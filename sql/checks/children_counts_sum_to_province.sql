-- severity: warn
-- Check: where the portal lists a province's children with counts, the children's counts add up
-- to the province's: dossiers received (PROGRESS_ON_TIME denominator) and the payment tree's
-- dossier counts (PAYMENT_ONLINE_DOSSIER numerator and denominator). The real portal does not
-- always agree with itself, so this warns.
with summed_fields as (
    select
        unit_code,
        province_code,
        indicator_code,
        period_type,
        period_key,
        'denominator' as field,
        denominator as amount
    from fct_indicator
    where indicator_code in ('PROGRESS_ON_TIME', 'PAYMENT_ONLINE_DOSSIER')
    union all
    select
        unit_code,
        province_code,
        indicator_code,
        period_type,
        period_key,
        'numerator' as field,
        numerator as amount
    from fct_indicator
    where indicator_code = 'PAYMENT_ONLINE_DOSSIER'
),

province_values as (
    select province_code, indicator_code, period_type, period_key, field, amount as province_amount
    from summed_fields
    where unit_code = province_code and amount is not null
),

children_sums as (
    select
        province_code,
        indicator_code,
        period_type,
        period_key,
        field,
        sum(amount) as children_amount,
        count(*) as children
    from summed_fields
    where unit_code <> province_code and amount is not null
    group by all
)

select p.*, c.children_amount, c.children
from province_values as p
inner join children_sums as c using (province_code, indicator_code, period_type, period_key, field)
where p.province_amount <> c.children_amount
