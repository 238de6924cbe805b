"""The only part of aiwatch/ that imports Streamlit: what the pages share.

- ``data``: the read-only store connection and cached queries (``query``, ``ensure_store``);
- ``runner``: the navigation built from data/ and running the chosen page;
- ``urlstate``: shared links (the link check before and after the page, "Share this view");
- ``admin_box``: the sidebar's admin login;
- ``widgets``: the as-of control, charts with their SVG / PNG links, empty states, source tables, the indicator header and cards;
- ``sections``: the section kinds of data/page_section.csv, each drawn from a cache.

Pages import this package as ``from aiwatch import ui`` and use the names below.
"""

from .admin_box import admin_config, admin_login, admin_token
from .data import LATEST, config, ensure_store, identity, query, store_key
from .runner import indicator_for_page, pages, run_page, use_app_navigation
from .sections import SOURCES_OPEN, TOTAL, Section, Source, View, render_page, sources_expander
from .urlstate import LinkCheck, link_check_finish, link_check_start, share_this_view, view_state
from .widgets import (
    AS_OF_KEY,
    as_of,
    as_of_control,
    chart,
    download,
    empty_state,
    indicator_header,
    kpi_cards,
    price_status,
    results_notice,
    scorecard_box,
    sidebar_header,
    sidebar_status,
    sources_table,
    tables_expander,
)

__all__ = [
    "AS_OF_KEY", "LATEST", "SOURCES_OPEN", "TOTAL", "LinkCheck", "Section", "Source", "View", "admin_config", "admin_login", "admin_token",
    "as_of", "as_of_control", "chart", "config", "download", "empty_state", "ensure_store", "identity", "indicator_for_page",
    "indicator_header", "kpi_cards", "link_check_finish", "link_check_start", "pages", "price_status", "query", "render_page", "results_notice",
    "run_page", "scorecard_box", "share_this_view", "sidebar_header", "sidebar_status", "sources_expander", "sources_table", "tables_expander",
    "store_key", "use_app_navigation", "view_state",
]
