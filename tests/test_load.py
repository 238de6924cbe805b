"""Each kind of bad CSV content gives a clear error naming file, line, column and value."""

from __future__ import annotations

import pytest

from aiwatch.load import load_all
from tests.conftest import edit_csv


def problems_of(cfg):
    _, problems = load_all(cfg.data_dir)
    return [str(p) for p in problems]


def test_fixture_is_valid(cfg):
    assert problems_of(cfg) == []


@pytest.mark.parametrize(
    ("file", "line", "column", "value", "expected"),
    [
        ("segment_revenue", 3, "revenue_usd_m", "n/a",
         "data/segment_revenue.csv line 3, column revenue_usd_m: 'n/a' is not a number >= 0"),
        ("segment_revenue", 3, "revenue_usd_m", "-5",
         "line 3, column revenue_usd_m: '-5' is not a number >= 0"),
        ("segment_revenue", 4, "period_end", "2024-13-45",
         "line 4, column period_end: '2024-13-45' is not a date as YYYY-MM-DD"),
        ("segment_revenue", 4, "period_end", "30/09/2024",
         "line 4, column period_end: '30/09/2024' is not a date as YYYY-MM-DD"),
        ("segment_revenue", 2, "basis", "restated",
         "line 2, column basis: 'restated' is not one of as_reported, recast"),
        ("segment_revenue", 2, "source_url", "see 10-K",
         "line 2, column source_url: 'see 10-K' is not an http(s) URL without spaces"),
        ("segment_revenue", 2, "source_url", "",
         "line 2, column source_url: '' is not one absolute http(s) URL"),
        ("segment_revenue", 2, "fiscal_year", "FY2023",
         "line 2, column fiscal_year: 'FY2023' is not a whole number"),
        ("kpi", 2, "value", "12%", "data/kpi.csv line 2, column value: '12%' is not a number"),
        ("kpi", 2, "kpi_id", "no_such_kpi",
         "data/kpi.csv line 2, column kpi_id: 'no_such_kpi' is not a kpi_id listed in data/kpi_catalog.csv"),
        ("milestone", 2, "indicator", "vibes",
         "data/milestone.csv line 2, column indicator: 'vibes' is not a known indicator"),
        ("kpi_catalog", 2, "higher_is_better", "maybe",
         "data/kpi_catalog.csv line 2, column higher_is_better: 'maybe' is not true or false"),
        ("milestone", 2, "title", "=HYPERLINK(\"http://x\")",
         "data/milestone.csv line 2, column title: '=HYPERLINK(\"http://x\")' is not plain text"),
    ],
)
def test_bad_cell_is_named(cfg, file, line, column, value, expected):
    edit_csv(cfg.data_dir / f"{file}.csv", line, column, value)
    got = problems_of(cfg)
    assert any(expected in p for p in got), got


def test_every_problem_of_a_file_is_reported(cfg):
    path = cfg.data_dir / "segment_revenue.csv"
    edit_csv(path, 2, "basis", "x")
    edit_csv(path, 7, "period_end", "soon")
    edit_csv(path, 9, "source_url", "nope")
    got = problems_of(cfg)
    assert any("line 2, column basis" in p for p in got)
    assert any("line 7, column period_end" in p for p in got)
    assert any("line 9, column source_url" in p for p in got)


def test_segments_must_sum_to_total(cfg):
    # line 2..4 are the three segments of FY23 Q1, line 5 its total (400)
    edit_csv(cfg.data_dir / "segment_revenue.csv", 5, "revenue_usd_m", "401")
    assert problems_of(cfg) == []  # within 0.1 bn (100 USD m): rounding is allowed
    edit_csv(cfg.data_dir / "segment_revenue.csv", 5, "revenue_usd_m", "600")
    got = problems_of(cfg)
    assert any("line 5, column revenue_usd_m: '600' is not the sum of the segments for FY2023 Q1 "
               "as_reported (400, within 100)" in p for p in got), got


def test_duplicate_key_names_both_lines(cfg):
    path = cfg.data_dir / "ticker.csv"
    text = path.read_text()
    path.write_text(text + text.splitlines()[1] + "\n")
    got = problems_of(cfg)
    assert any("data/ticker.csv line 5" in p and "already on line 2" in p for p in got), got


def test_reported_before_period_end(cfg):
    edit_csv(cfg.data_dir / "segment_revenue.csv", 2, "reported_at", "2020-01-01")
    got = problems_of(cfg)
    assert any("line 2, column reported_at: '2020-01-01' is not on or after period_end" in p for p in got)


def test_header_problems(cfg):
    path = cfg.data_dir / "kpi.csv"
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace("qualifier", "qualifer")
    path.write_text("\n".join(lines) + "\n")
    got = problems_of(cfg)
    assert any("data/kpi.csv line 1, column qualifier: missing" in p for p in got), got
    assert any("data/kpi.csv line 1, column qualifer: 'qualifer' is not a known column" in p for p in got)


def test_wrong_field_count_and_quoting(cfg):
    path = cfg.data_dir / "ticker.csv"
    path.write_text(path.read_text() + "NVDA,Nvidia, Inc.,peer,https://example.test/x\n")
    got = problems_of(cfg)
    assert any("data/ticker.csv line 5: a row of 4 fields (found 5)" in p for p in got), got


def test_not_utf8(cfg):
    path = cfg.data_dir / "ticker.csv"
    path.write_bytes(path.read_bytes() + "MSFX,Caf\u00e9 Corp,peer,https://example.test/c\n".encode("latin-1"))
    got = problems_of(cfg)
    assert any("data/ticker.csv line 5: not UTF-8 text" in p for p in got), got


def test_bom_and_crlf_are_accepted(cfg):
    path = cfg.data_dir / "ticker.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert problems_of(cfg) == []


def test_missing_file(cfg):
    (cfg.data_dir / "kpi.csv").unlink()
    got = problems_of(cfg)
    assert any("data/kpi.csv: missing" in p for p in got), got
