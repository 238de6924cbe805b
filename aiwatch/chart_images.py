"""Altair charts as image files without a browser (vl-convert): PNG for the brief, SVG for a
page that wants to offer one (Streamlit's chart menu has "Download as PNG" but no SVG item).

Text is drawn in Bitstream Vera, the font that ships inside ReportLab, so every machine draws
the same glyphs (vl-convert draws no text at all without a font it can find).
"""

from __future__ import annotations

import threading
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
