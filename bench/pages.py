"""Every page's warm rerun, beside Streamlit's stock-peers demo: python -m bench.pages (make bench-pages).

Not part of the test suite. In one process, through streamlit's AppTest:

  data     a copy of data/ with real daily prices imported (default: ../shared/market/yahoo_2021_2026,
           nine tickers, never copied into the project), built into a temporary store
  pages    every page of the navigation: first run, then the median of --reruns warm reruns
           (the same view again), and the median of reruns to a new view (another as-of date;
           on the Overview another indicator choice; on Consumer AI and Financials another basis)
  demo     github.com/streamlit/demo-stockpeers, when a copy is at --demo (a git directory or a
           folder with streamlit_app.py; fetched at bench time, never committed): its six local
           tickers (AAPL MSFT GOOGL NVDA AMZN META, served from the same price files in place of
           yfinance, which cannot reach Yahoo here), first run and median warm rerun

The goal (issue 8): every page's warm rerun at most half the demo's, measured in the same run.
Rounds alternate demo and pages (--rounds) so that a busy machine slows both alike; the table
reports the median over rounds.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from aiwatch import market, store  # noqa: E402
from aiwatch.config import load_config  # noqa: E402
from bench.__main__ import env, median_ms, timed  # noqa: E402

PRICES = ROOT.parent / "shared" / "market" / "yahoo_2021_2026"
DEMO = Path("/work/.mirror/streamlit+demo-stockpeers/repo")
DEMO_TICKERS = ["AAPL", "MSFT", "GOOGL", "NVDA", "AMZN", "META"]
NEW_VIEW_DATES = [date(2025, 3, 7), date(2024, 11, 30), date(2025, 7, 31), date(2023, 6, 30), date(2025, 10, 29)]


def no_legacy_pages() -> None:
    """AppTest re-detects a pages/ folder before every run; a served app leaves that mode once."""
    from streamlit.runtime.pages_manager import PagesManager

    init = PagesManager.__init__

    def init_without_legacy_mode(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init_without_legacy_mode


def make_store(root: Path, prices: Path):
    data = root / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("market"))
    cfg = load_config(data_dir=data, db=root / "var" / "aiwatch.duckdb", state_dir=root / "var")
    files = sorted(prices.glob("*.csv"))
    if files:
        market.import_prices(cfg, files)
    store.build(cfg)
    return cfg


def page_paths(cfg) -> list[str]:
    from aiwatch.ui.runner import DASHBOARD, DATA

    rows = csv.DictReader(open(cfg.data_dir / "indicator.csv", encoding="utf-8"))
    return ["", *[r["url_path"] for r in rows], *[p[3] for p in DASHBOARD], DATA[3]]


def new_view(at, path: str, i: int) -> None:
    """Change what the page shows: as-of date, or the page's own control."""
    if path == "" and i % 2:
        options = at.pills(key="indicator").options
        at.pills(key="indicator").set_value(options[: 1 + i % len(options)])
    elif path == "consumer_ai" and i % 2:
        current = at.segmented_control(key="consumer_basis").value
        at.segmented_control(key="consumer_basis").set_value("as_reported" if current == "recast" else "recast")
    elif path == "financials" and i % 2:
        current = at.segmented_control(key="basis").value
        at.segmented_control(key="basis").set_value("as_reported" if current == "recast" else "recast")
    else:
        at.date_input(key="as_of").set_value(NEW_VIEW_DATES[i % len(NEW_VIEW_DATES)])


def bench_app(cfg, path: str, reruns: int) -> dict:
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    with env(cfg):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        if path:
            at._page_hash = calc_hash(path)  # pages/indicator.py serves several url paths
        first, _ = timed(at.run)
        if at.exception:
            raise RuntimeError(f"/{path} failed: {[e.value for e in at.exception]}")
        for _ in range(3):
            at.run()
        warm = median_ms(at.run, reruns)
        changes = []
        for i in range(6):
            new_view(at, path, i)
            seconds, _ = timed(at.run)
            changes.append(1000 * seconds)
        if at.exception:
            raise RuntimeError(f"/{path} failed on a new view: {[e.value for e in at.exception]}")
        return {"first_s": first, "warm_ms": warm, "new_view_ms": statistics.median(changes),
                "charts": len(at.get("vega_lite_chart")), "metrics": len(at.metric)}


def demo_script(demo: Path, into: Path) -> Path | None:
    """The demo's streamlit_app.py from a git directory or a folder, or None when absent."""
    target = into / "demo" / "streamlit_app.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    if (demo / "streamlit_app.py").exists():
        shutil.copy(demo / "streamlit_app.py", target)
        return target
    if demo.exists():
        out = subprocess.run(["git", f"--git-dir={demo / '.git' if (demo / '.git').exists() else demo}",
                              "show", "HEAD:streamlit_app.py"], capture_output=True, text=True)
        if out.returncode == 0:
            target.write_text(out.stdout)
            return target
    return None


class LocalTickers:
    """Stands in for yfinance.Tickers: history() from the local price files, yfinance-shaped."""

    PERIOD_DAYS = {"1mo": 31, "3mo": 92, "6mo": 183, "1y": 366, "5y": 1827, "10y": 3653, "20y": 7305}

    def __init__(self, tickers, prices: Path):
        self.tickers = tickers if isinstance(tickers, list) else str(tickers).replace(",", " ").split()
        self.prices = prices

    def history(self, period="1mo"):
        frames = {}
        for t in self.tickers:
            df = pd.read_csv(self.prices / f"{t}.csv", parse_dates=["Date"]).set_index("Date")
            frames[t] = df
        closes = pd.DataFrame({t: f["Close"] for t, f in frames.items()})
        closes = closes[closes.index >= closes.index.max() - pd.Timedelta(days=self.PERIOD_DAYS[period])]
        closes.columns = pd.MultiIndex.from_product([["Close"], closes.columns], names=["Price", "Ticker"])
        closes.index.name = "Date"
        return closes


def bench_demo(script: Path, prices: Path, reruns: int) -> dict:
    import yfinance
    from streamlit.testing.v1 import AppTest

    yfinance.Tickers = lambda tickers: LocalTickers(tickers, prices)
    at = AppTest.from_file(str(script), default_timeout=120)
    at.query_params["stocks"] = ",".join(DEMO_TICKERS)
    first, _ = timed(at.run)
    if at.exception:
        raise RuntimeError(f"the demo failed: {[e.value for e in at.exception]}")
    for _ in range(3):
        at.run()
    warm = median_ms(at.run, reruns)
    return {"first_s": first, "warm_ms": warm, "charts": len(at.get("vega_lite_chart")), "metrics": len(at.metric)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reruns", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prices", type=Path, default=PRICES)
    parser.add_argument("--demo", type=Path, default=DEMO)
    args = parser.parse_args(argv)
    no_legacy_pages()
    with tempfile.TemporaryDirectory(prefix="aiwatch-bench-pages-") as tmp:
        root = Path(tmp)
        cfg = make_store(root, args.prices)
        paths = page_paths(cfg)
        script = demo_script(args.demo, root)
        demo_runs, page_runs = [], {p: [] for p in paths}
        for _ in range(args.rounds):
            if script is not None and args.prices.exists():
                demo_runs.append(bench_demo(script, args.prices, args.reruns))
            for p in paths:
                page_runs[p].append(bench_app(cfg, p, args.reruns))
    demo_ms = statistics.median(r["warm_ms"] for r in demo_runs) if demo_runs else None
    print(f"prices: {args.prices} ({'real files' if args.prices.exists() else 'none'}); "
          f"{args.reruns} warm reruns x {args.rounds} rounds; medians over rounds")
    print(f"{'page':<22}{'first run':>11}{'warm rerun':>12}{'x demo':>8}{'new view':>10}{'charts':>8}{'cards':>7}")
    if demo_runs:
        d = demo_runs[-1]
        print(f"{'demo (stock peers)':<22}{statistics.median(r['first_s'] for r in demo_runs):>10.2f}s"
              f"{demo_ms:>10.1f}ms{1:>8.2f}{'':>10}{d['charts']:>8}{d['metrics']:>7}")
    for p, runs in page_runs.items():
        warm = statistics.median(r["warm_ms"] for r in runs)
        ratio = f"{warm / demo_ms:>8.2f}" if demo_ms else f"{'-':>8}"
        print(f"{'/' + p:<22}{statistics.median(r['first_s'] for r in runs):>10.2f}s{warm:>10.1f}ms{ratio}"
              f"{statistics.median(r['new_view_ms'] for r in runs):>8.1f}ms{runs[-1]['charts']:>8}"
              f"{runs[-1]['metrics']:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
