"""data/page_section.csv: every reference is validated by check, naming file, line and column."""

from __future__ import annotations

import pytest

from aiwatch.layout import KINDS, parse_options, parse_refs
from aiwatch.load import ValidationFailed
from aiwatch.store import check
from aiwatch.ui.sections import KIND_RENDERERS
from tests.conftest import edit_csv
from tests.test_scorecard import make_indicator_cfg


def test_every_kind_has_one_renderer():
    assert set(KINDS) == set(KIND_RENDERERS) | {"segment_basis"}


def test_refs_and_options_parse():
    assert [(r.type, r.value, r.label) for r in parse_refs("kpi:a| stage_count:t/s=Releases |market_ytd")] == [
        ("kpi", "a", ""), ("stage_count", "t/s", "Releases"), ("market_ytd", "", "")]
    assert parse_options("y=USD bn;fmt=,.1f; this_indicator") == {"y": "USD bn", "fmt": ",.1f", "this_indicator": "1"}
    assert parse_refs(None) == [] and parse_options(float("nan")) == {}


def problems_after(tmp_path, line: int, column: str, value: str) -> list[str]:
    cfg = make_indicator_cfg(tmp_path)
    edit_csv(cfg.data_dir / "page_section.csv", line, column, value)
    with pytest.raises(ValidationFailed) as e:
        check(cfg)
    return [str(p) for p in e.value.problems]


@pytest.mark.parametrize("column,value,expected", [
    ("refs", "kpi:no_such_kpi", "a kpi_id listed in kpi_catalog.csv"),
    ("refs", "track:mai_model", "a ref of type kpi, segment_revenue"),   # cards take no track
    ("refs", "", "at least 1 ref(s) for kind cards"),
    ("kind", "pie_chart", "one of heading, cards"),
    ("page", "nowhere", "a watch indicator from indicator.csv or one of overview, financials"),
    ("options", "columns=9", "a whole number 1-6"),
    ("options", "colour=red", "an option of kind cards (columns)"),
])
def test_a_bad_section_is_an_error_naming_file_line_and_column(tmp_path, column, value, expected):
    found = problems_after(tmp_path, 2, column, value)  # line 2: the Overview's key-figure cards
    where = f"page_section.csv line 2, column {column}:"
    assert any(where in p and expected in p for p in found), found


def test_an_unknown_url_path_clash_is_an_error(tmp_path):
    cfg = make_indicator_cfg(tmp_path)
    edit_csv(cfg.data_dir / "indicator.csv", 2, "url_path", "market")
    with pytest.raises(ValidationFailed) as e:
        check(cfg)
    assert any("indicator.csv" in str(p) and "url_path" in str(p) for p in e.value.problems)
