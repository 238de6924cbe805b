"""The investor brief (aiwatch/brief.py, `python -m aiwatch brief`): its text read back with
pdftotext has every indicator and status and nothing published after its as-of date."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date

import pytest

from aiwatch import brief, queries, store
from aiwatch.__main__ import main
from aiwatch.config import load_config
from tests.conftest import ROOT, edit_csv
from tests.test_scorecard import make_indicator_cfg

KEY_FIGURES = ["ai_business_annual_revenue_run_rate", "azure_other_cloud_services_growth_yoy",
               "azure_growth_points_from_ai_services", "commercial_rpo_share_openai"]


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        if os.environ.get("CI") or os.environ.get("AIWATCH_REQUIRE_BROWSER"):
            pytest.fail(f"{tool} is not installed (apt-get install poppler-utils); required in CI")
        pytest.skip(f"{tool} not installed: run scripts/ensure-poppler.sh")
    return path


def pdf_text(path) -> str:
    return subprocess.run([poppler("pdftotext"), str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pages(path) -> int:
    info = subprocess.run([poppler("pdfinfo"), str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


@pytest.fixture
def icfg(tmp_path):
    cfg = make_indicator_cfg(tmp_path)
    store.build(cfg)
    return cfg


def write_brief(cfg, tmp_path, as_of: date | None) -> str:
    out = tmp_path / "brief.pdf"
    pdf = brief.make_brief(as_of, brief.share_link("https://dash.example", as_of), cfg)
    assert pdf.startswith(b"%PDF")
    out.write_bytes(pdf)
    return out


def dates_in(text: str) -> list[str]:
    """Every YYYY-MM-DD in the text except the build time (when the store was made, not a
    publication date)."""
    found = []
    for line in text.splitlines():
        line = re.sub(r"(store built|built) \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "", line)
        found += re.findall(r"\b\d{4}-\d{2}-\d{2}\b", line)
    return found


@pytest.mark.parametrize("as_of", [date(2024, 6, 15), date(2025, 3, 31)])
def test_brief_has_every_indicator_and_status_and_nothing_later(icfg, tmp_path, as_of):
    path = write_brief(icfg, tmp_path, as_of)
    text = pdf_text(path)
    flat = " ".join(text.split())
    con = store.open_readonly(icfg)
    try:
        rules = queries.run(con, "scorecard_rules", as_of=as_of)
        later = queries.run(con, "milestones_known", as_of=date(9999, 12, 31), indicators=[], categories=[],
                            tracks=[])
    finally:
        con.close()
    for name, status in rules.groupby("indicator_name", sort=False)["indicator_status"].first().items():
        assert name in flat and status.upper() in flat, name
    for title in rules["title"]:
        assert title in flat
    assert f"As of {as_of:%Y-%m-%d}" in flat
    assert "https://dash.example/?as_of=" + as_of.isoformat() in flat   # the footer's shared link
    assert dates_in(text) and max(dates_in(text)) <= as_of.isoformat()
    for _, m in later[later["known_at"] > as_of.isoformat()].iterrows():
        assert m["title"] not in flat, m["title"]
    assert pages(path) <= 2


def test_key_figures_come_from_the_overview_layout_with_their_change(icfg, tmp_path):
    text = " ".join(pdf_text(write_brief(icfg, tmp_path, date(2025, 3, 31))).split())
    assert "AI run-rate (synthetic)" in text and "surpassed $13bn" in text
    assert "+$3bn vs on track to surpass $10bn" in text
    edit_csv(icfg.data_dir / "page_section.csv", 2, "refs", "kpi:microsoft_cloud_revenue_quarter|market_ytd")
    store.build(icfg)
    text = " ".join(pdf_text(write_brief(icfg, tmp_path, date(2025, 3, 31))).split())
    figures = text.split("Key figures ", 1)[1].split("Latest 5 milestones", 1)[0]
    assert "Cloud revenue (synthetic)" in figures and "AI run-rate (synthetic)" not in figures


def test_a_key_figure_not_yet_published_says_not_disclosed(icfg, tmp_path):
    text = " ".join(pdf_text(write_brief(icfg, tmp_path, date(2024, 6, 15))).split())
    assert "not disclosed" in text and "surpassed $13bn" not in text


def test_charts_are_images_in_the_pdf(icfg, tmp_path):
    content = brief.gather(store.open_readonly(icfg), icfg, date(2025, 3, 31), "https://dash.example/")
    specs = brief.chart_specs(content)
    assert 2 <= len(specs) <= brief.MAX_CHARTS
    png = brief.render_png(specs[0][1], scale=1)
    assert png.startswith(b"\x89PNG")
    pdf = write_brief(icfg, tmp_path, date(2025, 3, 31)).read_bytes()
    assert pdf.count(b"/Subtype /Image") >= 2


def test_cli_writes_the_brief(icfg, tmp_path, capsys):
    out = tmp_path / "cli.pdf"
    code = main(["brief", "--data-dir", str(icfg.data_dir), "--db", icfg.db, "--as-of", "2025-03-31",
                 "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert out.read_bytes().startswith(b"%PDF") and "as of 2025-03-31" in capsys.readouterr().out


def test_cli_rejects_a_bad_date(icfg, tmp_path, capsys):
    args = ["brief", "--data-dir", str(icfg.data_dir), "--db", icfg.db, "-o", str(tmp_path / "x.pdf")]
    assert main(args + ["--as-of", "2025-02-30"]) == 2
    assert "--as-of '2025-02-30' is not a date" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_the_real_data_as_of_the_article(tmp_path):
    """As of 2025-03-07, like the pages: the $13bn run-rate and no MAI model release."""
    cfg = load_config(data_dir=ROOT / "data", db=tmp_path / "real.duckdb", state_dir=tmp_path)
    store.build(cfg)
    path = write_brief(cfg, tmp_path, date(2025, 3, 7))
    text = pdf_text(path)
    flat = " ".join(text.split())
    assert "surpassed $13bn" in flat
    assert 'No milestone of stage "released" on the mai_model track had been published by 2025-03-07' in flat
    for status_line in ("MAI progress", "Consumer AI commercialization", "API adoption", "OpenAI dependence"):
        assert status_line in flat
    assert max(dates_in(text)) <= "2025-03-07"
    assert "MAI-1-preview" not in flat and "MAI-Voice-1" not in flat   # released in August 2025
    assert pages(path) <= 2


def test_any_chart_renders_as_svg_and_png_without_a_browser(icfg):
    from aiwatch import chart_images, charts

    con = store.open_readonly(icfg)
    series = queries.run(con, "kpi_series", kpi_ids=KEY_FIGURES[:1], as_of=date(2025, 3, 31))
    con.close()
    chart = charts.kpi_points(series, "USD bn", prefix="$", suffix="bn")
    svg = chart_images.svg(chart).decode()
    assert svg.startswith("<svg") and "surpassed $13bn" in svg   # labels stay text
    assert chart_images.png(chart, scale=1).startswith(b"\x89PNG")
