"""refresh with a fake downloader that returns exactly what yfinance 1.7's download() returns.

Shapes (yfinance.download(..., auto_adjust=False, group_by='column')):
- columns are a (Price, Ticker) MultiIndex, even for one ticker, Price level sorted
  (Adj Close, Close, High, Low, Open, Volume); the index is a tz-naive DatetimeIndex 'Date';
- a batch is aligned on the union of every ticker's days; a failed ticker's columns are all NaN;
- total failure is an empty frame with those columns; errors are logged, not raised;
- a rate limit is yfinance.exceptions.YFRateLimitError.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest
from yfinance.exceptions import YFRateLimitError

from aiwatch import market, store
from aiwatch.__main__ import main
from tests.conftest import ROOT, make_cfg

FIELDS = ["Adj Close", "Close", "High", "Low", "Open", "Volume"]


def yf_frame(series: dict[str, dict[str, float] | None]) -> pd.DataFrame:
    """A yfinance-shaped frame: {ticker: {day: adjusted close}} (None = a failed ticker)."""
    days = sorted({d for s in series.values() if s for d in s})
    index = pd.DatetimeIndex(pd.to_datetime(days), name="Date").astype("datetime64[s]")
    columns = pd.MultiIndex.from_product([FIELDS, sorted(series)], names=["Price", "Ticker"])
    df = pd.DataFrame(np.nan, index=index, columns=columns)
    for t, s in series.items():
        for d, adj in (s or {}).items():
            ts = pd.Timestamp(d)
            df.loc[ts, ("Adj Close", t)] = adj
            df.loc[ts, ("Close", t)] = adj * 1.01  # as traded: not dividend-adjusted
            df.loc[ts, ("High", t)] = adj * 1.02
            df.loc[ts, ("Low", t)] = adj * 0.99
            df.loc[ts, ("Open", t)] = adj
            df.loc[ts, ("Volume", t)] = 1_000_000
    return df


def empty_frame(tickers) -> pd.DataFrame:
    columns = pd.MultiIndex.from_product([FIELDS, sorted(tickers)], names=["Price", "Ticker"])
    return pd.DataFrame(index=pd.DatetimeIndex([], name="Date"), columns=columns, dtype="float64")


class FakeYahoo:
    """Records every call; answers from a list of responses (a frame, an exception, or a callable)."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.calls: list[dict] = []

    def __call__(self, tickers, start=None, **kwargs):
        self.calls.append({"tickers": tickers, "start": start, **kwargs})
        r = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if callable(r) and not isinstance(r, pd.DataFrame):
            r = r(tickers, start)
        if isinstance(r, BaseException):
            raise r
        return r


def days(start: str, n: int, base: float = 100.0, step: float = 1.0) -> dict[str, float]:
    return {d.strftime("%Y-%m-%d"): base + step * i for i, d in enumerate(pd.bdate_range(start, periods=n))}


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    c = make_cfg(tmp_path)
    monkeypatch.setenv("AIWATCH_STATE_DIR", str(c.state_dir))
    return c


@pytest.fixture
def sleeps():
    return []


def refresh(cfg, fake, sleeps, **kw):
    return market.refresh(cfg, downloader=fake, sleep=sleeps.append,
                          progress=market.TickerProgress(9, stream=_Sink()), **kw)


class _Sink:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass

    def isatty(self):
        return False


def stored(cfg) -> pd.DataFrame:
    return market.read_snapshot(cfg)


def untouched(cfg):
    snap = market.snapshot_path(cfg)
    return (snap.read_bytes() if snap.exists() else None,
            cfg.db_path.read_bytes() if cfg.db_path.exists() else None)


def test_first_run_fetches_every_ticker_in_one_call(cfg, sleeps):
    fake = FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 5), "AAPL": days("2025-01-02", 5, 50),
                               "QQQ": days("2025-01-02", 5, 200)}))
    r = refresh(cfg, fake, sleeps)
    assert r.exit_code == 0, r.message
    assert r.message == "ok: 15 new rows (MSFT +5, AAPL +5, QQQ +5)"
    # the tickers of data/ticker.csv, from the configured start, with the documented keywords
    assert fake.calls == [{"tickers": ["MSFT", "AAPL", "QQQ"], "start": "2019-01-01", "auto_adjust": False,
                           "group_by": "column", "progress": False, "threads": False, "actions": False}]
    s = stored(cfg)
    msft = s[s.ticker == "MSFT"].iloc[0]
    assert (msft.adj_close, msft.close, msft.source) == (100.0, pytest.approx(101.0), "yfinance")
    con = store.open_readonly(cfg)
    assert con.execute("select count(*) from price").fetchall()[0][0] == 15
    con.close()
    assert store.read_log(cfg)["action"][0] == "refresh" and sleeps == []


def test_single_ticker_multiindex(cfg, sleeps):
    fake = FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 3)}))
    r = refresh(cfg, fake, sleeps, tickers=["msft"], start=date(2024, 12, 30))
    assert r.exit_code == 0 and r.fetched == {"MSFT": 3}
    assert fake.calls[0]["tickers"] == ["MSFT"] and fake.calls[0]["start"] == "2024-12-30"


def test_one_all_nan_ticker_is_a_partial_success(cfg, sleeps):
    fake = FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 3), "AAPL": None, "QQQ": days("2025-01-02", 3)}))
    r = refresh(cfg, fake, sleeps)
    assert r.exit_code == 3
    assert r.message == "partial: 6 new rows (MSFT +3, QQQ +3); failed: AAPL (unknown ticker)"
    assert set(stored(cfg)["ticker"]) == {"MSFT", "QQQ"}
    assert sleeps == []  # an unknown ticker is not retried
    assert store.read_log(cfg)["outcome"][0] == "partial"


def test_empty_frame_after_network_errors_is_offline_and_changes_nothing(cfg, sleeps):
    refresh(cfg, FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 3)})), sleeps, tickers=["MSFT"])
    before = untouched(cfg)

    def offline(tickers, start):  # what yfinance does offline: log, then hand back an empty frame
        logging.getLogger("yfinance").error(
            "Failed to get ticker 'MSFT' reason: Failed to perform, curl: (6) Could not resolve host: "
            "query2.finance.yahoo.com (Domain name not found).")
        return empty_frame(tickers)

    fake = FakeYahoo(offline)
    r = refresh(cfg, fake, sleeps)
    assert r.exit_code == 1
    assert r.message == ("nothing fetched: offline: could not reach Yahoo Finance (Could not resolve host: "
                         "query2.finance.yahoo.com). The data and the store were not changed.")
    assert untouched(cfg) == before
    # two groups (MSFT from its last day, the others from the start): the second is not even tried
    assert len(fake.calls) == 3 and sleeps == [1.0, 2.0]


def test_empty_frame_without_network_errors_is_an_unknown_ticker(cfg, sleeps):
    fake = FakeYahoo(lambda tickers, start: empty_frame(tickers))
    r = refresh(cfg, fake, sleeps, tickers=["NOPE"])
    assert r.exit_code == 1
    assert r.message.startswith("nothing fetched: no data returned: unknown ticker (or delisted) (NOPE)")
    assert len(fake.calls) == 1 and not market.snapshot_path(cfg).exists()


def test_an_exception_is_retried_then_reported(cfg, sleeps):
    fake = FakeYahoo(ConnectionError("Connection reset by peer"))
    r = refresh(cfg, fake, sleeps, tickers=["MSFT", "QQQ"])
    assert r.exit_code == 1 and "offline" in r.message and "Connection" in r.message
    assert len(fake.calls) == 3 and sleeps == [1.0, 2.0]
    assert untouched(cfg) == (None, None)


def test_rate_limit_backs_off_and_gives_up(cfg, sleeps):
    fake = FakeYahoo(YFRateLimitError())
    r = refresh(cfg, fake, sleeps, tickers=["MSFT"])
    assert r.exit_code == 1
    assert r.message.startswith("nothing fetched: rate-limited by Yahoo Finance; try again later")
    assert sleeps == [1.0, 2.0] and len(fake.calls) == 3


def test_rate_limit_then_success(cfg, sleeps):
    fake = FakeYahoo(YFRateLimitError(), yf_frame({"MSFT": days("2025-01-02", 2)}))
    r = refresh(cfg, fake, sleeps, tickers=["MSFT"])
    assert r.exit_code == 0 and sleeps == [1.0]


def test_logged_rate_limit_for_one_ticker_retries_only_that_one(cfg, sleeps):
    def first(tickers, start):
        logging.getLogger("yfinance").error("['QQQ']: YFRateLimitError('Too Many Requests. Rate limited.')")
        return yf_frame({"MSFT": days("2025-01-02", 2), "QQQ": None})

    fake = FakeYahoo(first, yf_frame({"QQQ": days("2025-01-02", 2, 200)}))
    r = refresh(cfg, fake, sleeps, tickers=["MSFT", "QQQ"])
    assert r.exit_code == 0, r.message
    assert [c["tickers"] for c in fake.calls] == [["MSFT", "QQQ"], ["QQQ"]] and sleeps == [1.0]


def test_incremental_refresh_asks_only_from_the_last_stored_day(cfg, sleeps):
    refresh(cfg, FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 5), "QQQ": days("2025-01-02", 3, 200)})),
            sleeps, tickers=["MSFT", "QQQ"])
    # stored: MSFT to 2025-01-08, QQQ to 2025-01-06; AAPL nothing yet
    second = FakeYahoo(lambda tickers, start: yf_frame(
        {t: days(start, 3, {"MSFT": 104, "QQQ": 202, "AAPL": 50}[t]) for t in tickers}))
    r = refresh(cfg, second, sleeps)
    assert r.exit_code == 0, r.message
    # one call per distinct start, oldest first; each stored ticker from its last stored day (the anchor)
    assert [(c["tickers"], c["start"]) for c in second.calls] == [
        (["AAPL"], "2019-01-01"), (["QQQ"], "2025-01-06"), (["MSFT"], "2025-01-08")]
    s = stored(cfg)
    assert s.groupby("ticker").size().to_dict() == {"AAPL": 3, "MSFT": 7, "QQQ": 5}
    assert r.message == "ok: 7 new rows (AAPL +3, QQQ +2, MSFT +2)"


def test_nothing_new_yet_is_not_a_failure(cfg, sleeps):
    refresh(cfg, FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 3)})), sleeps, tickers=["MSFT"])
    before = untouched(cfg)
    r = refresh(cfg, FakeYahoo(yf_frame({"MSFT": {"2025-01-06": 102.0}})), sleeps, tickers=["MSFT"])
    assert (r.exit_code, r.message) == (0, "ok: 0 new rows (MSFT +0)")
    assert untouched(cfg) == before  # not even rewritten


def test_anchor_day_rescales_a_readjusted_history(cfg, sleeps):
    refresh(cfg, FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 3)})), sleeps, tickers=["MSFT"])
    # since then a dividend: Yahoo's adjusted close of the anchor day is now 1% lower
    r = refresh(cfg, FakeYahoo(yf_frame({"MSFT": {"2025-01-06": 102 * 0.99, "2025-01-07": 103.0}})),
                sleeps, tickers=["MSFT"])
    assert r.exit_code == 0
    adj = stored(cfg)["adj_close"].tolist()
    assert adj == pytest.approx([100 * 0.99, 101 * 0.99, 102 * 0.99, 103.0])


def test_no_tickers_and_bad_tickers(cfg, sleeps, tmp_path):
    (cfg.data_dir / "ticker.csv").unlink()
    r = refresh(cfg, FakeYahoo(empty_frame(["X"])), sleeps)
    assert r.exit_code == 1 and "pass --tickers" in r.message
    r = refresh(cfg, FakeYahoo(empty_frame(["X"])), sleeps, tickers=["MS FT"])
    assert r.exit_code == 1 and "not a ticker symbol: MS FT" in r.message


def test_unlisted_tickers_are_fetched_with_a_warning(cfg, sleeps):
    r = refresh(cfg, FakeYahoo(yf_frame({"NVDA": days("2025-01-02", 2)})), sleeps, tickers=["NVDA"])
    assert r.exit_code == 0
    assert r.warnings == ["NVDA is not listed in data/ticker.csv: its prices are stored, but no page shows "
                          "them until you add a row for it"]


def test_an_unreadable_snapshot_is_reported_not_overwritten(cfg, sleeps):
    snapshot = market.snapshot_path(cfg)
    snapshot.parent.mkdir(parents=True)
    snapshot.write_text("ticker,date\nMSFT,not a date\n")
    fake = FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 2)}))
    r = refresh(cfg, fake, sleeps, tickers=["MSFT"])
    assert r.exit_code == 1 and "is not a readable price snapshot" in r.message
    assert fake.calls == [] and snapshot.read_text() == "ticker,date\nMSFT,not a date\n"


def test_progress_bar_on_a_terminal():
    sink = _Sink()
    p = market.TickerProgress(2, stream=sink, tty=True, width=4)
    p.update("MSFT", "3 day(s)")
    p.update("QQQ", "failed (offline)")
    p.finish()
    assert "\r[##--] 1/2 MSFT: 3 day(s)" in sink.text and "\r[####] 2/2 QQQ: failed (offline)" in sink.text
    quiet = _Sink()
    p = market.TickerProgress(2, stream=quiet, tty=False)
    p.update("MSFT", "3 day(s)")
    p.update("QQQ", "failed (offline)")
    assert quiet.text == "MSFT: 3 day(s)\n"  # failures are named once, in the final message


def test_cli_exit_codes(cfg, monkeypatch, capsys):
    fake = FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 3), "AAPL": None}))
    monkeypatch.setattr(market.yahoo, "yfinance_download", fake)
    args = ["refresh", "--tickers", "MSFT", "AAPL", "--data-dir", str(cfg.data_dir), "--db", cfg.db]
    assert main(args) == 3
    out = capsys.readouterr()
    assert out.out.strip() == "partial: 3 new rows (MSFT +3); failed: AAPL (unknown ticker)"
    assert "MSFT: 3 day(s)" in out.err
    assert main([*args[:2], "MSFT", *args[4:], "--start", "yesterday"]) == 2


def test_offline_cli_exits_1_with_one_line_and_changes_nothing(tmp_path):
    """The real yfinance, with the network made unreachable (a proxy on a closed port)."""
    cfg = make_cfg(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
           "AIWATCH_STATE_DIR": str(cfg.state_dir), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "aiwatch", "refresh", "--tickers", "MSFT", "QQQ",
                          "--data-dir", str(cfg.data_dir), "--db", cfg.db],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 1, out.stderr
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: nothing fetched: offline: could not reach Yahoo Finance")
    assert lines[0].endswith("The data and the store were not changed.")
    assert not (cfg.data_dir / "market").exists() and not cfg.db_path.exists()
