"""The scorecard: each rule of indicator_rule.csv evaluated by queries/scorecard_rules.sql.

Fixture: tests/data/indicators/ laid over tests/data/basic/ (its README gives the expected
values). Every status transition is reached by editing a threshold or a fixture row, and a
threshold edited in the CSV changes the status only after a build.
"""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from aiwatch import queries, store
from aiwatch.__main__ import main
from aiwatch.load import ValidationFailed
from tests.conftest import FIXTURES, edit_csv, make_cfg

ON = date(2025, 3, 31)
RULE_LINE = {"release_recency": 2, "rank_gap": 3, "mpc_gap": 4, "api_stage": 5, "run_rate": 6}


def make_indicator_cfg(tmp_path):
    """basic/ with the indicators/ overlay copied over it (not built)."""
    cfg = make_cfg(tmp_path)
    for f in (FIXTURES / "indicators").glob("*.csv"):
        shutil.copy(f, cfg.data_dir / f.name)
    return cfg


@pytest.fixture
def icfg(tmp_path):
    return make_indicator_cfg(tmp_path)


def scorecard(cfg, as_of=ON):
    store.build(cfg)
    con = store.open_readonly(cfg)
    try:
        return queries.run(con, "scorecard_rules", as_of=as_of).set_index("rule_id")
    finally:
        con.close()


def test_every_rule_is_computed_from_the_fixture(icfg):
    s = scorecard(icfg)
    assert list(s.index) == ["release_recency", "rank_gap", "mpc_gap", "api_stage", "run_rate"]
    r = s.loc["release_recency"]
    assert (r.value, r.status) == (120, "mixed")  # m5 2024-12-01 -> 2025-03-31
    assert r.input_a.startswith("Synthetic MAI release (2024-12-01)")
    assert str(r.input_a_date)[:10] == "2024-12-01" and r.input_a_source.endswith("/m5")
    r = s.loc["rank_gap"]
    assert (r.value, r.status) == (12, "lagging")  # Synth-MAI #13 vs Synth-Leader #1, 4 days apart
    assert "Synth-MAI #13" in r.input_a and "Synth-Leader (OpenAI) #1" in r.input_b
    assert r.input_b_source.endswith("/lb2")
    r = s.loc["mpc_gap"]
    # FY25 Q2: MPC 99 vs recast FY24 Q2 90 (+10%), total 484 vs 440 (+10%)
    assert (r.value, r.status) == (0, "on track")
    assert "+10% YoY" in r.input_a and "recast" in r.input_a and r.input_b.startswith("Total FY25 Q2")
    r = s.loc["api_stage"]
    assert (r.value, r.status) == (2, "mixed") and r.value_text == "stage 2 of 3: preview"
    r = s.loc["run_rate"]
    assert (r.value, r.status) == (13, "on track") and r.value_text == "surpassed $13bn (FY25 Q2)"
    assert r.rule_text == "On track at $12bn or more; lagging below $8bn; mixed in between."
    # an indicator's rules disagree -> mixed; a single rule -> its own status
    assert s.loc["release_recency"].indicator_status == "mixed"
    assert s.loc["mpc_gap"].indicator_status == "on track"
    assert s["reason"].isna().all()


def _set(cfg, rule, **cells):
    for column, value in cells.items():
        edit_csv(cfg.data_dir / "indicator_rule.csv", RULE_LINE[rule], column, str(value))


# (rule, threshold edits, as-of date, expected status)
TRANSITIONS = [
    ("release_recency", {"on_track_threshold": 150, "lagging_threshold": 200}, ON, "on track"),
    ("release_recency", {}, ON, "mixed"),
    ("release_recency", {"on_track_threshold": 60, "lagging_threshold": 100}, ON, "lagging"),
    ("release_recency", {}, date(2024, 11, 30), "unknown"),  # no release published yet
    ("rank_gap", {"on_track_threshold": 12, "lagging_threshold": 15}, ON, "on track"),
    ("rank_gap", {"on_track_threshold": 10, "lagging_threshold": 12}, ON, "mixed"),
    ("rank_gap", {}, ON, "lagging"),
    ("rank_gap", {}, date(2024, 11, 4), "unknown"),  # the MAI standing is observed on 11-05
    ("rank_gap", {"window_days": 3}, ON, "unknown"),  # the rival is 4 days away
    ("mpc_gap", {}, ON, "on track"),
    ("mpc_gap", {"on_track_threshold": 1, "lagging_threshold": -1}, ON, "mixed"),
    ("mpc_gap", {"on_track_threshold": 5, "lagging_threshold": 1}, ON, "lagging"),
    ("mpc_gap", {}, date(2023, 10, 27), "unknown"),  # no like-for-like pair published yet
    ("api_stage", {}, date(2025, 6, 1), "on track"),
    ("api_stage", {}, ON, "mixed"),
    ("api_stage", {"on_track_threshold": 3, "lagging_threshold": 3}, ON, "lagging"),
    ("api_stage", {}, date(2024, 11, 4), "unknown"),
    ("run_rate", {}, ON, "on track"),
    ("run_rate", {"on_track_threshold": 14, "lagging_threshold": 8}, ON, "mixed"),
    ("run_rate", {"on_track_threshold": 20, "lagging_threshold": 14}, ON, "lagging"),
    ("run_rate", {}, date(2024, 10, 27), "unknown"),
]


@pytest.mark.parametrize("rule, edits, as_of, expected", TRANSITIONS,
                         ids=[f"{r}-{e}" for r, _, _, e in TRANSITIONS])
def test_status_transitions(icfg, rule, edits, as_of, expected):
    _set(icfg, rule, **edits)
    row = scorecard(icfg, as_of).loc[rule]
    assert row.status == expected, row.to_dict()
    if expected == "unknown":
        assert row.reason and "estimat" not in row.reason and pd.isna(row.value)
    else:
        assert pd.isna(row.reason) and pd.notna(row.value)


def test_unknown_reasons_name_what_is_missing(icfg):
    s = scorecard(icfg, date(2023, 10, 1))
    assert s.loc["release_recency"].reason == (
        'No milestone of stage "released" on the mai_model track had been published by 2023-10-01.')
    assert "for both More Personal Computing and Total" in s.loc["mpc_gap"].reason
    assert "No Microsoft model standing" in s.loc["rank_gap"].reason
    assert "not disclosed" in s.loc["run_rate"].reason
    assert (s["status"] == "unknown").all() and (s["indicator_status"] == "unknown").all()
    _set(icfg, "rank_gap", window_days=1)
    assert "within 1 days of 2024-11-05" in scorecard(icfg).loc["rank_gap"].reason


def test_removing_the_input_row_makes_the_status_unknown(icfg):
    path = icfg.data_dir / "leaderboard.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if "Synth-Leader" not in line) + "\n")
    assert scorecard(icfg).loc["rank_gap"].status == "unknown"


def test_rival_vendor_list_narrows_the_comparison(icfg):
    _set(icfg, "rank_gap", versus="Anthropic; Google")
    assert scorecard(icfg).loc["rank_gap"].status == "unknown"
    _set(icfg, "rank_gap", versus="Google;OpenAI")
    assert scorecard(icfg).loc["rank_gap"].value == 12


def test_a_threshold_changed_in_the_csv_changes_the_status_after_a_build(icfg, capsys):
    args = ["--data-dir", str(icfg.data_dir), "--db", icfg.db]
    assert main(["build", *args]) == 0
    con = store.open_readonly(icfg)
    assert queries.run(con, "scorecard_rules", as_of=ON).set_index("rule_id").loc["run_rate"].status == "on track"
    con.close()
    _set(icfg, "run_rate", on_track_threshold=20, lagging_threshold=15)
    con = store.open_readonly(icfg)  # not rebuilt yet: the store still holds the old rule
    assert queries.run(con, "scorecard_rules", as_of=ON).set_index("rule_id").loc["run_rate"].status == "on track"
    con.close()
    assert main(["build", *args]) == 0
    con = store.open_readonly(icfg)
    row = queries.run(con, "scorecard_rules", as_of=ON).set_index("rule_id").loc["run_rate"]
    con.close()
    assert row.status == "lagging"
    assert row.rule_text == "On track at $20bn or more; lagging below $15bn; mixed in between."


@pytest.mark.parametrize("rule, column, value, message", [
    ("run_rate", "lagging_threshold", "13", "at most on_track_threshold (12) when higher is better"),
    ("rank_gap", "lagging_threshold", "1", "at least on_track_threshold (2) when lower is better"),
    ("run_rate", "subject", "no_such_kpi", "a kpi_id listed in kpi_catalog.csv"),
    ("api_stage", "subject", "mai_ap", "a track listed in milestone_stage.csv"),
    ("release_recency", "versus", "shipped", "a stage of track mai_model in milestone_stage.csv"),
    ("mpc_gap", "versus", "Everything", "a segment named in segment_revenue.csv"),
    ("rank_gap", "window_days", "", "a whole number of days >= 0"),
    ("run_rate", "metric", "vibes", "one of days_since_stage"),
    ("run_rate", "comparison", "more", "one of higher_is_better, lower_is_better"),
    ("run_rate", "indicator", "crypto", "a known indicator"),
])
def test_bad_rules_are_rejected_with_line_and_column(icfg, rule, column, value, message):
    store.build(icfg)
    before = icfg.db_path.read_bytes()
    _set(icfg, rule, **{column: value})
    with pytest.raises(ValidationFailed) as e:
        store.build(icfg)
    text = str(e.value)
    assert f"indicator_rule.csv line {RULE_LINE[rule]}, column {column}" in text and message in text, text
    assert icfg.db_path.read_bytes() == before


def test_bad_stage_rows_are_rejected(icfg):
    edit_csv(icfg.data_dir / "milestone_stage.csv", 2, "milestone_id", "m99")
    edit_csv(icfg.data_dir / "milestone_stage.csv", 4, "stage", "reported")  # order 2; m2's is 1
    with pytest.raises(ValidationFailed) as e:
        store.build(icfg)
    text = str(e.value)
    assert "milestone_stage.csv line 2, column milestone_id: 'm99' is not a milestone id" in text
    assert ("milestone_stage.csv line 4, column stage_order: '2' is not 1, the order stage reported of "
            "track mai_model has above") in text


def test_without_rule_files_the_store_builds_and_the_scorecard_is_empty(tmp_path):
    cfg = make_cfg(tmp_path)  # basic/ has no indicator_rule.csv or milestone_stage.csv
    store.build(cfg)
    con = store.open_readonly(cfg)
    assert queries.run(con, "scorecard_rules", as_of=ON).empty
    con.close()
