"""One atomic-replace helper; a killed build's partial files are swept by the next build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from aiwatch import atomic, store
from tests.conftest import ROOT


def dead_pid() -> int:
    """The id of a process that has just exited."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def partials(cfg) -> list[str]:
    found = []
    for folder in (cfg.db_path.parent, cfg.data_dir, cfg.market_dir):
        if folder.is_dir():
            found += sorted(p.name for p in folder.iterdir() if atomic.PARTIAL_RE.match(p.name))
    return found


def test_replacing_swaps_in_and_cleans_up(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old\n")
    with atomic.replacing(target, atomic.text_writer("new\n")):
        assert target.read_text() == "new\n"
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_replacing_puts_the_very_same_file_back_when_the_body_fails(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old\n")
    os.utime(target, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = os.stat(target)
    with pytest.raises(RuntimeError), atomic.replacing(target, atomic.text_writer("new\n")):
        raise RuntimeError("the build failed")
    after = os.stat(target)
    assert target.read_text() == "old\n"
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_a_failed_check_leaves_the_target_untouched(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old\n")

    def check(path):
        raise ValueError(f"{path.name} is not right")

    with pytest.raises(ValueError, match=r"\.t\.csv\.\d+\.tmp is not right"):
        with atomic.replacing(target, atomic.text_writer("new\n"), check=check):
            pytest.fail("the body must not run")  # pragma: no cover
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_a_new_target_is_removed_again_when_the_body_fails(tmp_path):
    target = tmp_path / "new.csv"
    with pytest.raises(RuntimeError), atomic.replacing(target, atomic.text_writer("x\n")):
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_only_files_of_dead_processes(tmp_path):
    dead, me = dead_pid(), os.getpid()
    names = [f".aiwatch.duckdb.{dead}.tmp", f".aiwatch.duckdb.{dead}.tmp.wal", f".prices.csv.{dead}.bak",
             f".aiwatch.duckdb.{me}.tmp", ".aiwatch.duckdb.1.tmp", "aiwatch.duckdb", "notes.tmp"]
    for n in names:
        (tmp_path / n).write_text("x")
    removed = atomic.sweep(tmp_path)
    assert sorted(p.name for p in removed) == sorted(names[:3])
    # this process, pid 1 (alive: init) and files that are not partial files stay
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[3:])


def test_the_next_build_sweeps_partial_files_of_dead_processes(built):
    dead = dead_pid()
    left = [built.db_path.with_name(f".{built.db_path.name}.{dead}.tmp"),
            built.db_path.with_name(f".{built.db_path.name}.{dead}.tmp.wal"),
            built.data_dir / f".kpi.csv.{dead}.tmp", built.data_dir / f".kpi.csv.{dead}.bak"]
    built.market_dir.mkdir(exist_ok=True)
    left.append(built.market_dir / f".prices.csv.{dead}.tmp")
    for p in left:
        p.write_bytes(b"partial")
    store.build(built)
    assert partials(built) == []


KILLED_BUILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from aiwatch import store
    from aiwatch.config import load_config

    cfg = load_config(data_dir=sys.argv[1], db=sys.argv[2], state_dir=sys.argv[3])

    def progress(msg):
        if msg.startswith("[3/4]"):  # the new store is written beside the live one
            Path(sys.argv[4]).write_text("ready")
            time.sleep(600)

    store.build(cfg, progress)
""")


def test_kill_9_of_a_build_mid_way_then_the_next_build_leaves_no_partial_files(built, tmp_path):
    marker = tmp_path / "ready"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(2):  # two kills: every leftover is swept, not only the newest
        marker.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(built.data_dir), built.db,
                                 str(built.state_dir), str(marker)], env=env, cwd=ROOT)
        try:
            deadline = time.monotonic() + 120
            while not marker.exists():
                assert proc.poll() is None, "the build ended before it was killed"
                assert time.monotonic() < deadline, "the build never reached its check step"
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    left = partials(built)
    assert left and all(".tmp" in n for n in left)  # what a killed build leaves behind
    before = built.db_path.read_bytes()
    con = store.open_readonly(built)  # the live store was never touched by the killed builds
    assert con.execute("select count(*) from kpi").fetchall()[0][0] == 20
    con.close()
    assert built.db_path.read_bytes() == before
    store.build(built)
    assert partials(built) == []
