"""The Data page through AppTest: what everyone sees, and what only an admin can reach."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from aiwatch import admin, store
from aiwatch.export import to_safe_csv
from tests.conftest import ROOT, make_cfg, open_tables, plain, share_link, use_env
from tests.test_admin import TOKEN, bad_uploads, corrected_segments, snapshot

APP = str(ROOT / "app.py")
WRITE_LABELS = ("Apply this change", "Roll back to this version", "Refresh market prices")


@pytest.fixture(autouse=True)
def buttons_reach_the_script(monkeypatch):
    """AppTest re-detects the legacy pages/ folder before every run, so app.py's
    ui.use_app_navigation() (a fix for a served app's very first request) reruns every time and
    swallows each button click. A served app leaves legacy mode once per process; so do we."""
    from streamlit.runtime.pages_manager import PagesManager

    init = PagesManager.__init__

    def init_without_legacy_mode(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_without_legacy_mode)


@pytest.fixture
def viewer_env(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    use_env(monkeypatch, cfg)
    monkeypatch.delenv("AIWATCH_ADMIN_TOKEN", raising=False)
    return cfg


@pytest.fixture
def admin_env(viewer_env, monkeypatch):
    monkeypatch.setenv("AIWATCH_ADMIN_TOKEN", TOKEN)
    return viewer_env


def open_page(page: str = "data", secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    at.switch_page(f"pages/{page}.py")
    return at.run()


def login(at: AppTest, token: str) -> AppTest:
    at.sidebar.text_input(key="_aiwatch_admin_entry").input(token)
    at.sidebar.get("form_submit_button")[0].click()
    return at.run()


def write_controls(at: AppTest) -> list[str]:
    found = [f"uploader {u.label}" for u in at.get("file_uploader")]
    found += [b.label for b in at.button if b.label in WRITE_LABELS]
    return found


def texts(elements) -> str:
    """What the reader sees (Markdown escapes of aiwatch.text.esc removed)."""
    return plain("\n".join(e.value for e in elements))


def test_everyone_sees_tables_log_and_downloads(viewer_env):
    at = open_page()
    assert not at.exception
    assert at.title[0].value == "Data"
    summary = at.dataframe[0].value
    assert list(summary.columns) == ["table", "rows", "latest_period", "latest_reported_at", "sources",
                                     "primary_share_pct"]
    seg = summary.set_index("table").loc["segment_revenue"]
    assert seg["rows"] == 64 and int(seg["sources"]) > 0 and seg["latest_reported_at"] == "2025-07-30"
    # the fixture's segment rows cite the company, its milestones the press
    assert seg["primary_share_pct"] == "100%" and summary.set_index("table").loc["milestone",
                                                                                 "primary_share_pct"] == "0%"
    catalog = summary.set_index("table").loc["kpi_catalog"]  # no dates, no sources: said plainly
    assert (catalog["latest_period"], catalog["latest_reported_at"], catalog["sources"],
            catalog["primary_share_pct"]) == ("—", "—", "—", "—")
    assert {"segment_revenue", "kpi", "milestone", "ticker", "price"} <= set(summary["table"])
    assert not {"build_info", "refresh_log"} & set(summary["table"])
    labels = [b.label for b in at.get("download_button")]
    assert sorted(labels) == sorted(summary["table"])  # one download per table
    log = at.dataframe[1].value
    assert list(log.columns) == ["at", "action", "outcome", "detail"] and "auto-build" in set(log["action"])


def test_viewer_without_configured_token_sees_that_writes_are_off(viewer_env):
    at = open_page()
    assert "Write actions are off" in texts(at.info)
    assert write_controls(at) == []
    assert [t for t in at.sidebar.text_input if t.key == "_aiwatch_admin_entry"] == []  # no login box
    assert len(at.tabs) == 0


def test_viewer_with_configured_token_sees_no_write_control(admin_env):
    at = open_page()
    assert "unlock admin mode" in texts(at.info)
    assert write_controls(at) == []
    assert len(at.tabs) == 0
    # a viewer's session cannot hold a made-up token either
    at.session_state["_aiwatch_admin_token"] = "guess"
    at.run()
    assert write_controls(at) == []


def test_a_wrong_token_is_refused(admin_env):
    at = login(open_page(), "not-it")
    assert "That is not the admin token." in texts(at.sidebar.error)
    assert write_controls(at) == []


def test_admin_token_from_secrets(viewer_env):
    at = open_page(secrets={"admin_token": TOKEN})
    assert "unlock admin mode" in texts(at.info)
    at = login(at, TOKEN)
    assert write_controls(at)  # the uploader and its tabs are there now


def test_token_never_reaches_the_url_or_the_share_link(admin_env):
    at = login(open_page(), TOKEN)
    assert write_controls(at)
    assert TOKEN not in str(at.query_params)
    assert TOKEN not in share_link(at)
    # and a token in the link is not a way in
    other = AppTest.from_file(APP, default_timeout=60)
    other.switch_page("pages/data.py")
    other.query_params["_aiwatch_admin_token"] = TOKEN
    other.query_params["admin_token"] = TOKEN
    other.run()
    assert write_controls(other) == []
    assert not other.query_params


def test_leaving_admin_mode(admin_env):
    at = login(open_page(), TOKEN)
    at.sidebar.button(key="_aiwatch_admin_leave").click().run()
    assert write_controls(at) == []


def fy25_q2_total(fin: AppTest) -> float:
    """FY25 Q2 total revenue as the Financials page's data table shows it."""
    table = open_tables(fin).dataframe[0].value
    row = table[(table["quarter_label"] == "FY25 Q2") & (table["segment"] == "Total")]
    return float(row["revenue_usd_m"].iloc[0])


def test_admin_uploads_previews_applies_and_rolls_back(admin_env):
    at = login(open_page(), TOKEN)
    at.selectbox(key="_admin_upload_table").set_value("segment_revenue").run()
    at.get("file_uploader")[0].upload("segment_revenue_fixed.csv", corrected_segments(admin_env), "text/csv")
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {"Rows added": "1", "Rows changed": "2", "Rows removed": "4"}
    changed = [d.value for d in at.dataframe if "before" in d.value.columns][0]
    assert set(changed["after"]) == {"1220", "1484"}
    before_apply = (admin_env.data_dir / "segment_revenue.csv").read_bytes()
    at.button(key="_admin_confirm_upload").click().run()
    assert not at.exception
    assert "Done: segment_revenue.csv (upload of segment_revenue_fixed.csv): 1 row(s) added" in texts(at.success)
    assert (admin_env.data_dir / "segment_revenue.csv").read_bytes() != before_apply
    assert at.get("file_uploader")[0].value is None  # the uploader was cleared

    assert fy25_q2_total(open_page("financials")) == 1484

    at.selectbox(key="_admin_rollback_table").set_value("segment_revenue").run()
    assert "Roll back to this version" in [b.label for b in at.button]
    at.button(key="_admin_confirm_rollback").click().run()
    assert not at.exception
    assert "Done: segment_revenue.csv (rollback to the version replaced" in texts(at.success)
    assert (admin_env.data_dir / "segment_revenue.csv").read_bytes() == before_apply
    assert fy25_q2_total(open_page("financials")) == 484
    log = at.dataframe[1].value
    assert list(log["action"][:2]) == ["rollback", "build"]


def one_more_total(cfg, revenue: str) -> bytes:
    """segment_revenue.csv as it is, plus a FY25 Q3 Total of ``revenue``."""
    from tests.test_admin import rows, to_bytes

    table = rows(cfg.data_dir / "segment_revenue.csv")
    new = dict.fromkeys(table[0], "")
    new.update(fiscal_year="2025", fiscal_quarter="Q3", period_end="2025-03-31", basis="as_reported",
               segment="Total", revenue_usd_m=revenue, reported_at="2025-04-29",
               source_url="https://example.test/synthetic/seg/2025q3b", source_kind="company")
    return to_bytes([*table, [new[c] for c in table[0]]])


def test_two_admins_one_conflict_the_second_apply_is_refused_and_nothing_is_lost(admin_env):
    live = admin_env.data_dir / "segment_revenue.csv"
    a = login(open_page(), TOKEN)
    b = login(open_page(), TOKEN)
    for at in (a, b):
        at.selectbox(key="_admin_upload_table").set_value("segment_revenue").run()
    # A previews a change (one row added, two changed, four removed)
    a.get("file_uploader")[0].upload("mine.csv", corrected_segments(admin_env), "text/csv")
    a.run()
    assert {m.label: m.value for m in a.metric} == {"Rows added": "1", "Rows changed": "2", "Rows removed": "4"}
    # meanwhile B adds another row and applies it
    theirs = one_more_total(admin_env, "600")
    b.get("file_uploader")[0].upload("theirs.csv", theirs, "text/csv")
    b.run()
    b.button(key="_admin_confirm_upload").click().run()
    assert "Done: segment_revenue.csv (upload of theirs.csv): 1 row(s) added" in texts(b.success)
    assert live.read_bytes() == theirs
    # A, still looking at the old preview, clicks Apply: refused, B's row stays
    a.button(key="_admin_confirm_upload").click().run()
    assert not a.exception
    assert "changed since your preview" in texts(a.warning) and "Look again" in texts(a.warning)
    assert live.read_bytes() == theirs
    assert "Done:" not in texts(a.success)
    # ... and A now sees the change against B's file: B's Q3 Total would be replaced (600 -> 500)
    upload_tab = a.tabs[0]
    assert {m.label: m.value for m in upload_tab.metric} == {"Rows added": "0", "Rows changed": "3",
                                                             "Rows removed": "4"}
    changed = [d.value for d in upload_tab.dataframe if "before" in d.value.columns][0]
    assert ["600", "500"] in changed[["before", "after"]].values.tolist()
    log = store.read_log(admin_env)
    assert list(log["action"][:2]) == ["upload", "build"] and log["outcome"][0] == "ok"


@pytest.mark.parametrize("case", ["not utf-8", "wrong header", "bad cell", "segment sums", "duplicate key",
                                  "unknown kpi_id"])
def test_a_bad_upload_shows_every_problem_and_changes_nothing(admin_env, case):
    at = login(open_page(), TOKEN)
    store.ensure_built(admin_env)
    table, data, message = bad_uploads(admin_env)[case]
    before = snapshot(admin_env)
    at.selectbox(key="_admin_upload_table").set_value(table).run()
    at.get("file_uploader")[0].upload("bad.csv", data, "text/csv").run()
    assert not at.exception
    assert "cannot be used" in texts(at.error)
    shown = [d.value for d in at.dataframe if "expected" in d.value.columns][0]
    plan = admin.prepare_upload(dataclasses.replace(admin_env, admin_token=TOKEN), TOKEN, table, data)
    assert message in "\n".join(map(str, plan.problems))
    # every problem, each with its file, line and column
    assert [(r.file, None if pd.isna(r.line) else int(r.line), r.column, r.expected)
            for r in shown.itertuples()] == [(p.file, p.line, p.column or "", p.expected) for p in plan.problems]
    assert [b for b in at.button if b.label == "Apply this change"] == []
    assert snapshot(admin_env) == before


def test_market_refresh_from_the_page(admin_env, monkeypatch):
    from aiwatch import market
    from tests.test_refresh import FakeYahoo, days, yf_frame

    fake = FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 5), "AAPL": days("2025-01-02", 5, 50),
                               "QQQ": None}))
    monkeypatch.setattr(market.yahoo, "yfinance_download", fake)
    at = login(open_page(), TOKEN)
    at.button(key="_admin_refresh").click().run()
    assert not at.exception
    assert "Failed tickers: QQQ" in texts(at.warning)
    assert at.get("progress")[0].value == 100
    assert len(fake.calls) >= 1


def test_market_refresh_unavailable(admin_env, monkeypatch):
    monkeypatch.setattr(admin, "_market", lambda: None)
    at = login(open_page(), TOKEN)
    assert "Market refresh is not available" in texts(at.info)
    assert [b for b in at.button if b.label == "Refresh market prices"] == []


def test_downloads_neutralise_formulas_and_keep_numbers():
    df = pd.DataFrame({"text": ["=HYPERLINK(\"http://x\")", "+1", "-x", "@SUM(A1)", "plain"],
                       "number": [-5.0, 1.5, -0.25, 0.0, 3.0]})
    out = to_safe_csv(df).decode()
    assert out.splitlines() == ["text,number", "\"'=HYPERLINK(\"\"http://x\"\")\",-5.0", "'+1,1.5", "'-x,-0.25",
                                "'@SUM(A1),0.0", "plain,3.0"]
