"""Real browser: the five watch-indicator pages in headless Chromium, charts drawn, no exception box."""

from __future__ import annotations

import pytest

from tests.browser import CHART, exceptions_on, served_app, shot, wait_rendered

pytestmark = pytest.mark.browser

# path (the Overview is the default page, served at the root) -> (name, charts at least)
PAGES = {
    "": ("overview", 2),
    "mai_progress": ("mai_progress", 2),
    "consumer_ai": ("consumer_ai", 2),
    "api_adoption": ("api_adoption", 2),
    "openai_dependence": ("openai_dependence", 3),
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from tests.test_scorecard import make_indicator_cfg

    cfg = make_indicator_cfg(tmp_path_factory.mktemp("browser_indicators"))
    with served_app(cfg) as url:
        yield url


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    page.goto(url)
    wait_rendered(page)
    return page


@pytest.mark.parametrize("path", list(PAGES))
def test_indicator_page_renders_charts(app_url, browser, path):
    name, charts = PAGES[path]
    page = _open(browser, f"{app_url}/{path}")
    page.wait_for_selector(f"{CHART} canvas, {CHART} svg", timeout=30000)
    page.wait_for_function(f"() => document.querySelectorAll('{CHART}').length >= {charts}", timeout=30000)
    assert exceptions_on(page) == []
    assert page.get_by_text("Page not found").count() == 0
    shot(page, f"indicators_{name}")
    page.close()


def test_overview_as_of_link_and_indicator_filter(app_url, browser):
    page = _open(browser, f"{app_url}/?as_of=2024-11-30")
    assert page.get_by_text("As of 2024-11-30").count() >= 1
    assert exceptions_on(page) == []
    # the run-rate card shows what was known then
    assert page.get_by_text("on track to surpass $10bn").count() >= 1
    # choosing an indicator puts it in the URL, next to the as-of date
    page.get_by_role("button", name="API adoption").click()
    page.wait_for_function("() => window.location.search.includes('indicator=')", timeout=15000)
    wait_rendered(page)
    assert "as_of=2024-11-30" in page.url
    shot(page, "indicators_overview_as_of")
    page.close()
