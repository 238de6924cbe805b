"""`python -m aiwatch serve`: its settings, the schedule, the first-start fetch, the status file.

The scheduler runs on an injected clock (FakeClock: `wait` moves time forward instead of
sleeping), so a day's schedule takes milliseconds; the downloader is a fake returning
yfinance-shaped frames. The served pages are tested in test_browser_serve.py.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

import pytest

from aiwatch import market, store
from aiwatch.__main__ import main
from aiwatch.serve import schedule, server, status
from tests.test_refresh import FakeYahoo, days, yf_frame

NY = schedule.MARKET_TZ


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


class FakeClock:
    """Time stands still until the scheduler waits; then it moves on by what it waited."""

    def __init__(self, start: datetime, stop_after_runs: int, refresher_ref: list):
        self.t, self.stop_after, self.ref = start, stop_after_runs, refresher_ref
        self.waited: list[float] = []

    def now(self) -> datetime:
        return self.t

    def wait(self, seconds: float) -> bool:
        if self.ref and self.ref[0].runs >= self.stop_after:
            return True
        self.waited.append(seconds)
        self.t += timedelta(seconds=seconds)
        return False


def log_actions(cfg) -> list[tuple[str, str]]:
    return list(zip(store.read_log(cfg)["action"][::-1], store.read_log(cfg)["outcome"][::-1]))


# --- the schedule ----------------------------------------------------------------------------

@pytest.mark.parametrize(("after", "expected"), [
    (ny(2026, 11, 30, 9, 0), ny(2026, 11, 30, 18, 0)),     # Monday morning: tonight
    (ny(2026, 11, 30, 18, 0), ny(2026, 12, 1, 18, 0)),     # exactly at the time: the next day
    (ny(2026, 12, 4, 19, 0), ny(2026, 12, 7, 18, 0)),      # Friday evening: Monday, not the weekend
    (ny(2026, 12, 5, 12, 0), ny(2026, 12, 7, 18, 0)),      # Saturday
    (ny(2026, 3, 6, 23, 0), ny(2026, 3, 9, 18, 0)),        # over the switch to summer time
])
def test_next_run_is_the_next_weekday_at_the_time_in_new_york(after, expected):
    got = schedule.next_run(after.astimezone(UTC), clock_time(18, 0))
    assert got == expected and got.astimezone(NY).hour == 18


def test_next_run_follows_new_york_across_daylight_saving():
    winter = schedule.next_run(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), clock_time(18, 0))
    summer = schedule.next_run(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), clock_time(18, 0))
    assert winter.astimezone(UTC).hour == 23 and summer.astimezone(UTC).hour == 22


@pytest.mark.parametrize("bad", ["25:00", "6pm", "18", "18:5", "", "18:00:00"])
def test_parse_time_refuses_what_is_not_hh_mm(bad):
    with pytest.raises(ValueError, match="HH:MM"):
        schedule.parse_time(bad)


def test_a_scheduled_run_at_the_set_time_refreshes_and_swaps_the_store(built):
    fake = FakeYahoo(yf_frame({t: days("2026-11-23", 5) for t in ("MSFT", "AAPL", "QQQ")}))
    ref: list = []
    clock = FakeClock(ny(2026, 11, 30, 17, 0), stop_after_runs=1, refresher_ref=ref)
    seen_at: list[datetime] = []

    def downloader(tickers, start=None, **kw):
        seen_at.append(clock.now())
        return fake(tickers, start=start, **kw)

    before = store.store_identity(built)
    r = schedule.Refresher(built, clock_time(18, 0), first_fetch=False, downloader=downloader, clock=clock,
                           say=lambda _: None)
    ref.append(r)
    r.run()  # returns once the fake clock is told to stop (after one run)
    assert seen_at == [ny(2026, 11, 30, 18, 0)]  # ran at 18:00 New York, not before
    assert max(clock.waited) <= schedule.MAX_WAIT_S
    assert store.store_identity(built) != before  # a new file was swapped in
    con = store.open_readonly(built)
    assert con.execute("select count(*) from price").fetchone()[0] == 15
    con.close()
    got = status.read(built)
    assert (got.state, got.action) == ("done", "scheduled refresh") and got.reason.startswith("ok:")
    log = log_actions(built)
    assert log.index(("scheduled refresh", "started")) < len(log) - 1 and log[-1] == ("refresh", "ok")


def test_first_start_fetches_only_when_no_prices_are_stored(built):
    fake = FakeYahoo(yf_frame({t: days("2026-11-23", 3) for t in ("MSFT", "AAPL", "QQQ")}))
    first = schedule.Refresher(built, None, downloader=fake, say=lambda _: None)
    first.run()
    assert len(fake.calls) == 1 and len(market.read_snapshot(built)) == 9
    assert status.read(built).state == "done"
    again = schedule.Refresher(built, None, downloader=fake, say=lambda _: None)
    again.run()  # prices are stored now: a restart does not fetch
    assert len(fake.calls) == 1


def test_an_offline_first_fetch_is_recorded_as_failed_with_the_reason(built):
    offline = FakeYahoo(yf_frame({"MSFT": None, "AAPL": None, "QQQ": None}))
    r = schedule.Refresher(built, None, downloader=offline, say=lambda _: None)
    r.run()
    got = status.read(built)
    assert got.state == "failed" and got.action == "first fetch" and "nothing fetched" in got.reason
    kind, text = status.price_note(got)
    assert kind == "failed" and text.startswith("Prices could not be fetched (first fetch,")
    assert got.reason in text
    assert ("first fetch", "started") in log_actions(built) and ("refresh", "failed") in log_actions(built)


def test_a_downloader_that_raises_does_not_end_the_schedule(built):
    def broken(*a, **k):
        raise RuntimeError("boom")

    # market.refresh catches downloader errors itself; a crash outside it is caught by the refresher
    r = schedule.Refresher(built, None, downloader=broken, say=lambda _: None)
    r.fetch("first fetch")
    assert status.read(built).state == "failed"
    original = market.refresh
    try:
        market.refresh = lambda *a, **k: (_ for _ in ()).throw(OSError("disk full"))
        got = r.fetch("scheduled refresh")
    finally:
        market.refresh = original
    assert got.state == "failed" and got.reason == "OSError: disk full"
    assert log_actions(built)[-1] == ("scheduled refresh", "failed")


# --- the status file -------------------------------------------------------------------------

def test_status_round_trip_and_what_an_empty_market_page_says(cfg):
    assert status.read(cfg) is None and status.price_note(None) is None
    at = datetime(2026, 12, 1, 20, 0)
    status.write(cfg, "running", "first fetch", at=at)
    kind, text = status.price_note(status.read(cfg), now=at + timedelta(minutes=2))
    assert kind == "running" and "being fetched" in text and "2026-12-01 20:00 UTC" in text
    kind, text = status.price_note(status.read(cfg), now=at + timedelta(hours=2))
    assert kind == "failed" and "did not finish" in text  # the server stopped during the fetch
    status.write(cfg, "done", "scheduled refresh", "ok: 3 new rows")
    assert status.price_note(status.read(cfg)) is None
    with pytest.raises(ValueError, match="not one of"):
        status.write(cfg, "maybe", "first fetch")


@pytest.mark.parametrize("content", ["", "{", "[]", json.dumps({"state": "odd", "action": "x", "at": "2026-01-01"}),
                                     json.dumps({"state": "done"})])
def test_an_unreadable_status_file_reads_as_no_status(cfg, content):
    cfg.state_dir.mkdir(parents=True)
    cfg.fetch_status.write_text(content, encoding="utf-8")
    assert status.read(cfg) is None


# --- the server's settings and the command line ----------------------------------------------

def test_streamlit_runs_with_public_settings():
    opts = server.Options(address="127.0.0.1", port=8600, refresh_at=None)
    cmd = server.streamlit_command(opts)
    flags = dict(zip(cmd[5::2], cmd[6::2]))
    assert cmd[2:5] == ["streamlit", "run", str(server.ROOT / server.SCRIPT)]
    assert flags["--server.headless"] == "true" and flags["--browser.gatherUsageStats"] == "false"
    assert flags["--server.enableXsrfProtection"] == "true"
    assert flags["--server.address"] == "127.0.0.1" and flags["--server.port"] == "8600"
    from aiwatch.admin import MAX_UPLOAD_BYTES
    assert int(flags["--server.maxUploadSize"]) * 2**20 >= MAX_UPLOAD_BYTES > (
        int(flags["--server.maxUploadSize"]) - 1) * 2**20


@pytest.mark.parametrize(("argv", "message"), [
    (["--refresh-at", "6pm"], "--refresh-at: '6pm' is not a time as HH:MM"),
    (["--port", "http"], "--port 'http' is not a port number"),
    (["--port", "70000"], "is not a port number"),
    (["--refresh-only", "--no-refresh"], "would do nothing"),
])
def test_serve_refuses_bad_options_with_one_line(argv, message, capsys):
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_serve_options_come_from_the_environment(monkeypatch, cfg):
    seen = {}
    monkeypatch.setattr(server, "run", lambda c, opts: seen.setdefault("opts", opts) and 0)
    monkeypatch.setenv("AIWATCH_PORT", "8765")
    monkeypatch.setenv("AIWATCH_REFRESH_AT", "17:45")
    main(["serve"])
    assert seen["opts"].port == 8765 and seen["opts"].refresh_at == clock_time(17, 45)
    assert seen["opts"].first_fetch and seen["opts"].pages
    seen.clear()
    main(["serve", "--no-refresh", "--port", "8766"])
    assert seen["opts"].refresh_at is None and not seen["opts"].first_fetch and seen["opts"].port == 8766
    seen.clear()
    monkeypatch.setenv("AIWATCH_REFRESH_AT", "off")
    main(["serve", "--refresh-only"])
    assert seen["opts"].refresh_at is None and not seen["opts"].pages and seen["opts"].first_fetch


def test_refresher_only_serve_stops_on_request(built):
    fake = FakeYahoo(yf_frame({t: days("2026-11-23", 2) for t in ("MSFT", "AAPL", "QQQ")}))
    s = server.Server(built, server.Options("127.0.0.1", 1, clock_time(18, 0), pages=False), downloader=fake,
                      say=lambda _: None)
    s.start()
    def stop_after_the_first_fetch():
        deadline = time.monotonic() + 30
        while s.refresher.runs < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        s.stop()

    t = threading.Thread(target=stop_after_the_first_fetch)
    t.start()
    assert s.wait() == 0
    t.join()
    assert status.read(built).state == "done" and len(fake.calls) == 1
    log = log_actions(built)
    assert log.index(("serve", "started")) < log.index(("first fetch", "started")) and log[-1] == ("serve", "stopped")
