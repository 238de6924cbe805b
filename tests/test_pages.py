"""Every page through Streamlit's AppTest: no exception, the expected elements, working controls."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, make_cfg, open_tables, plain, use_env

APP = str(ROOT / "app.py")


def run_app(switch_to: str | None = "pages/financials.py") -> AppTest:
    """Run the app and open a page (the Financials page by default; the app's default is the Overview)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if switch_to:
        at.switch_page(switch_to)
        at.run()
    return at


def charts(at):
    return at.get("vega_lite_chart")


def no_exceptions(at):
    assert [e.value for e in at.exception] == []


@pytest.fixture
def app_env(cfg, monkeypatch):
    use_env(monkeypatch, cfg)
    return cfg


def test_financials_default(app_env):
    at = run_app()
    no_exceptions(at)
    assert at.title[0].value == "Financials"
    assert [m.label for m in at.metric] == [
        "Intelligent Cloud", "More Personal Computing", "Productivity and Business Processes", "Total"]
    assert len(charts(at)) >= 4  # revenue, growth, mix, and the cloud & AI figures
    assert at.metric[-1].value == "$0.5bn"  # synthetic FY25 Q2 total of 484 USD m
    assert any("changed its segment definitions" in i.value for i in at.info)
    assert not at.get("download_button")   # the tables and their downloads: drawn once opened
    assert len(open_tables(at).get("download_button")) >= 3
    # the store was built on first start
    assert app_env.db_path.exists()


def test_basis_switch_changes_the_data(app_env):
    at = run_app()
    pbp = [m for m in at.metric if m.label == "Productivity and Business Processes"][0]
    assert pbp.delta == "+10.0% YoY"
    before = open_tables(at).dataframe[0].value
    at.segmented_control(key="basis").set_value("recast").run()
    no_exceptions(at)
    after = at.dataframe[0].value
    assert set(before["basis"]) == {"as_reported"}
    assert set(after["basis"]) == {"recast", "as_reported"}
    assert len(after) != len(before)
    assert any("No recast segment figures are known for FY23 Q1, FY23 Q2, FY23 Q3, FY23 Q4" in plain(w.value)
               for w in at.warning)


def test_empty_store_shows_empty_states(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    # keep the headers, drop every row: a valid but empty data folder
    for f in cfg.data_dir.glob("*.csv"):
        if f.name != "indicator.csv":
            f.write_text(f.read_text().splitlines()[0] + "\n")
    use_env(monkeypatch, cfg)
    at = run_app()
    no_exceptions(at)
    assert any("No data yet" in i.value for i in at.info)
    assert len(charts(at)) == 0


def test_bad_data_without_store_says_so(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    (cfg.data_dir / "kpi.csv").write_text("kpi_id,period_end\nx,y\n")
    use_env(monkeypatch, cfg)
    at = run_app()
    no_exceptions(at)
    assert any("data folder has problems" in e.value for e in at.error)


def test_bad_data_with_store_keeps_serving_last_build(app_env):
    run_app()
    (app_env.data_dir / "kpi.csv").write_text("kpi_id,period_end\nx,y\n")
    at = run_app()
    no_exceptions(at)
    assert any("showing the last good build" in w.value for w in at.warning)
    assert len(charts(at)) >= 4


def test_as_of_restricts_the_financials(app_env):
    at = run_app()
    assert at.subheader[0].value == "Latest quarter: FY25 Q2"
    at.date_input(key="as_of").set_value(__import__("datetime").date(2024, 11, 30)).run()
    no_exceptions(at)
    assert at.subheader[0].value == "Latest quarter: FY25 Q1"
    table = open_tables(at).dataframe[0].value
    assert (table["reported_at"] <= "2024-11-30").all()
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Showing only what was published by **2024-11-30**" in captions
    assert "Data published up to" not in captions  # the later publication date is not revealed
