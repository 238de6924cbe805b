"""Market data: yfinance refresh (incremental) and price-CSV import, merged into one snapshot.

The snapshot ``data/market/prices.csv`` (ignored by git) holds every daily bar the store
knows: ``ticker,date,open,high,low,close,adj_close,volume,source,fetched_at``.
``refresh`` and ``import-prices`` merge into it, write it atomically (temporary file +
``os.replace``) and rebuild the store (``store.build``, itself atomic). On any failure the
snapshot is put back and the live store is left as it was: all or nothing.

Merge rules (the same for both commands):

* a (ticker, date) that is new is added;
* a (ticker, date) already stored is replaced by the newer rows only when a value
  differs, so importing the same file twice changes nothing ("0 new rows");
* ``adj_close`` is the performance series. Yahoo re-adjusts a ticker's whole history
  after every dividend or split, so files and downloads made on different days differ by
  a constant factor. When the newer rows overlap stored days and differ from them by one
  constant factor, the stored days outside the newer rows are multiplied by that factor
  (``adj_close`` only), so daily returns stay continuous across the splice. When the
  overlap does not agree on a constant factor, nothing is rescaled and a warning names
  the ticker.

This module never imports Streamlit; yfinance is imported only when ``refresh`` runs.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import logging
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import store
from .config import Config
from .load import TABLES, Problem, ValidationFailed, load_file, read_text

COLUMNS = list(store.PRICE_COLUMNS)
VALUES = ["open", "high", "low", "close", "adj_close", "volume"]
PRICES = ["open", "high", "low", "close", "adj_close"]
TICKER_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-=^]{0,14}$")

# Two adjusted closes of the same day are "the same" within this relative tolerance
# (a CSV written with full precision round-trips exactly; this only absorbs float noise).
SAME_REL = 1e-9
# Overlapping days "differ by one constant factor" when every ratio is within this
# relative distance of their median (sources rounded to cents disagree by ~1e-4).
FACTOR_REL = 2e-3
MAX_PROBLEMS_PER_FILE = 20

HORIZONS = ("1M", "3M", "6M", "YTD", "1Y", "3Y", "5Y", "max")
HORIZON_MONTHS = {"1M": 1, "3M": 3, "6M": 6, "1Y": 12, "3Y": 36, "5Y": 60}


def window_start(horizon: str, first: date, last: date) -> date:
    """First calendar day of a horizon ending on ``last`` (never before ``first``).

    1M..5Y count calendar months back from ``last``; YTD starts on January 1 of
    ``last``'s year; max starts at ``first``.
    """
    if horizon == "max":
        return first
    if horizon == "YTD":
        start = date(last.year, 1, 1)
    elif horizon in HORIZON_MONTHS:
        start = (pd.Timestamp(last) - pd.DateOffset(months=HORIZON_MONTHS[horizon])).date()
    else:
        raise ValueError(f"unknown horizon {horizon!r}; expected one of {', '.join(HORIZONS)}")
    return max(start, first)


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
        df = store._read_prices(con, path).df()
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
           progress: store.Progress = store._quiet) -> store.BuildResult:
    """Swap in a new snapshot and rebuild the store; on any failure restore the old snapshot.

    The caller holds ``snapshot_lock``. The old snapshot is kept as a hard link until the
    build has swapped the new store in, so a failed build puts back the very same file
    (same bytes, same modification time).
    """
    path = snapshot_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    backup = path.with_name(f".{path.name}.{os.getpid()}.bak")
    had_old = path.exists()
    try:
        write_snapshot(prices, tmp)
        if had_old:
            backup.unlink(missing_ok=True)
            os.link(path, backup)
        os.replace(tmp, path)
        try:
            return store.build(cfg, progress, action=action)
        except BaseException:
            if had_old:
                os.replace(backup, path)
            else:
                path.unlink(missing_ok=True)
            raise
    finally:
        tmp.unlink(missing_ok=True)
        backup.unlink(missing_ok=True)


# --- merging ------------------------------------------------------------------------------------

@dataclass
class TickerChange:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rescaled: int = 0
    factor: float | None = None


@dataclass
class MergeResult:
    prices: pd.DataFrame
    per_ticker: dict[str, TickerChange]
    warnings: list[str] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(c.new for c in self.per_ticker.values())

    @property
    def changed(self) -> int:
        return sum(c.changed + c.rescaled for c in self.per_ticker.values())

    @property
    def modified(self) -> bool:
        return self.new > 0 or self.changed > 0

    def summary(self) -> str:
        parts = [f"{self.new} new row{'s' * (self.new != 1)}"]
        replaced = sum(c.changed for c in self.per_ticker.values())
        rescaled = sum(c.rescaled for c in self.per_ticker.values())
        if replaced:
            parts.append(f"{replaced} replaced")
        if rescaled:
            parts.append(f"{rescaled} rescaled")
        return ", ".join(parts)


def _differs(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Row-wise: does any value column differ (NaN equals NaN)?"""
    out = np.zeros(len(a), dtype=bool)
    for c in VALUES:
        x = a[c].to_numpy(dtype="float64", na_value=np.nan)
        y = b[c].to_numpy(dtype="float64", na_value=np.nan)
        both_nan = np.isnan(x) & np.isnan(y)
        close = np.isclose(x, y, rtol=SAME_REL, atol=0.0)
        out |= ~(close | both_nan)
    return out


def merge(existing: pd.DataFrame, incoming: pd.DataFrame) -> MergeResult:
    """Merge newer bars into the stored ones (rules in the module docstring).

    ``incoming`` must hold each (ticker, date) once. Vectorised: cost grows with the rows
    of the tickers touched, not with Python loops over rows.
    """
    incoming = incoming[COLUMNS].copy()
    incoming["date"] = pd.to_datetime(incoming["date"])
    touched = set(incoming["ticker"].unique())
    is_touched = existing["ticker"].isin(touched)
    keep = existing[~is_touched]
    old = existing[is_touched].copy()
    old["date"] = pd.to_datetime(old["date"])

    both = old.merge(incoming, on=["ticker", "date"], how="inner", suffixes=("_old", ""))
    per: dict[str, TickerChange] = {t: TickerChange() for t in sorted(touched)}
    warnings: list[str] = []

    # 1. a new adjustment basis: one constant factor between newer and stored adj_close
    factors: dict[str, float] = {}
    if not both.empty:
        ratio = both["adj_close"].to_numpy("float64") / both["adj_close_old"].to_numpy("float64")
        r = pd.DataFrame({"ticker": both["ticker"].to_numpy(), "ratio": ratio})
        med = r.groupby("ticker")["ratio"].median()
        r["dev"] = (r["ratio"] / r["ticker"].map(med) - 1).abs()
        worst = r.groupby("ticker")["dev"].max()
        for t, f in med.items():
            if not np.isfinite(f):
                continue
            if worst[t] <= FACTOR_REL:
                if abs(f - 1) > SAME_REL:
                    factors[str(t)] = float(f)
            else:
                warnings.append(
                    f"{t}: the new prices differ from the stored ones by more than one constant "
                    f"factor on {int((r['ticker'] == t).sum())} overlapping day(s) (adjusted close "
                    f"{100 * (f - 1):+.2f}% at the median, up to {100 * worst[t]:.2f}% apart); "
                    "the new values replace the stored ones on those days, nothing else is rescaled")

    # 2. overlapping days: replace only when a value differs
    diff = _differs(both[[f"{c}_old" for c in VALUES]].set_axis(VALUES, axis=1), both[VALUES]) \
        if not both.empty else np.zeros(0, dtype=bool)
    changed_keys = both.loc[diff, ["ticker", "date"]]
    same_keys = both.loc[~diff, ["ticker", "date"]]

    inc_key = pd.MultiIndex.from_frame(incoming[["ticker", "date"]])
    old_key = pd.MultiIndex.from_frame(old[["ticker", "date"]])
    in_incoming = old_key.isin(inc_key)
    unchanged_key = pd.MultiIndex.from_frame(same_keys)
    old_outside = old[~in_incoming].copy()
    old_same = old[old_key.isin(unchanged_key)]
    new_or_changed = incoming[~inc_key.isin(unchanged_key)]

    for t, f in factors.items():
        mask = old_outside["ticker"] == t
        old_outside.loc[mask, "adj_close"] = old_outside.loc[mask, "adj_close"] * f
        per[t].rescaled = int(mask.sum())
        per[t].factor = f

    counts_new = incoming[~inc_key.isin(old_key)]["ticker"].value_counts()
    counts_changed = changed_keys["ticker"].value_counts()
    counts_same = same_keys["ticker"].value_counts()
    for t, c in per.items():
        c.new = int(counts_new.get(t, 0))
        c.changed = int(counts_changed.get(t, 0))
        c.unchanged = int(counts_same.get(t, 0))

    parts = [p for p in (keep, old_outside, old_same, new_or_changed) if not p.empty]
    merged = pd.concat(parts, ignore_index=True) if parts else empty_prices()
    merged = merged.sort_values(["ticker", "date"], kind="stable", ignore_index=True)
    return MergeResult(merged, per, warnings)


# --- tickers named in data/ --------------------------------------------------------------------

def known_tickers(cfg: Config) -> tuple[pd.DataFrame | None, list[Problem]]:
    """data/ticker.csv as a DataFrame, or None when the file does not exist."""
    path = cfg.data_dir / TABLES["ticker"].file_name
    if not path.exists():
        return None, []
    df, problems = load_file(path, TABLES["ticker"], f"{cfg.data_dir.name}/{path.name}")
    return df, problems


def _unlisted_warnings(cfg: Config, tickers: Iterable[str]) -> list[str]:
    listed, problems = known_tickers(cfg)
    if listed is None or problems:
        return []
    known = set(listed["ticker"])
    return [f"{t} is not listed in {cfg.data_dir.name}/ticker.csv: its prices are stored, but no page "
            "shows them until you add a row for it" for t in sorted(set(tickers) - known)]


# --- import-prices ------------------------------------------------------------------------------

# Header names we understand, normalised (lower case, single spaces) -> our column.
HEADER_NAMES = {
    "date": "date", "datetime": "date", "timestamp": "date",
    "open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume",
    "adj close": "adj_close", "adj_close": "adj_close", "adjclose": "adj_close",
    "symbol": "ticker", "ticker": "ticker",
    "trades": "trades", "trade_count": "trades", "vwap": "vwap",
}
LAYOUT_HELP = ("Yahoo (Date,Open,High,Low,Close,Adj Close,Volume), yfinance to_csv "
               "(Date,Close,High,Low,Open,Volume), Alpaca (Date,symbol,Open,High,Low,Close,Volume,"
               "Trades,VWAP) or plain (date,open,high,low,close,volume)")
YAHOO_ORDER = ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]
SOURCES = {
    "yahoo_csv": "yahoo_csv",
    "yfinance_csv_adj": "yfinance_csv",
    "yfinance_csv": "yfinance_csv: Close is already adjusted; stored as close and adj_close",
    "alpaca_csv": "alpaca_csv: one close per bar; stored as close and adj_close",
    "plain_csv": "plain_csv: one close per bar; stored as close and adj_close",
    "plain_csv_adj": "plain_csv",
}
DATE_RE = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
NULLS = {"", "null", "nan", "NaN", "NULL", "None"}


@dataclass
class ParsedFile:
    label: str
    layout: str
    prices: pd.DataFrame  # COLUMNS, one row per (ticker, date)
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)


def detect_layout(header: Sequence[str]) -> tuple[str | None, dict[str, str], list[str]]:
    """Name the layout of a header row: (layout or None, {header name: our column}, unknown names)."""
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for h in header:
        key = " ".join(h.strip().lower().replace("\ufeff", "").split())
        col = HEADER_NAMES.get(key)
        if col is None or col in mapping.values():
            unknown.append(h)
        else:
            mapping[h] = col
    cols = set(mapping.values())
    if unknown or not {"date", "close"} <= cols:
        return None, mapping, unknown
    if "adj_close" in cols:
        if [h.strip() for h in header] == YAHOO_ORDER:
            return "yahoo_csv", mapping, []
        if all(h[:1].isupper() for h in mapping):
            return "yfinance_csv_adj", mapping, []
        return "plain_csv_adj", mapping, []
    if cols & {"trades", "vwap"} or ("ticker" in cols and any(h[:1].isupper() for h in mapping)):
        return "alpaca_csv", mapping, []
    if all(h[:1].isupper() for h in mapping if mapping[h] != "ticker"):
        return "yfinance_csv", mapping, []
    return "plain_csv", mapping, []


def _ticker_from_name(path: Path) -> str | None:
    stem = path.stem.strip().upper()
    for candidate in (stem, re.split(r"[_\s]", stem)[0]):
        if TICKER_RE.match(candidate):
            return candidate
    return None


def parse_price_file(path: Path, ticker: str | None = None, label: str | None = None,
                     fetched_at: datetime | None = None) -> ParsedFile:
    """Read one price CSV in any supported layout; every problem comes with its line number.

    The ticker comes from a symbol/ticker column, else ``ticker``, else the file name.
    Dates keep the calendar day written in the file: a time and a UTC offset are ignored
    (Alpaca stamps a daily bar at New York midnight in UTC, 04:00 or 05:00+00:00, whose
    day is the trading day).
    """
    label = label or str(path)
    fetched_at = fetched_at or store.now_utc().replace(microsecond=0)
    empty = ParsedFile(label, "?", empty_prices(), [])
    text, problems = read_text(path, label)
    if text is None:
        empty.problems = problems
        return empty
    lines = text.splitlines()
    if not lines or not any(line.strip() for line in lines):
        empty.problems = [Problem(label, 1, None, None, "an empty file; expected a header row "
                                  f"and daily prices in one of these layouts: {LAYOUT_HELP}")]
        return empty
    try:
        header = next(csv.reader([lines[0]]))
    except csv.Error as e:
        empty.problems = [Problem(label, 1, None, None, f"readable CSV ({e})")]
        return empty
    skip = 1
    file_ticker = None
    # yfinance's to_csv of a (Price, Ticker) frame: "Price,Close,...", "Ticker,MSFT,...", "Date,,..."
    if header and header[0].strip() == "Price" and len(lines) >= 3 \
            and lines[1].split(",")[0].strip() == "Ticker":
        symbols = {s.strip() for s in next(csv.reader([lines[1]]))[1:] if s.strip()}
        if len(symbols) == 1:
            file_ticker = symbols.pop().upper()
        header = ["Date", *header[1:]]
        skip = 3
    layout, mapping, unknown = detect_layout(header)
    if layout is None:
        if unknown:
            what = (f"unknown column{'s' * (len(unknown) > 1)} {', '.join(repr(u) for u in unknown)} "
                    "(not a price column this import reads)")
        else:
            what = f"unrecognised layout: no date and close column in {','.join(header)!r}"
        empty.problems = [Problem(label, 1, None, None, f"{what}; expected {LAYOUT_HELP}")]
        empty.layout = "unrecognised"
        return empty

    try:
        raw = pd.read_csv(io.StringIO(text), header=None, skiprows=skip, names=list(range(len(header))),
                          dtype=str, keep_default_na=False, skip_blank_lines=False, engine="c")
    except pd.errors.ParserError as e:
        m = re.search(r"line (\d+), saw (\d+)", str(e))
        line, found = (int(m.group(1)), m.group(2)) if m else (None, "more")
        return ParsedFile(label, layout, empty_prices(), [Problem(
            label, line, None, None, f"a row of {len(header)} fields like the header (found {found})")])
    raw.columns = [mapping[h] if h in mapping else h for h in header]
    raw = raw.fillna("")
    lineno = np.arange(len(raw)) + skip + 1
    blank = (raw.apply(lambda s: s.str.strip()) == "").all(axis=1).to_numpy()
    raw, lineno = raw[~blank].reset_index(drop=True), lineno[~blank]
    if raw.empty:
        return ParsedFile(label, layout, empty_prices(), [Problem(
            label, skip + 1, None, None, "a file with at least one row of prices (found only the header)")])

    problems = []

    def bad(mask: np.ndarray, column: str | None, values: pd.Series | None, expected: str) -> None:
        for i in np.flatnonzero(mask):
            problems.append(Problem(label, int(lineno[i]), column,
                                    None if values is None else str(values.iloc[i]), expected))

    col_label = {v: k for k, v in mapping.items()}
    # the ticker
    if "ticker" in raw.columns:
        tick = raw["ticker"].str.strip().str.upper()
        bad((~tick.str.match(TICKER_RE)).to_numpy(), col_label["ticker"], raw["ticker"], "a ticker symbol")
        if ticker and (tick != ticker).any():
            first = int(np.flatnonzero((tick != ticker).to_numpy())[0])
            problems.append(Problem(label, int(lineno[first]), col_label["ticker"], raw["ticker"].iloc[first],
                                    f"{ticker} (given with --ticker); leave --ticker out for this file"))
    else:
        name = ticker or file_ticker or _ticker_from_name(path)
        if name is None:
            return ParsedFile(label, layout, empty_prices(), [Problem(
                label, None, None, None, f"a file name that is a ticker symbol ({path.name!r} is not); "
                                         "pass --ticker")])
        tick = pd.Series([name] * len(raw), dtype="str")

    # the date: the calendar day as written
    ds = raw["date"].str.strip()
    date_ok = ds.str.match(DATE_RE).to_numpy()
    day = pd.to_datetime(ds.str[:10].where(date_ok, None), format="%Y-%m-%d", errors="coerce")
    date_ok = date_ok & day.notna().to_numpy()
    bad(~date_ok, col_label["date"], raw["date"], "a date as YYYY-MM-DD (optionally with a time)")

    # rows without any price (Yahoo writes 'null' on some holidays) are skipped, not errors
    value_cols = [c for c in VALUES if c in raw.columns]
    nullish = {c: raw[c].str.strip().isin(NULLS).to_numpy() for c in value_cols}
    no_prices = np.logical_and.reduce([nullish[c] for c in value_cols])
    notes = []
    if no_prices.any():
        notes.append(f"{label}: skipped {int(no_prices.sum())} row(s) without prices "
                     f"(first on line {int(lineno[np.flatnonzero(no_prices)[0]])})")

    nums: dict[str, np.ndarray] = {}
    for c in value_cols:
        s = raw[c].str.strip().str.replace(",", "", regex=False)
        v = pd.to_numeric(s.where(~nullish[c], None), errors="coerce").to_numpy("float64", na_value=np.nan)
        not_num = ~nullish[c] & ~np.isfinite(v)
        bad(not_num & ~no_prices, col_label[c], raw[c], "a number")
        if c in PRICES:
            bad(np.isfinite(v) & (v <= 0) & ~no_prices, col_label[c], raw[c], "a positive price")
            if c == "close":
                bad(nullish[c] & ~no_prices, col_label[c], raw[c], "a price (close is required)")
        else:
            bad(np.isfinite(v) & (v < 0), col_label[c], raw[c], "a volume >= 0")
        nums[c] = v

    usable = date_ok & ~no_prices
    frame = pd.DataFrame({"ticker": tick.to_numpy(), "date": day.to_numpy()})
    dup = frame.duplicated(["ticker", "date"], keep=False).to_numpy() & usable
    if dup.any():
        first_line = frame[dup].assign(line=lineno[dup]).groupby(["ticker", "date"])["line"].transform("min")
        for (i, ln), first in zip(zip(np.flatnonzero(dup), lineno[dup]), first_line):
            if ln != first:
                problems.append(Problem(label, int(ln), col_label["date"], str(raw["date"].iloc[i]),
                                        f"a date not already on line {int(first)} (duplicate date for "
                                        f"{frame['ticker'].iloc[i]})"))

    if len(problems) > MAX_PROBLEMS_PER_FILE:
        more = len(problems) - MAX_PROBLEMS_PER_FILE
        problems = problems[:MAX_PROBLEMS_PER_FILE] + [Problem(
            label, None, None, None, f"{more} more problem(s) in this file (fix the ones above first)")]
    if problems:
        return ParsedFile(label, layout, empty_prices(), problems, notes)

    out = frame[usable].reset_index(drop=True)
    for c in VALUES:
        out[c] = nums[c][usable] if c in nums else np.nan
    if "adj_close" not in nums:
        out["adj_close"] = out["close"]
    out["source"] = SOURCES[layout]
    out["fetched_at"] = pd.Timestamp(fetched_at)
    return ParsedFile(label, layout.removesuffix("_adj"), out[COLUMNS], [], notes)


@dataclass
class ImportResult:
    files: list[ParsedFile]
    merge: MergeResult
    build: store.BuildResult | None
    warnings: list[str]


def import_prices(cfg: Config, paths: Sequence[Path], ticker: str | None = None,
                  progress: store.Progress = store._quiet) -> ImportResult:
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
    warnings = [n for f in parsed for n in f.notes] + _unlisted_warnings(cfg, tickers)
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


# --- refresh (yfinance) ---------------------------------------------------------------------------

YF_FIELDS = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Adj Close": "adj_close",
             "Volume": "volume"}
OFFLINE_RE = re.compile(r"resolve host|name or service|network is unreachable|connection (refused|reset|"
                        r"aborted|error)|timed? ?out|curl: \(\d+\)|dnserror|failed to establish|"
                        r"temporary failure|no route to host|ssl", re.IGNORECASE)
RATE_RE = re.compile(r"rate ?limit|too many requests|\b429\b", re.IGNORECASE)
DETAIL_RE = re.compile(r"Could not resolve host: [\w.\-]+|Failed to connect to \S+(?: over proxy [\w.\-:]+)?|"
                       r"Connection refused|Network is unreachable|[Tt]imed out|Too Many Requests")
REASONS = {
    "offline": "offline: could not reach Yahoo Finance",
    "rate-limited": "rate-limited by Yahoo Finance; try again later",
    "unknown ticker": "no data returned: unknown ticker (or delisted)",
}
Downloader = Callable[..., pd.DataFrame]
# yfinance.download's keywords, decided once: Close *and* Adj Close, one column level per
# field, no progress bar or threads of its own (we draw our own per-ticker progress).
DOWNLOAD_KWARGS = {"auto_adjust": False, "group_by": "column", "progress": False, "threads": False,
                   "actions": False}


def _rate_limit_error() -> type[BaseException]:
    try:
        from yfinance.exceptions import YFRateLimitError
    except Exception:  # noqa: BLE001 - an old or missing yfinance: nothing to match
        class YFRateLimitError(Exception):  # type: ignore[no-redef]
            pass
    return YFRateLimitError


def yfinance_download(*args, **kwargs) -> pd.DataFrame:
    """The real downloader (imported lazily: only refresh ever touches the network)."""
    import yfinance

    return yfinance.download(*args, **kwargs)


class _Capture(logging.Handler):
    """Collects yfinance's log records (it logs failures instead of raising)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        with contextlib.suppress(Exception):
            self.messages.append(record.getMessage())


@contextlib.contextmanager
def _captured_yfinance_log():
    logger = logging.getLogger("yfinance")
    handler = _Capture()
    saved = logger.propagate, logger.handlers[:], logger.level
    logger.handlers = [handler]
    logger.propagate = False
    if logger.level == logging.NOTSET or logger.level > logging.ERROR:
        logger.setLevel(logging.ERROR)
    try:
        yield handler.messages
    finally:
        logger.propagate, logger.handlers = saved[0], saved[1]
        logger.setLevel(saved[2])


def frame_for(df: pd.DataFrame | None, ticker: str, only_ticker: bool) -> pd.DataFrame | None:
    """One ticker's bars from a yfinance frame, as our columns; None when it came back empty.

    yfinance returns (Price, Ticker) MultiIndex columns even for one ticker; a failed
    ticker's columns are all NaN (or missing). Rows without a close are dropped (a batch is
    aligned on the union of every ticker's trading days).
    """
    if not isinstance(df, pd.DataFrame) or df.empty:
        return None
    cols = df.columns
    if isinstance(cols, pd.MultiIndex):
        for level in range(cols.nlevels):
            if ticker in set(cols.get_level_values(level)):
                sub = df.xs(ticker, axis=1, level=level)
                break
        else:
            return None
    elif only_ticker:
        sub = df
    else:
        return None
    sub = sub.rename(columns=YF_FIELDS)
    if "close" not in sub.columns:
        return None
    idx = pd.DatetimeIndex(sub.index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)  # keep the exchange's calendar day
    out = pd.DataFrame({"ticker": ticker, "date": idx.normalize()})
    for c in VALUES:
        out[c] = pd.to_numeric(sub[c], errors="coerce").to_numpy("float64") if c in sub.columns else np.nan
    adjusted = "adj_close" in sub.columns
    if not adjusted:
        out["adj_close"] = out["close"]
    out = out[np.isfinite(out["close"]) & (out["close"] > 0)
              & np.isfinite(out["adj_close"]) & (out["adj_close"] > 0)]
    if out.empty:
        return None
    out["source"] = "yfinance" if adjusted else "yfinance: Close auto-adjusted; stored as close and adj_close"
    return out.drop_duplicates(["ticker", "date"], keep="last").reset_index(drop=True)


def failure_detail(messages: Sequence[str], error: BaseException | None) -> str:
    """The telling part of yfinance's error text, e.g. 'Could not resolve host: query2...'."""
    text = " ".join(messages) + (f" {error}" if error else "")
    m = DETAIL_RE.search(text)
    if m:
        return m.group(0).strip()
    return f"{type(error).__name__}: {error}"[:120] if error else ""


def classify(messages: Sequence[str], error: BaseException | None, rate_limit_type: type) -> str:
    """Why did a call return nothing: offline, rate-limited or unknown ticker?"""
    text = " ".join(messages) + (f" {type(error).__name__}: {error}" if error else "")
    if isinstance(error, rate_limit_type) or RATE_RE.search(text):
        return "rate-limited"
    if isinstance(error, (ConnectionError, TimeoutError, OSError)) or OFFLINE_RE.search(text):
        return "offline"
    if error is not None:
        return "offline"  # an unexpected exception from the network layer: treat as transient
    return "unknown ticker"


class TickerProgress:
    """A per-ticker progress bar on a terminal; when not a terminal, one quiet line per fetched
    ticker (failures are named once, in the final message)."""

    def __init__(self, total: int, stream=None, tty: bool | None = None, width: int = 24):
        self.total, self.done, self.width = total, 0, width
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty

    def update(self, ticker: str, status: str) -> None:
        self.done += 1
        if self.tty:
            filled = int(self.width * self.done / max(self.total, 1))
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} {ticker}: {status}\033[K")
        elif not status.startswith("failed"):
            self.stream.write(f"{ticker}: {status}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:  # erase the bar: the summary line says what happened
            self.stream.write("\r\033[K")
            self.stream.flush()


@dataclass
class RefreshResult:
    exit_code: int
    message: str
    fetched: dict[str, int] = field(default_factory=dict)  # ticker -> rows received
    failed: dict[str, str] = field(default_factory=dict)   # ticker -> reason
    merge: MergeResult | None = None
    build: store.BuildResult | None = None
    warnings: list[str] = field(default_factory=list)


def plan(tickers: Sequence[str], last: dict[str, date], first_start: date) -> dict[date, list[str]]:
    """Group tickers by the first day to ask for: one call per distinct start.

    A ticker with stored prices is asked from its last stored day: that day is already
    stored and comes back as an *anchor* (Yahoo re-adjusts whole histories after each
    dividend or split; the anchor tells by how much, see ``merge``), and a ticker that
    simply has no new trading day yet still returns one row, so "nothing new" is never
    mistaken for a failed ticker. Every later day is a missing day.
    """
    groups: dict[date, list[str]] = {}
    for t in tickers:
        groups.setdefault(last.get(t, first_start), []).append(t)
    return dict(sorted(groups.items()))


def refresh(cfg: Config, tickers: Sequence[str] | None = None, start: date | None = None,
            downloader: Downloader | None = None, sleep: Callable[[float], None] = time.sleep,
            progress: TickerProgress | None = None, attempts: int = 3, backoff_s: float = 1.0,
            build_progress: store.Progress = store._quiet) -> RefreshResult:
    """Fetch missing daily bars from Yahoo Finance, merge what came back, rebuild the store.

    Exit codes in the result: 0 every ticker fetched, 1 none (``message`` names the reason:
    offline, rate-limited or unknown ticker; nothing is changed), 3 some (names the failed
    tickers). Rate limits and network errors are retried ``attempts`` times in all, waiting
    ``backoff_s``, then twice as long, and so on; once a whole call has failed that way,
    the remaining calls are not tried (offline stays offline for the next ticker too).
    """
    downloader = downloader or yfinance_download
    rate_limit_type = _rate_limit_error()
    if tickers:
        wanted = list(dict.fromkeys(t.strip().upper() for t in tickers if t.strip()))
    else:
        listed, problems = known_tickers(cfg)
        if listed is None:
            return _refresh_failed(cfg, f"no tickers to fetch: {cfg.data_dir.name}/ticker.csv does not "
                                        "exist; pass --tickers MSFT QQQ ...")
        if problems:
            return _refresh_failed(cfg, f"{cfg.data_dir.name}/ticker.csv has problems ({problems[0]}); "
                                        "run `python -m aiwatch check`")
        wanted = list(listed["ticker"])
    bad = [t for t in wanted if not TICKER_RE.match(t)]
    if bad or not wanted:
        return _refresh_failed(cfg, f"not a ticker symbol: {', '.join(bad) or '(none given)'}")
    first_start = start or date.fromisoformat(cfg.market_start)

    with snapshot_lock(cfg):
        try:
            snapshot = read_snapshot(cfg)
        except duckdb.Error as e:
            return _refresh_failed(cfg, f"{snapshot_path(cfg)} is not a readable price snapshot "
                                        f"({str(e).splitlines()[0]}); nothing was fetched or changed")
        groups = plan(wanted, last_dates(snapshot), first_start)
        progress = progress or TickerProgress(len(wanted))
        frames: list[pd.DataFrame] = []
        fetched: dict[str, int] = {}
        failed: dict[str, str] = {}
        given_up: str | None = None  # offline or rate-limited after every retry: stop asking
        details: dict[str, str] = {}  # reason -> what yfinance said
        for group_start, group in groups.items():
            pending = list(group)
            for attempt in range(attempts if given_up is None else 0):
                got, reason, detail = _download_once(downloader, pending, group_start, rate_limit_type)
                if pending and len(got) < len(pending) and detail:
                    details[reason] = detail
                for t, f in got.items():
                    frames.append(f)
                    fetched[t] = len(f)
                    progress.update(t, f"{len(f)} day(s) from {group_start}")
                pending = [t for t in pending if t not in got]
                if not pending:
                    break
                if reason == "unknown ticker" or attempt == attempts - 1:
                    if reason != "unknown ticker" and len(pending) == len(group):
                        given_up = reason
                    for t in pending:
                        failed[t] = reason
                        progress.update(t, f"failed ({reason})")
                    pending = []
                    break
                sleep(backoff_s * 2 ** attempt)
            for t in pending:  # skipped: an earlier group found us offline or rate-limited
                failed[t] = given_up or "offline"
                progress.update(t, f"failed ({failed[t]})")
        progress.finish()

        if not frames:
            reasons = sorted(set(failed.values()))
            why = "; ".join(REASONS[r] + (f" ({', '.join(t for t in wanted if failed.get(t) == r)})"
                                           if r == "unknown ticker" else
                                           f" ({details[r]})" if details.get(r) else "") for r in reasons)
            return _refresh_failed(cfg, f"nothing fetched: {why}. The data and the store were not changed.",
                                   failed=failed)
        incoming = pd.concat(frames, ignore_index=True)
        incoming["fetched_at"] = pd.Timestamp(store.now_utc().replace(microsecond=0))
        result = merge(snapshot, incoming)
        built = None
        try:
            if result.modified:
                built = commit(cfg, result.prices, "refresh", build_progress)
        except ValidationFailed as e:
            return _refresh_failed(cfg, f"fetched {len(fetched)} ticker(s) but the store could not be built "
                                        f"({len(e.problems)} problem(s); first: {e.problems[0]}); nothing "
                                        "was changed. Run `python -m aiwatch check`.", failed=failed)
        except Exception as e:  # noqa: BLE001 - one clear line; the snapshot was restored
            return _refresh_failed(cfg, f"fetched {len(fetched)} ticker(s) but the build failed "
                                        f"({type(e).__name__}: {e}); nothing was changed.", failed=failed)

    new = ", ".join(f"{t} +{result.per_ticker[t].new}" for t in fetched)
    if failed:
        names = ", ".join(f"{t} ({r})" for t, r in failed.items())
        code, outcome = 3, "partial"
        message = f"partial: {result.summary()} ({new}); failed: {names}"
    else:
        code, outcome = 0, "ok"
        message = f"ok: {result.summary()} ({new})"
    store.log_event(cfg, "refresh", outcome, message)
    warnings = result.warnings + _unlisted_warnings(cfg, fetched)
    return RefreshResult(code, message, fetched, failed, result, built, warnings)


def _refresh_failed(cfg: Config, message: str, failed: dict[str, str] | None = None) -> RefreshResult:
    store.log_event(cfg, "refresh", "failed", message)
    return RefreshResult(1, message, failed=failed or {})


def _download_once(downloader: Downloader, tickers: list[str], start: date,
                   rate_limit_type: type) -> tuple[dict[str, pd.DataFrame], str, str]:
    """One downloader call: the tickers that came back with data, and why the rest did not."""
    error: BaseException | None = None
    df = None
    with _captured_yfinance_log() as messages, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance's own pandas deprecation noise
        try:
            df = downloader(list(tickers), start=start.isoformat(), **DOWNLOAD_KWARGS)
        except Exception as e:  # noqa: BLE001 - yfinance and the network raise anything
            error = e
    got = {}
    for t in tickers:
        f = frame_for(df, t, only_ticker=len(tickers) == 1)
        if f is not None:
            got[t] = f
    reason = classify(messages, error, rate_limit_type)
    if got and reason == "offline":
        reason = "unknown ticker"  # the network worked for the others
    return got, reason, failure_detail(messages, error)
