"""Every view is a link, and a link is untrusted input (AppTest on the real app).

A first run straight onto a page with query params is what a browser does when someone opens
a shared link: a new session whose widgets are seeded from the URL.
"""

from __future__ import annotations

import csv
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from aiwatch import queries
from aiwatch.ui.runner import DASHBOARD, DATA, OVERVIEW
from tests.conftest import FIXTURES, ROOT, go_to, make_cfg, open_tables, share_link, use_env
from tests.test_market import synthetic_prices, write_prices

APP = str(ROOT / "app.py")
# Every page's url path: the fixed pages (aiwatch/ui/runner.py) and one per watch indicator of the
# fixture (tests/data/basic/indicator.csv), as app.py's navigation registers them.
DEFAULT_PAGE = OVERVIEW[3]
PAGES = [DEFAULT_PAGE, *[r["url_path"] for r in csv.DictReader(open(FIXTURES / "basic" / "indicator.csv"))],
         *[p[3] for p in DASHBOARD], DATA[3]]
INPUT_TYPES = ("button_group", "selectbox", "multiselect", "radio", "checkbox", "toggle", "date_input")


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """The basic fixture plus prices (so the market page has its controls) and a second index."""
    cfg = make_cfg(tmp_path)
    with open(cfg.data_dir / "ticker.csv", "a", encoding="utf-8") as f:
        f.write("SPY,Second index (synthetic),index,https://example.test/synthetic/SPY\n")
    write_prices(cfg, synthetic_prices(("MSFT", "AAPL", "QQQ", "SPY")))
    use_env(monkeypatch, cfg)
    return cfg


def open_link(page: str, params: dict | None = None) -> AppTest:
    """A new session opening /<page>?<params>, as a browser does with a shared link."""
    at = AppTest.from_file(APP, default_timeout=60)
    go_to(at, page)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at.run()


def notices(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith("Link parameter")]


def link_params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def state_widgets(at) -> list:
    """The page's stateful widgets with a key (keys starting with _ are session-only, e.g. admin)."""
    found = []
    for kind in INPUT_TYPES:
        found += [w for w in at.get(kind) if w.key and not w.key.startswith("_")]
    return found


DEPENDENT = {"event"}  # widgets whose options depend on the other controls of the page


def other_value(w) -> list[str] | None:
    """A valid value different from the widget's current one, as the URL would carry it.

    The Market page's event picker offers the events of the current model, window and filters:
    changing all of those at once may leave it with nothing to offer, so it is left as it is
    (its own link round trip is in tests/test_market_page.py)."""
    if w.key in DEPENDENT:
        return None
    if w.key == "as_of":
        return ["2024-11-30"]
    if w.type == "button_group":
        current = list(w.formatted_values)
        if w._is_single_select:
            choice = [o for o in w.options if [o] != current]
            return choice[:1] or None
        return [w.options[0]] if current != [w.options[0]] else [w.options[-1]]
    if w.type in ("selectbox", "radio"):
        choice = [o for i, o in enumerate(w.options) if i != w.index]
        return choice[:1] or None
    if w.type == "multiselect":
        current = list(w.values)
        return [w.options[0]] if current != [w.options[0]] else [w.options[-1]]
    if w.type in ("checkbox", "toggle"):
        return ["false" if w.value else "true"]
    return None


def url_state(at) -> dict[str, list[str]]:
    """The URL's query params after the run (AppTest keeps a single value as str)."""
    return {k: (v if isinstance(v, list) else [v]) for k, v in at.query_params.items()}


def held(at, key: str):
    return at.session_state[key] if key in at.session_state else None


def test_app_registers_pages_including_data():
    assert {"financials", "data"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_a_link_rebuilds_the_view_of_every_page(app_env, page):
    default = open_link(page)
    assert not default.exception
    widgets = state_widgets(default)
    params = {w.key: v for w in widgets if (v := other_value(w)) is not None}
    assert "as_of" in params
    shared = open_link(page, params)
    assert not shared.exception
    assert notices(shared) == []
    # every widget holds the value the link gave it (Streamlit drops what a widget rejects)
    assert url_state(shared) == params
    for key in params:
        assert held(shared, key) != held(default, key), key
    # and the page's share link is that same view: opening it gives the same state again
    url = share_link(shared)
    assert urlsplit(url).path == ("/" if page == DEFAULT_PAGE else f"/{page}")  # the default page is the root
    assert link_params(url) == params
    again = open_link(page, link_params(url))
    assert notices(again) == []
    assert {k: held(again, k) for k in params} == {k: held(shared, k) for k in params}


def test_every_keyed_widget_is_in_the_link(app_env):
    """A page control with a key but no bind="query-params" would be lost from shared links."""
    for page in PAGES:
        at = open_link(page)
        widgets = state_widgets(at)
        params = {w.key: v for w in widgets if (v := other_value(w)) is not None}
        shared = open_link(page, params)
        unbound = [n for n in notices(shared) if "nothing on this page uses it" in n]
        assert unbound == [], (page, unbound)


def test_changing_controls_updates_the_link_and_the_link_restores_them(app_env):
    at = open_link("financials")
    at.segmented_control(key="basis").set_value("recast")
    at.date_input(key="as_of").set_value(date(2024, 11, 30))
    at.run()
    url = share_link(at)
    assert link_params(url) == {"basis": ["Recast (today's segments)"], "as_of": ["2024-11-30"]}
    other = open_link("financials", link_params(url))
    assert other.segmented_control(key="basis").value == "recast"
    assert other.date_input(key="as_of").value == date(2024, 11, 30)
    assert open_tables(other).dataframe[0].value.equals(open_tables(at).dataframe[0].value)
    assert [m.value for m in other.metric] == [m.value for m in at.metric]


def test_as_of_survives_page_switches(app_env):
    at = open_link("financials", {"as_of": "2024-11-30"})
    for page in PAGES:
        go_to(at, page).run()
        assert not at.exception, page
        assert at.session_state["as_of"] == date(2024, 11, 30), page
        assert link_params(share_link(at)).get("as_of") == ["2024-11-30"], page


def test_market_tickers_survive_a_round_trip_through_another_page(app_env):
    at = open_link("market")
    at.multiselect(key="tickers").set_value(["QQQ"]).run()
    assert link_params(share_link(at))["tickers"] == ["QQQ"]
    at.switch_page("pages/financials.py").run()
    at.switch_page("pages/market.py").run()
    assert not at.exception
    assert at.multiselect(key="tickers").value == ["QQQ"]
    assert link_params(share_link(at))["tickers"] == ["QQQ"]


HOSTILE = {
    "bad date": ({"as_of": "2025-99-99"}, "as_of", "`2025-99-99` is not a valid date"),
    "date out of range": ({"as_of": "1900-01-01"}, "as_of", "outside the dates this control allows"),
    "sql in an option": ({"basis": "drop table"}, "basis", "`drop table` is not one of the values"),
    "unknown name with sql": ({"x": "' OR 1=1 --"}, "x", "nothing on this page uses it"),
    "10,000 characters": ({"as_of": "9" * 10_000}, "as_of", "10,000 characters long"),
    "repeated": ({"as_of": ["2024-01-01", "2024-06-30"]}, "as_of", "given 2 times"),
    "empty": ({"basis": ""}, "basis", "is empty"),
    "markdown in a value": ({"as_of": "[x](https://evil.test)"}, "as_of",
                            "`[x](https://evil.test)` is not one of the values"),
    "bad name": ({"![p](https://evil.test/p.png)": "1"}, "![p](https://evil.test/p.png)",
                 "no parameter of that name"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_params_are_dropped_with_a_notice(app_env, case, monkeypatch):
    params, param, reason = HOSTILE[case]
    seen: list[dict] = []
    real_run = queries.run

    def spy(con, name, **kw):
        seen.append(kw)
        return real_run(con, name, **kw)

    monkeypatch.setattr(queries, "run", spy)
    at = open_link("financials", params)
    assert not at.exception
    assert at.title[0].value == "Financials"
    found = [n for n in notices(at) if reason in n]
    assert len(found) == 1, notices(at)
    assert found[0].startswith("Link parameter `")
    assert param not in at.query_params  # the URL (and so the share link) is clean
    assert held(at, "as_of") is None and at.segmented_control(key="basis").value == "as_reported"
    assert link_params(share_link(at)) == {}
    text = repr(params)
    assert not any(str(v) in text for kw in seen for v in kw.values() if isinstance(v, str) and len(v) > 3)


def test_every_page_survives_all_hostile_params_at_once(app_env):
    params = {"as_of": ["2024-01-01", "2025-99-99"], "basis": "drop%20table", "x": "' OR 1=1 --",
              "tickers": ["EVIL", "x" * 10_000], "indicator": "nope", "horizon": "99Y",
              "q" * 300: "1", "admin_token": "guess"}
    for page in PAGES:
        at = open_link(page, params)
        assert not at.exception, page
        assert notices(at), page
        assert url_state(at) == {}, (page, at.query_params)
        assert "admin" not in share_link(at)


def test_unknown_tickers_are_dropped_and_known_ones_kept(app_env):
    at = open_link("market", {"tickers": ["QQQ", "EVIL"]})  # the default is the peer, AAPL
    assert not at.exception
    assert at.multiselect(key="tickers").value == ["QQQ"]
    assert any("`EVIL` is not available here (the other values are used)" in n for n in notices(at))
    assert link_params(share_link(at))["tickers"] == ["QQQ"]


def test_a_valid_default_value_in_a_link_is_not_a_problem(app_env):
    at = open_link("financials", {"basis": "As reported"})
    assert notices(at) == []
    assert at.segmented_control(key="basis").value == "as_reported"


def test_a_page_that_stops_early_still_checks_the_link_and_offers_a_share_link(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)  # no prices: the market page says how to get them and stops there
    use_env(monkeypatch, cfg)
    at = open_link("market", {"x": "1", "as_of": "2024-11-30"})
    assert not at.exception
    assert any("`x` was not used" in n for n in notices(at))
    assert link_params(share_link(at)) == {"as_of": ["2024-11-30"]}


def test_a_link_with_999_junk_params_costs_one_notice_line_each_few(app_env):
    params = {f"junk_{i}": "z" * 60 for i in range(999)}
    at = open_link("financials", params)
    assert not at.exception
    shown = [w.value for w in at.warning if "link parameter" in w.value.lower()]
    assert 1 < len(shown) <= 6, shown
    assert shown[-1].startswith("…and ") and "more link parameters were ignored" in shown[-1]
    assert not [k for k in at.query_params if k.startswith("junk_")]  # all dropped from the URL
