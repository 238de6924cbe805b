"""aiwatch.market: horizons, the merge rules, and reading each price-file layout.

Also home of the synthetic price helpers the other market tests import.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aiwatch import market
from tests.conftest import FIXTURES

PRICES = FIXTURES / "prices"


# --- helpers shared by the market tests ----------------------------------------------------------

def bars(ticker: str, days, adj, close=None, source: str = "test") -> pd.DataFrame:
    """Snapshot rows for one ticker: ``days`` (ISO strings or dates) and adjusted closes."""
    adj = np.asarray(adj, dtype="float64")
    close = adj if close is None else np.asarray(close, dtype="float64")
    return pd.DataFrame({
        "ticker": ticker, "date": pd.to_datetime(list(days)), "open": close, "high": close * 1.01,
        "low": close * 0.99, "close": close, "adj_close": adj, "volume": 1000.0, "source": source,
        "fetched_at": pd.Timestamp("2025-01-01 00:00:00")})


def synthetic_prices(tickers=("MSFT", "AAPL", "QQQ"), start="2022-01-03", end="2025-03-31") -> pd.DataFrame:
    """Deterministic made-up daily bars on business days: smooth waves, no randomness."""
    days = pd.bdate_range(start, end)
    t = np.arange(len(days))
    frames = []
    for k, ticker in enumerate(tickers):
        r = 0.0004 * (k + 1) + 0.012 * np.sin(t / (5 + 3 * k)) * np.cos(t / 17)
        frames.append(bars(ticker, days, 100 * (k + 1) * np.exp(np.cumsum(r) / 4)))
    return pd.concat(frames, ignore_index=True)


def write_prices(cfg, df: pd.DataFrame) -> Path:
    path = market.snapshot_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    market.write_snapshot(df, path)
    return path


# --- horizons -------------------------------------------------------------------------------------

@pytest.mark.parametrize("horizon,expected", [
    ("1M", date(2025, 2, 28)), ("3M", date(2024, 12, 31)), ("6M", date(2024, 9, 30)),
    ("YTD", date(2025, 1, 1)), ("1Y", date(2024, 3, 31)), ("3Y", date(2022, 3, 31)),
    ("5Y", date(2021, 1, 4)), ("max", date(2021, 1, 4)),
])
def test_window_start(horizon, expected):
    assert market.window_start(horizon, first=date(2021, 1, 4), last=date(2025, 3, 31)) == expected


def test_window_start_rejects_unknown_horizon():
    with pytest.raises(ValueError, match="unknown horizon"):
        market.window_start("2W", date(2021, 1, 4), date(2025, 3, 31))


# --- merging --------------------------------------------------------------------------------------

def test_merge_adds_new_and_keeps_identical_rows():
    old = bars("MSFT", ["2025-01-02", "2025-01-03"], [100, 101])
    new = bars("MSFT", ["2025-01-03", "2025-01-06"], [101, 102], source="newer")
    r = market.merge(old, new)
    assert (r.new, r.changed) == (1, 0)
    assert r.prices["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-02", "2025-01-03", "2025-01-06"]
    # the identical day keeps the stored row (its source), so re-imports change nothing
    assert r.prices["source"].tolist() == ["test", "test", "newer"]
    assert r.summary() == "1 new row"


def test_merge_replaces_a_day_whose_values_differ():
    old = bars("MSFT", ["2025-01-02", "2025-01-03"], [100, 101])
    new = bars("MSFT", ["2025-01-03"], [101], close=[999])  # same adjusted close, another close
    r = market.merge(old, new)
    assert (r.new, r.changed) == (0, 1)
    assert r.prices["close"].tolist() == [100, 999]
    assert r.per_ticker["MSFT"].factor is None


def test_merge_rescales_history_onto_the_newer_adjustment():
    # the newer file was adjusted after a dividend: every overlapping day is 2% lower, and
    # three of them lie before the last stored day
    days = pd.bdate_range("2025-01-02", periods=6)
    old = bars("MSFT", days, [100, 102, 101, 103, 104, 105])
    new = bars("MSFT", days[2:], np.array([101, 103, 104, 105]) * 0.98, close=[101, 103, 104, 105])
    r = market.merge(old, new)
    got = r.prices.set_index("date")["adj_close"]
    assert r.per_ticker["MSFT"].factor == pytest.approx(0.98)
    assert r.per_ticker["MSFT"].rescaled == 2
    np.testing.assert_allclose(got.to_numpy(), np.array([100, 102, 101, 103, 104, 105]) * 0.98)
    # daily returns are continuous across the splice, closes as delivered are untouched
    assert r.prices["close"].tolist()[:2] == [100, 102]
    assert r.warnings == []


def test_merge_does_not_rescale_on_two_days_besides_the_last_one():
    days = pd.bdate_range("2025-01-02", periods=6)
    old = bars("MSFT", days, [100, 102, 101, 103, 104, 105])
    new = bars("MSFT", days[3:], np.array([103, 104, 105]) * 0.98)  # two days + the last stored day
    r = market.merge(old, new)
    assert r.per_ticker["MSFT"].factor is None and r.per_ticker["MSFT"].rescaled == 0
    assert r.prices["adj_close"].tolist()[:3] == [100, 102, 101]  # the stored history is kept
    assert len(r.warnings) == 1
    assert r.warnings[0].startswith("MSFT: the new adjusted closes differ from the stored ones by more than "
                                    "one constant factor (-2.00% at the median of the 2 overlapping day(s) "
                                    "before the last stored day 2025-01-09, 2 of them agreeing; at least 3 must)")
    assert "replace the stored ones on 2025-01-07 (-2.00%), 2025-01-08 (-2.00%), 2025-01-09 (-2.00%)" \
        in r.warnings[0]


def test_merge_warns_when_overlap_is_not_one_factor():
    days = pd.bdate_range("2025-01-02", periods=4)
    old = bars("MSFT", days, [100, 100, 100, 100])
    new = bars("MSFT", days[1:], [90, 100, 110])
    r = market.merge(old, new)
    assert r.per_ticker["MSFT"].rescaled == 0
    assert len(r.warnings) == 1 and "more than one constant factor" in r.warnings[0]
    assert r.prices["adj_close"].tolist() == [100, 90, 100, 110]


def test_merge_leaves_other_tickers_alone():
    old = pd.concat([bars("MSFT", ["2025-01-02"], [100]), bars("QQQ", ["2025-01-02"], [200])])
    new = bars("MSFT", ["2025-01-02"], [50])
    r = market.merge(old, new)
    assert r.prices.set_index("ticker")["adj_close"].to_dict() == {"MSFT": 50, "QQQ": 200}
    assert list(r.per_ticker) == ["MSFT"]


def test_snapshot_round_trips_exactly(cfg):
    df = synthetic_prices(("MSFT",), "2025-01-01", "2025-02-01")
    df.loc[0, "volume"] = np.nan
    write_prices(cfg, df)
    back = market.read_snapshot(cfg)
    r = market.merge(back, df)
    assert (r.new, r.changed) == (0, 0)  # every float came back bit for bit
    assert back["volume"].isna().sum() == 1


# --- reading the layouts --------------------------------------------------------------------------

def parse(path: Path, **kw) -> market.ParsedFile:
    return market.parse_price_file(path, **kw)


def test_yahoo_layout():
    f = parse(PRICES / "yahoo" / "MSFT.csv")
    assert f.problems == [] and f.layout == "yahoo_csv"
    row = f.prices.iloc[0]
    assert (row.ticker, str(row.date.date()), row.close, row.adj_close, row.volume) == \
        ("MSFT", "2025-01-02", 101.0, 100.5, 1_000_000)
    assert row.source == "yahoo_csv"


def test_yfinance_layout_stores_its_adjusted_close_as_both():
    f = parse(PRICES / "yfinance" / "QQQ.csv")
    assert f.problems == [] and f.layout == "yfinance_csv"
    assert (f.prices["close"] == f.prices["adj_close"]).all()
    assert f.prices.iloc[0][["open", "high", "low", "close"]].tolist() == [199.5, 201.0, 199.0, 200.5]
    assert "already adjusted" in f.prices.iloc[0].source


def test_yfinance_three_row_header_names_the_ticker():
    f = parse(PRICES / "yfinance_multiheader" / "prices.csv")
    assert f.problems == []
    assert set(f.prices["ticker"]) == {"NVDA"} and len(f.prices) == 3


def test_alpaca_layout_keeps_the_trading_day_of_utc_stamps():
    f = parse(PRICES / "alpaca" / "bars.csv")
    assert f.problems == [] and f.layout == "alpaca_csv"
    got = f.prices.assign(day=f.prices["date"].dt.strftime("%Y-%m-%d")).groupby("ticker")["day"].apply(list)
    assert got["AAPL"] == ["2025-01-02", "2025-01-03", "2025-07-01"]  # 04:00 and 05:00 UTC = NY midnight
    assert got["ORCL"] == ["2025-01-02", "2025-01-03"]


def test_plain_layout():
    f = parse(PRICES / "plain" / "MSFT.csv")
    assert f.problems == [] and f.layout == "plain_csv"
    assert f.prices["close"].tolist() == [105.0, 106.0, 107.0]


def test_ticker_option_and_file_name(tmp_path):
    p = tmp_path / "my prices.csv"
    p.write_text((PRICES / "plain" / "MSFT.csv").read_text())
    assert set(parse(p, ticker="GOOGL").prices["ticker"]) == {"GOOGL"}
    assert set(parse(p).prices["ticker"]) == {"MY"}  # first word of the file name
    odd = tmp_path / "#1.csv"
    odd.write_text((PRICES / "plain" / "MSFT.csv").read_text())
    assert "pass --ticker" in str(parse(odd).problems[0])


def test_symbol_column_must_agree_with_ticker_option():
    f = parse(PRICES / "alpaca" / "bars.csv", ticker="AAPL")
    assert len(f.problems) == 1
    assert "line 5, column symbol: 'ORCL' is not AAPL (given with --ticker)" in str(f.problems[0])


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def messages(f: market.ParsedFile) -> list[str]:
    return [str(p) for p in f.problems]


def test_every_bad_row_is_named_with_its_line(tmp_path):
    p = write(tmp_path, "MSFT.csv", "date,open,high,low,close,volume\n"
              "2025-01-02,1,1,1,10,100\n"
              "2025-01-03,1,1,1,-5,100\n"       # line 3: non-positive price
              "2025/01/06,1,1,1,10,100\n"       # line 4: unparseable date
              "2025-01-07,1,1,1,ten,100\n"      # line 5: not a number
              "2025-01-02,1,1,1,11,100\n"       # line 6: duplicate of line 2
              "2025-02-30,1,1,1,10,100\n"       # line 7: no such day
              "2025-01-08,1,1,1,10,-1\n")       # line 8: negative volume
    got = messages(parse(p))
    label = str(p)
    assert f"{label} line 3, column close: '-5' is not a positive price" in got
    assert f"{label} line 4, column date: '2025/01/06' is not a date as YYYY-MM-DD (optionally with a time)" in got
    assert f"{label} line 5, column close: 'ten' is not a number" in got
    assert any(m.startswith(f"{label} line 6, column date: '2025-01-02' is not a date not already on line 2")
               for m in got)
    assert any(m.startswith(f"{label} line 7, column date: '2025-02-30'") for m in got)
    assert f"{label} line 8, column volume: '-1' is not a volume >= 0" in got
    assert len(got) == 6


def test_unknown_columns_and_unrecognised_layouts(tmp_path):
    unknown = parse(write(tmp_path, "MSFT.csv", "Date,Close,Dividend\n2025-01-02,10,0\n"))
    assert messages(unknown)[0].startswith(f"{tmp_path / 'MSFT.csv'} line 1: unknown column 'Dividend' (not a "
                                           "price column this import reads); expected Yahoo (Date,Open,")
    no_close = parse(write(tmp_path, "QQQ.csv", "date,open\n2025-01-02,10\n"))
    assert "unrecognised layout: no date and close column in 'date,open'" in messages(no_close)[0]


def test_empty_and_header_only_files(tmp_path):
    assert "an empty file" in messages(parse(write(tmp_path, "A.csv", "")))[0]
    assert "found only the header" in messages(parse(write(tmp_path, "B.csv", "date,close\n")))[0]


def test_ragged_rows_are_reported(tmp_path):
    f = parse(write(tmp_path, "MSFT.csv", "date,close\n2025-01-02,10\n2025-01-03,10,11\n"))
    assert messages(f) == [f"{tmp_path / 'MSFT.csv'} line 3: a row of 2 fields like the header (found 3)"]


def test_yahoo_null_rows_are_skipped_with_a_note(tmp_path):
    f = parse(write(tmp_path, "MSFT.csv", "Date,Open,High,Low,Close,Adj Close,Volume\n"
                    "2025-01-02,1,1,1,10,10,5\n2025-01-03,null,null,null,null,null,null\n"))
    assert f.problems == [] and len(f.prices) == 1
    assert "skipped 1 row(s) without prices (first on line 3)" in f.notes[0]


def test_many_problems_are_capped(tmp_path):
    rows = "".join(f"2025-01-02,{-i}\n" for i in range(1, 40))
    f = parse(write(tmp_path, "MSFT.csv", "date,close\n" + rows))
    assert len(f.problems) == market.MAX_PROBLEMS_PER_FILE + 1
    assert "more problem(s) in this file" in str(f.problems[-1])


def test_a_split_between_downloads_rescales_adj_close_and_says_close_is_kept():
    # a 4-for-1 split since the stored rows were fetched: Yahoo's Close and Adj Close of the
    # overlapping days are now a quarter of what was stored
    days = pd.bdate_range("2025-01-02", periods=6)
    old = bars("MSFT", days, [400, 404, 408, 412, 416, 420], close=[400, 404, 408, 412, 416, 420])
    quarter = np.array([408, 412, 416, 420]) / 4
    new = bars("MSFT", days[2:], quarter, close=quarter)
    r = market.merge(old, new)
    assert r.per_ticker["MSFT"].factor == pytest.approx(0.25)
    assert r.prices["adj_close"].tolist() == pytest.approx([100, 101, 102, 103, 104, 105])
    assert r.prices["close"].tolist()[:2] == [400, 404]  # as delivered, not rewritten
    assert len(r.warnings) == 1 and r.warnings[0].startswith(
        "MSFT: the new closes differ from the stored ones by one factor (-75.00%, a split?)")
