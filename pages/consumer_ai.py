"""Consumer AI commercialization: is consumer AI (Copilot consumer, Bing, Windows AI) turning into revenue?

More Personal Computing (Microsoft's consumer segment) against the company, the consumer lines
inside it, and the usage figures Microsoft states, with consumer launches marked on the charts."""

import pandas as pd
import streamlit as st

from aiwatch import charts, ui
from aiwatch.indicators import (
    EVIDENCE_BADGES,
    SCORECARD_COLUMNS,
    SCORECARD_LABELS,
    md,
    scorecard_inputs,
    table,
)

ui.use_app_navigation()

INDICATOR = "consumer_ai"                  # data/indicator.csv
SEGMENT, TOTAL = "More Personal Computing", "Total"   # segment names in data/segment_revenue.csv
BASIS_LABELS = {"recast": "Today's segment definitions", "as_reported": "As first reported"}
# KPI ids from data/kpi_catalog.csv (labels and units come from the catalog)
LINE_GROWTH = ["search_news_ads_ex_tac_growth_yoy", "windows_oem_revenue_growth_yoy",
               "windows_oem_and_devices_revenue_growth_yoy", "office_consumer_products_cloud_growth_yoy",
               "m365_consumer_products_cloud_growth_yoy"]
USAGE = ["copilot_apps_monthly_active_users", "bing_daily_active_users",
         "m365_consumer_subscribers_as_reported", "m365_consumer_subscribers_restated"]
CARDS = ["search_news_ads_ex_tac_growth_yoy", "windows_oem_and_devices_revenue_growth_yoy",
         "m365_consumer_products_cloud_growth_yoy", "copilot_apps_monthly_active_users",
         "consumer_copilot_daily_users_growth"]

as_of = ui.as_of()
ui.indicator_header(INDICATOR, "Consumer AI")

basis = st.segmented_control("Segment definitions", options=list(BASIS_LABELS), format_func=BASIS_LABELS.get,
                             default="recast", required=True, key="consumer_basis", bind="query-params",
                             help="Microsoft re-segmented in August 2024 (FY25). 'Today's' uses the recast "
                                  "figures for earlier quarters; 'as first reported' shows the break.")
quarters = ui.query("segment_revenue_quarterly", basis=basis, as_of=as_of)
segment = quarters[quarters["segment"] == SEGMENT].sort_values("period_end")
total = quarters[quarters["segment"] == TOTAL].sort_values("period_end")
launches = ui.query("milestones_known", as_of=as_of, indicators=[INDICATOR], categories=[], tracks=[])
events = launches.sort_values("date")
rules = ui.query("scorecard_rules", as_of=as_of)
rules = rules[rules["indicator"] == INDICATOR]

# --- at a glance ------------------------------------------------------------------------------------
if segment.empty:
    ui.empty_state(f"no {SEGMENT} revenue had been published for this view.")
    card_cols = st.columns(3) + st.columns(3)
else:
    last = segment.iloc[-1]
    company = total[total["period_end"] == last["period_end"]]
    growth = "" if pd.isna(last["yoy_growth_pct"]) else f", {last['yoy_growth_pct']:+.1f}% year over year"
    versus = "" if company.empty or pd.isna(company.iloc[0]["yoy_growth_pct"]) else \
        f" while the company grew {company.iloc[0]['yoy_growth_pct']:+.1f}%"
    share = "" if pd.isna(last["mix_pct"]) else f" ({last['mix_pct']:.1f}% of revenue)"
    st.markdown(md(f"**At a glance:** in {last['quarter_label']} {SEGMENT} brought in "
                   f"${last['revenue_usd_bn']:,.1f}bn{share}{growth}{versus}."))

    prior = segment[(segment["fiscal_year"] == last["fiscal_year"] - 1)
                    & (segment["fiscal_quarter"] == last["fiscal_quarter"])]
    cols = st.columns(3) + st.columns(3) + st.columns(3)
    cols[0].metric(f"{SEGMENT} revenue", f"${last['revenue_usd_bn']:,.1f}bn",
                   delta=None if pd.isna(last["yoy_growth_pct"]) else f"{last['yoy_growth_pct']:+.1f}%",
                   delta_description=f"{last['quarter_label']} year over year", border=True,
                   help=f"Published {pd.Timestamp(last['reported_at']):%Y-%m-%d}; source: {last['source_url']}")
    share_delta = (None if prior.empty or pd.isna(last["mix_pct"]) or pd.isna(prior.iloc[0]["mix_pct"])
                   else f"{last['mix_pct'] - prior.iloc[0]['mix_pct']:+.1f} pts")
    cols[1].metric(f"{SEGMENT} share of revenue",
                   "—" if pd.isna(last["mix_pct"]) else f"{last['mix_pct']:.1f}%", delta=share_delta,
                   delta_description=(f"{last['quarter_label']} vs {prior.iloc[0]['quarter_label']}"
                                      if share_delta else last["quarter_label"]),
                   border=True, help=f"{SEGMENT} revenue divided by total revenue of the same quarter.")
    card_cols = cols[2:]
ui.kpi_cards(card_cols, CARDS)

ui.scorecard_box(rules)

# --- the segment against the company ----------------------------------------------------------------
st.subheader(f"{SEGMENT} against the company")
left, right = st.columns(2)
with left:
    st.markdown("**Year-over-year revenue growth (%)**")
    both = pd.concat([segment, total]).dropna(subset=["yoy_growth_pct"])
    if both.empty:
        ui.empty_state("no like-for-like prior-year quarter is known for this view.")
    else:
        growth_series = both.assign(label=both["segment"].where(both["segment"] != TOTAL, "Company total"),
                                    value=both["yoy_growth_pct"])
        st.altair_chart(charts.series_with_events(growth_series, events, "YoY growth (%)", fmt="+.1f"),
                        width="stretch")
with right:
    st.markdown(f"**{SEGMENT} share of total revenue (%)**")
    shares = segment.dropna(subset=["mix_pct"])
    if shares.empty:
        ui.empty_state("no quarter has both the segment and the total for this view.")
    else:
        share_series = shares.assign(label=f"{SEGMENT} share of revenue", value=shares["mix_pct"])
        st.altair_chart(charts.series_with_events(share_series, events, "Share of revenue (%)"),
                        width="stretch")
st.caption("Grey dashed rules mark consumer launches (hover the triangle for the launch and its source). "
           + ("Quarters before the FY25 re-segmentation are on the old definitions: the segment's level "
              "breaks there, growth rates stay like for like." if basis == "as_reported" else
              "Earlier quarters restated on today's definitions where Microsoft published them."))

# --- consumer lines ----------------------------------------------------------------------------------
st.subheader("Consumer lines inside the segment")
series = ui.query("kpi_series", kpi_ids=LINE_GROWTH + USAGE, as_of=as_of)
lines = series[series["kpi_id"].isin(LINE_GROWTH)]
usage = series[series["kpi_id"].isin(USAGE)]
left, right = st.columns(2)
with left:
    st.markdown("**Revenue growth by line (YoY %, as reported)**")
    if lines.empty:
        ui.empty_state("no consumer line growth had been published.")
    else:
        st.altair_chart(charts.series_with_events(lines, events, "YoY growth (%)", fmt="+.0f"), width="stretch")
        st.caption("Windows OEM was reported alone through FY24 and combined with Devices from FY25; Office "
                   "Consumer became Microsoft 365 Consumer in FY25: separate series, not joined.")
with right:
    st.markdown(f"{EVIDENCE_BADGES['company statement']} **Users and subscribers (millions)**")
    if usage.empty:
        ui.empty_state("no consumer usage figure had been published.")
    else:
        st.altair_chart(charts.series_with_events(usage, events, "Millions", fmt=",.1f"), width="stretch")
        st.caption("Usage figures are Microsoft's own statements ('more than' marks a floor). Copilot app "
                   "users combine consumer and commercial apps; Microsoft does not disclose consumer-only users.")

with st.expander("Data and sources", icon=":material/table:"):
    if not rules.empty:
        st.markdown("**Scorecard inputs**")
        ui.sources_table(table(scorecard_inputs(rules)), SCORECARD_COLUMNS, key="consumer_scorecard",
                         labels=SCORECARD_LABELS)
    if not segment.empty:
        st.markdown(f"**{SEGMENT} and total revenue per quarter**")
        ui.sources_table(table(pd.concat([segment, total]).sort_values(["period_end", "segment"])),
                         ["quarter_label", "segment", "basis", "revenue_usd_m", "yoy_growth_pct", "mix_pct",
                          "reported_at", "source_url"], key=f"consumer_segment_{basis}")
    if not series.empty:
        st.markdown("**Consumer lines and usage**")
        ui.sources_table(table(series), ["label", "quarter_label", "period_end", "value", "unit", "qualifier",
                                  "reported_at", "note", "source_url"], key="consumer_kpis")
    if not launches.empty:
        st.markdown("**Consumer launches**")
        ui.sources_table(table(launches), ["date_label", "category", "title", "detail", "source_url"],
                         key="consumer_launches")
