"""The app's pages: the navigation built from data/, and running the chosen page."""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st
from streamlit.commands.execution_control import stop as _streamlit_stop

from ..text import esc
from .data import query, store_key

PAGES_DIR = Path(__file__).resolve().parent.parent.parent / "pages"
INDICATOR_PAGE = PAGES_DIR / "indicator.py"   # ONE module renders every watch indicator
# The pages every thesis has; the watch-indicator pages between them come from data/indicator.csv.
OVERVIEW = ("overview.py", "Overview", ":material/dashboard:", "overview")
DASHBOARD = (("financials.py", "Financials", ":material/bar_chart:", "financials"),
             ("market.py", "Market", ":material/show_chart:", "market"))
DATA = ("data.py", "Data", ":material/database:", "data")
DEFAULT_ICON = ":material/insights:"


def use_app_navigation() -> None:
    """Make every run go through app.py's st.navigation, even the very first one.

    Streamlit treats a folder named pages/ beside the main script as a legacy
    multipage app until st.navigation has run once in the process; the first
    request (say a shared deep link to /financials) would then run the page
    script alone, without app.py's set-up. Switch the legacy mode off and rerun.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def _page(spec: tuple[str, str, str, str], default: bool = False) -> st.Page:
    file, title, icon, path = spec
    return st.Page(str(PAGES_DIR / file), title=title, icon=icon, url_path=path, default=default)


def pages() -> dict[str, list]:
    """The navigation: Overview and one page per watch indicator (data/indicator.csv, in its
    order, at its url_path), then the dashboard pages and the Data page."""
    thesis = [_page(OVERVIEW, default=True)]
    for name, icon, path in _indicator_pages(*store_key()):
        # the navigation renders page titles as Markdown: a name from data/ is escaped like any data text
        thesis.append(st.Page(str(INDICATOR_PAGE), title=esc(name), icon=icon or DEFAULT_ICON, url_path=path))
    return {"Thesis": thesis, "Dashboard": [_page(p) for p in DASHBOARD], "Data": [_page(DATA)]}


@st.cache_resource(max_entries=4, show_spinner=False)
def _indicator_pages(db: str, ident) -> list[tuple[str, str | None, str]]:
    rows = query("overview_indicators")
    return [(str(n), i if isinstance(i, str) else None, str(p))
            for n, i, p in zip(rows["name"], rows["icon"], rows["url_path"])]


@st.cache_resource(max_entries=4, show_spinner=False)
def _indicators_by_path(db: str, ident) -> dict[str, str]:
    rows = query("overview_indicators")
    return dict(zip(rows["url_path"], rows["indicator"]))


def indicator_for_page() -> str | None:
    """The watch indicator whose page is running (from its url_path), or None."""
    return _indicators_by_path(*store_key()).get(st.session_state.get(_CURRENT_PATH))


# --- running the page -------------------------------------------------------------------------

_CURRENT_PATH = "_aiwatch_page_path"


class _PageStopped(Exception):
    """A page called st.stop(): the page ends there, the app's own steps after it still run."""


_in_page = threading.local()
_script_stop = _streamlit_stop  # the real one, even if this module is imported again


def _stop() -> None:
    if getattr(_in_page, "active", False):
        raise _PageStopped
    _script_stop()


def run_page(page) -> None:
    """Run the page; its st.stop() (say, "no prices yet") ends the page, not the script, so
    app.py still checks the link and shows the share box after it. Outside a page st.stop()
    behaves as always (the flag is per script thread, i.e. per session run)."""
    st.session_state[_CURRENT_PATH] = page._url_path  # the default page's public url_path is ""
    st.stop = _stop
    _in_page.active = True
    try:
        page.run()
    except _PageStopped:
        pass
    finally:
        _in_page.active = False
