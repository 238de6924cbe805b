"""Overview: the thesis, the scorecard of the watch indicators, key figures, latest milestones,
and what changed since the previous build. Everything as of the sidebar's date."""

import pandas as pd
import streamlit as st

from aiwatch import brief, charts, ui
from aiwatch.indicators import (
    EVIDENCE_BADGES,
    SCORECARD_COLUMNS,
    SCORECARD_LABELS,
    as_of_notice,
    day,
    md,
    metric_args,
    not_disclosed_args,
    rule_markdown,
    scorecard_inputs,
    status_badge,
    table,
)

ui.use_app_navigation()

# KPI ids from data/kpi_catalog.csv shown as key figures (labels and units come from the catalog)
AI_RUN_RATE = "ai_business_annual_revenue_run_rate"
AZURE_GROWTH = "azure_other_cloud_services_growth_yoy"
AZURE_AI_POINTS = "azure_growth_points_from_ai_services"
OPENAI_RPO_SHARE = "commercial_rpo_share_openai"
KEY_FIGURES = [AI_RUN_RATE, AZURE_GROWTH, AZURE_AI_POINTS, OPENAI_RPO_SHARE]
LATEST_MILESTONES = 5

as_of = ui.as_of()
st.title("Overview")
notice = as_of_notice(as_of, ui.LATEST)
if notice:
    st.info(notice, icon=":material/history:")

thesis = ui.query("overview_thesis")
if thesis.empty:
    ui.empty_state("no thesis statement.", "Add it to data/thesis.csv and run `python -m aiwatch build`.")
else:
    for _, t in thesis.iterrows():
        st.markdown(f"**{md(t['thesis'])}** {md(t['statement'])}")

# --- scorecard -------------------------------------------------------------------------------
indicators = ui.query("overview_indicators")
names = dict(zip(indicators["indicator"], indicators["name"]))
chosen = st.pills("Watch indicators", options=list(names), format_func=lambda i: names.get(i, i),
                  selection_mode="multi", default=list(names), key="indicator", bind="query-params",
                  help="Filter the scorecard and the latest milestones. The choice is kept in the URL.")
if names and not chosen:
    st.caption("No indicator selected: showing all of them.")
    chosen = list(names)

st.subheader("Scorecard")
rules = ui.query("scorecard_rules", as_of=as_of)
rules = rules[rules["indicator"].isin(chosen)]
if rules.empty:
    ui.empty_state("no scorecard rules for this view.",
                   "Rules are rows of data/indicator_rule.csv (see data/README.md); run `python -m aiwatch build`.")
else:
    st.caption("Each status follows from a rule in data/indicator_rule.csv applied to the sourced figures "
               "below; an input that is not in the store makes the status **unknown**, never a guess.")
    grid = st.columns(2)
    for i, (_, group) in enumerate(rules.groupby("indicator", sort=False)):
        first = group.iloc[0]
        with grid[i % 2].container(border=True):
            st.markdown(f"#### {md(first['indicator_name'])} &nbsp; {status_badge(first['indicator_status'])}")
            st.caption(md(first["question"]))
            for _, r in group.iterrows():
                headline, details = rule_markdown(r)
                st.markdown(headline, help=md(r["explanation"]))
                st.caption(details)

    with st.expander("Scorecard data and sources", icon=":material/table:"):
        ui.sources_table(table(scorecard_inputs(rules)), SCORECARD_COLUMNS, key="scorecard",
                         labels=SCORECARD_LABELS)

# --- key figures --------------------------------------------------------------------------------
st.subheader("Key figures")
latest = ui.query("kpi_latest", kpi_ids=KEY_FIGURES, as_of=as_of)
catalog = ui.query("kpi_catalog", as_of=as_of).set_index("kpi_id")
ytd = ui.query("overview_ytd_vs_index", as_of=as_of)
cards = len(KEY_FIGURES) + max(len(ytd), 1)
cols = [c for _ in range(-(-cards // 3)) for c in st.columns(3)]
by_id = latest.set_index("kpi_id")
for col, kpi_id in zip(cols, KEY_FIGURES):
    if kpi_id in by_id.index:
        col.metric(**metric_args(by_id.loc[kpi_id]), border=True)
    elif kpi_id in catalog.index:
        col.metric(**not_disclosed_args(catalog.loc[kpi_id, "label"], as_of, ui.LATEST), border=True)
ytd_cols = cols[len(KEY_FIGURES):]
if ytd.empty:
    ytd_cols[0].metric("Year to date vs index", "no prices", border=True,
                       help="No market prices are stored for this date. Run `python -m aiwatch refresh` "
                            "or `python -m aiwatch import-prices FILE`, then build.")
for col, (_, y) in zip(ytd_cols, ytd.iterrows()):
    col.metric(f"{y['ticker']} vs {y['index_ticker']}, year to date", f"{y['ytd_return_pct']:+.1f}%",
               delta=f"{y['excess_return_pct_points']:+.1f} pts",
               delta_description=f"to {day(y['end_date'])}; {y['index_ticker']} {y['index_ytd_return_pct']:+.1f}%",
               help=f"Adjusted closes from {day(y['base_date'])} to {day(y['end_date'])} "
                    f"({y['price_source']}); {y['index_name']} to {day(y['index_end_date'])}.",
               border=True)

series = ui.query("kpi_series", kpi_ids=[AI_RUN_RATE, AZURE_GROWTH, AZURE_AI_POINTS], as_of=as_of)
c1, c2 = st.columns(2)
with c1:
    run_rate = series[series["kpi_id"] == AI_RUN_RATE]
    if run_rate.empty:
        ui.empty_state("no AI run-rate figure had been published.")
    else:
        st.markdown(f"**{md(run_rate.iloc[0]['label'])}** (USD bn, as stated)")
        st.altair_chart(charts.kpi_points(run_rate, "USD bn", prefix="$", suffix="bn"),
                        width="stretch")
with c2:
    growth = series[series["kpi_id"] == AZURE_GROWTH]
    points = series[series["kpi_id"] == AZURE_AI_POINTS]
    if growth.empty:
        ui.empty_state("no Azure growth figure had been published.")
    else:
        st.markdown("**Azure growth and the points AI services added** (%, per fiscal quarter)")
        st.altair_chart(charts.growth_with_contribution(growth, points), width="stretch")

# --- milestones ---------------------------------------------------------------------------------
st.subheader(f"Latest {LATEST_MILESTONES} milestones")
milestones = ui.query("milestones_known", as_of=as_of, indicators=chosen, categories=[], tracks=[])
if milestones.empty:
    ui.empty_state("no milestone had been published for the chosen indicators.")
else:
    for _, m in milestones.head(LATEST_MILESTONES).iterrows():
        st.markdown(f"{EVIDENCE_BADGES[m['kind']]} **{m['date_label']}** · {md(m['title'])} "
                    f"· _{md(m['indicator_name'])}, {md(m['category'])}_ · [source]({m['source_url']})",
                    help=md(m["detail"]))

# --- what changed -------------------------------------------------------------------------------
st.subheader("What changed since the previous build")
previous = ui.query("changes_previous_build")
if previous.empty:
    ui.empty_state("this store has no record of a previous build.", "Rebuild with `python -m aiwatch build`.")
else:
    p = previous.iloc[0]
    if p["previous_outcome"] == "first":
        st.info(f"First build ({day(p['built_at'])}): nothing to compare.", icon=":material/info:")
    elif p["previous_outcome"] == "unreadable":
        st.warning("The previous store could not be read, so this build cannot say what changed.",
                   icon=":material/warning:")
    else:
        changes = ui.query("changes_since_previous_build", as_of=as_of)
        when = pd.Timestamp(p["previous_built_at"]).strftime("%Y-%m-%d %H:%M")
        if changes.empty:
            st.success(f"No sourced fact was added, changed or removed since the build of {when} UTC"
                       + ("" if as_of >= ui.LATEST else " (among facts published by the as-of date)") + ".",
                       icon=":material/check:")
        else:
            counts = changes["change"].value_counts()
            st.markdown(", ".join(f"**{counts[c]}** {c}" for c in ("added", "changed", "removed")
                                  if c in counts) + f" since the build of {when} UTC.")
            ui.sources_table(table(changes), ["change", "fact_table", "fact", "before_text", "after_text",
                                       "changed_columns", "after_published_at", "before_published_at",
                                       "source_url"], key="changes_since_previous_build",
                             labels={"fact_table": "Table", "before_text": "Before", "after_text": "After",
                                     "changed_columns": "Columns changed",
                                     "after_published_at": "Published", "before_published_at": "Was published"})

with st.expander("Data and sources", icon=":material/table:"):
    if not latest.empty:
        st.markdown("**Key figures**")
        ui.sources_table(table(latest), ["label", "period_label", "value_text", "delta_text", "prev_period_label",
                                  "reported_at", "source_url", "note"], key="overview_key_figures")
    if not ytd.empty:
        st.markdown("**Year to date vs index**")
        ui.sources_table(table(ytd), ["ticker", "ytd_return_pct", "index_ticker", "index_ytd_return_pct",
                               "excess_return_pct_points", "base_date", "end_date", "price_source",
                               "source_url"], key="overview_ytd")
    if not milestones.empty:
        st.markdown("**Milestones (chosen indicators)**")
        ui.sources_table(table(milestones), ["date_label", "indicator_name", "category", "kind", "title", "detail",
                                      "source_url"], key="overview_milestones")

# --- investor brief (PDF): made only when the button is clicked (aiwatch/brief.py) ----------------
brief_as_of = None if as_of >= ui.LATEST else as_of
st.download_button("Download brief (PDF)", data=brief.deferred(brief_as_of, st.context.url),
                   file_name=brief.file_name(brief_as_of), mime="application/pdf", key="download_brief",
                   icon=":material/picture_as_pdf:", on_click="ignore",
                   help="One or two A4 pages for readers who will not open the link: the thesis, the "
                        "scorecard, key figures, charts and the latest milestones, as of this view's date.")
