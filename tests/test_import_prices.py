"""python -m aiwatch import-prices: every layout in, all or nothing, idempotent, store rebuilt."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from aiwatch import market, store
from aiwatch.__main__ import main
from tests.conftest import make_cfg
from tests.test_market import PRICES

ALL_LAYOUTS = [PRICES / "yahoo" / "MSFT.csv", PRICES / "yfinance" / "QQQ.csv",
               PRICES / "yfinance_multiheader" / "prices.csv", PRICES / "alpaca" / "bars.csv"]


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    c = make_cfg(tmp_path)
    monkeypatch.setenv("AIWATCH_STATE_DIR", str(c.state_dir))
    return c


def run(cfg, *args):
    return main(["import-prices", *map(str, args), "--data-dir", str(cfg.data_dir), "--db", cfg.db])


def prices_in_store(cfg) -> dict[str, int]:
    con = store.open_readonly(cfg)
    try:
        return dict(con.execute("select ticker, count(*) from price group by ticker").fetchall())
    finally:
        con.close()


def test_imports_every_layout_and_rebuilds_the_store(cfg, capsys):
    assert run(cfg, *ALL_LAYOUTS) == 0
    out = capsys.readouterr()
    assert prices_in_store(cfg) == {"MSFT": 5, "QQQ": 5, "NVDA": 3, "AAPL": 3, "ORCL": 2}
    assert "ok: 18 new rows" in out.out and "store rebuilt" in out.out
    # NVDA and ORCL are not in the fixture's ticker.csv: stored, with a warning that says so
    assert "warning: NVDA is not listed in data/ticker.csv" in out.err
    assert "warning: ORCL is not listed" in out.err and "warning: MSFT" not in out.err
    log = store.read_log(cfg)
    assert log["action"][0] == "import-prices" and log["outcome"][0] == "ok"


def test_reimport_changes_nothing(cfg, capsys):
    assert run(cfg, *ALL_LAYOUTS) == 0
    snapshot = market.snapshot_path(cfg)
    before = (snapshot.read_bytes(), snapshot.stat().st_mtime_ns, store.store_identity(cfg))
    capsys.readouterr()
    assert run(cfg, *ALL_LAYOUTS) == 0
    assert "ok: 0 new rows" in capsys.readouterr().out
    assert (snapshot.read_bytes(), snapshot.stat().st_mtime_ns, store.store_identity(cfg)) == before


def test_a_bad_file_stops_the_whole_import(cfg, tmp_path, capsys):
    bad = tmp_path / "SPY.csv"
    bad.write_text("date,close\n2025-01-02,10\n2025-01-02,11\n")
    assert run(cfg, PRICES / "yahoo" / "MSFT.csv", bad) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"error: {bad} line 3, column date: '2025-01-02' is not a date not already on line 2 " \
           "(duplicate date for SPY)" in err
    assert err[-1] == "1 problem(s); nothing was changed."
    assert not market.snapshot_path(cfg).exists() and not cfg.db_path.exists()


def test_a_failing_build_restores_the_snapshot(cfg, capsys):
    assert run(cfg, PRICES / "yahoo" / "MSFT.csv") == 0
    snapshot = market.snapshot_path(cfg)
    before_snapshot, before_store = snapshot.read_bytes(), cfg.db_path.read_bytes()
    (cfg.data_dir / "kpi.csv").write_text("kpi_id,period_end\nx,y\n")  # someone broke data/
    assert run(cfg, PRICES / "plain" / "MSFT.csv") == 1
    assert "nothing was changed" in capsys.readouterr().err
    assert snapshot.read_bytes() == before_snapshot and cfg.db_path.read_bytes() == before_store
    assert not [p for p in snapshot.parent.iterdir() if p.name != snapshot.name]  # no temp files left


def test_newer_file_wins_but_one_overlapping_day_does_not_rescale_the_history(cfg, capsys):
    assert run(cfg, PRICES / "yahoo" / "MSFT.csv") == 0
    # plain/MSFT.csv overlaps on 2025-01-08 only (the last stored day), with adjusted close 105.0
    # (Yahoo said 104.5): one day is no evidence of a re-adjustment
    assert run(cfg, PRICES / "plain" / "MSFT.csv") == 0
    out = capsys.readouterr()
    assert "2 new rows, 1 replaced (MSFT +2)" in out.out and "rescaled" not in out.out
    assert ("warning: MSFT: the new adjusted closes differ from the stored ones on 2025-01-08 (+0.48%): "
            "those days are replaced, the rest of the stored history is kept") in out.err
    con = store.open_readonly(cfg)
    rows = con.execute("select strftime(date, '%Y-%m-%d'), close, adj_close from price "
                       "where ticker = 'MSFT' order by date").fetchall()
    con.close()
    assert rows[:4] == [("2025-01-02", 101.0, 100.5), ("2025-01-03", 102.0, 101.5),  # as stored
                        ("2025-01-06", 103.0, 102.5), ("2025-01-07", 104.0, 103.5)]
    assert rows[4] == ("2025-01-08", 105.0, 105.0)


def test_later_files_win_within_one_command(cfg, tmp_path):
    a = tmp_path / "a" / "MSFT.csv"
    b = tmp_path / "b" / "MSFT.csv"
    a.parent.mkdir()
    b.parent.mkdir()
    a.write_text("date,close\n2025-01-02,10\n")
    b.write_text("date,close\n2025-01-02,12\n")
    assert run(cfg, a, b) == 0
    assert market.read_snapshot(cfg)["close"].tolist() == [12.0]


def test_ticker_option(cfg, tmp_path):
    p = tmp_path / "download (3).csv"
    shutil.copy(PRICES / "plain" / "MSFT.csv", p)
    assert run(cfg, p, "--ticker", "aapl") == 0
    assert prices_in_store(cfg) == {"AAPL": 3}


def test_missing_file_and_bad_ticker_option(cfg, tmp_path, capsys):
    assert run(cfg, tmp_path / "nope.csv") == 1
    assert f"error: {tmp_path / 'nope.csv'}: no such file; check the path" in capsys.readouterr().err
    assert run(cfg, PRICES / "plain" / "MSFT.csv", "--ticker", "no good") == 1
    assert "error: --ticker: 'NO GOOD' is not a ticker symbol" in capsys.readouterr().err


def test_snapshot_is_what_the_store_loads(cfg):
    assert run(cfg, *ALL_LAYOUTS) == 0
    con = duckdb.connect()
    header = con.execute(f"select * from read_csv('{market.snapshot_path(cfg)}') limit 0").description
    con.close()
    assert [c[0] for c in header] == list(store.PRICE_COLUMNS)
