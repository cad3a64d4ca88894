-- severity: error
-- Check: one row per procedure code × version in dim_formality, and one current version per code.
select formality_code, valid_from, count(*) as n
from dim_formality
group by formality_code, valid_from
having count(*) > 1
union all
select formality_code, null, count(*)
from dim_formality
where is_current
group by formality_code
having count(*) > 1
