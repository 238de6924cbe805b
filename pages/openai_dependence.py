"""OpenAI dependence: how much of Microsoft's AI business still rides on OpenAI, and is it diversifying?

The partnership's terms over time, the AI figures that ride on OpenAI's models, the OpenAI-linked
share of the backlog, and the other vendors' models Microsoft adopted, as of the sidebar's date."""

import streamlit as st

from aiwatch import charts, ui
from aiwatch.indicators import (
    SCORECARD_COLUMNS,
    SCORECARD_LABELS,
    md,
    scorecard_inputs,
    table,
)

ui.use_app_navigation()

INDICATOR = "openai_dependence"                     # data/indicator.csv
PARTNERSHIP = ["OpenAI partnership"]                # data/milestone.csv categories
DIVERSIFICATION = ["Model diversification"]
DIVERSIFICATION_FLAGS = ["meta_llama_available_on_azure"]   # availability with no milestone of its own
# KPI ids from data/kpi_catalog.csv (labels and units come from the catalog)
AI_RUN_RATE = "ai_business_annual_revenue_run_rate"
AZURE_GROWTH = "azure_other_cloud_services_growth_yoy"
AZURE_AI_POINTS = "azure_growth_points_from_ai_services"
RPO = "commercial_rpo"
RPO_SHARE = "commercial_rpo_share_openai"
CARDS = [AI_RUN_RATE, "ai_business_annual_revenue_run_rate_growth", AZURE_AI_POINTS, RPO_SHARE, RPO,
         "openai_equity_method_impact_net_income"]

as_of = ui.as_of()
ui.indicator_header(INDICATOR, "OpenAI dependence")

ui.kpi_cards(st.columns(3) + st.columns(3), CARDS)

rules = ui.query("scorecard_rules", as_of=as_of)
rules = rules[rules["indicator"] == INDICATOR]
ui.scorecard_box(rules)

st.subheader("The partnership, term by term")
partnership = ui.query("milestones_known", as_of=as_of, indicators=[], categories=PARTNERSHIP, tracks=[])
if partnership.empty:
    ui.empty_state("no OpenAI partnership milestone had been published by this date.")
else:
    st.altair_chart(charts.event_timeline(partnership), width="stretch")
    st.caption("Hover a mark for the terms as reported and the source. Amounts Microsoft did not "
               "confirm are not shown.")

series = ui.query("kpi_series", kpi_ids=[AI_RUN_RATE, AZURE_GROWTH, AZURE_AI_POINTS, RPO, RPO_SHARE],
                  as_of=as_of)
left, right = st.columns(2)
with left:
    run_rate = series[series["kpi_id"] == AI_RUN_RATE]
    if run_rate.empty:
        ui.empty_state("no AI run-rate figure had been published.")
    else:
        st.markdown(f"**{md(run_rate.iloc[0]['label'])}** (USD bn, as stated)")
        st.altair_chart(charts.kpi_points(run_rate, "USD bn", prefix="$", suffix="bn"),
                        width="stretch")
        st.caption("Mostly Azure AI and Microsoft 365 Copilot, which run largely on OpenAI's models. "
                   "'surpassed' marks a floor; 'on track to surpass' was a forward statement.")
with right:
    growth = series[series["kpi_id"] == AZURE_GROWTH]
    points = series[series["kpi_id"] == AZURE_AI_POINTS]
    if growth.empty:
        ui.empty_state("no Azure growth figure had been published.")
    else:
        st.markdown("**Azure growth and the points AI services added** (%)")
        st.altair_chart(charts.growth_with_contribution(growth, points), width="stretch")
        st.caption("Points of Azure's growth Microsoft attributed to AI services, where it quantified them.")

left, right = st.columns(2)
with left:
    st.markdown("**Commercial backlog (RPO, USD bn) and the share tied to OpenAI**")
    rpo = series[series["kpi_id"] == RPO]
    share = series[series["kpi_id"] == RPO_SHARE]
    if rpo.empty:
        ui.empty_state("no commercial backlog figure had been published.")
    else:
        st.altair_chart(charts.bars_with_share(rpo, share, "USD bn", share_label="OpenAI"), width="stretch")
        st.caption("Remaining performance obligation (contracted revenue not yet recognised). The label on a "
                   "bar is the share Microsoft tied to OpenAI, only for quarters where it stated one.")
with right:
    st.markdown("**Other vendors' models adopted over time**")
    diversification = ui.query("api_third_party_models", as_of=as_of, categories=DIVERSIFICATION,
                               kpi_ids=DIVERSIFICATION_FLAGS)
    if diversification.empty:
        ui.empty_state("no other vendor's model had been adopted by this date.")
    else:
        st.altair_chart(charts.cumulative_events(diversification, "Models adopted so far"), width="stretch")
        st.caption("Each step is a move beyond OpenAI: another vendor's model offered on Microsoft's "
                   "platforms or adopted in Copilot, or a stake in another lab. Hover for the event and its source.")

with st.expander("Data and sources", icon=":material/table:"):
    if not rules.empty:
        st.markdown("**Scorecard inputs**")
        ui.sources_table(table(scorecard_inputs(rules)), SCORECARD_COLUMNS, key="openai_scorecard",
                         labels=SCORECARD_LABELS)
    if not series.empty:
        st.markdown("**AI, Azure and backlog figures**")
        ui.sources_table(table(series), ["label", "quarter_label", "period_end", "value", "unit", "qualifier",
                                  "reported_at", "note", "source_url"], key="openai_series")
    if not partnership.empty:
        st.markdown("**Partnership milestones**")
        ui.sources_table(table(partnership), ["date_label", "title", "detail", "source_url"], key="openai_partnership")
    if not diversification.empty:
        st.markdown("**Other vendors' models**")
        ui.sources_table(table(diversification), ["date_label", "published_at", "title", "evidence", "detail",
                                           "source_url"], key="openai_diversification")
