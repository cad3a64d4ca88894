-- Macros the models share, created as temp macros on the build connection before any model runs
-- (warehouse/runner.py create_macros), so the published file holds only their results. Part of the
-- code fingerprint: changing one rebuilds everything.

-- half_up(x, places): x rounded half-up to `places` decimals on its exact decimal text, as the
-- appendix prints it (86,135 → 86,14). Rounding the double itself would round 86.135 down: its
-- binary value sits just below the half.
create or replace temp macro half_up(x, places) as
    round(cast(cast(x as varchar) as decimal(38, 10)), places);

-- pct_half_up(num, den): 100 × num / den with two decimals, half-up, computed in whole numbers
-- ((2·10⁴·num + den) div 2·den hundredths); null when den = 0 (0 of 0 is no rate: "Không có số liệu",
-- never 0) or when either is null. The same as
-- half_up of the exact quotient, without a double → text → decimal round trip per row (3 s of a
-- 60-month build).
create or replace temp macro pct_half_up(num, den) as
    case
        when den is null or num is null then null
        when den = 0 then null
        else cast(cast((cast(num as hugeint) * 20000 + cast(den as hugeint))
            // (2 * cast(den as hugeint)) as decimal(38, 2)) * 0.01 as decimal(38, 2))
    end;
