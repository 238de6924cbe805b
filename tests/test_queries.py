"""Every query file runs against the fixture store; the key ones are checked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from aiwatch import queries

LATEST = date(9999, 12, 31)
SAMPLE_PARAMS = {
    "as_of": LATEST,
    "basis": "as_reported",
    "kpi_ids": ["azure_other_cloud_services_growth_yoy", "ai_business_annual_revenue_run_rate"],
    "table_name": "kpi",  # table_rows (the Data page downloads)
    # market queries (the fixture store has no prices: they must still run)
    "tickers": ["MSFT", "AAPL", "QQQ"],
    "subject": "MSFT",
    "benchmark": "QQQ",
    "start": date(2024, 1, 1),
    "base_date": date(2024, 1, 2),
    "max_points": 4000,
    "indicators": ["mai_progress", "consumer_ai", "api_adoption", "openai_dependence"],
    # watch-indicator pages
    "indicator": "mai_progress",
    "page": "overview",  # page_sections (the page layouts)
    "categories": ["MAI API", "Model diversification"],
    "tracks": ["mai_model", "mai_api"],
    "track": "mai_api",
    "vendor": "Microsoft",
    "window_days": 7,
}


@pytest.mark.parametrize("name", queries.names())
def test_every_query_runs(con, name):
    sql, declared = queries.load(name)
    first = sql.splitlines()[0]
    assert first.startswith("-- One row"), f"{name}.sql must state its grain on line 1"
    missing = [p for p in declared if p not in SAMPLE_PARAMS]
    assert not missing, f"add sample values for {missing} to SAMPLE_PARAMS"
    df = queries.run(con, name, **{p: SAMPLE_PARAMS[p] for p in declared})
    assert df is not None and len(df.columns) > 0


def test_parameters_are_checked(con):
    with pytest.raises(queries.QueryError, match="missing"):
        queries.run(con, "kpi_series", as_of=LATEST)
    with pytest.raises(queries.QueryError, match="unexpected"):
        queries.run(con, "data_as_of", evil="1; drop table kpi")
    with pytest.raises(queries.QueryError):
        queries.run(con, "../etc/passwd")


def test_hostile_values_are_bound_not_pasted(con):
    df = queries.run(con, "kpi_series", kpi_ids=["x'); drop table kpi; --"], as_of=LATEST)
    assert df.empty
    assert not queries.run(con, "kpi_series", kpi_ids=["azure_other_cloud_services_growth_yoy"], as_of=LATEST).empty


def _row(df, label, segment):
    return df[(df.quarter_label == label) & (df.segment == segment)].iloc[0]


def test_yoy_growth_compares_like_with_like(con):
    q = queries.run(con, "segment_revenue_quarterly", basis="as_reported", as_of=LATEST)
    # FY25 Q1 (new definitions) vs the recast FY24 Q1 (150), not the old as-reported 110
    r = _row(q, "FY25 Q1", "Productivity and Business Processes")
    assert r.revenue_usd_m == 165 and r.prior_year_basis == "recast" and r.yoy_growth_pct == 10.0
    # FY24 Q1 old definitions vs FY23 Q1 old definitions
    r = _row(q, "FY24 Q1", "Productivity and Business Processes")
    assert r.prior_year_basis == "as_reported" and r.yoy_growth_pct == 10.0
    assert _row(q, "FY25 Q1", "Productivity and Business Processes").mix_pct == round(100 * 165 / 484, 1)


def test_recast_series_uses_current_definitions_only(con):
    q = queries.run(con, "segment_revenue_quarterly", basis="recast", as_of=LATEST)
    fy24 = q[q.fiscal_year == 2024]
    assert set(fy24.basis) == {"recast"}
    fy25 = q[q.fiscal_year == 2025]
    assert set(fy25.basis) == {"as_reported"} and fy25.current_definitions.all()
    # FY23: only the recast total is known; no segment rows, and no growth against old definitions
    fy23 = q[q.fiscal_year == 2023]
    assert set(fy23.segment) == {"Total"}
    assert q[(q.fiscal_year == 2024) & (q.segment != "Total")].yoy_growth_pct.isna().all()


def test_as_of_hides_later_publications(con):
    q = queries.run(con, "segment_revenue_quarterly", basis="recast", as_of=date(2024, 11, 30))
    # FY24 Q1 recast was published with FY25 Q1 (2024-10-28); Q2..Q4 recasts came later
    fy24 = q[(q.fiscal_year == 2024)]
    assert set(fy24.fiscal_quarter) == {"Q1"}
    assert (q.reported_at <= "2024-11-30").all()
    k = queries.run(con, "kpi_series", kpi_ids=["ai_business_annual_revenue_run_rate"], as_of=date(2024, 12, 1))
    assert list(k.value) == [10.0]


def test_coverage_names_quarters_without_recast_segments(con):
    c = queries.run(con, "segment_basis_coverage", as_of=LATEST)
    fy23 = c[c.fiscal_year == 2023]
    assert (fy23.recast_segments == 0).all() and fy23.recast_total_known.all()


def test_fiscal_labels(con):
    k = queries.run(con, "kpi_series", kpi_ids=["azure_other_cloud_services_growth_yoy"], as_of=LATEST)
    labels = dict(zip(k.period_end.astype(str), k.quarter_label))
    assert labels["2023-09-30"] == "FY24 Q1"
    assert labels["2024-06-30"] == "FY24 Q4"
    assert labels["2024-12-31"] == "FY25 Q2"
