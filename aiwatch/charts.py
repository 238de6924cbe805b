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
