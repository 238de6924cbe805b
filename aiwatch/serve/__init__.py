"""Serving the dashboard to the public: `python -m aiwatch serve`.

- ``server``: runs the Streamlit server (a child process) with public settings, beside
- ``schedule``: the scheduled price refresh (a thread of the serve process, never a page run),
- ``status``: the last fetch's state in a small JSON file, which pages read without the network.
"""

from __future__ import annotations

SCRIPT = "server.py"  # the one script the server runs (st.App: app.py's pages + the HTTP API), from the root
