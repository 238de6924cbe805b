"""Keeps serving: readers never fail while the store is rebuilt, and then see the new one.

A build swaps a new file in with os.replace. Readers that opened the old file keep reading it;
new readers (the app's next run) must get the new one; a build killed midway, or a corrupt
file, never leaves the app without a readable store.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import threading
import time

from streamlit.testing.v1 import AppTest

from aiwatch import store
from tests.conftest import ROOT, make_cfg, use_env

APP = str(ROOT / "app.py")


def total(con) -> float:
    return con.execute("select revenue_usd_m from segment_revenue where fiscal_year = 2025 and "
                       "fiscal_quarter = 'Q2' and basis = 'as_reported' and segment = 'Total'"
                       ).fetchall()[0][0]


def bump_latest_quarter(cfg, by: float = 1000) -> None:
    """Add `by` USD m to FY25 Q2 as reported: its Total and Intelligent Cloud (sums stay right)."""
    path = cfg.data_dir / "segment_revenue.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    head = rows[0]
    i = {c: head.index(c) for c in head}
    for r in rows[1:]:
        if (r[i["fiscal_year"]], r[i["fiscal_quarter"]], r[i["basis"]]) == ("2025", "Q2", "as_reported") \
                and r[i["segment"]] in ("Total", "Intelligent Cloud"):
            r[i["revenue_usd_m"]] = f"{float(r[i['revenue_usd_m']]) + by:g}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def financials() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/financials.py")
    return at.run()


def test_new_reader_sees_the_swapped_store_while_an_old_reader_lives(built):
    old = store.open_readonly(built)
    assert total(old) == 484
    bump_latest_quarter(built)
    store.build(built)
    new = store.open_readonly(built)
    # DuckDB shares one instance per path: a plain connect(path) would still show 484 here
    assert total(new) == 1484
    # and the old reader keeps reading the file it opened, without an error
    assert total(old) == 484
    assert total(old.cursor()) == 484
    assert total(new.cursor()) == 1484
    old.close()
    new.close()


def test_readers_in_threads_never_fail_during_rebuilds(built):
    errors: list[BaseException] = []
    seen: set[float] = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                con = store.open_readonly(built)
                cur = con.cursor()
                seen.add(total(cur))
                cur.close()
                con.close()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(3):
        bump_latest_quarter(built, 1)
        store.build(built)
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert 487 in seen  # the last build was seen


def test_the_app_shows_new_data_after_a_rebuild(cfg, monkeypatch):
    use_env(monkeypatch, cfg)
    at = financials()
    assert at.metric[-1].label == "Total" and at.metric[-1].value == "$0.5bn"
    bump_latest_quarter(cfg)
    store.build(cfg)  # as the CLI or an admin upload would, while the session is open
    at.run()
    assert not at.exception
    assert at.metric[-1].value == "$1.5bn"


def test_a_corrupt_store_is_rebuilt_from_data(cfg, monkeypatch):
    use_env(monkeypatch, cfg)
    store.build(cfg)
    at = financials()
    cfg.db_path.write_bytes(b"this is not a duckdb file" * 100)  # newer than data/, unreadable
    at.run()
    assert not at.exception
    assert at.metric[-1].value == "$0.5bn"
    con = store.open_readonly(cfg)
    assert total(con) == 484
    con.close()


def test_a_truncated_store_is_rebuilt_by_ensure_built(built):
    data = built.db_path.read_bytes()
    built.db_path.write_bytes(data[: len(data) // 3])
    assert store.needs_build(built)
    store.ensure_built(built)
    con = store.open_readonly(built)
    assert total(con) == 484
    con.close()


BUILD_AND_HANG = """
import sys, time
from aiwatch import store
from aiwatch.config import load_config
cfg = load_config(data_dir=sys.argv[1], db=sys.argv[2], state_dir=sys.argv[3])
def progress(msg):
    print(msg, flush=True)
    if msg.startswith(sys.argv[4]):
        time.sleep(120)
store.build(cfg, progress)
"""


def _kill_build_at(cfg, step: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", BUILD_AND_HANG, str(cfg.data_dir), cfg.db,
                             str(cfg.state_dir), step], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith(step):
                break
        else:
            raise AssertionError(f"the build never reached {step}")
        time.sleep(0.3)  # let it get into the step
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()


def test_a_build_killed_midway_leaves_the_live_store(built):
    before = built.db_path.read_bytes()
    ident = store.store_identity(built)
    bump_latest_quarter(built)
    for step in ("[2/4]", "[3/4]"):
        _kill_build_at(built, step)
        assert built.db_path.read_bytes() == before
        assert store.store_identity(built) == ident
        con = store.open_readonly(built)
        assert total(con) == 484
        con.close()
    # the killed process released its lock: the next build runs, and swaps in the new data
    t0 = time.time()
    store.build(built)
    assert time.time() - t0 < 30
    con = store.open_readonly(built)
    assert total(con) == 1484
    con.close()


def test_build_lock_is_reentrant_in_a_thread_and_exclusive_across_threads(cfg):
    order: list[str] = []
    with store.build_lock(cfg):
        with store.build_lock(cfg):  # would deadlock if not re-entrant
            order.append("nested")

        def other():
            with store.build_lock(cfg):
                order.append("other thread")

        t = threading.Thread(target=other)
        t.start()
        time.sleep(0.3)
        order.append("outer releases")
    t.join(timeout=10)
    assert order == ["nested", "outer releases", "other thread"]


def test_a_build_inside_the_lock_does_not_deadlock(cfg):
    with store.build_lock(cfg):
        result = store.build(cfg)
    assert result.counts["segment_revenue"] == 64


def test_missing_store_and_bad_data_is_reported_clearly(tmp_path, monkeypatch):
    cfg = make_cfg(tmp_path)
    (cfg.data_dir / "segment_revenue.csv").write_text("fiscal_year\n2025\n")
    use_env(monkeypatch, cfg)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("no store could be built" in e.value for e in at.error)
    assert any("segment_revenue.csv" in c.value for c in at.code)


def test_a_corrupt_store_with_bad_data_is_reported_not_raised(cfg, monkeypatch):
    use_env(monkeypatch, cfg)
    store.build(cfg)
    (cfg.data_dir / "segment_revenue.csv").write_text("fiscal_year\n2025\n")
    cfg.db_path.write_bytes(b"this is not a duckdb file" * 100)
    at = financials()
    assert not at.exception
    assert any("no store could be built" in e.value for e in at.error)
    assert any("segment_revenue.csv" in c.value for c in at.code)
