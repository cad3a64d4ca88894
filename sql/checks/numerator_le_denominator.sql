-- severity: error
-- incremental: year
-- Check: numerator ≤ denominator where both are known and the indicator's pair nests (the
-- numerator counts a part of the denominator; dim_indicator.nests). Rows the portal itself flags
-- with a data-quality status (e.g. DOSSIER_SYNC's TEMP_NATIONAL_REPORT_DENOMINATOR, a provisional
-- denominator) are left to the warn check numerator_le_denominator_flagged.
select f.*
from fct_indicator as f
inner join dim_indicator as i on i.indicator_code = f.indicator_code and i.nests
where f.numerator is not null
    and f.denominator is not null
    and f.numerator > f.denominator
    and (f.quality_flag is null or f.quality_flag = 'DERIVED')
