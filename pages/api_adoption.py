"""API adoption: do developers adopt Microsoft's own model APIs (MAI in Foundry) and its platform?

Platform adoption figures Microsoft states, the MAI API's path from report to availability,
and the third-party models brought to Microsoft's platforms, as of the sidebar's date."""

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

INDICATOR = "api_adoption"                   # data/indicator.csv
MAI_API_TRACK = "mai_api"                    # data/milestone_stage.csv
THIRD_PARTY_CATEGORIES = ["Model diversification"]   # data/milestone.csv categories
# KPI ids from data/kpi_catalog.csv (labels and units come from the catalog)
THIRD_PARTY_FLAGS = ["meta_llama_available_on_azure"]   # availability with no milestone of its own
CUSTOMERS = ["azure_openai_customers", "azure_ai_customers"]
CARDS = ["azure_ai_customers", "azure_openai_customers", "foundry_models_count", "ai_tokens_processed_quarter",
         "github_copilot_paid_subscribers", "mai_transcribe_1_price"]
DEVELOPERS = ["github_copilot_paid_subscribers", "github_copilot_users"]

as_of = ui.as_of()
ui.indicator_header(INDICATOR, "API adoption")

latest = ui.kpi_cards(st.columns(3) + st.columns(3), CARDS)

rules = ui.query("scorecard_rules", as_of=as_of)
rules = rules[rules["indicator"] == INDICATOR]
ui.scorecard_box(rules)

events = ui.query("milestones_known", as_of=as_of, indicators=[INDICATOR], categories=[], tracks=[])
series = ui.query("kpi_series", kpi_ids=CUSTOMERS + DEVELOPERS, as_of=as_of)

st.subheader("The MAI API: from report to availability")
path = ui.query("milestones_stage_path", track=MAI_API_TRACK, as_of=as_of)
if path.empty:
    ui.empty_state("no MAI API milestone had been published by this date.",
                   "Stages are milestones tagged on the mai_api track in data/milestone_stage.csv.")
else:
    stages = path.iloc[0]["track_stages"].split(" → ")
    st.altair_chart(charts.stage_path(path, stages), width="stretch")
    last = path.iloc[-1]
    st.caption(md(f"Stage reached: **{last['stage']}** ({last['date_label']}: {last['title']}). Path: "
                  f"{last['track_stages']}. Hollow marks are press reports, filled marks announcements."))

left, right = st.columns(2)
with left:
    st.markdown("**Customers of Microsoft's AI platform (organizations)**")
    customers = series[series["kpi_id"].isin(CUSTOMERS)]
    if customers.empty:
        ui.empty_state("no customer count had been published.")
    else:
        st.altair_chart(charts.series_with_events(customers, events, "Customers", fmt=",.0f"), width="stretch")
        st.caption("Counts as stated on earnings calls ('more than' marks a floor). Azure OpenAI Service "
                   "customers use OpenAI's models; Azure AI customers are a broader platform count.")
with right:
    st.markdown("**GitHub Copilot developers (millions)**")
    developers = series[series["kpi_id"].isin(DEVELOPERS)]
    if developers.empty:
        ui.empty_state("no GitHub Copilot figure had been published.")
    else:
        st.altair_chart(charts.series_with_events(developers, events, "Millions", fmt=",.1f"),
                        width="stretch")
        st.caption("Paid subscribers and all-time users (free tier included) are different measures: "
                   "two series, not one.")

st.subheader("Third-party models brought to Microsoft's platforms")
third = ui.query("api_third_party_models", as_of=as_of, categories=THIRD_PARTY_CATEGORIES,
                 kpi_ids=THIRD_PARTY_FLAGS)
if third.empty:
    ui.empty_state("no third-party model had been brought to Azure by this date.")
else:
    st.altair_chart(charts.event_timeline(third.assign(kind=third["evidence"])),
                    width="stretch")
    st.caption("Models from vendors other than OpenAI offered on Azure, in Foundry or in Copilot. The colour "
               "tells a milestone from an availability figure stated on an earnings call (for those the "
               "launch day itself is not verified).")

with st.expander("Data and sources", icon=":material/table:"):
    if not rules.empty:
        st.markdown("**Scorecard inputs**")
        ui.sources_table(table(scorecard_inputs(rules)), SCORECARD_COLUMNS, key="api_scorecard", labels=SCORECARD_LABELS)
    if not latest.empty:
        st.markdown("**Latest figures**")
        ui.sources_table(table(latest.reset_index()), ["label", "period_label", "value_text", "delta_text",
                                                "prev_period_label", "reported_at", "note", "source_url"],
                         key="api_latest")
    if not series.empty:
        st.markdown("**Customer and developer series**")
        ui.sources_table(table(series), ["label", "quarter_label", "period_end", "value", "unit", "qualifier",
                                  "reported_at", "note", "source_url"], key="api_series")
    if not path.empty:
        st.markdown("**MAI API stages**")
        ui.sources_table(table(path), ["date_label", "stage", "stage_note", "title", "kind", "source_url"],
                         key="api_mai_stages")
    if not third.empty:
        st.markdown("**Third-party models**")
        ui.sources_table(table(third), ["date_label", "published_at", "title", "evidence", "detail", "source_url"],
                         key="api_third_party")
