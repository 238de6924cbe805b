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
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from .. import store
from ..config import Config
from ..load import ValidationFailed
from . import calendar
from .merging import MAX_DAILY_MOVE, MergeResult, TickerChange, days_text, merge
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
# Stored days asked for again before the last stored one: the evidence for a re-adjustment
# (merge needs 3 agreeing days besides the last stored day; 5 leave room for a bad day).
OVERLAP_SESSIONS = 5
# A session's bar is final only after its close; this margin after the bell leaves time for
# the closing auction's price to reach the download.
SETTLE = timedelta(minutes=20)
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


class BadFrame(ValueError):
    """A ticker's downloaded bars cannot be trusted (the reason names the days)."""


def frame_for(df: pd.DataFrame | None, ticker: str, only_ticker: bool,
              notes: list[str] | None = None) -> pd.DataFrame | None:
    """One ticker's bars from a yfinance frame, as our columns; None when it came back empty.

    yfinance returns (Price, Ticker) MultiIndex columns even for one ticker; a failed
    ticker's columns are all NaN (or missing). Rows without a close are dropped (a batch is
    aligned on the union of every ticker's trading days). Rows without a date (NaT in the
    index) are dropped with a note (appended to ``notes``). The same date twice with
    different bars raises ``BadFrame`` (the same bar twice is kept once).
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
    undated = out["date"].isna()
    if undated.any():
        if notes is not None:
            notes.append(f"{ticker}: dropped {int(undated.sum())} downloaded bar(s) without a date (NaT in "
                         "yfinance's index)")
        out = out[~undated]
    if out.empty:
        return None
    dup = out.duplicated(["date"], keep=False)
    if dup.any():
        distinct = out[dup].drop_duplicates(["date", *VALUES])
        conflicting = distinct[distinct.duplicated(["date"], keep=False)]["date"].drop_duplicates()
        if not conflicting.empty:
            raise BadFrame(f"the download holds different bars for the same day on {days_text(conflicting)}; "
                           "nothing of this ticker was stored")
        out = out.drop_duplicates(["date"], keep="first")
    out["source"] = "yfinance" if adjusted else "yfinance: Close auto-adjusted; stored as close and adj_close"
    return out.reset_index(drop=True)


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
    notes: list[str] = field(default_factory=list)  # what was left out and why (not a problem)


def plan(tickers: Sequence[str], last: dict[str, date], first_start: date,
         overlap: int = OVERLAP_SESSIONS) -> dict[date, list[str]]:
    """Group tickers by the first day to ask for: one call per distinct start.

    A ticker with stored prices is asked from ``overlap`` trading sessions before its last
    stored day (New York calendar). Those days are already stored and come back as
    evidence: Yahoo re-adjusts whole histories after each dividend or split, and only
    several agreeing days tell by how much (see ``merge``); the last stored day alone may
    have been an intraday price. A ticker that simply has no new trading day yet still
    returns rows, so "nothing new" is never mistaken for a failed ticker.
    """
    groups: dict[date, list[str]] = {}
    for t in tickers:
        start = calendar.previous_sessions(last[t], overlap)[0] if t in last and overlap else \
            last.get(t, first_start)
        groups.setdefault(start, []).append(t)
    return dict(sorted(groups.items()))


def refresh(cfg: Config, tickers: Sequence[str] | None = None, start: date | None = None,
            downloader: Downloader | None = None, sleep: Callable[[float], None] = time.sleep,
            progress: Progress | None = None, attempts: int = 3, backoff_s: float = 1.0,
            build_progress: store.Progress = store.quiet, now: datetime | None = None) -> RefreshResult:
    """Fetch missing daily bars from Yahoo Finance, merge what came back, rebuild the store.

    What is stored (see ``merge`` and the README's "Refresh" section): only bars of New York
    sessions that have closed by ``now`` (default: the clock) less ``SETTLE``; no bar that
    would move a stored history's adjusted close more than ``MAX_DAILY_MOVE`` in a day;
    a re-adjusted history only on ``MIN_AGREEING_DAYS`` agreeing days. A ticker whose
    download holds two different bars for one day fails with that reason; undated rows
    are dropped with a note.

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
        notes: list[str] = []
        details: dict[str, str] = {}  # reason -> what yfinance said
        for group_start, group in groups.items():
            pending = list(group)
            for attempt in range(attempts if given_up is None else 0):
                got, bad, reason, detail = _download_once(downloader, pending, group_start, rate_limit_type,
                                                          notes)
                if pending and len(got) + len(bad) < len(pending) and detail:
                    details[reason] = detail
                for t, why in bad.items():
                    failed[t] = f"bad download: {why}"
                    progress.update(t, f"failed ({failed[t]})")
                for t, f in got.items():
                    frames.append(f)
                    fetched[t] = len(f)
                    progress.update(t, f"{len(f)} day(s) from {group_start}")
                pending = [t for t in pending if t not in got and t not in bad]
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
            why = "; ".join(REASONS.get(r, r) + (f" ({', '.join(t for t in wanted if failed.get(t) == r)})"
                                                  if r not in REASONS or r == "unknown ticker" else
                                                  f" ({details[r]})" if details.get(r) else "") for r in reasons)
            return _refresh_failed(cfg, f"nothing fetched: {why}. The data and the store were not changed.",
                                   failed=failed)
        incoming = pd.concat(frames, ignore_index=True)
        clock = now or store.now_utc()
        incoming["fetched_at"] = pd.Timestamp(clock.replace(microsecond=0, tzinfo=None))
        incoming, note = _closed_sessions_only(incoming, clock)
        notes += [note] if note else []
        result = merge(snapshot, incoming, max_move=MAX_DAILY_MOVE)
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

    new = ", ".join(f"{t} +{result.per_ticker.get(t, TickerChange()).new}" for t in fetched)
    if failed:
        names = ", ".join(f"{t} ({r})" for t, r in failed.items())
        code, outcome = 3, "partial"
        message = f"partial: {result.summary()} ({new}); failed: {names}"
    else:
        code, outcome = 0, "ok"
        message = f"ok: {result.summary()} ({new})"
    store.log_event(cfg, "refresh", outcome, message)
    warnings = result.warnings + unlisted_warnings(cfg, fetched)
    return RefreshResult(code, message, fetched, failed, result, built, warnings, notes)


def _closed_sessions_only(incoming: pd.DataFrame, now: datetime) -> tuple[pd.DataFrame, str | None]:
    """Leave out bars of sessions that had not closed (plus ``SETTLE``) at ``now`` (UTC)."""
    closed = calendar.last_closed_session(now - SETTLE)
    running = incoming["date"] > pd.Timestamp(closed)
    if not running.any():
        return incoming, None
    late = incoming[running]
    note = (f"left out the bar(s) of {days_text(sorted(late['date'].unique()))} "
            f"({', '.join(sorted(late['ticker'].unique()))}): that New York session had not closed yet "
            f"(the last closed session is {closed.isoformat()}); the next refresh fetches them")
    return incoming[~running].reset_index(drop=True), note


def _refresh_failed(cfg: Config, message: str, failed: dict[str, str] | None = None) -> RefreshResult:
    store.log_event(cfg, "refresh", "failed", message)
    return RefreshResult(1, message, failed=failed or {})


def _download_once(downloader: Downloader, tickers: list[str], start: date, rate_limit_type: type,
                   notes: list[str]) -> tuple[dict[str, pd.DataFrame], dict[str, str], str, str]:
    """One downloader call: the tickers that came back with data, those whose data cannot be
    trusted (with the reason), and why the rest came back empty."""
    error: BaseException | None = None
    df = None
    with _captured_yfinance_log() as messages, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance's own pandas deprecation noise
        try:
            df = downloader(list(tickers), start=start.isoformat(), **DOWNLOAD_KWARGS)
        except Exception as e:  # noqa: BLE001 - yfinance and the network raise anything
            error = e
    got, bad = {}, {}
    for t in tickers:
        try:
            f = frame_for(df, t, only_ticker=len(tickers) == 1, notes=notes)
        except BadFrame as e:
            bad[t] = str(e)
            continue
        if f is not None:
            got[t] = f
    reason = classify(messages, error, rate_limit_type)
    if (got or bad) and reason == "offline":
        reason = "unknown ticker"  # the network worked for the others
    return got, bad, reason, failure_detail(messages, error)
