"""Financials: Microsoft's revenue by segment, and the cloud and AI figures behind it."""

import pandas as pd
import streamlit as st

from aiwatch import charts, ui
from aiwatch.text import esc, source_link

ui.use_app_navigation()

BASIS_LABELS = {"as_reported": "As reported", "recast": "Recast (today's segments)"}

st.title("Financials")
st.caption("Revenue by reporting segment per fiscal quarter (Microsoft's fiscal year ends June 30), "
           "and the cloud and AI figures Microsoft discloses. Every number links to its source.")

basis = st.segmented_control("Basis", options=list(BASIS_LABELS), format_func=BASIS_LABELS.get,
                             default="as_reported", key="basis", required=True, bind="query-params")
as_of = ui.as_of()
ui.results_notice()


@st.cache_resource(max_entries=64, show_spinner=False)
def segments(db: str, ident, basis: str, as_of) -> pd.DataFrame:
    """The segment section for one basis and as-of date (replayed while the store and view stay)."""
    quarters = ui.query("segment_revenue_quarterly", basis=basis, as_of=as_of)
    view = f"{basis}" + ("" if as_of == ui.LATEST else f"-as-of-{as_of:%Y-%m-%d}")   # in the charts' file names

    if quarters.empty:
        ui.empty_state("no segment revenue is stored for this view.",
                       "Add rows to data/segment_revenue.csv and run `python -m aiwatch build`.")
    else:
        coverage = ui.query("segment_basis_coverage", as_of=as_of)
        if basis == "as_reported":
            new_defs = quarters[quarters["current_definitions"]]
            if not new_defs.empty and not quarters[~quarters["current_definitions"]].empty:
                first = new_defs.sort_values("period_end").iloc[0]["quarter_label"]
                st.info(f"The company changed its segment definitions; quarters from **{esc(first)}** are "
                        "reported on today's definitions, earlier ones on the old ones. Segment bars "
                        "on either side are not like for like; growth rates always compare like with "
                        "like (against the recast prior year where the company published one).",
                        icon=":material/swap_horiz:")
        else:
            with_segments = set(quarters.loc[quarters["segment"] != ui.TOTAL, "quarter_label"])
            missing = coverage[~coverage["quarter_label"].isin(with_segments)]
            missing = missing[missing["period_end"] <= quarters["period_end"].max()]
            if not missing.empty:
                st.warning("No recast segment figures are known for "
                           + esc(", ".join(missing["quarter_label"])) + "; only total revenue "
                           "(unchanged by the recast) is shown for those quarters.",
                           icon=":material/help:")
            st.caption("Recast figures restate earlier quarters on today's segment definitions; after "
                       "the last recast quarter the as-reported figures already use them.")

        latest_q = quarters[quarters["period_end"] == quarters["period_end"].max()]
        st.subheader(f"Latest quarter: {esc(latest_q.iloc[0]['quarter_label'])}")
        cols = st.columns(len(latest_q))
        for col, (_, row) in zip(cols, latest_q.sort_values("segment", key=lambda s: s == ui.TOTAL).iterrows()):
            delta = None if pd.isna(row["yoy_growth_pct"]) else f"{row['yoy_growth_pct']:+.1f}% YoY"
            col.metric(esc(row["segment"]), f"${row['revenue_usd_bn']:,.1f}bn", delta=delta,
                       help=esc(f"Published {pd.Timestamp(row['reported_at']):%Y-%m-%d}; basis {row['basis']};") + " "
                       + source_link(row["source_url"], kind=row.get("source_kind")))

        tab_rev, tab_growth, tab_mix = st.tabs(["Revenue by segment", "YoY growth", "Segment mix"])
        with tab_rev:
            ui.chart(charts.segment_revenue_bars(quarters), f"financials-segment-revenue-{view}")
        with tab_growth:
            if quarters["yoy_growth_pct"].notna().any():
                ui.chart(charts.segment_growth_lines(quarters), f"financials-segment-growth-{view}")
                st.caption("Growth is left out where the prior-year quarter is not known on the same "
                           "segment definitions.")
            else:
                ui.empty_state("no like-for-like prior-year quarter is known for this basis yet.")
        with tab_mix:
            if quarters["mix_pct"].notna().any():
                ui.chart(charts.segment_mix_bars(quarters), f"financials-segment-mix-{view}")
            else:
                ui.empty_state("no quarter has both segment figures and a total on this basis.")
    return quarters


quarters = segments(*ui.store_key(), basis, as_of)

# --- the cloud and AI figures (data/page_section.csv, page "financials") -------------------------
sources = []
if not quarters.empty:
    sources.append(ui.Source("Segment revenue per quarter (this view)", quarters,
                             ["quarter_label", "period_end", "segment", "basis", "revenue_usd_m", "yoy_growth_pct",
                              "prior_year_basis", "mix_pct", "reported_at", "source_url"]))
years = ui.query("segment_revenue_fiscal_years", as_of=as_of)
if not years.empty:
    sources.append(ui.Source("Fiscal years", years,
                             ["year_label", "basis", "segment", "revenue_usd_m", "reported_at", "source_url"]))
sources += ui.render_page("financials", ui.View(as_of=as_of, basis=basis))
ui.sources_expander(sources, key=f"financials_{basis}")
