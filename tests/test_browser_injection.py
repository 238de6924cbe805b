"""Real browser: hostile text in every data cell loads no image and shows no link on any page
that the data did not get through the URL helper (aiwatch.text.link from validated URLs)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from aiwatch import store
from tests.browser import open_tables, served_app, wait_rendered
from tests.test_injection import PAGES, hostile_cfg

pytestmark = pytest.mark.browser

HOSTILE_HOSTS = {"host.example", "evil.example", "auto.example", "www.auto.example"}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    cfg = hostile_cfg(tmp_path_factory.mktemp("browser_injection"))
    store.build(cfg)
    with served_app(cfg) as url:
        yield url


@pytest.mark.parametrize("path", PAGES)
def test_no_injected_image_or_link_in_the_browser(app_url, browser, path):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{app_url}/{path}")
    wait_rendered(page, 90000)
    open_tables(page, 90000)   # the tables behind the page are drawn once their expander is opened
    # hover every help icon too: a tooltip is Markdown as well
    for icon in page.locator('[data-testid="stTooltipIcon"]').all()[:40]:
        try:
            icon.hover(timeout=2000)
        except Exception:  # noqa: BLE001 - an icon scrolled away or re-rendered: skip it
            pass
    page.wait_for_timeout(500)
    hosts = {urlsplit(u).hostname for u in requested}
    assert not hosts & HOSTILE_HOSTS, sorted(u for u in requested if urlsplit(u).hostname in HOSTILE_HOSTS)
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    bad = [h for h in links if urlsplit(h).hostname in HOSTILE_HOSTS]
    assert bad == [], bad
    images = page.eval_on_selector_all("img[src]", "els => els.map(e => e.src)")
    assert not [s for s in images if urlsplit(s).hostname in HOSTILE_HOSTS]
    page.close()
