"""The watch-indicator queries on the synthetic overlay (tests/data/indicators/), checked by hand,
and point-in-time: nothing published after the as-of date comes back from any of them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from aiwatch import queries, store
from tests.test_scorecard import make_indicator_cfg

LATEST = date(9999, 12, 31)
# every query of the indicator pages that takes $as_of, with the other parameters they are given
AS_OF_QUERIES = {
    "scorecard_rules": {},
    "kpi_latest": {"kpi_ids": ["ai_business_annual_revenue_run_rate", "azure_other_cloud_services_growth_yoy"]},
    "kpi_series": {"kpi_ids": ["ai_business_annual_revenue_run_rate", "azure_other_cloud_services_growth_yoy"]},
    "milestones_known": {"indicators": ["mai_progress", "consumer_ai", "api_adoption", "openai_dependence"],
                         "categories": [], "tracks": []},
    "milestones_stage_path": {"track": "mai_api"},
    "leaderboard_vs_subject": {"vendor": "Microsoft", "window_days": 7},
    "mai_figures": {"indicator": "mai_progress"},
    "api_third_party_models": {"categories": ["Model diversification"], "kpi_ids": []},
    "overview_ytd_vs_index": {},
    "changes_since_previous_build": {},
    "segment_revenue_quarterly": {"basis": "recast"},
}
# columns that are not publication dates (the build's own time, the as-of reference itself)
NOT_PUBLICATION = {"built_at", "previous_built_at"}


@pytest.fixture
def icon(tmp_path):
    cfg = make_indicator_cfg(tmp_path)
    store.build(cfg)
    con = store.open_readonly(cfg)
    yield con
    con.close()


def run(con, name, **params):
    return queries.run(con, name, **params)


def test_kpi_latest_gives_value_previous_and_delta_in_catalog_units(icon):
    k = run(icon, "kpi_latest", kpi_ids=["ai_business_annual_revenue_run_rate", "mai_rank",
                                         "azure_other_cloud_services_growth_yoy"], as_of=LATEST)
    assert list(k.kpi_id) == ["ai_business_annual_revenue_run_rate", "azure_other_cloud_services_growth_yoy"]
    rr, az = k.iloc[0], k.iloc[1]
    assert (rr.value_text, rr.prev_value_text, rr.delta, rr.delta_text) == (
        "surpassed $13bn", "on track to surpass $10bn", 3, "+$3bn")
    assert (rr.period_label, rr.prev_period_label) == ("FY25 Q2", "FY25 Q1")
    assert (az.value_text, az.delta_text) == ("+33% YoY", "+1 pts")
    early = run(icon, "kpi_latest", kpi_ids=["ai_business_annual_revenue_run_rate"], as_of=date(2024, 12, 1))
    assert list(early.value) == [10] and early.delta.isna().all()


def test_milestones_match_indicator_category_or_track_and_respect_precision(icon):
    m = run(icon, "milestones_known", as_of=LATEST, indicators=["consumer_ai"], categories=["MAI API"],
            tracks=["mai_model"])
    assert list(m.id) == ["m6", "m4", "m5", "m3", "m2"]  # newest first
    by_id = m.set_index("id")
    assert by_id.loc["m2", "kind"] == "press report" and by_id.loc["m5", "kind"] == "announcement"
    assert by_id.loc["m2", "date_label"] == "Jun 2024" and str(by_id.loc["m2", "known_at"])[:10] == "2024-06-30"
    # a month-precision event is known only once its month is over
    mid_june = run(icon, "milestones_known", as_of=date(2024, 6, 15), indicators=[], categories=[],
                   tracks=["mai_model"])
    assert mid_june.empty
    assert run(icon, "milestones_known", as_of=LATEST, indicators=[], categories=[], tracks=[]).empty


def test_stage_path_lists_the_track_in_order(icon):
    p = run(icon, "milestones_stage_path", track="mai_api", as_of=LATEST)
    assert list(p.stage) == ["preview", "available"] and list(p.stage_order) == [2, 3]
    assert set(p.track_stages) == {"preview → available"} and set(p.stage_count) == {3}
    assert run(icon, "milestones_stage_path", track="mai_api", as_of=date(2025, 5, 31)).stage.tolist() == ["preview"]


def test_leaderboard_marks_subject_and_nearby_rivals(icon):
    lb = run(icon, "leaderboard_vs_subject", as_of=LATEST, vendor="Microsoft", window_days=7).set_index("model")
    assert lb.loc["Synth-MAI", "role"] == "subject"
    assert lb.loc["Synth-Leader", "role"] == "rival"
    assert lb.loc["Synth-Leader", "compared_with"] == "Synth-MAI" and lb.loc["Synth-Leader", "days_apart"] == 4
    assert lb.loc["Synth-Leader", "places_ahead_of_subject"] == 12
    far = run(icon, "leaderboard_vs_subject", as_of=LATEST, vendor="Microsoft", window_days=3)
    assert far.set_index("model").loc["Synth-Leader", "role"] == "other"
    early = run(icon, "leaderboard_vs_subject", as_of=date(2024, 11, 2), vendor="Microsoft", window_days=7)
    assert list(early.model) == ["Synth-Leader"] and list(early.role) == ["other"]


def test_third_party_models_join_milestones_and_availability_flags(icon):
    t = run(icon, "api_third_party_models", as_of=LATEST, categories=["Model diversification"],
            kpi_ids=["azure_growth_points_from_ai_services"])  # not a flag: never counted
    assert list(t.title) == ["Synthetic rival model on Azure"] and list(t.models_so_far) == [1]


def test_mai_figures_tell_measurements_from_company_statements(tmp_path):
    cfg = make_indicator_cfg(tmp_path)
    with open(cfg.data_dir / "kpi.csv", "a") as f:
        f.write("mai_rank,2024-11-05,13,,2024-11-05,https://example.test/synthetic/rank,measurement,,\n")
    store.build(cfg)
    con = store.open_readonly(cfg)
    f = run(con, "mai_figures", indicator="mai_progress", as_of=LATEST)
    con.close()
    assert list(f.evidence) == ["measurement"] and list(f.value_text) == ["#13"]


def write_prices(cfg, rows):
    (cfg.data_dir / "market").mkdir(exist_ok=True)
    lines = ["ticker,date,open,high,low,close,adj_close,volume,source,fetched_at"]
    lines += [f"{t},{d},,,,{c},{c},,plain_csv,2025-03-08 00:00:00" for t, d, c in rows]
    (cfg.data_dir / "market" / "prices.csv").write_text("\n".join(lines) + "\n")


def test_year_to_date_against_each_index(tmp_path):
    cfg = make_indicator_cfg(tmp_path)
    write_prices(cfg, [("MSFT", "2024-12-31", 100), ("MSFT", "2025-01-02", 101), ("MSFT", "2025-03-07", 110),
                       ("MSFT", "2025-03-10", 90), ("QQQ", "2024-12-31", 200), ("QQQ", "2025-03-07", 210),
                       ("AAPL", "2024-12-31", 1), ("AAPL", "2025-03-07", 5)])
    store.build(cfg)
    con = store.open_readonly(cfg)
    y = run(con, "overview_ytd_vs_index", as_of=date(2025, 3, 7))
    latest = run(con, "overview_ytd_vs_index", as_of=LATEST)
    con.close()
    assert len(y) == 1  # the peer (AAPL) is not an index
    r = y.iloc[0]
    assert (r.ticker, r.index_ticker, r.ytd_return_pct, r.index_ytd_return_pct, r.excess_return_pct_points) == (
        "MSFT", "QQQ", 10.0, 5.0, 5.0)
    assert str(r.end_date)[:10] == "2025-03-07" and str(r.base_date)[:10] == "2024-12-31"
    assert latest.iloc[0].ytd_return_pct == -10.0  # 2025-03-10 close of 90


def test_no_prices_means_no_year_to_date_row(icon):
    assert run(icon, "overview_ytd_vs_index", as_of=LATEST).empty


def _publication_dates(df: pd.DataFrame):
    for col in df.columns:
        if col in NOT_PUBLICATION:
            continue
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            yield col, df[col].dropna()
        elif df[col].dtype == object and df[col].dropna().map(lambda v: isinstance(v, date)).all() \
                and df[col].notna().any():
            yield col, pd.to_datetime(df[col].dropna())


def assert_nothing_after(con, as_of: date):
    for name, extra in AS_OF_QUERIES.items():
        df = run(con, name, as_of=as_of, **extra)
        for col, values in _publication_dates(df):
            late = values[values > pd.Timestamp(as_of)]
            assert late.empty, f"{name}.{col} shows {list(late)[:3]} after {as_of}"


@pytest.mark.parametrize("as_of", [date(2023, 12, 31), date(2024, 11, 30), date(2025, 1, 28)])
def test_indicator_queries_show_nothing_published_after_as_of(icon, as_of):
    assert_nothing_after(icon, as_of)


def test_as_of_article_date_on_the_real_data(tmp_path):
    """As of 2025-03-07 (the article): the $13bn run-rate, and no MAI release or leaderboard standing."""
    from aiwatch.config import load_config
    from tests.conftest import ROOT

    cfg = load_config(data_dir=ROOT / "data", db=tmp_path / "real.duckdb", state_dir=tmp_path)
    store.build(cfg)
    con = store.open_readonly(cfg)
    try:
        article = date(2025, 3, 7)
        assert_nothing_after(con, article)
        rr = run(con, "kpi_latest", kpi_ids=["ai_business_annual_revenue_run_rate"], as_of=article).iloc[0]
        assert (rr.value_text, rr.delta_text, str(rr.reported_at)[:10]) == ("surpassed $13bn", "+$3bn", "2025-01-29")
        s = run(con, "scorecard_rules", as_of=article).set_index("rule_id")
        assert s.loc["mai_release_recency"].status == "unknown"
        assert s.loc["mai_leaderboard_gap"].status == "unknown"
        assert run(con, "milestones_known", as_of=article, indicators=[], categories=[],
                   tracks=["mai_model"]).kind.tolist() == ["press report"]  # MAI-1 in training (2024-05)
        assert run(con, "leaderboard_vs_subject", as_of=article, vendor="Microsoft", window_days=7).empty
    finally:
        con.close()
