"""Market: how the subject's stock traded against peers and an index, around the thesis milestones.

Reruns stay cheap: every figure comes from queries/*.sql through ui.query (cached until the
store changes), and the sections that draw charts are st.cache_data functions, so a rerun
with the same view replays their elements instead of rebuilding Altair charts. Widgets and
download buttons stay outside the cached functions (Streamlit cannot replay widgets).
"""

from datetime import date

import pandas as pd
import streamlit as st

from aiwatch import charts, export, market, text, ui
from aiwatch.serve import status as fetch_status

ui.use_app_navigation()

MAX_LINE_POINTS = 4000  # per chart; milestone markers add at most a few dozen (< 5,000 in all)
PREFERRED_BENCHMARK = "QQQ"  # the default index proxy when data/ticker.csv lists it
FIRST_DAY = date(1900, 1, 1)
HOW_TO_GET_PRICES = "Run `python -m aiwatch import-prices FILE` or `python -m aiwatch refresh`, then reload."
PERF_COLUMNS = ["ticker", "date", "rebased", "return_since_base_pct", "adj_close", "close",
                "drawdown_pct", "corr_60d", "beta_60d", "is_benchmark", "grain"]
EVENT_LABELS = {"date": "Date", "day0_date": "Day 0", "title": "Milestone", "indicator_name": "Indicator"}


def day(value) -> date:
    return pd.Timestamp(value).date()


def as_dates(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Dates without a time of day, for tables and downloads."""
    return df.assign(**{c: df[c].dt.date for c in columns})


@st.cache_data(max_entries=32, show_spinner=False)
def choices(db: str, ident, as_of: date) -> dict:
    """What the controls offer, as plain Python values (cheap to hand out on every rerun)."""
    tickers = ui.query("market_tickers", as_of=as_of)
    priced = tickers[tickers["trading_days"] > 0]
    subjects = tickers.loc[tickers["role"] == "subject", "ticker"].tolist()
    subject = subjects[0] if subjects else None
    others = priced[priced["ticker"] != subject]
    indicators = ui.query("market_indicators", as_of=as_of)
    milestones = ui.query("market_milestones", indicators=indicators["indicator"].tolist(),
                          start=FIRST_DAY, as_of=as_of)
    days = milestones[milestones["date_precision"] == "day"]
    return {
        "subject": subject,
        "priced": set(priced["ticker"]),
        "others": others["ticker"].tolist(),
        "peers": others.loc[others["role"] == "peer", "ticker"].tolist(),
        "indexes": others.loc[others["role"] == "index", "ticker"].tolist() or others["ticker"].tolist(),
        "first": {t: day(d) for t, d in zip(priced["ticker"], priced["first_date"])},
        "last": {t: day(d) for t, d in zip(priced["ticker"], priced["last_date"])},
        "indicators": dict(zip(indicators["indicator"].tolist(), indicators["name"].tolist())),
        "rebase": {i: (day(d), f"{lbl} · {t}") for i, d, lbl, t in
                   zip(days["id"].tolist(), days["date"], days["date_label"].tolist(), days["title"].tolist())},
        "tickers": tickers,
    }


@st.cache_data(max_entries=64, show_spinner=False)
def performance_section(db: str, ident, subject: str, lines: tuple, benchmark: str | None, start: date,
                        base_date: date, base_label: str, last: date, as_of: date,
                        indicators: tuple, log: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics, the performance chart with milestones, drawdown, rolling correlation and beta.

    Returns what the charts show (prices as plotted, milestones in the window) for the downloads.
    """
    perf = ui.query("price_performance", tickers=list(lines), benchmark=benchmark or subject, start=start,
                    base_date=base_date, as_of=as_of, max_points=MAX_LINE_POINTS)[PERF_COLUMNS]
    milestones = ui.query("market_milestones", indicators=list(indicators), start=start, as_of=as_of)
    milestones = milestones[milestones["date"] <= pd.Timestamp(last)]
    order = [t for t in lines if t in set(perf["ticker"])]
    sub = perf[perf["ticker"] == subject]
    if sub.empty:
        st.info(f"No data yet: no {subject} prices in this window. Choose a longer horizon.",
                icon=":material/info:")
        return perf, milestones
    latest = sub.iloc[-1]

    m = st.columns(4)
    for col, rows in ((m[0], sub), (m[1], perf[perf["ticker"] == benchmark])):
        if rows.empty or pd.isna(rows.iloc[-1]["return_since_base_pct"]):
            continue  # no price on or after the base day in this window
        last_row = rows.iloc[-1]
        col.metric(f"{last_row['ticker']} since base day", f"{last_row['return_since_base_pct']:+.1f}%",
                   help=f"Adjusted close on {day(last_row['date']):%Y-%m-%d} against the {base_label}.")
    m[2].metric(f"{subject} deepest drawdown", f"{sub['drawdown_pct'].min():.1f}%",
                help="Below the highest adjusted close since the window start (on the plotted days).")
    if benchmark and pd.notna(latest["beta_60d"]):
        m[3].metric(f"{subject} 60-day beta vs {benchmark}", f"{latest['beta_60d']:.2f}",
                    help=f"Correlation {latest['corr_60d']:.2f}; over the 60 trading days to "
                         f"{day(latest['date']):%Y-%m-%d}.")

    st.subheader("Performance")
    st.altair_chart(charts.market_performance(perf, milestones, subject, order, base_label, log),
                    width="stretch")
    grain = perf["grain"].iloc[0]
    sampling = ("every trading day" if grain == "day" else
                f"one point per {grain} per ticker (its last trading day of the {grain}, plus the window's first "
                "day and the rebase day) to stay under 5,000 points per chart; every figure is computed on "
                "daily prices")
    st.caption(f"Price shown: **adjusted close** (split- and dividend-adjusted), rebased to 100 on the "
               f"{base_label}; {perf['date'].min():%Y-%m-%d} to {perf['date'].max():%Y-%m-%d}, {sampling}. "
               "Markers: milestones (solid: dated to the day; dashed: only the month, quarter or year is known, "
               "drawn at its start); hover for the title and source.")

    end = perf["date"].max()
    stale = [f"{t} ({d:%Y-%m-%d})" for t, d in perf.groupby("ticker")["date"].max().items()
             if d < end - pd.Timedelta(days=7)]
    missing = [t for t in lines if t not in order]
    if stale or missing:
        st.caption("Prices stop early for " + ", ".join(stale + [f"{t} (none in this window)" for t in missing])
                   + ": import or refresh them to extend the lines.")

    c1, c2, c3 = st.columns(3)
    c1.markdown("**Drawdown from peak**")
    c1.altair_chart(charts.market_drawdown(perf, subject, order), width="stretch")
    rolling = perf[perf["ticker"] != benchmark]
    for col, value, what in ((c2, "corr_60d", "correlation with"), (c3, "beta_60d", "beta vs")):
        col.markdown(f"**Rolling 60-day {what} {benchmark or 'a benchmark'}**")
        if benchmark and rolling[value].notna().any():
            title = "Correlation (60 trading days)" if value == "corr_60d" else "Beta (60 trading days)"
            col.altair_chart(charts.market_rolling(rolling, value, title, subject, order), width="stretch")
        else:
            col.info("No data yet: fewer than 60 trading days with a benchmark price in this window.",
                     icon=":material/info:")
    st.caption("Colours as in the performance chart; the benchmark is dashed. Daily returns of adjusted "
               "closes; correlation and beta (the regression slope on the benchmark's return) over the 60 "
               "trading days ending on each day.")
    return perf, milestones


@st.cache_data(max_entries=64, show_spinner=False)
def event_chart(db: str, ident, subject: str, benchmark: str, indicators: tuple, as_of: date) -> pd.DataFrame:
    """The event-study chart; returns the table behind it."""
    events = ui.query("event_study", subject=subject, benchmark=benchmark, indicators=list(indicators),
                      as_of=as_of)
    if events.empty:
        return events
    st.altair_chart(charts.event_study_bars(events, subject, benchmark), width="stretch")
    complete = events.dropna(subset=["excess_0_p5_pct"])
    st.caption(f"{len(events)} milestone(s); mean difference {events['excess_m1_p1_pct'].mean():+.2f} pp over "
               f"[-1, +1] and {complete['excess_0_p5_pct'].mean():+.2f} pp over [0, +5] ({len(complete)} with "
               "five trading days after). Milestones dated only to a month, quarter or year are left out. "
               "Click a column header to sort the table.")
    return events


def lazy_download(df: pd.DataFrame, filename: str, key: str) -> None:
    """Like ui.download, but the CSV is only made when clicked (this table can be large)."""
    st.download_button("Download CSV: prices as plotted", data=lambda: export.to_safe_csv(as_dates(df, "date")),
                       file_name=filename, mime="text/csv", key=key, icon=":material/download:")


st.title("Market")
as_of = ui.as_of()
db, ident = ui.config().db, ui.identity()
c = choices(db, ident, as_of)
subject = c["subject"]
if subject is None:
    ui.empty_state("data/ticker.csv names no ticker with role 'subject'.",
                   "Add the company the thesis is about, then run `python -m aiwatch build`.")
    st.stop()
if subject not in c["priced"]:
    when = "" if as_of == ui.LATEST else f" on or before {as_of:%Y-%m-%d}"
    # `serve` fetches prices on a first start: say how that went (a file in the state folder)
    note = fetch_status.price_note(fetch_status.read(ui.config())) if as_of == ui.LATEST else None
    ui.empty_state(f"no prices are stored for {subject}{when}.",
                   text.esc(note[1]) + ("" if note[0] == "running" else f" {HOW_TO_GET_PRICES}")
                   if note else HOW_TO_GET_PRICES)
    if note and note[0] == "running":
        @st.fragment(run_every=3)
        def wait_for_prices() -> None:
            """Show the prices once the fetch is over (the whole page reruns then)."""
            latest = fetch_status.price_note(fetch_status.read(ui.config()))
            if not latest or latest[0] != "running":
                st.rerun(scope="app")
        wait_for_prices()
    st.stop()

st.caption(f"{subject} against peers and an index, with the thesis milestones. Performance uses adjusted "
           "closes (split- and dividend-adjusted). Nothing here calls the network: prices come from the last "
           "`python -m aiwatch refresh` or `import-prices`.")

# Every control below is bound to the URL: a shared link rebuilds this view. Streamlit drops
# values no control offers; app.py (ui.link_check_*) tells the reader which.
c1, c2, c3 = st.columns([3, 1.2, 2])
compare = c1.multiselect(
    "Compare with", c["others"], default=c["peers"], key="tickers", bind="query-params",
    help="Peers and indexes with stored prices (roles come from data/ticker.csv).")
indexes = c["indexes"]
benchmark = c2.selectbox(
    "Benchmark", indexes, key="benchmark", bind="query-params",
    index=indexes.index(PREFERRED_BENCHMARK) if PREFERRED_BENCHMARK in indexes else 0,
    help="The index proxy for correlation, beta and the event study.") if indexes else None
rebase = c3.selectbox(
    "Rebase to 100 at", list(c["rebase"]), index=None, format_func=lambda i: c["rebase"][i][1],
    placeholder="the start of the window", key="rebase", bind="query-params",
    help="A milestone dated to the day: every line is 100 on its first trading day on or after it.")
c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
horizon = c1.segmented_control("Horizon", market.HORIZONS, default="1Y", key="horizon", bind="query-params",
                               required=True)
log = c2.toggle("Log scale", value=False, key="log", bind="query-params",
                help="Equal distances for equal percentage moves: easier to compare when one line soars.")
indicators = st.pills(
    "Milestones shown", list(c["indicators"]), format_func=c["indicators"].get, selection_mode="multi",
    default=list(c["indicators"]), key="indicators", bind="query-params",
    help="Filter the milestone markers and the event study by watch indicator.")

lines = tuple(dict.fromkeys([subject, *compare, *([benchmark] if benchmark else [])]))
last = max(c["last"][t] for t in lines)
start = market.window_start(horizon, min(c["first"][t] for t in lines), last)
base_date, base_label = start, "first trading day of the window"
if rebase is not None:
    base_date, label = c["rebase"][rebase]
    base_label = f"first trading day on or after {base_date:%Y-%m-%d}"
    if base_date < start:
        start = base_date
        st.caption(f"The window starts on {start:%Y-%m-%d} to include the rebase milestone ({label}).")

perf, milestones = performance_section(db, ident, subject, lines, benchmark, start, base_date, base_label,
                                       last, as_of, tuple(indicators), log)
lazy_download(perf, f"market_prices_{horizon}.csv", key="dl_market_prices")

st.subheader("Event study")
if not benchmark:
    ui.empty_state("no index or peer prices to compare with.", HOW_TO_GET_PRICES)
    st.stop()
st.markdown(
    f"For each milestone dated to the day: **{subject}'s return minus {benchmark}'s** over trading days "
    "**[-1, +1]** and **[0, +5]** around it. Trading days are the days on which both have a price. **Day 0** is "
    "the milestone's date when the market was open that day, otherwise the next trading day. A window [a, b] "
    "runs from the close of day a-1 to the close of day b (adjusted closes): [-1, +1] from the close two "
    "trading days before day 0 to the close of the day after it; [0, +5] from the close the day before day 0 "
    "to the close five trading days after it.")
st.warning("This shows **association, not cause**: earnings, other news and the whole market move prices on the "
           "same days, and a few days' return says little about a multi-year thesis.", icon=":material/balance:")
events = event_chart(db, ident, subject, benchmark, tuple(indicators), as_of)
if events.empty:
    ui.empty_state("no milestone dated to the day has prices around it for the chosen watch indicators.")
else:
    labels = {**EVENT_LABELS,
              "subject_m1_p1_pct": f"{subject} [-1,+1] %", "benchmark_m1_p1_pct": f"{benchmark} [-1,+1] %",
              "excess_m1_p1_pct": "Difference [-1,+1] pp", "subject_0_p5_pct": f"{subject} [0,+5] %",
              "benchmark_0_p5_pct": f"{benchmark} [0,+5] %", "excess_0_p5_pct": "Difference [0,+5] pp"}
    ui.sources_table(as_dates(events, "date", "day0_date"), [*labels, "source_url"],
                     key=f"event_study_{subject}_{benchmark}", labels=labels)

with st.expander("Data and sources", icon=":material/table:"):
    if not milestones.empty:
        st.markdown("**Milestones in the window**")
        ui.sources_table(milestones, ["date_label", "title", "indicator_name", "category", "detail",
                                      "source_url"], key="market_milestones")
    st.markdown("**Tickers**")
    shown = c["tickers"][c["tickers"]["ticker"].isin(lines)]
    ui.sources_table(as_dates(shown, "first_date", "last_date"),
                     ["ticker", "name", "role", "first_date", "last_date", "trading_days", "source_url"],
                     key="market_tickers")
