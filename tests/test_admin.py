"""aiwatch.admin: the token gate, upload validation, the change preview, apply, history, rollback.

"Byte-identical" is checked over every file under data/ (history included) and the store file.
"""

from __future__ import annotations

import csv
import dataclasses
import hmac
import io
from pathlib import Path

import pandas as pd
import pytest

from aiwatch import admin, store
from aiwatch.load import ValidationFailed
from tests.conftest import make_cfg

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def acfg(tmp_path):
    """The basic fixture, built, with an admin token configured."""
    cfg = dataclasses.replace(make_cfg(tmp_path), admin_token=TOKEN)
    store.build(cfg)
    return cfg


def snapshot(cfg) -> dict[str, bytes]:
    files = {str(p.relative_to(cfg.data_dir)): p.read_bytes()
             for p in sorted(cfg.data_dir.rglob("*")) if p.is_file()}
    files["<store>"] = cfg.db_path.read_bytes()
    return files


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def to_bytes(table: list[list[str]], newline: str = "\n", bom: bool = False) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(table)
    return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8")


def corrected_segments(cfg) -> bytes:
    """segment_revenue.csv with FY25 Q2 Intelligent Cloud and Total +1000 (2 changed rows),
    a new FY25 Q3 Total (1 added row) and the FY2024 FY recast rows gone (4 removed)."""
    table = rows(cfg.data_dir / "segment_revenue.csv")
    head = table[0]
    i = {c: head.index(c) for c in head}
    out = [head]
    for r in table[1:]:
        key = (r[i["fiscal_year"]], r[i["fiscal_quarter"]], r[i["basis"]])
        if key == ("2024", "FY", "recast"):
            continue
        if key == ("2025", "Q2", "as_reported") and r[i["segment"]] in ("Total", "Intelligent Cloud"):
            r = list(r)
            r[i["revenue_usd_m"]] = f"{float(r[i['revenue_usd_m']]) + 1000:g}"
        out.append(r)
    new = dict.fromkeys(head, "")
    new.update(fiscal_year="2025", fiscal_quarter="Q3", period_end="2025-03-31", basis="as_reported",
               segment="Total", revenue_usd_m="500", reported_at="2025-04-29",
               source_url="https://example.test/synthetic/seg/2025q3", source_kind="company")
    out.append([new[c] for c in head])
    return to_bytes(out)


def latest_total(cfg) -> float:
    con = store.open_readonly(cfg)
    try:
        return con.execute("select revenue_usd_m from segment_revenue where fiscal_year = 2025 and "
                           "fiscal_quarter = 'Q2' and basis = 'as_reported' and segment = 'Total'"
                           ).fetchall()[0][0]
    finally:
        con.close()


# --- who may write ------------------------------------------------------------------------------

def test_token_check(acfg):
    assert admin.write_actions_enabled(acfg)
    assert admin.is_admin(acfg, TOKEN)
    for wrong in (None, "", "s3cret", TOKEN + " ", TOKEN.upper()):
        assert not admin.is_admin(acfg, wrong)
    off = dataclasses.replace(acfg, admin_token="")
    assert not admin.write_actions_enabled(off)
    assert not admin.is_admin(off, "")  # no token configured: nobody is admin, not even ""


def test_token_is_compared_in_constant_time(acfg, monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(admin.hmac, "compare_digest", spy)
    assert admin.is_admin(acfg, TOKEN)
    assert calls == [(TOKEN.encode(), TOKEN.encode())]


@pytest.mark.parametrize("token", [None, "", "guess"])
def test_write_functions_refuse_a_viewer_and_write_nothing(acfg, token):
    before = snapshot(acfg)
    with pytest.raises(admin.NotAuthorized):
        admin.prepare_upload(acfg, token, "segment_revenue", corrected_segments(acfg))
    plan = admin.prepare_upload(acfg, TOKEN, "segment_revenue", corrected_segments(acfg))
    with pytest.raises(admin.NotAuthorized):
        admin.apply(acfg, token, plan)  # a plan an admin made does not let a viewer apply it
    admin.apply(acfg, TOKEN, plan)
    after_apply = snapshot(acfg)
    version = admin.list_history(acfg, "segment_revenue")[0].version
    with pytest.raises(admin.NotAuthorized):
        admin.prepare_rollback(acfg, token, "segment_revenue", version)
    with pytest.raises(admin.NotAuthorized):
        admin.refresh_market(acfg, token, lambda *a: None)
    assert snapshot(acfg) == after_apply != before


def test_with_no_token_configured_write_actions_are_off(acfg):
    off = dataclasses.replace(acfg, admin_token="")
    with pytest.raises(admin.NotAuthorized, match="write actions are off"):
        admin.prepare_upload(off, "", "segment_revenue", corrected_segments(acfg))
    with pytest.raises(admin.NotAuthorized, match="write actions are off"):
        admin.refresh_market(off, None, lambda *a: None)


# --- bad uploads ----------------------------------------------------------------------------------

def _segment_rows(cfg):
    return rows(cfg.data_dir / "segment_revenue.csv")


def bad_uploads(cfg) -> dict[str, tuple[str, bytes, str]]:
    seg = _segment_rows(cfg)
    head = seg[0]
    col = head.index("revenue_usd_m")
    bad_cell = [list(r) for r in seg]
    bad_cell[3][col] = "lots"
    sums = [list(r) for r in seg]
    total_line = next(n for n, r in enumerate(sums) if r[head.index("segment")] == "Total" and n > 0)
    sums[total_line][col] = str(float(sums[total_line][col]) + 5000)
    dup = [list(r) for r in seg] + [list(seg[1])]
    kpi = rows(cfg.data_dir / "kpi.csv")
    unknown_kpi = [list(r) for r in kpi]
    unknown_kpi[1][kpi[0].index("kpi_id")] = "no_such_kpi"
    catalog = rows(cfg.data_dir / "kpi_catalog.csv")
    return {
        "not utf-8": ("segment_revenue", to_bytes(seg).replace(b"Cloud", "Clöud".encode("latin-1"), 1),
                      "not UTF-8 text (byte 0xf6"),
        "utf-16": ("segment_revenue", to_bytes(seg).decode().encode("utf-16"), "not UTF-8 text (byte 0xff"),
        "too big": ("segment_revenue", b"x" * (admin.MAX_UPLOAD_BYTES + 1), "too big"),
        "empty": ("segment_revenue", b"", "empty"),
        "lone CR": ("segment_revenue", to_bytes(seg, newline="\r"), "lone carriage return"),
        "NUL": ("segment_revenue", to_bytes(seg).replace(b"Total", b"To\x00tal", 1), "NUL characters"),
        "wrong header": ("segment_revenue", to_bytes([["year", *head[1:]], *seg[1:]]),
                         "column fiscal_year: missing"),
        "bad cell": ("segment_revenue", to_bytes(bad_cell), "line 4, column revenue_usd_m: 'lots' is not a number"),
        "segment sums": ("segment_revenue", to_bytes(sums), f"line {total_line + 1}, column revenue_usd_m"),
        "duplicate key": ("segment_revenue", to_bytes(dup), f"line {len(dup)}: a unique row"),
        "unknown kpi_id": ("kpi", to_bytes(unknown_kpi), "line 2, column kpi_id: 'no_such_kpi' is not a kpi_id"),
        "catalog drops a used kpi": ("kpi_catalog", to_bytes(catalog[:1] + catalog[2:]), "data/kpi.csv line"),
    }


CASES = ["not utf-8", "utf-16", "too big", "empty", "lone CR", "NUL", "wrong header", "bad cell",
         "segment sums", "duplicate key", "unknown kpi_id", "catalog drops a used kpi"]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_upload_is_refused_with_its_line_and_changes_nothing(acfg, case):
    table, data, message = bad_uploads(acfg)[case]
    before = snapshot(acfg)
    plan = admin.prepare_upload(acfg, TOKEN, table, data, "mine.csv")
    assert not plan.ok
    text = "\n".join(map(str, plan.problems))
    assert message in text, text
    with pytest.raises(ValueError):
        admin.apply(acfg, TOKEN, plan)
    assert snapshot(acfg) == before


def test_problems_in_the_uploaded_file_are_labelled_as_the_new_file(acfg):
    table, data, _ = bad_uploads(acfg)["bad cell"]
    plan = admin.prepare_upload(acfg, TOKEN, table, data)
    assert str(plan.problems[0]).startswith("the new segment_revenue.csv line 4, column revenue_usd_m")


def test_unknown_table_is_refused(acfg):
    with pytest.raises(ValueError, match="not a curated table"):
        admin.prepare_upload(acfg, TOKEN, "../../etc/passwd", b"a\n")


def test_bom_and_crlf_are_accepted_and_stored_as_lf(acfg):
    seg = _segment_rows(acfg)
    same = admin.prepare_upload(acfg, TOKEN, "segment_revenue", to_bytes(seg, "\r\n", bom=True))
    assert same.ok and not same.has_changes
    expected = corrected_segments(acfg)
    changed = expected.decode().replace("\n", "\r\n").encode()
    plan = admin.prepare_upload(acfg, TOKEN, "segment_revenue", b"\xef\xbb\xbf" + changed)
    assert plan.ok and plan.has_changes
    admin.apply(acfg, TOKEN, plan)
    assert (acfg.data_dir / "segment_revenue.csv").read_bytes() == expected  # UTF-8, LF, no BOM


# --- the preview ------------------------------------------------------------------------------------

def test_the_preview_lists_added_changed_and_removed_rows(acfg):
    plan = admin.prepare_upload(acfg, TOKEN, "segment_revenue", corrected_segments(acfg), "fixed.csv")
    assert plan.ok, plan.problems
    assert plan.summary() == "1 row(s) added, 2 changed, 4 removed"
    assert (plan.rows_before, plan.rows_after) == (64, 61)
    added = plan.added.iloc[0]
    assert (added.fiscal_year, added.fiscal_quarter, added.segment, added.revenue_usd_m) == (2025, "Q3", "Total", 500)
    changed = plan.changed.sort_values("segment")
    assert list(changed.columns) == ["fiscal_year", "fiscal_quarter", "basis", "segment", "column", "before", "after"]
    assert changed[["segment", "column", "before", "after"]].values.tolist() == [
        ["Intelligent Cloud", "revenue_usd_m", "220", "1220"],
        ["Total", "revenue_usd_m", "484", "1484"]]
    removed = plan.removed
    assert set(removed.segment) == {"Productivity and Business Processes", "Intelligent Cloud",
                                    "More Personal Computing", "Total"}
    assert set(removed.fiscal_quarter) == {"FY"} and set(removed.basis) == {"recast"}


def test_diff_treats_missing_values_and_number_formats_as_equal():
    spec = admin.TABLES["kpi"]
    base = {"kpi_id": "a", "period_end": pd.Timestamp("2024-06-30").date(), "value": 3.0, "qualifier": None,
            "reported_at": pd.Timestamp("2024-07-30").date(), "source_url": "https://x.test", "source_kind": "company",
            "checked_against": None, "note": None}
    before = pd.DataFrame([base])
    after = pd.DataFrame([{**base, "value": 3, "note": float("nan")}])
    added, changed, removed = admin.diff(before, after, spec)
    assert added.empty and changed.empty and removed.empty
    after = pd.DataFrame([{**base, "note": "new note"}, {**base, "kpi_id": "b"}])
    added, changed, removed = admin.diff(before, after, spec)
    assert list(added.kpi_id) == ["b"] and removed.empty
    assert changed[["column", "before", "after"]].values.tolist() == [["note", "", "new note"]]


# --- apply, history, rollback -------------------------------------------------------------------------

def test_apply_writes_keeps_history_and_rebuilds(acfg):
    original = (acfg.data_dir / "segment_revenue.csv").read_bytes()
    ident = store.store_identity(acfg)
    new = corrected_segments(acfg)
    plan = admin.prepare_upload(acfg, TOKEN, "segment_revenue", new, "fixed.csv")
    result = admin.apply(acfg, TOKEN, plan)
    assert (acfg.data_dir / "segment_revenue.csv").read_bytes() == new
    assert result.kept_as.read_bytes() == original
    assert result.kept_as.parent == acfg.data_dir / "history" / "segment_revenue"
    assert store.store_identity(acfg) != ident  # the pages' caches key on this
    assert latest_total(acfg) == 1484
    log = store.read_log(acfg)
    assert log["action"][0] == "upload" and log["outcome"][0] == "ok"
    assert "1 row(s) added, 2 changed, 4 removed" in log["detail"][0]
    assert "history/segment_revenue/" in log["detail"][0] and "fixed.csv" in log["detail"][0]
    assert not store.needs_build(acfg)
    assert not list(acfg.data_dir.glob(".*"))  # no temporary or backup file left behind


def test_rollback_puts_a_kept_version_back_and_is_itself_reversible(acfg):
    original = (acfg.data_dir / "segment_revenue.csv").read_bytes()
    new = corrected_segments(acfg)
    admin.apply(acfg, TOKEN, admin.prepare_upload(acfg, TOKEN, "segment_revenue", new))
    versions = admin.list_history(acfg, "segment_revenue")
    assert len(versions) == 1 and versions[0].path.read_bytes() == original
    plan = admin.prepare_rollback(acfg, TOKEN, "segment_revenue", versions[0].version)
    assert plan.action == "rollback"
    assert plan.summary() == "4 row(s) added, 2 changed, 1 removed"  # the upload, reversed
    admin.apply(acfg, TOKEN, plan)
    assert (acfg.data_dir / "segment_revenue.csv").read_bytes() == original
    assert latest_total(acfg) == 484
    versions = admin.list_history(acfg, "segment_revenue")
    assert len(versions) == 2 and versions[0].path.read_bytes() == new  # newest first
    assert store.read_log(acfg)["action"][0] == "rollback"
    # roll the rollback back
    admin.apply(acfg, TOKEN, admin.prepare_rollback(acfg, TOKEN, "segment_revenue", versions[0].version))
    assert latest_total(acfg) == 1484


def test_rollback_refuses_made_up_versions(acfg):
    for version in ("../../kpi", "20250101T000000000000Z", "", "latest"):
        with pytest.raises(ValueError):
            admin.prepare_rollback(acfg, TOKEN, "segment_revenue", version)


def test_a_failing_build_puts_everything_back(acfg, monkeypatch):
    before = snapshot(acfg)
    mtime = (acfg.data_dir / "segment_revenue.csv").stat().st_mtime_ns
    plan = admin.prepare_upload(acfg, TOKEN, "segment_revenue", corrected_segments(acfg))

    def boom(*a, **k):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(store, "_verify_store", boom)
    with pytest.raises(OSError):
        admin.apply(acfg, TOKEN, plan)
    assert snapshot(acfg) == before  # data/ (no history entry either) and the store
    assert (acfg.data_dir / "segment_revenue.csv").stat().st_mtime_ns == mtime
    assert not store.needs_build(acfg)  # the restored file is not "newer" than the store
    log = store.read_log(acfg)
    assert log["action"][0] == "upload" and log["outcome"][0] == "failed"
    assert "left as they were" in log["detail"][0]


def test_a_file_the_build_rejects_puts_everything_back(acfg, monkeypatch):
    """Validation in prepare and in the build agree; if they ever do not, the build wins."""
    before = snapshot(acfg)
    table, data, _ = bad_uploads(acfg)["segment sums"]
    plan = admin.prepare_upload(acfg, TOKEN, "segment_revenue", corrected_segments(acfg))
    plan.text = data.decode()  # as if the preview had missed the problem
    with pytest.raises(ValidationFailed):
        admin.apply(acfg, TOKEN, plan)
    assert snapshot(acfg) == before


def test_apply_refuses_when_the_file_changed_since_the_preview(acfg):
    plan = admin.prepare_upload(acfg, TOKEN, "segment_revenue", corrected_segments(acfg))
    path = acfg.data_dir / "segment_revenue.csv"
    path.write_bytes(path.read_bytes() + b"\n")  # someone edited data/ meanwhile
    before = snapshot(acfg)
    with pytest.raises(admin.Conflict, match="changed since your preview"):
        admin.apply(acfg, TOKEN, plan)
    assert snapshot(acfg) == before


def test_history_is_ignored_by_builds_and_staleness(acfg):
    admin.apply(acfg, TOKEN, admin.prepare_upload(acfg, TOKEN, "segment_revenue", corrected_segments(acfg)))
    (acfg.data_dir / "history" / "segment_revenue" / "20990101T000000000000Z.csv").write_text("junk\n")
    assert not store.needs_build(acfg)
    store.build(acfg)  # kept versions are never read as data


# --- market refresh -----------------------------------------------------------------------------------

def test_refresh_market_reports_progress_and_failed_tickers(acfg):
    from tests.test_refresh import FakeYahoo, days, yf_frame

    fake = FakeYahoo(yf_frame({"MSFT": days("2025-01-02", 5), "AAPL": days("2025-01-02", 5, 50),
                               "QQQ": None}))
    seen = []
    result = admin.refresh_market(acfg, TOKEN, lambda *a: seen.append(a), downloader=fake)
    assert result.exit_code == 3
    assert set(result.failed) == {"QQQ"}
    assert [s[:3] for s in seen][-1][:2] == (3, 3)
    assert {s[2] for s in seen} == {"MSFT", "AAPL", "QQQ"}
    assert any(s[2] == "QQQ" and s[3].startswith("failed") for s in seen)


def test_refresh_market_unavailable_without_the_market_module(acfg, monkeypatch):
    monkeypatch.setattr(admin, "_market", lambda: None)
    assert not admin.market_refresh_available()
    with pytest.raises(admin.Unavailable):
        admin.refresh_market(acfg, TOKEN, lambda *a: None)


# --- the read-only table list ---------------------------------------------------------------------

def test_table_summary_and_list(acfg):
    assert admin.shown_tables(["build_info", "kpi", "price", "prev_kpi", "refresh_log", "indicator", "zz"]) \
        == ["indicator", "kpi", "price", "zz"]
    con = store.open_readonly(acfg)
    seg = con.execute("select * from segment_revenue").df()
    con.close()
    s = admin.table_summary("segment_revenue", seg)
    assert s["rows"] == 64 and s["sources"] == seg["source_url"].nunique()
    assert str(s["latest_period"]) == str(pd.to_datetime(seg["period_end"]).max().date())
    assert str(s["latest_reported_at"]) == str(pd.to_datetime(seg["reported_at"]).max().date())
    empty = admin.table_summary("price", pd.DataFrame(columns=["ticker", "date", "source"]))
    assert empty == {"table": "price", "rows": 0, "latest_period": None, "latest_reported_at": None,
                     "sources": 0}
