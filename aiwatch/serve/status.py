"""The state of the latest price fetch, as pages read it: running, done or failed, why, when.

`serve` writes it (``write``) around every first-start fetch and scheduled refresh; pages read
it (``read``, ``price_note``) to explain an empty Market page. Reading never touches the
network or the store, only one small JSON file in the state folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from ..config import Config

STATES = ("running", "done", "failed")
# A fetch takes seconds to a few minutes; one still "running" after this long was cut short
# (the process stopped or was killed) and is reported so.
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class FetchStatus:
    state: str    # running | done | failed
    action: str   # "first fetch" | "scheduled refresh"
    at: datetime  # when this state was written, UTC (naive, like the refresh log)
    reason: str = ""  # failed: why (the refresh's own message); done: what was fetched


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def write(cfg: Config, state: str, action: str, reason: str = "", at: datetime | None = None) -> FetchStatus:
    """Replace the status file atomically (a reader sees the old or the new state, never half)."""
    if state not in STATES:
        raise ValueError(f"fetch state {state!r} is not one of {', '.join(STATES)}")
    status = FetchStatus(state, action, at or now_utc(), reason)
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cfg.state_dir, prefix=".fetch_status.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({**asdict(status), "at": status.at.isoformat()}, f)
        os.replace(tmp, cfg.fetch_status)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return status


def read(cfg: Config) -> FetchStatus | None:
    """The latest fetch's status; None when no fetch has run here (or the file is unreadable)."""
    try:
        raw = json.loads(cfg.fetch_status.read_text(encoding="utf-8"))
        status = FetchStatus(str(raw["state"]), str(raw["action"]), datetime.fromisoformat(raw["at"]),
                             str(raw.get("reason", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return status if status.state in STATES else None


def price_note(status: FetchStatus | None, now: datetime | None = None) -> tuple[str, str] | None:
    """What an empty Market page says about fetching: (kind, plain text), or None (nothing to say).

    kind is "running" (prices are on their way: the page may wait for them) or "failed".
    The text is plain: escape it before showing it as Markdown (the reason quotes yfinance).
    """
    if status is None:
        return None
    when = f"{status.at:%Y-%m-%d %H:%M} UTC"
    if status.state == "running":
        if (now or now_utc()) - status.at > STALE_AFTER:
            return ("failed", f"Prices could not be fetched: the {status.action} started at {when} did not "
                              "finish (the server stopped during it).")
        return ("running", f"Prices are being fetched from Yahoo Finance ({status.action}, started {when}); "
                           "they are shown here as soon as they are in.")
    if status.state == "failed":
        return ("failed", f"Prices could not be fetched ({status.action}, {when}): {status.reason}")
    return None
