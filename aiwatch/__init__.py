"""MSFT AI Watch: the data layer behind the dashboard (no Streamlit here but ui.py)."""

__version__ = "0.1.0"
