"""Drawing the sections of data/page_section.csv: one render function per kind (aiwatch/layout.py).

A page is its rows of data/page_section.csv, top to bottom; a row with ``beside`` = true goes
in a column beside the one before it. Each section draws itself inside a ``st.cache_data``
function keyed on the store (location, identity), the section and the view (as-of date,
indicator, segment basis): a rerun with the same view replays the section's elements instead
of querying and building Altair charts again, and a rerun to a new view rebuilds only the
sections whose key changed. Widgets cannot be replayed, so the one widget kind
(``segment_basis``) and the "Data and sources" tables with their download buttons are drawn
outside the cache.

Every data string reaches Streamlit through aiwatch.text (escaped; links only from safe URLs).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from .. import charts
from ..indicators import (
    EVIDENCE_BADGES,
    SCORECARD_COLUMNS,
    SCORECARD_LABELS,
    day,
    metric_args,
    not_disclosed_args,
    scorecard_inputs,
    table,
)
from ..layout import Ref, parse_options, parse_refs, refs_of
from ..text import esc, source_link
from .data import LATEST, query, store_key
from .widgets import chart, download, empty_state, scorecard_box, sources_table, tables_expander

BASIS_LABELS = {"recast": "Today's segment definitions", "as_reported": "As first reported"}
TOTAL = "Total"  # the segment row that holds the company's total (data/segment_revenue.csv)
SOURCES_OPEN = "sources_open"   # the "Data and sources" expander's state (one per page)
KPI_SERIES_COLUMNS = ["label", "quarter_label", "period_end", "value", "unit", "qualifier", "reported_at", "note",
                      "source_url"]


@dataclass(frozen=True)
class Section:
    """One row of data/page_section.csv, parsed (hashable: it keys the section's cache)."""

    page: str
    sort_order: int
    beside: bool
    kind: str
    refs: tuple[Ref, ...]
    title: str
    caption: str
    options: tuple[tuple[str, str], ...]

    @property
    def key(self) -> tuple:
        """Plain values to key caches on (hashing a tuple of strings is cheap; a dataclass is not)."""
        return (self.page, self.sort_order, self.beside, self.kind,
                tuple((r.type, r.value, r.label) for r in self.refs), self.title, self.caption, self.options)

    def option(self, name: str, default: str = "") -> str:
        return dict(self.options).get(name, default)

    def refs_of(self, kind: str) -> list[str]:
        return refs_of(list(self.refs), kind)


@dataclass(frozen=True)
class View:
    """What a page shows: the as-of date, its watch indicator, the segment basis chosen."""

    as_of: date
    indicator: str | None = None
    basis: str = "as_reported"
    indicators: tuple[str, ...] = ()   # the Overview's chosen indicators

    @property
    def key(self) -> tuple:
        return (self.as_of.isoformat(), self.indicator, self.basis, self.indicators)


@dataclass
class Source:
    """A table for the page's "Data and sources" expander (``key``: what its drawing is cached on)."""

    title: str
    df: pd.DataFrame
    columns: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    key: str = ""


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def sections_for(page: str) -> list[Section]:
    return _sections(*store_key(), page)


@st.cache_resource(max_entries=64, show_spinner=False)
def _sections(db: str, ident, page: str) -> list[Section]:
    rows = query("page_sections", page=page)
    return [Section(r["page"], int(r["sort_order"]), bool(r["beside"]), r["kind"], tuple(parse_refs(r["refs"])),
                    _text(r["title"]), _text(r["caption"]), tuple(parse_options(r["options"]).items()))
            for _, r in rows.iterrows()]


def render_page(page: str, view: View) -> list[Source]:
    """Draw every section of ``page``; returns the tables behind them for "Data and sources"."""
    sources: list[Source] = []
    rows: list[list[Section]] = []
    sections = sections_for(page)
    if not sections:
        empty_state("no sections are laid out for this page.",
                    "Add its rows to data/page_section.csv (see data/README.md) and run `python -m aiwatch build`.")
    for s in sections:
        if s.beside and rows:
            rows[-1].append(s)
        else:
            rows.append([s])
    for row in rows:
        slots = st.columns(len(row), gap="large") if len(row) > 1 else [st.container()]
        for slot, section in zip(slots, row):
            with slot:
                if section.kind == "segment_basis":
                    view = replace(view, basis=segment_basis(section))
                    continue
                key = _digest(section.key, view.key, len(row) > 1)
                drawn = _draw(*store_key(), key, _section=section, _view=view, _beside=len(row) > 1)
                sources += [replace(src, key=f"{key}:{i}") for i, src in enumerate(drawn)]
    return sources


def sources_expander(sources: list[Source], key: str) -> None:
    """Every table behind the page, with its sources, each with a formula-safe CSV download."""
    shown = [s for s in sources if not s.df.empty]
    if not shown:
        return
    box = tables_expander("Data and sources", key=SOURCES_OPEN)
    if box is None:
        return
    with box:
        for i, s in enumerate(shown):
            if s.key:
                shown_df = _source_table(*store_key(), s.key, _source=s)
            else:
                shown_df = _show_table(s)
            download(shown_df, f"{key}_{i}.csv", key=f"dl_{key}_{i}")


def _show_table(s: Source) -> pd.DataFrame:
    st.markdown(f"**{esc(s.title)}**")
    return sources_table(table(s.df), [c for c in s.columns if c in s.df.columns], labels=s.labels)


@st.cache_resource(max_entries=512, show_spinner=False)
def _source_table(db: str, ident, key: str, _source: Source) -> pd.DataFrame:
    """A source table's title and dataframe, replayed on a hit (no new Arrow serialisation)."""
    return _show_table(_source)


# cache_resource, not cache_data: the elements are replayed all the same, and the tables behind
# the section come back as they are (never changed afterwards) instead of being unpickled each rerun.
@st.cache_resource(max_entries=256, show_spinner=False)
def _draw(db: str, ident, key: str, *, _section: Section, _view: View, _beside: bool) -> list[Source]:
    """One section's elements (replayed on a cache hit) and the tables behind it.

    Keyed on one digest of the section and the view (``_digest``): Streamlit's own hashing of
    nested arguments costs milliseconds per call, a short string next to nothing."""
    return KIND_RENDERERS[_section.kind](_section, _view, _beside)


def _digest(*parts) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _heading(title: str, beside: bool) -> None:
    if title:
        if beside:
            st.markdown(f"**{esc(title)}**")
        else:
            st.subheader(esc(title))


def _chart(s: Section, view: View, drawn, part: str = "") -> None:
    """A section's chart, with its SVG / PNG links (named after the page, section and date)."""
    what = s.title if "{" not in s.title else " ".join(s.refs_of("kpi")) or s.kind   # "{label}": a template
    chart(drawn, " ".join(x for x in (s.page, what or s.kind, part,
                                      "" if view.as_of == LATEST else f"as-of {view.as_of:%Y-%m-%d}") if x))


def _caption(text: str) -> None:
    if text:
        st.caption(esc(text))


def _events(view: View) -> pd.DataFrame:
    """This indicator's milestones, marked on its charts."""
    if not view.indicator:
        return query("milestones_known", as_of=view.as_of, indicators=[], categories=[], tracks=[]).head(0)
    return query("milestones_known", as_of=view.as_of, indicators=[view.indicator], categories=[],
                 tracks=[]).sort_values("date")


def _rules(view: View) -> pd.DataFrame:
    rules = query("scorecard_rules", as_of=view.as_of)
    return rules[rules["indicator"] == view.indicator]


# --- the kinds ---------------------------------------------------------------------------------

def heading(s: Section, view: View, beside: bool) -> list[Source]:
    _heading(s.title, beside)
    _caption(s.caption)
    return []


def segment_basis(s: Section) -> str:
    """The segment-definitions control, kept in the URL (a widget: drawn outside the cache)."""
    return st.segmented_control(esc(s.title or "Segment definitions"), options=list(BASIS_LABELS),
                                format_func=BASIS_LABELS.get, default=s.option("default", "recast"),
                                required=True, key=s.option("key", "basis"), bind="query-params",
                                help=esc(s.caption) or None)


def _quarters(view: View, segment: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    quarters = query("segment_revenue_quarterly", basis=view.basis, as_of=view.as_of)
    return (quarters[quarters["segment"] == segment].sort_values("period_end"),
            quarters[quarters["segment"] == TOTAL].sort_values("period_end"))


def segment_glance(s: Section, view: View, beside: bool) -> list[Source]:
    seg_name = s.refs_of("segment")[0]
    segment, total = _quarters(view, seg_name)
    if segment.empty:
        empty_state(esc(f"no {seg_name} revenue had been published for this view."))
        return []
    last = segment.iloc[-1]
    company = total[total["period_end"] == last["period_end"]]
    growth = "" if pd.isna(last["yoy_growth_pct"]) else f", {last['yoy_growth_pct']:+.1f}% year over year"
    versus = "" if company.empty or pd.isna(company.iloc[0]["yoy_growth_pct"]) else \
        f" while the company grew {company.iloc[0]['yoy_growth_pct']:+.1f}%"
    share = "" if pd.isna(last["mix_pct"]) else f" ({last['mix_pct']:.1f}% of revenue)"
    st.markdown("**At a glance:** " + esc(f"in {last['quarter_label']} {seg_name} brought in "
                                          f"${last['revenue_usd_bn']:,.1f}bn{share}{growth}{versus}."))
    return []


def _segment_cards(cols, refs: list[Ref], view: View) -> None:
    for col, ref in zip(cols, refs):
        segment, _ = _quarters(view, ref.value)
        label = ref.label or (f"{ref.value} revenue" if ref.type == "segment_revenue"
                              else f"{ref.value} share of revenue")
        if segment.empty:
            col.metric(esc(label), "not disclosed", border=True,
                       help=esc(f"No {ref.value} revenue had been published for this view."))
            continue
        last = segment.iloc[-1]
        if ref.type == "segment_revenue":
            col.metric(esc(label), f"${last['revenue_usd_bn']:,.1f}bn",
                       delta=None if pd.isna(last["yoy_growth_pct"]) else f"{last['yoy_growth_pct']:+.1f}%",
                       delta_description=f"{last['quarter_label']} year over year", border=True,
                       help=esc(f"Published {day(last['reported_at'])}.") + " "
                       + source_link(last["source_url"], "Source", last.get("source_kind")))
            continue
        prior = segment[(segment["fiscal_year"] == last["fiscal_year"] - 1)
                        & (segment["fiscal_quarter"] == last["fiscal_quarter"])]
        share_delta = (None if prior.empty or pd.isna(last["mix_pct"]) or pd.isna(prior.iloc[0]["mix_pct"])
                       else f"{last['mix_pct'] - prior.iloc[0]['mix_pct']:+.1f} pts")
        col.metric(esc(label), "—" if pd.isna(last["mix_pct"]) else f"{last['mix_pct']:.1f}%", delta=share_delta,
                   delta_description=(f"{last['quarter_label']} vs {prior.iloc[0]['quarter_label']}"
                                      if share_delta else last["quarter_label"]),
                   border=True, help=esc(f"{ref.value} revenue divided by total revenue of the same quarter."))


def _stage_cards(col, ref: Ref, view: View) -> None:
    if ref.type == "stage_current":
        path = query("milestones_stage_path", track=ref.value, as_of=view.as_of)
        label = ref.label or f"{ref.value} stage"
        if path.empty:
            col.metric(esc(label), "none yet", border=True,
                       help=esc("No milestone on this track had been published by this date."))
        else:
            last = path.iloc[-1]
            col.metric(esc(label), esc(last["stage"]), border=True,
                       help=esc(f"{last['title']} ({last['date_label']}); path: {last['track_stages']}"))
        return
    track, _, stage = ref.value.partition("/")
    found = query("milestones_known", as_of=view.as_of, indicators=[], categories=[], tracks=[track])
    found = found[found["stages"].fillna("").str.contains(f"{track}: {stage}", regex=False)]
    if ref.type == "stage_count":
        year_ago = min(view.as_of, date.today()) - timedelta(days=365)
        col.metric(esc(ref.label or f"{track} {stage}"), f"{len(found)}", border=True,
                   delta=int((found["known_at"] > pd.Timestamp(year_ago)).sum()),
                   delta_description="in the last 365 days",
                   help=esc(f"Milestones tagged {stage} on the {track} track (data/milestone_stage.csv)."))
        return
    label = ref.label or f"Latest {track} {stage}"
    if found.empty:
        col.metric(esc(label), "none yet", border=True,
                   help=esc(f"No milestone tagged {stage} on the {track} track had been published by this date."))
        return
    last = found.iloc[0]
    rules = _rules(view)
    since = rules[(rules["metric"] == "days_since_stage") & (rules["subject"] == track)]
    col.metric(esc(label), last["date_label"], border=True,
               delta=since.iloc[0]["value_text"] if not since.empty else None, delta_color="off",
               delta_arrow="off", help=esc(last["title"]))


def _gap_rule(view: View) -> tuple[pd.Series | None, str, int]:
    rules = _rules(view)
    gap = rules[rules["metric"] == "leaderboard_rank_gap"]
    if gap.empty:
        return None, "", 0
    return gap.iloc[0], str(gap.iloc[0]["subject"]), int(gap.iloc[0]["window_days"])


def _leaderboard_card(col, ref: Ref, view: View) -> None:
    rule, vendor, window = _gap_rule(view)
    standings = query("leaderboard_vs_subject", as_of=view.as_of, vendor=vendor, window_days=window)
    subject = standings[standings["role"] == "subject"].sort_values(["rank", "observed_at"])
    label = ref.label or f"Best {vendor} leaderboard rank"
    if subject.empty:
        col.metric(esc(label), "no standing", border=True,
                   help=esc(f"No leaderboard standing of a {vendor or 'subject'} model had been published by "
                            "this date."))
        return
    best = subject.iloc[0]
    gap = rule if rule is not None and rule["status"] != "unknown" else None
    col.metric(esc(label), f"#{int(best['rank'])}", border=True,
               delta=None if gap is None else f"{-gap['value']:+g} places",
               delta_description=esc(f"{best['board']}" + ("" if gap is None else " vs the best rival")),
               help=esc(f"{best['model']} on {best['board']}, observed {day(best['observed_at'])}; measured "
                        "by the board, not claimed. "
                        + ("No other vendor's standing near it is stored." if gap is None
                           else f"Best rival: {gap['input_b']} ({day(gap['input_b_date'])}).")
                        + (f" Note: {best['note']}" if isinstance(best["note"], str) else "")))


def _market_cards(cols, view: View) -> pd.DataFrame:
    ytd = query("overview_ytd_vs_index", as_of=view.as_of)
    if ytd.empty:
        cols[0].metric("Year to date vs index", "no prices", border=True,
                       help="No market prices are stored for this date. Run `python -m aiwatch refresh` "
                            "or `python -m aiwatch import-prices FILE`, then build.")
    for col, (_, y) in zip(cols, ytd.iterrows()):
        col.metric(esc(f"{y['ticker']} vs {y['index_ticker']}, year to date"), f"{y['ytd_return_pct']:+.1f}%",
                   delta=f"{y['excess_return_pct_points']:+.1f} pts",
                   delta_description=esc(f"to {day(y['end_date'])}; {y['index_ticker']} "
                                         f"{y['index_ytd_return_pct']:+.1f}%"),
                   help=esc(f"Adjusted closes from {day(y['base_date'])} to {day(y['end_date'])} "
                            f"({y['price_source']}); {y['index_name']} to {day(y['index_end_date'])}."),
                   border=True)
    return ytd


def cards(s: Section, view: View, beside: bool) -> list[Source]:
    refs = list(s.refs)
    kpi_ids = s.refs_of("kpi")
    latest = query("kpi_latest", kpi_ids=kpi_ids, as_of=view.as_of).set_index("kpi_id") if kpi_ids else None
    catalog = query("kpi_catalog", as_of=view.as_of).set_index("kpi_id") if kpi_ids else None
    ytd = query("overview_ytd_vs_index", as_of=view.as_of) if s.refs_of("market_ytd") or any(
        r.type == "market_ytd" for r in refs) else None
    count = sum(max(len(ytd), 1) if r.type == "market_ytd" else 1 for r in refs)
    per_row = int(s.option("columns", "3"))
    cols = [c for _ in range(-(-count // per_row)) for c in st.columns(per_row)]
    i = 0
    for ref in refs:
        if ref.type == "kpi":
            if ref.value in latest.index:
                cols[i].metric(**metric_args(latest.loc[ref.value]), border=True)
            elif ref.value in catalog.index:
                cols[i].metric(**not_disclosed_args(catalog.loc[ref.value, "label"], view.as_of, LATEST), border=True)
            i += 1
        elif ref.type in ("segment_revenue", "segment_share"):
            _segment_cards(cols[i:i + 1], [ref], view)
            i += 1
        elif ref.type in ("stage_count", "stage_latest", "stage_current"):
            _stage_cards(cols[i], ref, view)
            i += 1
        elif ref.type == "leaderboard_best":
            _leaderboard_card(cols[i], ref, view)
            i += 1
        elif ref.type == "market_ytd":
            n = max(len(ytd), 1)
            _market_cards(cols[i:i + n], view)
            i += n
    out = []
    if latest is not None and not latest.empty:
        out.append(Source("Latest figures", latest.reset_index(),
                          ["label", "period_label", "value_text", "delta_text", "prev_period_label", "reported_at",
                           "note", "source_url"]))
    if ytd is not None and not ytd.empty:
        out.append(Source("Year to date vs index", ytd,
                          ["ticker", "ytd_return_pct", "index_ticker", "index_ytd_return_pct",
                           "excess_return_pct_points", "base_date", "end_date", "price_source", "source_url"]))
    return out


def scorecard(s: Section, view: View, beside: bool) -> list[Source]:
    rules = _rules(view)
    scorecard_box(rules)
    if rules.empty:
        return []
    return [Source("Scorecard inputs", scorecard_inputs(rules), SCORECARD_COLUMNS, SCORECARD_LABELS)]


def milestone_timeline(s: Section, view: View, beside: bool) -> list[Source]:
    indicators = s.refs_of("indicator") + ([view.indicator] if s.option("this_indicator") and view.indicator else [])
    milestones = query("milestones_known", as_of=view.as_of, indicators=indicators,
                       categories=s.refs_of("category"), tracks=s.refs_of("track"))
    _heading(s.title, beside)
    if milestones.empty:
        empty_state("no milestone of this kind had been published by this date.")
        return []
    _chart(s, view, charts.event_timeline(milestones))
    _caption(s.caption)
    return [Source(f"Milestones: {s.title}" if s.title else "Milestones", milestones,
                   ["date_label", "category", "kind", "stages", "title", "detail", "source_url"])]


def leaderboard(s: Section, view: View, beside: bool) -> list[Source]:
    _, vendor, window = _gap_rule(view)
    standings = query("leaderboard_vs_subject", as_of=view.as_of, vendor=vendor, window_days=window)
    st.markdown(f"### {EVIDENCE_BADGES['measurement']} {esc(s.title or 'Leaderboard standings')}")
    if standings.empty:
        empty_state("no leaderboard standing had been published by this date.",
                    "Add measured standings to data/leaderboard.csv.")
        return []
    _chart(s, view, charts.leaderboard_standings(standings))
    caption = (f"Ranks measured by public leaderboards. Blue: {vendor}'s models; orange: another vendor's "
               f"standing on the same board observed within {window} days; grey: no {vendor} standing "
               "that close in time, so not compared.") if vendor else \
        "Ranks measured by public leaderboards (no scorecard rule names whose models to compare)."
    _caption(caption)
    subject = standings[standings["role"] == "subject"]
    lonely = subject[~subject["model"].isin(standings.loc[standings["role"] == "rival", "compared_with"])]
    for _, m in lonely.iterrows():
        _caption(f"{m['model']} (#{int(m['rank'])} on {m['board']}, {day(m['observed_at'])}): no other "
                 f"vendor's standing on that board within {window} days is stored, so the gap there is not "
                 "shown rather than guessed.")
    return [Source("Leaderboard standings (measured)", standings,
                   ["board", "model", "vendor", "rank", "value", "observed_at", "role", "compared_with",
                    "days_apart", "note", "source_url"])]


def claims(s: Section, view: View, beside: bool) -> list[Source]:
    st.markdown(f"### {EVIDENCE_BADGES['company statement']} {esc(s.title or 'Claims')}")
    figures = query("mai_figures", indicator=view.indicator, as_of=view.as_of)
    statements = figures[figures["evidence"] == "company statement"]
    milestones = query("milestones_known", as_of=view.as_of, indicators=[view.indicator], categories=[],
                       tracks=s.refs_of("track"))
    reports = milestones[milestones["kind"] == "press report"]
    if statements.empty and reports.empty:
        empty_state("no claim had been published by this date.")
    for _, f in statements.iterrows():
        st.markdown(f"{EVIDENCE_BADGES['company statement']} **{esc(f['label'])}:** {esc(f['value_text'])} "
                    f"· {esc(f['date_label'])} · " + source_link(f["source_url"], kind=f.get("source_kind")),
                    help=esc(f"{f['description']} {f['note'] if isinstance(f['note'], str) else ''}"))
    for _, m in reports.iterrows():
        st.markdown(f"{EVIDENCE_BADGES['press report']} **{esc(m['date_label'])}** · {esc(m['title'])} · "
                    + source_link(m["source_url"], kind=m.get("source_kind")), help=esc(m["detail"]))
    _caption(s.caption)
    return [Source("Figures (company statements and measured ranks)", figures,
                   ["label", "period_label", "value_text", "evidence", "reported_at", "note", "source_url"])]


def stage_path(s: Section, view: View, beside: bool) -> list[Source]:
    track = s.refs_of("track")[0]
    path = query("milestones_stage_path", track=track, as_of=view.as_of)
    _heading(s.title, beside)
    if path.empty:
        empty_state("no milestone on this track had been published by this date.",
                    f"Stages are milestones tagged on the {esc(track)} track in data/milestone_stage.csv.")
        return []
    stages = path.iloc[0]["track_stages"].split(" → ")
    _chart(s, view, charts.stage_path(path, stages))
    last = path.iloc[-1]
    st.caption(f"Stage reached: **{esc(last['stage'])}** " + esc(
        f"({last['date_label']}: {last['title']}). Path: {last['track_stages']}. Hollow marks are press reports, "
        "filled marks announcements."))
    _caption(s.caption)
    return [Source("Stages: " + (s.title or track), path,
                   ["date_label", "stage", "stage_note", "title", "kind", "source_url"])]


def _series(s: Section, view: View) -> pd.DataFrame:
    return query("kpi_series", kpi_ids=s.refs_of("kpi"), as_of=view.as_of)


def _title_with_label(s: Section, series: pd.DataFrame) -> str:
    label = series.iloc[0]["label"] if not series.empty else ""
    return s.title.replace("{label}", str(label))


def kpi_series(s: Section, view: View, beside: bool) -> list[Source]:
    series = _series(s, view)
    badge = s.option("badge")
    title = _title_with_label(s, series)
    if badge in EVIDENCE_BADGES and title:
        st.markdown(f"{EVIDENCE_BADGES[badge]} **{esc(title)}**")
    else:
        _heading(title, beside)
    if series.empty:
        empty_state("no figure of this series had been published.")
        return []
    _chart(s, view, charts.series_with_events(series, _events(view), s.option("y", "Value"),
                                              fmt=s.option("fmt", ",.1f")))
    _caption(s.caption)
    return [Source(title or "Series", series, KPI_SERIES_COLUMNS)]


def kpi_points(s: Section, view: View, beside: bool) -> list[Source]:
    series = _series(s, view)
    if series.empty:
        _heading(s.title.replace("{label}", "").strip(), beside)
        empty_state("no figure of this series had been published.")
        return []
    title = _title_with_label(s, series)
    _heading(title, beside)
    _chart(s, view, charts.kpi_points(series, s.option("y", "Value"), fmt=s.option("fmt", ",.1f"),
                                      prefix=s.option("prefix"), suffix=s.option("suffix")))
    _caption(s.caption)
    return [Source(title, series, KPI_SERIES_COLUMNS)]


def kpi_bars(s: Section, view: View, beside: bool) -> list[Source]:
    series = _series(s, view)
    title = _title_with_label(s, series)
    _heading(title, beside)
    if series.empty:
        empty_state("no figure of this series had been published.")
        return []
    _chart(s, view, charts.kpi_bars(series, s.option("y", "Value"), fmt=s.option("fmt", ",.1f")))
    _caption(s.caption)
    return [Source(title, series, KPI_SERIES_COLUMNS)]


def _two_kpis(s: Section, view: View, beside: bool, draw) -> list[Source]:
    """A chart of two KPIs (refs in order: the main series, then the one that annotates it)."""
    main_id, other_id = s.refs_of("kpi")
    series = _series(s, view)
    main, other = series[series["kpi_id"] == main_id], series[series["kpi_id"] == other_id]
    title = _title_with_label(s, main)
    _heading(title, beside)
    if main.empty:
        empty_state("no figure of this series had been published.")
        return []
    _chart(s, view, draw(main, other))
    _caption(s.caption)
    return [Source(title, series, KPI_SERIES_COLUMNS)]


def growth_contribution(s: Section, view: View, beside: bool) -> list[Source]:
    return _two_kpis(s, view, beside, charts.growth_with_contribution)


def bars_with_share(s: Section, view: View, beside: bool) -> list[Source]:
    return _two_kpis(s, view, beside, lambda bars, share: charts.bars_with_share(
        bars, share, s.option("y", "Value"), share_label=s.option("share_label", "share")))


def adoption(s: Section, view: View, beside: bool) -> list[Source]:
    found = query("api_third_party_models", as_of=view.as_of, categories=s.refs_of("category"),
                  kpi_ids=s.refs_of("kpi"))
    _heading(s.title, beside)
    if found.empty:
        empty_state("no such model had been brought to the platform by this date.")
        return []
    if s.option("chart", "timeline") == "cumulative":
        _chart(s, view, charts.cumulative_events(found, s.option("y", "So far")))
    else:
        _chart(s, view, charts.event_timeline(found.assign(kind=found["evidence"])))
    _caption(s.caption)
    return [Source(s.title or "Models adopted", found,
                   ["date_label", "published_at", "title", "evidence", "detail", "source_url"])]


def segment_vs_company(s: Section, view: View, beside: bool) -> list[Source]:
    seg_name = s.refs_of("segment")[0]
    segment, total = _quarters(view, seg_name)
    events = _events(view)
    _heading(s.title.replace("{segment}", seg_name), beside)
    left, right = st.columns(2)
    with left:
        st.markdown("**Year-over-year revenue growth (%)**")
        both = pd.concat([segment, total]).dropna(subset=["yoy_growth_pct"])
        if both.empty:
            empty_state("no like-for-like prior-year quarter is known for this view.")
        else:
            series = both.assign(label=both["segment"].where(both["segment"] != TOTAL, "Company total"),
                                 value=both["yoy_growth_pct"])
            _chart(s, view, charts.series_with_events(series, events, "YoY growth (%)", fmt="+.1f"), "growth")
    with right:
        st.markdown(f"**{esc(seg_name)} share of total revenue (%)**")
        shares = segment.dropna(subset=["mix_pct"])
        if shares.empty:
            empty_state("no quarter has both the segment and the total for this view.")
        else:
            series = shares.assign(label=f"{seg_name} share of revenue", value=shares["mix_pct"])
            _chart(s, view, charts.series_with_events(series, events, "Share of revenue (%)"), "share")
    _caption(s.option("as_reported_caption", s.caption) if view.basis == "as_reported" else s.caption)
    out = []
    if not segment.empty:
        out.append(Source(f"{seg_name} and total revenue per quarter",
                          pd.concat([segment, total]).sort_values(["period_end", "segment"]),
                          ["quarter_label", "segment", "basis", "revenue_usd_m", "yoy_growth_pct", "mix_pct",
                           "reported_at", "source_url"]))
    if not events.empty:
        out.append(Source("Milestones marked on the charts", events,
                          ["date_label", "category", "title", "detail", "source_url"]))
    return out


KIND_RENDERERS: dict[str, Callable[[Section, View, bool], list[Source]]] = {
    "heading": heading, "cards": cards, "segment_glance": segment_glance, "segment_vs_company": segment_vs_company,
    "scorecard": scorecard, "milestone_timeline": milestone_timeline, "leaderboard": leaderboard, "claims": claims,
    "stage_path": stage_path, "kpi_series": kpi_series, "kpi_points": kpi_points, "kpi_bars": kpi_bars,
    "growth_contribution": growth_contribution, "bars_with_share": bars_with_share, "adoption": adoption,
}
