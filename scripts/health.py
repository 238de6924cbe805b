"""Is a server up? `python scripts/health.py URL [--wait SECONDS]` (standard library only).

Asks URL/_stcore/health (Streamlit's health route; through nginx it reaches a replica) and
exits 0 when it answers 200 "ok", 1 otherwise. --wait retries until then. Used by the
Dockerfile's HEALTHCHECK and by deploy/local-cluster.sh (which CI runs).
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.request

# Straight to the server: an HTTP(S)_PROXY in the environment is for the outside world.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def healthy(url: str) -> bool:
    try:
        with _DIRECT.open(f"{url.rstrip('/')}/_stcore/health", timeout=3) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url", help="base URL, e.g. http://127.0.0.1:8501")
    p.add_argument("--wait", type=float, default=0, metavar="SECONDS", help="retry for this long")
    args = p.parse_args(argv)
    deadline = time.monotonic() + args.wait
    while not healthy(args.url):
        if time.monotonic() >= deadline:
            print(f"not healthy: {args.url}/_stcore/health", file=sys.stderr)
            return 1
        time.sleep(0.3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
