"""The server entry: the pages (app.py) and the read-only HTTP API (aiwatch/api.py) in ONE server.

`streamlit run server.py` finds the ``st.App`` below and serves it with uvicorn: app.py's pages
as usual, plus /api/v1/... and /feed.atom. ``streamlit run app.py`` still works, without the API.
A relative script path resolves against this file's folder under ``streamlit run``.
"""

import streamlit as st

from aiwatch.api import routes

app = st.App("app.py", routes=routes())
