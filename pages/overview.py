"""Overview: the thesis, the scorecard of the watch indicators, key figures, latest milestones,
and what changed since the previous build. Everything as of the sidebar's date."""

import pandas as pd
import streamlit as st

from aiwatch import ui
from aiwatch.indicators import (
    EVIDENCE_BADGES,
    SCORECARD_COLUMNS,
    SCORECARD_LABELS,
    as_of_notice,
    day,
    rule_markdown,
    scorecard_inputs,
    status_badge,
    table,
)
from aiwatch.text import esc, source_link

ui.use_app_navigation()

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
        st.markdown(f"**{esc(t['thesis'])}** {esc(t['statement'])}")

# --- scorecard -------------------------------------------------------------------------------
indicators = ui.query("overview_indicators")
names = dict(zip(indicators["indicator"], indicators["name"]))
chosen = st.pills("Watch indicators", options=list(names), format_func=lambda i: esc(names.get(i, i)),
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
            st.markdown(f"#### {esc(first['indicator_name'])} &nbsp; {status_badge(first['indicator_status'])}")
            st.caption(esc(first["question"]))
            for _, r in group.iterrows():
                headline, details = rule_markdown(r)
                st.markdown(headline, help=esc(r["explanation"]))
                st.caption(details)

    with st.expander("Scorecard data and sources", icon=":material/table:"):
        ui.sources_table(table(scorecard_inputs(rules)), SCORECARD_COLUMNS, key="scorecard",
                         labels=SCORECARD_LABELS)

# --- key figures (data/page_section.csv, page "overview") ---------------------------------------
st.subheader("Key figures")
sources = ui.render_page("overview", ui.View(as_of=as_of, indicators=tuple(chosen)))

# --- milestones ---------------------------------------------------------------------------------
st.subheader(f"Latest {LATEST_MILESTONES} milestones")
milestones = ui.query("milestones_known", as_of=as_of, indicators=chosen, categories=[], tracks=[])
if milestones.empty:
    ui.empty_state("no milestone had been published for the chosen indicators.")
else:
    for _, m in milestones.head(LATEST_MILESTONES).iterrows():
        st.markdown(f"{EVIDENCE_BADGES[m['kind']]} **{esc(m['date_label'])}** · {esc(m['title'])} "
                    f"· _{esc(m['indicator_name'])}, {esc(m['category'])}_ · "
                    + source_link(m["source_url"], kind=m.get("source_kind")), help=esc(m["detail"]))

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

if not milestones.empty:
    sources.append(ui.Source("Milestones (chosen indicators)", milestones,
                             ["date_label", "indicator_name", "category", "kind", "title", "detail", "source_url"]))
ui.sources_expander(sources, key="overview")
