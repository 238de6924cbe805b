"""The server entry: the pages (app.py) and the read-only HTTP API (aiwatch/api.py) in ONE server.

`streamlit run server.py` finds the ``st.App`` below and serves it with uvicorn: app.py's pages
as usual, plus /api/v1/... and /feed.atom. ``streamlit run app.py`` still works, without the API
(and without the charts' SVG / PNG links, which need it).
A relative script path resolves against this file's folder under ``streamlit run``.
"""

import streamlit as st
from starlette.middleware import Middleware

from aiwatch import chart_images
from aiwatch.api import routes
from aiwatch.static_assets import StaticAssets

chart_images.links_served = True   # the pages link every chart to api/v1/charts/TOKEN.svg|.png
# Streamlit's frontend files from memory, gzipped once (aiwatch/static_assets.py: a first load
# fetches ~150 of them while the page runs)
static = Middleware(StaticAssets, base_path=st.config.get_option("server.baseUrlPath") or "")
app = st.App("app.py", routes=routes(), middleware=[static])
