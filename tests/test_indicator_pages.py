"""The five watch-indicator pages through AppTest: default view, an as-of date, an empty store,
their controls, and (on the real data) nothing published after 2025-03-07 when that is the as-of."""

from __future__ import annotations

import re
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from aiwatch import store
from aiwatch.config import load_config
from aiwatch.load import TABLES
from tests.conftest import ROOT, go_to, make_cfg, open_tables, plain, use_env
from tests.test_scorecard import make_indicator_cfg

APP = str(ROOT / "app.py")
OVERVIEW = ""  # the default page's url path
PAGES = {
    OVERVIEW: "Overview",
    "mai_progress": "MAI progress",
    "consumer_ai": "Consumer AI commercialization",
    "api_adoption": "API adoption",
    "openai_dependence": "OpenAI dependence",
}
# KPI cards each page shows on the synthetic overlay (only KPIs its catalog has get a card)
MIN_METRICS = {OVERVIEW: 5, "mai_progress": 4, "consumer_ai": 3, "api_adoption": 1, "openai_dependence": 3}
# charts each page draws on the synthetic overlay (latest), at least
MIN_CHARTS = {OVERVIEW: 2, "mai_progress": 2, "consumer_ai": 2, "api_adoption": 2, "openai_dependence": 3}


def open_page(page: str, as_of: str | None = None, params: dict | None = None) -> AppTest:
    """Open a page as a shared link would: its query params (as-of included) set on arrival."""
    wanted = {**({"as_of": as_of} if as_of else {}), **(params or {})}
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(wanted)
    at.run()
    if page != OVERVIEW:
        at.query_params.update(wanted)  # the first run (on the default page) drops other pages' params
        go_to(at, page)
        at.run()
    return at


def no_exceptions(at):
    assert [e.value for e in at.exception] == []


@pytest.fixture
def indicators_env(tmp_path, monkeypatch):
    cfg = make_indicator_cfg(tmp_path)
    use_env(monkeypatch, cfg)
    return cfg


def test_overview_is_the_default_page(indicators_env):
    at = open_page(OVERVIEW)
    no_exceptions(at)
    assert at.title[0].value == "Overview"
    assert "Synthetic thesis question?" in plain(at.markdown[0].value)
    text = plain(" ".join(m.value for m in at.markdown))
    for badge in (":red-badge", "lagging", ":green-badge", "on track"):  # latest: days counted to today
        assert badge in text
    assert "Synthetic run-rate:** surpassed $13bn (FY25 Q2)" in text
    assert r"surpassed \$13bn" in " ".join(m.value for m in at.markdown)  # $ kept literal, not LaTeX
    metrics = {plain(m.label): m for m in at.metric}
    assert metrics["AI run-rate (synthetic)"].value == "surpassed $13bn"
    assert metrics["AI run-rate (synthetic)"].delta == "+$3bn"
    assert metrics["Year to date vs index"].value == "no prices"
    assert len(at.get("vega_lite_chart")) >= MIN_CHARTS[OVERVIEW]
    assert any("First build" in i.value for i in at.info)
    assert [d.key for d in at.get("download_button")] == ["download_brief"]   # tables: drawn once opened
    open_tables(at)
    assert len(at.get("download_button")) >= 3 and len(at.dataframe) >= 2


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_default_view(indicators_env, page):
    at = open_page(page)
    no_exceptions(at)
    assert at.title[0].value == PAGES[page]
    assert len(at.metric) >= MIN_METRICS[page]
    assert any(m.delta for m in at.metric)  # KPI cards carry deltas where a previous value exists
    assert len(at.get("vega_lite_chart")) >= MIN_CHARTS[page]
    # "Data and sources": drawn once opened (the Overview's brief is not a table)
    assert not at.dataframe and [d.key for d in at.get("download_button")] in ([], ["download_brief"])
    open_tables(at)
    no_exceptions(at)
    assert len(at.get("download_button")) >= 1 and at.dataframe  # the data behind the page, with sources


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_with_an_as_of_date(indicators_env, page):
    at = open_page(page, as_of="2024-11-30")
    no_exceptions(at)
    assert any("As of **2024-11-30**" in i.value for i in at.info)
    # tables show dates as text: no date after the as-of anywhere on the page (tables included)
    late = sorted({d for d in DATE_RE.findall(page_text(at)) if d > "2024-11-30"})
    assert late == [], (page, late)
    if page == OVERVIEW:
        metrics = {plain(m.label): m.value for m in at.metric}
        assert metrics["AI run-rate (synthetic)"] == "on track to surpass $10bn"


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_on_an_empty_store(tmp_path, monkeypatch, page):
    cfg = make_cfg(tmp_path)
    for f in cfg.data_dir.glob("*.csv"):
        if f.name != "indicator.csv":
            f.write_text(f.read_text().splitlines()[0] + "\n")
    use_env(monkeypatch, cfg)
    at = open_page(page)
    no_exceptions(at)
    assert any("No data yet" in i.value for i in at.info)
    assert len(at.get("vega_lite_chart")) == 0


def test_overview_indicator_filter_is_kept_in_the_url(indicators_env):
    at = open_page(OVERVIEW)
    at.pills(key="indicator").set_value(["consumer_ai"]).run()
    no_exceptions(at)
    headings = [m.value for m in at.markdown if m.value.startswith("####")]
    assert len(headings) == 1 and "Consumer AI commercialization" in headings[0]
    # a shared link rebuilds the same view (Streamlit writes the option as shown, i.e. the name
    # from indicator.csv); AppTest does not echo a bound widget back into at.query_params
    again = open_page(OVERVIEW, params={"indicator": "Consumer AI commercialization"})
    assert [m.value for m in again.markdown if m.value.startswith("####")] == headings


def test_consumer_basis_is_kept_in_the_url(indicators_env):
    at = open_page("consumer_ai")
    assert plain(at.metric[0].label) == "More Personal Computing revenue"
    at.segmented_control(key="consumer_basis").set_value("as_reported").run()
    no_exceptions(at)
    open_tables(at)
    table = next(d.value for d in at.dataframe if "basis" in d.value.columns)
    assert set(table["basis"]) == {"as_reported"}
    shared = open_tables(open_page("consumer_ai", params={"consumer_basis": "As first reported"}))
    table = next(d.value for d in shared.dataframe if "basis" in d.value.columns)
    assert set(table["basis"]) == {"as_reported"}


def test_unknown_statuses_say_why(indicators_env):
    at = open_page("mai_progress", as_of="2024-11-04")
    no_exceptions(at)
    captions = plain(" ".join(c.value for c in at.caption))
    assert "Why unknown: No Microsoft model standing on any leaderboard had been published by 2024-11-04." \
        in captions
    metrics = {plain(m.label): m.value for m in at.metric}
    assert metrics["Best MAI leaderboard rank"] == "no standing"


def test_claims_and_measurements_are_labelled_apart(indicators_env):
    at = open_page("mai_progress")
    text = plain(" ".join(m.value for m in at.markdown))
    assert "Measured] Leaderboard standings" in text
    assert "Press report]" in text and "Synthetic model report" in text


# --- the real data as of the article -----------------------------------------------------------

ARTICLE = date(2025, 3, 7)
DATE_RE = re.compile(r"\b(20\d\d-\d\d-\d\d)\b")


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real_pages")
    cfg = load_config(data_dir=ROOT / "data", db=tmp / "aiwatch.duckdb", state_dir=tmp)
    store.build(cfg)
    con = store.open_readonly(cfg)
    later = [t for (t,) in con.execute(
        "select title from milestone_known where known_at > $d union all "
        "select model from leaderboard where observed_at > $d", {"d": ARTICLE}).fetchall()]
    con.close()
    return cfg, later


def page_text(at) -> str:
    """Everything the page itself shows (the main area; the sidebar is the app's, not the page's)."""
    main = at.main
    parts = [m.value for m in main.markdown] + [c.value for c in main.caption]
    parts += [f"{m.label} {m.value} {m.delta} {m.help}" for m in main.metric]
    for d in main.dataframe:
        parts.append(d.value.astype(str).to_csv(index=False))
    return plain("\n".join(parts))


@pytest.mark.parametrize("page", list(PAGES))
def test_real_pages_as_of_the_article_show_nothing_published_later(real_store, monkeypatch, page):
    cfg, later_titles = real_store
    use_env(monkeypatch, cfg)
    at = open_tables(open_page(page, as_of=ARTICLE.isoformat()))
    no_exceptions(at)
    text = page_text(at)
    # no later milestone title or leaderboard model, and no later date anywhere on the page
    assert later_titles and not [t for t in later_titles if t in text]
    late = sorted({d for d in DATE_RE.findall(text) if d > ARTICLE.isoformat()})
    assert late == [], late
    # every table behind the page: its dates (shown as text) are on or before the article
    assert at.main.dataframe, page
    if page == OVERVIEW:
        metrics = {plain(m.label): m for m in at.metric}
        run_rate = metrics["AI business annual revenue run rate"]
        assert (run_rate.value, run_rate.delta) == ("surpassed $13bn", "+$3bn")
        assert metrics["OpenAI share of commercial RPO"].value == "not disclosed"
    if page == "mai_progress":
        metrics = {plain(m.label): m.value for m in at.metric}
        assert metrics["MAI model releases"] == "0"
        assert metrics["Latest MAI model release"] == "none yet"


def test_the_tables_count_rows_of_the_new_files():
    assert {"thesis", "indicator_rule", "milestone_stage"} <= set(TABLES)
