"""Real browser: shared links reopen the same view, hostile links are harmless, and an admin can
correct data from the Data page (and roll it back) while a bad file changes nothing."""

from __future__ import annotations

import csv
import dataclasses
import io
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from aiwatch import store
from tests.browser import SHARE_LINK, exceptions_on, served_app, shot, wait_rendered
from tests.conftest import make_cfg

pytestmark = pytest.mark.browser
TOKEN = "browser-test-token"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app on a private copy of the fixture data, prices included, admin token set."""
    from tests.test_market import synthetic_prices, write_prices

    cfg = make_cfg(tmp_path_factory.mktemp("links"))
    write_prices(cfg, synthetic_prices())
    cfg = dataclasses.replace(cfg, admin_token=TOKEN)
    with served_app(cfg, {"AIWATCH_ADMIN_TOKEN": TOKEN}) as url:
        yield cfg, url


def visit(page, url: str) -> None:
    page.goto(url)
    wait_rendered(page)


def share_link(page) -> str:
    link = page.locator(SHARE_LINK)
    assert link.inner_text().strip() == link.get_attribute("href")   # the text shown is the link
    return link.get_attribute("href")


def main_text(page) -> str:
    """The page's text and its number of charts, once it stops changing (elements and chart
    internals arrive asynchronously after the run)."""
    js = """() => {
        const main = document.querySelector('[data-testid="stMain"]').cloneNode(true);
        const charts = main.querySelectorAll('[data-testid="stVegaLiteChart"]');
        charts.forEach(c => c.remove());
        return main.textContent + ` [${charts.length} charts]`;
    }"""
    running = "() => !!document.querySelector('[data-testid=\"stStatusWidget\"]')"
    seen, deadline = [], time.time() + 30
    while time.time() < deadline:
        seen.append(None if page.evaluate(running) else page.evaluate(js))
        if len(seen) >= 3 and seen[-1] is not None and seen[-1] == seen[-2] == seen[-3]:
            return seen[-1]
        page.wait_for_timeout(600)
    return seen[-1]


def link_notices(page) -> list[str]:
    return [t for t in page.locator('[data-testid="stAlert"]').all_inner_texts() if "Link parameter" in t]


def test_a_view_set_by_hand_reopens_for_someone_else(served, browser):
    _, url = served
    me = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = me.new_page()
    visit(page, f"{url}/financials")
    page.get_by_text("Recast (today's segments)").first.click()
    wait_rendered(page)
    date_box = page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"] input')
    date_box.fill("2024-11-30")
    date_box.press("Enter")
    page.keyboard.press("Escape")  # close the calendar
    page.wait_for_timeout(500)
    wait_rendered(page)
    link = share_link(page)
    assert parse_qs(urlsplit(link).query) == {"basis": ["Recast (today's segments)"], "as_of": ["2024-11-30"]}
    assert page.get_by_text("Latest quarter: FY25 Q1").count() == 1
    mine = main_text(page)
    someone = browser.new_context(viewport={"width": 1400, "height": 1100})  # no cookies, no session
    other = someone.new_page()
    visit(other, link)
    assert exceptions_on(other) == []
    assert link_notices(other) == []
    assert main_text(other) == mine
    assert share_link(other) == link
    shot(other, "links_shared_financials")
    me.close()
    someone.close()


def test_every_page_link_reopens_the_same_view(served, browser, monkeypatch):
    """For every page: a non-default state (found with AppTest), opened in one context; its share
    link opened in a fresh context shows the same page text and the same link."""
    from tests.test_links_app import PAGES, open_link, other_value, state_widgets

    cfg, url = served
    from tests.conftest import use_env

    use_env(monkeypatch, cfg)
    for name in PAGES:
        params = {w.key: v for w in state_widgets(open_link(name)) if (v := other_value(w)) is not None}
        query = urlencode([(k, v) for k, vs in params.items() for v in vs])
        first = browser.new_context(viewport={"width": 1400, "height": 1100})
        page = first.new_page()
        visit(page, f"{url}/{name}?{query}")
        assert exceptions_on(page) == [], name
        assert link_notices(page) == [], name
        link = share_link(page)
        assert parse_qs(urlsplit(link).query) == params, name
        text = main_text(page)
        second = browser.new_context(viewport={"width": 1400, "height": 1100})
        again = second.new_page()
        visit(again, link)
        assert exceptions_on(again) == [], name
        assert main_text(again) == text, name
        assert share_link(again) == link, name
        first.close()
        second.close()


HOSTILE = [  # path, param, reason in the notice, text that must be gone from the URL afterwards
    ("financials?as_of=2025-99-99", "as_of", "not a valid date", "2025-99-99"),
    ("financials?as_of=1900-01-01", "as_of", "outside the dates this control allows", "1900"),
    ("financials?basis=drop%20table", "basis", "not one of the values this control allows", "drop"),
    ("financials?x=%27%20OR%201%3D1%20--", "x", "nothing on this page uses it", "OR"),
    ("financials?as_of=" + "9" * 10_000, "as_of", "10,000 characters long", "9999"),
    ("financials?as_of=2024-01-01&as_of=2024-06-30", "as_of", "given 2 times", "as_of"),
    ("?as_of=2024-01-01&as_of=2024-06-30&indicator=%5Bx%5D(https%3A%2F%2Fevil.test)", "as_of", "given 2 times",
     "as_of"),
    ("market?tickers=EVIL&tickers=QQQ", "tickers", "EVIL is not available here", "EVIL"),
    ("data?admin_token=" + TOKEN, "admin_token", "nothing on this page uses it", TOKEN),
]


@pytest.mark.parametrize("path,param,reason,gone", HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_links_are_harmless(served, browser, path, param, reason, gone):
    _, url = served
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    visit(page, f"{url}/{path}")
    # the notices are written when the run ends (after the page): wait for this one
    page.locator('[data-testid="stAlert"]').filter(has_text=f"Link parameter {param}").filter(
        has_text=reason).first.wait_for(timeout=20000)
    page.wait_for_function("g => !decodeURIComponent(location.search).includes(g)", arg=gone, timeout=10000)
    main_text(page)  # settled
    assert exceptions_on(page) == []
    assert urlsplit(page.url).path == "/" + path.split("?")[0]  # still on the page the link named
    assert gone not in urlsplit(page.url).query  # the address bar is clean too
    assert gone not in urlsplit(share_link(page)).query
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    if param == "as_of":  # what the control shows agrees: the default (empty), not the link's value
        assert page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"] input').input_value() == ""
    if path.startswith("financials?as_of=2025"):
        shot(page, "links_hostile_date")
    context.close()


# --- the admin's path, end to end ------------------------------------------------------------------

def segments_with(cfg, by: float) -> bytes:
    """segment_revenue.csv with FY25 Q2 as reported Intelligent Cloud and Total raised by `by`."""
    rows = list(csv.reader(io.StringIO((cfg.data_dir / "segment_revenue.csv").read_text(), newline="")))
    head = rows[0]
    i = {c: head.index(c) for c in head}
    for r in rows[1:]:
        if (r[i["fiscal_year"]], r[i["fiscal_quarter"]], r[i["basis"]]) == ("2025", "Q2", "as_reported") \
                and r[i["segment"]] in ("Total", "Intelligent Cloud"):
            r[i["revenue_usd_m"]] = f"{float(r[i['revenue_usd_m']]) + by:g}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)  # as a spreadsheet saves it
    return b"\xef\xbb\xbf" + buf.getvalue().encode()


def data_and_store(cfg) -> dict[str, bytes]:
    files = {str(p.relative_to(cfg.data_dir)): p.read_bytes() for p in sorted(cfg.data_dir.rglob("*"))
             if p.is_file()}
    files["<store>"] = cfg.db_path.read_bytes()
    return files


def total_metric(page) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Total")
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.wait_for_timeout(300)
    wait_rendered(page)


def pick(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option).click()
    wait_rendered(page)


def test_admin_corrects_segments_sees_them_and_rolls_back(tmp_path, browser):
    cfg = dataclasses.replace(make_cfg(tmp_path), admin_token=TOKEN)
    store.build(cfg)
    fixed, bad = tmp_path / "segment_revenue_fixed.csv", tmp_path / "segment_revenue_bad.csv"
    fixed.write_bytes(segments_with(cfg, 1000))
    bad.write_bytes(segments_with(cfg, 1000).replace(b"1484", b"9999"))  # segments no longer sum up
    with served_app(cfg, {"AIWATCH_ADMIN_TOKEN": TOKEN}) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 2600})
        page = context.new_page()
        visit(page, f"{url}/financials")
        assert total_metric(page) == "$0.5bn"

        # a viewer: no write control on the Data page
        go(page, "Data")
        assert page.get_by_text("unlock admin mode").count() == 1
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        shot(page, "data_viewer")

        # unlock admin mode (the token is typed, never in the URL)
        page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]').get_by_text("Admin", exact=True).click()
        page.locator('[data-testid="stSidebar"] input[type="password"]').fill(TOKEN)
        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Unlock").click()
        wait_rendered(page)
        page.get_by_text("Admin mode is on for this session").wait_for()
        assert TOKEN not in page.url and TOKEN not in share_link(page)

        # a bad file: every problem named, nothing to apply, nothing changed
        before = data_and_store(cfg)
        pick(page, "Table", "segment_revenue.csv")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
        page.get_by_text("cannot be used").wait_for()
        wait_rendered(page)
        assert page.get_by_text("the sum of the segments").count() >= 1
        assert page.get_by_role("button", name="Apply this change").count() == 0
        shot(page, "data_admin_bad_upload")
        assert data_and_store(cfg) == before

        # the corrected file: preview, apply
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(fixed))
        page.get_by_text("The file is valid").wait_for()
        wait_rendered(page)
        metrics = dict(zip(page.locator('[data-testid="stMetricLabel"]').all_inner_texts(),
                           page.locator('[data-testid="stMetricValue"]').all_inner_texts()))
        assert (metrics["Rows added"], metrics["Rows changed"], metrics["Rows removed"]) == ("0", "2", "0")
        assert page.get_by_text("1484").count() >= 1
        shot(page, "data_admin_preview")
        page.get_by_role("button", name="Apply this change").click()
        page.get_by_text("Done: segment_revenue.csv").wait_for(timeout=60000)
        wait_rendered(page)
        assert exceptions_on(page) == []
        shot(page, "data_admin_applied")

        go(page, "Financials")
        assert total_metric(page) == "$1.5bn"

        # roll back
        go(page, "Data")
        page.get_by_role("tab", name="History and rollback").click()
        page.get_by_role("button", name="Roll back to this version").click()
        page.get_by_text("Done: segment_revenue.csv (rollback").wait_for(timeout=60000)
        wait_rendered(page)
        go(page, "Financials")
        assert total_metric(page) == "$0.5bn"
        assert exceptions_on(page) == []
        context.close()


def test_pages_keep_serving_while_the_store_is_rebuilt(served, browser):
    cfg, url = served
    stop = threading.Event()
    errors: list[BaseException] = []

    def rebuild():
        try:
            while not stop.is_set():
                store.build(cfg)
                time.sleep(0.2)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    t = threading.Thread(target=rebuild)
    t.start()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        for i in range(6):
            visit(page, f"{url}/{'financials' if i % 2 else 'data'}")
            assert exceptions_on(page) == [], i
            assert page.locator('[data-testid="stMain"] h1').count() == 1
            page.reload()
            wait_rendered(page)
            assert exceptions_on(page) == [], i
    finally:
        stop.set()
        t.join()
        context.close()
    assert errors == []
