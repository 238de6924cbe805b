"""Overview: the thesis, the scorecard of the watch indicators, key figures, latest milestones,
and what changed since the previous build. Everything as of the sidebar's date."""

import pandas as pd
import streamlit as st

from aiwatch import brief, ui
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
ui.results_notice()

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



@st.cache_resource(max_entries=64, show_spinner=False)
def scorecard_grid(db: str, ident, as_of, chosen: tuple) -> pd.DataFrame:
    """The scorecard, one box per chosen indicator (replayed while the store and view stay)."""
    st.subheader("Scorecard")
    rules = ui.query("scorecard_rules", as_of=as_of)
    rules = rules[rules["indicator"].isin(chosen)]
    if rules.empty:
        ui.empty_state("no scorecard rules for this view.",
                       "Rules are rows of data/indicator_rule.csv (see data/README.md); run `python -m aiwatch build`.")
        return rules
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
    return rules


@st.cache_resource(max_entries=64, show_spinner=False)
def latest_milestones(db: str, ident, as_of, chosen: tuple) -> pd.DataFrame:
    st.subheader(f"Latest {LATEST_MILESTONES} milestones")
    milestones = ui.query("milestones_known", as_of=as_of, indicators=list(chosen), categories=[], tracks=[])
    if milestones.empty:
        ui.empty_state("no milestone had been published for the chosen indicators.")
    for _, m in milestones.head(LATEST_MILESTONES).iterrows():
        st.markdown(f"{EVIDENCE_BADGES[m['kind']]} **{esc(m['date_label'])}** · {esc(m['title'])} "
                    f"· _{esc(m['indicator_name'])}, {esc(m['category'])}_ · "
                    + source_link(m["source_url"], kind=m.get("source_kind")), help=esc(m["detail"]))
    return milestones


CHANGE_COLUMNS = ["change", "fact_table", "fact", "before_text", "after_text", "changed_columns",
                  "after_published_at", "before_published_at", "source_url"]
CHANGE_LABELS = {"fact_table": "Table", "before_text": "Before", "after_text": "After",
                 "changed_columns": "Columns changed", "after_published_at": "Published",
                 "before_published_at": "Was published"}


@st.cache_resource(max_entries=64, show_spinner=False)
def what_changed(db: str, ident, as_of) -> pd.DataFrame | None:
    """What changed since the previous build; returns the table shown (None when there is none)."""
    st.subheader("What changed since the previous build")
    previous = ui.query("changes_previous_build")
    if previous.empty:
        ui.empty_state("this store has no record of a previous build.", "Rebuild with `python -m aiwatch build`.")
        return None
    p = previous.iloc[0]
    if p["previous_outcome"] == "first":
        st.info(f"First build ({day(p['built_at'])}): nothing to compare.", icon=":material/info:")
        return None
    if p["previous_outcome"] == "unreadable":
        st.warning("The previous store could not be read, so this build cannot say what changed.",
                   icon=":material/warning:")
        return None
    changes = ui.query("changes_since_previous_build", as_of=as_of)
    when = pd.Timestamp(p["previous_built_at"]).strftime("%Y-%m-%d %H:%M")
    if changes.empty:
        st.success(f"No sourced fact was added, changed or removed since the build of {when} UTC"
                   + ("" if as_of >= ui.LATEST else " (among facts published by the as-of date)") + ".",
                   icon=":material/check:")
        return None
    counts = changes["change"].value_counts()
    st.markdown(", ".join(f"**{counts[c]}** {c}" for c in ("added", "changed", "removed")
                          if c in counts) + f" since the build of {when} UTC.")
    return ui.sources_table(table(changes), CHANGE_COLUMNS, labels=CHANGE_LABELS)


db, ident = ui.store_key()
rules = scorecard_grid(db, ident, as_of, tuple(chosen))
if not rules.empty:
    box = ui.tables_expander("Scorecard data and sources", key="scorecard_sources_open")
    if box is not None:
        with box:
            ui.download(ui.sources_table(table(scorecard_inputs(rules)), SCORECARD_COLUMNS,
                                         labels=SCORECARD_LABELS), "scorecard.csv", key="dl_scorecard")

# --- key figures (data/page_section.csv, page "overview") ---------------------------------------
st.subheader("Key figures")
sources = ui.render_page("overview", ui.View(as_of=as_of, indicators=tuple(chosen)))

# --- milestones and what changed ---------------------------------------------------------------
milestones = latest_milestones(db, ident, as_of, tuple(chosen))
changed = what_changed(db, ident, as_of)
if changed is not None:
    ui.download(changed, "changes_since_previous_build.csv", key="dl_changes_since_previous_build")

if not milestones.empty:
    sources.append(ui.Source("Milestones (chosen indicators)", milestones,
                             ["date_label", "indicator_name", "category", "kind", "title", "detail", "source_url"]))
ui.sources_expander(sources, key="overview")

# --- investor brief (PDF): made only when the button is clicked (aiwatch/brief.py) ----------------
brief_as_of = None if as_of >= ui.LATEST else as_of
st.download_button("Download brief (PDF)", data=brief.deferred(brief_as_of, st.context.url),
                   file_name=brief.file_name(brief_as_of), mime="application/pdf", key="download_brief",
                   icon=":material/picture_as_pdf:", on_click="ignore",
                   help="One or two A4 pages for readers who will not open the link: the thesis, the "
                        "scorecard, key figures, charts and the latest milestones, as of this view's date.")
