"""The server entry: the pages (app.py) and the read-only HTTP API (aiwatch/api.py) in ONE server.

`streamlit run server.py` finds the ``st.App`` below and serves it with uvicorn: app.py's pages
as usual, plus /api/v1/... and /feed.atom. ``streamlit run app.py`` still works, without the API
(and without the charts' SVG / PNG links, which need it).
A relative script path resolves against this file's folder under ``streamlit run``.
"""

import streamlit as st

from aiwatch import chart_images
from aiwatch.api import routes

chart_images.links_served = True   # the pages link every chart to api/v1/charts/TOKEN.svg|.png
app = st.App("app.py", routes=routes())
