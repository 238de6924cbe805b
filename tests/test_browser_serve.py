"""Real browser against `python -m aiwatch serve`: a fresh copy of data/ offline, and a first
start whose price fetch (a fake downloader, held back by the test) fills the Market page while
the pages already serve."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from aiwatch import market
from aiwatch.config import load_config
from aiwatch.serve import server, status
from tests.browser import CHART, exceptions_on, free_port, shot, wait_rendered
from tests.conftest import ROOT, make_cfg
from tests.test_refresh import FakeYahoo, days, yf_frame

pytestmark = pytest.mark.browser

PAGES = ["", "mai_progress", "consumer_ai", "api_adoption", "openai_dependence", "financials", "market", "data"]
# Offline for sure, with or without internet: every request to the outside goes to a closed port.
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not start")
        time.sleep(0.3)


def healthy(url: str) -> bool:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import health
    finally:
        sys.path.pop(0)
    return health.healthy(url)


def wait_for(check, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@contextlib.contextmanager
def serve_cli(cfg, *args: str, env: dict[str, str] | None = None):
    """`python -m aiwatch serve` as a reader's server would run it; yields (url, process)."""
    port = free_port()
    log = open(cfg.state_dir.parent / f"serve-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiwatch", "serve", "--address", "127.0.0.1", "--port", str(port), *args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "AIWATCH_DATA_DIR": str(cfg.data_dir), "AIWATCH_DB": cfg.db,
             "AIWATCH_STATE_DIR": str(cfg.state_dir), **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def fresh_copy_of_data(tmp_path: Path):
    """The repository's data/ as a fresh clone has it: no price snapshot, no history, no store."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("market", "history"))
    return load_config(data_dir=data, db=tmp_path / "var" / "aiwatch.duckdb", state_dir=tmp_path / "var")


def visit(page, url: str) -> None:
    page.goto(url)
    wait_rendered(page, timeout_ms=60000)


def test_serve_on_a_fresh_copy_offline_serves_every_page_and_says_why_prices_are_missing(tmp_path, browser):
    cfg = fresh_copy_of_data(tmp_path)
    with serve_cli(cfg, env=OFFLINE) as (url, proc):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        for path in PAGES:  # at once: the pages do not wait for the fetch
            visit(page, f"{url}/{path}")
            assert exceptions_on(page) == [], path
        wait_for(lambda: (s := status.read(cfg)) is not None and s.state == "failed", what="the failed fetch")
        visit(page, f"{url}/market")
        notice = page.locator('[data-testid="stAlert"]').filter(has_text="could not be fetched")
        notice.wait_for(timeout=30000)
        text = notice.inner_text()
        assert "first fetch" in text and "offline" in text and "import-prices" in text
        shot(page, "serve_offline_market")
        visit(page, f"{url}/financials")  # and it keeps serving everything else
        page.wait_for_selector(CHART, timeout=30000)
        assert exceptions_on(page) == [] and proc.poll() is None and healthy(url)
        ctx.close()
    log = (cfg.state_dir / "refresh_log.jsonl").read_text()
    for entry in ('"action": "serve", "outcome": "started"', '"action": "first fetch", "outcome": "started"',
                  '"action": "refresh", "outcome": "failed"', '"action": "serve", "outcome": "stopped"'):
        assert entry in log


def test_first_start_fetch_fills_the_market_page_while_pages_serve(tmp_path, browser):
    cfg = make_cfg(tmp_path)
    gate = threading.Event()
    frame = yf_frame({t: days("2026-05-01", 130) for t in ("MSFT", "AAPL", "QQQ")})

    def held_back(tickers, start=None):
        gate.wait(60)
        return frame

    s = server.Server(cfg, server.Options("127.0.0.1", free_port(), refresh_at=None),
                      downloader=FakeYahoo(held_back), say=lambda _: None)
    s.start()
    try:
        url = f"http://127.0.0.1:{s.opts.port}"
        wait_healthy(url, None)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        visit(page, f"{url}/")  # pages serve while the fetch runs
        assert exceptions_on(page) == []
        visit(page, f"{url}/market")
        page.get_by_text("Prices are being fetched").wait_for(timeout=30000)
        assert page.locator(CHART).count() == 0 and status.read(cfg).state == "running"
        gate.set()
        # no reload: the page notices that the fetch is over and shows the prices
        page.wait_for_selector(f"{CHART} canvas, {CHART} svg", timeout=60000)
        assert page.get_by_text("Prices are being fetched").count() == 0 and exceptions_on(page) == []
        assert status.read(cfg).state == "done" and len(market.read_snapshot(cfg)) == 3 * 130
        page.close()
    finally:
        gate.set()
        s.stop()
