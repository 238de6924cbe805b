"""The command line: python -m aiwatch COMMAND [options].

Commands
  check           validate data/ and report every problem; writes nothing
  build           validate data/, build a new store, check it, swap it in
  refresh         fetch missing daily prices from Yahoo Finance (yfinance), merge, rebuild
  import-prices   import daily price CSV files (Yahoo, yfinance, Alpaca, plain), merge, rebuild
  brief           write the investor brief (PDF) as of a date
  serve           the production server: the dashboard with public settings + the scheduled refresh
  event-study     abnormal returns around each milestone (market model), with tests; reads the store

Examples
  python -m aiwatch check
  python -m aiwatch build
  AIWATCH_DATA_DIR=/tmp/mydata python -m aiwatch build --db /tmp/aiwatch.duckdb
  python -m aiwatch refresh --tickers MSFT QQQ
  python -m aiwatch import-prices downloads/MSFT.csv downloads/QQQ.csv
  python -m aiwatch brief --as-of 2025-03-07 -o brief.pdf
  python -m aiwatch serve --port 8080 --refresh-at 18:30
  python -m aiwatch event-study --benchmark QQQ --format csv

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
from .load import ValidationFailed, load_all, source_warnings
from .store import build, check

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


class _BadDate(ValueError):
    pass


def _date_option(name: str, value: str | None, default=None):
    """An option given as YYYY-MM-DD (``default`` when absent); _BadDate names it otherwise."""
    from datetime import date

    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        _err(f"error: {name} {value!r} is not a date as YYYY-MM-DD")
        raise _BadDate(name) from None


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
    _warn_sources(frames, cfg)
    rows = sum(len(df) for df in frames.values())
    print(f"ok: {len(frames)} tables, {rows} rows in {cfg.data_dir} are valid")
    return EXIT_OK


def _warn_sources(frames, cfg) -> None:
    """One ``warning:`` line per row whose source is a third-party copy (not an error)."""
    for w in source_warnings(frames, cfg.data_dir.name):
        _err(f"warning: {w}")


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
    _warn_sources(load_all(cfg.data_dir)[0], cfg)  # the data just built, read once more
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


def cmd_refresh(args, cfg) -> int:
    """Fetch the missing daily prices from Yahoo Finance, merge them, rebuild the store.

    Example: python -m aiwatch refresh --tickers MSFT QQQ

    Tickers default to every row of data/ticker.csv. Per ticker the days after the last
    stored day are asked for, plus the 5 sessions before it (the evidence that a history was
    re-adjusted; at least 3 agreeing days are needed to rescale it); a ticker with no stored
    prices starts at --start. Bars of a New York session that has not closed yet are left
    out; a new bar that would move the adjusted close more than 50% in a day is refused with
    a warning. Exit 0: every ticker fetched; 1:
    none (the reason on one line: offline, rate-limited, unknown ticker; nothing changed);
    3: some, naming the failed tickers. The running app never calls the network.
    """

    from . import market

    try:
        start = _date_option("--start", args.start)
    except _BadDate:
        return EXIT_USAGE
    result = market.refresh(cfg, tickers=args.tickers, start=start)
    for n in result.notes:
        _err(f"note: {n}")
    for w in result.warnings:
        _err(f"warning: {w}")
    if result.exit_code == EXIT_FAIL:
        _err(f"error: {result.message}")
    else:
        print(result.message)
    return result.exit_code


def cmd_import_prices(args, cfg) -> int:
    """Import daily price CSV files into data/market/prices.csv and rebuild the store.

    Example: python -m aiwatch import-prices downloads/MSFT.csv downloads/QQQ.csv

    Layouts are detected from the header: Yahoo (Date,Open,High,Low,Close,Adj Close,Volume),
    yfinance to_csv (Date,Close,High,Low,Open,Volume; its Close is already adjusted),
    Alpaca bars (Date with time zone,symbol,...,Trades,VWAP), plain (date,open,high,low,
    close,volume). The ticker comes from a symbol column, --ticker, or the file name.
    All files or none: any problem (each named with file and line) changes nothing.
    Importing the same file again changes nothing.
    """
    from . import market

    try:
        result = market.import_prices(cfg, args.files, ticker=args.ticker, progress=print)
    except ValidationFailed as e:
        _report_problems(e)
        return EXIT_FAIL
    except Exception as e:  # I/O or DuckDB trouble: one clear line
        _err(f"error: import failed: {type(e).__name__}: {e}. Nothing was changed.")
        return EXIT_FAIL
    for w in result.warnings:
        _err(f"warning: {w}")
    tickers = ", ".join(f"{t} +{c.new}" for t, c in result.merge.per_ticker.items())
    if result.build is None:
        print(f"ok: {result.merge.summary()} ({tickers}); nothing changed, the store was not rebuilt")
    else:
        print(f"ok: {result.merge.summary()} ({tickers}); store rebuilt in {result.build.seconds:.2f}s "
              f"({result.build.counts.get('price', 0)} price rows in all)")
    return EXIT_OK


def cmd_brief(args, cfg) -> int:
    """Write the investor brief: one or two A4 pages of PDF, as of a date.

    Example: python -m aiwatch brief --as-of 2025-03-07 -o brief.pdf

    The thesis, the scorecard (status, rule, reading, inputs with dates, sources), the key
    figures (the KPI cards of the Overview in data/page_section.csv) with their change, charts of them, the latest milestones,
    and a footer with the dashboard's shared link of the same view (--url: the dashboard's
    address, default http://localhost:8501). Without --as-of: the latest data.
    """

    from . import brief, store

    try:
        as_of = _date_option("--as-of", args.as_of)
    except _BadDate:
        return EXIT_USAGE
    try:
        store.ensure_built(cfg)
    except ValidationFailed as e:
        if not store.usable(cfg):
            _report_problems(e)
            return EXIT_FAIL
        _err(f"warning: data/ has {len(e.problems)} problem(s); the brief uses the last good build")
    try:
        pdf = brief.make_brief(as_of, brief.share_link(args.url, as_of), cfg)
    except brief.BriefError as e:
        _err(f"error: {e}")
        return EXIT_FAIL
    try:
        with open(args.output, "wb") as f:
            f.write(pdf)
    except OSError as e:
        _err(f"error: cannot write {args.output}: {e.strerror}")
        return EXIT_FAIL
    print(f"wrote {args.output} ({len(pdf) / 1024:.0f} KiB, "
          f"{'as of ' + as_of.isoformat() if as_of else 'latest data'})")
    return EXIT_OK


def _brief_args(p) -> None:
    p.add_argument("--as-of", metavar="DATE", help="only what had been published by this day (YYYY-MM-DD)")
    p.add_argument("-o", "--output", metavar="FILE", default="brief.pdf", help="PDF to write (default: brief.pdf)")
    p.add_argument("--url", default="http://localhost:8501",
                   help="the dashboard's address, for the shared link in the footer")
def cmd_serve(args, cfg) -> int:
    """Serve the dashboard to the public and keep its prices current (the production entry point).

    Example: python -m aiwatch serve --address 127.0.0.1 --port 8501 --refresh-at 18:00

    Runs the Streamlit server headless, without usage statistics, with XSRF protection, no
    developer menu, no tracebacks shown to readers, and uploads capped at the Data page's limit.
    Beside it, in this process (never in a page run), a refresh fetches the missing daily prices
    Monday to Friday at --refresh-at (New York time; default $AIWATCH_REFRESH_AT or 18:00, after
    the 16:00 close) and swaps in the rebuilt store; readers see it on their next rerun. On the
    first start with no prices stored, it fetches them at once, in the background, while the
    pages already serve. Every start, fetch and stop is written to the refresh log.
    For several replicas: --no-refresh on each, and one --refresh-only. `make run` is the
    developer's command (watches the code, shows full error details); use serve for readers.
    Stops on SIGTERM or Ctrl-C.
    """
    from .serve import schedule, server

    raw_at = args.refresh_at or cfg.refresh_at
    at = None
    if not (args.no_refresh or raw_at.strip().lower() == "off"):
        try:
            at = schedule.parse_time(raw_at)
        except ValueError as e:
            _err(f"error: --refresh-at: {e}")
            return EXIT_USAGE
    port = args.port or cfg.port
    if not port.isdigit() or not 0 < int(port) < 65536:
        _err(f"error: --port {port!r} is not a port number (1-65535)")
        return EXIT_USAGE
    if args.refresh_only and args.no_refresh:
        _err("error: --refresh-only and --no-refresh together would do nothing")
        return EXIT_USAGE
    opts = server.Options(address=args.address or cfg.address, port=int(port), refresh_at=at,
                          first_fetch=not args.no_refresh, pages=not args.refresh_only)
    return server.run(cfg, opts)


def _serve_args(p) -> None:
    p.add_argument("--address", help="address to listen on (default: $AIWATCH_ADDRESS or 0.0.0.0)")
    p.add_argument("--port", help="port to listen on (default: $AIWATCH_PORT or 8501)")
    p.add_argument("--refresh-at", metavar="HH:MM",
                   help="daily price refresh, New York time, Monday to Friday "
                        "(default: $AIWATCH_REFRESH_AT or 18:00; 'off' = none)")
    p.add_argument("--no-refresh", action="store_true",
                   help="no scheduled refresh and no first-start fetch (replicas behind a refresher)")
    p.add_argument("--refresh-only", action="store_true",
                   help="only the refresher, no pages (the one refresher beside several replicas)")


def _refresh_args(p) -> None:
    p.add_argument("--tickers", nargs="+", metavar="T", help="tickers to fetch (default: data/ticker.csv)")
    p.add_argument("--start", metavar="DATE",
                   help="first day for tickers with no stored prices (default: $AIWATCH_MARKET_START)")


def _import_args(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="price CSV files")
    p.add_argument("--ticker", metavar="T", help="ticker for files without a symbol column")


def cmd_event_study(args, cfg) -> int:
    """Print the event study: each day-precision milestone's cumulative abnormal returns, with tests.

    Example: python -m aiwatch event-study --benchmark QQQ --model market --format csv

    One row per (milestone, window) for the windows -1,+1  0,+1  0,+5  -5,+5 (trading days around
    day 0), with the columns milestone_id, milestone_date, day0, window, model, benchmark, car_pct,
    t_stat, p_value, alpha, beta, r2, sigma_pct, n_est, confounders. Market model: OLS of the
    subject's daily return on the benchmark's over trading days [-250, -11] (at least 120 returns);
    market-adjusted: subject minus benchmark. t = CAR / (sigma * sqrt(L)), p two-sided (Student's t).
    confounders names earnings releases within trading days [-1, +1] of day 0 and other milestones
    whose day 0 lies in the window. The aggregates (CAAR with its cross-sectional t, the BMP test;
    per watch indicator, category and over all events; with and without confounded events) follow
    in the table format; in csv, --aggregates prints them instead of the events. The subject is the
    ticker with role subject in data/ticker.csv; the benchmark defaults to the first index ticker
    listed there. Reads the store only (run build or import-prices first). Exit 0: printed; 1: no
    store or no prices; 2: an unknown option value (model, benchmark, date).
    """
    from datetime import date

    from . import events, export, queries, store

    try:
        as_of = _date_option("--as-of", args.as_of, date(9999, 12, 31))
    except _BadDate:
        return EXIT_USAGE
    if store.store_identity(cfg) is None or not store.usable(cfg):
        _err(f"error: no usable store at {cfg.db}. Run `python -m aiwatch build` (or import-prices) first.")
        return EXIT_FAIL
    con = store.open_readonly(cfg)
    try:
        def run(name, **params):
            return queries.run(con, name, **params)

        tickers = run("market_tickers", as_of=as_of)
        subjects = tickers.loc[tickers["role"] == "subject", "ticker"].tolist()
        if not subjects:
            _err("error: data/ticker.csv names no ticker with role 'subject'.")
            return EXIT_FAIL
        subject = subjects[0]
        others = tickers[tickers["ticker"] != subject]
        benchmark = args.benchmark or events.default_benchmark(tickers)
        if args.benchmark and benchmark not in set(others["ticker"]):
            _err(f"error: --benchmark {benchmark!r} is not another ticker of data/ticker.csv "
                 f"(one of: {', '.join(others['ticker'])})")
            return EXIT_USAGE
        priced = set(tickers.loc[tickers["trading_days"] > 0, "ticker"])
        missing = [t for t in (subject, benchmark) if t and t not in priced]
        if benchmark is None or missing:
            what = ", ".join(missing) or "any ticker besides the subject"
            _err(f"error: no prices are stored for {what}. Run `python -m aiwatch import-prices FILE` or "
                 "`python -m aiwatch refresh`.")
            return EXIT_FAIL
        inputs = events.load_inputs(run, subject, benchmark, as_of)
    finally:
        con.close()
    table = events.study(inputs, args.model, benchmark)
    without = table[table["car_pct"].isna()].drop_duplicates("milestone_id")
    for note, rows in without.groupby("note", sort=False):
        if note != events.INCOMPLETE:
            _err(f"note: {len(rows)} milestone(s) have no statistics ({note}): {', '.join(rows['milestone_id'])}")
    if args.format == "csv":
        frame = events.aggregates(table) if args.aggregates else _rounded(table[events.EVENT_COLUMNS])
        sys.stdout.write(export.to_safe_csv(_rounded(frame), verbatim=("window",)).decode("utf-8"))
        return EXIT_OK
    shown = _rounded(table[events.EVENT_COLUMNS]).astype(object)
    shown.loc[table["car_pct"].isna(), "car_pct"] = table["note"]
    print(f"Event study: {subject} against {benchmark}, {args.model} model, as of "
          f"{'the latest prices' if as_of.year == 9999 else as_of}")
    print(shown.fillna("").to_string(index=False))
    print()
    print("Aggregates (caar_t: cross-sectional t; bmp_t: standardized test; sample: all or unconfounded events)")
    print(_rounded(events.aggregates(table)).astype(object).fillna("").to_string(index=False))
    return EXIT_OK


# Digits written per column: enough to reproduce the figures (CAR to 0.0001 pp, alpha per day).
ROUNDING = {"car_pct": 4, "t_stat": 4, "p_value": 6, "alpha": 8, "beta": 4, "r2": 4, "sigma_pct": 4,
            "caar_pct": 4, "caar_t": 4, "caar_p": 6, "bmp_t": 4, "bmp_p": 6}


def _rounded(df):
    return df.round({c: d for c, d in ROUNDING.items() if c in df.columns})


def _event_study_args(p) -> None:
    from .events import MODELS

    p.add_argument("--model", choices=MODELS, default=MODELS[0],
                   help="market (OLS on the benchmark, the default) or market-adjusted (subject minus benchmark)")
    p.add_argument("--benchmark", metavar="T", help="benchmark ticker (default: the first index in data/ticker.csv)")
    p.add_argument("--as-of", metavar="DATE", help="use only milestones and prices known on this day (YYYY-MM-DD)")
    p.add_argument("--format", choices=("table", "csv"), default="table", help="table (default) or csv")
    p.add_argument("--aggregates", action="store_true",
                   help="in the csv format: print the aggregates instead of the per-event rows")


COMMANDS = {"check": cmd_check, "build": cmd_build, "refresh": cmd_refresh,
            "import-prices": cmd_import_prices, "brief": cmd_brief, "serve": cmd_serve,
            "event-study": cmd_event_study}
EXTRA_ARGS: dict[str, tuple] = {"refresh": (_refresh_args,), "import-prices": (_import_args,),
                                "brief": (_brief_args,), "serve": (_serve_args,),
                                "event-study": (_event_study_args,)}


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
