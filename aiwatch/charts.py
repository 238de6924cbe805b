"""Altair chart builders: DataFrame in, chart out. Pure functions, no Streamlit.

Every mark carries a tooltip; charts are sized by the page (use_container_width).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

HEIGHT = 300


def _order(df: pd.DataFrame, label: str = "quarter_label", by: str = "period_end") -> list[str]:
    return df.sort_values(by)[label].drop_duplicates().tolist()


def segment_revenue_bars(df: pd.DataFrame) -> alt.Chart:
    """Stacked bars: revenue per fiscal quarter by segment (Total excluded), USD bn."""
    parts = df[df["segment"] != "Total"]
    return (
        alt.Chart(parts, height=HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("quarter_label:O", sort=_order(parts), title="Fiscal quarter"),
            y=alt.Y("revenue_usd_bn:Q", title="Revenue (USD bn)", stack="zero"),
            color=alt.Color("segment:N", title="Segment", legend=alt.Legend(orient="bottom", labelLimit=0, columns=2)),
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
        alt.Chart(data, height=HEIGHT)
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter_label:O", sort=_order(data), title="Fiscal quarter"),
            y=alt.Y("yoy_growth_pct:Q", title="YoY growth (%)"),
            color=alt.Color("segment:N", title="Segment", legend=alt.Legend(orient="bottom", labelLimit=0, columns=2)),
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
        alt.Chart(parts, height=HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("quarter_label:O", sort=_order(parts), title="Fiscal quarter"),
            y=alt.Y("mix_pct:Q", title="Share of total revenue (%)", stack="zero",
                    scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("segment:N", title="Segment", legend=alt.Legend(orient="bottom", labelLimit=0, columns=2)),
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
        alt.Chart(df, height=HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("quarter_label:O", sort=_order(df), title="Fiscal quarter"),
            y=alt.Y("value:Q", title=value_title),
            color=alt.Color("label:N", title=None,
                            legend=alt.Legend(orient="bottom", labelLimit=0, columns=1)),
            tooltip=_kpi_tooltip(value_title, fmt),
        )
    )


def growth_with_contribution(growth: pd.DataFrame, points: pd.DataFrame) -> alt.Chart:
    """Side-by-side bars per quarter: a growth rate and the points one driver contributed to it."""
    both = pd.concat([growth, points])
    return (
        alt.Chart(both, height=HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("quarter_label:O", sort=_order(both), title="Fiscal quarter"),
            xOffset=alt.XOffset("label:N"),
            y=alt.Y("value:Q", title="Growth / points (%)"),
            color=alt.Color("label:N", title=None,
                            legend=alt.Legend(orient="bottom", labelLimit=0, columns=1)),
            tooltip=_kpi_tooltip("Value (%)", ".0f"),
        )
    )


def kpi_points(df: pd.DataFrame, value_title: str, fmt: str = ",.1f") -> alt.LayerChart:
    """Dots with value labels, for sparse figures such as a run-rate milestone."""
    base = alt.Chart(df, height=HEIGHT).encode(
        x=alt.X("quarter_label:O", sort=_order(df), title="Fiscal quarter"),
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


def _ticker_color(order: list[str], legend: bool = True) -> alt.Color:
    return alt.Color("ticker:N", title="Ticker", sort=order, scale=alt.Scale(scheme="tableau10"),
                     legend=alt.Legend(orient="right", labelLimit=0) if legend else None)


def _market_tooltip(value: str, title: str, fmt: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("ticker:N", title="Ticker"),
        alt.Tooltip("date:T", title="Date", format="%Y-%m-%d"),
        alt.Tooltip(f"{value}:Q", title=title, format=fmt),
        alt.Tooltip("adj_close:Q", title="Adjusted close (USD)", format=",.2f"),
    ]


def _lines(df: pd.DataFrame, value: str, title: str, fmt: str, order: list[str], subject: str,
           height: int = MARKET_HEIGHT, legend: bool = True, log: bool = False) -> alt.Chart:
    """One line per ticker; the subject thick, the benchmark (``is_benchmark``) dashed."""
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    return (
        alt.Chart(df, height=height)
        .mark_line(interpolate="linear")
        .encode(
            x=alt.X("date:T", title=None, axis=alt.Axis(format="%Y-%m-%d", labelOverlap=True)),
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
                        legend=alt.Legend(orient="right", labelLimit=0)))
    return alt.layer(rules, marks)


def market_performance(perf: pd.DataFrame, milestones: pd.DataFrame, subject: str, order: list[str],
                       base_label: str, log: bool = False) -> alt.LayerChart:
    """Adjusted close rebased to 100, one line per ticker, with milestone markers (log scale optional)."""
    title = "Adjusted close, rebased (100 = base day" + (", log scale)" if log else ")")
    lines = _lines(perf, "rebased", title, ".1f", order, subject, log=log).encode(
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
    return _lines(perf, value, title, ".2f", order, subject, height=240, legend=False)


EVENT_WINDOWS = {"excess_m1_p1_pct": "days [-1, +1]", "excess_0_p5_pct": "days [0, +5]"}


def event_study_bars(events: pd.DataFrame, subject: str, benchmark: str) -> alt.Chart:
    """Horizontal bars: subject minus benchmark return around each milestone, per window (pp)."""
    df = events.assign(event=events["date"].astype("datetime64[s]").dt.strftime("%Y-%m-%d")
                       + " · " + events["title"])
    long = df.melt(id_vars=["event", "date", "day0_date", "title", "indicator_name", "source_url",
                            "subject_m1_p1_pct", "benchmark_m1_p1_pct", "subject_0_p5_pct",
                            "benchmark_0_p5_pct"],
                   value_vars=list(EVENT_WINDOWS), var_name="window", value_name="excess_pct")
    long["window"] = long["window"].map(EVENT_WINDOWS)
    long = long.dropna(subset=["excess_pct"])
    order = df.sort_values("date")["event"].tolist()
    return (
        alt.Chart(long, height=alt.Step(16))  # 16 px per bar, 2 bars per milestone, whatever their number
        .mark_bar()
        .encode(
            y=alt.Y("event:N", sort=order, title=None, axis=alt.Axis(labelLimit=420)),
            yOffset=alt.YOffset("window:N", sort=list(EVENT_WINDOWS.values())),
            x=alt.X("excess_pct:Q", title=f"{subject} minus {benchmark} return (percentage points)"),
            color=alt.Color("window:N", title="Trading days around day 0",
                            sort=list(EVENT_WINDOWS.values()), legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("title:N", title="Milestone"),
                alt.Tooltip("date:T", title="Date", format="%Y-%m-%d"),
                alt.Tooltip("day0_date:T", title="Day 0", format="%Y-%m-%d"),
                alt.Tooltip("window:N", title="Window"),
                alt.Tooltip("excess_pct:Q", title=f"{subject} − {benchmark} (pp)", format="+.2f"),
                alt.Tooltip("subject_m1_p1_pct:Q", title=f"{subject} [-1,+1] (%)", format="+.2f"),
                alt.Tooltip("benchmark_m1_p1_pct:Q", title=f"{benchmark} [-1,+1] (%)", format="+.2f"),
                alt.Tooltip("subject_0_p5_pct:Q", title=f"{subject} [0,+5] (%)", format="+.2f"),
                alt.Tooltip("benchmark_0_p5_pct:Q", title=f"{benchmark} [0,+5] (%)", format="+.2f"),
                alt.Tooltip("indicator_name:N", title="Watch indicator"),
                alt.Tooltip("source_url:N", title="Source"),
            ],
        )
    )
