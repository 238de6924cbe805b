"""A second thesis needs new CSVs, not new Python: rename every KPI id, every watch-indicator id
and the subject and index tickers to opaque keys, consistently in every CSV of a copy of the
fixture data (labels unchanged), build it, and every page shows the same view: the same
metrics, headings and number of charts and tables."""

from __future__ import annotations

import csv
import io
import re

import pytest
from streamlit.testing.v1 import AppTest

from aiwatch.layout import parse_refs
from aiwatch.ui.runner import DASHBOARD, DATA
from tests.conftest import ROOT, go_to, plain, use_env
from tests.test_market import synthetic_prices, write_prices
from tests.test_scorecard import make_indicator_cfg

APP = str(ROOT / "app.py")
TICKERS = ("MSFT", "AAPL", "QQQ")


def rename_map(data) -> dict[str, str]:
    """Every KPI id, indicator id, and the subject and index tickers -> an opaque key."""
    def column(file, col, where=None):
        rows = csv.DictReader(open(data / file, encoding="utf-8"))
        return [r[col] for r in rows if where is None or where(r)]

    ids = column("kpi_catalog.csv", "kpi_id") + column("indicator.csv", "indicator")
    ids += column("ticker.csv", "ticker", lambda r: r["role"] in ("subject", "index"))
    return {old: f"k{i:03d}x" for i, old in enumerate(ids)}


def rename_refs(text: str, mapping: dict[str, str]) -> str:
    out = []
    for ref in parse_refs(text):
        value = mapping.get(ref.value, ref.value)
        out.append(ref.type + (f":{value}" if value else "") + (f"={ref.label}" if ref.label else ""))
    return "|".join(out)


def rename_data(data, mapping: dict[str, str]) -> None:
    """Rename in place: every cell equal to an id (url paths included), and ids inside refs."""
    for path in data.glob("*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        header = rows[0]
        for row in rows[1:]:
            for i, cell in enumerate(row):
                if header[i] == "refs":
                    row[i] = rename_refs(cell, mapping)
                else:
                    row[i] = mapping.get(cell, cell)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")


def view(url_path: str) -> dict:
    """What a reader sees on a page: metrics, headings, charts and tables."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    go_to(at, url_path).run()
    assert not at.exception, [e.value for e in at.exception]
    main = at.main
    headings = [t.value for t in main.title] + [h.value for h in main.subheader]
    headings += [m.value for m in main.markdown if re.match(r"^(#+ |\*\*[^*]+\*\*$)", m.value)]
    return {
        "metrics": [(plain(m.label), m.value, m.delta) for m in main.metric],
        "headings": [plain(h) for h in headings],
        "charts": len(main.get("vega_lite_chart")),
        "tables": len(main.dataframe),
        "notices": [plain(i.value) for i in main.info],
    }


def unrename(shown: dict, mapping: dict[str, str]) -> dict:
    """A ticker symbol is text the reader sees: put the old symbols back before comparing."""
    back = {new: old for old, new in mapping.items()}
    pattern = re.compile("|".join(map(re.escape, back)))

    def fix(v):
        if isinstance(v, str):
            return pattern.sub(lambda m: back[m.group(0)], v)
        if isinstance(v, (list, tuple)):
            return type(v)(fix(x) for x in v)
        return v

    return {k: fix(v) for k, v in shown.items()}


def pages(data) -> list[str]:
    paths = [r["url_path"] for r in csv.DictReader(open(data / "indicator.csv", encoding="utf-8"))]
    return ["", *paths, *[p[3] for p in DASHBOARD], DATA[3]]


@pytest.fixture
def two_theses(tmp_path, monkeypatch):
    original = make_indicator_cfg(tmp_path / "a")
    write_prices(original, synthetic_prices(TICKERS))
    renamed = make_indicator_cfg(tmp_path / "b")
    mapping = rename_map(renamed.data_dir)
    rename_data(renamed.data_dir, mapping)
    prices = synthetic_prices(TICKERS)
    write_prices(renamed, prices.assign(ticker=prices["ticker"].map(lambda t: mapping.get(t, t))))
    return original, renamed, mapping


def test_a_consistent_rename_changes_nothing_a_reader_sees(two_theses, monkeypatch):
    original, renamed, mapping = two_theses
    assert {"ai_business_annual_revenue_run_rate", "mai_progress", "MSFT", "QQQ"} <= set(mapping)
    before, after = pages(original.data_dir), pages(renamed.data_dir)
    assert len(before) == len(after) and before != after  # the indicator pages moved with their ids
    seen = []
    for old_path, new_path in zip(before, after):
        use_env(monkeypatch, original)
        a = view(old_path)
        use_env(monkeypatch, renamed)
        b = unrename(view(new_path), mapping)
        assert a == b, old_path
        seen.append(a)
    # the views compared are not empty: cards, charts and headings are there to lose
    assert sum(len(v["metrics"]) for v in seen) >= 20
    assert sum(v["charts"] for v in seen) >= 15
    assert any("AI run-rate (synthetic)" == m[0] for v in seen for m in v["metrics"])
