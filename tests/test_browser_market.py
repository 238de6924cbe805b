"""Real browser: the Market page served with synthetic prices, in headless Chromium."""

from __future__ import annotations

import pytest

from aiwatch import store
from tests.browser import CHART, exceptions_on, served_app, shot, wait_rendered
from tests.conftest import make_cfg
from tests.test_market import synthetic_prices, write_prices

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    cfg = make_cfg(tmp_path_factory.mktemp("browser_market"))
    write_prices(cfg, synthetic_prices())
    store.build(cfg)
    with served_app(cfg) as url:
        yield url


def test_market_page_renders_its_charts(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 3000})
    page.goto(f"{app_url}/market?horizon=3Y")
    wait_rendered(page, 90000)
    page.wait_for_selector(f"{CHART} canvas, {CHART} svg", timeout=90000)
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHART} canvas, {CHART} svg').length >= 6", timeout=90000)
    assert page.locator(CHART).count() == 6
    assert exceptions_on(page) == []
    assert page.get_by_text("association, not cause").count() >= 1
    assert "horizon=3Y" in page.url  # the view is in the URL, ready to share
    # every chart drew something: a sizeable drawing with marks in it (Vega renders SVG or canvas)
    drawn = page.eval_on_selector_all(
        CHART, """els => els.map(e => {
            const g = e.querySelector('svg.marks, canvas.marks');
            if (!g) return [0, 0, 0];
            const r = g.getBoundingClientRect();
            const marks = g.tagName === 'svg' ? g.querySelectorAll('path, line, rect').length : 1;
            return [r.width, r.height, marks];
        })""")
    assert len(drawn) == 6 and all(w > 200 and h > 100 and n > 0 for w, h, n in drawn), drawn
    shot(page, "market")
    page.close()


def test_market_link_with_a_milestone_filter(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    page.goto(f"{app_url}/market?indicators=Consumer+AI+commercialization")
    wait_rendered(page, 90000)
    page.wait_for_selector(f"{CHART} canvas, {CHART} svg", timeout=90000)
    assert exceptions_on(page) == []
    assert page.get_by_text("1 milestone(s) with statistics").count() == 1
    page.close()


def test_event_study_controls_go_into_the_url_and_fit_a_phone(app_url, browser):
    page = browser.new_page(viewport={"width": 390, "height": 2400})
    page.goto(f"{app_url}/market")
    wait_rendered(page, 90000)
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHART} canvas, {CHART} svg').length >= 6", timeout=90000)
    page.get_by_text("[0,+5]", exact=True).first.click()
    page.wait_for_function("() => location.search.includes('window=')", timeout=90000)
    wait_rendered(page, 90000)
    assert "window=%5B0%2C%2B5%5D" in page.url or "window=[0,+5]" in page.url
    assert page.get_by_text("Per event, window [0,+5]").count() == 1
    assert exceptions_on(page) == []
    # on a phone every chart stays inside the page: nothing wider than the viewport
    widths = page.eval_on_selector_all(CHART, "els => els.map(e => e.getBoundingClientRect().right)")
    assert widths and max(widths) <= 390, widths
    shot(page, "market_event_study_phone")
    page.close()
