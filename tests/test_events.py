"""The event study (aiwatch.events) against independent computations on synthetic series.

The market model is checked against statsmodels' OLS; CARs, t, p and the aggregates against
hand computations written out here, with scipy only for Student's t distribution.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from aiwatch import events, queries, store
from tests.test_market import bars, write_prices

LATEST = date(9999, 12, 31)
DAYS = pd.bdate_range("2023-01-02", periods=400)  # business days: weekends are not trading days


def returns_fixture(seed: int = 7, n: int = len(DAYS)):
    """Benchmark and subject daily returns: r_s = 0.0004 + 1.3 r_b + noise."""
    rng = np.random.default_rng(seed)
    rb = rng.normal(0.0005, 0.011, n)
    rs = 0.0004 + 1.3 * rb + rng.normal(0, 0.008, n)
    rb[0] = rs[0] = 0.0  # the first day has no return
    return rs, rb


def prices_from(rs, rb, days=DAYS) -> pd.DataFrame:
    return pd.DataFrame({"date": days, "subject_adj_close": 50 * np.cumprod(1 + rs),
                         "benchmark_adj_close": 300 * np.cumprod(1 + rb)})


def milestones(*rows) -> pd.DataFrame:
    """rows: (id, date[, title]); indicator and category from the id's first letter."""
    out = []
    for r in rows:
        mid, d, *title = r
        out.append({"id": mid, "date": pd.Timestamp(d), "indicator": f"ind_{mid[0]}",
                    "indicator_name": f"Indicator {mid[0].upper()}", "category": f"Category {mid[0].upper()}",
                    "title": title[0] if title else f"Milestone {mid}", "source_url": f"https://example.test/{mid}"})
    return pd.DataFrame(out)


def releases(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"release_date": pd.Timestamp(d), "label": label} for d, label in rows],
                        columns=["release_date", "label"])


def inputs(prices, ms, rel=None) -> events.Inputs:
    return events.Inputs(prices, ms, releases() if rel is None else rel)


def row(table, mid, window):
    r = table[(table.milestone_id == mid) & (table.window == window)]
    assert len(r) == 1, (mid, window)
    return r.iloc[0]


# --- the computation against independent ones -------------------------------------------------------

def test_market_model_matches_statsmodels_and_a_hand_computation():
    rs, rb = returns_fixture()
    i0 = 300
    rs = rs.copy()
    rs[i0] += 0.05  # a 5-point abnormal return on day 0
    table = events.study(inputs(prices_from(rs, rb), milestones(("a1", DAYS[i0]))), "market", "BENCH")
    # estimation window: trading days [-250, -11], i.e. indices 50..289 (240 returns)
    est = slice(i0 - 250, i0 - 10)
    ols = sm.OLS(rs[est], sm.add_constant(rb[est])).fit()
    alpha, beta = ols.params
    sigma = np.sqrt(ols.ssr / (240 - 2))
    for (a, b) in events.WINDOWS:
        r = row(table, "a1", events.window_label((a, b)))
        ar = rs[i0 + a:i0 + b + 1] - alpha - beta * rb[i0 + a:i0 + b + 1]
        car = ar.sum()
        t = car / (sigma * np.sqrt(b - a + 1))
        p = 2 * (1 - stats.t.cdf(abs(t), 238))
        assert r.car_pct == pytest.approx(100 * car, abs=1e-9)
        assert r.t_stat == pytest.approx(t, rel=1e-9)
        assert r.p_value == pytest.approx(p, abs=1e-9)
        assert (r.alpha, r.beta, r.r2) == pytest.approx((alpha, beta, ols.rsquared), rel=1e-9)
        assert r.sigma_pct == pytest.approx(100 * sigma, rel=1e-9)
        assert r.n_est == 240 and r.df == 238
        assert r.day0 == DAYS[i0].date() and r.model == "market" and r.benchmark == "BENCH"
    assert row(table, "a1", "0,+1").significant and row(table, "a1", "0,+1").note == ""
    assert list(table.columns[:15]) == events.EVENT_COLUMNS


def test_market_adjusted_model():
    rs, rb = returns_fixture(seed=3)
    i0 = 280
    table = events.study(inputs(prices_from(rs, rb), milestones(("a1", DAYS[i0]))), "market-adjusted")
    ar = rs - rb
    sigma = np.std(ar[i0 - 250:i0 - 10], ddof=1)
    r = row(table, "a1", "-5,+5")
    car = ar[i0 - 5:i0 + 6].sum()
    t = car / (sigma * np.sqrt(11))
    assert r.car_pct == pytest.approx(100 * car, abs=1e-9)
    assert r.t_stat == pytest.approx(t, rel=1e-9)
    assert r.p_value == pytest.approx(2 * stats.t.sf(abs(t), 239), abs=1e-12)
    assert r.df == 239 and r.sigma_pct == pytest.approx(100 * sigma)
    assert np.isnan(r.alpha) and np.isnan(r.beta)  # no regression in this model


def test_unknown_model_is_refused():
    rs, rb = returns_fixture()
    with pytest.raises(ValueError, match="unknown model"):
        events.study(inputs(prices_from(rs, rb), milestones(("a1", DAYS[300]))), "fama-french")


# --- edge cases -------------------------------------------------------------------------------------

def test_an_event_near_the_start_of_the_data_has_no_statistics():
    rs, rb = returns_fixture()
    # day 0 at index 131: returns at indices 1..120 in [-250, -11] -> exactly 120, enough;
    # at index 130 only 119 (index 0 has no return) -> not enough history
    ms = milestones(("a1", DAYS[131]), ("b1", DAYS[130]), ("c1", DAYS[0] - pd.Timedelta(days=30)))
    table = events.study(inputs(prices_from(rs, rb), ms))
    ok, short, before = row(table, "a1", "-1,+1"), row(table, "b1", "-1,+1"), row(table, "c1", "-1,+1")
    assert ok.n_est == 120 and np.isfinite(ok.car_pct) and ok.note == ""
    assert short.n_est == 119 and np.isnan(short.car_pct) and np.isnan(short.t_stat) and np.isnan(short.beta)
    assert short.note == events.NOT_ENOUGH_HISTORY and short.day0 == DAYS[130].date()
    # before the first price nobody knows which days were trading days: no day 0 at all
    assert before.day0 is None and before.note == events.NOT_ENOUGH_HISTORY


def test_a_window_past_the_as_of_date_gets_no_value():
    rs, rb = returns_fixture()
    last = len(DAYS) - 1
    ms = milestones(("a1", DAYS[last - 3]), ("b1", DAYS[-1] + pd.Timedelta(days=10)))
    table = events.study(inputs(prices_from(rs, rb), ms))
    assert np.isfinite(row(table, "a1", "-1,+1").car_pct) and np.isfinite(row(table, "a1", "0,+1").car_pct)
    for w in ("0,+5", "-5,+5"):
        r = row(table, "a1", w)
        assert np.isnan(r.car_pct) and np.isnan(r.t_stat) and r.note == events.INCOMPLETE
        assert np.isfinite(r.beta)  # the model is still estimated
    after = row(table, "b1", "-1,+1")
    assert after.day0 is None and after.note == events.NO_DAY0


def test_a_milestone_on_a_weekend_starts_on_the_next_trading_day():
    rs, rb = returns_fixture()
    saturday = DAYS[300] + pd.Timedelta(days=(5 - DAYS[300].weekday()) % 7)
    assert saturday.weekday() == 5
    monday = int(np.searchsorted(DAYS, saturday))
    table = events.study(inputs(prices_from(rs, rb), milestones(("a1", saturday))))
    r = row(table, "a1", "0,+1")
    assert r.milestone_date == saturday.date() and r.day0 == DAYS[monday].date()
    est = slice(monday - 250, monday - 10)
    ols = sm.OLS(rs[est], sm.add_constant(rb[est])).fit()
    ar = rs[monday:monday + 2] - ols.params[0] - ols.params[1] * rb[monday:monday + 2]
    assert r.car_pct == pytest.approx(100 * ar.sum(), abs=1e-9)


def test_zero_variance_windows():
    rs, rb = returns_fixture()
    i0 = 300
    flat = prices_from(rs, np.zeros_like(rb))  # the benchmark never moves: no regression possible
    r = row(events.study(inputs(flat, milestones(("a1", DAYS[i0]))), "market"), "a1", "-1,+1")
    assert np.isnan(r.car_pct) and np.isnan(r.beta) and r.note == events.FLAT_BENCHMARK
    # the subject is exactly twice the benchmark: residuals are zero, a CAR but no t-test
    twice = prices_from(2 * rb, rb)
    r = row(events.study(inputs(twice, milestones(("a1", DAYS[i0]))), "market"), "a1", "-1,+1")
    assert r.beta == pytest.approx(2) and r.car_pct == pytest.approx(0, abs=1e-9)
    assert np.isnan(r.t_stat) and np.isnan(r.p_value) and not r.significant and r.note == events.ZERO_VARIANCE
    same = prices_from(rb, rb)
    r = row(events.study(inputs(same, milestones(("a1", DAYS[i0]))), "market-adjusted"), "a1", "0,+5")
    assert r.car_pct == pytest.approx(0, abs=1e-12) and np.isnan(r.t_stat) and r.note == events.ZERO_VARIANCE
    agg = events.aggregates(events.study(inputs(same, milestones(("a1", DAYS[i0]), ("a2", DAYS[350]))),
                                         "market-adjusted"))
    assert (agg.bmp_n == 0).all() and agg.bmp_t.isna().all()  # no SCAR without a sigma


def test_missing_benchmark_days_are_not_trading_days(tmp_path, cfg):
    """Through the store: a day the benchmark lacks drops out; the next return spans both days."""
    days = pd.bdate_range("2023-01-02", periods=320)
    rs, rb = returns_fixture(n=len(days))
    subject, bench = 50 * np.cumprod(1 + rs), 300 * np.cumprod(1 + rb)
    gone = [299, 300, 150]  # the benchmark has no price on these days (300 = the milestone's date)
    keep = np.setdiff1d(np.arange(len(days)), gone)
    write_prices(cfg, pd.concat([bars("MSFT", days, subject), bars("QQQ", days[keep], bench[keep])]))
    store.build(cfg)
    con = store.open_readonly(cfg)
    try:
        inp = events.load_inputs(lambda n, **p: queries.run(con, n, **p), "MSFT", "QQQ", LATEST)
    finally:
        con.close()
    assert len(inp.prices) == len(days) - 3
    ms = milestones(("a1", days[300]))
    table = events.study(events.Inputs(inp.prices, ms, releases()))
    r = row(table, "a1", "0,+1")
    assert r.day0 == days[301].date()  # the 300th day is no trading day here
    # independent: returns over the joint days, from the raw series
    s, b = pd.Series(subject[keep]), pd.Series(bench[keep])
    jrs, jrb = s.pct_change().to_numpy(), b.pct_change().to_numpy()
    i0 = int(np.searchsorted(days[keep], days[301]))
    assert jrs[i0 - 1] == pytest.approx(subject[298] / subject[297] - 1)  # the day before: 298 over 297
    assert jrs[i0] == pytest.approx(subject[301] / subject[298] - 1)  # spans the two missing days
    est = slice(i0 - 250, i0 - 10)
    ols = sm.OLS(jrs[est], sm.add_constant(jrb[est]), missing="drop").fit()
    ar = jrs[i0:i0 + 2] - ols.params[0] - ols.params[1] * jrb[i0:i0 + 2]
    assert r.car_pct == pytest.approx(100 * ar.sum(), abs=1e-9)
    assert r.n_est == 240


# --- confounders --------------------------------------------------------------------------------------

def test_confounders_are_named_per_window():
    rs, rb = returns_fixture()
    i0 = 300
    ms = milestones(("a1", DAYS[i0], "Launch A"), ("b1", DAYS[i0 + 3], "Deal B"), ("c1", DAYS[i0 - 40]),
                    ("d1", DAYS[i0 - 40], "Same-day D"))
    rel = releases((DAYS[i0 + 1], "FY25 Q2 results"),  # after the close of day 0: moves day +1
                   (DAYS[i0 + 3] + pd.Timedelta(days=0), "FY25 Q3 results"),  # day +3 of a1, day 0 of b1
                   (DAYS[i0 - 42], "FY24 Q4 results"))  # two trading days before c1: not within [-1, +1]
    table = events.study(inputs(prices_from(rs, rb), ms, rel))
    a = {w: row(table, "a1", w).confounders for w in events.WINDOW_LABELS}
    day1 = f"FY25 Q2 results, {DAYS[i0 + 1]:%Y-%m-%d}"
    b_name = f"Deal B, {DAYS[i0 + 3]:%Y-%m-%d}"
    assert a == {"-1,+1": day1, "0,+1": day1, "0,+5": f"{day1}; {b_name}", "-5,+5": f"{day1}; {b_name}"}
    b = {w: row(table, "b1", w).confounders for w in events.WINDOW_LABELS}
    q3 = f"FY25 Q3 results, {DAYS[i0 + 3]:%Y-%m-%d}"
    assert b["0,+5"] == q3 and b["-5,+5"] == f"{q3}; Launch A, {DAYS[i0]:%Y-%m-%d}"
    # two milestones on the same day confound each other; a release two days earlier does not
    assert row(table, "c1", "0,+1").confounders == f"Same-day D, {DAYS[i0 - 40]:%Y-%m-%d}"
    assert row(table, "d1", "-1,+1").confounders == f"Milestone c1, {DAYS[i0 - 40]:%Y-%m-%d}"
    assert row(table, "a1", "-1,+1").confounded and row(table, "c1", "0,+1").confounded


def test_a_release_the_day_before_counts_two_days_before_does_not():
    rs, rb = returns_fixture()
    ms = milestones(("a1", DAYS[300]), ("b1", DAYS[340]))
    rel = releases((DAYS[299], "Before A"), (DAYS[338], "Two before B"))
    table = events.study(inputs(prices_from(rs, rb), ms, rel))
    assert row(table, "a1", "0,+5").confounders.startswith("Before A, ")
    assert row(table, "b1", "-5,+5").confounders == ""  # a release outside [-1, +1] is not checked here


# --- aggregates ---------------------------------------------------------------------------------------

def test_aggregates_match_a_hand_computation():
    rs, rb = returns_fixture(seed=11, n=400)
    ms = milestones(("a1", DAYS[260]), ("a2", DAYS[290]), ("b1", DAYS[320]), ("b2", DAYS[350]),
                    ("b3", DAYS[380]))
    rel = releases((DAYS[350], "FY25 Q2 results"))  # b2 is confounded
    table = events.study(inputs(prices_from(rs, rb), ms, rel))
    agg = events.aggregates(table).set_index(["group_kind", "group", "window", "sample"])
    w = table[table.window == "0,+1"].set_index("milestone_id")
    scar = w.car_pct / (w.sigma_pct * np.sqrt(2))

    def check(key, ids):
        car, z = w.car_pct[ids].to_numpy(), scar[ids].to_numpy()
        n = len(ids)
        g = agg.loc[key]
        assert g.n == n and g.bmp_n == n
        assert g.caar_pct == pytest.approx(car.mean())
        t = car.mean() / (car.std(ddof=1) / np.sqrt(n))
        assert g.caar_t == pytest.approx(t) and g.caar_p == pytest.approx(2 * stats.t.sf(abs(t), n - 1))
        tb = z.mean() * np.sqrt(n) / z.std(ddof=1)
        assert g.bmp_t == pytest.approx(tb) and g.bmp_p == pytest.approx(2 * stats.t.sf(abs(tb), n - 1))

    check(("all", events.ALL_EVENTS, "0,+1", "all"), ["a1", "a2", "b1", "b2", "b3"])
    check(("all", events.ALL_EVENTS, "0,+1", "unconfounded"), ["a1", "a2", "b1", "b3"])
    check(("indicator", "Indicator B", "0,+1", "all"), ["b1", "b2", "b3"])
    check(("category", "Category B", "0,+1", "unconfounded"), ["b1", "b3"])
    one = agg.loc[("indicator", "Indicator A", "0,+1", "all")]
    assert one.n == 2
    single = events.aggregates(table[table.milestone_id == "a1"]).iloc[0]
    assert single.n == 1 and np.isnan(single.caar_t) and np.isnan(single.bmp_t)  # no test from one event
    assert set(events.aggregates(table).window) == set(events.WINDOW_LABELS)


def test_car_path_and_its_band():
    rs, rb = returns_fixture()
    i0 = 300
    inp = inputs(prices_from(rs, rb), milestones(("a1", DAYS[i0])))
    path = events.car_path(inp, "a1")
    assert path.day.tolist() == list(range(-10, 11))
    est = slice(i0 - 250, i0 - 10)
    ols = sm.OLS(rs[est], sm.add_constant(rb[est])).fit()
    sigma = np.sqrt(ols.ssr / 238)
    ar = rs[i0 - 10:i0 + 11] - ols.params[0] - ols.params[1] * rb[i0 - 10:i0 + 11]
    np.testing.assert_allclose(path.car_pct, 100 * np.cumsum(ar), atol=1e-9)
    np.testing.assert_allclose(path.band_pct, 100 * 1.96 * sigma * np.sqrt(np.arange(1, 22)), rtol=1e-9)
    short = events.car_path(inputs(prices_from(rs, rb), milestones(("a1", DAYS[-4]))), "a1")
    assert short.day.tolist() == list(range(-10, 4))  # stops at the last trading day
    assert events.car_path(inp, "nope").empty
    assert events.car_path(inputs(prices_from(rs, rb), milestones(("a1", DAYS[100]))), "a1").empty


def test_window_labels_round_trip():
    assert events.WINDOW_LABELS == ["-1,+1", "0,+1", "0,+5", "-5,+5"]
    assert [events.parse_window(w) for w in events.WINDOW_LABELS] == list(events.WINDOWS)
    with pytest.raises(ValueError, match="unknown window"):
        events.parse_window("-2,+2")


def test_default_benchmark_follows_the_ticker_file_order(cfg):
    rows = (cfg.data_dir / "ticker.csv").read_text().splitlines()
    header, body = rows[0], rows[1:]
    extra = "SPY,Second index (synthetic),index,https://example.test/synthetic/SPY"
    (cfg.data_dir / "ticker.csv").write_text("\n".join([header, extra, *body]) + "\n")  # SPY before QQQ
    days = pd.bdate_range("2024-01-01", periods=5)
    write_prices(cfg, pd.concat([bars(t, days, np.arange(1, 6) * (k + 1)) for k, t in
                                 enumerate(("MSFT", "AAPL", "QQQ", "SPY"))]))
    store.build(cfg)
    con = store.open_readonly(cfg)
    try:
        tickers = queries.run(con, "market_tickers", as_of=LATEST)
    finally:
        con.close()
    assert dict(zip(tickers.ticker, tickers.list_order)) == {"SPY": 1, "MSFT": 2, "AAPL": 3, "QQQ": 4}
    assert events.default_benchmark(tickers) == "SPY"
    assert events.default_benchmark(tickers[tickers.ticker != "SPY"]) == "QQQ"
    no_index = tickers[tickers.role != "index"]
    assert events.default_benchmark(no_index) == "AAPL"  # no index: the first other priced ticker
    assert events.default_benchmark(tickers.assign(trading_days=0)) is None
