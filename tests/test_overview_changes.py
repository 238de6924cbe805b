"""What changed since the previous build: the build keeps the replaced store's facts (prev_*),
queries/changes_since_previous_build.sql lists what was added, changed and removed."""

from __future__ import annotations

from datetime import date

import pytest

from aiwatch import queries, store
from aiwatch.load import TABLES, ValidationFailed
from tests.conftest import edit_csv, make_cfg

LATEST = date(9999, 12, 31)


def changes(cfg, as_of=LATEST):
    con = store.open_readonly(cfg)
    try:
        return (queries.run(con, "changes_previous_build"),
                queries.run(con, "changes_since_previous_build", as_of=as_of))
    finally:
        con.close()


def test_first_build_has_nothing_to_compare(built):
    previous, diff = changes(built)
    assert list(previous.previous_outcome) == ["first"] and previous.previous_built_at.isna().all()
    assert diff.empty


def test_a_rebuild_of_the_same_data_changes_nothing(built):
    first_built = changes(built)[0].built_at.iloc[0]
    store.build(built)
    previous, diff = changes(built)
    assert list(previous.previous_outcome) == ["ok"]
    assert previous.previous_built_at.iloc[0] == first_built
    assert diff.empty


def test_added_changed_and_removed_facts_are_listed(built):
    data = built.data_dir
    edit_csv(data / "kpi.csv", 21, "value", "14")          # run-rate FY25 Q2: 13 -> 14
    edit_csv(data / "milestone.csv", 5, "detail", "A corrected synthetic event.")  # m4: detail only
    lines = (data / "leaderboard.csv").read_text().splitlines()
    (data / "leaderboard.csv").write_text("\n".join(lines[:2]) + "\n")  # Synth-Leader removed
    with open(data / "milestone.csv", "a") as f:
        f.write("m9,2025-02-01,day,mai_progress,MAI models,Synthetic new model,New.,https://example.test/m9\n")
    store.build(built)
    _, diff = changes(built)
    got = {(r.change, r.fact_table, r.fact) for r in diff.itertuples()}
    assert got == {
        ("added", "milestone", "Synthetic new model"),
        ("changed", "kpi", "AI run-rate (synthetic), FY25 Q2"),
        ("changed", "milestone", "Synthetic consumer launch"),
        ("removed", "leaderboard", "Synth-Leader on Synthetic Arena, 2024-11-01"),
    }
    rr = diff[diff.fact_table == "kpi"].iloc[0]
    assert (rr.before_text, rr.after_text, rr.changed_columns) == ("surpassed $13bn", "surpassed $14bn", "value")
    m4 = diff[diff.fact == "Synthetic consumer launch"].iloc[0]
    assert m4.changed_columns == "detail" and m4.source_url.endswith("/m4")
    # the next build compares with this one only
    store.build(built)
    assert changes(built)[1].empty


def test_changes_respect_the_as_of_date(built):
    edit_csv(built.data_dir / "kpi.csv", 21, "value", "14")   # published 2025-01-28
    edit_csv(built.data_dir / "kpi.csv", 2, "value", "27")    # published 2023-10-28
    store.build(built)
    _, diff = changes(built, as_of=date(2024, 12, 31))
    assert list(diff.fact) == ["Azure growth (synthetic), FY24 Q1"]


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_an_unreadable_or_missing_previous_store(built, damage):
    if damage == "corrupt":
        built.db_path.write_bytes(b"not a duckdb file")
        expected = "unreadable"
    else:
        built.db_path.unlink()
        expected = "first"
    store.build(built)
    previous, diff = changes(built)
    assert list(previous.previous_outcome) == [expected] and diff.empty


def test_a_failed_build_keeps_the_comparison_of_the_live_store(built):
    edit_csv(built.data_dir / "kpi.csv", 21, "value", "14")
    store.build(built)
    edit_csv(built.data_dir / "kpi.csv", 21, "value", "lots")
    with pytest.raises(ValidationFailed):
        store.build(built)
    _, diff = changes(built)
    assert list(diff.after_text) == ["surpassed $14bn"]


def test_the_empty_fixture_builds_with_a_comparison(tmp_path):
    cfg = make_cfg(tmp_path, scenario="")
    (cfg.data_dir / "indicator.csv").write_text("indicator,name,question,sort_order,url_path,icon\n")
    for name in ("ticker", "segment_revenue", "kpi_catalog", "kpi", "milestone"):
        (cfg.data_dir / f"{name}.csv").write_text(",".join(TABLES[name].column_names) + "\n")
    store.build(cfg)
    store.build(cfg)
    previous, diff = changes(cfg)
    assert list(previous.previous_outcome) == ["ok"] and diff.empty
