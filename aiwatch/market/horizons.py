"""Chart horizons of the Market page: 1M .. 5Y, YTD, max, and the first day each one shows."""

from __future__ import annotations

from datetime import date

import pandas as pd

HORIZONS = ("1M", "3M", "6M", "YTD", "1Y", "3Y", "5Y", "max")
HORIZON_MONTHS = {"1M": 1, "3M": 3, "6M": 6, "1Y": 12, "3Y": 36, "5Y": 60}


def window_start(horizon: str, first: date, last: date) -> date:
    """First calendar day of a horizon ending on ``last`` (never before ``first``).

    1M..5Y count calendar months back from ``last``; YTD starts on January 1 of
    ``last``'s year; max starts at ``first``.
    """
    if horizon == "max":
        return first
    if horizon == "YTD":
        start = date(last.year, 1, 1)
    elif horizon in HORIZON_MONTHS:
        start = (pd.Timestamp(last) - pd.DateOffset(months=HORIZON_MONTHS[horizon])).date()
    else:
        raise ValueError(f"unknown horizon {horizon!r}; expected one of {', '.join(HORIZONS)}")
    return max(start, first)

