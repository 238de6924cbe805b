"""The build is all-or-nothing: a failed build leaves the live store byte-identical."""

from __future__ import annotations

import os
import threading
import time

import duckdb
import pytest

from aiwatch import store
from aiwatch.load import ValidationFailed
from tests.conftest import edit_csv


def test_build_loads_every_table(built):
    con = store.open_readonly(built)
    counts = dict(con.execute(
        "select 'segment_revenue', count(*) from segment_revenue union all "
        "select 'kpi', count(*) from kpi union all select 'milestone', count(*) from milestone").fetchall())
    con.close()
    assert counts == {"segment_revenue": 64, "kpi": 20, "milestone": 4}


def test_failed_build_leaves_live_store_untouched(built):
    before = built.db_path.read_bytes()
    ident = store.store_identity(built)
    edit_csv(built.data_dir / "segment_revenue.csv", 3, "revenue_usd_m", "lots")
    with pytest.raises(ValidationFailed) as e:
        store.build(built)
    assert "line 3, column revenue_usd_m: 'lots'" in str(e.value)
    assert built.db_path.read_bytes() == before
    assert store.store_identity(built) == ident
    con = store.open_readonly(built)  # still readable, still the old data
    assert con.execute("select count(*) from segment_revenue").fetchall()[0][0] == 64
    con.close()
    assert not list(built.db_path.parent.glob("*.tmp"))


def test_build_failure_midway_leaves_live_store(built, monkeypatch):
    before = built.db_path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(store, "_verify_store", boom)
    with pytest.raises(OSError):
        store.build(built)
    assert built.db_path.read_bytes() == before
    assert not list(built.db_path.parent.glob("*.tmp"))


def test_reader_keeps_working_while_store_is_swapped(built):
    reader = store.open_readonly(built)
    errors = []

    def read_many():
        try:
            for _ in range(50):
                reader.cursor().execute("select count(*) from segment_revenue").fetchall()
        except Exception as e:  # pragma: no cover - the assertion reports it
            errors.append(e)

    t = threading.Thread(target=read_many)
    t.start()
    for _ in range(3):
        store.build(built)
    t.join()
    assert errors == []
    reader.close()
    # a fresh connection sees the newest file
    con = store.open_readonly(built)
    assert con.execute("select count(*) from build_info").fetchall()[0][0] == 1
    con.close()


def test_store_is_read_only_for_readers(built):
    con = store.open_readonly(built)
    with pytest.raises(duckdb.Error):
        con.execute("delete from kpi")
    con.close()


def test_needs_build_and_ensure_built(cfg):
    assert store.needs_build(cfg)
    assert store.ensure_built(cfg) is not None
    assert not store.needs_build(cfg)
    assert store.ensure_built(cfg) is None
    # a corrupt store file is rebuilt from data/
    cfg.db_path.write_bytes(b"not a duckdb file")
    assert store.ensure_built(cfg) is not None
    con = store.open_readonly(cfg)
    assert con.execute("select count(*) from kpi").fetchall()[0][0] == 20
    con.close()


def test_refresh_log_records_builds(built):
    edit_csv(built.data_dir / "kpi.csv", 2, "value", "x")
    with pytest.raises(ValidationFailed):
        store.build(built)
    log = store.read_log(built)
    assert list(log["outcome"][:2]) == ["failed", "ok"]
    assert "kpi.csv line 2" in log["detail"][0]


# --- staleness by fingerprint, not by modification time ----------------------------------------------

def builds(cfg) -> list[str]:
    log = store.read_log(cfg)
    return [f"{a} {o}" for a, o in zip(log["action"], log["outcome"]) if a in ("build", "auto-build")]


def test_a_file_with_a_future_mtime_does_not_rebuild_on_every_view(built):
    future = time.time() + 10 * 365 * 86400
    os.utime(built.data_dir / "kpi.csv", (future, future))
    for _ in range(4):  # four page views
        assert not store.needs_build(built)
        assert store.ensure_built(built) is None
    assert builds(built) == ["build ok"]


def test_a_changed_byte_rebuilds_even_when_the_mtime_is_put_back(built):
    path = built.data_dir / "kpi.csv"
    st = path.stat()
    edit_csv(path, 2, "value", "12345")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert store.needs_build(built)
    assert store.ensure_built(built) is not None
    assert not store.needs_build(built)


def test_a_failing_data_folder_logs_one_failure_not_one_per_view(built):
    edit_csv(built.data_dir / "kpi.csv", 2, "value", "x")
    for _ in range(4):  # every page view asks; only the first one builds
        assert store.needs_build(built)
        with pytest.raises(ValidationFailed) as e:
            store.ensure_built(built)
        assert "kpi.csv line 2, column value: 'x'" in str(e.value)
    assert builds(built) == ["auto-build failed", "build ok"]
    # the explicit CLI build always tries (and logs)
    with pytest.raises(ValidationFailed):
        store.build(built)
    assert builds(built)[0] == "build failed"
    # once the data change, the next view builds again
    edit_csv(built.data_dir / "kpi.csv", 2, "value", "7")
    assert store.ensure_built(built) is not None
    assert store.build_failure(built) is None and not store.needs_build(built)


def test_the_store_records_the_fingerprint_of_what_it_was_built_from(built):
    assert store.store_fingerprint(built) == store.data_fingerprint(built)
    (built.data_dir / "extra.csv").write_text("a\n1\n")  # a new file is a change, too
    assert store.needs_build(built)
    (built.data_dir / "extra.csv").unlink()
    assert not store.needs_build(built)
