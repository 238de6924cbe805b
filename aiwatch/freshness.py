"""How fresh the data are, said to every reader: prices behind the market calendar, results overdue.

Pure functions (no Streamlit): the sidebar and the Overview and Financials pages call them with
what queries/price_freshness.sql and queries/results_calendar.sql return.

- ``price_lag``: trading days (New York market calendar, aiwatch.market.calendar) between the last
  stored price and the last closed session (or the as-of date): weekends and holidays are not
  "stale".
- ``overdue_results``: the next quarterly results are expected 52 weeks after the same quarter's
  release a year earlier (Microsoft reports on a steady cadence); once that date is more than
  ``GRACE_DAYS`` past and the quarter is not in the data, say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from .market.calendar import last_closed_session, trading_days_between

GRACE_DAYS = 7               # past the expected date before results count as overdue
CADENCE = timedelta(weeks=52)  # the same quarter's release a year later falls on the same weekday
QUARTER_FALLBACK = timedelta(days=91)


@dataclass(frozen=True)
class PriceLag:
    last_day: date
    reference: date        # the last closed session (latest view) or the as-of date
    behind: int            # trading days after last_day up to reference

    def text(self, as_of: date | None) -> str:
        when = "" if as_of is None else f" on {as_of:%Y-%m-%d}"
        if self.behind <= 0:
            return f"Prices to {self.last_day:%Y-%m-%d}: up to date{when}"
        days = "trading day" if self.behind == 1 else "trading days"
        return f"Prices to {self.last_day:%Y-%m-%d}: {self.behind} {days} behind{when}"


def price_lag(last_day: date | None, as_of: date | None, now_utc: datetime) -> PriceLag | None:
    """How far the stored prices are behind (None when there are none)."""
    if last_day is None or pd.isna(last_day):
        return None
    last_day = pd.Timestamp(last_day).date()
    reference = last_closed_session(now_utc)
    if as_of is not None and as_of < reference:
        reference = as_of
    return PriceLag(last_day, reference, max(trading_days_between(last_day, reference), 0))


def _next_quarter(fy: int, fq: str) -> tuple[int, str]:
    n = int(fq[1])
    return (fy, f"Q{n + 1}") if n < 4 else (fy + 1, "Q1")


def overdue_results(calendar: pd.DataFrame, on: date, point_in_time: bool = False,
                    grace_days: int = GRACE_DAYS) -> str | None:
    """The sentence to show when the next quarter's results were due more than ``grace_days``
    before ``on`` (today, or the as-of date when ``point_in_time``) and are not in the data by
    then; None otherwise. ``calendar``: queries/results_calendar.sql for the same date."""
    if calendar.empty:
        return None
    rows = calendar.sort_values("period_end")
    latest = rows[rows["in_data"]]
    if latest.empty:
        return None
    last = latest.iloc[-1]
    fy, fq = _next_quarter(int(last["fiscal_year"]), str(last["fiscal_quarter"]))
    if not rows[(rows["fiscal_year"] == fy) & (rows["fiscal_quarter"] == fq) & rows["in_data"]].empty:
        return None
    year_before = rows[(rows["fiscal_year"] == fy - 1) & (rows["fiscal_quarter"] == fq)]
    if not year_before.empty and pd.notna(year_before.iloc[0]["release_date"]):
        expected = pd.Timestamp(year_before.iloc[0]["release_date"]).date() + CADENCE
    elif pd.notna(last["release_date"]):
        expected = pd.Timestamp(last["release_date"]).date() + QUARTER_FALLBACK
    else:
        return None
    if (on - expected).days <= grace_days:
        return None
    label = f"FY{fy % 100:02d} {fq}"
    if point_in_time:
        return (f"As of {on:%Y-%m-%d}, {label} results had been expected around {expected:%Y-%m-%d} and "
                "were not in the data yet.")
    return f"{label} results were expected around {expected:%Y-%m-%d} and are not in the data yet."
