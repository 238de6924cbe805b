"""Shared links: every view is a URL, and the URL is untrusted input.

Pages keep their state in widgets with a key and bind="query-params"; nothing page-specific
is needed here. app.py calls link_check_start() before any widget and link_check_finish()
after the page ran. The rules (what is too long, how a dropped value is worded) are in
aiwatch/links.py; what follows only reads Streamlit's view of the URL and the widgets.
It reads a few internals of Streamlit 1.67 (pinned in requirements.txt): the param -> widget
bindings, a bound widget's metadata (serializer, default), the widgets rendered in this run,
and the URL's params, which it edits in ONE update (one message to the browser, whatever the
number of params dropped). tests/test_links_app.py fails if they change.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from .. import links
from ..text import code, safe_url

_LINK_NOTICES = "_aiwatch_link_notices"  # notices carried over a rerun that cleaned the URL
_LINK_RESETS = "_aiwatch_link_resets"    # widget key -> default, to set before the widget next runs


@dataclasses.dataclass
class LinkCheck:
    asked: dict[str, list[str]]     # params as the link gave them (after screening)
    bound_before: frozenset[str]    # params a widget already owned before this run
    notices: list[links.Notice]
    slot: Any                       # top of the page, where the notices go


def _session():
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.session_state


def _raw_params() -> dict[str, list[str]]:
    """The link's params; links.screen looks at no more than links.MAX_QUERY_CHARS of them."""
    return {k: st.query_params.get_all(k) for k in st.query_params}


def _drop_params(session, names: list[str]) -> None:
    """Remove params from the URL in one update (one message to the browser)."""
    if session is None:
        return
    with session.query_params() as qp:
        for name in names:
            if not qp.is_bound(name):
                qp._query_params.pop(name, None)
        qp._send_query_param_msg()


def link_check_start() -> LinkCheck:
    """Before any widget: drop params no widget could take, remember what the link asked for.

    Dropped params are removed from the URL and the script reruns once, so that no widget
    is seeded from them; their notices are shown after the rerun.
    """
    raw = _raw_params()
    asked, notices = links.screen(raw)
    session = _session()
    bound: frozenset[str] = frozenset()
    if session is not None:
        with session.query_params() as qp:
            bound = frozenset(k for k in raw if qp.is_bound(k))
    dropped = [k for k in raw if k not in asked and k not in bound]
    if dropped:
        _drop_params(session, dropped)
        st.session_state[_LINK_NOTICES] = st.session_state.get(_LINK_NOTICES, []) + notices
        st.rerun()
    carried = st.session_state.pop(_LINK_NOTICES, [])
    for name, default in st.session_state.pop(_LINK_RESETS, {}).items():
        # set, not deleted: the browser is told to show the default too (a widget that merely
        # re-registers keeps showing the value it was sent in the run that took the link)
        st.session_state[name] = default
    return LinkCheck(asked, bound, carried + notices, st.container())


def link_check_finish(check: LinkCheck) -> None:
    """After the page ran: say which params of the link were not used, and why.

    A param no widget on this page bound is removed from the URL. A param whose widget was
    seeded from the link in this run is compared with the value the widget holds now
    (Streamlit silently drops invalid values and clamps out-of-range ones); a param given
    several times for a one-value widget is reset to the default.
    """
    notices = list(check.notices)
    reset: dict[str, Any] = {}
    unused: list[str] = []
    session = _session()
    for name, asked in check.asked.items():
        verdict = None
        if session is not None:
            with session.query_params() as qp:
                binding = qp.get_binding_for_param(name)
            if binding is None:
                notices.append(links.Notice(name, "nothing on this page uses it"))
                unused.append(name)
                continue
            if name in check.bound_before:
                continue
            meta = session._state.get_widget_metadata(binding.widget_id)
            if meta is None:
                continue
            value = st.session_state.get(name)
            try:
                held = links.url_values(meta.serializer(value))
                at_default = bool(value == meta.deserializer(None))
            except Exception:  # noqa: BLE001 - a widget we cannot compare is left as it is
                continue
            verdict = links.judge(name, asked, held, multi=isinstance(value, (list, tuple)),
                                  at_default=at_default)
        if verdict is not None:
            notices.append(verdict.notice)
            if verdict.reset or (at_default and name in st.query_params):
                reset[name] = meta.deserializer(None)  # also clears a value Streamlit left in the URL
    if unused:
        _drop_params(session, unused)
    if reset:
        with session.query_params() as qp:
            for name in reset:
                qp.remove_param(name)
        st.session_state[_LINK_RESETS] = reset
        st.session_state[_LINK_NOTICES] = notices
        st.rerun()
    with check.slot:
        for message in links.notice_lines(notices):
            st.warning(message, icon=":material/link_off:")


def view_state() -> list[tuple[str, list[str]]]:
    """This view's state as link params: every widget rendered in this run that is bound to
    the URL and not at its default, in the form the URL carries it.

    Read from the widgets, not from st.query_params: the browser updates the address bar
    itself when a control changes, so the server's copy of the URL can lag one run behind.
    """
    session = _session()
    if session is None:
        return []
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    rendered = get_script_run_ctx().shared.widget_ids_this_run.snapshot()
    with session.query_params() as qp:
        bindings = [(name, b.widget_id) for name, b in qp._bindings_by_param.items()]
    state = []
    for name, widget_id in bindings:
        meta = session._state.get_widget_metadata(widget_id)
        if widget_id not in rendered or meta is None or name not in st.session_state:
            continue
        value = st.session_state[name]
        try:
            if value == meta.deserializer(None):
                continue
            values = links.url_values(meta.serializer(value))
        except Exception:  # noqa: BLE001 - a value we cannot write is left out of the link
            continue
        if values:
            state.append((name, values))
    return state


def share_this_view(page, slot) -> None:
    """The full URL of this view (page + every bound widget's state), ready to copy."""
    base = st.context.url or ""
    path = getattr(page, "url_path", "") or ""  # "" for the default page: the app's root URL
    if path and not base.rstrip("/").endswith("/" + path):
        base = base.rstrip("/") + "/" + path
    url = links.share_url(base or f"/{path}", view_state())
    with slot:
        # a link, not st.code: the code block's syntax highlighter costs a first load ~0.5 s of CPU
        # (the text is a code span, shown literally; a link only where the URL is a safe absolute one)
        shown = code(url, limit=2 * links.MAX_QUERY_CHARS)
        st.markdown(f"**Share this view**  \n[{shown}]({url})" if safe_url(url) else f"**Share this view**  \n{shown}")
        st.caption("Copy this link (right-click or long-press it): anyone with it sees this page with the "
                   "same settings, read-only.")


