"""The one module of aiwatch/ that imports Streamlit: helpers every page shares.

Pages own caching: the connection is a cached resource keyed by the store file's
identity (inode, mtime), so a rebuilt store is picked up on the next rerun, and
query results are cached data keyed by that identity too.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.commands.execution_control import stop as _streamlit_stop

from . import admin, links, queries, store
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
        if not store.usable(cfg):  # missing, corrupt or truncated: no last good build to show
            st.error("The data folder has problems, so no store could be built:")
            st.code("\n".join(map(str, e.problems[:50])), language=None)
            st.stop()
        st.warning(f"data/ has {len(e.problems)} problem(s); showing the last good build. "
                   "Run `python -m aiwatch check` for the list.")
    except Exception as e:  # noqa: BLE001 - shown to the user; the old store keeps serving
        if not store.usable(cfg):
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
        built = pd.Timestamp(row["built_at"]).strftime("%Y-%m-%d %H:%M")
        if as_of() != LATEST:
            # point in time: say so, and do not reveal what was published later
            st.caption(f"Showing only what was published by **{as_of():%Y-%m-%d}** · store built "
                       f"{built} UTC")
            return
        latest = row["latest_reported"]
        latest_txt = pd.Timestamp(latest).strftime("%Y-%m-%d") if pd.notna(latest) else "—"
        st.caption(f"Data published up to **{latest_txt}** · store built {built} UTC")


# --- shared links: every view is a URL, and the URL is untrusted input -----------------------
#
# Pages keep their state in widgets with a key and bind="query-params"; nothing page-specific
# is needed here. app.py calls link_check_start() before any widget and link_check_finish()
# after the page ran. The rules (what is too long, how a dropped value is worded) are in
# aiwatch/links.py; what follows only reads Streamlit's view of the URL and the widgets.
# It reads a few internals of Streamlit 1.67 (pinned in requirements.txt): the param -> widget
# bindings, a bound widget's metadata (serializer, default), the widgets rendered in this run,
# and removing a bound param from the URL. tests/test_links_app.py fails if they change.

_LINK_NOTICES = "_aiwatch_link_notices"  # notices carried over a rerun that cleaned the URL
_LINK_RESETS = "_aiwatch_link_resets"    # widget key -> default, to set before the widget next runs


@dataclasses.dataclass
class LinkCheck:
    asked: dict[str, list[str]]     # params as the link gave them (after screening)
    bound_before: frozenset[str]    # params a widget already owned before this run
    notices: list[links.Notice]
    slot: Any                       # top of the page, where the notices go


def _session():
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.session_state


def _raw_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def link_check_start() -> LinkCheck:
    """Before any widget: drop params no widget could take, remember what the link asked for.

    Dropped params are removed from the URL and the script reruns once, so that no widget
    is seeded from them; their notices are shown after the rerun.
    """
    raw = _raw_params()
    asked, notices = links.screen(raw)
    session = _session()
    bound: frozenset[str] = frozenset()
    if session is not None:
        with session.query_params() as qp:
            bound = frozenset(k for k in raw if qp.is_bound(k))
    dropped = [k for k in raw if k not in asked and k not in bound]
    if dropped:
        for k in dropped:
            del st.query_params[k]
        st.session_state[_LINK_NOTICES] = st.session_state.get(_LINK_NOTICES, []) + notices
        st.rerun()
    carried = st.session_state.pop(_LINK_NOTICES, [])
    for name, default in st.session_state.pop(_LINK_RESETS, {}).items():
        # set, not deleted: the browser is told to show the default too (a widget that merely
        # re-registers keeps showing the value it was sent in the run that took the link)
        st.session_state[name] = default
    return LinkCheck(asked, bound, carried + notices, st.container())


def link_check_finish(check: LinkCheck) -> None:
    """After the page ran: say which params of the link were not used, and why.

    A param no widget on this page bound is removed from the URL. A param whose widget was
    seeded from the link in this run is compared with the value the widget holds now
    (Streamlit silently drops invalid values and clamps out-of-range ones); a param given
    several times for a one-value widget is reset to the default.
    """
    notices = list(check.notices)
    reset: dict[str, Any] = {}
    session = _session()
    for name, asked in check.asked.items():
        verdict = None
        if session is not None:
            with session.query_params() as qp:
                binding = qp.get_binding_for_param(name)
            if binding is None:
                notices.append(links.Notice(name, "nothing on this page uses it"))
                if name in st.query_params:
                    del st.query_params[name]
                continue
            if name in check.bound_before:
                continue
            meta = session._state.get_widget_metadata(binding.widget_id)
            if meta is None:
                continue
            value = st.session_state.get(name)
            try:
                held = links.url_values(meta.serializer(value))
                at_default = bool(value == meta.deserializer(None))
            except Exception:  # noqa: BLE001 - a widget we cannot compare is left as it is
                continue
            verdict = links.judge(name, asked, held, multi=isinstance(value, (list, tuple)),
                                  at_default=at_default)
        if verdict is not None:
            notices.append(verdict.notice)
            if verdict.reset or (at_default and name in st.query_params):
                reset[name] = meta.deserializer(None)  # also clears a value Streamlit left in the URL
    if reset:
        with session.query_params() as qp:
            for name in reset:
                qp.remove_param(name)
        st.session_state[_LINK_RESETS] = reset
        st.session_state[_LINK_NOTICES] = notices
        st.rerun()
    with check.slot:
        for n in notices:
            st.warning(n.message, icon=":material/link_off:")


def view_state() -> list[tuple[str, list[str]]]:
    """This view's state as link params: every widget rendered in this run that is bound to
    the URL and not at its default, in the form the URL carries it.

    Read from the widgets, not from st.query_params: the browser updates the address bar
    itself when a control changes, so the server's copy of the URL can lag one run behind.
    """
    session = _session()
    if session is None:
        return []
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    rendered = get_script_run_ctx().shared.widget_ids_this_run.snapshot()
    with session.query_params() as qp:
        bindings = [(name, b.widget_id) for name, b in qp._bindings_by_param.items()]
    state = []
    for name, widget_id in bindings:
        meta = session._state.get_widget_metadata(widget_id)
        if widget_id not in rendered or meta is None or name not in st.session_state:
            continue
        value = st.session_state[name]
        try:
            if value == meta.deserializer(None):
                continue
            values = links.url_values(meta.serializer(value))
        except Exception:  # noqa: BLE001 - a value we cannot write is left out of the link
            continue
        if values:
            state.append((name, values))
    return state


def share_this_view(page, slot) -> None:
    """The full URL of this view (page + every bound widget's state), ready to copy."""
    base = st.context.url or ""
    path = getattr(page, "url_path", "") or ""  # "" for the default page: the app's root URL
    if path and not base.rstrip("/").endswith("/" + path):
        base = base.rstrip("/") + "/" + path
    url = links.share_url(base or f"/{path}", view_state())
    with slot:
        st.markdown("**Share this view**")
        st.code(url, language=None, wrap_lines=True)
        st.caption("Anyone with this link sees this page with the same settings, read-only.")


# --- admin mode: a token kept in this session only, never in the URL ------------------------

_ADMIN_TOKEN = "_aiwatch_admin_token"


def _secret_admin_token() -> str:
    """``admin_token`` from Streamlit's secrets; empty when there is no secrets file."""
    try:
        if not st.secrets.load_if_toml_exists():
            return ""
        value = st.secrets.get("admin_token", "")
    except Exception:  # noqa: BLE001 - a missing or broken secrets file means "not configured"
        return ""
    return value if isinstance(value, str) else ""


def admin_config() -> Config:
    """The configuration with the admin token from the environment or, failing that, secrets."""
    cfg = config()
    if not cfg.admin_token:
        secret = _secret_admin_token()
        if secret:
            cfg = dataclasses.replace(cfg, admin_token=secret)
    return cfg


def admin_token() -> str | None:
    """This session's admin token when it unlocked admin mode (re-checked on every call)."""
    token = st.session_state.get(_ADMIN_TOKEN)
    return token if admin.is_admin(admin_config(), token) else None


def _leave_admin() -> None:
    st.session_state.pop(_ADMIN_TOKEN, None)


def admin_login() -> None:
    """The sidebar's admin box: a password field (not bound to the URL) or "leave admin mode"."""
    cfg = admin_config()
    if not admin.write_actions_enabled(cfg):
        return
    with st.sidebar:
        if admin_token() is not None:
            st.caption(":material/admin_panel_settings: Admin mode is on for this session.")
            st.button("Leave admin mode", key="_aiwatch_admin_leave", on_click=_leave_admin)
            return
        with st.expander("Admin", icon=":material/lock:"):
            with st.form("_aiwatch_admin_login", clear_on_submit=True, border=False):
                entered = st.text_input("Admin token", type="password", key="_aiwatch_admin_entry",
                                        help="Unlocks upload, rollback and refresh on the Data page "
                                             "for this browser session.")
                submitted = st.form_submit_button("Unlock")
            if submitted:
                if admin.is_admin(cfg, entered):
                    st.session_state[_ADMIN_TOKEN] = entered
                    st.rerun()
                time.sleep(1)  # slows down guessing
                st.error("That is not the admin token.")


# --- running the page -------------------------------------------------------------------------

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
    st.stop = _stop
    _in_page.active = True
    try:
        page.run()
    except _PageStopped:
        pass
    finally:
        _in_page.active = False


# --- watch-indicator pages: the parts every one of them opens with ----------------------------

def indicator_header(indicator: str, fallback: str) -> None:
    """A watch-indicator page's title and question (from data/indicator.csv) and the as-of notice."""
    from .indicators import as_of_notice, md

    rows = query("overview_indicators").set_index("indicator")
    st.title(rows.loc[indicator, "name"] if indicator in rows.index else fallback)
    if indicator in rows.index:
        st.caption(md(rows.loc[indicator, "question"]))
    notice = as_of_notice(as_of(), LATEST)
    if notice:
        st.info(notice, icon=":material/history:")


def kpi_cards(cols, kpi_ids: list[str]) -> pd.DataFrame:
    """One card per KPI: its latest value and change, or "not disclosed" by the as-of date.

    Returns the latest figures (indexed by kpi_id) for the page's sources table.
    """
    from .indicators import metric_args, not_disclosed_args

    latest = query("kpi_latest", kpi_ids=kpi_ids, as_of=as_of()).set_index("kpi_id")
    catalog = query("kpi_catalog", as_of=as_of()).set_index("kpi_id")
    for col, kpi_id in zip(cols, kpi_ids):
        if kpi_id in latest.index:
            col.metric(**metric_args(latest.loc[kpi_id]), border=True)
        elif kpi_id in catalog.index:
            col.metric(**not_disclosed_args(catalog.loc[kpi_id, "label"], as_of(), LATEST), border=True)
    return latest


def scorecard_box(rules: pd.DataFrame) -> None:
    """The scorecard rows of one indicator, each with its rule, inputs and sources."""
    from .indicators import md, rule_markdown

    if rules.empty:
        return
    with st.container(border=True):
        st.markdown("**Scorecard for this indicator**")
        for _, r in rules.iterrows():
            headline, details = rule_markdown(r)
            st.markdown(headline, help=md(r["explanation"]))
            st.caption(details)
