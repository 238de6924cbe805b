"""Price CSV files in the layouts we read (Yahoo, yfinance to_csv, Alpaca, plain): parse and check."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import store
from ..load import Problem, read_text
from .snapshot import COLUMNS, PRICES, TICKER_RE, VALUES, empty_prices

MAX_PROBLEMS_PER_FILE = 20

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

