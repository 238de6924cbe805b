"""MSFT AI Watch: the entry point. `streamlit run app.py`."""

import streamlit as st

from aiwatch import ui

ui.use_app_navigation()
st.set_page_config(page_title="MSFT AI Watch", page_icon=":material/monitoring:", layout="wide")

ui.ensure_store()

# One entry per page file; url_path is the page's clean, shareable path.
PAGES = {
    "Thesis": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview",
                default=True),
        st.Page("pages/mai_progress.py", title="MAI progress", icon=":material/model_training:",
                url_path="mai_progress"),
        st.Page("pages/consumer_ai.py", title="Consumer AI", icon=":material/devices:", url_path="consumer_ai"),
        st.Page("pages/api_adoption.py", title="API adoption", icon=":material/api:", url_path="api_adoption"),
        st.Page("pages/openai_dependence.py", title="OpenAI dependence", icon=":material/link:",
                url_path="openai_dependence"),
    ],
    "Dashboard": [
        st.Page("pages/financials.py", title="Financials", icon=":material/bar_chart:",
                url_path="financials"),
        st.Page("pages/market.py", title="Market", icon=":material/show_chart:", url_path="market"),
    ],
    "Data": [
        st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
    ],
}
page = st.navigation(PAGES)
# Before any widget, once the page is known (a rerun here stays on it): the link's query params
# are untrusted input (see ui.link_check_start).
link = ui.link_check_start()
with st.sidebar:
    st.markdown("**MSFT AI Watch**")
    st.caption("Is Microsoft's AI business standing on its own feet beside OpenAI?")
ui.as_of_control()
ui.sidebar_status()
share = st.sidebar.container()
ui.admin_login()
ui.run_page(page)  # a page's st.stop() ends the page, not the steps below
# After the page: report link params no widget took, then show this view's link.
ui.link_check_finish(link)
ui.share_this_view(page, share)
