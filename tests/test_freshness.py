"""Freshness on fixed dates: prices behind the New York market calendar, overdue quarterly results."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from aiwatch.freshness import overdue_results, price_lag


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_weekends_and_holidays_are_not_stale():
    # Friday 2026-07-03 is the Independence Day holiday (observed); the last session before it is
    # Thursday 2026-07-02. On Monday 2026-07-06 before the open, prices to 07-02 are up to date.
    lag = price_lag(date(2026, 7, 2), None, utc(2026, 7, 6, 12, 0))
    assert lag.behind == 0 and lag.text(None) == "Prices to 2026-07-02: up to date"
    # after Monday's close one session is missing
    assert price_lag(date(2026, 7, 2), None, utc(2026, 7, 6, 21, 0)).behind == 1


def test_the_lag_counts_trading_days_and_speaks_of_the_as_of_date():
    lag = price_lag(date(2026, 9, 25), None, utc(2026, 12, 1, 22, 0))
    assert lag.behind > 40 and "trading days behind" in lag.text(None)
    on = date(2026, 9, 30)
    lag = price_lag(date(2026, 9, 25), on, utc(2026, 12, 1, 22, 0))
    assert lag.behind == 3 and lag.text(on) == "Prices to 2026-09-25: 3 trading days behind on 2026-09-30"
    assert price_lag(None, None, utc(2026, 12, 1)) is None


def calendar(rows):
    return pd.DataFrame(rows, columns=["fiscal_year", "fiscal_quarter", "period_end", "release_date", "in_data"])


CAL = calendar([
    (2025, "Q3", pd.Timestamp("2025-03-31"), pd.Timestamp("2025-04-30"), True),
    (2025, "Q4", pd.Timestamp("2025-06-30"), pd.Timestamp("2025-07-30"), True),
    (2026, "Q1", pd.Timestamp("2025-09-30"), pd.Timestamp("2025-10-29"), True),
    (2026, "Q2", pd.Timestamp("2025-12-31"), pd.Timestamp("2026-01-28"), True),
    (2026, "Q3", pd.Timestamp("2026-03-31"), pd.Timestamp("2026-04-29"), True),
])


def test_overdue_results_are_named_with_the_expected_date():
    assert overdue_results(CAL, date(2026, 8, 10)) == (
        "FY26 Q4 results were expected around 2026-07-29 and are not in the data yet.")
    assert overdue_results(CAL, date(2026, 8, 3)) is None          # within the grace days
    assert overdue_results(CAL, date(2026, 7, 1)) is None          # not due yet


def test_with_an_as_of_date_the_notice_speaks_of_that_date():
    assert overdue_results(CAL, date(2026, 8, 10), point_in_time=True) == (
        "As of 2026-08-10, FY26 Q4 results had been expected around 2026-07-29 and were not in the data yet.")


def test_a_quarter_in_the_data_is_not_overdue():
    with_q4 = pd.concat([CAL, calendar([(2026, "Q4", pd.Timestamp("2026-06-30"), pd.Timestamp("2026-07-29"),
                                         True)])])
    assert overdue_results(with_q4, date(2026, 8, 10)) is None
    assert overdue_results(calendar([]), date(2026, 8, 10)) is None


# --- on the pages (AppTest on the basic fixture: results through FY25 Q2, released 2025-01-28) ----

def open_with(monkeypatch, tmp_path, page: str, as_of: str | None):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT, go_to, make_cfg, use_env
    from tests.test_market import synthetic_prices, write_prices

    cfg = make_cfg(tmp_path)
    write_prices(cfg, synthetic_prices())  # business days to 2025-03-31
    use_env(monkeypatch, cfg)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if as_of:
        at.query_params["as_of"] = as_of
    at.run()
    if page:
        if as_of:
            at.query_params["as_of"] = as_of
        go_to(at, page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_pages_say_when_results_are_overdue(monkeypatch, tmp_path):
    from tests.conftest import plain

    at = open_with(monkeypatch, tmp_path, "", None)
    # FY25 Q3 was due 52 weeks after FY24 Q3 (2024-04-28): around 2025-04-27; long past today
    assert any(plain(w.value) == "FY25 Q3 results were expected around 2025-04-27 and are not in the data yet."
               for w in at.warning)
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Prices to 2025-03-31:" in captions and "trading days behind" in captions


def test_with_an_as_of_date_the_notices_speak_of_that_date(monkeypatch, tmp_path):
    from tests.conftest import plain

    at = open_with(monkeypatch, tmp_path, "financials", "2025-05-15")
    assert any(plain(w.value).startswith("As of 2025-05-15, FY25 Q3 results had been expected around 2025-04-27")
               for w in at.warning)
    captions = " ".join(c.value for c in at.sidebar.caption)
    # 2025-03-31 (Mon) to 2025-05-15: 32 sessions (Good Friday 2025-04-18 is a holiday)
    assert "Prices to 2025-03-31: 32 trading days behind on 2025-05-15" in captions
    early = open_with(monkeypatch, tmp_path / "early", "", "2025-04-30")
    assert not [w for w in early.warning if "results" in w.value]  # not yet past the grace days
