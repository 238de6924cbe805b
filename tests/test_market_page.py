"""The Market page through AppTest, on a fixture store with synthetic prices."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from aiwatch import store
from tests.conftest import ROOT, make_cfg, use_env
from tests.test_market import synthetic_prices, write_prices

APP = str(ROOT / "app.py")
PAGE = "pages/market.py"


def open_market(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(PAGE)  # the first run is the Market page, as when a shared link is opened
    at.run()
    return at


def no_exceptions(at):
    assert [e.value for e in at.exception] == []


def charts(at):
    return at.get("vega_lite_chart")


def chart_points(chart) -> int:
    """Rows sent to the browser for one chart (every dataset of every layer)."""
    buffers = [d.data.data for d in chart.proto.datasets]
    if chart.proto.data.data:
        buffers.append(chart.proto.data.data)
    return sum(pa.ipc.open_stream(b).read_all().num_rows for b in buffers)


def table(at, column: str):
    """The first dataframe on the page that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.fixture
def market_env(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    write_prices(cfg, synthetic_prices())
    store.build(cfg)
    use_env(monkeypatch, cfg)
    return cfg


def test_market_page_default_view(market_env):
    at = open_market()
    no_exceptions(at)
    assert at.title[0].value == "Market"
    assert len(charts(at)) == 6  # performance, drawdown, correlation, beta, CAR by event, CAR path
    assert [m.label for m in at.metric] == ["MSFT since base day", "QQQ since base day", "MSFT deepest drawdown",
                                            "MSFT 60-day beta vs QQQ"]
    # defaults: the peers of data/ticker.csv, QQQ as the benchmark, one year
    assert at.multiselect(key="tickers").value == ["AAPL"]
    assert at.selectbox(key="benchmark").value == "QQQ"
    assert at.segmented_control(key="horizon").value == "1Y"
    caption = next(c.value for c in at.caption if c.value.startswith("Price shown"))
    assert "**adjusted close**" in caption and "2024-04-01 to 2025-03-31, every trading day" in caption
    # the event study: day-precision milestones with prices around them, sources, and the caveats
    events = table(at, "car_pct")
    assert events["title"].tolist() == ["Synthetic deal", "Synthetic API launch", "Synthetic consumer launch"]
    assert events["source_url"].str.startswith("https://example.test/").all()
    assert (events["n_est"] == 240).all() and events["beta"].notna().all()
    assert any("association, not cause" in w.value and "single-firm t-test" in w.value for w in at.warning)
    assert at.segmented_control(key="model").value == "market"
    assert at.segmented_control(key="window").value == "-1,+1"
    assert at.selectbox(key="event").value == "m4"  # the latest event with statistics
    labels = [b.label for b in at.get("download_button")]
    assert {"Download CSV: every event and window", "Download CSV: the averages",
            "Download CSV: this CAR path"} <= set(labels)


def test_milestone_filter(market_env):
    at = open_market()
    at.pills(key="indicators").set_value(["consumer_ai"]).run()
    no_exceptions(at)
    assert table(at, "car_pct")["title"].tolist() == ["Synthetic consumer launch"]
    assert table(at, "car_pct")["indicator_name"].unique().tolist() == ["Consumer AI commercialization"]
    at.pills(key="indicators").set_value([]).run()
    no_exceptions(at)
    assert any("no milestone dated to the day" in i.value for i in at.info)
    assert len(charts(at)) == 4  # the event charts are gone, the price charts stay


def test_horizon_rebase_and_tickers_change_the_view(market_env):
    at = open_market()
    at.segmented_control(key="horizon").set_value("max").run()
    no_exceptions(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Price shown"))
    assert "2022-01-03 to 2025-03-31" in caption
    label = next(o for o in at.selectbox(key="rebase").options if "Synthetic API launch" in o)
    at.selectbox(key="rebase").set_value(label).run()
    no_exceptions(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Price shown"))
    assert "rebased to 100 on the first trading day on or after 2024-11-05" in caption
    assert '"type": "log"' not in charts(at)[0].proto.spec
    at.toggle(key="log").set_value(True).run()
    no_exceptions(at)
    assert '"type": "log"' in charts(at)[0].proto.spec.replace('":"', '": "')
    at.multiselect(key="tickers").set_value([]).run()
    no_exceptions(at)
    assert len(charts(at)) == 6


def test_as_of_restricts_prices_and_milestones(market_env):
    at = open_market()
    at.date_input(key="as_of").set_value(date(2024, 6, 28)).run()
    no_exceptions(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Price shown"))
    assert "to 2024-06-28" in caption
    assert table(at, "car_pct")["title"].tolist() == ["Synthetic deal"]


def test_shared_link_rebuilds_the_view_and_drops_what_it_cannot_show(market_env):
    at = open_market({"tickers": ["AAPL", "NOPE"], "horizon": "3Y", "benchmark": "BOGUS"})
    no_exceptions(at)
    assert at.segmented_control(key="horizon").value == "3Y"
    assert at.multiselect(key="tickers").value == ["AAPL"]
    assert at.selectbox(key="benchmark").value == "QQQ"
    # (saying so is app.py's job for every page: ui.link_check_*)


def test_charts_never_get_more_than_5000_points(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    peers = [f"P{i}" for i in range(11)]
    with open(cfg.data_dir / "ticker.csv", "a") as f:
        for p in peers:
            f.write(f"{p},Peer {p} (synthetic),peer,https://example.test/synthetic/{p}\n")
    write_prices(cfg, synthetic_prices(("MSFT", "AAPL", "QQQ", *peers), "2020-01-01", "2025-03-31"))
    store.build(cfg)
    use_env(monkeypatch, cfg)
    at = open_market({"horizon": "max"})
    no_exceptions(at)
    points = [chart_points(c) for c in charts(at)]
    assert max(points) <= 5000, points
    assert points[0] > 1000  # still a real chart: 14 tickers, one point per week
    caption = next(c.value for c in at.caption if c.value.startswith("Price shown"))
    assert "one point per week per ticker" in caption


def test_a_benchmark_without_prices_in_the_window(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    with open(cfg.data_dir / "ticker.csv", "a") as f:
        f.write("SPY,Second index (synthetic),index,https://example.test/synthetic/SPY\n")
    prices = synthetic_prices(("MSFT", "AAPL", "QQQ", "SPY"))
    prices = prices[(prices.ticker != "SPY") | (prices.date < "2022-06-01")]  # SPY stops early
    write_prices(cfg, prices)
    store.build(cfg)
    use_env(monkeypatch, cfg)
    at = open_market({"benchmark": "SPY"})
    no_exceptions(at)
    assert at.selectbox(key="benchmark").value == "SPY"
    assert [m.label for m in at.metric] == ["MSFT since base day", "MSFT deepest drawdown"]
    assert any("SPY (none in this window)" in c.value for c in at.caption)
    assert sum("fewer than 60 trading days" in i.value for i in at.info) == 2
    assert any("no milestone dated to the day" in i.value for i in at.info)  # SPY has no prices then


def test_no_prices_says_how_to_get_them(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    use_env(monkeypatch, cfg)
    at = open_market()
    no_exceptions(at)
    assert [i.value for i in at.info] == [
        "No data yet: no prices are stored for MSFT. Run `python -m aiwatch import-prices FILE` or "
        "`python -m aiwatch refresh`, then reload."]
    assert len(charts(at)) == 0


def test_no_subject_ticker(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    (cfg.data_dir / "ticker.csv").write_text("ticker,name,role,source_url\n")
    use_env(monkeypatch, cfg)
    at = open_market()
    no_exceptions(at)
    assert any("names no ticker with role 'subject'" in i.value for i in at.info)


# --- the event study ------------------------------------------------------------------------------

@pytest.fixture
def confounded_env(tmp_path, monkeypatch):
    """The basic fixture plus an earnings release the trading day after m4 (Friday 2025-01-10)."""
    cfg = make_cfg(tmp_path)
    with open(cfg.data_dir / "earnings_release.csv", "a") as f:
        f.write("2030,Q1,2024-12-31,2025-01-13,https://example.test/synthetic/er/2030q1,company,\n")
    write_prices(cfg, synthetic_prices())
    store.build(cfg)
    use_env(monkeypatch, cfg)
    return cfg


def event_table(at):
    return next(d for d in at.dataframe if "car_pct" in d.value.columns)


def test_event_study_marks_significance_and_confounders(confounded_env):
    at = open_market()
    no_exceptions(at)
    events = event_table(at).value.set_index("title")
    deal, launch = events.loc["Synthetic deal"], events.loc["Synthetic consumer launch"]
    assert deal["p_value"] < 0.05 and deal["marks"] == "✱"
    assert launch["marks"] == "⚠" and launch["confounders"] == "FY30 Q1 results, 2025-01-13"
    # significant figures are bold: the first row's CAR, t and p (columns 2-4), no other row
    styles = event_table(at).proto.arrow_data.styler.styles
    assert "row0_col2" in styles and "row0_col4" in styles and "font-weight: bold" in styles
    assert "row1_col" not in styles and "row2_col" not in styles
    aggregates = table(at, "caar_pct").set_index(["group", "sample"])
    assert aggregates.loc[("All events", "all"), "n"] == 3
    assert aggregates.loc[("All events", "without confounded"), "n"] == 2
    # the chart draws the confounded one hollow: a layer of unfilled points
    spec = charts(at)[4].proto.spec
    assert '"filled":false' in spec.replace(" ", "") and '"filled":true' in spec.replace(" ", "")


def test_event_study_controls_change_the_view(confounded_env):
    at = open_market()
    at.toggle(key="exclude_confounded").set_value(True).run()
    no_exceptions(at)
    assert event_table(at).value["title"].tolist() == ["Synthetic deal", "Synthetic API launch"]
    assert set(table(at, "caar_pct")["sample"]) == {"without confounded"}
    before = event_table(at).value["car_pct"].tolist()
    at.segmented_control(key="window").set_value("-5,+5").run()
    no_exceptions(at)
    after = event_table(at).value["car_pct"].tolist()
    assert len(after) == 2 and after != before
    at.segmented_control(key="model").set_value("market-adjusted").run()
    no_exceptions(at)
    adjusted = event_table(at).value
    assert adjusted["beta"].isna().all() and adjusted["car_pct"].tolist() != after
    assert any("n − 1 degrees" in c.value for c in at.caption)


def test_event_study_view_from_a_shared_link(confounded_env):
    at = open_market({"model": "Market-adjusted", "window": "[0,+5]", "exclude_confounded": "true",
                      "event": "2024-11-05 · Synthetic API launch"})
    no_exceptions(at)
    assert at.segmented_control(key="model").value == "market-adjusted"
    assert at.segmented_control(key="window").value == "0,+5"
    assert at.toggle(key="exclude_confounded").value is True
    assert at.selectbox(key="event").value == "m3"
    assert any(c.value.startswith("2024\\-11\\-05 · Synthetic API launch: abnormal returns") for c in at.caption)
    path = charts(at)[5]
    assert chart_points(path) >= 21  # days -10..+10 (plus the rules)


def test_default_benchmark_is_the_first_index_listed(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    lines = (cfg.data_dir / "ticker.csv").read_text().splitlines()
    spy = "SPY,Second index (synthetic),index,https://example.test/synthetic/SPY"
    (cfg.data_dir / "ticker.csv").write_text("\n".join([lines[0], spy, *lines[1:]]) + "\n")
    write_prices(cfg, synthetic_prices(("MSFT", "AAPL", "QQQ", "SPY")))
    store.build(cfg)
    use_env(monkeypatch, cfg)
    at = open_market()
    no_exceptions(at)
    assert at.selectbox(key="benchmark").value == "SPY"
    assert any("against SPY" in c.value for c in at.caption)


def test_event_study_is_computed_once_per_model_and_benchmark(confounded_env, monkeypatch):
    from aiwatch import events

    calls = []
    study = events.study
    monkeypatch.setattr(events, "study", lambda *a, **k: calls.append(a[1:]) or study(*a, **k))
    at = open_market({"horizon": "3Y"})  # a view no other test cached
    no_exceptions(at)
    n = len(calls)
    assert n >= 1
    at.run()
    at.segmented_control(key="window").set_value("0,+5").run()
    at.toggle(key="exclude_confounded").set_value(True).run()
    no_exceptions(at)
    assert len(calls) == n  # another window or filter redraws the section from the cached study
    at.segmented_control(key="model").set_value("market-adjusted").run()
    no_exceptions(at)
    assert len(calls) == n + 1 and calls[-1][0] == "market-adjusted"
