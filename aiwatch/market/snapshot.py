"""The price snapshot ``data/market/prices.csv``: its columns, reading, locking, writing, committing.

Also the tickers named in ``data/ticker.csv`` (which ones to fetch, which stored ones no page
shows).
"""

from __future__ import annotations

import contextlib
import fcntl
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from .. import atomic, store
from ..config import Config
from ..load import TABLES, Problem, load_file

COLUMNS = list(store.PRICE_COLUMNS)
VALUES = ["open", "high", "low", "close", "adj_close", "volume"]
PRICES = ["open", "high", "low", "close", "adj_close"]
TICKER_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-=^]{0,14}$")


# --- the snapshot -----------------------------------------------------------------------------

def snapshot_path(cfg: Config) -> Path:
    return cfg.market_dir / store.PRICE_SNAPSHOT


def empty_prices() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS})
    df["ticker"] = df["ticker"].astype("str")
    df["source"] = df["source"].astype("str")
    df["date"] = pd.to_datetime(df["date"])
    df["fetched_at"] = pd.to_datetime(df["fetched_at"])
    return df


def read_snapshot(cfg: Config) -> pd.DataFrame:
    """Every stored bar, as a DataFrame (date and fetched_at as datetime64)."""
    path = snapshot_path(cfg)
    if not path.exists():
        return empty_prices()
    con = duckdb.connect()
    try:
        df = store.read_prices(con, path).df()
    finally:
        con.close()
    df["date"] = pd.to_datetime(df["date"])
    return df


def last_dates(snapshot: pd.DataFrame) -> dict[str, date]:
    """The last stored date per ticker."""
    if snapshot.empty:
        return {}
    last = snapshot.groupby("ticker", sort=True)["date"].max()
    return {str(t): pd.Timestamp(d).date() for t, d in last.items()}


@contextlib.contextmanager
def snapshot_lock(cfg: Config):
    """Serialise read-merge-write of the snapshot (refresh, imports) on this machine.

    Taken before (never inside) the build lock, so the two cannot deadlock.
    """
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    with open(cfg.state_dir / "market.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_snapshot(df: pd.DataFrame, path: Path) -> None:
    """Write bars as the snapshot CSV (sorted by ticker, date), through DuckDB's CSV writer."""
    out = df[COLUMNS].sort_values(["ticker", "date"], kind="stable")
    con = duckdb.connect()
    try:
        casts = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in store.PRICE_COLUMNS.items())
        con.from_df(out).project(casts).write_csv(str(path), header=True)
    finally:
        con.close()


def commit(cfg: Config, prices: pd.DataFrame, action: str,
           progress: store.Progress = store.quiet) -> store.BuildResult:
    """Swap in a new snapshot and rebuild the store; on any failure restore the old snapshot.

    The caller holds ``snapshot_lock``. ``atomic.replacing`` keeps the old snapshot until the
    build has swapped the new store in, so a failed build puts back the very same file
    (same bytes, same modification time).
    """
    with atomic.replacing(snapshot_path(cfg), lambda tmp: write_snapshot(prices, tmp)):
        return store.build(cfg, progress, action=action)


# --- tickers named in data/ --------------------------------------------------------------------

def known_tickers(cfg: Config) -> tuple[pd.DataFrame | None, list[Problem]]:
    """data/ticker.csv as a DataFrame, or None when the file does not exist."""
    path = cfg.data_dir / TABLES["ticker"].file_name
    if not path.exists():
        return None, []
    df, problems = load_file(path, TABLES["ticker"], f"{cfg.data_dir.name}/{path.name}")
    return df, problems


def unlisted_warnings(cfg: Config, tickers: Iterable[str]) -> list[str]:
    listed, problems = known_tickers(cfg)
    if listed is None or problems:
        return []
    known = set(listed["ticker"])
    return [f"{t} is not listed in {cfg.data_dir.name}/ticker.csv: its prices are stored, but no page "
            "shows them until you add a row for it" for t in sorted(set(tickers) - known)]

