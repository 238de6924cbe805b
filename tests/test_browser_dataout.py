"""Real browser, served the way `make run` serves it (server.py: pages + API in one server):
the API and the feed answer beside the pages, the Overview's brief downloads as a PDF, and
every chart's menu offers a PNG, and every chart's links save it as SVG and PNG."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from aiwatch import store
from tests.browser import CHART, exceptions_on, open_tables, served_app, shot, wait_rendered
from tests.test_brief import pdf_text
from tests.test_scorecard import make_indicator_cfg

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    cfg = make_indicator_cfg(tmp_path_factory.mktemp("dataout"))
    store.build(cfg)
    with served_app(cfg, script="server.py") as url:
        yield cfg, url


def get(url: str, method: str = "GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_the_same_server_serves_the_api_and_the_feed(served):
    cfg, url = served
    status, headers, body = get(f"{url}/api/v1/tables/segment_revenue.csv?as_of=2024-06-01")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    con = store.open_readonly(cfg)
    want = con.execute("select count(*) from segment_revenue where reported_at <= date '2024-06-01'").fetchall()[0][0]
    con.close()
    assert len(body.decode().strip().splitlines()) == want + 1   # header + rows
    status, _, body = get(f"{url}/api/v1/scorecard.json")
    assert status == 200 and {g["indicator"] for g in json.loads(body)}
    status, headers, body = get(f"{url}/feed.atom")
    assert status == 200 and body.startswith(b"<?xml") and b"<feed" in body
    assert get(f"{url}/api/v1/tables/kpi.csv", method="POST")[0] == 405
    assert get(f"{url}/api/v1/tables/nope.csv")[0] == 404
    assert get(f"{url}/api/v1/tables/kpi.csv?as_of=nope")[0] == 400


def test_overview_downloads_the_brief_of_the_view(served, browser, tmp_path):
    _, url = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(f"{url}/?as_of=2025-03-31")
    wait_rendered(page)
    assert exceptions_on(page) == []
    button = page.get_by_role("button", name="Download brief (PDF)")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "brief-2025-03-31.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    text = " ".join(pdf_text(path).split())
    assert "As of 2025-03-31" in text and "OpenAI dependence" in text
    assert f"{url}/?as_of=2025-03-31" in text   # the footer links back to this view
    shot(page, "overview-brief")
    page.close()


def test_every_chart_menu_offers_a_png(served, browser):
    """Streamlit's chart toolbar has "Download as PNG" on every st.altair_chart (vega-embed's own
    actions menu is off, so there is no SVG item there: the links beneath each chart add it)."""
    _, url = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/?as_of=2025-03-31")
    wait_rendered(page)
    page.wait_for_function(f"() => document.querySelectorAll('{CHART} canvas, {CHART} svg').length >= 2",
                           timeout=60000)
    charts = page.locator(CHART)
    assert charts.count() >= 2
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        chart.hover()
        element = chart.locator("xpath=ancestor::*[@data-testid='stElementContainer'][1]")
        png = element.get_by_role("button", name="Download as PNG")
        png.wait_for(timeout=10000)
        assert png.is_visible()
    page.close()


def test_every_chart_on_every_page_saves_as_svg_and_png(served, browser, tmp_path):
    _, url = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(url)
    wait_rendered(page)
    paths = page.eval_on_selector_all('[data-testid="stSidebarNav"] a', "els => els.map(e => e.href)")
    assert len(paths) >= 8
    saved = 0
    for href in paths:
        page.goto(href)
        wait_rendered(page)
        assert exceptions_on(page) == [], href
        svg_links = page.locator('a[href^="api/v1/charts/"][href$=".svg"]')
        png_links = page.locator('a[href^="api/v1/charts/"][href$=".png"]')
        assert svg_links.count() == png_links.count() == page.locator(CHART).count(), href
        for links, magic in ((svg_links, b"<svg"), (png_links, b"\x89PNG")):
            if links.count() == 0:
                continue
            link = links.last
            link.scroll_into_view_if_needed()
            with page.expect_download(timeout=60000) as info:
                link.click()
            path = tmp_path / info.value.suggested_filename
            info.value.save_as(path)
            assert path.name.startswith("msft-ai-watch-") and path.suffix == "." + ("svg" if magic == b"<svg" else "png")
            assert magic in path.read_bytes()[:200], href
            saved += 1
    assert saved >= 12   # two images from each page with charts
    page.close()


def test_the_tables_behind_a_page_are_drawn_once_their_expander_opens(served, browser, tmp_path):
    _, url = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(f"{url}/financials")
    wait_rendered(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0   # nothing sent before it is opened
    assert open_tables(page) == 1
    tables = page.locator('[data-testid="stExpander"] [data-testid="stDataFrame"]')
    assert tables.count() >= 2
    button = page.get_by_role("button", name="Download CSV").first
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60000) as info:
        button.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert "source_url" in path.read_text().splitlines()[0]
    # it stays open on the next run (another basis), with the tables of the new view
    page.get_by_text("Recast (today's segments)", exact=True).click()
    wait_rendered(page)
    page.wait_for_selector('[data-testid="stExpander"] [data-testid="stDataFrame"]', timeout=60000)
    assert exceptions_on(page) == []
    page.close()
