"""`python -m aiwatch serve`: the Streamlit server with public settings, plus the refresher.

The server is a child process (`python -m streamlit run SCRIPT` with the flags below); the
scheduled refresh is a thread of this process, so a refresh never runs inside a page run and a
slow fetch never holds up a page. SIGTERM / SIGINT stop both; when the server exits, so does
serve, with its exit code (a supervisor such as Docker or systemd restarts it).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time as clock_time

from .. import store
from ..admin import MAX_UPLOAD_BYTES
from ..config import ROOT, Config
from . import SCRIPT
from .schedule import Clock, Refresher


@dataclass(frozen=True)
class Options:
    address: str
    port: int
    refresh_at: clock_time | None  # None: no scheduled refresh
    first_fetch: bool = True       # fetch at start when no prices are stored
    pages: bool = True             # False: only the refresher (one per deployment)


def streamlit_flags(opts: Options) -> list[str]:
    """The server settings for a public, read-only site (each one on purpose)."""
    settings = {
        "server.address": opts.address,
        "server.port": str(opts.port),
        "server.headless": "true",              # no browser, no e-mail prompt
        "browser.gatherUsageStats": "false",    # readers' visits are not reported anywhere
        "server.enableXsrfProtection": "true",  # the admin upload needs the XSRF cookie's token
        "server.enableCORS": "true",            # no cross-origin requests or WebSockets
        # the Data page's upload limit, in whole MiB (Streamlit's unit), checked again in admin.py
        "server.maxUploadSize": str(max(1, math.ceil(MAX_UPLOAD_BYTES / 2**20))),
        "server.fileWatcherType": "none",       # code does not change under a running server
        "server.runOnSave": "false",
        "client.toolbarMode": "viewer",         # no developer menu (rerun, settings, clear cache)
        "client.showErrorDetails": "none",      # tracebacks go to the server log, not to readers
    }
    return [arg for name, value in settings.items() for arg in (f"--{name}", value)]


def streamlit_command(opts: Options) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(ROOT / SCRIPT), *streamlit_flags(opts)]


def child_env(cfg: Config) -> dict[str, str]:
    """The server reads the same data, store and state as this process (CLI options included)."""
    return {**os.environ, "AIWATCH_DATA_DIR": str(cfg.data_dir), "AIWATCH_DB": cfg.db,
            "AIWATCH_STATE_DIR": str(cfg.state_dir)}


class Server:
    """One `serve`: the Streamlit child and the refresher thread. ``start``, then ``wait`` or ``stop``."""

    def __init__(self, cfg: Config, opts: Options, downloader: Callable | None = None,
                 clock: Clock | None = None, say: Callable[[str], None] | None = None) -> None:
        self.cfg, self.opts = cfg, opts
        self.say = say or (lambda msg: print(f"aiwatch serve: {msg}", file=sys.stderr, flush=True))
        self.proc: subprocess.Popen | None = None
        self.stopping = threading.Event()
        schedules = opts.refresh_at is not None or opts.first_fetch
        self.refresher = (Refresher(cfg, opts.refresh_at, opts.first_fetch, downloader, clock, self.say)
                          if schedules else None)

    def describe(self) -> str:
        pages = f"pages on http://{self.opts.address}:{self.opts.port}" if self.opts.pages else "no pages"
        when = (f"prices refreshed Monday to Friday at {self.opts.refresh_at:%H:%M} New York time"
                if self.opts.refresh_at else "no scheduled refresh")
        first = "; fetches prices at start when none are stored" if self.opts.first_fetch else ""
        return f"{pages}; {when}{first}"

    def start(self) -> None:
        store.log_event(self.cfg, "serve", "started", self.describe())
        self.say(self.describe())
        try:  # build before the first reader comes (a page would do it too, while the reader waits)
            store.ensure_built(self.cfg)
        except Exception as e:  # noqa: BLE001 - the pages say what is wrong with data/; keep serving
            self.say(f"the store could not be built ({type(e).__name__}: {e}); the pages say why")
        if self.opts.pages:
            self.proc = subprocess.Popen(streamlit_command(self.opts), cwd=ROOT, env=child_env(self.cfg))
        if self.refresher:
            self.refresher.start()

    def wait(self) -> int:
        """Until the server exits (or, refresher only, until stopped); its exit code."""
        if self.proc is not None:
            code = self.proc.wait()
        else:
            self.stopping.wait()
            code = 0
        self._finish(code)
        return code

    def stop(self) -> None:
        self.stopping.set()
        if self.refresher:
            self.refresher.stop()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _finish(self, code: int) -> None:
        if self.refresher:
            self.refresher.stop()
        how = "stopped" if self.stopping.is_set() else f"the server exited with code {code}"
        store.log_event(self.cfg, "serve", "stopped" if code in (0, -signal.SIGTERM) else "failed", how)


def run(cfg: Config, opts: Options) -> int:
    """Serve until SIGTERM / SIGINT (or until the Streamlit server exits); the exit code."""
    server = Server(cfg, opts)

    def on_signal(signum, _frame) -> None:
        threading.Thread(target=server.stop, daemon=True).start()  # not inside the handler

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    server.start()
    code = server.wait()
    return 0 if server.stopping.is_set() else code
