"""Market: how the subject's stock traded against peers and an index, around the thesis milestones.

Reruns stay cheap: every figure comes from queries/*.sql through ui.query (cached until the
store changes), and the sections that draw charts are st.cache_data functions, so a rerun
with the same view replays their elements instead of rebuilding Altair charts. Widgets and
download buttons stay outside the cached functions (Streamlit cannot replay widgets).
"""

from datetime import date

import pandas as pd
import streamlit as st

from aiwatch import charts, events, export, market, text, ui
from aiwatch.serve import status as fetch_status
from aiwatch.text import esc

ui.use_app_navigation()

MAX_LINE_POINTS = 4000  # per chart; milestone markers add at most a few dozen (< 5,000 in all)
FIRST_DAY = date(1900, 1, 1)
HOW_TO_GET_PRICES = "Run `python -m aiwatch import-prices FILE` or `python -m aiwatch refresh`, then reload."
PERF_COLUMNS = ["ticker", "date", "rebased", "return_since_base_pct", "adj_close", "close",
                "drawdown_pct", "corr_60d", "beta_60d", "is_benchmark", "grain"]
MODEL_LABELS = {"market": "Market model", "market-adjusted": "Market-adjusted"}
EVENT_TABLE = {  # column -> (label, number format); what a reader needs first comes first
    "milestone_date": ("Date", None), "title": ("Milestone", None), "car_pct": ("CAR %", "{:+.2f}"),
    "t_stat": ("t", "{:+.2f}"), "p_value": ("p", "p"), "marks": ("Flags", None),
    "confounders": ("Confounded by", None), "day0": ("Day 0", None), "indicator_name": ("Indicator", None),
    "beta": ("β", "{:.2f}"), "alpha_bp": ("α (bp/day)", "{:+.1f}"), "r2": ("R²", "{:.2f}"),
    "sigma_pct": ("σ % per day", "{:.2f}"), "n_est": ("Estimation days", None), "note": ("Note", None),
    "source_url": ("Source", None)}
AGGREGATE_TABLE = {
    "group_kind": ("By", None), "group": ("Group", None), "sample": ("Events", None), "n": ("N", None),
    "caar_pct": ("CAAR %", "{:+.2f}"), "caar_t": ("t (cross-section)", "{:+.2f}"), "caar_p": ("p", "p"),
    "bmp_t": ("BMP t", "{:+.2f}"), "bmp_p": ("BMP p", "p")}
COLUMN_WIDTHS = {"title": 260, "group": 200, "confounders": 260, "marks": 60, "note": 220}
DOWNLOAD_EVENT_COLUMNS = [*events.EVENT_COLUMNS, "title", "indicator_name", "category", "confounded", "significant",
                          "note", "source_url"]


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
        "default_benchmark": events.default_benchmark(tickers),
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
    ui.chart(charts.market_performance(perf, milestones, subject, order, base_label, log),
             f"market-performance-{subject}-from-{start:%Y-%m-%d}")
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
    ui.chart(charts.market_drawdown(perf, subject, order), f"market-drawdown-{subject}-from-{start:%Y-%m-%d}", c1)
    rolling = perf[perf["ticker"] != benchmark]
    for col, value, what in ((c2, "corr_60d", "correlation with"), (c3, "beta_60d", "beta vs")):
        col.markdown(f"**Rolling 60-day {what} {benchmark or 'a benchmark'}**")
        if benchmark and rolling[value].notna().any():
            title = "Correlation (60 trading days)" if value == "corr_60d" else "Beta (60 trading days)"
            ui.chart(charts.market_rolling(rolling, value, title, subject, order),
                     f"market-{value}-{subject}-vs-{benchmark}-from-{start:%Y-%m-%d}", col)
        else:
            col.info("No data yet: fewer than 60 trading days with a benchmark price in this window.",
                     icon=":material/info:")
    st.caption("Colours as in the performance chart; the benchmark is dashed. Daily returns of adjusted "
               "closes; correlation and beta (the regression slope on the benchmark's return) over the 60 "
               "trading days ending on each day.")
    return perf, milestones


@st.cache_data(max_entries=32, show_spinner=False)
def event_study(db: str, ident, subject: str, benchmark: str, model: str, as_of: date
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every day-precision milestone's rows (all windows, every indicator: a milestone confounds
    another whatever the filter) and the CAR path of each event, from the store."""
    inputs = events.load_inputs(ui.query, subject, benchmark, as_of)
    return events.study(inputs, model, benchmark), events.car_paths(inputs, model)


def p_text(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def columns(spec: dict) -> dict:
    """Column labels and widths for st.dataframe (sources as links)."""
    return {c: (st.column_config.LinkColumn(lbl, display_text="open source") if c == "source_url"
                else st.column_config.Column(lbl, width=COLUMN_WIDTHS.get(c))) for c, (lbl, _) in spec.items()}


def styled(df: pd.DataFrame, spec: dict, bold: pd.Series | None = None, bold_columns: tuple = ()):
    """The table as shown: labelled columns, numbers formatted, significant figures bold."""
    shown = df[list(spec)]
    style = shown.style.format({c: (p_text if f == "p" else f) for c, (_, f) in spec.items() if f}, na_rep="")
    if bold is not None:
        weights = ["font-weight: bold" if b else "" for b in bold]
        style = style.apply(lambda _: weights, subset=list(bold_columns))
    return style


@st.cache_data(max_entries=64, show_spinner=False)
def event_section(db: str, ident, subject: str, benchmark: str, model: str, as_of: date, indicators: tuple,
                  window: str, exclude: bool) -> dict[str, str]:
    """The CAR chart, the per-event table and the aggregates. Returns {milestone id: label} of the
    events with statistics, for the CAR path's chooser (plain values: cheap on every rerun)."""
    table, _ = event_study(db, ident, subject, benchmark, model, as_of)
    rows = shown_rows(table, indicators, exclude)
    scored = rows.dropna(subset=["car_pct"])
    if scored.empty:
        ui.empty_state("no milestone dated to the day has enough prices around it for the chosen watch "
                       "indicators (an event needs 120 trading days of history before it).")
        return {}
    label = f"[{window}]"
    ui.chart(charts.event_car_dots(scored, window, events.WINDOW_LABELS, subject, benchmark),
             f"market-event-study-{subject}-vs-{benchmark}-{window}")
    chosen = scored[scored["window"] == window]
    st.caption(f"{scored['milestone_id'].nunique()} milestone(s) with statistics; {MODEL_LABELS[model].lower()}"
               f" against {benchmark}. Large dots: p < 0.05; hollow: confounded (an earnings release within "
               f"trading days [-1, +1] of day 0, or another milestone inside the window); the chosen window "
               f"{label} is solid.")

    st.markdown(f"**Per event, window {label}**")
    shown = rows[rows["window"] == window].assign(
        alpha_bp=lambda d: 1e4 * d["alpha"],
        marks=lambda d: (d["significant"].map({True: "✱ ", False: ""})
                         + d["confounded"].map({True: "⚠", False: ""})).str.strip())
    st.dataframe(
        styled(shown, EVENT_TABLE, shown["significant"].tolist(), ("car_pct", "t_stat", "p_value")),
        hide_index=True, width="stretch", placeholder="", height=min(36 * (len(shown) + 1) + 2, 820),
        column_config=columns(EVENT_TABLE))
    st.caption(f"Bold and ✱: p < 0.05 (two-sided, Student's t with n − {2 if model == 'market' else 1} degrees "
               f"of freedom). ⚠: confounded, with what confounds it. {len(chosen)} of {len(shown)} milestone(s) "
               "have a value in this window; the note says why the others have none.")

    st.markdown(f"**Averages across events, window {label}**")
    agg = events.aggregates(table[table["indicator"].isin(indicators)])
    view = agg[agg["window"] == window]
    if exclude:
        view = view[view["sample"] == "unconfounded"]
    view = view.assign(group_kind=view["group_kind"].map({"all": "all", "indicator": "watch indicator",
                                                           "category": "category"}),
                       sample=view["sample"].map({"all": "all", "unconfounded": "without confounded"}))
    significant = (view["caar_p"] < events.SIGNIFICANT_P).tolist()
    st.dataframe(styled(view, AGGREGATE_TABLE, significant, ("caar_pct", "caar_t", "caar_p")), hide_index=True,
                 width="stretch", placeholder="",
                 column_config=columns(AGGREGATE_TABLE))
    st.caption("CAAR: the mean CAR, with its cross-sectional t (the spread of the CARs across events). BMP: "
               "the standardized test of Boehmer, Musumeci and Poulsen (1991), the mean of each event's "
               "CAR / (σ √L) times √N over their standard deviation. Both need N ≥ 2; bold: p < 0.05.")
    first = scored.drop_duplicates("milestone_id")
    return {i: f"{d:%Y-%m-%d} · {t}" for i, d, t in zip(first["milestone_id"], first["milestone_date"],
                                                         first["title"])}


def shown_rows(table: pd.DataFrame, indicators: tuple, exclude: bool) -> pd.DataFrame:
    """The study's rows of the chosen watch indicators, without the confounded ones if asked."""
    rows = table[table["indicator"].isin(indicators)]
    return rows[~rows["confounded"]] if exclude else rows


def event_downloads(db: str, ident, subject: str, benchmark: str, model: str, as_of: date, indicators: tuple,
                    exclude: bool, event: str | None) -> None:
    """Download buttons for every number of the section; each CSV is made only when clicked."""
    def study():
        return event_study(db, ident, subject, benchmark, model, as_of)

    def csv_rows() -> bytes:
        return export.to_safe_csv(shown_rows(study()[0], indicators, exclude)[DOWNLOAD_EVENT_COLUMNS],
                                  verbatim=("window",))

    def csv_aggregates() -> bytes:
        return export.to_safe_csv(events.aggregates(shown_rows(study()[0], indicators, False)),
                                  verbatim=("window",))

    def csv_path() -> bytes:
        paths = study()[1]
        return export.to_safe_csv(as_dates(paths[paths["milestone_id"] == event], "date"))

    buttons = [("every event and window", csv_rows, f"event_study_{model}.csv", "dl_event_study"),
               ("the averages", csv_aggregates, f"event_study_aggregates_{model}.csv", "dl_event_aggregates")]
    if event is not None:
        buttons.append(("this CAR path", csv_path, "event_car_path.csv", "dl_event_path"))
    for col, (label, data, name, key) in zip(st.columns(len(buttons)), buttons):
        col.download_button(f"Download CSV: {label}", data=data, file_name=name, mime="text/csv", key=key,
                            icon=":material/download:")


@st.cache_data(max_entries=64, show_spinner=False)
def path_section(db: str, ident, subject: str, benchmark: str, model: str, as_of: date, event: str,
                 label: str) -> None:
    """The CAR path chart of one event."""
    _, paths = event_study(db, ident, subject, benchmark, model, as_of)
    path = paths[paths["milestone_id"] == event]
    ui.chart(charts.event_car_path(path, subject), f"market-car-path-{event}")
    st.caption(f"{esc(label)}: abnormal returns cumulated from trading day -10, against {benchmark} "
               f"({MODEL_LABELS[model].lower()}). Grey: the 95% band if nothing abnormal happened, ± 1.96 · σ · √k "
               "after k days. Outside the band the move is larger than the stock's ordinary noise.")


def lazy_download(df: pd.DataFrame, filename: str, key: str) -> None:
    """Like ui.download, but the CSV is only made when clicked (this table can be large)."""
    st.download_button("Download CSV: prices as plotted", data=lambda: export.to_safe_csv(df),
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
    index=indexes.index(c["default_benchmark"]) if c["default_benchmark"] in indexes else 0,
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
lazy_download(as_dates(perf, "date"), f"market_prices_{horizon}.csv", key="dl_market_prices")

st.subheader("Event study")
if not benchmark:
    ui.empty_state("no index or peer prices to compare with.", HOW_TO_GET_PRICES)
    st.stop()
sub, bench = esc(subject), esc(benchmark)
st.markdown(
    f"For each milestone dated to the day: did **{sub}** move more than its normal co-movement with "
    f"**{bench}** would predict? The **market model** fits {sub}'s daily return on {bench}'s over "
    "trading days [-250, -11] before day 0 (at least 120 returns); the **abnormal return** is the part it does "
    "not predict, the **CAR** its sum over a window. *Market-adjusted* simply subtracts the benchmark's return. "
    "**Day 0** is the milestone's date when the market was open that day, otherwise the next trading day. "
    "Method and reference (MacKinlay 1997): see the README.")
st.warning("This shows **association, not cause**: earnings, other news and the whole market move prices on the "
           "same days, and a few days' return says little about a multi-year thesis. A single-firm t-test says "
           "whether one event's move was larger than the stock's ordinary daily noise, not why it moved; with "
           "many events and windows, about one in twenty passes p < 0.05 by chance.", icon=":material/balance:")
c1, c2, c3 = st.columns([1.4, 2, 1.2], vertical_alignment="bottom")
model = c1.segmented_control("Model", events.MODELS, format_func=MODEL_LABELS.get, default=events.MODELS[0],
                             key="model", bind="query-params", required=True,
                             help="Market model: OLS on the benchmark (alpha, beta). Market-adjusted: subject "
                                  "minus benchmark.")
window = c2.segmented_control("Window", events.WINDOW_LABELS, default=events.WINDOW_LABELS[0], key="window",
                              bind="query-params", required=True, format_func=lambda w: f"[{w}]",
                              help="Trading days relative to day 0, both ends included.")
exclude = c3.toggle("Exclude confounded", value=False, key="exclude_confounded", bind="query-params",
                    help="Leave out events with an earnings release within trading days [-1, +1] of day 0 or "
                         "another milestone inside the window.")
labels = event_section(db, ident, subject, benchmark, model, as_of, tuple(indicators), window, exclude)
event = None
if labels:
    st.markdown("**CAR path around one event**")
    ids = list(labels)
    event = st.selectbox("Event", ids, index=len(ids) - 1, format_func=labels.get, key="event",
                         bind="query-params", help="A milestone with statistics under the chosen model.")
    if event is not None:
        path_section(db, ident, subject, benchmark, model, as_of, event, labels[event])
event_downloads(db, ident, subject, benchmark, model, as_of, tuple(indicators), exclude, event)

box = ui.tables_expander("Data and sources", key=ui.SOURCES_OPEN)  # tables drawn once opened
if box is not None:
    with box:
        if not milestones.empty:
            st.markdown("**Milestones in the window**")
            ui.sources_table(milestones, ["date_label", "title", "indicator_name", "category", "detail",
                                          "source_url"], key="market_milestones")
        st.markdown("**Tickers**")
        shown = c["tickers"][c["tickers"]["ticker"].isin(lines)]
        ui.sources_table(as_dates(shown, "first_date", "last_date"),
                         ["ticker", "name", "role", "first_date", "last_date", "trading_days", "source_url"],
                         key="market_tickers")
