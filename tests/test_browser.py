"""Real browser: the served app in headless Chromium, every page, no exception box."""

from __future__ import annotations

import pytest

from tests.browser import exceptions_on, served_app, shot, wait_rendered

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from tests.conftest import make_cfg

    cfg = make_cfg(tmp_path_factory.mktemp("browser"))
    with served_app(cfg) as url:
        yield url


def test_financials_renders_charts(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/financials")
    wait_rendered(page)
    # charts stream in one by one: wait for all of them (revenue + the three cloud & AI charts)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas,"
        " [data-testid=\"stVegaLiteChart\"] svg').length >= 4", timeout=60000)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 4
    assert exceptions_on(page) == []
    assert page.get_by_text("Latest quarter: FY25 Q2").count() == 1
    shot(page, "financials")
    page.close()
