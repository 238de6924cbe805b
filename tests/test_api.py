"""The read-only HTTP API (aiwatch/api.py) through Starlette's test client: the same figures as
the store, as_of included; hostile input gets 400/404, never 500; only GET and HEAD."""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from aiwatch import api, queries, store
from tests.conftest import edit_csv, use_env
from tests.test_indicator_queries import write_prices
from tests.test_scorecard import make_indicator_cfg

LATEST = date(9999, 12, 31)
# Each dated table and the column that says when a row became public (as the pages read it).
PUBLISHED = {"segment_revenue": "reported_at", "kpi": "reported_at", "earnings_release": "release_date",
             "leaderboard": "observed_at", "price": "date"}


def _built(tmp_path):
    cfg = make_indicator_cfg(tmp_path)
    write_prices(cfg, [(t, f"2025-01-{d:02d}", p + d) for t, p in (("MSFT", 400), ("QQQ", 500))
                       for d in range(2, 31)])
    store.build(cfg)
    return cfg


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One built store for the tests that only read (the indicators overlay plus January prices)."""
    return _built(tmp_path_factory.mktemp("api"))


@pytest.fixture
def icfg(shared, monkeypatch):
    use_env(monkeypatch, shared)
    return shared


@pytest.fixture
def own(tmp_path, monkeypatch):
    """A store of the test's own, for tests that rebuild or break it."""
    cfg = _built(tmp_path)
    use_env(monkeypatch, cfg)
    return cfg


@pytest.fixture
def client(icfg):
    return TestClient(Starlette(routes=api.routes()))


@pytest.fixture
def own_client(own):
    return TestClient(Starlette(routes=api.routes()))


def sql(cfg, text, params=None) -> pd.DataFrame:
    con = store.open_readonly(cfg)
    try:
        return con.execute(text, params or {}).df()
    finally:
        con.close()


def csv_of(response) -> pd.DataFrame:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return pd.read_csv(io.StringIO(response.text))


def strict_json(response):
    assert response.status_code == 200, response.text

    def no_nan(token):
        raise AssertionError(f"{token} in JSON")
    return json.loads(response.text, parse_constant=no_nan)


@pytest.mark.parametrize("as_of", ["2024-06-01", "2025-01-28", None])
def test_segment_revenue_csv_is_the_store_as_of_that_day(icfg, client, as_of):
    got = csv_of(client.get("/api/v1/tables/segment_revenue.csv", params={"as_of": as_of} if as_of else {}))
    day = date.fromisoformat(as_of) if as_of else LATEST
    want = sql(icfg, "select * from segment_revenue where reported_at <= $d", {"d": day})
    assert len(got) == len(want) > 0
    assert got["revenue_usd_m"].sum() == want["revenue_usd_m"].sum()
    assert got["reported_at"].max() <= (as_of or "9999")
    assert got["source_url"].str.startswith("https://").all()
    assert set(got["reported_at"].str.len()) == {10}   # ISO days, no time of day


@pytest.mark.parametrize("table", list(api.TABLES))
@pytest.mark.parametrize("as_of", ["2024-06-01", None])
def test_every_table_has_the_rows_published_by_as_of(icfg, client, table, as_of):
    rows = strict_json(client.get(f"/api/v1/tables/{table}.json", params={"as_of": as_of} if as_of else {}))
    day = date.fromisoformat(as_of) if as_of else LATEST
    if table in PUBLISHED:
        want = sql(icfg, f"select count(*) n from {table} where {PUBLISHED[table]} <= $d", {"d": day}).n[0]
    elif table == "milestone":
        want = sql(icfg, "select count(*) n from milestone_known where known_at <= $d", {"d": day}).n[0]
    else:  # catalogs are not dated
        want = sql(icfg, f"select count(*) n from {table}").n[0]
    assert len(rows) == want
    for r in rows:
        if "source_url" in r:
            assert r["source_url"].startswith("https://")
        for col in ("reported_at", "period_end", "date", "observed_at", "release_date", "known_at"):
            if r.get(col) is not None:
                date.fromisoformat(r[col])  # ISO dates
                assert r[col] <= (as_of or "9999")  or col == "period_end"


def test_kpi_filters_and_as_of_match_the_pages_query(icfg, client):
    kpi_id = "ai_business_annual_revenue_run_rate"
    rows = strict_json(client.get("/api/v1/tables/kpi.json", params={"kpi_id": kpi_id, "as_of": "2025-03-07"}))
    assert [(r["value"], r["value_text"], r["reported_at"]) for r in rows] == [
        (10.0, "on track to surpass $10bn", "2024-10-28"), (13.0, "surpassed $13bn", "2025-01-28")]
    before = strict_json(client.get("/api/v1/tables/kpi.json", params={"kpi_id": kpi_id, "as_of": "2025-01-27"}))
    assert [r["value"] for r in before] == [10.0]
    con = store.open_readonly(icfg)
    latest = queries.run(con, "kpi_latest", kpi_ids=[kpi_id], as_of=date(2025, 3, 7))
    con.close()
    assert rows[-1]["value"] == latest["value"].iloc[0]
    window = strict_json(client.get("/api/v1/tables/kpi.json",
                                    params={"indicator": "openai_dependence", "start": "2024-07-01",
                                            "end": "2024-09-30"}))
    assert window and {r["period_end"] for r in window} == {"2024-09-30"}
    assert {r["indicator"] for r in window} == {"openai_dependence"}
    prices = csv_of(client.get("/api/v1/tables/price.csv", params={"ticker": "qqq", "end": "2025-01-10"}))
    assert set(prices["ticker"]) == {"QQQ"} and prices["date"].max() == "2025-01-10"


def test_scorecard_json_is_the_scorecard_query(icfg, client):
    on = date(2025, 3, 31)
    got = strict_json(client.get("/api/v1/scorecard.json", params={"as_of": on.isoformat()}))
    con = store.open_readonly(icfg)
    want = queries.run(con, "scorecard_rules", as_of=on)
    con.close()
    assert [g["indicator"] for g in got] == list(dict.fromkeys(want["indicator"]))
    status = {r["rule_id"]: r["status"] for g in got for r in g["rules"]}
    assert status == dict(zip(want["rule_id"], want["status"]))
    assert status == {"release_recency": "mixed", "rank_gap": "lagging", "mpc_gap": "on track",
                      "api_stage": "mixed", "run_rate": "on track"}   # tests/data/indicators/README.md
    run_rate = next(r for g in got for r in g["rules"] if r["rule_id"] == "run_rate")
    assert run_rate["inputs"][0]["published"] == "2025-01-28" and run_rate["sources"]
    early = strict_json(client.get("/api/v1/scorecard.json", params={"as_of": "2024-01-01", "indicator": "openai_dependence"}))
    assert [g["indicator"] for g in early] == ["openai_dependence"] and early[0]["status"] == "unknown"


def test_event_study_csv_is_the_event_study_of_the_store(icfg, client):
    from aiwatch import events

    got = csv_of(client.get("/api/v1/event-study.csv", params={"as_of": "2025-01-31"}))
    con = store.open_readonly(icfg)
    try:
        inputs = events.load_inputs(lambda name, **p: queries.run(con, name, **p), "MSFT", "QQQ", date(2025, 1, 31))
    finally:
        con.close()
    want = events.study(inputs, "market", "QQQ")
    assert len(got) == len(want) > 0
    assert got["milestone_id"].tolist() == want["milestone_id"].tolist()
    assert got["window"].tolist() == want["window"].tolist()
    assert list(got.columns[:len(events.EVENT_COLUMNS)]) == events.EVENT_COLUMNS
    none = csv_of(client.get("/api/v1/event-study.csv", params={"indicator": "mai_progress", "end": "2000-01-01"}))
    assert none.empty and "car_pct" in none.columns


def test_tables_index_lists_rows_columns_and_links(client):
    index = strict_json(client.get("/api/v1/tables", params={"as_of": "2024-06-01"}))
    by = {t["table"]: t for t in index}
    assert set(by) == set(api.TABLES)
    seg = by["segment_revenue"]
    assert seg["rows"] > 0 and "source_url" in [c["name"] for c in seg["columns"]]
    assert seg["csv"].endswith("/api/v1/tables/segment_revenue.csv")


def test_csv_cells_cannot_run_as_formulas(client, monkeypatch):
    # load.py already rejects formula-like text in data/; the API's CSV neutralises it anyway
    evil = api.Result(pd.DataFrame({"title": ['=HYPERLINK("https://evil.test","x")', "@SUM(A1)", "fine"],
                                    "value": [-1.5, 2.0, float("nan")]}), {"title": "VARCHAR", "value": "DOUBLE"})
    monkeypatch.setattr(api, "table_rows", lambda *a, **k: evil)
    got = csv_of(client.get("/api/v1/tables/milestone.csv"))
    assert got["title"].tolist() == ["'=HYPERLINK(\"https://evil.test\",\"x\")", "'@SUM(A1)", "fine"]
    assert got["value"].iloc[0] == -1.5   # a negative number is data, not a formula
    rows = strict_json(client.get("/api/v1/tables/milestone.json"))
    assert rows[2]["value"] is None and rows[0]["title"].startswith("=")   # JSON is data: no NaN, as stored


HOSTILE = [
    ("/api/v1/tables/segment_revenue.csv?as_of=2025-03-07'%20or%201=1--", 400, "as_of"),
    ("/api/v1/tables/segment_revenue.csv?as_of=2025-02-30", 400, "as_of"),
    ("/api/v1/tables/segment_revenue.csv?as_of=1999-01-01", 400, "as_of"),
    ("/api/v1/tables/segment_revenue.csv?as_of=9999-12-31", 400, "as_of"),
    ("/api/v1/tables/segment_revenue.csv?as_of=2025-03-07&as_of=2025-03-08", 400, "as_of"),
    ("/api/v1/tables/segment_revenue.csv?start=2025-01-01&end=2024-01-01", 400, "end"),
    ("/api/v1/tables/segment_revenue.csv?start=" + "9" * 5000, 400, "start"),
    ("/api/v1/tables/segment_revenue.csv?kpi_id=x", 400, "kpi_id"),
    ("/api/v1/tables/segment_revenue.csv?drop=table", 400, "drop"),
    ("/api/v1/tables/kpi.json?kpi_id=x');drop%20table%20kpi;--", 400, "kpi_id"),
    ("/api/v1/tables/kpi.json?kpi_id=not_a_kpi", 400, "kpi_id"),
    ("/api/v1/tables/kpi.json?kpi_id=a,,b", 400, "kpi_id"),
    ("/api/v1/tables/kpi.json?kpi_id=" + ",".join(["a"] * 60), 400, "kpi_id"),
    ("/api/v1/tables/kpi.json?indicator=mai_progress&indicator=consumer_ai", 400, "indicator"),
    ("/api/v1/tables/price.csv?ticker=MSFT%00", 400, "ticker"),
    ("/api/v1/tables/price.csv?ticker=ZZZZ", 400, "ticker"),
    ("/api/v1/scorecard.json?indicator=../../etc/passwd", 400, "indicator"),
    ("/api/v1/event-study.csv?benchmark=QQQ;select", 400, "benchmark"),
    ("/feed.atom?indicator=%3Cscript%3E", 400, "indicator"),
    ("/api/v1/tables/refresh_log.csv", 404, None),
    ("/api/v1/tables/build_info.json", 404, None),
    ("/api/v1/tables/kpi.xlsx", 404, None),
    ("/api/v1/tables/kpi", 404, None),
    ("/api/v1/tables/..%2F..%2Fetc%2Fpasswd.csv", 404, None),
    ("/api/v1/tables/kpi.csv/../../secret", 404, None),
    ("/api/v2/anything", 404, None),
]


@pytest.mark.parametrize("url,status,param", HOSTILE)
def test_hostile_requests_get_400_or_404_never_500(client, url, status, param):
    r = client.get(url)
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["status"] == status and body["message"]
    if param:
        assert body["parameter"] == param and body["expected"]


def test_the_tables_are_unchanged_after_hostile_requests(icfg, client):
    before = sql(icfg, "select count(*) n from kpi").n[0]
    client.get("/api/v1/tables/kpi.json?kpi_id=x');drop%20table%20kpi;--")
    assert sql(icfg, "select count(*) n from kpi").n[0] == before


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("url", ["/api/v1/tables", "/api/v1/tables/kpi.csv", "/api/v1/scorecard.json",
                                 "/api/v1/event-study.csv", "/feed.atom", "/api/v1/nothing"])
def test_only_get_and_head_are_allowed(client, method, url):
    r = client.request(method, url, content=b"x")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD" and r.json()["error"]["status"] == 405


def test_etag_and_cache_control_follow_the_build(own, own_client):
    icfg, client = own, own_client
    url = "/api/v1/tables/kpi.csv?as_of=2025-03-07"
    first = client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public") and first.headers["last-modified"]
    assert client.get(url).headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/tables/kpi.csv?as_of=2025-03-06").headers["etag"] != etag
    store.build(icfg)   # a new build: a new build id, so caches revalidate and get the new answer
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag


def test_head_has_the_headers_and_no_body(client):
    r = client.head("/api/v1/tables/segment_revenue.csv")
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) > 0 and r.headers["etag"]


def test_missing_store_is_built_on_the_first_request(own, own_client):
    icfg, client = own, own_client
    icfg.db_path.unlink()
    assert csv_of(client.get("/api/v1/tables/kpi.csv")).shape[0] > 0


def test_bad_data_and_no_store_is_a_503_that_says_what_to_run(own, own_client):
    icfg, client = own, own_client
    icfg.db_path.unlink()
    edit_csv(icfg.data_dir / "kpi.csv", 2, "value", "n/a")
    r = client.get("/api/v1/tables/kpi.csv")
    assert r.status_code == 503 and "aiwatch check" in r.json()["error"]["message"]


def test_parse_rejects_and_defaults():
    assert api.parse([], ("start", "end"))["start"] == date(1, 1, 1)
    with pytest.raises(api.ApiError) as e:
        api.parse([("as_of", "2025-3-7")], ())
    assert e.value.status == 400 and e.value.parameter == "as_of"
