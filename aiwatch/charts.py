"""Altair chart builders: DataFrame in, chart out. Pure functions, no Streamlit.

Every mark carries a tooltip; charts are sized by the page (use_container_width).

Phone width (390 px, a plot area of at least 300 px): legends sit below or above the plot,
never beside it, in one column when their labels are long; quarter labels stay horizontal and
thin out when they would overlap; the event and standing charts put each row's title above the
row (wrapped to two lines) instead of on a y axis that would take the whole width.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

HEIGHT = 300
LEGEND_LABEL_PX = 330  # longest legend label before it is cut with an ellipsis (a phone's width)
LEGEND_ROW_PX = 22     # one legend row: Streamlit keeps a chart at its height, legend included
TITLE_CHARS = 52       # a row title wraps here (about 330 px of 11 px text) ...
TITLE_LINES = 2        # ... onto at most this many lines; the full title is in the tooltip


def _legend(orient: str = "bottom", columns: int = 1, **kw) -> alt.Legend:
    return alt.Legend(orient=orient, columns=columns, labelLimit=LEGEND_LABEL_PX, **kw)


def _quarter_x(order: list[str]) -> alt.X:
    """Fiscal quarters along x: horizontal labels; every other one dropped while they overlap."""
    return alt.X("quarter_label:O", sort=order, title="Fiscal quarter",
                 axis=alt.Axis(labelAngle=0, labelOverlap="parity"))


def wrap_title(text: str, width: int = TITLE_CHARS, lines: int = TITLE_LINES) -> list[str]:
    """A title as at most ``lines`` lines of about ``width`` characters (Vega draws a list as lines)."""
    words, out, line = str(text).split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return out


def _order(df: pd.DataFrame, label: str = "quarter_label", by: str = "period_end") -> list[str]:
    return df.sort_values(by)[label].drop_duplicates().tolist()


def segment_revenue_bars(df: pd.DataFrame) -> alt.Chart:
    """Stacked bars: revenue per fiscal quarter by segment (Total excluded), USD bn."""
    parts = df[df["segment"] != "Total"]
    return (
        alt.Chart(parts, height=HEIGHT + LEGEND_ROW_PX * parts["segment"].nunique())
        .mark_bar()
        .encode(
            x=_quarter_x(_order(parts)),
            y=alt.Y("revenue_usd_bn:Q", title="Revenue (USD bn)", stack="zero"),
            color=alt.Color("segment:N", title="Segment", legend=_legend()),
            tooltip=[
                alt.Tooltip("quarter_label:N", title="Quarter"),
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("revenue_usd_bn:Q", title="Revenue (USD bn)", format=",.3f"),
                alt.Tooltip("mix_pct:Q", title="Share of total (%)", format=".1f"),
                alt.Tooltip("basis:N", title="Basis"),
                alt.Tooltip("reported_at:T", title="Published", format="%Y-%m-%d"),
            ],
        )
    )


def segment_growth_lines(df: pd.DataFrame) -> alt.Chart:
    """Lines: year-over-year growth per segment and total, % (only like-for-like pairs)."""
    data = df.dropna(subset=["yoy_growth_pct"])
    return (
        alt.Chart(data, height=HEIGHT + LEGEND_ROW_PX * data["segment"].nunique())
        .mark_line(point=True)
        .encode(
            x=_quarter_x(_order(data)),
            y=alt.Y("yoy_growth_pct:Q", title="YoY growth (%)"),
            color=alt.Color("segment:N", title="Segment", legend=_legend()),
            tooltip=[
                alt.Tooltip("quarter_label:N", title="Quarter"),
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("yoy_growth_pct:Q", title="YoY growth (%)", format="+.1f"),
                alt.Tooltip("revenue_usd_bn:Q", title="Revenue (USD bn)", format=",.3f"),
                alt.Tooltip("prior_year_basis:N", title="Compared with (basis)"),
            ],
        )
    )


def segment_mix_bars(df: pd.DataFrame) -> alt.Chart:
    """100% stacked bars: each segment's share of the quarter's total revenue."""
    parts = df[(df["segment"] != "Total") & df["mix_pct"].notna()]
    return (
        alt.Chart(parts, height=HEIGHT + LEGEND_ROW_PX * parts["segment"].nunique())
        .mark_bar()
        .encode(
            x=_quarter_x(_order(parts)),
            y=alt.Y("mix_pct:Q", title="Share of total revenue (%)", stack="zero",
                    scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("segment:N", title="Segment", legend=_legend()),
            tooltip=[
                alt.Tooltip("quarter_label:N", title="Quarter"),
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("mix_pct:Q", title="Share (%)", format=".1f"),
            ],
        )
    )


def _kpi_tooltip(value_title: str, fmt: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("quarter_label:N", title="Quarter"),
        alt.Tooltip("label:N", title="Measure"),
        alt.Tooltip("value:Q", title=value_title, format=fmt),
        alt.Tooltip("qualifier:N", title="As stated"),
        alt.Tooltip("reported_at:T", title="Published", format="%Y-%m-%d"),
        alt.Tooltip("source_url:N", title="Source"),
    ]


def kpi_bars(df: pd.DataFrame, value_title: str, fmt: str = ",.1f") -> alt.Chart:
    """Bars of one or more KPI series per quarter (grouped by colour)."""
    return (
        alt.Chart(df, height=HEIGHT + LEGEND_ROW_PX * df["label"].nunique())
        .mark_bar()
        .encode(
            x=_quarter_x(_order(df)),
            y=alt.Y("value:Q", title=value_title),
            color=alt.Color("label:N", title=None,
                            legend=_legend()),
            tooltip=_kpi_tooltip(value_title, fmt),
        )
    )


def growth_with_contribution(growth: pd.DataFrame, points: pd.DataFrame) -> alt.Chart:
    """Side-by-side bars per quarter: a growth rate and the points one driver contributed to it."""
    both = pd.concat([growth, points])
    return (
        alt.Chart(both, height=HEIGHT + LEGEND_ROW_PX * both["label"].nunique())
        .mark_bar()
        .encode(
            x=_quarter_x(_order(both)),
            xOffset=alt.XOffset("label:N"),
            y=alt.Y("value:Q", title="Growth / points (%)"),
            color=alt.Color("label:N", title=None,
                            legend=_legend()),
            tooltip=_kpi_tooltip("Value (%)", ".0f"),
        )
    )


def kpi_points(df: pd.DataFrame, value_title: str, fmt: str = ",.1f", prefix: str = "",
               suffix: str = "") -> alt.LayerChart:
    """Dots labelled with the figure as stated (qualifier + value), for sparse figures such as
    a run-rate milestone: e.g. prefix="$", suffix="bn" -> "surpassed $13bn"."""
    data = df.assign(caption=[f"{q + ' ' if isinstance(q, str) and q else ''}{prefix}{v:,.0f}{suffix}"
                              for q, v in zip(df["qualifier"], df["value"])])
    base = alt.Chart(data, height=HEIGHT).encode(
        x=_quarter_x(_order(data)),
        y=alt.Y("value:Q", title=value_title, scale=alt.Scale(zero=True)),
    )
    dots = base.mark_circle(size=120).encode(tooltip=_kpi_tooltip(value_title, fmt))
    labels = base.mark_text(dy=-14).encode(text=alt.Text("caption:N"),
                                           tooltip=_kpi_tooltip(value_title, fmt))
    return alt.layer(dots, labels)


# --- market ---
# Line charts of daily (or resampled) prices: x is the trading day, colour the ticker, the
# subject drawn thicker. The page passes only the columns a chart needs.

MARKET_HEIGHT = 340


TICKER_LEGEND_COLUMNS = 4  # tickers are short: four to a row fit a phone


def _ticker_color(order: list[str], legend: bool = True) -> alt.Color:
    return alt.Color("ticker:N", title=None, sort=order, scale=alt.Scale(scheme="tableau10"),
                     legend=_legend("top", TICKER_LEGEND_COLUMNS) if legend else None)


def _market_tooltip(value: str, title: str, fmt: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("ticker:N", title="Ticker"),
        alt.Tooltip("date:T", title="Date", format="%Y-%m-%d"),
        alt.Tooltip(f"{value}:Q", title=title, format=fmt),
        alt.Tooltip("adj_close:Q", title="Adjusted close (USD)", format=",.2f"),
    ]


def _lines(df: pd.DataFrame, value: str, title: str, fmt: str, order: list[str], subject: str,
           height: int = MARKET_HEIGHT, legend: bool = True, log: bool = False, extra: tuple[str, ...] = ()
           ) -> alt.Chart:
    """One line per ticker; the subject thick, the benchmark (``is_benchmark``) dashed.

    The chart carries only the columns it draws or shows on hover (``extra``: more tooltip
    columns): every other column would be sent to the browser with each chart for nothing."""
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    df = df[["ticker", "date", value, "adj_close", "is_benchmark", *extra]]
    return (
        alt.Chart(df, height=height)
        .mark_line(interpolate="linear")
        .encode(
            x=alt.X("date:T", title=None, axis=alt.Axis(format="%Y-%m-%d", labelOverlap=True, tickCount=4)),
            y=alt.Y(f"{value}:Q", title=title, scale=scale),
            color=_ticker_color(order, legend),
            strokeWidth=alt.condition(alt.datum.ticker == subject, alt.value(3), alt.value(1.4)),
            strokeDash=alt.condition(alt.datum.is_benchmark, alt.value([5, 3]), alt.value([1, 0])),
            tooltip=_market_tooltip(value, title, fmt),
        )
    )


MILESTONE_COLOR = "#555"
MILESTONE_SHAPES = ["triangle-down", "circle", "square", "diamond", "cross", "triangle-up"]


def milestone_marks(milestones: pd.DataFrame) -> alt.LayerChart:
    """Grey rules at each milestone's date with a marker on top; the marker's shape = watch indicator."""
    tooltip = [
        alt.Tooltip("date_label:N", title="Date"),
        alt.Tooltip("title:N", title="Milestone"),
        alt.Tooltip("indicator_name:N", title="Watch indicator"),
        alt.Tooltip("category:N", title="Category"),
        alt.Tooltip("source_url:N", title="Source"),
    ]
    base = alt.Chart(milestones).encode(x=alt.X("date:T"), tooltip=tooltip)
    rules = base.mark_rule(strokeWidth=1.2, opacity=0.45, color=MILESTONE_COLOR).encode(
        strokeDash=alt.condition(alt.datum.date_precision == "day", alt.value([1, 0]), alt.value([4, 3])))
    marks = base.mark_point(size=90, filled=True, opacity=0.9, color=MILESTONE_COLOR).encode(
        y=alt.value(7),
        shape=alt.Shape("indicator_name:N", title="Milestones", scale=alt.Scale(range=MILESTONE_SHAPES),
                        legend=_legend("bottom", 1)))
    return alt.layer(rules, marks)


def market_performance(perf: pd.DataFrame, milestones: pd.DataFrame, subject: str, order: list[str],
                       base_label: str, log: bool = False) -> alt.LayerChart:
    """Adjusted close rebased to 100, one line per ticker, with milestone markers (log scale optional)."""
    title = "Adjusted close, rebased (100 = base day" + (", log scale)" if log else ")")
    # the plot keeps MARKET_HEIGHT: add the legends' rows (tickers above, milestone kinds below)
    rows = -(-len(order) // TICKER_LEGEND_COLUMNS) + (milestones["indicator_name"].nunique() + 1
                                                       if not milestones.empty else 0)
    lines = _lines(perf, "rebased", title, ".1f", order, subject, log=log,
                   height=MARKET_HEIGHT + LEGEND_ROW_PX * rows, extra=("return_since_base_pct", "close")).encode(
        tooltip=[*_market_tooltip("rebased", "Rebased (100 = base day)", ".1f"),
                 alt.Tooltip("return_since_base_pct:Q", title="Since base day (%)", format="+.1f"),
                 alt.Tooltip("close:Q", title="Close as delivered (USD)", format=",.2f")])
    hundred = alt.Chart(pd.DataFrame({"y": [100.0], "label": [f"100 = {base_label}"]})).mark_rule(
        color="#888", strokeDash=[2, 2]).encode(y="y:Q", tooltip=[alt.Tooltip("label:N", title="Base")])
    layers = [hundred, lines]
    if not milestones.empty:
        layers.append(milestone_marks(milestones))
    return alt.layer(*layers)


def market_drawdown(perf: pd.DataFrame, subject: str, order: list[str]) -> alt.Chart:
    """Drawdown from the highest adjusted close since the window start, %."""
    return _lines(perf, "drawdown_pct", "Drawdown from peak in window (%)", ".1f", order, subject,
                  height=240, legend=False)


def market_rolling(perf: pd.DataFrame, value: str, title: str, subject: str, order: list[str]) -> alt.Chart:
    """Rolling 60-day correlation or beta against the benchmark, one line per ticker."""
    # the first 59 trading days of a window have no 60-day figure yet: nothing to draw there
    return _lines(perf.dropna(subset=[value]), value, title, ".2f", order, subject, height=240, legend=False)


# --- event study ---
# Cumulative abnormal returns (aiwatch.events): one row per milestone, a dot per window; a
# confounded (event, window) is hollow, a significant one (p < 0.05) large; the chosen window
# is drawn solid, the others faded.

EVENT_WINDOW_COLORS = ["#1f6fb4", "#d9822b", "#2a9d8f", "#8e5cc0"]
EVENT_ROW_PX = 38  # per milestone: its label on one line, its dots below (readable at phone width)


def _event_label(df: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(df["milestone_date"]).dt.strftime("%Y-%m-%d") + " · " + df["title"]


def event_car_dots(rows: pd.DataFrame, window: str, windows: list[str], subject: str,
                   benchmark: str) -> alt.LayerChart:
    """CAR (%) by event and window: one line per milestone, one dot per window.

    ``rows``: aiwatch.events.study rows with a CAR (milestone_date, title, window, car_pct, t_stat,
    p_value, confounded, significant, confounders, indicator_name, source_url)."""
    df = rows.assign(event=_event_label(rows), chosen=rows["window"] == window,
                     fill_kind=rows["confounded"].map({True: "confounded (hollow)", False: "not confounded"}))
    order = df.sort_values(["milestone_date", "milestone_id"])["event"].drop_duplicates().tolist()
    tooltip = [
        alt.Tooltip("title:N", title="Milestone"),
        alt.Tooltip("milestone_date:T", title="Date", format="%Y-%m-%d"),
        alt.Tooltip("day0:T", title="Day 0", format="%Y-%m-%d"),
        alt.Tooltip("window:N", title="Window (trading days)"),
        alt.Tooltip("car_pct:Q", title="CAR (%)", format="+.2f"),
        alt.Tooltip("t_stat:Q", title="t", format=".2f"),
        alt.Tooltip("p_value:Q", title="p", format=".3f"),
        alt.Tooltip("confounders:N", title="Confounded by"),
        alt.Tooltip("indicator_name:N", title="Watch indicator"),
        alt.Tooltip("source_url:N", title="Source"),
    ]
    color = alt.Color("window:N", title="Window", sort=windows,
                      scale=alt.Scale(domain=windows, range=EVENT_WINDOW_COLORS[:len(windows)]),
                      legend=alt.Legend(orient="top", direction="horizontal", labelLimit=0))
    # The milestone's label is a text mark above its dots, not an axis label: a long title would
    # otherwise squeeze the plot to nothing on a phone. It is cut at the chart's width.
    y = alt.Y("event:N", sort=order, title=None, axis=alt.Axis(labels=False, ticks=False, domain=False,
                                                                 grid=True, gridDash=[2, 3], gridOpacity=0.5))
    base = alt.Chart(df, height=alt.Step(EVENT_ROW_PX)).encode(
        y=y,
        yOffset=alt.value(7),
        x=alt.X("car_pct:Q", title=f"CAR vs {benchmark} (%)"),
        color=color,
        size=alt.condition(alt.datum.significant, alt.value(150), alt.value(45)),
        opacity=alt.condition(alt.datum.chosen, alt.value(1.0), alt.value(0.35)),
        tooltip=tooltip,
    )
    labels = alt.Chart(df.drop_duplicates("event")).mark_text(
        align="left", baseline="middle", dy=-9, fontSize=11, color="#333", limit=alt.expr("width")
    ).encode(y=y, x=alt.value(0), text="event:N", tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#888").encode(x="x:Q")
    solid = base.transform_filter(~alt.datum.confounded).mark_point(filled=True, strokeWidth=0)
    hollow = base.transform_filter(alt.datum.confounded).mark_point(filled=False, strokeWidth=2)
    return alt.layer(zero, labels, solid, hollow)


def event_car_path(path: pd.DataFrame, subject: str) -> alt.LayerChart:
    """CAR cumulated from day -10, day by day to +10, with the 95% band under no abnormal return
    (+-1.96 sigma sqrt(k)). ``path``: aiwatch.events.car_path."""
    df = path.assign(lower_pct=-path["band_pct"], upper_pct=path["band_pct"])
    x = alt.X("day:Q", title="Trading day relative to day 0", scale=alt.Scale(domain=[-10, 10], nice=False),
              axis=alt.Axis(values=list(range(-10, 11, 2)), format="+d"))
    tooltip = [
        alt.Tooltip("day:Q", title="Day", format="+d"),
        alt.Tooltip("date:T", title="Date", format="%Y-%m-%d"),
        alt.Tooltip("ar_pct:Q", title="Abnormal return (%)", format="+.2f"),
        alt.Tooltip("car_pct:Q", title="CAR from day -10 (%)", format="+.2f"),
        alt.Tooltip("band_pct:Q", title="95% band (±%)", format=".2f"),
    ]
    base = alt.Chart(df, height=280).encode(x=x, tooltip=tooltip)
    band = base.mark_area(opacity=0.18, color="#888").encode(
        y=alt.Y("lower_pct:Q", title=f"{subject} CAR from day -10 (%)"), y2="upper_pct:Q")
    line = base.mark_line(point=True, color="#1f6fb4", strokeWidth=2.5).encode(y="car_pct:Q")
    day0 = alt.Chart(pd.DataFrame({"day": [0]})).mark_rule(color="#555", strokeDash=[4, 3]).encode(x="day:Q")
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888").encode(y="y:Q")
    return alt.layer(band, zero, day0, line)


# --- indicators ---
# Charts of the watch-indicator pages. Evidence is told apart on every chart: a measurement
# (a leaderboard standing) is a filled mark, a claim (a company statement or a press report)
# a hollow one; dated events are grey rules with a marker, so series and events never blur.
# Streamlit fits a chart into its height, axes and legends included, so a chart with one row per
# item gets a height of rows x step plus room for the axis and the legend (CHROME_PX).
CHROME_PX = 130

EVIDENCE_COLORS = {
    "measurement": "#1f6fb4",
    "company statement": "#d9822b",
    "press report": "#8e5cc0",
    "announcement": "#4d4d4d",
    "milestone": "#4d4d4d",
    "availability figure": "#2a9d8f",
}
ROLE_COLORS = {"subject": "#1f6fb4", "rival": "#d9822b", "other": "#9a9a9a"}
EVENT_COLOR = "#777777"


def _evidence_color(field: str, values: list[str], title: str | None = "Evidence") -> alt.Color:
    domain = [v for v in EVIDENCE_COLORS if v in values]
    return alt.Color(f"{field}:N", title=title,
                     scale=alt.Scale(domain=domain, range=[EVIDENCE_COLORS[v] for v in domain]),
                     legend=_legend("top", 2))


def _hollow_fill(kinds: list[str]) -> dict:
    """Fill in the evidence colour, except white (a hollow mark) where ``hollow`` is true."""
    domain = [v for v in EVIDENCE_COLORS if v in kinds]
    return alt.condition("datum.hollow", alt.value("white"),
                         alt.Fill("kind:N", legend=None,
                                  scale=alt.Scale(domain=domain, range=[EVIDENCE_COLORS[v] for v in domain])))


def _event_tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("date_label:N", title="Date"),
        alt.Tooltip("title:N", title="Event"),
        alt.Tooltip("kind:N", title="Kind"),
        alt.Tooltip("source_url:N", title="Source"),
    ]


ROW_PX = 56  # one row of an event or standing chart: its title (up to two lines) above the marks


def _row_titles(texts) -> list[str]:
    return ["\n".join(wrap_title(t)) for t in texts]


def _row_y(field: str, order: list[str], at: float = 0.72) -> alt.Y:
    """One band per row, no axis: the marks sit low in the band, the row's title above them."""
    return alt.Y(f"{field}:N", sort=order, title=None, axis=None, bandPosition=at,
                 scale=alt.Scale(type="band", paddingInner=0, paddingOuter=0))


def _titles_above_rows(base: alt.Chart, field: str, order: list[str]) -> alt.Chart:
    """Each row's title (one or two lines) at the top of its band, across the whole plot width."""
    return base.mark_text(align="left", baseline="top", dy=3, fontSize=11, color="#333", lineBreak="\n",
                          lineHeight=13).encode(x=alt.value(0), y=_row_y(field, order, at=0),
                                                text=alt.Text("row_title:N"))


def event_timeline(df: pd.DataFrame) -> alt.LayerChart:
    """Dated events, one row each in date order, x = date; each row titled "date · title" above it.

    Expects date, date_label, title, kind, source_url (category optional, shown on hover).
    Colour says the kind of evidence; press reports are hollow, announcements filled.
    """
    data = df.sort_values("date").copy()
    if "category" not in data:
        data["category"] = None
    data["hollow"] = data["kind"] == "press report"
    data["row_title"] = _row_titles(f"{d} · {t}" for d, t in zip(data["date_label"], data["title"]))
    order = list(dict.fromkeys(data["title"]))
    kinds = list(data["kind"].unique())
    base = alt.Chart(data, height=CHROME_PX + ROW_PX * len(order)).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelOverlap=True, grid=True, tickCount=5)),
        y=_row_y("title", order),
        tooltip=_event_tooltip() + [alt.Tooltip("category:N", title="Category")],
    )
    points = base.mark_point(size=150, strokeWidth=2.5, filled=False, opacity=1).encode(
        color=_evidence_color("kind", kinds, title="Kind"),
        fill=_hollow_fill(kinds),
    )
    return alt.layer(points, _titles_above_rows(base, "title", order))


def series_with_events(series: pd.DataFrame, events: pd.DataFrame, value_title: str,
                       fmt: str = ",.1f", height: int = HEIGHT) -> alt.LayerChart:
    """Lines per series (``label``) over time, with dated events as grey rules and markers on top.

    series: period_end, quarter_label, label, value, reported_at, source_url (qualifier optional);
    events: date, date_label, title, kind, source_url (may be empty).
    """
    data = series.copy()
    if "qualifier" not in data:
        data["qualifier"] = None
    # Streamlit keeps the whole chart at its height, so a long bottom legend would squeeze the plot
    height += 22 * data["label"].nunique()
    x = alt.X("period_end:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", labelOverlap=True),
              scale=alt.Scale(padding=8))  # the first and last points whole, not cut by the edge
    lines = alt.Chart(data, height=height).mark_line(point=alt.OverlayMarkDef(size=60, filled=True)).encode(
        x=x,
        y=alt.Y("value:Q", title=value_title),
        color=alt.Color("label:N", title=None, legend=_legend()),
        tooltip=[
            alt.Tooltip("quarter_label:N", title="Period"),
            alt.Tooltip("label:N", title="Measure"),
            alt.Tooltip("value:Q", title=value_title, format=fmt),
            alt.Tooltip("qualifier:N", title="As stated"),
            alt.Tooltip("reported_at:T", title="Published", format="%Y-%m-%d"),
            alt.Tooltip("source_url:N", title="Source"),
        ],
    )
    if events.empty:
        return alt.layer(lines)
    ev = events.rename(columns={"date": "period_end"})
    rules = alt.Chart(ev).mark_rule(color=EVENT_COLOR, strokeDash=[4, 3], opacity=0.7).encode(
        x=x, tooltip=_event_tooltip())
    markers = alt.Chart(ev).mark_point(shape="triangle-down", size=110, filled=True, color=EVENT_COLOR).encode(
        x=x, y=alt.value(6), tooltip=_event_tooltip())
    return alt.layer(rules, markers, lines)


def leaderboard_standings(df: pd.DataFrame) -> alt.LayerChart:
    """Measured ranks as lollipops: one row per model and board (titled above it), x = rank (1 = best,
    on the left).

    Expects model, vendor, board, rank, value, observed_at, role (subject | rival | other),
    source_url, note. Filled marks: these are measurements, not claims.
    """
    data = df.dropna(subset=["rank"]).copy()
    data["standing"] = data["board"] + " · " + data["model"] + " (" + data["vendor"] + ")"
    order = data.sort_values(["board", "rank"])["standing"].tolist()
    data["rank_text"] = "#" + data["rank"].astype(int).astype(str)
    data["zero"] = 0
    data["row_title"] = _row_titles(data["standing"])
    roles = [r for r in ROLE_COLORS if r in set(data["role"])]
    color = alt.Color("role:N", title="Standing", legend=_legend("top", 3),
                      scale=alt.Scale(domain=roles, range=[ROLE_COLORS[r] for r in roles]))
    base = alt.Chart(data, height=CHROME_PX + ROW_PX * len(order)).encode(
        y=_row_y("standing", order),
        x=alt.X("rank:Q", title="Rank on the board (1 = best)", scale=alt.Scale(domainMin=0, nice=True)),
        tooltip=[
            alt.Tooltip("model:N", title="Model"),
            alt.Tooltip("vendor:N", title="Vendor"),
            alt.Tooltip("board:N", title="Board"),
            alt.Tooltip("rank:Q", title="Rank"),
            alt.Tooltip("value:Q", title="Score"),
            alt.Tooltip("observed_at:T", title="Observed", format="%Y-%m-%d"),
            alt.Tooltip("role:N", title="Role"),
            alt.Tooltip("note:N", title="Note"),
            alt.Tooltip("source_url:N", title="Source"),
        ],
    )
    stems = base.mark_rule(strokeWidth=3, opacity=0.4).encode(x2="zero:Q", color=color)
    dots = base.mark_point(size=180, filled=True, opacity=1).encode(color=color)
    labels = base.mark_text(align="left", dx=12, fontSize=12).encode(text=alt.Text("rank_text:N"))
    return alt.layer(stems, dots, labels, _titles_above_rows(base, "standing", order))


def stage_path(df: pd.DataFrame, stages: list[str]) -> alt.LayerChart:
    """A track's stages over time (reported → preview → available), furthest stage on top.

    Expects date, date_label, stage, title, kind, stage_note, source_url; ``stages`` in order.
    """
    data = df.copy()
    data["hollow"] = data["kind"] == "press report"
    base = alt.Chart(data, height=CHROME_PX + 50 * len(stages)).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelOverlap=True)),
        y=alt.Y("stage:N", sort=list(reversed(stages)), title="Stage",
                scale=alt.Scale(domain=list(reversed(stages)))),
        tooltip=_event_tooltip() + [alt.Tooltip("stage:N", title="Stage"),
                                    alt.Tooltip("stage_note:N", title="Why this stage")],
    )
    line = base.mark_line(interpolate="step-after", color=EVIDENCE_COLORS["measurement"], opacity=0.5).encode(
        order="date:T")
    points = base.mark_point(size=170, strokeWidth=2.5, filled=False, opacity=1).encode(
        color=_evidence_color("kind", list(data["kind"].unique()), title="Kind"),
        fill=_hollow_fill(list(data["kind"].unique())))
    labels = base.mark_text(align="left", dx=10, dy=-12, fontSize=11, color="#333").encode(text="date_label:N")
    return alt.layer(line, points, labels)


def cumulative_events(df: pd.DataFrame, value_title: str, color: str = "grouping") -> alt.LayerChart:
    """A running count of dated events (e.g. other vendors' models adopted), one step per event.

    Expects date, date_label, title, evidence, source_url, models_so_far and the colour column.
    """
    tooltip = [
        alt.Tooltip("date_label:N", title="Date"),
        alt.Tooltip("title:N", title="Event"),
        alt.Tooltip("evidence:N", title="Evidence"),
        alt.Tooltip("models_so_far:Q", title=value_title),
        alt.Tooltip("source_url:N", title="Source"),
    ]
    data = df.copy()
    data["short_title"] = [t if len(t) <= 38 else t[:36] + "…" for t in data["title"]]
    dates = pd.to_datetime(data["date"])
    data["early"] = dates <= dates.min() + (dates.max() - dates.min()) / 2
    base = alt.Chart(data, height=HEIGHT).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", labelOverlap=True),
                scale=alt.Scale(padding=14)),
        y=alt.Y("models_so_far:Q", title=value_title, axis=alt.Axis(tickMinStep=1),
                scale=alt.Scale(domainMax=int(data["models_so_far"].max()) + 1)),
        tooltip=tooltip,
    )
    line = base.mark_line(interpolate="step-after", color=EVENT_COLOR).encode(order="date:T")
    points = base.mark_point(size=120, filled=True).encode(
        color=alt.Color(f"{color}:N", title=None, legend=_legend("top", 2)))
    # labels point inwards: right of the early events, left of the late ones, so none is cut off
    early, late = base.transform_filter(alt.datum.early), base.transform_filter(~alt.datum.early)
    labels_right = early.mark_text(align="left", dx=9, dy=-9, fontSize=11, color="#333").encode(
        text=alt.Text("short_title:N"))
    labels_left = late.mark_text(align="right", dx=-9, dy=-9, fontSize=11, color="#333").encode(
        text=alt.Text("short_title:N"))
    return alt.layer(line, points, labels_right, labels_left)


def bars_with_share(bars: pd.DataFrame, share: pd.DataFrame, value_title: str,
                    share_label: str = "") -> alt.LayerChart:
    """Bars of one KPI per quarter, labelled with a second KPI's share (%) where it is known.

    Both frames are kpi_series rows; the share is matched on period_end and never filled in.
    """
    data = bars.merge(share[["period_end", "value", "source_url"]].rename(
        columns={"value": "share_pct", "source_url": "share_source_url"}), on="period_end", how="left")
    data["share_text"] = [f"{v:.0f}% {share_label}".strip() if pd.notna(v) else "" for v in data["share_pct"]]
    tooltip = _kpi_tooltip(value_title, ",.0f") + [
        alt.Tooltip("share_pct:Q", title="Share (%)", format=".0f"),
        alt.Tooltip("share_source_url:N", title="Share source"),
    ]
    base = alt.Chart(data, height=HEIGHT).encode(
        x=_quarter_x(_order(data)),
        y=alt.Y("value:Q", title=value_title),
        tooltip=tooltip,
    )
    return alt.layer(base.mark_bar(color=EVIDENCE_COLORS["measurement"], opacity=0.8),
                     base.mark_text(dy=-8, fontSize=12).encode(text="share_text:N"))
