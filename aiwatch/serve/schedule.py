"""The scheduled price refresh: on a fetch, `market.refresh` (merge + rebuild + swap), with its
state written for the pages (``status``) and every step in the refresh log.

Runs in the serve process (a thread), never inside a page run. Its clock is injectable
(``Clock``: ``now`` and ``wait``), so tests run a whole day's schedule in milliseconds.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Protocol
from zoneinfo import ZoneInfo

from .. import market, store
from ..config import Config
from . import status

MARKET_TZ = ZoneInfo("America/New_York")  # the US market's clock: the refresh time is read in it
MAX_WAIT_S = 300.0  # re-read the clock at least this often (a suspended machine, a clock change)
FIRST_FETCH, SCHEDULED = "first fetch", "scheduled refresh"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, time-zone aware."""

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when the scheduler is asked to stop."""


class RealClock:
    def __init__(self) -> None:
        self.stopped = threading.Event()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float) -> bool:
        return self.stopped.wait(seconds)

    def stop(self) -> None:
        self.stopped.set()


def parse_time(text: str) -> clock_time:
    """'18:00' -> 18:00; anything else raises ValueError with what was expected."""
    try:
        hh, mm = text.strip().split(":")
        if len(hh) != 2 or len(mm) != 2:
            raise ValueError
        return clock_time(int(hh), int(mm))
    except ValueError:
        raise ValueError(f"{text!r} is not a time as HH:MM (24-hour, New York time), e.g. 18:00") from None


def next_run(after: datetime, at: clock_time) -> datetime:
    """The first Monday-to-Friday ``at`` (New York time) strictly after ``after``, time-zone aware.

    Holidays are not skipped: a refresh on a day without trading simply finds nothing new.
    """
    local = after.astimezone(MARKET_TZ)
    for days in range(8):
        day = local.date() + timedelta(days=days)
        candidate = datetime.combine(day, at, tzinfo=MARKET_TZ)
        if day.weekday() < 5 and candidate > local:
            return candidate
    raise AssertionError("unreachable: a week always has a weekday")


def prices_missing(cfg: Config) -> bool:
    """True when no price is stored at all (the first start of a fresh clone)."""
    try:
        return market.read_snapshot(cfg).empty
    except Exception:  # noqa: BLE001 - an unreadable snapshot is for refresh to report, not to refetch
        return False


class Refresher:
    """Fetches prices on a schedule and, at start, when none are stored.

    ``at`` None: no schedule (only the first-start fetch, if ``first_fetch``).
    ``downloader``: yfinance's download by default; tests pass a fake returning yfinance frames.
    """

    def __init__(self, cfg: Config, at: clock_time | None, first_fetch: bool = True,
                 downloader: Callable | None = None, clock: Clock | None = None,
                 say: Callable[[str], None] | None = None) -> None:
        self.cfg, self.at, self.first_fetch = cfg, at, first_fetch
        self.downloader = downloader
        self.clock = clock or RealClock()
        self.say = say or (lambda msg: print(f"aiwatch serve: {msg}", file=sys.stderr, flush=True))
        self.thread: threading.Thread | None = None
        self.runs = 0  # fetches done (tests wait on it)

    def fetch(self, action: str) -> status.FetchStatus:
        """One refresh, start to end, with its status file and log lines. Never raises."""
        status.write(self.cfg, "running", action)
        store.log_event(self.cfg, action, "started", "fetching missing daily prices from Yahoo Finance")
        self.say(f"{action}: fetching prices")
        try:
            result = market.refresh(self.cfg, downloader=self.downloader,
                                    progress=market.TickerProgress(0, stream=_Quiet()))
            state = "failed" if result.exit_code == 1 else "done"
            message = result.message
        except Exception as e:  # noqa: BLE001 - the schedule must survive anything one run does
            state, message = "failed", f"{type(e).__name__}: {e}"
            store.log_event(self.cfg, action, "failed", message)
        self.runs += 1
        self.say(f"{action}: {message}")
        return status.write(self.cfg, state, action, message)

    def run(self) -> None:
        """The loop: first-start fetch if no prices are stored, then one refresh per scheduled time."""
        if self.first_fetch and prices_missing(self.cfg):
            self.fetch(FIRST_FETCH)
        if self.at is None:
            return
        while True:
            due = next_run(self.clock.now(), self.at)
            self.say(f"next price refresh {due:%Y-%m-%d %H:%M} New York time")
            while (left := (due - self.clock.now()).total_seconds()) > 0:
                if self.clock.wait(min(left, MAX_WAIT_S)):
                    return
            self.fetch(SCHEDULED)

    def stop(self) -> None:
        stop = getattr(self.clock, "stop", None)
        if stop:
            stop()

    def start(self) -> threading.Thread:
        self.thread = threading.Thread(target=self.run, name="aiwatch-refresh", daemon=True)
        self.thread.start()
        return self.thread


class _Quiet:
    """Progress goes nowhere: the outcome is in the log and the status file."""

    def write(self, _: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
