"""The investor brief: one or two A4 pages as PDF, for readers who will never open the link.

Thesis, scorecard (status, rule, reading, inputs with dates, sources), key figures with their
change, two or three charts, the latest milestones, the as-of date and build time, and a footer
with the shared link of the same view. Everything comes from the store as of the chosen date,
through the same query files as the Overview, so the brief and the page agree.

Made with ReportLab (text stays text: selectable, readable by ``pdftotext``); charts are the
Altair specs of aiwatch/charts.py rendered to PNG by vl-convert, without a browser. The font is
Bitstream Vera, which ships inside ReportLab, so every machine renders the same glyphs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pandas as pd

from . import chart_images, charts, queries, store
from .config import Config, load_config
from .layout import parse_refs

LATEST = date(9999, 12, 31)
KEY_FIGURES_PAGE = "overview"   # data/page_section.csv: the brief shows this page's KPI cards
LATEST_MILESTONES = 5
MAX_CHARTS = 3

STATUS_COLOURS = {"on track": "#1a7f37", "mixed": "#b35900", "lagging": "#c62828", "unknown": "#6e7781"}
# Number formats for chart labels, by catalog unit (data/README.md lists the units).
UNIT_AFFIXES = {"usd_bn": ("$", "bn", "USD bn"), "usd": ("$", "", "USD"), "pct": ("", "%", "%"),
                "pct_yoy": ("", "%", "% YoY"), "pct_points": ("", " pts", "points"),
                "million": ("", "M", "millions"), "billion": ("", "B", "billions"),
                "trillion_tokens": ("", "T", "trillion tokens")}


class BriefError(Exception):
    """The brief cannot be made (bad key-figure file, no store); the message says what to fix."""


# --- what goes in -----------------------------------------------------------------------------

def key_figure_ids(con, catalog: set[str]) -> list[str]:
    """The KPI ids shown as key figures, in order: the KPI cards of the Overview's layout
    (data/page_section.csv, page ``overview``, kind ``cards``), so the brief and the page agree.

    The one place the brief learns which KPIs are key figures (never from code); check already
    validated every ref against the catalog.
    """
    ids: list[str] = []
    for _, row in queries.run(con, "page_sections", page=KEY_FIGURES_PAGE).iterrows():
        if row["kind"] != "cards":
            continue
        for ref in parse_refs(row["refs"]):
            if ref.type == "kpi" and ref.value in catalog and ref.value not in ids:
                ids.append(ref.value)
    return ids


@dataclass
class Content:
    """Everything one brief shows, as DataFrames from the query files."""

    as_of: date
    built_at: datetime
    latest_reported: date | None
    thesis: pd.DataFrame
    scorecard: pd.DataFrame
    figures: pd.DataFrame        # kpi_latest rows, in key-figure order
    missing: list[str]           # labels of key figures with nothing published by as_of
    series: pd.DataFrame         # kpi_series rows of the key figures
    milestones: pd.DataFrame
    share_url: str


def gather(con, cfg: Config, as_of: date | None, share_url: str) -> Content:
    """Read what the brief shows, as of ``as_of`` (None: the latest data)."""
    when = as_of or LATEST
    info = queries.run(con, "data_as_of")
    catalog = queries.run(con, "kpi_catalog", as_of=when).set_index("kpi_id")
    ids = key_figure_ids(con, set(catalog.index))
    figures = queries.run(con, "kpi_latest", kpi_ids=ids, as_of=when)
    indicators = queries.run(con, "overview_indicators")["indicator"].tolist()
    latest = info["latest_reported"].iloc[0] if len(info) else None
    return Content(
        as_of=when,
        built_at=pd.Timestamp(info["built_at"].iloc[0]).to_pydatetime() if len(info) else datetime.min,
        latest_reported=None if latest is None or pd.isna(latest) else pd.Timestamp(latest).date(),
        thesis=queries.run(con, "overview_thesis"),
        scorecard=queries.run(con, "scorecard_rules", as_of=when),
        figures=figures,
        missing=[catalog.loc[k, "label"] for k in ids if k not in set(figures["kpi_id"])],
        series=queries.run(con, "kpi_series", kpi_ids=ids, as_of=when),
        milestones=queries.run(con, "milestones_known", as_of=when, indicators=indicators,
                               categories=[], tracks=[]).head(LATEST_MILESTONES),
        share_url=share_url,
    )


# --- charts -----------------------------------------------------------------------------------

def chart_specs(content: Content) -> list[tuple[str, dict]]:
    """(title, Vega-Lite spec) for up to MAX_CHARTS key figures with a published figure."""
    out = []
    for kpi_id in content.figures["kpi_id"]:
        rows = content.series[content.series["kpi_id"] == kpi_id]
        if rows.empty:
            continue
        unit = rows["unit"].iloc[0]
        prefix, suffix, title = UNIT_AFFIXES.get(unit, ("", "", unit))
        spec = charts.kpi_points(rows.tail(8), title, prefix=prefix, suffix=suffix).to_dict()
        for layer in spec.get("layer", []):
            layer.pop("height", None)
            layer.pop("width", None)
        spec.update(width=170, height=90, background="white",
                    config={**spec.get("config", {}), "font": chart_images.FONT,
                            "axis": {"labelFontSize": 8, "titleFontSize": 8},
                            "text": {"fontSize": 8}, "view": {"stroke": None}})
        out.append((rows["label"].iloc[0], spec))
        if len(out) == MAX_CHARTS:
            break
    return out


def render_png(spec: dict, scale: float = 3) -> bytes:
    """A Vega-Lite spec as PNG, without a browser."""
    return chart_images.png(spec, scale=scale)


# --- the PDF ----------------------------------------------------------------------------------

def _font():
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    fonts = Path(reportlab.__file__).parent / "fonts"
    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Vera", str(fonts / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont("Vera-Bold", str(fonts / "VeraBd.ttf")))
        pdfmetrics.registerFont(TTFont("Vera-Italic", str(fonts / "VeraIt.ttf")))
        pdfmetrics.registerFont(TTFont("Vera-BoldItalic", str(fonts / "VeraBI.ttf")))
        from reportlab.lib.fonts import addMapping
        addMapping("Vera", 0, 0, "Vera")
        addMapping("Vera", 1, 0, "Vera-Bold")
        addMapping("Vera", 0, 1, "Vera-Italic")
        addMapping("Vera", 1, 1, "Vera-BoldItalic")
    return "Vera"


def t(value) -> str:
    """Data text for ReportLab's paragraph markup: escaped, never markup."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return escape(str(value))


def source(url, text: str | None = None) -> str:
    """A clickable source link (http/https only), shown as its host."""
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        return ""
    host = urlsplit(url).netloc.removeprefix("www.")
    return f'<a href="{escape(url, {chr(34): "&quot;"})}" color="#0b5cad">{t(text or host)}</a>'


def _day(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return pd.Timestamp(v).strftime("%Y-%m-%d")


def render(content: Content) -> bytes:
    """The brief as PDF bytes (A4, one or two pages)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = _font()
    ink, muted, rule = colors.HexColor("#1f2328"), colors.HexColor("#59636e"), colors.HexColor("#d0d7de")
    base = ParagraphStyle("base", fontName=font, fontSize=8, leading=10, textColor=ink)
    small = ParagraphStyle("small", parent=base, fontSize=7, leading=8.6, textColor=muted)
    cell = ParagraphStyle("cell", parent=base, fontSize=7.4, leading=9)
    h1 = ParagraphStyle("h1", parent=base, fontName="Vera-Bold", fontSize=15, leading=18, spaceAfter=2)
    h2 = ParagraphStyle("h2", parent=base, fontName="Vera-Bold", fontSize=10, leading=12,
                        spaceBefore=7, spaceAfter=3)
    label = ParagraphStyle("label", parent=small, fontName="Vera-Bold", textColor=colors.HexColor("#0b5cad"))
    right = ParagraphStyle("right", parent=small, alignment=TA_RIGHT)

    c = content
    as_of_text = "latest data" if c.as_of >= LATEST else f"as of {c.as_of:%Y-%m-%d}"
    built = f"{c.built_at:%Y-%m-%d %H:%M} UTC"
    story = []
    question = c.thesis["thesis"].iloc[0] if len(c.thesis) else "Investor brief"
    story.append(Paragraph("INVESTOR BRIEF", label))
    story.append(Paragraph(t(question), h1))
    shown_latest = c.latest_reported if c.latest_reported and c.latest_reported <= c.as_of else None
    story.append(Paragraph(
        f"<b>{t(as_of_text.capitalize())}</b>: only what had been published by then · store built {t(built)}"
        + (f" · newest figure in the store published {shown_latest:%Y-%m-%d}" if shown_latest else ""),
        small))
    story.append(Spacer(1, 4))
    if len(c.thesis):
        story.append(Paragraph(t(c.thesis["statement"].iloc[0]), base))

    # scorecard
    story.append(Paragraph("Scorecard", h2))
    rows = [[Paragraph(f"<b>{x}</b>", small) for x in
             ("Watch indicator", "Rule", "Reading", "Inputs (published)", "Sources")]]
    styles = [("GRID", (0, 0), (-1, -1), 0.3, rule), ("VALIGN", (0, 0), (-1, -1), "TOP"),
              ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f6f8fa")),
              ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
              ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    for _, group in c.scorecard.groupby("indicator", sort=False):
        first = group.iloc[0]
        start = len(rows)
        for i, (_, r) in enumerate(group.iterrows()):
            colour = STATUS_COLOURS.get(r["status"], "#6e7781")
            ind_colour = STATUS_COLOURS.get(first["indicator_status"], "#6e7781")
            who = (f"<b>{t(first['indicator_name'])}</b><br/>"
                   f'<font color="{ind_colour}"><b>{t(first["indicator_status"].upper())}</b></font>'
                   if i == 0 else "")
            reading = t(r["value_text"]) if isinstance(r["value_text"], str) else f"<i>{t(r['reason'])}</i>"
            inputs = "<br/>".join(f"{t(r[f'input_{s}'])} ({_day(r[f'input_{s}_date'])})"
                                  for s in ("a", "b") if isinstance(r[f"input_{s}"], str))
            urls = dict.fromkeys(r[f"input_{s}_source"] for s in ("a", "b")
                                 if isinstance(r[f"input_{s}_source"], str))
            sources = "<br/>".join(source(u) for u in urls)
            rows.append([Paragraph(who, cell),
                         Paragraph(f"{t(r['title'])}<br/><font color='#59636e' size='6.6'>{t(r['rule_text'])}</font>",
                                   cell),
                         Paragraph(f'<font color="{colour}"><b>{t(r["status"])}</b></font>: {reading}', cell),
                         Paragraph(inputs or "<i>none published</i>", cell),
                         Paragraph(sources, cell)])
        if len(group) > 1:
            styles.append(("SPAN", (0, start), (0, len(rows) - 1)))
    widths = [30 * mm, 42 * mm, 40 * mm, 46 * mm, 24 * mm]
    story.append(Table(rows, colWidths=widths, style=TableStyle(styles), repeatRows=1))
    story.append(Paragraph("Each status follows from a rule in data/indicator_rule.csv applied to the sourced "
                           "inputs; an input not published by the date makes it <b>unknown</b>, never a guess.",
                           small))

    # key figures
    story.append(Paragraph("Key figures", h2))
    krows = [[Paragraph(f"<b>{x}</b>", small) for x in
              ("Figure", "Period", "Value (as stated)", "Change vs previous", "Published", "Source")]]
    for _, f in c.figures.iterrows():
        change = (f"{t(f['delta_text'])} vs {t(f['prev_value_text'])} ({t(f['prev_period_label'])})"
                  if isinstance(f["delta_text"], str) else "first published figure")
        krows.append([Paragraph(f"<b>{t(f['label'])}</b>", cell), Paragraph(t(f["period_label"]), cell),
                      Paragraph(f"<b>{t(f['value_text'])}</b>", cell), Paragraph(change, cell),
                      Paragraph(_day(f["reported_at"]), cell), Paragraph(source(f["source_url"]), cell)])
    for name in c.missing:
        krows.append([Paragraph(f"<b>{t(name)}</b>", cell), Paragraph("", cell),
                      Paragraph("not disclosed", cell),
                      Paragraph("no figure published by this date; nothing is estimated", cell),
                      Paragraph("", cell), Paragraph("", cell)])
    kstyle = [s for s in styles if s[0] != "SPAN"]
    story.append(Table(krows, colWidths=[44 * mm, 16 * mm, 32 * mm, 46 * mm, 19 * mm, 25 * mm],
                       style=TableStyle(kstyle), repeatRows=1))

    # charts
    specs = chart_specs(c)
    if specs:
        cells = []
        for title, spec in specs:
            png = render_png(spec)
            img = Image(io.BytesIO(png), width=58 * mm, height=58 * mm * _aspect(png))
            cells.append([Paragraph(f"<b>{t(title)}</b>", small), img])
        chart_table = Table([[cc[0] for cc in cells], [cc[1] for cc in cells]],
                            colWidths=[60 * mm] * len(cells), hAlign="LEFT",
                            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                              ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story.append(KeepTogether([Paragraph("Key figures over time", h2), chart_table,
                                   Paragraph("Each dot is a published figure, labelled as stated; the last "
                                             "eight periods published by the date.", small)]))

    # milestones
    heading = Paragraph(f"Latest {LATEST_MILESTONES} milestones", h2)
    if c.milestones.empty:
        story.append(KeepTogether([heading, Paragraph("No milestone had been published by this date.", base)]))
    mrows = []
    for _, m in c.milestones.iterrows():
        mrows.append([Paragraph(f"<b>{t(m['date_label'])}</b>", cell),
                      Paragraph(f"<b>{t(m['title'])}</b> <font color='#59636e'>· {t(m['indicator_name'])}, "
                                f"{t(m['category'])} · {t(m['kind'])}</font>", cell),
                      Paragraph(source(m["source_url"]), cell)])
    if mrows:
        story.append(KeepTogether([heading, Table(
            mrows, colWidths=[20 * mm, 136 * mm, 26 * mm],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, rule),
                              ("LEFTPADDING", (0, 0), (-1, -1), 2)]))]))

    story.append(Spacer(1, 5))
    story.append(Paragraph("Figures are as the sources stated them (qualifiers kept); every row names "
                           "its source. This brief is a reading of public disclosures, not investment advice.",
                           small))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setStrokeColor(rule)
        canvas.line(14 * mm, 13 * mm, A4[0] - 14 * mm, 13 * mm)
        p = Paragraph(f"Same view online: {source(c.share_url, c.share_url) or t(c.share_url)}", small)
        p.wrapOn(canvas, 110 * mm, 10 * mm)
        p.drawOn(canvas, 14 * mm, 9 * mm)
        q = Paragraph(f"{t(as_of_text)} · built {t(built)} · page {doc.page}", right)
        q.wrapOn(canvas, 72 * mm, 10 * mm)
        q.drawOn(canvas, A4[0] - 86 * mm, 9 * mm)
        canvas.restoreState()

    buf = io.BytesIO()
    title = f"Investor brief ({as_of_text})"
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=12 * mm,
                            bottomMargin=18 * mm, title=title, author="AI Watch", subject=t(question))
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _aspect(png: bytes) -> float:
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as im:
        return im.height / im.width


def render_pdf(con, cfg: Config, as_of: date | None, share_url: str) -> bytes:
    """The brief for a store connection (the CLI and the tests)."""
    return render(gather(con, cfg, as_of, share_url))


def make_brief(as_of: date | None, share_url: str, cfg: Config | None = None) -> bytes:
    """The brief from the live store, opening (and closing) its own connection.

    Safe to call outside a page run (the Overview's download button calls it in a thread).
    """
    cfg = cfg or load_config()
    if not store.usable(cfg):
        raise BriefError("no store: run `python -m aiwatch build` first")
    con = store.open_readonly(cfg)
    try:
        return render_pdf(con, cfg, as_of, share_url)
    finally:
        con.close()


def share_link(base_url: str, as_of: date | None) -> str:
    """The Overview's shared link for the same view."""
    base = base_url.rstrip("/")
    return f"{base}/?as_of={as_of:%Y-%m-%d}" if as_of else f"{base}/"


def deferred(as_of: date | None, page_url: str | None, cfg: Config | None = None):
    """A zero-argument callable that makes the brief of this view (for a download button that
    builds the PDF only when clicked). ``page_url``: the page's address in the browser, whose
    scheme and host make the footer's shared link."""
    parts = urlsplit(page_url or "")
    base = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc \
        else "http://localhost:8501"
    link = share_link(base, as_of)
    return lambda: make_brief(as_of, link, cfg)


def file_name(as_of: date | None) -> str:
    return f"brief-{as_of:%Y-%m-%d}.pdf" if as_of else "brief-latest.pdf"
