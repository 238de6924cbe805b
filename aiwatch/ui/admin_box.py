"""The sidebar's admin box: a token kept in this session only, never in the URL."""

from __future__ import annotations

import dataclasses
import time

import streamlit as st

from .. import admin
from ..config import Config
from .data import config

_ADMIN_TOKEN = "_aiwatch_admin_token"


def _secret_admin_token() -> str:
    """``admin_token`` from Streamlit's secrets; empty when there is no secrets file."""
    try:
        if not st.secrets.load_if_toml_exists():
            return ""
        value = st.secrets.get("admin_token", "")
    except Exception:  # noqa: BLE001 - a missing or broken secrets file means "not configured"
        return ""
    return value if isinstance(value, str) else ""


def admin_config() -> Config:
    """The configuration with the admin token from the environment or, failing that, secrets."""
    cfg = config()
    if not cfg.admin_token:
        secret = _secret_admin_token()
        if secret:
            cfg = dataclasses.replace(cfg, admin_token=secret)
    return cfg


def admin_token() -> str | None:
    """This session's admin token when it unlocked admin mode (re-checked on every call)."""
    token = st.session_state.get(_ADMIN_TOKEN)
    return token if admin.is_admin(admin_config(), token) else None


def _leave_admin() -> None:
    st.session_state.pop(_ADMIN_TOKEN, None)


def admin_login() -> None:
    """The sidebar's admin box: a password field (not bound to the URL) or "leave admin mode"."""
    cfg = admin_config()
    if not admin.write_actions_enabled(cfg):
        return
    with st.sidebar:
        if admin_token() is not None:
            st.caption(":material/admin_panel_settings: Admin mode is on for this session.")
            st.button("Leave admin mode", key="_aiwatch_admin_leave", on_click=_leave_admin)
            return
        with st.expander("Admin", icon=":material/lock:"):
            with st.form("_aiwatch_admin_login", clear_on_submit=True, border=False):
                entered = st.text_input("Admin token", type="password", key="_aiwatch_admin_entry",
                                        help="Unlocks upload, rollback and refresh on the Data page "
                                             "for this browser session.")
                submitted = st.form_submit_button("Unlock")
            if submitted:
                if admin.is_admin(cfg, entered):
                    st.session_state[_ADMIN_TOKEN] = entered
                    st.rerun()
                time.sleep(1)  # slows down guessing
                st.error("That is not the admin token.")


