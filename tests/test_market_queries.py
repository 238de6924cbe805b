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


def test_event_study_inputs_are_joint_days_and_known_events(event_con):
    p = queries.run(event_con, "event_study_prices", subject="MSFT", benchmark="QQQ", as_of=LATEST)
    assert [str(d.date()) for d in p.date] == DAYS  # 2025-01-20 only MSFT traded: not a trading day
    assert p.subject_adj_close.tolist() == MSFT and p.benchmark_adj_close.tolist() == QQQ
    early = queries.run(event_con, "event_study_prices", subject="MSFT", benchmark="QQQ", as_of=date(2025, 1, 9))
    assert len(early) == 4
    m = queries.run(event_con, "event_study_milestones", as_of=date(2025, 1, 16))
    assert list(m.id) == ["m1", "m3", "m7", "m4", "m5"]  # day precision only, known by then
    assert m.set_index("id").loc["m4", "indicator_name"] == "Consumer AI commercialization"
    r = queries.run(event_con, "event_study_releases", as_of=date(2024, 12, 31))
    assert r.label.tolist()[:2] == ["FY24 Q1 results", "FY24 Q2 results"] and (r.release_date <= "2024-12-31").all()


def test_event_study_benchmark_is_bound(event_con):
    p = queries.run(event_con, "event_study_prices", subject="MSFT", benchmark="QQQ' or 1=1 --", as_of=LATEST)
    assert p.empty


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
