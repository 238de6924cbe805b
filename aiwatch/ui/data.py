"""The store as the pages see it: a read-only connection and cached query results.

The connection is a cached resource keyed by the store file's identity (inode, mtime), so a
rebuilt store is picked up on the next rerun; query results are cached data keyed by that
identity too.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from .. import queries, store
from ..config import Config, load_config
from ..load import ValidationFailed
from ..text import code

LATEST = date(9999, 12, 31)


def config() -> Config:
    return load_config()


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(db: str, identity: tuple[int, int] | None):
    return store.open_readonly(load_config(db=db))


def identity() -> tuple[int, int] | None:
    return store.store_identity(config())


def store_key() -> tuple[str, tuple[int, int] | None]:
    """What every cached section is keyed on: the store's location and identity."""
    return config().db, identity()


# cache_resource: one shared result per query and parameters, handed out as a copy by query()
# (cache_data would unpickle it on every call).
@st.cache_resource(max_entries=512, show_spinner=False)
def _query(db: str, ident, name: str, params: tuple) -> pd.DataFrame:
    con = _connection(db, ident).cursor()
    try:
        return queries.run(con, name, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in params})
    finally:
        con.close()


def query(name: str, **params) -> pd.DataFrame:
    """Run a query file against the live store (cached until the store changes)."""
    db, ident = store_key()
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return _query(db, ident, name, frozen).copy()


def ensure_store() -> None:
    """Build the store when missing or older than data/; keep serving the old one on bad data.

    Problems quote values from the data: they are shown as code, never as Markdown.
    """
    cfg = config()
    if not store.needs_build(cfg) and identity() is not None:
        return
    try:
        with st.spinner("Building the store from data/ …"):
            store.ensure_built(cfg)
    except ValidationFailed as e:
        if not store.usable(cfg):  # missing, corrupt or truncated: no last good build to show
            st.error("The data folder has problems, so no store could be built:")
            st.code("\n".join(map(str, e.problems[:50])), language=None)
            st.stop()
        st.warning(f"data/ has {len(e.problems)} problem(s); showing the last good build. "
                   "Run `python -m aiwatch check` for the list.")
    except Exception as e:  # noqa: BLE001 - shown to the user; the old store keeps serving
        if not store.usable(cfg):
            st.error(f"The store could not be built: {code(e)}")
            st.stop()
        st.warning(f"Rebuilding the store failed ({code(e)}); showing the last good build.")
