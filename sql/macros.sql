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

-- captured_running(period_type, period_end, captured_at): true when the capture was taken while its
-- period was still running, by the Vietnam-time day it was taken: a month on or before its last day
-- (the portal's partial "so far" figures, which `dvc766 watch` reads every morning), a year to date
-- before the last day of its month (as_of 'early'). Such captures are the daily watch's (fct_daily_*):
-- they never stand for an ended month or a month end. No command captures a running quarter or year
-- (`run` refuses them), so those are left as they are.
create or replace temp macro captured_running(period_type, period_end, captured_at) as
    case period_type
        when 'month' then cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date) <= period_end
        when 'ytd' then cast(timezone('Asia/Ho_Chi_Minh', captured_at) as date) < period_end
        else false
    end;

-- term_points(points, target_ratio, cap, zero_points, num, den, val): one term of the score model
-- (dvc766/score_formulas.py term_points, the same rule in Python; docs/scoring.md), unrounded:
-- min(cap, points × num/den / target_ratio); at a zero denominator zero_points (null: no score);
-- without counts the portal's own ratio `val` (percent). Null where the portal gives no score.
create or replace temp macro term_points(points, target_ratio, cap, zero_points, num, den, val) as
    case
        when den > 0 then
            case when num is null then null
            else least(cap, points * (cast(num as double) / cast(den as double)) / target_ratio) end
        when den is not null and zero_points is not null then zero_points
        when val is not null and coalesce(num, 0) = 0 then least(cap, points * (val / 100.0) / target_ratio)
        else null
    end;
