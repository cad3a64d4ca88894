"""Test oracle: year-to-date at a past month end, derived from month figures in plain pandas.

The warehouse derives these rows in SQL (``sql/marts/fct_indicator_derived.sql``); this independent
implementation of the same rule is what the tests hold that SQL against. It lives with the tests: no
production code calls it.

The portal answers a ``year`` request with the running year as of *today*, so "the figures as seen on
31/10" cannot be asked for once October is over. What is additive can be rebuilt: for each unit ×
indicator, sum the numerators and denominators of January..M (the latest capture of each month)
and take ``value = 100 × num / den``. Only indicators the catalogue marks ``additive`` (counts of
dossiers or petitions in the period) qualify: procedure counts are stocks and would double count.
Scores, maxima and ranks are not additive and are not derived (null), never invented. A unit ×
indicator missing any month, or with a null numerator/denominator in any month, gets no row.

Not landed: derived rows are a function of landed month rows, so the warehouse build computes them
and marks them ``derived``; keeping them out of ``landing/`` keeps ``reland`` an exact rebuild from
``raw/``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import pyarrow as pa

from dvc766.indicators import ADDITIVE_CODES
from dvc766.landing_schema import INDICATOR_VALUES
from dvc766.periods import Period

GROUP_KEYS = ["unit_code", "province_code", "indicator_code", "group_code", "endpoint", "source_api"]


def derive_ytd(indicator_month_rows: pa.Table | pd.DataFrame, year: int, month: int) -> pa.Table:
    """Derived ``ytd`` rows (INDICATOR_VALUES schema) for ``year`` at the end of ``month``."""
    target = Period("ytd", year, month)
    df = (
        indicator_month_rows.to_pandas()
        if isinstance(indicator_month_rows, pa.Table)
        else indicator_month_rows
    )
    want = {Period.month(year, m).key for m in range(1, month + 1)}
    df = df[
        (df["period_type"] == "month")
        & df["period_key"].isin(want)
        & df["indicator_code"].isin(ADDITIVE_CODES)
        & ~df["derived"].astype(bool)
    ]
    if df.empty:
        return INDICATOR_VALUES.empty_table()
    # Latest capture of each month: the portal revises past months.
    df = df.sort_values(["captured_at", "capture_id"]).drop_duplicates(
        GROUP_KEYS + ["period_key"], keep="last"
    )
    rows: list[dict[str, Any]] = []
    for key, g in df.groupby(GROUP_KEYS, sort=True, dropna=False):
        if set(g["period_key"]) != want or g["numerator"].isna().any() or g["denominator"].isna().any():
            continue
        num, den = int(g["numerator"].sum()), int(g["denominator"].sum())
        latest = g.sort_values(["captured_at", "capture_id"]).iloc[-1]
        sources = ",".join(sorted(g["capture_id"]))
        digest = hashlib.sha256(sources.encode()).hexdigest()
        rows.append(
            {
                **dict(zip(GROUP_KEYS, key, strict=True)),
                "numerator": num,
                "denominator": den,
                "value": None if den == 0 else 100.0 * num / den,
                "score": None,
                "max_score": None,
                "quality_flag": "DERIVED",
                "period_type": target.period_type,
                "period_key": target.key,
                "period_start": target.start,
                "period_end": target.end,
                "captured_at": latest["captured_at"].to_pydatetime(),
                "scope": latest["scope"],
                # Traceability: the id names the derivation, the hash covers the month captures used.
                "capture_id": f"derived_{digest[:12]}",
                "raw_sha256": digest,
                "derived": True,
            }
        )
    return pa.Table.from_pylist(rows, schema=INDICATOR_VALUES)
