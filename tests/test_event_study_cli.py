"""`python -m aiwatch event-study`: the columns, the figures, the aggregates and the exit codes."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from aiwatch import events, queries, store
from aiwatch.__main__ import main
from tests.test_market import synthetic_prices, write_prices

COLUMNS = ("milestone_id,milestone_date,day0,window,model,benchmark,car_pct,t_stat,p_value,alpha,beta,r2,"
           "sigma_pct,n_est,confounders")


def run(cfg, *args):
    return main(["event-study", *args, "--data-dir", str(cfg.data_dir), "--db", cfg.db])


@pytest.fixture
def priced(cfg, monkeypatch):
    monkeypatch.setenv("AIWATCH_STATE_DIR", str(cfg.state_dir))
    with open(cfg.data_dir / "earnings_release.csv", "a") as f:  # the trading day after m4 (2025-01-10)
        f.write("2030,Q1,2024-12-31,2025-01-13,https://example.test/synthetic/er/2030q1,company,\n")
    write_prices(cfg, synthetic_prices())
    store.build(cfg)
    return cfg


def csv_out(capsys) -> pd.DataFrame:
    out = capsys.readouterr().out
    assert out.splitlines()[0] == COLUMNS or out.startswith("group_kind")
    return pd.read_csv(io.StringIO(out), dtype={"window": str, "confounders": str})


def test_csv_has_one_row_per_milestone_and_window(priced, capsys):
    assert run(priced, "--format", "csv", "--benchmark", "QQQ", "--model", "market") == 0
    df = csv_out(capsys)
    assert list(df.columns) == COLUMNS.split(",")
    # the basic fixture's day-precision milestones (m2 is dated to a month)
    assert df.milestone_id.tolist() == [m for m in ("m1", "m3", "m4") for _ in range(4)]
    assert df.window.tolist() == ["-1,+1", "0,+1", "0,+5", "-5,+5"] * 3  # written as is, not as a formula
    assert set(df.model) == {"market"} and set(df.benchmark) == {"QQQ"}
    m4 = df[df.milestone_id == "m4"]
    assert set(m4.confounders) == {"FY30 Q1 results, 2025-01-13"}
    assert df[df.milestone_id != "m4"].confounders.isna().all()
    # the same figures as the computation itself, to the digits written
    con = store.open_readonly(priced)
    try:
        inp = events.load_inputs(lambda n, **p: queries.run(con, n, **p), "MSFT", "QQQ", date(9999, 12, 31))
    finally:
        con.close()
    ref = events.study(inp, "market", "QQQ")
    for col, tol in (("car_pct", 1e-4), ("t_stat", 1e-4), ("p_value", 1e-6), ("beta", 1e-4)):
        assert (df[col] - ref[col]).abs().max() <= tol, col
    assert (df.n_est == 240).all()
    assert df.day0.tolist() == [str(d) for d in ref.day0]


def test_table_shows_events_then_aggregates_and_csv_aggregates(priced, capsys):
    assert run(priced) == 0  # defaults: market model, the first index ticker of data/ticker.csv
    out = capsys.readouterr().out
    assert out.startswith("Event study: MSFT against QQQ, market model")
    assert "Aggregates" in out and "All events" in out and "unconfounded" in out
    assert run(priced, "--format", "csv", "--aggregates", "--model", "market-adjusted") == 0
    agg = csv_out(capsys)
    assert list(agg.columns) == events.AGGREGATE_COLUMNS
    every = agg[(agg.group == events.ALL_EVENTS) & (agg["sample"] == "all")]
    assert every.window.tolist() == events.WINDOW_LABELS and (every.n == 3).all()
    clean = agg[(agg.group == events.ALL_EVENTS) & (agg["sample"] == "unconfounded")]
    assert (clean.n == 2).all()  # m4 is confounded by the release the next trading day


def test_as_of_limits_milestones_and_prices(priced, capsys):
    assert run(priced, "--format", "csv", "--as-of", "2025-01-14") == 0
    df = csv_out(capsys)
    m4 = df[df.milestone_id == "m4"].set_index("window")
    assert pd.notna(m4.loc["-1,+1"].car_pct)  # complete: day +1 is 2025-01-13
    assert pd.isna(m4.loc["0,+5"].car_pct)  # not complete on the as-of date
    assert run(priced, "--format", "csv", "--as-of", "2025-01-09") == 0
    assert "m4" not in set(csv_out(capsys).milestone_id)  # not known yet


def test_usage_errors_exit_2(priced, capsys):
    assert run(priced, "--benchmark", "NOPE") == 2
    assert "--benchmark 'NOPE' is not another ticker of data/ticker.csv" in capsys.readouterr().err
    assert run(priced, "--benchmark", "MSFT") == 2  # the subject cannot be its own benchmark
    assert run(priced, "--as-of", "2025-02-30") == 2
    assert "is not a date as YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        run(priced, "--model", "capm")
    assert e.value.code == 2


def test_no_store_or_no_prices_exit_1(cfg, capsys, monkeypatch):
    monkeypatch.setenv("AIWATCH_STATE_DIR", str(cfg.state_dir))
    assert run(cfg) == 1
    assert "no usable store" in capsys.readouterr().err
    store.build(cfg)  # a store without prices
    assert run(cfg) == 1
    assert "no prices are stored for MSFT" in capsys.readouterr().err
    assert not list(cfg.data_dir.glob("market/*"))  # reads only: nothing written



def test_verbatim_columns_are_kept_and_others_neutralised():
    from aiwatch.export import to_safe_csv

    df = pd.DataFrame({"window": ["-1,+1", "0,+5"], "note": ["-1,+1", "=1+1"]})
    assert to_safe_csv(df, verbatim=("window",)).decode().splitlines() == [
        "window,note", '"-1,+1","\'-1,+1"', '"0,+5",\'=1+1']
