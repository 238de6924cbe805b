"""Harness for real-browser tests: a Streamlit server on a free port and headless Chromium.

Playwright drives Debian's chromium (Playwright cannot download browsers here).
Later tests import `served_app` and `open_browser` and visit more pages.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

ARTIFACTS = ROOT / "artifacts" / "browser"
CHART = '[data-testid="stVegaLiteChart"]'  # one Altair chart on a page
SHARE_LINK = '[data-testid="stSidebar"] a:has(code)'   # "Share this view": the link to this view
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path:
        if os.environ.get("AIWATCH_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (apt-get install chromium); required in CI")
        pytest.skip("chromium not installed: run scripts/ensure-chromium.sh")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served_app(cfg, extra_env: dict[str, str] | None = None, script: str = "app.py"):
    """Run `streamlit run app.py` (or another entry, e.g. server.py: pages + API) against cfg's
    data; yield the base URL."""
    port = free_port()
    env = {**os.environ, "AIWATCH_DATA_DIR": str(cfg.data_dir), "AIWATCH_DB": cfg.db,
           "AIWATCH_STATE_DIR": str(cfg.state_dir), **(extra_env or {})}
    log = open(cfg.state_dir.parent / f"streamlit-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / script), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("streamlit did not start: " + Path(log.name).read_text()[-2000:])
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def open_browser():
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_rendered(page, timeout_ms: int = 30000) -> None:
    """Wait until Streamlit has finished the script run (no 'running' indicator)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    # app.py draws the sidebar's share link after the page itself: once it is there (or the run
    # stopped on an error), the whole script has run; elements may still be painting.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stSidebar\"] a:has(code)')"
        " || document.querySelector('[data-testid=\"stException\"]')"
        " || document.querySelector('[data-testid=\"stAlertContentError\"]')",
        timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stMain\"] *').length > 20",
        timeout=timeout_ms)
    page.wait_for_timeout(500)


def open_tables(page, timeout_ms: int = 60000) -> int:
    """Open every "... sources" expander (their tables are drawn only once opened) and wait
    for the rerun that draws them; returns how many were opened."""
    opened = 0
    for summary in page.locator('[data-testid="stExpander"] summary').all():
        if "sources" not in summary.inner_text():
            continue
        summary.scroll_into_view_if_needed()
        summary.click()
        opened += 1
        page.wait_for_timeout(300)
        wait_rendered(page, timeout_ms)
    if opened:
        page.wait_for_selector('[data-testid="stExpander"] [data-testid="stDataFrame"]', timeout=timeout_ms)
    return opened


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def exceptions_on(page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()
