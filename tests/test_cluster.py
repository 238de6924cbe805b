"""The scale-out topology on this machine: `deploy/local-cluster.sh up 2 PORT`, a browser through
nginx, a rebuild seen by both replicas, the loss of a replica, and `down` leaving no process.

Needs Debian's nginx (scripts/ensure-nginx.sh; `make test` runs it) and chromium.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from aiwatch.serve import status
from tests.browser import exceptions_on, shot, wait_rendered
from tests.conftest import ROOT, edit_csv, make_cfg
from tests.test_browser_links import main_text, share_link
from tests.test_browser_serve import OFFLINE, PAGES, healthy, wait_for

pytestmark = pytest.mark.browser
SCRIPT = ROOT / "deploy" / "local-cluster.sh"


def nginx_or_skip() -> None:
    if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"):
        return
    if os.environ.get("AIWATCH_REQUIRE_BROWSER"):
        pytest.fail("nginx is not installed (scripts/ensure-nginx.sh); required in CI")
    pytest.skip("nginx not installed: run scripts/ensure-nginx.sh")


def free_ports(n: int) -> int:
    """A base port with base..base+n all free on the loopback interface."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n < 65535 and all(_free(base + i) for i in range(n + 1)):
            return base
    raise RuntimeError("no free port range")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def served_by(url: str, route: str, cluster) -> str:
    """The replica (host:port) nginx sent a request with this route cookie to, from its access log."""
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{url}/_stcore/health?route={route}", headers={"Cookie": f"aiwatch_route={route}"})
    with opener.open(request, timeout=10) as r:
        assert r.status == 200
    for _ in range(50):  # nginx writes the log line once the response is done
        lines = [line for line in (cluster / "nginx" / "access.log").read_text().splitlines()
                 if f"?route={route} " in line]
        if lines:
            return lines[-1].rsplit("upstream=", 1)[1].split(", ")[-1]
        time.sleep(0.05)
    raise AssertionError(f"no access log line for route {route}")


def alive(pid: int, group: bool = False) -> bool:
    try:
        (os.killpg if group else os.kill)(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_two_replicas_behind_nginx(tmp_path, browser):
    nginx_or_skip()
    cfg = make_cfg(tmp_path)
    env = {**os.environ, **OFFLINE, "AIWATCH_DATA_DIR": str(cfg.data_dir), "AIWATCH_DB": cfg.db,
           "AIWATCH_STATE_DIR": str(cfg.state_dir), "PYTHON": os.sys.executable}
    cluster = cfg.state_dir / "cluster"
    base = free_ports(2)
    url = f"http://127.0.0.1:{base}"
    replicas = [f"http://127.0.0.1:{base + i}" for i in (1, 2)]

    def sh(*args: str) -> str:
        r = subprocess.run([str(SCRIPT), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    out = sh("up", "2", str(base))
    pids = {p.stem: int(p.read_text()) for p in cluster.glob("*.pid")}
    try:
        assert f"up: {url}" in out and set(pids) == {"replica-1", "replica-2", "refresher", "nginx"}
        assert all(healthy(r) for r in replicas)
        # the refresher is the only one fetching (offline here: it fails, and says why)
        wait_for(lambda: (s := status.read(cfg)) is not None and s.state == "failed", what="the refresher")

        # every page renders through nginx
        reader = browser.new_context(viewport={"width": 1300, "height": 1000})
        page = reader.new_page()
        for path in PAGES:
            page.goto(f"{url}/{path}")
            wait_rendered(page, timeout_ms=60000)
            assert exceptions_on(page) == [], path
            assert page.locator('[data-testid="stMain"]').inner_text().strip(), path
            if path == "market":
                page.get_by_text("Prices could not be fetched").wait_for(timeout=30000)

        # a share link opened in a new context (a new route cookie: maybe the other replica)
        page.goto(f"{url}/financials?as_of=2024-11-30")
        wait_rendered(page, timeout_ms=60000)
        link = share_link(page)
        assert link.startswith(f"{url}/financials?") and parse_qs(urlsplit(link).query)["as_of"] == ["2024-11-30"]
        mine = main_text(page)
        them = browser.new_context(viewport={"width": 1300, "height": 1000})
        other = them.new_page()
        other.goto(link)
        wait_rendered(other, timeout_ms=60000)
        assert main_text(other) == mine and share_link(other) == link
        them.close()

        # a rebuild (what the refresher does after a fetch) shows on both replicas
        edit_csv(cfg.data_dir / "milestone.csv", 5, "title", "Rebuilt by the refresher")
        build = subprocess.run([os.sys.executable, "-m", "aiwatch", "build"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
        assert build.returncode == 0, build.stderr
        for replica in replicas:
            page.goto(f"{replica}/")
            wait_rendered(page, timeout_ms=60000)
            page.get_by_text("Rebuilt by the refresher").first.wait_for(timeout=30000)
        reader.close()

        # one replica dies: a browser whose route cookie points at it still gets a page (from the other)
        doomed = next(key for key in map(str, range(1000))
                      if served_by(url, key, cluster) == replicas[0].removeprefix("http://"))
        os.killpg(pids["replica-1"], signal.SIGKILL)
        wait_for(lambda: not healthy(replicas[0]), timeout=10, what="replica 1 to die")
        late = browser.new_context(viewport={"width": 1300, "height": 1000})
        late.add_cookies([{"name": "aiwatch_route", "value": doomed, "url": url}])
        page = late.new_page()
        page.goto(f"{url}/")
        wait_rendered(page, timeout_ms=60000)
        assert exceptions_on(page) == []
        page.get_by_text("Rebuilt by the refresher").first.wait_for(timeout=30000)
        shot(page, "cluster_after_losing_a_replica")
        late.close()
        assert served_by(url, doomed, cluster) == replicas[1].removeprefix("http://")
    finally:
        down = subprocess.run([str(SCRIPT), "down"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
    assert down.returncode == 0, down.stderr
    # nothing it started is left: no serve group (with its Streamlit child), no nginx, no pid file
    time.sleep(0.2)
    assert [name for name, pid in pids.items() if alive(pid, group=name != "nginx")] == []
    assert list(cluster.glob("*.pid")) == []
    assert not any(healthy(u) for u in [url, *replicas])
