-- severity: error
-- incremental: year
-- Check: numerator ≤ denominator where both are known. Rows the portal itself flags with a
-- data-quality status (e.g. DOSSIER_SYNC's TEMP_NATIONAL_REPORT_DENOMINATOR, a provisional
-- denominator) are left to the warn check numerator_le_denominator_flagged.
select *
from fct_indicator
where numerator is not null
    and denominator is not null
    and numerator > denominator
    and (quality_flag is null or quality_flag = 'DERIVED')
