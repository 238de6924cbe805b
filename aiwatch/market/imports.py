"""``import-prices``: price CSV files merged into the snapshot, then the store rebuilt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import store
from ..config import Config
from ..load import Problem, ValidationFailed
from .layouts import ParsedFile, parse_price_file
from .merging import MergeResult, merge
from .snapshot import TICKER_RE, commit, empty_prices, read_snapshot, snapshot_lock, unlisted_warnings


@dataclass
class ImportResult:
    files: list[ParsedFile]
    merge: MergeResult
    build: store.BuildResult | None
    warnings: list[str]


def import_prices(cfg: Config, paths: Sequence[Path], ticker: str | None = None,
                  progress: store.Progress = store.quiet) -> ImportResult:
    """Import price CSV files into the snapshot and rebuild the store: all files or none.

    Raises ``ValidationFailed`` with every problem of every file (nothing is written).
    Files are applied in the order given: a later file's rows win over an earlier one's.
    """
    if ticker is not None:
        ticker = ticker.strip().upper()
        if not TICKER_RE.match(ticker):
            raise ValidationFailed([Problem("--ticker", None, None, ticker, "a ticker symbol")])
    fetched_at = store.now_utc().replace(microsecond=0)
    parsed, problems = [], []
    for p in paths:
        p = Path(p)
        if not p.is_file():
            problems.append(Problem(str(p), None, None, None, "no such file; check the path"))
            continue
        f = parse_price_file(p, ticker=ticker, fetched_at=fetched_at)
        progress(f"read {f.label}: {f.layout}, {len(f.prices)} rows"
                 + (f", {f.prices['ticker'].nunique()} ticker(s)" if not f.prices.empty else ""))
        parsed.append(f)
        problems += f.problems
    if problems:
        log = f"{len(problems)} problem(s); first: {problems[0]}"
        store.log_event(cfg, "import-prices", "failed", log)
        raise ValidationFailed(problems)

    incoming = empty_prices()
    for f in parsed:  # later files win
        incoming = pd.concat([incoming, f.prices], ignore_index=True) if not incoming.empty else f.prices
        incoming = incoming.drop_duplicates(["ticker", "date"], keep="last")
    tickers = sorted(incoming["ticker"].unique())
    warnings = [n for f in parsed for n in f.notes] + unlisted_warnings(cfg, tickers)
    try:
        with snapshot_lock(cfg):
            result = merge(read_snapshot(cfg), incoming)
            warnings += result.warnings
            built = None
            if result.modified:
                built = commit(cfg, result.prices, "import-prices", progress)
    except ValidationFailed as e:
        store.log_event(cfg, "import-prices", "failed", f"{len(e.problems)} problem(s); first: {e.problems[0]}")
        raise
    except Exception as e:
        store.log_event(cfg, "import-prices", "failed", f"{type(e).__name__}: {e}")
        raise
    names = ", ".join(f"{t} +{c.new}" for t, c in result.per_ticker.items())
    store.log_event(cfg, "import-prices", "ok", f"{len(parsed)} file(s); {result.summary()} ({names})")
    return ImportResult(parsed, result, built, warnings)

