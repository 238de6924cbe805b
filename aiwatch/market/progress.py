"""Per-ticker progress of a refresh: the protocol, and the terminal reporter."""

from __future__ import annotations

import sys
from typing import Protocol


class Progress(Protocol):
    """What ``refresh`` reports to: one ``update`` per ticker as it is fetched or fails, then
    ``finish``. Played by ``TickerProgress`` (the CLI) and ``admin``'s page callback."""

    def update(self, ticker: str, status: str) -> None: ...

    def finish(self) -> None: ...


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

