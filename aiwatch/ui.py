"""The one module of aiwatch/ that imports Streamlit: helpers every page shares.

Pages own caching: the connection is a cached resource keyed by the store file's
identity (inode, mtime), so a rebuilt store is picked up on the next rerun, and
query results are cached data keyed by that identity too.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from . import queries, store
from .config import Config, load_config
from .export import to_safe_csv
from .load import ValidationFailed

LATEST = date(9999, 12, 31)


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


def config() -> Config:
    return load_config()


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(db: str, identity: tuple[int, int] | None):
    return store.open_readonly(load_config(db=db))


def identity() -> tuple[int, int] | None:
    return store.store_identity(config())


@st.cache_data(max_entries=512, show_spinner=False)
def _query(db: str, ident, name: str, params: tuple) -> pd.DataFrame:
    con = _connection(db, ident).cursor()
    try:
        return queries.run(con, name, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in params})
    finally:
        con.close()


def query(name: str, **params) -> pd.DataFrame:
    """Run a query file against the live store (cached until the store changes)."""
    cfg = config()
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return _query(cfg.db, identity(), name, frozen).copy()


def ensure_store() -> None:
    """Build the store when missing or older than data/; keep serving the old one on bad data."""
    cfg = config()
    if not store.needs_build(cfg) and identity() is not None:
        return
    try:
        with st.spinner("Building the store from data/ …"):
            store.ensure_built(cfg)
    except ValidationFailed as e:
        if identity() is None:
            st.error("The data folder has problems, so no store could be built:")
            st.code("\n".join(map(str, e.problems[:50])), language=None)
            st.stop()
        st.warning(f"data/ has {len(e.problems)} problem(s); showing the last good build. "
                   "Run `python -m aiwatch check` for the list.")
    except Exception as e:  # noqa: BLE001 - shown to the user; the old store keeps serving
        if identity() is None:
            st.error(f"The store could not be built: {e}")
            st.stop()
        st.warning(f"Rebuilding the store failed ({e}); showing the last good build.")


AS_OF_KEY = "as_of"
AS_OF_MIN = date(2015, 1, 1)


def as_of_control() -> None:
    """The one point-in-time control, in the sidebar of every page and kept in the URL.

    Empty means "latest". A date restricts every page to what had been published
    by then (reported_at, milestone dates, price dates).
    """
    with st.sidebar:
        st.date_input(
            "As of", value=None, key=AS_OF_KEY, bind="query-params", min_value=AS_OF_MIN,
            max_value=date.today(), format="YYYY-MM-DD",
            help="Show only what had been published by this date (e.g. 2025-03-07, the day of the "
                 "article this dashboard follows). Leave empty for the latest data.")


def as_of() -> date:
    """The point-in-time date the pages filter on (LATEST when none is chosen)."""
    value = st.session_state.get(AS_OF_KEY)
    return value if isinstance(value, date) else LATEST


def empty_state(what: str, how: str = "") -> None:
    st.info(f"No data yet: {what}" + (f" {how}" if how else ""), icon=":material/info:")


def sources_table(df: pd.DataFrame, columns: list[str], key: str, url_column: str = "source_url",
                  labels: dict[str, str] | None = None) -> None:
    """The data behind a view, with clickable sources and a safe CSV download."""
    shown = df[columns]
    config = {url_column: st.column_config.LinkColumn("Source", display_text="open source")}
    for col, label in (labels or {}).items():
        config.setdefault(col, st.column_config.Column(label))
    st.dataframe(shown, hide_index=True, column_config=config, width="stretch")
    download(shown, f"{key}.csv", key=f"dl_{key}")


def download(df: pd.DataFrame, filename: str, key: str) -> None:
    st.download_button("Download CSV", data=to_safe_csv(df), file_name=filename, mime="text/csv",
                       key=key, icon=":material/download:")


def sidebar_status() -> None:
    """Data as-of and build time, in the sidebar of every page."""
    info = query("data_as_of")
    with st.sidebar:
        if info.empty:
            st.caption("Store not built yet.")
            return
        row = info.iloc[0]
        latest = row["latest_reported"]
        latest_txt = pd.Timestamp(latest).strftime("%Y-%m-%d") if pd.notna(latest) else "—"
        st.caption(f"Data published up to **{latest_txt}** · store built "
                   f"{pd.Timestamp(row['built_at']).strftime('%Y-%m-%d %H:%M')} UTC")
