"""The market queries on tiny hand-made series: every figure checked against a hand computation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from aiwatch import queries, store
from tests.test_market import bars, write_prices

LATEST = date(9999, 12, 31)
ALL = ["mai_progress", "consumer_ai", "api_adoption", "openai_dependence"]

# Joint trading days of MSFT and QQQ (2025-01-20 is a day only MSFT has: not a trading day here).
DAYS = ["2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10", "2025-01-13", "2025-01-14",
        "2025-01-15", "2025-01-16", "2025-01-17", "2025-01-21", "2025-01-22"]
MSFT = [100, 101, 102, 103, 104, 110, 111, 112, 113, 114, 115, 116]
QQQ = [200, 200, 202, 202, 204, 206, 208, 210, 212, 214, 216, 218]
EXTRA_MILESTONES = [
    # id, date, precision, indicator  (m4 = 2025-01-10, consumer_ai, is in the basic fixture)
    ("m5", "2025-01-11", "day", "api_adoption"),     # a Saturday: day 0 is Monday 2025-01-13
    ("m6", "2025-01-17", "day", "api_adoption"),     # too close to the end for [0, +5]
    ("m7", "2025-01-07", "day", "mai_progress"),     # no close two trading days before day 0
    ("m8", "2025-01-01", "month", "consumer_ai"),    # month precision: never in the event study
]


@pytest.fixture
def event_con(cfg):
    with open(cfg.data_dir / "milestone.csv", "a") as f:
        for mid, d, precision, indicator in EXTRA_MILESTONES:
            f.write(f"{mid},{d},{precision},{indicator},Synthetic,Synthetic {mid},Synthetic.,"
                    f"https://example.test/synthetic/{mid},press,\n")
    write_prices(cfg, pd.concat([bars("MSFT", DAYS + ["2025-01-20"], MSFT + [999]), bars("QQQ", DAYS, QQQ)]))
    store.build(cfg)
    con = store.open_readonly(cfg)
    yield con
    con.close()


def events(con, indicators=ALL, as_of=LATEST):
    df = queries.run(con, "event_study", subject="MSFT", benchmark="QQQ", indicators=indicators, as_of=as_of)
    return df.set_index("id")


def pct(a, b):
    return round(100 * (a / b - 1), 2)


def test_event_study_matches_a_hand_computation(event_con):
    e = events(event_con)
    assert list(e.index) == ["m4", "m5", "m6"]  # m1, m3: no prices; m7: no day -2; m8: month
    # m4, Friday 2025-01-10 is a trading day: day 0 = 2025-01-10
    m4 = e.loc["m4"]
    assert str(m4.day0_date.date()) == "2025-01-10"
    assert (m4.subject_m1_p1_pct, m4.benchmark_m1_p1_pct) == (pct(110, 102), pct(206, 202))  # 13th / 8th
    assert m4.excess_m1_p1_pct == round(100 * ((110 / 102 - 1) - (206 / 202 - 1)), 2) == 5.86
    assert (m4.subject_0_p5_pct, m4.benchmark_0_p5_pct) == (pct(114, 103), pct(214, 202))  # 17th / 9th
    assert m4.excess_0_p5_pct == 4.74
    # m5, Saturday: day 0 = Monday 13th; [0, +5] ends on the 21st, skipping MSFT's lone 20th (999)
    m5 = e.loc["m5"]
    assert str(m5.day0_date.date()) == "2025-01-13"
    assert (m5.subject_m1_p1_pct, m5.benchmark_m1_p1_pct) == (pct(111, 103), pct(208, 202))
    assert (m5.subject_0_p5_pct, m5.benchmark_0_p5_pct) == (pct(115, 104), pct(216, 204))
    assert str(m5.day_p5_date.date()) == "2025-01-21"
    # m6: [-1, +1] from the 15th to the 21st; [0, +5] not complete yet
    m6 = e.loc["m6"]
    assert (m6.subject_m1_p1_pct, m6.benchmark_m1_p1_pct) == (pct(115, 112), pct(216, 210))
    assert pd.isna(m6.subject_0_p5_pct) and pd.isna(m6.excess_0_p5_pct)
    assert m6.source_url == "https://example.test/synthetic/m6"


def test_event_study_is_point_in_time(event_con):
    e = events(event_con, as_of=date(2025, 1, 16))
    assert list(e.index) == ["m4", "m5"]  # m6 is not known yet
    assert e["excess_0_p5_pct"].isna().all()  # no prices after the 16th
    assert e.loc["m5", "subject_m1_p1_pct"] == pct(111, 103)


def test_event_study_indicator_filter(event_con):
    assert list(events(event_con, indicators=["consumer_ai"]).index) == ["m4"]
    assert events(event_con, indicators=[]).empty


def test_event_study_benchmark_is_bound(event_con):
    e = queries.run(event_con, "event_study", subject="MSFT", benchmark="QQQ' or 1=1 --", indicators=ALL,
                    as_of=LATEST)
    assert e.empty


# --- performance ----------------------------------------------------------------------------------

@pytest.fixture
def perf_con(cfg):
    """QQQ wiggles; X's daily return is exactly twice QQQ's (beta 2, correlation 1)."""
    days = pd.bdate_range("2024-01-01", periods=160)
    r = 0.01 * np.sin(np.arange(1, 160) / 3)
    qqq = 100 * np.cumprod(np.r_[1, 1 + r])
    x = 50 * np.cumprod(np.r_[1, 1 + 2 * r])
    write_prices(cfg, pd.concat([bars("QQQ", days, qqq), bars("X", days, x), bars("MSFT", days, qqq * 3)]))
    store.build(cfg)
    con = store.open_readonly(cfg)
    yield con, days, qqq, x
    con.close()


def perf(con, start, base=None, max_points=4000, tickers=("X", "QQQ")):
    return queries.run(con, "price_performance", tickers=list(tickers), benchmark="QQQ", start=start,
                       base_date=base or start, as_of=LATEST, max_points=max_points)


def test_rebased_drawdown_beta_and_correlation(perf_con):
    con, days, qqq, x = perf_con
    start = days[80].date()
    p = perf(con, start)
    xs = p[p.ticker == "X"].reset_index(drop=True)
    assert (p.grain == "day").all() and len(xs) == 80
    assert xs.rebased[0] == pytest.approx(100) and xs.rebased.iloc[-1] == pytest.approx(100 * x[-1] / x[80])
    peak = np.maximum.accumulate(x[80:])
    np.testing.assert_allclose(xs.drawdown_pct, 100 * (x[80:] / peak - 1), atol=1e-9)
    # the 200-day look-back gives every plotted day a full 60-day window
    np.testing.assert_allclose(xs.beta_60d, 2.0, rtol=1e-9)
    np.testing.assert_allclose(xs.corr_60d, 1.0, rtol=1e-9)
    q = p[p.ticker == "QQQ"]
    assert q.is_benchmark.all() and not xs.is_benchmark.any()
    np.testing.assert_allclose(q.beta_60d, 1.0, rtol=1e-9)


def test_rolling_figures_wait_for_60_returns(perf_con):
    con, days, *_ = perf_con
    xs = perf(con, days[0].date()).query("ticker == 'X'").reset_index(drop=True)
    assert xs.beta_60d[:60].isna().all() and xs.beta_60d[60:].notna().all()  # day 0 has no return


def test_rebase_at_a_later_day(perf_con):
    con, days, qqq, x = perf_con
    base = days[100].date() + pd.Timedelta(days=1)  # not necessarily a trading day
    xs = perf(con, days[80].date(), base=base).query("ticker == 'X'").reset_index(drop=True)
    first_on_or_after = int(np.searchsorted(days, pd.Timestamp(base)))
    assert xs.rebased[first_on_or_after - 80] == pytest.approx(100)
    assert xs.rebased[0] == pytest.approx(100 * x[80] / x[first_on_or_after])


def test_long_windows_are_resampled_under_the_point_budget(perf_con):
    con, days, *_ = perf_con
    p = perf(con, days[0].date(), max_points=150, tickers=("X", "QQQ", "MSFT"))
    assert len(p) <= 150 and set(p.grain) == {"week"}
    xs = p[p.ticker == "X"]
    weeks = pd.Series(days).groupby(pd.Series(days).dt.to_period("W")).max()
    assert set(xs.date) == set(weeks) | {days[0]}  # each week's last trading day, plus the first day
    monthly = perf(con, days[0].date(), max_points=30, tickers=("X", "QQQ"))
    assert set(monthly.grain) == {"month"} and len(monthly) <= 30


def test_market_tickers_and_milestones_respect_as_of(event_con):
    t = queries.run(event_con, "market_tickers", as_of=date(2025, 1, 9)).set_index("ticker")
    assert t.loc["MSFT", "trading_days"] == 4 and t.loc["AAPL", "trading_days"] == 0
    assert list(t.index) == ["MSFT", "AAPL", "QQQ"]  # subject, peers, indexes
    m = queries.run(event_con, "market_milestones", indicators=ALL, start=date(2025, 1, 1),
                    as_of=date(2025, 1, 16))
    # m8 is dated 2025-01 (month precision): known only from 2025-01-31
    assert list(m.id) == ["m7", "m4", "m5"]
    assert dict(zip(m.id, m.date_label))["m4"] == "2025-01-10"
