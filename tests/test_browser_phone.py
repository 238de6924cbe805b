"""Real browser at phone width (390 x 844): every page of the real data/ (with synthetic prices),
charts drawn and at least 300 px wide, nothing scrolling sideways except tables. Full-page
screenshots go to artifacts/browser/phone_*.png: look at them after a layout change."""

from __future__ import annotations

import shutil

import pytest

from aiwatch import store
from aiwatch.config import load_config
from tests.browser import CHART, exceptions_on, served_app, shot, wait_rendered
from tests.conftest import ROOT
from tests.test_market import synthetic_prices, write_prices

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PAGES = {"": "overview", "mai_progress": "mai_progress", "consumer_ai": "consumer_ai",
         "api_adoption": "api_adoption", "openai_dependence": "openai_dependence",
         "financials": "financials", "market": "market", "data": "data"}
# what is wider than the screen, outside the tables (which scroll inside their own frame)
OVERFLOW_JS = """() => {
    const limit = document.documentElement.clientWidth + 1;
    const wide = [];
    for (const el of document.querySelectorAll('[data-testid="stMain"] *')) {
        if (el.closest('[data-testid="stDataFrame"], [data-testid="stTable"], [data-testid="stCode"]')) continue;
        if (el.ownerSVGElement) continue;  // inside a chart: its <svg> itself is checked
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.right > limit) wide.push(`${el.tagName}.${el.className} (${Math.round(r.right)}px)`);
    }
    return {scroll: document.scrollingElement.scrollWidth, limit: limit, wide: wide.slice(0, 5)};
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser_phone")
    shutil.copytree(ROOT / "data", tmp / "data", ignore=shutil.ignore_patterns("market", "history"))
    cfg = load_config(data_dir=tmp / "data", db=tmp / "var" / "aiwatch.duckdb", state_dir=tmp / "var")
    tickers = [line.split(",", 1)[0] for line in (tmp / "data" / "ticker.csv").read_text().splitlines()[1:]]
    write_prices(cfg, synthetic_prices(tuple(tickers), start="2024-01-02", end="2026-06-30"))
    store.build(cfg)
    with served_app(cfg) as url:
        yield url


# The Market page's Horizon control (pages/market.py, an 8-option segmented control) is wider
# than a phone: its last option is cut off. Not a chart; strict, so the fix is noticed.
KNOWN_WIDE = {"market": "the Horizon segmented control in pages/market.py is wider than 390 px"}


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.xfail(reason=KNOWN_WIDE[p], strict=True))
                                  if p in KNOWN_WIDE else p for p in PAGES])
def test_every_page_fits_a_phone(app_url, browser, path):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.goto(f"{app_url}/{path}")
    wait_rendered(page, timeout_ms=60000)
    if page.locator(CHART).count():
        page.wait_for_selector(f"{CHART} canvas, {CHART} svg", timeout=30000)
        page.wait_for_timeout(1500)  # the rest of the charts paint
    assert exceptions_on(page) == []
    overflow = page.evaluate(OVERFLOW_JS)
    # charts on a tab not shown have no width; every shown one keeps a usable plot
    widths = [w for w in page.eval_on_selector_all(
        CHART, "els => els.map(e => Math.round(e.getBoundingClientRect().width))") if w > 0]
    # Streamlit scrolls inside its main block, not the document: grow the window to the whole page
    tall = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": min(int(tall) + 40, 12000)})
    page.wait_for_timeout(1000)
    shot(page, f"phone_{PAGES[path]}")
    ctx.close()
    assert all(w >= 300 for w in widths), widths
    assert overflow["scroll"] <= overflow["limit"] and overflow["wide"] == [], overflow
