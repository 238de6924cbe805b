"""The real data/ folder: valid, sourced, and equal to the verified reference sheet."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aiwatch import store
from aiwatch.config import load_config
from aiwatch.load import load_all
from tests.conftest import ROOT

DATA = ROOT / "data"
REFERENCE = ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real")
    cfg = load_config(data_dir=DATA, db=tmp / "aiwatch.duckdb", state_dir=tmp)
    store.build(cfg)
    con = store.open_readonly(cfg)
    yield con
    con.close()


def test_real_data_is_valid():
    _, problems = load_all(DATA)
    assert [str(p) for p in problems] == []


def test_key_figures(real):
    def rev(fy, q, basis, seg):
        rows = real.execute(
            "select revenue_usd_m from segment_revenue where fiscal_year = $fy and fiscal_quarter = $q "
            "and basis = $b and segment = $s", {"fy": fy, "q": q, "b": basis, "s": seg}).fetchall()
        return rows[0][0] if rows else None

    assert rev(2025, "Q2", "as_reported", "Total") == 69632
    assert rev(2024, "Q4", "recast", "Productivity and Business Processes") == 28627
    assert rev(2024, "Q4", "as_reported", "Productivity and Business Processes") == 20300


def test_nothing_unverified_or_unsourced():
    for path in DATA.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert "UNVERIFIED" not in text.upper().replace("NOT VERIFIED", ""), path.name
        rows = list(csv.DictReader(text.splitlines()))
        if rows and "source_url" in rows[0]:
            assert all(r["source_url"].startswith(("https://", "http://")) for r in rows), path.name


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference sheet (../shared/reference) is not here")
def test_every_verified_segment_figure_is_stored_and_equal(real):
    stored = {(fy, q, b, s): v for fy, q, b, s, v in real.execute(
        "select fiscal_year, fiscal_quarter, basis, segment, revenue_usd_m from segment_revenue").fetchall()}
    checked = 0
    with open(REFERENCE / "segments.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if not r["revenue_usd_bn"].strip() or "UNVERIFIED" in r["source"]:
                continue
            key = (int(r["fiscal_year"]), r["fiscal_quarter"], r["basis"], r["segment"])
            assert key in stored, f"missing {key}"
            assert stored[key] == pytest.approx(float(r["revenue_usd_bn"]) * 1000, abs=0.01), key
            checked += 1
    assert checked == len(stored) == 92


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference sheet (../shared/reference) is not here")
def test_every_stored_kpi_value_appears_in_the_reference(real):
    ref = {}
    for name in ("kpis.csv", "kpis_more.csv"):
        with open(REFERENCE / name, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                ref.setdefault(r["kpi"], set()).add(r["value"].strip().lstrip("<=").strip())
    # one id was merged on curation (data/README.md says so)
    aliases = {"copilot_apps_monthly_active_users": ["copilot_family_monthly_active_users"]}
    for kpi_id, value in real.execute("select kpi_id, value from kpi").fetchall():
        values = set(ref.get(kpi_id, set()))
        for alias in aliases.get(kpi_id, []):
            values |= ref.get(alias, set())
        assert any(v and float(v) == pytest.approx(value) for v in values if _num(v)), (kpi_id, value)


def _num(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def test_data_readme_documents_every_file():
    readme = (DATA / "README.md").read_text()
    for path in DATA.glob("*.csv"):
        assert path.name in readme, path.name
    assert Path(DATA / "README.md").exists()
