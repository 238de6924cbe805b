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
from datetime import date, datetime

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


def answering_from_start(history: dict[str, dict[str, float]]):
    """A fake Yahoo holding whole histories, answering each call from its start day on."""
    def answer(tickers, start):
        return yf_frame({t: {d: v for d, v in history.get(t, {}).items() if d >= start} or None
                         for t in tickers})
    return FakeYahoo(answer)


def test_incremental_refresh_asks_from_several_sessions_before_the_last_stored_day(cfg, sleeps):
    history = {"MSFT": days("2024-12-23", 15), "QQQ": days("2024-12-23", 15, 200), "AAPL": days("2024-12-23", 15, 50)}
    first = {t: dict(list(v.items())[:n]) for (t, v), n in zip(history.items(), (11, 9, 0))}
    refresh(cfg, answering_from_start({t: v for t, v in first.items() if v}), sleeps, tickers=["MSFT", "QQQ"])
    # stored: MSFT to 2025-01-06, QQQ to 2025-01-02; AAPL nothing yet
    second = answering_from_start(history)
    r = refresh(cfg, second, sleeps)
    assert r.exit_code == 0, r.message
    # one call per distinct start, oldest first; each stored ticker from 5 NYSE sessions before its
    # last stored day: 2025-01-02 -> 2024-12-24 (New Year's Day skipped), 2025-01-06 -> 2024-12-27
    assert [(c["tickers"], c["start"]) for c in second.calls] == [
        (["AAPL"], "2019-01-01"), (["QQQ"], "2024-12-24"), (["MSFT"], "2024-12-27")]
    s = stored(cfg)
    assert s.groupby("ticker").size().to_dict() == {"AAPL": 15, "MSFT": 15, "QQQ": 15}
    assert r.message == "ok: 25 new rows (AAPL +15, QQQ +6, MSFT +4)"
    assert r.warnings == [] and r.merge.changed == 0  # the overlapping days agreed exactly


def test_a_readjusted_history_is_rescaled_when_enough_days_agree(cfg, sleeps):
    before = days("2025-01-02", 8)  # 2025-01-02 .. 2025-01-13
    refresh(cfg, answering_from_start({"MSFT": before}), sleeps, tickers=["MSFT"])
    # since then a dividend: Yahoo's whole adjusted history is 1% lower (its Close, only
    # split-adjusted, stays), and one new day
    after = {d: v * 0.99 for d, v in before.items()} | {"2025-01-14": 108.0}

    def answer(tickers, start):
        df = yf_frame({"MSFT": {d: v for d, v in after.items() if d >= start}})
        for d, v in before.items():
            if pd.Timestamp(d) in df.index:
                df.loc[pd.Timestamp(d), ("Close", "MSFT")] = v * 1.01
        return df

    r = refresh(cfg, FakeYahoo(answer), sleeps, tickers=["MSFT"])
    assert r.exit_code == 0 and r.warnings == []
    # 5 sessions before 2025-01-13 reach back to 2025-01-03 (2025-01-09 was closed): 1 day rescaled
    assert r.message == "ok: 1 new row, 7 replaced, 1 rescaled (MSFT +1)"
    assert r.merge.per_ticker["MSFT"].factor == pytest.approx(0.99)
    adj = stored(cfg)["adj_close"].tolist()
    assert adj == pytest.approx([v * 0.99 for v in before.values()] + [108.0])


def test_an_intraday_last_day_does_not_rescale_the_history(cfg, sleeps):
    """Reproduced case 1: the stored last day was an intraday price; the final close is 2% higher."""
    closes = days("2025-01-02", 8)  # 100 .. 107, the last stored day 2025-01-13
    intraday = dict(closes) | {"2025-01-13": 107.0 / 1.02}
    refresh(cfg, answering_from_start({"MSFT": intraday}), sleeps, tickers=["MSFT"])
    r = refresh(cfg, answering_from_start({"MSFT": closes | {"2025-01-14": 108.0}}), sleeps, tickers=["MSFT"])
    assert r.exit_code == 0, r.message
    s = stored(cfg).set_index(stored(cfg)["date"].dt.strftime("%Y-%m-%d"))["adj_close"]
    # every stored price not contradicted by 3 days is kept; the last day takes the final close
    assert s.to_dict() == pytest.approx(closes | {"2025-01-14": 108.0})
    assert s["2025-01-13"] / s["2025-01-10"] - 1 == pytest.approx(107 / 106 - 1)  # the day's true return
    assert r.merge.per_ticker["MSFT"].factor is None and r.merge.per_ticker["MSFT"].rescaled == 0
    assert r.warnings == ["MSFT: the new adjusted closes differ from the stored ones on 2025-01-13 (+2.00%): "
                          "those days are replaced, the rest of the stored history is kept"]


def test_one_bad_tick_does_not_rescale_the_history_and_is_refused(cfg, sleeps):
    """Reproduced case 2: one bad tick, 10x too high, on the last stored day."""
    closes = days("2025-01-02", 8)
    refresh(cfg, answering_from_start({"MSFT": closes}), sleeps, tickers=["MSFT"])
    before = stored(cfg)
    bad = closes | {"2025-01-13": 1070.0, "2025-01-14": 108.0}
    r = refresh(cfg, answering_from_start({"MSFT": bad}), sleeps, tickers=["MSFT"])
    assert r.exit_code == 0, r.message
    s = stored(cfg)
    # every stored price is kept as it was; the good new day is added
    assert s["adj_close"].tolist()[:-1] == before["adj_close"].tolist()
    assert s["adj_close"].tolist()[-1] == 108.0
    assert r.merge.per_ticker["MSFT"].factor is None
    assert r.merge.per_ticker["MSFT"].refused == [date(2025, 1, 13)]
    assert any(w.startswith("MSFT: refused the new bar(s) of 2025-01-13: with them the adjusted close would "
                            "move more than 50% in one day") for w in r.warnings), r.warnings
    assert (s["adj_close"].pct_change().abs().dropna() < 0.5).all()
    assert "1 refused" in r.message


def test_a_new_day_with_a_jump_over_50_percent_is_refused(cfg, sleeps):
    closes = days("2025-01-02", 8)
    refresh(cfg, answering_from_start({"MSFT": closes}), sleeps, tickers=["MSFT"])
    r = refresh(cfg, answering_from_start({"MSFT": closes | {"2025-01-14": 20.0, "2025-01-15": 21.0}}),
                sleeps, tickers=["MSFT"])
    assert r.merge.per_ticker["MSFT"].refused == [date(2025, 1, 14), date(2025, 1, 15)]
    assert stored(cfg)["adj_close"].tolist() == list(closes.values())
    assert "MSFT: refused the new bar(s) of 2025-01-14, 2025-01-15" in r.warnings[0]


def test_a_session_that_has_not_closed_is_not_stored(cfg, sleeps):
    closes = days("2025-03-03", 5)  # Monday 2025-03-03 .. Friday 2025-03-07
    during = datetime(2025, 3, 7, 19, 30)  # 14:30 in New York: Friday's session is running
    r = refresh(cfg, answering_from_start({"MSFT": closes}), sleeps, tickers=["MSFT"], now=during)
    assert r.exit_code == 0 and r.message == "ok: 4 new rows (MSFT +4)"
    assert stored(cfg)["date"].max() == pd.Timestamp("2025-03-06")
    assert r.notes == ["left out the bar(s) of 2025-03-07 (MSFT): that New York session had not closed yet "
                       "(the last closed session is 2025-03-06); the next refresh fetches them"]
    after = datetime(2025, 3, 7, 21, 30)  # 16:30 in New York
    r = refresh(cfg, answering_from_start({"MSFT": closes}), sleeps, tickers=["MSFT"], now=after)
    assert r.message == "ok: 1 new row (MSFT +1)" and r.notes == []
    # an early close: the day after Thanksgiving closes at 13:00 New York time
    early = days("2025-11-24", 5)  # bdate_range includes Thanksgiving itself; Yahoo would not, fine here
    r = refresh(cfg, answering_from_start({"QQQ": early}), sleeps, tickers=["QQQ"],
                now=datetime(2025, 11, 28, 18, 30))
    assert stored(cfg).query("ticker == 'QQQ'")["date"].max() == pd.Timestamp("2025-11-28")


def test_nothing_new_yet_is_not_a_failure(cfg, sleeps):
    refresh(cfg, FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 3)})), sleeps, tickers=["MSFT"])
    before = untouched(cfg)
    r = refresh(cfg, FakeYahoo(yf_frame({"MSFT": {"2025-01-06": 102.0}})), sleeps, tickers=["MSFT"])
    assert (r.exit_code, r.message) == (0, "ok: 0 new rows (MSFT +0)")
    assert untouched(cfg) == before  # not even rewritten


def test_a_nat_in_the_index_drops_that_row_with_a_note(cfg, sleeps):
    df = yf_frame({"MSFT": days("2025-01-02", 3), "QQQ": days("2025-01-02", 3, 200)})
    df.index = pd.DatetimeIndex([df.index[0], pd.NaT, df.index[2]], name="Date")
    r = refresh(cfg, FakeYahoo(df), sleeps, tickers=["MSFT", "QQQ"])
    assert r.exit_code == 0, r.message
    assert r.message == "ok: 4 new rows (MSFT +2, QQQ +2)"
    assert r.notes == ["MSFT: dropped 1 downloaded bar(s) without a date (NaT in yfinance's index)",
                       "QQQ: dropped 1 downloaded bar(s) without a date (NaT in yfinance's index)"]
    assert stored(cfg)["date"].notna().all()


def test_duplicate_dates_with_different_bars_fail_that_ticker(cfg, sleeps):
    df = yf_frame({"MSFT": days("2025-01-02", 3), "QQQ": days("2025-01-02", 3, 200)})
    df = pd.concat([df, df.iloc[[1]]])  # 2025-01-03 twice ...
    df.iloc[-1, df.columns.get_loc(("Close", "MSFT"))] = 999.0  # ... for MSFT with another close
    r = refresh(cfg, FakeYahoo(df), sleeps, tickers=["MSFT", "QQQ"])
    assert r.exit_code == 3
    assert r.failed == {"MSFT": "bad download: the download holds different bars for the same day on "
                                "2025-01-03; nothing of this ticker was stored"}
    assert r.message.startswith("partial: 3 new rows (QQQ +3); failed: MSFT (bad download: ")
    assert set(stored(cfg)["ticker"]) == {"QQQ"}  # QQQ's identical duplicate was kept once
    # alone, the ticker's failure is the whole refresh's: nothing changed
    r = refresh(cfg, FakeYahoo(df), sleeps, tickers=["MSFT"])
    assert r.exit_code == 1 and "MSFT" in r.message and "different bars for the same day" in r.message


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
