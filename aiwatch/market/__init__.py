"""Market data: yfinance refresh (incremental) and price-CSV import, merged into one snapshot.

The snapshot ``data/market/prices.csv`` (ignored by git) holds every daily bar the store
knows: ``ticker,date,open,high,low,close,adj_close,volume,source,fetched_at``.
``refresh`` and ``import-prices`` merge into it, write it atomically (``aiwatch.atomic``)
and rebuild the store (``store.build``, itself atomic). On any failure the snapshot is put
back and the live store is left as it was: all or nothing.

The package, by concern (every public name is importable as ``aiwatch.market.<name>``):

* ``snapshot``  the snapshot's columns, reading, locking, writing and committing; tickers in data/
* ``layouts``   price CSV layouts (Yahoo, yfinance, Alpaca, plain): detect and parse, with line numbers
* ``imports``   ``import_prices``: files -> merge -> commit
* ``merging``   the merge rules below
* ``yahoo``     ``refresh``: the yfinance downloader, its failure modes, the incremental plan
* ``progress``  the per-ticker progress protocol and the terminal reporter
* ``calendar``  the New York Stock Exchange calendar (sessions, holidays, early closes)
* ``horizons``  the Market page's chart horizons

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

This package never imports Streamlit; yfinance is imported only when ``refresh`` runs.
"""

from . import calendar, horizons, imports, layouts, merging, progress, snapshot, yahoo
from .horizons import HORIZON_MONTHS, HORIZONS, window_start
from .imports import ImportResult, import_prices
from .layouts import (
    DATE_RE,
    HEADER_NAMES,
    LAYOUT_HELP,
    MAX_PROBLEMS_PER_FILE,
    NULLS,
    SOURCES,
    YAHOO_ORDER,
    ParsedFile,
    detect_layout,
    parse_price_file,
)
from .merging import (
    FACTOR_REL,
    MAX_DAILY_MOVE,
    MIN_AGREEING_DAYS,
    SAME_REL,
    MergeResult,
    TickerChange,
    days_text,
    merge,
)
from .progress import Progress, TickerProgress
from .snapshot import (
    COLUMNS,
    PRICES,
    TICKER_RE,
    VALUES,
    commit,
    empty_prices,
    known_tickers,
    last_dates,
    read_snapshot,
    snapshot_lock,
    snapshot_path,
    unlisted_warnings,
    write_snapshot,
)
from .yahoo import (
    DETAIL_RE,
    DOWNLOAD_KWARGS,
    OFFLINE_RE,
    OVERLAP_SESSIONS,
    RATE_RE,
    REASONS,
    SETTLE,
    YF_FIELDS,
    BadFrame,
    Downloader,
    RefreshResult,
    classify,
    failure_detail,
    frame_for,
    plan,
    refresh,
    yfinance_download,
)

__all__ = [
    "calendar", "horizons", "imports", "layouts", "merging", "progress", "snapshot", "yahoo",
    "HORIZON_MONTHS", "HORIZONS", "window_start", "ImportResult", "import_prices", "DATE_RE",
    "HEADER_NAMES", "LAYOUT_HELP", "MAX_PROBLEMS_PER_FILE", "NULLS", "SOURCES", "YAHOO_ORDER",
    "ParsedFile", "detect_layout", "parse_price_file", "FACTOR_REL", "MAX_DAILY_MOVE",
    "MIN_AGREEING_DAYS", "SAME_REL", "MergeResult", "TickerChange", "days_text", "merge",
    "Progress", "TickerProgress", "COLUMNS", "PRICES", "TICKER_RE", "VALUES", "commit",
    "empty_prices", "known_tickers", "last_dates", "read_snapshot", "snapshot_lock",
    "snapshot_path", "unlisted_warnings", "write_snapshot", "DETAIL_RE", "DOWNLOAD_KWARGS",
    "OFFLINE_RE", "OVERLAP_SESSIONS", "RATE_RE", "REASONS", "SETTLE", "YF_FIELDS", "BadFrame",
    "Downloader", "RefreshResult", "classify", "failure_detail", "frame_for", "plan", "refresh",
    "yfinance_download",
]
