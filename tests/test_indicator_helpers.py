"""aiwatch/indicators.py: what a KPI card, a scorecard line and a table cell say."""

from __future__ import annotations

from datetime import date

import pandas as pd

from aiwatch.indicators import as_of_notice, md, metric_args, not_disclosed_args, rule_markdown, table
from tests.conftest import plain

LATEST = date(9999, 12, 31)


def kpi_row(**over):
    row = {"label": "OpenAI share of backlog", "period_label": "FY26 Q3", "value_text": "40%",
           "reported_at": pd.Timestamp("2026-04-29"), "source_url": "https://example.test/s",
           "note": None, "delta_text": "-5 pts", "prev_period_label": "FY26 Q2",
           "prev_value_text": "45%", "higher_is_better": False}
    return pd.Series({**row, **over})


def test_card_keeps_qualifier_names_periods_and_colours_by_direction():
    a = metric_args(kpi_row())
    assert (plain(a["label"]), a["value"], a["delta"]) == ("OpenAI share of backlog", "40%", "-5 pts")
    assert a["delta_color"] == "inverse"  # lower is better: a fall is good news
    assert a["delta_description"] == "FY26 Q3 vs FY26 Q2"
    assert "Published 2026-04-29" in plain(a["help"]) and "Previous: 45% (FY26 Q2)" in plain(a["help"])
    assert "[Source](https://example.test/s)" in a["help"]  # the one link, from a validated URL
    first = metric_args(kpi_row(delta_text=None, higher_is_better=True, value_text="surpassed $13bn"))
    assert first["delta"] is None and first["delta_color"] == "normal"
    assert first["delta_description"] == "FY26 Q3 · first published figure"
    assert r"\$13bn" in first["help"]


def test_not_disclosed_never_guesses():
    a = not_disclosed_args("AI tokens processed", date(2025, 3, 7), LATEST)
    assert a["value"] == "not disclosed" and "by 2025-03-07" in plain(a["help"])
    assert "yet" in not_disclosed_args("x", LATEST, LATEST)["help"]


def test_markdown_is_safe_and_the_notice_names_the_date():
    assert md("from $10bn to $13bn") == r"from \$10bn to \$13bn"
    assert as_of_notice(LATEST, LATEST) is None
    assert "**2025-03-07**" in as_of_notice(date(2025, 3, 7), LATEST)


def test_scorecard_line_for_an_unknown_rule_says_why():
    rule = pd.Series({"status": "unknown", "title": "MAI API stage", "value_text": None,
                      "rule_text": "On track at 3 or more; lagging below 2; mixed in between.",
                      "reason": "No milestone on the mai_api track had been published by 2025-03-07.",
                      "input_a": None, "input_a_date": None, "input_a_source": None,
                      "input_b": None, "input_b_date": None, "input_b_source": None})
    headline, details = rule_markdown(rule)
    assert plain(headline) == ":gray-badge[:material/help: unknown] **MAI API stage:** unknown"
    assert "Why unknown: No milestone on the mai_api track" in plain(details) and "Input:" not in details


def test_tables_show_dates_without_a_time_of_day():
    df = pd.DataFrame({"published": pd.to_datetime(["2025-01-29", None]),
                       "built_at": pd.to_datetime(["2026-11-29 01:22", "2026-11-29 01:23"])})
    out = table(df)
    assert out["published"].iloc[0] == "2025-01-29" and pd.isna(out["published"].iloc[1])
    assert pd.api.types.is_datetime64_any_dtype(out["built_at"])  # a real time stays a time
    assert pd.api.types.is_datetime64_any_dtype(df["published"])  # the input is not changed
