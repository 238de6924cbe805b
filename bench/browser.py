"""What a reader waits for, in headless Chromium: python -m bench.browser (make bench-browser).

Not part of the test suite. Serves the app (a copy of data/ with the real price files of
--prices imported, as bench.pages does) and, when a copy is at --demo, Streamlit's stock-peers
demo (github.com/streamlit/demo-stockpeers, fetched at bench time and never committed; its
yfinance calls served from the same local price files), each with `streamlit run`, and drives
Debian's chromium with Playwright:

  rerun       from pressing R (Streamlit's rerun key) until the script_finished message has
              arrived over the WebSocket and the browser has painted twice after it
  first load  a fresh browser context, from navigation until every chart in the viewport has
              drawn its marks (and the run has finished)
  sent        per rerun: delta messages (elements) and bytes over the WebSocket

Each figure is the median of --reruns reruns / --loads first loads; rounds alternate the demo
and the pages so that a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import DEMO, DEMO_TICKERS, PRICES, demo_script, make_store, page_paths  # noqa: E402

CHART = '[data-testid="stVegaLiteChart"]'
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SHIM = """
import os, sys
from pathlib import Path
sys.path.insert(0, {root!r})
import yfinance
from bench.pages import LocalTickers
yfinance.Tickers = lambda tickers: LocalTickers(tickers, Path({prices!r}))
from streamlit.web.cli import main
sys.argv = ["streamlit", "run", {script!r}, *sys.argv[1:]]
main()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(argv: list[str], env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([*argv, "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.3)


class Wire:
    """The ForwardMsgs a page receives over its WebSocket, decoded."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.msgs: list[tuple[str, int]] = []
        self._decode = ForwardMsg.FromString

        def on_ws(ws):
            ws.on("framereceived", self._frame)

        page.on("websocket", on_ws)

    def _frame(self, payload) -> None:
        if isinstance(payload, (bytes, bytearray)):
            try:
                self.msgs.append((self._decode(bytes(payload)).WhichOneof("type") or "", len(payload)))
            except Exception:  # noqa: BLE001 - not a ForwardMsg: counted as bytes only
                self.msgs.append(("", len(payload)))

    def finished_since(self, i: int) -> bool:
        return any(kind == "script_finished" for kind, _ in self.msgs[i:])


PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
CHARTS_DRAWN = f"""() => {{
    const charts = [...document.querySelectorAll('{CHART}')].filter(e => {{
        const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; }});
    return charts.every(e => e.querySelector('svg.marks, canvas.marks'));
}}"""


def wait_finished(page, wire: Wire, since: int, timeout_s: float = 60) -> None:
    deadline = time.perf_counter() + timeout_s
    while not wire.finished_since(since):
        if time.perf_counter() > deadline:
            raise TimeoutError("the script run did not finish")
        page.wait_for_timeout(2)


def first_load(browser, url: str) -> float:
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    wire = Wire(page)
    t0 = time.perf_counter()
    page.goto(url)
    wait_finished(page, wire, 0)
    page.wait_for_function(CHARTS_DRAWN, timeout=60000, polling="raf")
    page.evaluate(PAINTED)
    seconds = time.perf_counter() - t0
    ctx.close()
    return seconds


def reruns(browser, url: str, n: int) -> tuple[float, float, float]:
    """(median rerun ms, delta messages per rerun, bytes per rerun)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    wire = Wire(page)
    page.goto(url)
    wait_finished(page, wire, 0)
    page.wait_for_function(CHARTS_DRAWN, timeout=60000, polling="raf")
    times, deltas, sizes = [], [], []
    for i in range(n + 2):
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        since = len(wire.msgs)
        t0 = time.perf_counter()
        page.keyboard.press("r")
        wait_finished(page, wire, since)
        page.evaluate(PAINTED)
        if i >= 2:  # two warm-up reruns
            times.append(1000 * (time.perf_counter() - t0))
            sent = wire.msgs[since:]
            deltas.append(sum(1 for kind, _ in sent if kind == "delta"))
            sizes.append(sum(size for _, size in sent))
    ctx.close()
    return statistics.median(times), statistics.median(deltas), statistics.median(sizes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--prices", type=Path, default=PRICES)
    parser.add_argument("--demo", type=Path, default=DEMO)
    parser.add_argument("--pages", nargs="*", help="url paths to measure (default: every page)")
    args = parser.parse_args(argv)

    import shutil

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="aiwatch-bench-browser-") as tmp:
        root = Path(tmp)
        cfg = make_store(root, args.prices)
        paths = args.pages if args.pages is not None else page_paths(cfg)
        env = {**os.environ, "AIWATCH_DATA_DIR": str(cfg.data_dir), "AIWATCH_DB": cfg.db,
               "AIWATCH_STATE_DIR": str(cfg.state_dir)}
        procs = []
        app, app_url = serve([sys.executable, "-m", "streamlit", "run", str(ROOT / "server.py")], env, root / "app.log")
        procs.append(app)
        demo_url = None
        script = demo_script(args.demo, root)
        if script is not None and args.prices.exists():
            shim = root / "demo_shim.py"
            shim.write_text(SHIM.format(root=str(ROOT), prices=str(args.prices), script=str(script)))
            demo, demo_url = serve([sys.executable, str(shim)], dict(os.environ), root / "demo.log")
            procs.append(demo)
            demo_url += "/?stocks=" + ",".join(DEMO_TICKERS)
        results: dict[str, dict[str, list]] = {}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
                targets = ([("demo", demo_url)] if demo_url else []) + [(f"/{q}", f"{app_url}/{q}") for q in paths]
                for _name, url in targets:  # warm the servers' caches once
                    reruns(browser, url, 1)
                for _ in range(args.rounds):
                    for name, url in targets:
                        r = results.setdefault(name, {"rerun": [], "load": [], "deltas": [], "bytes": []})
                        ms, deltas, size = reruns(browser, url, args.reruns)
                        r["rerun"].append(ms)
                        r["deltas"].append(deltas)
                        r["bytes"].append(size)
                        r["load"] += [first_load(browser, url) for _ in range(args.loads)]
                browser.close()
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=15)
    med = {k: {m: statistics.median(v) for m, v in r.items()} for k, r in results.items()}
    demo = med.get("demo")
    print(f"headless Chromium; {args.reruns} reruns and {args.loads} first loads x {args.rounds} rounds; medians")
    print(f"{'page':<22}{'rerun':>10}{'x demo':>8}{'first load':>12}{'x demo':>8}{'elements':>10}{'KB/rerun':>10}")
    for name, m in med.items():
        rx = f"{m['rerun'] / demo['rerun']:>8.2f}" if demo else f"{'-':>8}"
        lx = f"{m['load'] / demo['load']:>8.2f}" if demo else f"{'-':>8}"
        print(f"{name:<22}{m['rerun']:>8.0f}ms{rx}{m['load']:>11.2f}s{lx}{m['deltas']:>10.0f}"
              f"{m['bytes'] / 1024:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
