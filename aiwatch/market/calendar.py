"""The New York Stock Exchange calendar: trading sessions, holidays, early closes.

Pure functions of dates and times (no data files, no network), in New York time
(``zoneinfo`` America/New_York, so daylight saving is handled by the time zone database).
A *session* is a day the exchange trades. Used by the refresh (a bar counts only once its
session has closed) and by anything that asks how fresh a price is.

The rules (NYSE Rule 7.2 and the exchange's published holiday calendars):

* regular hours 09:30-16:00 ET, Monday to Friday;
* full-day holidays: New Year's Day (Jan 1), Martin Luther King Jr. Day (3rd Monday of
  January), Washington's Birthday (3rd Monday of February), Good Friday (the Friday before
  Easter Sunday), Memorial Day (last Monday of May), Juneteenth (June 19, from 2022),
  Independence Day (July 4), Labor Day (1st Monday of September), Thanksgiving (4th
  Thursday of November), Christmas (Dec 25);
* a holiday on a Saturday is observed on the Friday before, one on a Sunday on the Monday
  after; except New Year's Day on a Saturday, which is not observed at all (the exchange
  stays open on Dec 31, the last day of the accounting year);
* early close at 13:00 ET: the day before Independence Day (July 3, when that is a Monday to
  Thursday), the day after Thanksgiving, and Christmas Eve (Dec 24, when that is a Monday
  to Thursday);
* unscheduled closures the exchange announced (national days of mourning, September 11,
  Hurricane Sandy) are listed in ``SPECIAL_CLOSURES``, from 2001 on.

Dates before 2001 follow the same rules without their special closures; the calendar is
meant for the years the dashboard covers.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
OPEN = time(9, 30)
CLOSE = time(16, 0)
EARLY_CLOSE = time(13, 0)

# Unscheduled full-day closures announced by the NYSE.
SPECIAL_CLOSURES = {
    date(2001, 9, 11): "September 11 attacks", date(2001, 9, 12): "September 11 attacks",
    date(2001, 9, 13): "September 11 attacks", date(2001, 9, 14): "September 11 attacks",
    date(2004, 6, 11): "National day of mourning (Ronald Reagan)",
    date(2007, 1, 2): "National day of mourning (Gerald Ford)",
    date(2012, 10, 29): "Hurricane Sandy", date(2012, 10, 30): "Hurricane Sandy",
    date(2018, 12, 5): "National day of mourning (George H. W. Bush)",
    date(2025, 1, 9): "National day of mourning (Jimmy Carter)",
}


def easter(year: int) -> date:
    """Easter Sunday (Gregorian calendar; the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) given weekday (Monday = 0) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    """Saturday -> the Friday before, Sunday -> the Monday after."""
    if d.weekday() == 5:
        return d - timedelta(days=1)
    if d.weekday() == 6:
        return d + timedelta(days=1)
    return d


@lru_cache(maxsize=256)
def holidays(year: int) -> dict[date, str]:
    """Every weekday of ``year`` on which the exchange is closed, with the holiday's name."""
    out: dict[date, str] = {}
    new_year = date(year, 1, 1)
    if new_year.weekday() != 5:  # on a Saturday it is not observed (Dec 31 is a trading day)
        out[_observed(new_year)] = "New Year's Day"
    if year >= 1998:
        out[_nth_weekday(year, 1, 0, 3)] = "Martin Luther King Jr. Day"
    out[_nth_weekday(year, 2, 0, 3)] = "Washington's Birthday"
    out[easter(year) - timedelta(days=2)] = "Good Friday"
    out[_last_weekday(year, 5, 0)] = "Memorial Day"
    if year >= 2022:
        out[_observed(date(year, 6, 19))] = "Juneteenth"
    out[_observed(date(year, 7, 4))] = "Independence Day"
    out[_nth_weekday(year, 9, 0, 1)] = "Labor Day"
    out[_nth_weekday(year, 11, 3, 4)] = "Thanksgiving Day"
    out[_observed(date(year, 12, 25))] = "Christmas Day"
    out.update({d: name for d, name in SPECIAL_CLOSURES.items() if d.year == year})
    return dict(sorted(out.items()))


def is_trading_day(d: date) -> bool:
    """Whether the exchange holds a session on ``d`` (a weekday that is not a holiday)."""
    return d.weekday() < 5 and d not in holidays(d.year)


def early_close(d: date) -> bool:
    """Whether ``d`` is a session that closes at 13:00 ET."""
    if not is_trading_day(d):
        return False
    if (d.month, d.day) in ((7, 3), (12, 24)):
        return d.weekday() <= 3  # Monday to Thursday (a Friday is the observed holiday itself)
    return d == _nth_weekday(d.year, 11, 3, 4) + timedelta(days=1)


def close_time(d: date) -> datetime:
    """The moment ``d``'s session closes, as an aware New York datetime. ``d`` must be a session."""
    if not is_trading_day(d):
        raise ValueError(f"{d.isoformat()} is not a trading day of the New York Stock Exchange")
    return datetime.combine(d, EARLY_CLOSE if early_close(d) else CLOSE, tzinfo=NEW_YORK)


def next_session(d: date) -> date:
    """The first session after ``d``."""
    d += timedelta(days=1)
    while not is_trading_day(d):
        d += timedelta(days=1)
    return d


def previous_session(d: date) -> date:
    """The last session before ``d``."""
    d -= timedelta(days=1)
    while not is_trading_day(d):
        d -= timedelta(days=1)
    return d


def previous_sessions(d: date, n: int) -> list[date]:
    """The ``n`` sessions before ``d`` (``d`` itself excluded), oldest first."""
    out: list[date] = []
    while len(out) < n:
        d = previous_session(d)
        out.append(d)
    return out[::-1]


def trading_days_between(a: date, b: date) -> int:
    """How many sessions fall after ``a`` up to and including ``b`` (0 when ``b <= a``).

    E.g. from a Friday to the next Monday: 1. "How many sessions old is a price of day a,
    seen on day b?"
    """
    if b <= a:
        return 0
    # weekdays after a up to b: 5 per whole week, then the rest one by one; minus holidays
    days = (b - a).days
    weeks, rest = divmod(days, 7)
    n = 5 * weeks
    d = a + timedelta(days=7 * weeks)
    for i in range(1, rest + 1):
        if (d + timedelta(days=i)).weekday() < 5:
            n += 1
    closed = sum(1 for y in range(a.year, b.year + 1) for h in holidays(y)
                 if a < h <= b and h.weekday() < 5)
    return n - closed


def last_closed_session(now_utc: datetime) -> date:
    """The most recent session whose close is at or before ``now_utc``.

    ``now_utc``: an aware datetime, or a naive one meaning UTC (as ``store.now_utc()``).
    During a session (or before its close) this is the previous session.
    """
    if now_utc.tzinfo is None:
        now_utc = now_utc.replace(tzinfo=ZoneInfo("UTC"))
    now = now_utc.astimezone(NEW_YORK)
    d = now.date()
    if is_trading_day(d) and now >= close_time(d):
        return d
    return previous_session(d)
