"""``refresh``: missing daily bars from Yahoo Finance (yfinance), checked, merged, the store rebuilt.

yfinance is imported only when a refresh runs (never by a page).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from .. import store
from ..config import Config
from ..load import ValidationFailed
from .merging import MergeResult, merge
from .progress import Progress, TickerProgress
from .snapshot import (
    TICKER_RE,
    VALUES,
    commit,
    known_tickers,
    last_dates,
    read_snapshot,
    snapshot_lock,
    snapshot_path,
    unlisted_warnings,
)

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
            progress: Progress | None = None, attempts: int = 3, backoff_s: float = 1.0,
            build_progress: store.Progress = store.quiet) -> RefreshResult:
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
    warnings = result.warnings + unlisted_warnings(cfg, fetched)
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
