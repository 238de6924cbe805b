"""MAI progress: are Microsoft's in-house MAI models closing the gap to OpenAI and Anthropic?

Measured standings (public leaderboards) and claims (Microsoft's own figures, press reports)
are shown apart, each with its source, as of the sidebar's date."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from aiwatch import charts, ui
from aiwatch.indicators import (
    EVIDENCE_BADGES,
    SCORECARD_COLUMNS,
    SCORECARD_LABELS,
    day,
    md,
    scorecard_inputs,
    table,
)

ui.use_app_navigation()

INDICATOR = "mai_progress"          # data/indicator.csv
TRACKS = ["mai_model", "mai_api"]   # data/milestone_stage.csv tracks shown on the timeline
RELEASE_TRACK, RELEASE_STAGE = "mai_model", "released"

as_of = ui.as_of()
ui.indicator_header(INDICATOR, "MAI progress")

rules = ui.query("scorecard_rules", as_of=as_of)
rules = rules[rules["indicator"] == INDICATOR]
milestones = ui.query("milestones_known", as_of=as_of, indicators=[INDICATOR], categories=[], tracks=TRACKS)
releases = milestones[milestones["stages"].fillna("").str.contains(f"{RELEASE_TRACK}: {RELEASE_STAGE}",
                                                                    regex=False)]
gap_rule = rules[rules["metric"] == "leaderboard_rank_gap"]
vendor = gap_rule.iloc[0]["subject"] if not gap_rule.empty else ""
window = int(gap_rule.iloc[0]["window_days"]) if not gap_rule.empty else 0
standings = ui.query("leaderboard_vs_subject", as_of=as_of, vendor=vendor, window_days=window)
figures = ui.query("mai_figures", indicator=INDICATOR, as_of=as_of)

# --- cards ----------------------------------------------------------------------------------------
c1, c2, c3, c4 = st.columns(4)
year_ago = min(as_of, date.today()) - timedelta(days=365)
c1.metric("MAI model releases", f"{len(releases)}", border=True,
          delta=int((releases['known_at'] > pd.Timestamp(year_ago)).sum()), delta_description="in the last 365 days",
          help="Milestones tagged released on the mai_model track (data/milestone_stage.csv).")
if releases.empty:
    c2.metric("Latest MAI model release", "none yet", border=True,
              help="No MAI model release had been published by this date.")
else:
    last = releases.iloc[0]
    since = rules[rules["metric"] == "days_since_stage"]
    c2.metric("Latest MAI model release", last["date_label"], border=True,
              delta=since.iloc[0]["value_text"] if not since.empty else None, delta_color="off",
              delta_arrow="off", help=md(last["title"]))
subject = standings[standings["role"] == "subject"].sort_values(["rank", "observed_at"])
if subject.empty:
    c3.metric("Best MAI leaderboard rank", "no standing", border=True,
              help="No leaderboard standing of a Microsoft model had been published by this date.")
else:
    best = subject.iloc[0]
    gap = gap_rule.iloc[0] if not gap_rule.empty and gap_rule.iloc[0]["status"] != "unknown" else None
    c3.metric("Best MAI leaderboard rank", f"#{int(best['rank'])}", border=True,
              delta=None if gap is None else f"{-gap['value']:+g} places",
              delta_description=f"{best['board']}" + ("" if gap is None else " vs the best rival"),
              help=md(f"{best['model']} on {best['board']}, observed {day(best['observed_at'])}; measured "
                      "by the board, not claimed. "
                      + ("No other vendor's standing near it is stored." if gap is None
                         else f"Best rival: {gap['input_b']} ({day(gap['input_b_date'])}).")
                      + (f" Note: {best['note']}" if isinstance(best["note"], str) else "")))
api = ui.query("milestones_stage_path", track="mai_api", as_of=as_of)
c4.metric("MAI API stage", api.iloc[-1]["stage"] if not api.empty else "none yet", border=True,
          help=(f"{api.iloc[-1]['title']} ({api.iloc[-1]['date_label']}); path: {api.iloc[-1]['track_stages']}"
                if not api.empty else "No MAI API milestone had been published by this date."))

# --- scorecard rows --------------------------------------------------------------------------------
ui.scorecard_box(rules)

# --- timeline ---------------------------------------------------------------------------------------
st.subheader("Timeline: MAI models, reports and the team")
if milestones.empty:
    ui.empty_state("no MAI milestone had been published by this date.")
else:
    st.altair_chart(charts.event_timeline(milestones), width="stretch")
    st.caption("Filled marks were announced by Microsoft; hollow marks are press reports (claims by "
               "others, not announcements). Hover a mark for its date, details and source.")

# --- measured vs claimed ------------------------------------------------------------------------------
left, right = st.columns(2, gap="large")
with left:
    st.markdown(f"### {EVIDENCE_BADGES['measurement']} Leaderboard standings")
    if standings.empty:
        ui.empty_state("no leaderboard standing had been published by this date.",
                       "Add measured standings to data/leaderboard.csv.")
    else:
        st.altair_chart(charts.leaderboard_standings(standings), width="stretch")
        caption = (f"Ranks measured by public leaderboards. Blue: {vendor}'s models; orange: another vendor's "
                   f"standing on the same board observed within {window} days; grey: no {vendor} standing "
                   "that close in time, so not compared.") if vendor else \
            "Ranks measured by public leaderboards (no scorecard rule names whose models to compare)."
        st.caption(md(caption))
        lonely = subject[~subject["model"].isin(standings.loc[standings["role"] == "rival", "compared_with"])]
        for _, s in lonely.iterrows():
            st.caption(md(f"{s['model']} (#{int(s['rank'])} on {s['board']}, {day(s['observed_at'])}): no other "
                          f"vendor's standing on that board within {window} days is stored, so the gap "
                          "there is not shown rather than guessed."))
with right:
    st.markdown(f"### {EVIDENCE_BADGES['company statement']} Claims")
    claims = figures[figures["evidence"] == "company statement"]
    reports = milestones[milestones["kind"] == "press report"]
    if claims.empty and reports.empty:
        ui.empty_state("no claim about MAI had been published by this date.")
    for _, f in claims.iterrows():
        st.markdown(f"{EVIDENCE_BADGES['company statement']} **{md(f['label'])}:** {md(f['value_text'])} "
                    f"· {f['date_label']} · [source]({f['source_url']})",
                    help=md(f"{f['description']} {f['note'] if isinstance(f['note'], str) else ''}"))
    for _, m in reports.iterrows():
        st.markdown(f"{EVIDENCE_BADGES['press report']} **{m['date_label']}** · {md(m['title'])} "
                    f"· [source]({m['source_url']})", help=md(m["detail"]))
    st.caption("Claims are what Microsoft says about its own models (its benchmarks, its counts) and what "
               "the press reports; neither is an independent measurement.")

with st.expander("Data and sources", icon=":material/table:"):
    if not rules.empty:
        st.markdown("**Scorecard inputs**")
        ui.sources_table(table(scorecard_inputs(rules)), SCORECARD_COLUMNS, key="mai_scorecard",
                         labels=SCORECARD_LABELS)
    if not standings.empty:
        st.markdown("**Leaderboard standings (measured)**")
        ui.sources_table(table(standings), ["board", "model", "vendor", "rank", "value", "observed_at", "role",
                                     "compared_with", "days_apart", "note", "source_url"],
                         key="mai_leaderboard")
    if not figures.empty:
        st.markdown("**MAI figures (company statements and measured ranks)**")
        ui.sources_table(table(figures), ["label", "period_label", "value_text", "evidence", "reported_at", "note",
                                   "source_url"], key="mai_figures")
    if not milestones.empty:
        st.markdown("**Milestones**")
        ui.sources_table(table(milestones), ["date_label", "category", "kind", "stages", "title", "detail",
                                      "source_url"], key="mai_milestones")
