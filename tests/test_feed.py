"""The Atom feed (/feed.atom): valid Atom, stable ids across builds, one entry per milestone,
figure and segment quarter, status changes between builds, the indicator filter and as_of."""

from __future__ import annotations

from datetime import date

import feedparser
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.testclient import TestClient

from aiwatch import api, store
from tests.conftest import edit_csv, use_env
from tests.test_scorecard import make_indicator_cfg

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def icfg(tmp_path, monkeypatch):
    cfg = make_indicator_cfg(tmp_path)
    store.build(cfg)
    use_env(monkeypatch, cfg)
    return cfg


@pytest.fixture
def client(icfg):
    return TestClient(Starlette(routes=api.routes()))


def fetch(client, **params):
    r = client.get("/feed.atom", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/atom+xml")
    return r.content


def parsed(xml: bytes):
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def count(cfg, text, params=None) -> int:
    con = store.open_readonly(cfg)
    try:
        return con.execute(text, params or {}).fetchall()[0][0]
    finally:
        con.close()


def test_the_feed_is_valid_atom_with_every_fact(icfg, client):
    xml = fetch(client)
    root = etree.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    # RFC 4287 4.1.1: a feed has exactly one id, title and updated, and an author (feed or entries)
    for tag in ("id", "title", "updated", "author"):
        assert len(root.findall(f"{ATOM}{tag}")) == 1, tag
    entries = root.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(ids) == len(set(ids)), "entry ids are unique"
    for e in entries:
        for tag in ("id", "title", "updated", "published", "summary"):
            assert len(e.findall(f"{ATOM}{tag}")) == 1, (tag, e.findtext(f"{ATOM}id"))
        assert e.find(f"{ATOM}summary").get("type") == "text"
        rels = [link.get("rel") for link in e.findall(f"{ATOM}link")]
        assert rels.count("alternate") == 1 and rels.count("related") == 1   # 4.1.1: one alternate
    feed = parsed(xml)
    milestones = count(icfg, "select count(*) from milestone_known where known_at <= current_date")
    figures = count(icfg, "select count(*) from kpi")
    quarters = count(icfg, "select count(distinct (fiscal_year, fiscal_quarter, basis)) from segment_revenue")
    assert len(feed.entries) == milestones + figures + quarters
    kinds = {t.term for e in feed.entries for t in e.tags}
    assert {"milestone", "figure", "segment_quarter"} <= kinds


def test_entries_link_to_the_source_and_to_the_page_as_of_their_day(client):
    feed = parsed(fetch(client))
    run_rate = next(e for e in feed.entries if e.id.endswith("kpi/ai_business_annual_revenue_run_rate/2024-12-31"))
    links = {link.rel: link.href for link in run_rate.links}
    assert links["related"] == "https://example.test/synthetic/rr2"
    assert links["alternate"] == "http://testserver/openai_dependence?as_of=2025-01-28"
    assert run_rate.published.startswith("2025-01-28")
    assert "surpassed $13" in run_rate.title and "previous: on track to surpass $10" in run_rate.summary
    quarter = next(e for e in feed.entries if e.id.endswith("segment_revenue/2025/Q2/as_reported"))
    assert "/financials?as_of=" in dict((link.rel, link.href) for link in quarter.links)["alternate"]


def test_ids_are_stable_across_builds(icfg, client):
    before = {e.id: e.published for e in parsed(fetch(client)).entries}
    store.build(icfg)   # the same data again
    assert {e.id: e.published for e in parsed(fetch(client)).entries} == before
    with open(icfg.data_dir / "kpi.csv", "a", encoding="utf-8") as f:
        f.write("microsoft_cloud_revenue_quarter,2025-03-31,36,,2025-04-28,https://example.test/synthetic/new,company,,\n")
    store.build(icfg)
    after = {e.id: e.published for e in parsed(fetch(client)).entries}
    assert set(before) < set(after)
    assert {k: after[k] for k in before} == before
    assert [k for k in after if k not in before] == [
        "tag:ai-watch.invalid,2025:kpi/microsoft_cloud_revenue_quarter/2025-03-31"]


def test_a_status_change_between_builds_is_an_entry(icfg, client):
    assert not [e for e in parsed(fetch(client)).entries if any(t.term == "scorecard" for t in e.tags)]
    # the run-rate rule is on track at 12 or more, lagging below 8: 13 -> 5 makes it lagging
    edit_csv(icfg.data_dir / "kpi.csv", 21, "value", "5")
    store.build(icfg)
    changes = [e for e in parsed(fetch(client)).entries if any(t.term == "scorecard" for t in e.tags)]
    assert [e.title for e in changes] == ["OpenAI dependence: on track → lagging"]
    assert "Synthetic run-rate: on track → lagging" in changes[0].summary
    assert changes[0].id.startswith("tag:ai-watch.invalid,2025:scorecard/openai_dependence/")
    store.build(icfg)   # nothing changed since: the change was this build's news, not the next one's
    assert not [e for e in parsed(fetch(client)).entries if any(t.term == "scorecard" for t in e.tags)]


def test_indicator_filter_and_as_of(icfg, client):
    feed = parsed(fetch(client, indicator="mai_progress"))
    assert feed.entries and {t.term for e in feed.entries for t in e.tags} <= {"mai_progress", "milestone",
                                                                               "figure"}
    both = parsed(fetch(client, indicator="mai_progress,api_adoption"))
    assert len(both.entries) > len(feed.entries)
    early = parsed(fetch(client, as_of="2024-06-15"))
    assert early.entries and all(e.published[:10] <= "2024-06-15" for e in early.entries)
    # a month-precision milestone (m2, June 2024) counts once its month has passed
    assert not any(e.id.endswith("milestone/m2") for e in early.entries)
    assert any(e.id.endswith("milestone/m2") for e in parsed(fetch(client, as_of="2024-07-01")).entries)


def test_bad_feed_params_are_400(client):
    for params in ({"indicator": "nope"}, {"as_of": "yesterday"}, {"kpi_id": "x"}):
        r = client.get("/feed.atom", params=params)
        assert r.status_code == 400 and r.json()["error"]["parameter"] in params


def test_as_of_date_is_a_date_on_every_entry(client):
    for e in parsed(fetch(client, as_of=date(2025, 3, 7).isoformat())).entries:
        assert e.published[:10] <= "2025-03-07"
