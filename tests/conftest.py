"""Shared fixtures: tiny stores built from the synthetic text files under tests/data/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aiwatch import store
from aiwatch.config import load_config

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "data"
ROOT = TESTS.parent


def make_cfg(tmp_path: Path, scenario: str = "basic"):
    data = tmp_path / "data"
    if scenario:
        shutil.copytree(FIXTURES / scenario, data)
    else:
        data.mkdir()
    return load_config(data_dir=data, db=tmp_path / "var" / "aiwatch.duckdb", state_dir=tmp_path / "var")


def use_env(monkeypatch, cfg) -> None:
    """Point the app (which reads the environment) at a test configuration."""
    monkeypatch.setenv("AIWATCH_DATA_DIR", str(cfg.data_dir))
    monkeypatch.setenv("AIWATCH_DB", cfg.db)
    monkeypatch.setenv("AIWATCH_STATE_DIR", str(cfg.state_dir))


@pytest.fixture
def cfg(tmp_path):
    """A private copy of the basic fixture data, not yet built."""
    return make_cfg(tmp_path)


@pytest.fixture
def built(cfg):
    """The basic fixture, built into a store."""
    store.build(cfg)
    return cfg


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test (see tests/browser.py)."""
    from tests.browser import open_browser

    with open_browser() as b:
        yield b


@pytest.fixture
def con(built):
    c = store.open_readonly(built)
    yield c
    c.close()


def edit_csv(path: Path, line: int, column: str, value: str) -> None:
    """Replace one cell (1-based file line, header = line 1) in a CSV file, keeping the rest."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    col = rows[0].index(column)
    rows[line - 1][col] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@pytest.fixture(autouse=True)
def no_legacy_pages_mode(monkeypatch):
    """AppTest re-detects the legacy pages/ folder before every run, so app.py's
    ui.use_app_navigation() (a fix for a served app's very first request) would rerun every
    time, swallowing clicks and the page asked for. A served app leaves legacy mode once per
    process; so do the tests."""
    from streamlit.runtime.pages_manager import PagesManager

    init = PagesManager.__init__

    def init_without_legacy_mode(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_without_legacy_mode)


def go_to(at, url_path: str):
    """Switch an AppTest (after its first run) to the page at ``url_path`` ("" = the default page).

    Page hashes derive from the url_path (st.Page), and the watch-indicator pages share one file,
    so AppTest.switch_page(file) cannot tell them apart.
    """
    from streamlit.util import calc_hash

    if url_path:
        at._page_hash = calc_hash(url_path)
    return at


def plain(text: str) -> str:
    """Markdown as the reader sees it: backslash escapes (aiwatch.text.esc) removed."""
    import re

    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def share_link(at) -> str:
    """The sidebar's "Share this view" URL (the code span of its Markdown) in an AppTest."""
    import re

    shown = [m.value for m in at.sidebar.markdown if m.value.startswith("**Share this view**")]
    assert len(shown) == 1, shown
    return re.search(r"`([^`]*)`", shown[0]).group(1)


def open_tables(at):
    """Open the page's "Data and sources" expanders (their tables are drawn only once opened,
    aiwatch.ui.tables_expander) and rerun, as a reader's click does."""
    from aiwatch.ui import SOURCES_OPEN

    at.session_state[SOURCES_OPEN] = True
    at.session_state["scorecard_sources_open"] = True
    return at.run()
