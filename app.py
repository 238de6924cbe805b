"""MSFT AI Watch: the entry point. `streamlit run app.py`."""

import streamlit as st

from aiwatch import ui

ui.use_app_navigation()
st.set_page_config(page_title="MSFT AI Watch", page_icon=":material/monitoring:", layout="wide")

ui.ensure_store()

# The navigation comes from data/: one page per watch indicator (data/indicator.csv) between
# the Overview and the dashboard pages, each at its clean, shareable url_path.
page = st.navigation(ui.pages())
# Before any widget, once the page is known (a rerun here stays on it): the link's query params
# are untrusted input (see ui.link_check_start).
link = ui.link_check_start()
ui.sidebar_header()
ui.as_of_control()
ui.sidebar_status()
share = st.sidebar.container()
ui.admin_login()
ui.run_page(page)  # a page's st.stop() ends the page, not the steps below
# After the page: report link params no widget took, then show this view's link.
ui.link_check_finish(link)
ui.share_this_view(page, share)
