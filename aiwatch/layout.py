"""Page layouts as data: the section kinds a page of data/page_section.csv may use.

Each row of data/page_section.csv is one section of a page: ``page`` (a watch indicator id
from data/indicator.csv, or one of the fixed pages ``overview`` / ``financials``),
``sort_order`` (top to bottom), ``beside`` (true: in a column beside the section before it),
``kind`` (one of
``KINDS``), ``refs`` (what it shows: ``type:value`` items separated by ``|``), ``title``,
``caption`` and ``options`` (``name=value`` pairs separated by ``;``).

This module is pure (no Streamlit): it declares each kind (its refs and options) and checks
every row against the rest of data/, naming file, line and column, so a section that refers
to an unknown KPI is an error at build time, never a card that silently disappears. How a
kind is drawn is in aiwatch/ui/sections.py (one render function per kind).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

FIXED_PAGES = ("overview", "financials")   # fixed pages whose sections data/page_section.csv lists
RESERVED_PATHS = frozenset({"overview", "financials", "market", "data"})  # URL paths of the fixed pages


@dataclass(frozen=True)
class Kind:
    """A section kind: what it is, which ref types it takes (and how many), which options."""

    name: str
    description: str
    refs: tuple[str, ...] = ()            # allowed ref types
    min_refs: int = 0
    max_refs: int | None = None
    options: Mapping[str, str] = field(default_factory=dict)   # option -> what it is
    indicator_only: bool = False          # needs the page's own watch indicator


CHART_OPTIONS = {"y": "the value axis title", "fmt": "a d3 number format for tooltips (e.g. +.1f)"}

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("heading", "a sub-heading (title) with an optional caption"),
    Kind("cards", "a grid of metric cards",
         refs=("kpi", "segment_revenue", "segment_share", "stage_count", "stage_latest", "stage_current",
               "leaderboard_best", "market_ytd"), min_refs=1,
         options={"columns": "cards per row (1-6)"}),
    Kind("segment_glance", "one sentence on a segment's latest quarter against the company",
         refs=("segment",), min_refs=1, max_refs=1),
    Kind("segment_basis", "the segment-definitions control (as first reported / today's definitions)",
         options={"key": "the URL parameter it is kept in", "default": "as_reported or recast"}),
    Kind("segment_vs_company", "a segment's growth against the company's, and its share of revenue",
         refs=("segment",), min_refs=1, max_refs=1,
         options={"as_reported_caption": "the caption when the view is as first reported"}),
    Kind("scorecard", "the scorecard rules of this page's watch indicator", indicator_only=True),
    Kind("milestone_timeline", "milestones on a timeline, coloured by kind of evidence",
         refs=("track", "category", "indicator"),
         options={"this_indicator": "1: only this page's watch indicator"}),
    Kind("leaderboard", "measured leaderboard standings against the best rival (the page's rank-gap rule)",
         indicator_only=True),
    Kind("claims", "the indicator's company statements and press reports (also of the tracks named), "
         "labelled as claims", refs=("track",), indicator_only=True),
    Kind("stage_path", "the stages a track of milestones has reached", refs=("track",), min_refs=1, max_refs=1),
    Kind("kpi_series", "KPI series over time, with this indicator's milestones marked",
         refs=("kpi",), min_refs=1, options={**CHART_OPTIONS, "badge": "an evidence kind shown before the title"}),
    Kind("kpi_points", "a KPI as labelled points (as stated, with its qualifier)", refs=("kpi",),
         min_refs=1, max_refs=1, options={**CHART_OPTIONS, "prefix": "before each value", "suffix": "after it"}),
    Kind("kpi_bars", "a KPI as bars per quarter", refs=("kpi",), min_refs=1, max_refs=1, options=CHART_OPTIONS),
    Kind("growth_contribution", "a growth rate and the points of it one driver added (two KPIs: growth, points)",
         refs=("kpi",), min_refs=2, max_refs=2),
    Kind("bars_with_share", "a KPI as bars, labelled with the share another KPI gives (two KPIs: bars, share)",
         refs=("kpi",), min_refs=2, max_refs=2, options={**CHART_OPTIONS, "share_label": "what the share is of"}),
    Kind("adoption", "milestones of some categories and availability KPIs, as a timeline or a running count",
         refs=("category", "kpi"), min_refs=1,
         options={"chart": "timeline or cumulative", **CHART_OPTIONS}),
)}


@dataclass(frozen=True)
class Ref:
    type: str
    value: str
    label: str = ""   # what a card is called, where the data gives no label of its own


def parse_refs(text: object) -> list[Ref]:
    """``kpi:a|stage_count:t/s=Releases|market_ytd`` ->
    [Ref('kpi','a'), Ref('stage_count','t/s','Releases'), Ref('market_ytd','')]."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
        return []
    out = []
    for item in str(text).split("|"):
        item, _, label = item.partition("=")
        kind, _, value = item.strip().partition(":")
        out.append(Ref(kind.strip(), value.strip(), label.strip()))
    return out


def parse_options(text: object) -> dict[str, str]:
    """``y=USD bn;fmt=,.1f`` -> {'y': 'USD bn', 'fmt': ',.1f'} (a bare name means '1')."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
        return {}
    out = {}
    for item in str(text).split(";"):
        if item.strip():
            name, sep, value = item.partition("=")
            out[name.strip()] = value.strip() if sep else "1"
    return out


def refs_of(refs: list[Ref], kind: str) -> list[str]:
    return [r.value for r in refs if r.type == kind]


def check_sections(sections: pd.DataFrame, frames: Mapping[str, pd.DataFrame], label: str) -> list:
    """Every section names a known page and kind, refs that exist in data/, and known options."""
    from .load import Problem  # load imports this module

    problems: list = []
    indicators = set(frames["indicator"]["indicator"].dropna())
    kpis = set(frames["kpi_catalog"]["kpi_id"].dropna())
    segments = set(frames["segment_revenue"]["segment"].dropna())
    stages = frames["milestone_stage"]
    tracks = set(stages["track"].dropna())
    track_stages = {f"{t}/{s}" for t, s in zip(stages["track"], stages["stage"])}
    categories = set(frames["milestone"]["category"].dropna())
    known = {"kpi": (kpis, "a kpi_id listed in kpi_catalog.csv"),
             "segment": (segments, "a segment named in segment_revenue.csv"),
             "segment_revenue": (segments, "a segment named in segment_revenue.csv"),
             "segment_share": (segments, "a segment named in segment_revenue.csv"),
             "track": (tracks, "a track listed in milestone_stage.csv"),
             "stage_current": (tracks, "a track listed in milestone_stage.csv"),
             "stage_count": (track_stages, "track/stage as listed in milestone_stage.csv"),
             "stage_latest": (track_stages, "track/stage as listed in milestone_stage.csv"),
             "category": (categories, "a category used in milestone.csv"),
             "indicator": (indicators, "a watch indicator from indicator.csv")}
    for _, s in sections.iterrows():
        line, page, kind_name = int(s["_line"]), s["page"], s["kind"]
        if isinstance(page, str) and page not in indicators and page not in FIXED_PAGES:
            problems.append(Problem(label, line, "page", page, "a watch indicator from indicator.csv or one of "
                                    + ", ".join(FIXED_PAGES)))
        kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None:
            if isinstance(kind_name, str):
                problems.append(Problem(label, line, "kind", kind_name, "one of " + ", ".join(KINDS)))
            continue
        if kind.indicator_only and page in FIXED_PAGES:
            problems.append(Problem(label, line, "kind", kind_name, "a kind for a watch-indicator page"))
        refs = parse_refs(s["refs"])
        if len(refs) < kind.min_refs or (kind.max_refs is not None and len(refs) > kind.max_refs):
            want = (f"exactly {kind.min_refs}" if kind.min_refs == kind.max_refs else
                    f"at least {kind.min_refs}" if kind.max_refs is None else
                    f"{kind.min_refs} to {kind.max_refs}")
            problems.append(Problem(label, line, "refs", str(s["refs"]) if refs else "",
                                    f"{want} ref(s) for kind {kind_name}"))
        for r in refs:
            if r.type not in kind.refs:
                problems.append(Problem(label, line, "refs", f"{r.type}:{r.value}",
                                        f"a ref of type {', '.join(kind.refs) or '(none)'} for kind {kind_name}"))
            elif r.type in known and r.value not in known[r.type][0]:
                problems.append(Problem(label, line, "refs", f"{r.type}:{r.value}", known[r.type][1]))
            elif r.type not in known and r.type not in ("leaderboard_best", "market_ytd"):
                problems.append(Problem(label, line, "refs", f"{r.type}:{r.value}", "a known ref type"))
        for name, value in parse_options(s["options"]).items():
            if name not in kind.options:
                problems.append(Problem(label, line, "options", name,
                                        f"an option of kind {kind_name} ({', '.join(kind.options) or 'none'})"))
            elif name == "columns" and not (value.isdigit() and 1 <= int(value) <= 6):
                problems.append(Problem(label, line, "options", f"columns={value}", "a whole number 1-6"))
            elif name == "default" and value not in ("as_reported", "recast"):
                problems.append(Problem(label, line, "options", f"default={value}", "as_reported or recast"))
            elif name == "chart" and value not in ("timeline", "cumulative"):
                problems.append(Problem(label, line, "options", f"chart={value}", "timeline or cumulative"))
    return problems
