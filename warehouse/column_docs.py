"""What every published table and column means, written once and stored in the DuckDB file itself.

Why in the file: an analyst who opens ``data/warehouse.duckdb`` read-only (DuckDB CLI, DBeaver, Python)
sees these texts in ``describe``/``duckdb_columns().comment`` without looking for the docs. The build
applies them as ``COMMENT ON TABLE/COLUMN`` to every ``dim_*``, ``fct_*`` and ``rpt_*`` table
(``apply_comments``); a test fails when a published column has no text here, or a text names a column
that no longer exists. A column means the same everywhere unless ``TABLE_COLUMNS`` says otherwise.
"""

from __future__ import annotations

import duckdb

TABLES: dict[str, str] = {
    "dim_formality": "Administrative procedures (thủ tục hành chính) of the portal's catalogue, one row per procedure version (SCD2).",
    "dim_indicator": "The 766 index's indicators and group scores: Vietnamese and English labels, group, unit of measure, source field.",
    "dim_period": "Every period the warehouse holds: months, quarters, years and year-to-date at a month end.",
    "dim_score_formula": "The portal's score model as data: which formula gives each published score, one row per term (seed dvc766/reference/score_formulas.csv; docs/scoring.md).",
    "dim_province_merger": "The 2025 province merger: each old province and the new province it became part of.",
    "dim_watch_rule": "The daily watch's rules and the thresholds they fire at (dvc766/reference/watch_rules.csv or DVC766_WATCH_RULES; docs/watch.md).",
    "dim_unit": "Provinces, their agencies (sở, ban, ngành) and local People's Committees, one row per unit version (SCD2).",
    "fct_daily_indicator": "Each indicator of each unit as the daily watch saw it (the running month, the year to date before its month end), one row per day.",
    "fct_daily_unit_group_score": "The figure behind each score of fct_daily_unit_score, one row per group: the capture it came from, its maximum and its ratio, as the daily watch saw them that day.",
    "fct_daily_unit_score": "Each unit's total and six group scores as the daily watch saw them (the running month, the year to date before its month end), one row per day.",
    "fct_indicator": "The current value of each indicator per unit × period: the one the appendix prints.",
    "fct_indicator_capture": "Every captured value of each indicator, one row per capture, so the portal's revisions can be traced.",
    "fct_indicator_derived": "Year-to-date values the warehouse derives from months where no month-end capture exists (marked derived).",
    "fct_procedure_indicator": "Per-procedure figures from the drill-down (dvc766 drilldown): unit × procedure × indicator × period × capture.",
    "fct_reported_series": "The portal's own month-by-month series of the year, as each capture reported them.",
    "fct_score_check": "Every published score recomputed from its counts by the score model, per scored indicator × capture: how many units agree within the portal's rounding.",
    "fct_schema_drift": "Fields the portal sent that the contract does not know, with first and last capture seen.",
    "fct_unit_group_score": "The figure behind each score of fct_unit_score, one row per group: the capture it came from, its maximum and its ratio.",
    "fct_unit_score": "Each unit's total and six group scores per period, with its rank.",
    "fct_unit_sighting": "Every time a unit was seen in a capture, under which identifier, parent and name.",
    "rpt_daily_movement": "How each unit's total and group scores moved since the previous daily watch, in 7 days and since the last month end, with rank changes and a province's units up, down and flat.",
    "rpt_online_payment_by_unit": "Appendix section IV: online payment rate per child unit at each month end, with the previous month end.",
    "rpt_online_service_by_unit": "Appendix section III: online service rate per child unit at each month end, with the previous month end.",
    "rpt_overdue_by_unit": "Appendix section II: overdue dossiers per child unit at each month end, with the previous month end.",
    "rpt_points_at_stake": "Where the points are: each unit's stake in its province's score per period and indicator — the points the province wins if that unit alone reaches the target — and what it has to change.",
    "rpt_procedure_points_at_stake": "Where the points are, per procedure (drill-down): the points of the province's score one procedure holds, in the whole province and in each unit.",
    "rpt_province_history": "A new province's series joined with its predecessors' before the 2025 merger.",
    "rpt_province_points_lost": "The points a province's score lacks per period and indicator, by the score model: the base of the points at stake (only where its units' counts add up to its own).",
    "rpt_province_summary": "Appendix section I: a province's year-to-date figures at each month end next to the previous month end's.",
    "rpt_revisions": "Figures the portal revised: each capture whose value differs from the capture before it.",
    "rpt_score_formula_changes": "Where the portal changed a formula: an indicator whose captures agreed with the score model and then disagree, with the first disagreeing capture.",
    "rpt_score_history": "A province's total score, group scores and national rank per period, next to the period before.",
    "rpt_watch_finding": "What the daily watch's rules found each morning (a rank lost, a fall in a day, days of decline, overdue dossiers rising, a group under its threshold), with the figures as evidence.",
    "rpt_unit_month_end_pairs": "Each child unit's figure at a month end next to the previous month end's (feeds sections II–IV).",
}

COLUMNS: dict[str, str] = {
    "additive": "True when the indicator's counts add up across months and units (a year is the sum of its months).",
    "applied_department_count": "How many units apply the procedure.",
    "applied_department_ids": "The portal's IDs of the units that apply the procedure.",
    "as_of": "For a year-to-date row: 'on_time' when captured on the month's last day (Vietnam time), 'late' when after it (a capture before it, 'early', is the daily watch's: fct_daily_unit_score).",
    "cap": "The most points the term gives (its share of the indicator's maximum).",
    "capture_count": "How many captures of this figure were seen.",
    "capture_id": "The capture (one portal answer kept in raw/) the row comes from.",
    "captured_at": "When the portal answered (UTC; the appendix prints Vietnam time).",
    "captures": "How many captures carried the field.",
    "change": "Revised value minus previous value.",
    "change_7_days": "Score now minus the score at week_ago_date.",
    "change_count": "Count at this month end minus count at the previous month end.",
    "change_label_vi": "What a unit changes to win the points, in Vietnamese (hồ sơ quá hạn, TTHC có phí chưa phát sinh thanh toán trực tuyến…).",
    "change_overdue": "Overdue dossiers at this month end minus at the previous month end.",
    "change_rank": "Rank minus previous rank (negative: moved up).",
    "change_rate": "Rate at this month end minus at the previous month end, percentage points.",
    "change_rest_count": "Change of the complement count (e.g. dossiers not synced).",
    "change_rest_rate": "Change of the complement rate, percentage points.",
    "change_since_month_end": "Score now minus month_end_score.",
    "change_since_previous": "Score now minus the score at the previous watch.",
    "change_total": "Change of the denominator (the total the count is out of).",
    "change_total_score": "Total score minus the previous period's.",
    "compared_with": "The watch day the finding compares with (the day before the fall, the streak's start).",
    "count_before": "Overdue dossiers at compared_with (OVERDUE_RISING).",
    "count_now": "Overdue dossiers now (OVERDUE_RISING).",
    "count_total": "Dossiers received so far in the period (OVERDUE_RISING).",
    "count_unit_en": "What the indicator counts, in English (dossiers, procedures…).",
    "count_unit_vi": "What the indicator counts, in Vietnamese (hồ sơ, TTHC…).",
    "count_value": "The count the appendix prints (the indicator's numerator).",
    "counts_to_change": "How many dossiers (or procedures, petitions) must change for the unit to reach the target: e.g. its overdue dossiers brought on time.",
    "cur_denominator": "Denominator at this month end.",
    "cur_numerator": "Numerator at this month end.",
    "cur_value": "Value at this month end.",
    "days": "DECLINE_STREAK: how many watches in a row the score must fall.",
    "denominator": "The portal's denominator (the whole the numerator is a part of).",
    "department_id": "The portal's ID of the unit the procedure belongs to.",
    "derived": "True when the warehouse derived the value (e.g. year-to-date from months), false when the portal gave it.",
    "disagreeing_captures": "How many captures in a row disagreed from the first disagreeing one on.",
    "endpoint": "The portal endpoint that answered (e.g. evaluation/dvc-progress-tree).",
    "era": "'before_merger' for a predecessor's series before July 2025, 'after_merger' for the new province's.",
    "evidence": "How sure the formula is: 'verified' (every real body agrees), 'partly_verified' (a part rests on few or no real rows: docs/scoring.md), 'unknown'.",
    "example_portal_score": "The portal's score of example_unit_code in the first disagreeing capture.",
    "example_recomputed_score": "The score the model gives example_unit_code in that capture.",
    "example_unit_code": "The unit that disagreed most in the first disagreeing capture.",
    "example_value": "One value of the field as the portal sent it.",
    "field_path": "Where in the answer the unknown field sits.",
    "figure_code": "The indicator or score group the revised figure belongs to.",
    "figure_source": "'indicator' (fct_indicator_capture) or 'unit_score' (a total or group score).",
    "figures_changed": "On a province's rows: its and its units' indicator figures (of the measure's group; all for TOTAL) that differ from the previous watch or are new; 0: the portal had no new figures.",
    "first_capture_id": "The first capture that carried it.",
    "first_captured_at": "When it was first seen (UTC).",
    "first_disagreeing_at": "When the first capture that disagrees was taken (UTC).",
    "first_disagreeing_capture_id": "The first capture that disagrees with the score model after captures that agreed.",
    "first_period_key": "The period the first disagreeing capture was about.",
    "first_period_type": "The period type of the first disagreeing capture.",
    "first_scope": "What the first disagreeing capture was asked for (a province).",
    "first_units_checked": "Units checked in the first disagreeing capture.",
    "first_units_disagreeing": "Units that disagreed in the first disagreeing capture.",
    "first_value": "The value at the first capture.",
    "formality_code": "The procedure's code in the national catalogue (e.g. 2.000815).",
    "formality_id": "The portal's ID of the procedure.",
    "formality_name": "The procedure's name (Vietnamese).",
    "formula_kind": "'ratio' (points from numerator/denominator), 'no_score' (the portal gives none) or 'unknown' (no formula fits the bodies: nothing recomputed).",
    "full_at": "The ratio (0..1) at which the term reaches its cap: the unit's target (1; 0.9 for satisfaction, 0.8 for reused data).",
    "group_code": "Score group: CKMB, TDGQ, CLGQ, TTTT, MDHL, MDSH, or TOTAL.",
    "higher_is_better": "True when a higher value is better.",
    "id_kind": "Which kind of portal ID unit_id is: 'v1' (a UUID of the 2026 API) or 'legacy' (a numeric rest.jsp ID); null when none.",
    "indicator_code": "The indicator (see dim_indicator).",
    "is_current": "True for the row in force now.",
    "is_group": "True for a group score rather than a single indicator.",
    "is_latest": "True for the latest revision of the figure.",
    "keeps_name": "True when the new province keeps this old province's name.",
    "label_en": "English label.",
    "label_vi": "Vietnamese label, as the portal and the appendix write it.",
    "last_agreeing_at": "When the last capture that agreed before the change was taken (UTC).",
    "last_capture_id": "The latest capture that carried it.",
    "last_captured_at": "When it was last seen (UTC).",
    "last_disagreeing_at": "When the last capture of the disagreeing run was taken (UTC).",
    "max_difference": "The largest |recomputed − portal| among the capture's units (points).",
    "max_score": "The most points the indicator or group can give.",
    "measure": "Which figure was revised: value, numerator, denominator or score.",
    "merged_on": "The day the merger took effect.",
    "min_count": "OVERDUE_RISING: at least this many more overdue dossiers.",
    "month_end_period_key": "The last month end compared with: the year to date at the end of the month before, or the month before for a running month.",
    "month_end_rank": "Rank at the last month end.",
    "month_end_score": "Score at the last month end (fct_unit_score).",
    "month_start": "First day of the series' month.",
    "nests": "True when the numerator is a part of the denominator (numerator ≤ denominator is checked).",
    "new_code": "Code of the province after the merger.",
    "new_province": "Name of the province after the merger.",
    "new_province_name": "Full name of the province after the merger.",
    "note": "The formula in words, and what it rests on.",
    "number": "The month (1-12) or quarter (1-4) within the year; 0 for a year.",
    "numerator": "The portal's numerator (the count of what the indicator measures).",
    "old_province": "Name of the province before the merger.",
    "out_of": "The group's maximum (a score), or how many were ranked (a rank).",
    "overdue": "Overdue dossiers at this month end (year to date).",
    "paid_online": "Dossiers paid online (year to date).",
    "parent_code": "Code of the unit it belongs to (a province for agencies and communes).",
    "part_order": "Order of the appendix part: agencies first, then local People's Committees, then the total.",
    "period_end": "Last day of the period.",
    "period_key": "The period: 2026-10 (month), 2026-Q3, 2026 (year), 2026-YTD-10 (year to date at the end of October).",
    "period_start": "First day of the period.",
    "period_type": "month, quarter, year or ytd.",
    "places_7_days": "Places gained since week_ago_date (negative: lost).",
    "places_since_month_end": "Places gained since the last month end (negative: lost).",
    "places_since_previous": "Places gained since the previous watch (negative: lost).",
    "points": "Points the term gives at target_ratio.",
    "points_at_stake": "Points of the province's score (unrounded) it would win if this unit (or procedure) alone reached the target, everything else unchanged.",
    "points_lost": "Points the province's term is below its cap now: with full_at 1 and no binding score maximum, the units' stakes add up to it.",
    "predecessor_count": "How many old provinces the new one absorbed.",
    "prev_captured_at": "When the previous month end's figures were captured (UTC).",
    "prev_count_value": "Count at the previous month end.",
    "prev_denominator": "Denominator at the previous month end.",
    "prev_numerator": "Numerator at the previous month end.",
    "prev_overdue": "Overdue dossiers at the previous month end.",
    "prev_period_end": "Last day of the previous period.",
    "prev_period_key": "The period compared with (the previous month end).",
    "prev_rank_in_scope": "Rank in the previous period.",
    "prev_rank_scope_size": "How many were ranked in the previous period.",
    "prev_rate": "Rate at the previous month end, %.",
    "prev_rest_count": "Complement count at the previous month end.",
    "prev_rest_rate": "Complement rate at the previous month end, %.",
    "prev_total_score": "Total score in the previous period.",
    "prev_total_value": "Denominator at the previous month end.",
    "prev_value": "Value at the previous month end.",
    "previous_capture_id": "The capture before the revision.",
    "previous_captured_at": "When the capture before the revision was taken (UTC).",
    "previous_rank": "Rank at the previous watch.",
    "previous_score": "Score at the previous watch.",
    "previous_value": "The value before the revision.",
    "previous_watch_date": "The watch before in the same series (usually yesterday).",
    "priority": "Order of importance: the digest shows at most three findings, lowest priority number first.",
    "procedure_denominator": "The procedure's denominator in that unit (or the whole province).",
    "procedure_numerator": "The procedure's numerator in that unit (or the whole province).",
    "province_code": "The province (H55 …; VN for the country).",
    "province_denominator": "The province's denominator of the indicator (the sum of its units').",
    "province_numerator": "The province's numerator of the indicator (the sum of its units').",
    "province_points": "Points the province's term gives now by the model (unrounded).",
    "province_score": "The province's score of score_code by the model now (unrounded; the portal publishes it rounded).",
    "quality_flag": "The portal's own flag on the figure (e.g. NO_NATIONAL_REPORT_DATA) or the warehouse's when its figures disagree; null when sound.",
    "rank_in_scope": "Rank among the units of its scope (the 34 provinces, or a province's units); 1 is best.",
    "rank_scope": "What the rank is among: 'national' or a province's code.",
    "rank_scope_size": "How many units were ranked in that scope.",
    "rate": "Rate at this month end, %, rounded half-up to two decimals as printed.",
    "raw_sha256": "SHA-256 of the raw body kept in raw/, to trace the figure to its bytes.",
    "rest_count": "The complement count (denominator − numerator, e.g. dossiers not synced).",
    "rest_rate": "The complement rate (100 − rate), %.",
    "revised_capture_id": "The capture with the revised value.",
    "revised_captured_at": "When the revised value was captured (UTC).",
    "revised_value": "The value after the revision.",
    "revision_no": "1 for the first revision of the figure, 2 for the next…",
    "rule_code": "The rule: RANK_LOST, DAILY_FALL, DECLINE_STREAK, OVERDUE_RISING or GROUP_BELOW_MAX.",
    "scope": "What the request asked for: 'national' or a province (H55; H55~<procedure> for the drill-down).",
    "scopes": "How many scopes (national, provinces) carried the field.",
    "score": "Points the indicator gave.",
    "score_capture_count": "How many captures the row's scores mix (groups can come from different endpoints).",
    "score_ckmb": "Group score: Công khai, minh bạch (transparency), out of 18.",
    "score_clgq": "Group score: Dịch vụ công trực tuyến (online services), out of 12.",
    "score_code": "The published score the term belongs to (PAYMENT_ONLINE_DOSSIER carries the payment group's score).",
    "score_max": "The most points the score gives (dim_indicator.max_score): a score of several terms is capped at it.",
    "score_mdhl": "Group score: Mức độ hài lòng (satisfaction), out of 18.",
    "score_mdsh": "Group score: Số hóa hồ sơ (digitisation), out of 22.",
    "score_tdgq": "Group score: Tiến độ giải quyết (processing on time), out of 20.",
    "score_tttt": "Group score: Thanh toán trực tuyến (online payment), out of 10.",
    "scores_agreeing": "Agreeing units that have a score (not counting those where both say no score).",
    "series_code": "The series (an indicator or score the portal charts by month).",
    "series_month": "The month the point is for (YYYY-MM).",
    "series_name": "Name of the series' unit.",
    "series_role": "'province' for the new province itself; 'same_name' or 'absorbed' for a predecessor (one whose name it kept, or one it absorbed).",
    "severity": "How far past its threshold the finding is (1 = just at it): orders the findings of one rule.",
    "sort_key": "Order of the unit within its part, as the appendix lists it.",
    "source_api": "Which portal API answered: 'v1' (the 2026 JSON API) or 'legacy' (rest.jsp).",
    "source_endpoint": "The endpoint the indicator is read from.",
    "source_field": "The field of the answer the indicator is read from.",
    "stakes_add_up": "True where the units' stakes add up to points_lost: the term reaches its cap only at a ratio of 1 and the score's maximum does not bind.",
    "state": "The procedure's state in the catalogue.",
    "streak_days": "DECLINE_STREAK: watches in a row the score fell.",
    "threshold": "The threshold the rule fires at, in threshold_unit.",
    "threshold_unit": "What the threshold is in: points, places, percentage points, % of the maximum.",
    "still_disagreeing": "True when the indicator's latest judged capture still disagrees: the seed no longer describes the portal.",
    "target_ratio": "The ratio (0..1) at which the term gives its points (points × ratio / target_ratio, at most cap).",
    "term": "The term's number within its score (the payment group's score has three).",
    "term_indicator": "The indicator whose numerator and denominator the term reads.",
    "terms": "How many terms the score has.",
    "total_score": "Total score out of 100.",
    "total_value": "The denominator the count is out of (e.g. all procedures for 1.1).",
    "unit_code": "The unit's code (H55, H55.14, H55.104 …; VN for the country).",
    "unit_denominator": "The unit's denominator of the indicator in the same capture.",
    "unit_id": "The portal's ID of the unit.",
    "unit_kind": "'country', 'province', 'agency', 'district' or 'commune'.",
    "unit_name": "The unit's name as the portal writes it.",
    "unit_numerator": "The unit's numerator of the indicator in the same capture.",
    "unit_of_measure": "What the value is in: '%', 'points', 'days' or 'percent change'.",
    "unit_part": "The appendix part: 'agency', 'local' or 'total'.",
    "units": "How many units the province's answer lists for the indicator (their counts add up to the province's).",
    "units_agreeing": "Units whose recomputed score agrees with the portal's (within 0.005 points, or both no score).",
    "units_checked": "Units whose score could be checked (agreeing + disagreeing).",
    "units_disagreeing": "Units whose recomputed score differs from the portal's by more than the rounding.",
    "units_not_checkable": "Units whose counts were incomplete (a numerator missing).",
    "ratio": "The portal's ratio of the unit's row, in %: its score over its maximum (the progress tree: its on-time rate, which the score is made from).",
    "units_down": "On a province's rows: its units whose score for the measure fell since their previous watch.",
    "units_flat": "On a province's rows: its units whose score for the measure stayed (0,00 change).",
    "units_up": "On a province's rows: its units whose score for the measure rose since their previous watch.",
    "valid_from": "From when this version is in force (UTC).",
    "valid_to": "Until when this version was in force (null: still in force).",
    "value": "The value: a percentage for rates, the count or points otherwise.",
    "value_before": "The rule's figure at compared_with: a score, a rank or a share of overdue dossiers (%).",
    "value_now": "The rule's figure on the watch day.",
    "watch_date": "The day (Vietnam time) the figures were seen on the portal.",
    "week_ago_date": "The latest watch at least 7 days before.",
    "week_ago_rank": "Rank at week_ago_date.",
    "week_ago_score": "Score at week_ago_date.",
    "what": "The rule in English.",
    "with_obligation": "Dossiers with a financial obligation (year to date).",
    "worst_group": "The unit's group that fell most over the finding's span (DAILY_FALL, DECLINE_STREAK).",
    "worst_group_change": "That group's change, points.",
    "worst_portal_score": "The portal's score of worst_unit_code.",
    "worst_recomputed_score": "The model's score of worst_unit_code.",
    "worst_unit_code": "The unit that disagrees most (null when none disagrees).",
    "year": "The calendar year.",
    "zero_denominator_points": "Points the term gives at a zero denominator (null: the portal gives no score).",
}

# Where a column means something narrower in one table.
TABLE_COLUMNS: dict[tuple[str, str], str] = {
    (
        "fct_indicator_capture",
        "is_current",
    ): "True for the capture fct_indicator shows for its unit × indicator × period.",
    (
        "fct_indicator_derived",
        "is_current",
    ): "True when no landed value exists for the key, so fct_indicator shows this one.",
    ("fct_procedure_indicator", "is_current"): "True for the latest capture of the procedure's figure.",
    (
        "fct_unit_score",
        "capture_id",
    ): "The capture the total score and the rank come from (one capture: the rank is its ranking of that score).",
    ("fct_unit_group_score", "capture_id"): "The capture the group's score, maximum and ratio come from.",
    ("fct_unit_group_score", "score"): "The group's (or the total's) score, as fct_unit_score shows it.",
    (
        "fct_unit_group_score",
        "max_score",
    ): "The most points the group can give, as the portal sent it (totalMaxScore, maxScore; 100 for the total).",
    (
        "fct_daily_unit_score",
        "capture_id",
    ): "The capture the day's total score and rank come from (one capture: the rank is its ranking of that score).",
    (
        "fct_daily_unit_group_score",
        "capture_id",
    ): "The capture the group's score, maximum and ratio come from that day.",
    (
        "fct_daily_unit_group_score",
        "score",
    ): "The group's (or the total's) score, as fct_daily_unit_score shows it.",
    (
        "fct_daily_unit_group_score",
        "max_score",
    ): "The most points the group can give, as the portal sent it (totalMaxScore, maxScore; 100 for the total).",
    ("fct_reported_series", "is_current"): "True for the latest report of the month's point.",
    (
        "rpt_daily_movement",
        "measure",
    ): "TOTAL, or the group (CKMB, TDGQ, CLGQ, TTTT, MDHL, MDSH) the row's score is.",
    ("rpt_watch_finding", "measure"): "TOTAL, or the group the finding is about (TDGQ for overdue dossiers).",
    ("rpt_daily_movement", "score"): "Points of the measure (total or group) as seen that morning.",
    ("rpt_daily_movement", "max_score"): "The measure's maximum (100 for the total).",
    ("fct_daily_unit_score", "captured_at"): "The latest capture of the day used in the row (UTC).",
    ("rpt_watch_finding", "label_vi"): "The rule's title in Vietnamese, as the digest prints it.",
    ("dim_watch_rule", "label_vi"): "The rule's title in Vietnamese, as the digest prints it.",
    ("fct_reported_series", "value"): "The series' value for the month, as the capture reported it.",
    (
        "dim_indicator",
        "indicator_code",
    ): "The indicator's code: the portal's metric code, or ours for the trees' counts.",
    ("dim_period", "label_vi"): "The period in Vietnamese: 'Tháng 9/2026', 'Lũy kế đến 31/10/2026'…",
    (
        "rpt_online_payment_by_unit",
        "rate",
    ): "Online payment rate at this month end, %: paid online / with obligation × 100, null when no dossier had an obligation (0 of 0).",
    ("rpt_online_service_by_unit", "rate"): "Online service provision rate at this month end, %.",
    ("rpt_province_summary", "rate"): "The indicator's rate at this month end, %, as section I prints it.",
    ("dim_score_formula", "indicator_code"): "The indicator whose published score the formula gives.",
    (
        "fct_score_check",
        "indicator_code",
    ): "The scored indicator (PAYMENT_ONLINE_DOSSIER carries the payment group's score).",
    (
        "fct_score_check",
        "formality_id",
    ): "The procedure of a drill-down answer; null for the units' own figures.",
    (
        "fct_score_check",
        "status",
    ): "agrees (every checked unit), partly (fewer than half disagree), disagrees (half or more: not the seed's formula), no_formula, nothing_to_check.",
    ("rpt_score_formula_changes", "indicator_code"): "The scored indicator whose formula changed.",
    (
        "rpt_points_at_stake",
        "indicator_code",
    ): "The indicator whose counts the unit changes (a term of score_code).",
    (
        "rpt_procedure_points_at_stake",
        "indicator_code",
    ): "The indicator whose counts the procedure changes (a term of score_code).",
    (
        "rpt_procedure_points_at_stake",
        "unit_code",
    ): "The unit the procedure's figures are of; the province's code for the procedure in the whole province.",
}


def column_comment(table: str, column: str) -> str | None:
    return TABLE_COLUMNS.get((table, column)) or COLUMNS.get(column)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def documented_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The published relations analysts query, with their kind: every dim_*, fct_* and rpt_* table or
    view of the build (``fct_indicator`` is a view over the capture and derived tables)."""
    rows = con.execute(
        "select table_name, 'table' from duckdb_tables() where schema_name = 'main' and not temporary "
        "and regexp_matches(table_name, '^(dim|fct|rpt)_') "
        "union all select view_name, 'view' from duckdb_views() where schema_name = 'main' and not temporary "
        "and not internal and regexp_matches(view_name, '^(dim|fct|rpt)_') order by 1"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def apply_comments(con: duckdb.DuckDBPyConnection) -> None:
    """``COMMENT ON`` every documented table, view and column (a build recreates them, so every build).

    One script in one transaction: a statement each (~400) cost a catalog commit each, 0.23 s of a
    monthly publish."""
    tables = dict(documented_tables(con))
    if not tables:
        return
    statements = [
        f'comment on {kind} "{name}" is {_quote(TABLES[name])}'
        for name, kind in tables.items()
        if name in TABLES
    ]
    for name, column in con.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'main' "
        "order by table_name, column_index"
    ).fetchall():
        text = column_comment(name, column) if name in tables else None
        if text:
            statements.append(f'comment on column "{name}"."{column}" is {_quote(text)}')
    con.execute("begin transaction")
    try:
        con.execute(";\n".join(statements))
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
