"""Data: what the store holds and where it came from; for the admin, how to change it."""

import pandas as pd
import streamlit as st

from aiwatch import admin, store, ui
from aiwatch.export import to_safe_csv
from aiwatch.load import TABLES, ValidationFailed
from aiwatch.text import code, esc

ui.use_app_navigation()

st.title("Data")
st.caption("Every table the dashboard reads, how current it is, and what each build, refresh, upload "
           "and rollback did. This page always shows everything stored: the as-of date in the sidebar "
           "applies to the other pages.")

cfg = ui.admin_config()
token = ui.admin_token()  # None unless this session unlocked admin mode


@st.cache_data(max_entries=64, show_spinner=False)
def table_csv(identity, name: str) -> bytes:
    """A store table as CSV with spreadsheet formulas made inert (cached per store file)."""
    return to_safe_csv(ui.query("table_rows", table_name=name))


def problems_table(problems) -> None:
    rows = [{"file": p.file, "line": p.line, "column": p.column or "", "value": p.value or "",
             "expected": p.expected} for p in problems]
    df = pd.DataFrame(rows, columns=["file", "line", "column", "value", "expected"])
    df["line"] = df["line"].astype("Int64")
    st.dataframe(df, hide_index=True, width="stretch")


def held_plan(key: str, source: tuple, prepare) -> admin.ChangePlan:
    """The preview of ``source`` (an uploaded file, a kept version), computed once per session.

    Apply must act on exactly the preview the admin read: its ``base_sha256`` is the live
    file it was computed against, and ``admin.apply`` refuses when the file differs now. So
    the plan is kept in the session and never recomputed during the click.
    """
    slot = f"_admin_plan_{key}"
    held = st.session_state.get(slot)
    if held is None or held[0] != source:
        held = (source, prepare())
        st.session_state[slot] = held
    return held[1]


def forget_plans() -> None:
    for key in ("upload", "rollback"):
        st.session_state.pop(f"_admin_plan_{key}", None)


def show_plan(plan: admin.ChangePlan, confirm: str, key: str) -> None:
    """Validation report, then the change as tables, then the confirm button."""
    conflict = st.session_state.pop(f"_admin_conflict_{key}", None)
    if conflict:
        st.warning(esc(conflict), icon=":material/sync_problem:")
    file_name = TABLES[plan.table].file_name
    if plan.problems:
        st.error(f"This {file_name} cannot be used: {len(plan.problems)} problem(s). Nothing was "
                 "changed; fix the file and upload it again.", icon=":material/error:")
        problems_table(plan.problems)
        return
    if not plan.has_changes:
        st.info(f"This file holds exactly the rows {file_name} holds now: nothing to change.",
                icon=":material/check:")
        return
    st.success(f"The file is valid: {plan.rows_before} row(s) now, {plan.rows_after} after the change.",
               icon=":material/task_alt:")
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows added", len(plan.added))
    c2.metric("Rows changed", plan.changed_rows)
    c3.metric("Rows removed", len(plan.removed))
    for title, df, note in (("Added rows", plan.added, "rows whose key is new"),
                            ("Changed cells", plan.changed, "one line per changed cell: before and after"),
                            ("Removed rows", plan.removed, "rows whose key is gone")):
        if not df.empty:
            st.markdown(f"**{title}** ({note})")
            st.dataframe(df, hide_index=True, width="stretch")
    if st.button(confirm, type="primary", key=f"_admin_confirm_{key}", icon=":material/publish:"):
        try:
            result = admin.apply(cfg, token, plan)
        except ValidationFailed as e:
            st.error(f"The store could not be built with this file, so nothing was changed "
                     f"({len(e.problems)} problem(s)):", icon=":material/error:")
            problems_table(e.problems)
        except admin.Conflict as e:  # look again: the next run previews against the new file
            st.session_state.pop(f"_admin_plan_{key}", None)
            st.session_state[f"_admin_conflict_{key}"] = str(e)
            st.rerun()
        except Exception as e:  # noqa: BLE001 - shown; apply() put everything back
            st.error(f"The change failed ({type(e).__name__}: {code(e)}); data/ and the store were left "
                     "as they were.", icon=":material/error:")
        else:
            forget_plans()
            st.session_state["_admin_done"] = result.message
            st.session_state["_admin_upload_round"] = st.session_state.get("_admin_upload_round", 0) + 1
            st.rerun()


# --- tables -----------------------------------------------------------------------------------
st.subheader("Tables")
identity = ui.identity()
names = admin.shown_tables(ui.query("data_page_tables")["table_name"].tolist())
summary = pd.DataFrame([admin.table_summary(n, ui.query("table_rows", table_name=n)) for n in names])
primary = ui.query("source_primary_share").set_index("table_name")["primary_share_pct"]
summary["primary_share_pct"] = summary["table"].map(primary)
shown = summary.copy()  # a table without dates or sources says so, rather than "None"
for col, fmt in (("latest_period", str), ("latest_reported_at", str), ("sources", lambda v: f"{v:.0f}"),
                 ("primary_share_pct", lambda v: f"{v:.0f}%")):
    shown[col] = [fmt(v) if pd.notna(v) else "—" for v in summary[col]]
st.dataframe(shown, hide_index=True, width="stretch", height=35 * (len(shown) + 1) + 3, column_config={
    "table": st.column_config.TextColumn("Table"),
    "rows": st.column_config.NumberColumn("Rows", format="%d"),
    "latest_period": st.column_config.TextColumn("Latest period", help="Newest period_end, date or "
                                                 "observed_at in the table."),
    "latest_reported_at": st.column_config.TextColumn("Latest reported_at", help="Newest day a figure was "
                                                      "published (reported_at or release_date)."),
    "sources": st.column_config.TextColumn("Distinct sources", alignment="right",
                                           help="Distinct source_url values (for prices: data sources)."),
    "primary_share_pct": st.column_config.TextColumn(
        "Primary sources", alignment="right",
        help="Share of rows whose source is primary: an SEC filing (filing) or the company's own site "
             "(company). The others are press reports, measurements (leaderboards, StatCounter) and "
             "third-party copies of company documents (copy)."),
})
st.markdown("**Download a table as CSV** · text that a spreadsheet would run as a formula "
            "(starting with `=` `+` `-` `@`) is prefixed with `'`; numbers stay numbers.")
cols = st.columns(4)
for i, name in enumerate(names):
    cols[i % 4].download_button(name, data=table_csv(identity, name), file_name=f"{name}.csv",
                                mime="text/csv", key=f"dl_table_{name}", icon=":material/download:",
                                on_click="ignore", width="stretch")

# --- refresh log -------------------------------------------------------------------------------
st.subheader("Refresh log")
info = ui.query("data_as_of")
if not info.empty:
    built = pd.Timestamp(info.iloc[0]["built_at"]).strftime("%Y-%m-%d %H:%M:%S")
    stale = ""
    if store.needs_build(cfg):
        failed = store.build_failure(cfg)
        stale = (" data/ has changed since, and building it failed (see the log below); page views do not "
                 "retry until data/ changes again." if failed else
                 " data/ has changed since; the next page view rebuilds it.")
    st.caption(f"The store in use was built {built} UTC from {code(cfg.data_dir.name + '/')}.{stale}")
log = store.read_log(cfg)
if log.empty:
    ui.empty_state("nothing has been built or refreshed yet.")
else:
    st.dataframe(log.head(200), hide_index=True, width="stretch", column_config={
        "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss", width=150),
        "action": st.column_config.TextColumn("Action", width=80),
        "outcome": st.column_config.TextColumn("Outcome", width=70),
        "detail": st.column_config.TextColumn("What it did", width=1200,
                                              help="Hover a cell to read all of it.")})
    if len(log) > 200:
        st.caption(f"The newest 200 of {len(log)} entries.")

# --- the admin's part (only reachable with the admin token) -----------------------------------
def admin_tools() -> None:
    done = st.session_state.pop("_admin_done", None)
    if done:
        st.success(f"Done: {esc(done)}. The store was rebuilt; every page shows the new data.",
                   icon=":material/task_alt:")

    tab_upload, tab_history, tab_market = st.tabs(["Upload a CSV", "History and rollback", "Market prices"])

    with tab_upload:
        table = st.selectbox("Table", list(TABLES), format_func=lambda t: TABLES[t].file_name,
                             key="_admin_upload_table")
        st.caption("The whole file replaces data/" + TABLES[table].file_name + ": UTF-8 (with or without BOM), "
                   f"LF or CRLF line endings, at most {admin.MAX_UPLOAD_BYTES // 2**20} MiB, the header as "
                   "described in data/README.md. It is checked with every other table before anything "
                   "changes.")
        upload = st.file_uploader(f"New {TABLES[table].file_name}", type=["csv"],
                                  key=f"_admin_upload_{st.session_state.get('_admin_upload_round', 0)}",
                                  max_upload_size=max(1, admin.MAX_UPLOAD_BYTES // 2**20))
        if upload is not None:
            plan = held_plan("upload", (table, upload.file_id, upload.name, upload.size),
                             lambda: admin.prepare_upload(cfg, token, table, upload.getvalue(), upload.name))
            show_plan(plan, "Apply this change", key="upload")

    with tab_history:
        versions = admin.list_history(cfg)
        if not versions:
            st.caption("No kept versions yet: each upload or rollback keeps the file it replaces under "
                       f"`{cfg.data_dir.name}/{admin.HISTORY_DIR}/<table>/`.")
        else:
            st.dataframe(pd.DataFrame([{"table": v.table, "version": v.version, "replaced_at": v.saved_at,
                                        "bytes": v.size} for v in versions]),
                         hide_index=True, width="stretch", column_config={
                             "replaced_at": st.column_config.DatetimeColumn("Replaced (UTC)",
                                                                            format="YYYY-MM-DD HH:mm:ss")})
            kept = sorted({v.table for v in versions}, key=list(TABLES).index)
            table_rb = st.selectbox("Table", kept, format_func=lambda t: TABLES[t].file_name,
                                    key="_admin_rollback_table")
            mine = [v for v in versions if v.table == table_rb]
            labels = {v.version: f"replaced {v.saved_at:%Y-%m-%d %H:%M:%S} UTC ({v.size:,} bytes)" for v in mine}
            version = st.selectbox("Version to put back", list(labels), format_func=labels.get,
                                   key="_admin_rollback_version")
            st.caption("Rolling back is a change like an upload: the current file is kept first, so a "
                       "rollback can itself be rolled back.")
            plan = held_plan("rollback", (table_rb, version),
                             lambda: admin.prepare_rollback(cfg, token, table_rb, version))
            show_plan(plan, "Roll back to this version", key="rollback")

    with tab_market:
        if not admin.market_refresh_available():
            st.info("Market refresh is not available in this installation.", icon=":material/info:")
        else:
            st.caption("Fetches the missing daily prices of every ticker in data/ticker.csv from Yahoo "
                       "Finance, then rebuilds the store. Tickers that fail are named; what came back is kept.")
            if st.button("Refresh market prices", key="_admin_refresh", icon=":material/refresh:"):
                bar = st.progress(0.0, text="Asking Yahoo Finance …")

                def on_progress(done: int, total: int, ticker: str, status: str) -> None:
                    bar.progress(min(done / max(total, 1), 1.0), text=f"{done}/{total} · {ticker}: {status}")

                try:
                    result = admin.refresh_market(cfg, token, on_progress)
                except Exception as e:  # noqa: BLE001 - shown; the refresh keeps the old data on failure
                    st.error(f"The refresh failed ({type(e).__name__}: {code(e)}); the old prices are kept.",
                             icon=":material/error:")
                else:
                    bar.progress(1.0, text="Finished")
                    failed = getattr(result, "failed", {}) or {}
                    if failed:
                        st.warning("Failed tickers: " + esc(", ".join(f"{t} ({why})" for t, why in failed.items())),
                                   icon=":material/warning:")
                    show = {0: st.success, 3: st.warning}.get(getattr(result, "exit_code", 1), st.error)
                    show(esc(getattr(result, "message", str(result))))
                    for note in getattr(result, "notes", []):
                        st.info(esc(note), icon=":material/info:")
                    for warning in getattr(result, "warnings", []):
                        st.warning(esc(warning), icon=":material/warning:")


st.subheader("Change the data")
if not admin.write_actions_enabled(cfg):
    st.info("Write actions are off: no admin token is configured, so nobody can upload, roll back or "
            "refresh from the browser. To turn them on, set `AIWATCH_ADMIN_TOKEN` (or `admin_token` in "
            "`.streamlit/secrets.toml`) and restart the app. Without it, edit `data/*.csv` and run "
            "`python -m aiwatch build`.", icon=":material/lock:")
elif token is None:
    st.info("Uploading a CSV, rolling back and refreshing market prices are for the admin: unlock "
            "admin mode with the token in the sidebar (**Admin**).", icon=":material/lock:")
else:
    admin_tools()
