"""The command line: python -m aiwatch COMMAND [options].

Commands
  check           validate data/ and report every problem; writes nothing
  build           validate data/, build a new store, check it, swap it in

Examples
  python -m aiwatch check
  python -m aiwatch build
  AIWATCH_DATA_DIR=/tmp/mydata python -m aiwatch build --db /tmp/aiwatch.duckdb

Exit codes
  0  success
  1  the data or the input has problems (each printed on its own line); nothing changed
  2  usage error (unknown command or option)
  3  partial success (refresh: some tickers failed; see the message)
"""

from __future__ import annotations

import argparse
import sys

from .config import load_config
from .load import ValidationFailed
from .store import build, check

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _report_problems(e: ValidationFailed) -> None:
    for p in e.problems:
        _err(f"error: {p}")
    _err(f"{len(e.problems)} problem(s); nothing was changed.")


def cmd_check(args, cfg) -> int:
    """Validate every CSV in the data folder; print every problem; write nothing.

    Example: python -m aiwatch check --data-dir data
    """
    try:
        frames = check(cfg)
    except ValidationFailed as e:
        _report_problems(e)
        return EXIT_FAIL
    rows = sum(len(df) for df in frames.values())
    print(f"ok: {len(frames)} tables, {rows} rows in {cfg.data_dir} are valid")
    return EXIT_OK


def cmd_build(args, cfg) -> int:
    """Validate the data folder, build a fresh store beside the live one, swap it in.

    Example: python -m aiwatch build
    On any problem the live store is left exactly as it was.
    """
    try:
        result = build(cfg, progress=print)
    except ValidationFailed as e:
        _report_problems(e)
        return EXIT_FAIL
    except Exception as e:  # I/O or DuckDB trouble: one clear line, details in the log
        _err(f"error: build failed: {type(e).__name__}: {e}. The live store was not changed.")
        return EXIT_FAIL
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    print(f"built {result.path} in {result.seconds:.2f}s ({counts})")
    return EXIT_OK


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aiwatch", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="data folder (default: $AIWATCH_DATA_DIR or ./data)")
    common.add_argument("--db", help="store location (default: $AIWATCH_DB or ./var/aiwatch.duckdb)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, fn in COMMANDS.items():
        doc = fn.__doc__ or ""
        p = sub.add_parser(name, parents=[common], help=doc.split("\n")[0], description=doc,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=fn)
        for extra in EXTRA_ARGS.get(name, ()):
            extra(p)
    return parser


COMMANDS = {"check": cmd_check, "build": cmd_build}
EXTRA_ARGS: dict[str, tuple] = {}


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    overrides = {k: v for k, v in (("data_dir", args.data_dir), ("db", args.db)) if v}
    cfg = load_config(**overrides)
    return args.func(args, cfg)


if __name__ == "__main__":
    sys.exit(main())
