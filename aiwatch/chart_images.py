"""Altair charts as image files without a browser (vl-convert): PNG for the brief, and SVG and
PNG of every chart on the pages (Streamlit's chart menu has "Download as PNG" but no SVG item).

A page *holds* each chart it draws (``hold``): the chart is kept under a random token, and the
page links to ``api/v1/charts/TOKEN.svg`` and ``.png`` (aiwatch/api.py), which render it only
when someone asks. Nothing is rendered per rerun, and the link is a plain Markdown element, so
a section replayed from Streamlit's cache keeps a working link.

Text is drawn in Bitstream Vera, the font that ships inside ReportLab, so every machine draws
the same glyphs (vl-convert draws no text at all without a font it can find).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from pathlib import Path

import altair as alt

_lock = threading.Lock()
_fonts_registered = False
FONT = "Bitstream Vera Sans"


def _vlc():
    global _fonts_registered
    import vl_convert as vlc

    with _lock:
        if not _fonts_registered:
            import reportlab

            vlc.register_font_directory(str(Path(reportlab.__file__).parent / "fonts"))
            _fonts_registered = True
    return vlc


def _spec(chart: alt.TopLevelMixin | dict) -> dict:
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    return {**spec, "config": {"font": FONT, **spec.get("config", {})}}


def png(chart: alt.TopLevelMixin | dict, scale: float = 2) -> bytes:
    """The chart (or a Vega-Lite spec) as PNG bytes; ``scale`` multiplies its pixel size."""
    return _vlc().vegalite_to_png(_spec(chart), scale=scale)


def svg(chart: alt.TopLevelMixin | dict) -> bytes:
    """The chart (or a Vega-Lite spec) as SVG (UTF-8 bytes): text stays text."""
    return _vlc().vegalite_to_svg(_spec(chart)).encode("utf-8")


# --- the charts the pages drew, for their SVG / PNG links ---------------------------------------

links_served = False   # server.py sets it: only there do the api/v1/charts/ routes exist
HELD = 2048          # more than the sections' caches hold charts, so a replayed link still works
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
_NAME_RE = re.compile(r"[^a-z0-9]+")
_held: OrderedDict[str, tuple[alt.TopLevelMixin | dict, str]] = OrderedDict()
_held_lock = threading.Lock()


def file_stem(*parts: str) -> str:
    """A safe file name stem from the parts (lower-case letters, digits and dashes)."""
    joined = "-".join(_NAME_RE.sub("-", p.lower()).strip("-") for p in parts if p)
    return joined[:80].strip("-") or "chart"


def hold(chart: alt.TopLevelMixin | dict, name: str) -> str:
    """Keep ``chart`` (drawn on a page) for its image links; returns the token that finds it.

    ``name`` becomes the downloaded file's stem. The oldest charts are let go first."""
    token = secrets.token_urlsafe(16)
    with _held_lock:
        _held[token] = (chart, file_stem(name))
        while len(_held) > HELD:
            _held.popitem(last=False)
    return token


FILE_WIDTH = 760   # px: a page's chart stretches to its column; a file needs a width of its own


def as_file(chart: alt.TopLevelMixin | dict) -> dict:
    """A page's chart as a spec for an image file: a fixed width where the page lets it
    stretch ("container" or none), on a white background."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    if not any(k in spec for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        for layer in spec.get("layer", []):
            if layer.get("width") == "container":
                layer.pop("width")
        if spec.get("width") in (None, "container"):
            spec = {**spec, "width": FILE_WIDTH}
    return {"background": "white", **spec}


def held(token: str) -> tuple[alt.TopLevelMixin | dict, str] | None:
    """The chart and file stem kept under ``token``, or None (unknown, or let go)."""
    if not TOKEN_RE.match(token):
        return None
    with _held_lock:
        found = _held.get(token)
        if found is not None:
            _held.move_to_end(token)
        return found
