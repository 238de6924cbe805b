"""Widgets and blocks every page shares: the as-of control, empty states, source tables with
safe downloads, the sidebar status, and the header, cards and scorecard box of a watch
indicator. Every data string goes through aiwatch.text (escaped; links from safe URLs only).
"""

from __future__ import annotations

from datetime import UTC, date

import pandas as pd
import streamlit as st

from ..export import to_safe_csv
from ..text import esc
from .data import LATEST, query


def sidebar_header() -> None:
    """The product's name and the thesis question (data/thesis.csv) at the top of the sidebar."""
    thesis = query("overview_thesis")
    with st.sidebar:
        st.markdown("**MSFT AI Watch**")
        if not thesis.empty:
            st.caption(esc(thesis.iloc[0]["thesis"]))


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


def tables_expander(label: str, key: str):
    """A "Data and sources" expander whose tables are drawn only once the reader opens it.

    Opening (or closing) it reruns the page, which replays from the caches; until then no
    table, download button or dataframe code reaches the browser. Returns the expander when
    it is open, else None. ``key`` keeps it open across reruns of the page.
    """
    box = st.expander(label, icon=":material/table:", key=key, on_change="rerun")
    return box if box.open else None


def sources_table(df: pd.DataFrame, columns: list[str], key: str | None = None, url_column: str = "source_url",
                  labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The data behind a view, with clickable sources and (given a ``key``) a safe CSV download.

    Returns the table as shown (for a download drawn apart from it). The kind of each source
    (filing, company, press, measurement, copy) stands beside its link."""
    if url_column in columns and "source_kind" in df.columns and "source_kind" not in columns:
        at = columns.index(url_column)
        columns = [*columns[:at], "source_kind", *columns[at:]]
    shown = df[columns]
    config = {url_column: st.column_config.LinkColumn("Source", display_text="open source"),
              "source_kind": st.column_config.Column("Kind of source")}
    for col, label in (labels or {}).items():
        config.setdefault(col, st.column_config.Column(label))
    st.dataframe(shown, hide_index=True, column_config=config, width="stretch")
    if key is not None:
        download(shown, f"{key}.csv", key=f"dl_{key}")
    return shown


def download(df: pd.DataFrame, filename: str, key: str) -> None:
    """A formula-safe CSV download; the file is only made when clicked."""
    st.download_button("Download CSV", data=lambda: to_safe_csv(df), file_name=filename, mime="text/csv",
                       key=key, icon=":material/download:", on_click="ignore")


def chart(drawn, name: str, where=None) -> None:
    """An Altair chart, full width, with links beneath it to save it as SVG or PNG.

    Streamlit's own chart menu has "Download as PNG" but no SVG; the links go to
    ``api/v1/charts/TOKEN.svg|.png`` (aiwatch/api.py), rendered only when clicked. The link
    is relative, so it works under any base path, and it is Markdown, not a widget: a section
    replayed from Streamlit's cache keeps it. Served without the API (``streamlit run app.py``)
    the chart has no links. ``where``: a column or container (default: here).
    """
    from .. import chart_images

    where = where if where is not None else st
    where.altair_chart(drawn, width="stretch")
    if not chart_images.links_served:   # `streamlit run app.py`: no API beside the pages
        return
    token = chart_images.hold(drawn, f"msft-ai-watch-{name}")
    where.caption(f"Save chart as [SVG](api/v1/charts/{token}.svg) · [PNG](api/v1/charts/{token}.png)",
                  text_alignment="right")


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
        else:
            latest = row["latest_reported"]
            latest_txt = pd.Timestamp(latest).strftime("%Y-%m-%d") if pd.notna(latest) else "—"
            st.caption(f"Data published up to **{latest_txt}** · store built {built} UTC")
    price_status()


def price_status() -> None:
    """The last stored trading day and how far it is behind the market calendar (sidebar)."""
    from datetime import datetime

    from ..freshness import price_lag

    chosen = None if as_of() == LATEST else as_of()
    info = query("price_freshness", as_of=as_of())
    last = info.iloc[0]["last_date"] if not info.empty else None
    lag = price_lag(last, chosen, datetime.now(UTC))
    with st.sidebar:
        if lag is None:
            st.caption("No market prices are stored" + ("" if chosen is None else f" by {chosen:%Y-%m-%d}") + ".")
        else:
            st.caption(lag.text(chosen) + ".")


def results_notice() -> None:
    """On the Overview and Financials: the next quarterly results, once overdue and not in the data."""
    from ..freshness import overdue_results

    chosen = as_of() != LATEST
    on = as_of() if chosen else date.today()
    notice = overdue_results(query("results_calendar", as_of=on), on, point_in_time=chosen)
    if notice:
        st.warning(notice, icon=":material/event_busy:")


# --- watch-indicator pages: the parts every one of them opens with ----------------------------

def indicator_header(indicator: str, fallback: str) -> None:
    """A watch-indicator page's title and question (from data/indicator.csv) and the as-of notice."""
    from ..indicators import as_of_notice

    rows = query("overview_indicators").set_index("indicator")
    st.title(esc(rows.loc[indicator, "name"] if indicator in rows.index else fallback))
    if indicator in rows.index:
        st.caption(esc(rows.loc[indicator, "question"]))
    notice = as_of_notice(as_of(), LATEST)
    if notice:
        st.info(notice, icon=":material/history:")


def kpi_cards(cols, kpi_ids: list[str]) -> pd.DataFrame:
    """One card per KPI: its latest value and change, or "not disclosed" by the as-of date.

    Returns the latest figures (indexed by kpi_id) for the page's sources table.
    """
    from ..indicators import metric_args, not_disclosed_args

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
    from ..indicators import rule_markdown

    if rules.empty:
        return
    with st.container(border=True):
        st.markdown("**Scorecard for this indicator**")
        for _, r in rules.iterrows():
            headline, details = rule_markdown(r)
            st.markdown(headline, help=esc(r["explanation"]))
            st.caption(details)
