"""The command line: exit codes, one clear line per problem, help with examples."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aiwatch.__main__ import main
from tests.conftest import ROOT, edit_csv


def run(cfg, *args):
    return main([*args, "--data-dir", str(cfg.data_dir), "--db", cfg.db])


@pytest.fixture(autouse=True)
def _state(cfg, monkeypatch):
    monkeypatch.setenv("AIWATCH_STATE_DIR", str(cfg.state_dir))


def test_check_ok(cfg, capsys):
    assert run(cfg, "check") == 0
    assert "are valid" in capsys.readouterr().out
    assert not cfg.db_path.exists()  # check writes nothing


def test_check_bad_cell(cfg, capsys):
    edit_csv(cfg.data_dir / "segment_revenue.csv", 14, "revenue_usd_m", "twelve")
    edit_csv(cfg.data_dir / "kpi.csv", 3, "period_end", "yesterday")
    assert run(cfg, "check") == 1
    err = capsys.readouterr().err.splitlines()
    assert "error: data/segment_revenue.csv line 14, column revenue_usd_m: 'twelve' is not a number >= 0" in err
    assert any(line.startswith("error: data/kpi.csv line 3, column period_end: 'yesterday'") for line in err)
    assert err[-1] == "2 problem(s); nothing was changed."


def test_build_then_bad_build_keeps_store(cfg, capsys):
    assert run(cfg, "build") == 0
    out = capsys.readouterr().out
    assert "[1/4] validating" in out and "built " in out
    before = cfg.db_path.read_bytes()
    edit_csv(cfg.data_dir / "milestone.csv", 2, "date", "2024-02-30")
    assert run(cfg, "build") == 1
    err = capsys.readouterr().err
    assert "data/milestone.csv line 2, column date: '2024-02-30' is not a date as YYYY-MM-DD" in err
    assert cfg.db_path.read_bytes() == before


def test_help_has_examples():
    out = subprocess.run([sys.executable, "-m", "aiwatch", "--help"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0
    assert "Examples" in out.stdout and "python -m aiwatch build" in out.stdout
    assert "Exit codes" in out.stdout
    sub = subprocess.run([sys.executable, "-m", "aiwatch", "build", "--help"], capture_output=True,
                         text=True, cwd=ROOT)
    assert sub.returncode == 0 and "Example:" in sub.stdout


def test_usage_errors_exit_2():
    out = subprocess.run([sys.executable, "-m", "aiwatch", "frobnicate"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 2
    assert main([]) == 2
