"""Page views and staleness: a view rebuilds only when data/ changed, and a failing data/ fails once."""

from __future__ import annotations

import os
import time

from streamlit.testing.v1 import AppTest

from aiwatch import store
from tests.conftest import ROOT, edit_csv, make_cfg, use_env

APP = str(ROOT / "app.py")


def builds(cfg) -> list[str]:
    log = store.read_log(cfg)
    return [f"{a} {o}" for a, o in zip(log["action"], log["outcome"]) if a in ("build", "auto-build")]


def view(page: str = "financials") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(f"pages/{page}.py")
    return at.run()


def test_page_views_do_not_rebuild_for_a_future_mtime_and_fail_once_on_bad_data(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    use_env(monkeypatch, cfg)
    assert not view().exception
    assert builds(cfg) == ["auto-build ok"]
    future = time.time() + 10 * 365 * 86400
    os.utime(cfg.data_dir / "kpi.csv", (future, future))
    for _ in range(3):
        assert not view().exception
    assert builds(cfg) == ["auto-build ok"]  # 4 views, 1 build

    edit_csv(cfg.data_dir / "kpi.csv", 2, "value", "x")
    for _ in range(3):
        at = view()
        assert not at.exception
        assert any("problem" in w.value for w in at.warning)  # the last good build, with the reason
    assert builds(cfg) == ["auto-build failed", "auto-build ok"]  # 3 views, 1 failure logged
