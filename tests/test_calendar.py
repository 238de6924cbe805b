"""The NYSE calendar against the exchange's published holiday and early-close lists, 2021-2028.

Sources: NYSE Group's holiday and early closings announcements (Business Wire), dated
2019-12-09 (2020-22), 2020-12-28 (2021-23), 2021-12-27 (2022-24), 2024-11-08 (2025-27) and
2025-12-23 (2026-28); the closure of 2025-01-09 (national day of mourning for Jimmy Carter)
was announced separately.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from aiwatch.market import calendar as cal

PUBLISHED = {
    2021: ["2021-01-01", "2021-01-18", "2021-02-15", "2021-04-02", "2021-05-31", "2021-07-05", "2021-09-06",
           "2021-11-25", "2021-12-24"],
    2022: ["2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05",
           "2022-11-24", "2022-12-26"],
    2023: ["2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19", "2023-07-04",
           "2023-09-04", "2023-11-23", "2023-12-25"],
    2024: ["2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19", "2024-07-04",
           "2024-09-02", "2024-11-28", "2024-12-25"],
    2025: ["2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19",
           "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25"],
    2026: ["2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19", "2026-07-03",
           "2026-09-07", "2026-11-26", "2026-12-25"],
    2027: ["2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18", "2027-07-05",
           "2027-09-06", "2027-11-25", "2027-12-24"],
    2028: ["2028-01-17", "2028-02-21", "2028-04-14", "2028-05-29", "2028-06-19", "2028-07-04", "2028-09-04",
           "2028-11-23", "2028-12-25"],   # New Year's Day 2028 a Saturday: not observed
}
EARLY = {
    2021: ["2021-11-26"],                   # July 3 a Saturday, Dec 24 the observed Christmas
    2022: ["2022-11-25"],                   # July 3 a Sunday, Dec 24 a Saturday
    2023: ["2023-07-03", "2023-11-24"],     # Dec 24 a Sunday
    2024: ["2024-07-03", "2024-11-29", "2024-12-24"],
    2025: ["2025-07-03", "2025-11-28", "2025-12-24"],
    2026: ["2026-11-27", "2026-12-24"],     # July 3 is the observed Independence Day
    2027: ["2027-11-26"],                   # July 3 a Saturday, Dec 24 the observed Christmas
    2028: ["2028-07-03", "2028-11-24"],     # Dec 24 a Sunday
}


def days(texts):
    return [date.fromisoformat(t) for t in texts]


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_holidays_match_the_published_calendar(year):
    assert list(cal.holidays(year)) == days(PUBLISHED[year])
    every_day = [date(year, 1, 1) + timedelta(days=i) for i in range(366)]
    closed_weekdays = [d for d in every_day if d.year == year and d.weekday() < 5 and not cal.is_trading_day(d)]
    assert closed_weekdays == days(PUBLISHED[year])


@pytest.mark.parametrize("year", sorted(EARLY))
def test_early_closes_match_the_published_calendar(year):
    every_day = [date(year, 1, 1) + timedelta(days=i) for i in range(365)]
    assert [d for d in every_day if cal.early_close(d)] == days(EARLY[year])


def test_names_and_observance_rules():
    assert cal.holidays(2024)[date(2024, 3, 29)] == "Good Friday"
    assert cal.holidays(2022)[date(2022, 6, 20)] == "Juneteenth"          # June 19 a Sunday -> Monday
    assert cal.holidays(2026)[date(2026, 7, 3)] == "Independence Day"     # July 4 a Saturday -> Friday
    assert cal.is_trading_day(date(2021, 12, 31))  # New Year 2022 on a Saturday: not observed
    assert date(2021, 6, 18) not in cal.holidays(2021)  # Juneteenth only from 2022
    assert cal.easter(2024) == date(2024, 3, 31) and cal.easter(2025) == date(2025, 4, 20)
    assert not cal.is_trading_day(date(2025, 3, 8))  # a Saturday


def test_close_times_in_new_york():
    assert cal.close_time(date(2025, 3, 7)).astimezone(UTC) == datetime(2025, 3, 7, 21, 0, tzinfo=UTC)  # EST
    assert cal.close_time(date(2025, 7, 7)).astimezone(UTC) == datetime(2025, 7, 7, 20, 0, tzinfo=UTC)  # EDT
    assert cal.close_time(date(2025, 11, 28)).astimezone(UTC) == datetime(2025, 11, 28, 18, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a trading day"):
        cal.close_time(date(2025, 12, 25))


@pytest.mark.parametrize("now, expected", [
    (datetime(2025, 3, 7, 20, 59), date(2025, 3, 6)),     # Friday 15:59 ET: the day is still running
    (datetime(2025, 3, 7, 21, 0), date(2025, 3, 7)),      # Friday 16:00 ET: closed
    (datetime(2025, 3, 9, 12, 0), date(2025, 3, 7)),      # Sunday
    (datetime(2025, 3, 10, 3, 0), date(2025, 3, 7)),      # 03:00 UTC Monday = Sunday 23:00 EDT
    (datetime(2025, 11, 28, 18, 30), date(2025, 11, 28)),  # early close 13:00 ET
    (datetime(2025, 11, 28, 17, 30), date(2025, 11, 26)),  # before it; Thanksgiving closed
    (datetime(2025, 1, 10, 15, 0), date(2025, 1, 8)),     # Jan 9, 2025: national day of mourning
    (datetime(2026, 4, 6, 14, 0, tzinfo=UTC), date(2026, 4, 2)),  # Monday after Good Friday, aware
])
def test_last_closed_session(now, expected):
    assert cal.last_closed_session(now) == expected


def test_previous_sessions_and_counting():
    assert cal.previous_sessions(date(2025, 4, 22), 3) == days(["2025-04-16", "2025-04-17", "2025-04-21"])
    assert cal.previous_sessions(date(2025, 1, 1), 0) == []
    assert cal.next_session(date(2025, 12, 24)) == date(2025, 12, 26)
    assert cal.trading_days_between(date(2025, 3, 7), date(2025, 3, 10)) == 1  # Friday -> Monday
    assert cal.trading_days_between(date(2025, 3, 10), date(2025, 3, 7)) == 0
    assert cal.trading_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 250  # NYSE 2025: 250 sessions
    # the count agrees with walking day by day, across holidays and years
    a = date(2023, 11, 20)
    for n in range(0, 500, 37):
        b = a + timedelta(days=n)
        walked = sum(1 for i in range(1, n + 1) if cal.is_trading_day(a + timedelta(days=i)))
        assert cal.trading_days_between(a, b) == walked
