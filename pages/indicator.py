"""A watch-indicator page: any indicator of data/indicator.csv, drawn from its sections in
data/page_section.csv (kinds in aiwatch/layout.py), as of the sidebar's date.

app.py registers this one file once per indicator, at the indicator's url_path."""

import streamlit as st

from aiwatch import ui

ui.use_app_navigation()

indicator = ui.indicator_for_page()
if indicator is None:
    ui.empty_state("this page's watch indicator is not in data/indicator.csv.")
    st.stop()

as_of = ui.as_of()
ui.indicator_header(indicator, indicator)
sources = ui.render_page(indicator, ui.View(as_of=as_of, indicator=indicator))
ui.sources_expander(sources, key=indicator)
