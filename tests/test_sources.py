"""Every fact row says what kind of source it cites; check validates it and warns about copies;
URLs are accepted by load only through aiwatch.text.url_problem; lone CRs are refused."""

from __future__ import annotations

import pytest

from aiwatch import queries, store
from aiwatch.__main__ import main
from aiwatch.load import SOURCE_KINDS, SOURCED_TABLES, TABLES, load_all
from tests.conftest import edit_csv

LATEST_PARAMS = {"as_of": __import__("datetime").date(9999, 12, 31)}


def problems_of(cfg):
    return [str(p) for p in load_all(cfg.data_dir)[1]]


def test_every_fact_table_has_a_source_kind_and_checked_against():
    assert set(SOURCED_TABLES) == {"segment_revenue", "kpi", "milestone", "leaderboard", "earnings_release"}
    for name in SOURCED_TABLES:
        cols = {c.name: c for c in TABLES[name].columns}
        assert cols["source_kind"].required and cols["source_kind"].choices == SOURCE_KINDS
        assert cols["checked_against"].kind == "url" and not cols["checked_against"].required
    assert SOURCE_KINDS == ("filing", "company", "press", "measurement", "copy")


@pytest.mark.parametrize("table", ["segment_revenue", "kpi", "milestone", "leaderboard", "earnings_release"])
def test_a_missing_or_unknown_kind_is_named(cfg, table):
    edit_csv(cfg.data_dir / f"{table}.csv", 2, "source_kind", "blog")
    edit_csv(cfg.data_dir / f"{table}.csv", 3, "source_kind", "")
    got = problems_of(cfg)
    expected = "is not one of filing, company, press, measurement, copy"
    assert f"data/{table}.csv line 2, column source_kind: 'blog' {expected}" in got, got
    assert f"data/{table}.csv line 3, column source_kind: '' {expected}" in got, got


def test_filing_means_an_sec_address_and_back(cfg):
    path = cfg.data_dir / "kpi.csv"
    edit_csv(path, 2, "source_kind", "filing")  # an example.test address
    edit_csv(path, 3, "source_url", "https://www.sec.gov/Archives/edgar/data/1/000000000000000001/x.htm")
    got = problems_of(cfg)
    assert any(p.startswith("data/kpi.csv line 2, column source_kind: 'filing' is not filing only for "
                            "an address on www.sec.gov") for p in got), got
    assert any(p.startswith("data/kpi.csv line 3, column source_kind: 'company' is not filing: "
                            "source_url is an SEC document") for p in got), got


def test_checked_against_is_a_url_other_than_the_source(cfg):
    path = cfg.data_dir / "segment_revenue.csv"
    edit_csv(path, 2, "checked_against", "a copy somewhere")
    edit_csv(path, 3, "checked_against", "https://example.test/synthetic/seg/2023q1")  # = source_url
    edit_csv(path, 4, "checked_against", "https://copy.example.test/seg")
    got = problems_of(cfg)
    assert any(p.startswith("data/segment_revenue.csv line 2, column checked_against: 'a copy somewhere'")
               for p in got), got
    assert any(p.startswith("data/segment_revenue.csv line 3, column checked_against:") and "another address"
               in p for p in got), got
    assert not any("line 4" in p for p in got), got


@pytest.mark.parametrize("url", [
    "https://example.test/a b", "https://example.test/a(b)", "https://example.test/[x]",
    "https://example.test/<x>", 'https://example.test/"x"', "https://example.test/'x'",
    "https://example.test/a\\b", "https://example.test/a\x07b", "ftp://example.test/x",
    "https:///no-host", "//example.test/x", "javascript:alert(1)",
])
@pytest.mark.parametrize("column", ["source_url", "checked_against"])
def test_load_refuses_urls_that_the_link_helper_would_refuse(cfg, url, column):
    edit_csv(cfg.data_dir / "milestone.csv", 2, column, url)
    got = problems_of(cfg)
    assert any(p.startswith(f"data/milestone.csv line 2, column {column}: {url.strip()!r} is not an") and "URL"
               in p for p in got), got


def test_load_refuses_a_lone_carriage_return_in_a_text_cell(cfg):
    # written as bytes: a lone CR must reach the file exactly as an attacker would write it
    path = cfg.data_dir / "milestone.csv"
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"A synthetic event.", b'"one\r=cmd|\' /C calc\'!A0"')
    lines[2] = lines[2].replace(b"A synthetic month event.", b'"a CRLF\r\nline break is fine"')
    path.write_bytes(b"\n".join(lines))
    got = problems_of(cfg)
    assert any(p.startswith("data/milestone.csv line 2, column detail:") and "lone carriage return" in p
               for p in got), got
    assert not any("line 3" in p for p in got), got


def cli(cfg, *args):
    return main([*args, "--data-dir", str(cfg.data_dir), "--db", cfg.db])


@pytest.mark.parametrize("command", ["check", "build"])
def test_check_and_build_warn_about_copies_and_still_succeed(cfg, capsys, monkeypatch, command):
    monkeypatch.setenv("AIWATCH_STATE_DIR", str(cfg.state_dir))
    edit_csv(cfg.data_dir / "kpi.csv", 4, "source_kind", "copy")
    assert cli(cfg, command) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: data/kpi.csv line 4, column source_kind: 'copy': the source is a third-party "
                        "copy (https://example.test/synthetic/kpi/2024q1); cite the company's or the SEC's own "
                        "address once one is known"]


def test_no_warning_without_copies(cfg, capsys, monkeypatch):
    monkeypatch.setenv("AIWATCH_STATE_DIR", str(cfg.state_dir))
    assert cli(cfg, "check") == 0
    assert "warning:" not in capsys.readouterr().err


def test_primary_share_per_table(cfg):
    edit_csv(cfg.data_dir / "kpi.csv", 2, "source_kind", "copy")
    edit_csv(cfg.data_dir / "kpi.csv", 3, "source_kind", "press")
    edit_csv(cfg.data_dir / "kpi.csv", 4, "source_kind", "filing")
    edit_csv(cfg.data_dir / "kpi.csv", 4, "source_url", "https://www.sec.gov/Archives/edgar/data/1/2/x.htm")
    store.build(cfg)
    con = store.open_readonly(cfg)
    try:
        share = queries.run(con, "source_primary_share").set_index("table_name")
        kpis = con.execute("select count(*) from kpi").fetchall()[0][0]
    finally:
        con.close()
    assert set(share.index) == set(SOURCED_TABLES)
    k = share.loc["kpi"]
    assert (k.source_rows, k.primary_rows, k.copy_rows) == (kpis, kpis - 2, 1)
    assert k.primary_share_pct == round(100 * (kpis - 2) / kpis, 1)
    assert share.loc["milestone"].primary_share_pct == 0.0  # the fixture's milestones are press
    assert share.loc["segment_revenue"].primary_share_pct == 100.0


# Ticker sources (a quote page, not a fact) are the only source_url without a kind.
NOT_FACT_SOURCES = {"market_tickers", "overview_ytd_vs_index", "export_ticker"}


def test_every_query_that_shows_a_fact_source_shows_its_kind(con):
    from tests.test_queries import SAMPLE_PARAMS

    for name in queries.names():
        if name in NOT_FACT_SOURCES:
            continue
        sql, declared = queries.load(name)
        df = queries.run(con, name, **{p: SAMPLE_PARAMS[p] for p in declared})
        for col in df.columns:
            if col.endswith("source_url") or col.endswith("_source"):
                kind = (col.removesuffix("_url") if col.endswith("source_url") else col) + "_kind"
                kind = "source_kind" if col == "source_url" else kind
                assert kind in df.columns, f"{name}.sql returns {col} without {kind}"
