"""Benchmark of the market half: python -m bench (or make bench). Not part of the test suite.

Generates synthetic daily prices (N tickers x Y years, seeded random walks) into a temporary
data folder built from tests/data/basic, then times:

  import   python -m aiwatch import-prices of one Yahoo-layout file per ticker (includes the build)
  build    store.build of the resulting snapshot
  queries  each market query with the Market page's parameters (cold, then median of warm runs)
  page     the Market page through streamlit's AppTest: first run, then the median of warm reruns
  1M rows  store.build of a 1,000,000-row snapshot in a fresh subprocess: time and peak RSS

Targets (from issue 3): page warm rerun <= 50 ms median with the subject + 5 peers over 5
years; <= 250 ms at 30 tickers x 10 years; build of 1M price rows <= 5 s and <= 1 GB peak.

Options: --reruns N (default 15), --quick (skip the 1M-row build), --keep (keep the temp dirs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from aiwatch import market, queries, store  # noqa: E402
from aiwatch.config import load_config  # noqa: E402

BASIC = ROOT / "tests" / "data" / "basic"
LATEST = date(9999, 12, 31)
INDICATORS = ["mai_progress", "consumer_ai", "api_adoption", "openai_dependence"]
END = "2025-12-31"


# --- synthetic data ---------------------------------------------------------------------------

def tickers_for(n: int) -> list[str]:
    """MSFT (subject), QQQ (index), then peers P01, P02, ..."""
    return ["MSFT", "QQQ", *[f"P{i:02d}" for i in range(1, n - 1)]][:n]


def make_data_dir(root: Path, tickers: list[str], years: int) -> object:
    """tests/data/basic + the tickers + one day-precision milestone every ~2 months."""
    data = root / "data"
    shutil.copytree(BASIC, data)
    rows = ["ticker,name,role,source_url"]
    for t in tickers:
        role = "subject" if t == "MSFT" else "index" if t == "QQQ" else "peer"
        rows.append(f"{t},Synthetic {t},{role},https://example.test/synthetic/{t}")
    (data / "ticker.csv").write_text("\n".join(rows) + "\n")
    start = pd.Timestamp(END) - pd.DateOffset(years=years)
    with open(data / "milestone.csv", "a") as f:
        for i, d in enumerate(pd.date_range(start, END, freq="61D")[1:]):
            f.write(f"bench{i},{d:%Y-%m-%d},day,{INDICATORS[i % 4]},Synthetic,Synthetic milestone {i},"
                    f"Synthetic.,https://example.test/synthetic/bench{i}\n")
    return load_config(data_dir=data, db=root / "var" / "aiwatch.duckdb", state_dir=root / "var")


def random_walks(tickers: list[str], years: int, seed: int = 7) -> pd.DataFrame:
    """Snapshot-shaped bars: one seeded random walk per ticker on business days."""
    days = pd.bdate_range(end=END, periods=252 * years)
    rng = np.random.default_rng(seed)
    market_r = rng.normal(0.0004, 0.011, len(days))
    frames = []
    for k, t in enumerate(tickers):
        beta = 0.7 + 0.6 * rng.random()
        r = beta * market_r + rng.normal(0, 0.012, len(days))
        adj = 50 * (1 + k % 7) * np.exp(np.cumsum(r))
        close = adj * 1.02
        frames.append(pd.DataFrame({
            "ticker": t, "date": days, "open": close * (1 + rng.normal(0, 0.003, len(days))),
            "high": close * 1.01, "low": close * 0.99, "close": close, "adj_close": adj,
            "volume": rng.integers(1_000_000, 50_000_000, len(days)).astype("float64"),
            "source": "bench", "fetched_at": pd.Timestamp("2026-01-01")}))
    return pd.concat(frames, ignore_index=True)


def write_yahoo_files(prices: pd.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for t, g in prices.groupby("ticker", sort=False):
        out = pd.DataFrame({"Date": g["date"].dt.strftime("%Y-%m-%d"), "Open": g["open"], "High": g["high"],
                            "Low": g["low"], "Close": g["close"], "Adj Close": g["adj_close"],
                            "Volume": g["volume"].astype("int64")})
        p = folder / f"{t}.csv"
        out.to_csv(p, index=False)
        paths.append(p)
    return paths


# --- measuring ----------------------------------------------------------------------------------

def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


@contextmanager
def env(cfg):
    saved = {k: os.environ.get(k) for k in ("AIWATCH_DATA_DIR", "AIWATCH_DB", "AIWATCH_STATE_DIR")}
    os.environ.update(AIWATCH_DATA_DIR=str(cfg.data_dir), AIWATCH_DB=cfg.db, AIWATCH_STATE_DIR=str(cfg.state_dir))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def page_params(tickers: list[str], years: int) -> dict:
    return {"tickers": [t for t in tickers if t not in ("MSFT", "QQQ")],
            "horizon": "5Y" if years <= 5 else "max"}


def bench_page(cfg, tickers: list[str], years: int, reruns: int) -> tuple[float, float, int, float]:
    """(first run s, warm rerun median ms, charts, median ms of a rerun to a new horizon) of the
    Market page through AppTest. Warm = the same view again (every rerun that does not change the
    view: the cached sections replay); a new horizon is a view not computed yet in this process."""
    from streamlit.testing.v1 import AppTest

    with env(cfg):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for k, v in page_params(tickers, years).items():
            at.query_params[k] = v
        at.switch_page("pages/market.py")
        first, _ = timed(at.run)
        if at.exception:
            raise RuntimeError(f"the Market page failed: {[e.value for e in at.exception]}")
        charts = len(at.get("vega_lite_chart"))
        for _ in range(3):
            at.run()
        warm = median_ms(at.run, reruns)
        if at.exception or len(at.get("vega_lite_chart")) != charts:
            raise RuntimeError("the Market page changed between reruns")
        changes = []
        for horizon in ("1M", "3M", "6M", "YTD", "1Y", "3Y"):
            at.segmented_control(key="horizon").set_value(horizon)
            seconds, _ = timed(at.run)
            changes.append(1000 * seconds)
        if at.exception:
            raise RuntimeError(f"the Market page failed: {[e.value for e in at.exception]}")
    return first, warm, charts, statistics.median(changes)


def bench_queries(cfg, tickers: list[str], years: int, runs: int = 7) -> list[tuple[str, float, float]]:
    """(query, cold ms, warm median ms) with the parameters the page uses for this view."""
    con = store.open_readonly(cfg)
    last = date.fromisoformat(END)
    start = market.window_start(page_params(tickers, years)["horizon"], date(1990, 1, 1), last)
    params = {
        "market_tickers": {"as_of": LATEST},
        "market_indicators": {"as_of": LATEST},
        "market_milestones": {"indicators": INDICATORS, "start": start, "as_of": LATEST},
        "price_performance": {"tickers": tickers, "benchmark": "QQQ", "start": start, "base_date": start,
                              "as_of": LATEST, "max_points": 4000},
        "event_study_prices": {"subject": "MSFT", "benchmark": "QQQ", "as_of": LATEST},
        "event_study_milestones": {"as_of": LATEST},
    }
    out = []
    try:
        for name, p in params.items():
            cold, _ = timed(queries.run, con, name, **p)
            out.append((name, 1000 * cold, median_ms(lambda n=name, p=p: queries.run(con, n, **p), runs)))
    finally:
        con.close()
    return out


BUILD_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from aiwatch import store
from aiwatch.config import load_config
cfg = load_config(data_dir={data!r}, db={db!r}, state_dir={state!r})
t0 = time.perf_counter()
result = store.build(cfg)
seconds = time.perf_counter() - t0
print(json.dumps({{"seconds": seconds, "rows": result.counts["price"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def bench_million(root: Path) -> dict:
    """Build a 1,000,000-row snapshot in a fresh process: seconds and peak RSS (whole process)."""
    tickers = tickers_for(400)  # 400 tickers x 10 years x 250 trading days = 1,000,000 rows
    cfg = make_data_dir(root, tickers, 10)
    prices = random_walks(tickers, 10)
    prices = prices.groupby("ticker", sort=False).tail(2500)
    market.snapshot_path(cfg).parent.mkdir(parents=True, exist_ok=True)
    market.write_snapshot(prices, market.snapshot_path(cfg))
    code = BUILD_CHILD.format(root=str(ROOT), data=str(cfg.data_dir), db=cfg.db, state=str(cfg.state_dir))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["snapshot_mb"] = market.snapshot_path(cfg).stat().st_size / 1e6
    return result


# --- the report ---------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reruns", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="skip the 1M-row build")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args(argv)

    rows: list[tuple[str, str, str, str]] = []  # measure, scale, result, target
    scales = [(6, 5), (30, 10)]  # (tickers, years): the subject + 5 peers over 5 years; 30 x 10
    tmp = Path(tempfile.mkdtemp(prefix="aiwatch-bench-"))
    print(f"bench: {tmp} (python {sys.version.split()[0]}, {os.cpu_count()} cores)", file=sys.stderr)
    try:
        for n, years in scales:
            tickers = tickers_for(n)
            scale = f"{n} tickers x {years} y"
            cfg = make_data_dir(tmp / f"t{n}y{years}", tickers, years)
            prices = random_walks(tickers, years)
            files = write_yahoo_files(prices, tmp / f"t{n}y{years}" / "downloads")
            seconds, result = timed(market.import_prices, cfg, files)
            rows.append(("import-prices (files -> snapshot -> store)", f"{scale}, {len(prices):,} rows",
                         f"{seconds:.2f} s", ""))
            seconds, _ = timed(store.build, cfg)
            rows.append(("build", scale, f"{seconds:.2f} s", ""))
            again, result = timed(market.import_prices, cfg, files)
            rows.append(("re-import, same files (0 new rows)", scale, f"{again:.2f} s", ""))
            for name, cold, warm in bench_queries(cfg, tickers, years):
                rows.append((f"query {name}", scale, f"{cold:.1f} ms cold, {warm:.1f} ms warm", ""))
            first, warm, charts, change = bench_page(cfg, tickers, years, args.reruns)
            target = 50 if n <= 6 else 250
            rows.append(("Market page, first run", scale, f"{first * 1000:.0f} ms ({charts} charts)", ""))
            rows.append((f"Market page, warm rerun (median of {args.reruns})", scale, f"{warm:.1f} ms",
                         f"<= {target} ms {'ok' if warm <= target else 'MISSED'}"))
            rows.append(("Market page, rerun to a new horizon (median of 6)", scale, f"{change:.0f} ms", ""))
        if not args.quick:
            m = bench_million(tmp / "million")
            ok = m["seconds"] <= 5 and m["peak_mb"] <= 1024
            rows.append(("build, 1M price rows (fresh process)",
                         f"{m['rows']:,} rows, snapshot {m['snapshot_mb']:.0f} MB",
                         f"{m['seconds']:.2f} s, peak RSS {m['peak_mb']:.0f} MB",
                         f"<= 5 s, <= 1 GB {'ok' if ok else 'MISSED'}"))
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    widths = [max(len(r[i]) for r in [("measure", "scale", "result", "target"), *rows]) for i in range(4)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(("measure", "scale", "result", "target"), widths)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
    return 1 if any("MISSED" in r[3] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
