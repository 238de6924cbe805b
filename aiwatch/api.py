"""Read-only HTTP routes served beside the pages (Streamlit's ``st.App``, Starlette underneath).

Every route answers GET and HEAD only; there is no write endpoint for anyone.

  GET /api/v1/tables                     the tables: row counts, columns, their URLs
  GET /api/v1/tables/{table}.csv|.json   a table's rows, each with its source
  GET /api/v1/scorecard.json             one entry per watch indicator: status, rules, inputs, sources
  GET /api/v1/event-study.csv            the per-event rows of the event study
  GET /api/v1/charts/{token}.svg|.png    a chart a page drew, as an image (aiwatch/chart_images.py)
  GET /feed.atom                         what was published and what changed (aiwatch/feed.py)

Every route takes ``as_of=YYYY-MM-DD`` with the pages' meaning (only what had been published
by then) and the filters that make sense for it. URL values never reach SQL text: they are
validated here, then bound as parameters of a query file; table names come from the allow-list
``TABLES``. Bad input is a 400 naming the parameter and what was expected, an unknown path a 404,
another method a 405; responses carry an ETag and Cache-Control derived from the store's build.

No Streamlit here: ``server.py`` (the entry ``streamlit run`` serves) mounts ``routes()``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime

import duckdb
import pandas as pd

from . import queries, store
from .config import Config, load_config
from .export import to_safe_csv
from .load import ValidationFailed

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
LATEST = date(9999, 12, 31)      # no as-of date: everything (as on the pages)
AS_OF_MIN = date(2015, 1, 1)     # the pages' as-of control allows 2015-01-01 .. today
EARLIEST = date(1, 1, 1)
METHODS = ("GET", "HEAD")
MAX_VALUE_CHARS = 200
MAX_LIST_VALUES = 50
CACHE_CONTROL = "public, max-age=60"  # short: a rebuild changes the data; the ETag revalidates cheaply
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
TICKER_RE = re.compile(r"^[A-Za-z0-9.^=\-]{1,20}$")
TABLE_PATH_RE = re.compile(r"^([a-z_]{1,40})\.(csv|json)$")


# --- errors ------------------------------------------------------------------------------------

class ApiError(Exception):
    """An answer other than 200: status, and a JSON body saying what was wrong."""

    def __init__(self, status: int, message: str, parameter: str | None = None,
                 value: str | None = None, expected: str | None = None):
        super().__init__(message)
        self.status, self.message = status, message
        self.parameter, self.value, self.expected = parameter, value, expected

    def body(self) -> dict:
        err: dict = {"status": self.status, "message": self.message}
        if self.parameter is not None:
            err["parameter"] = self.parameter
        if self.value is not None:
            err["value"] = self.value if len(self.value) <= 80 else self.value[:79] + "…"
        if self.expected is not None:
            err["expected"] = self.expected
        return {"error": err}


def bad_param(name: str, value: str | None, expected: str) -> ApiError:
    shown = "" if value is None else f" {value[:40]!r}"
    return ApiError(400, f"parameter {name}{shown}: expected {expected}", name, value, expected)


# --- parameters --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """One URL parameter: how it is checked and which query parameter it becomes."""

    name: str            # in the URL
    target: str          # the query file's $param
    kind: str            # date | as_of | id_list | ticker_list | ticker
    help: str
    default: object = None
    known: str | None = None   # kind in export_filter_values.sql whose values it must be one of


PARAMS: dict[str, Param] = {p.name: p for p in (
    Param("as_of", "as_of", "as_of", "only what had been published by this day (YYYY-MM-DD)", LATEST),
    Param("start", "start", "date", "first day of the period (YYYY-MM-DD)", EARLIEST),
    Param("end", "end", "date", "last day of the period (YYYY-MM-DD)", LATEST),
    Param("kpi_id", "kpi_ids", "id_list", "KPI ids, comma-separated (see kpi_catalog)", (), "kpi_id"),
    Param("indicator", "indicators", "id_list", "watch indicator ids, comma-separated", (), "indicator"),
    Param("ticker", "tickers", "ticker_list", "tickers, comma-separated", (), "ticker"),
    Param("benchmark", "benchmark", "ticker", "the ticker the subject is compared with", None, "ticker"),
)}


@dataclass(frozen=True)
class Table:
    """A table the API serves: the query file that answers it and the URL filters it takes."""

    query: str
    filters: tuple[str, ...]
    dated: bool = True                 # as_of restricts it (catalog tables are not dated)
    description: str = ""


# The allow-list: only these names reach a query, and each through its own query file.
TABLES: dict[str, Table] = {
    "segment_revenue": Table("export_segment_revenue", ("start", "end"),
                             description="revenue per segment and fiscal quarter (USD m), by reported_at"),
    "kpi": Table("export_kpi", ("kpi_id", "indicator", "start", "end"),
                 description="every published KPI figure, by reported_at"),
    "milestone": Table("export_milestone", ("indicator", "start", "end"),
                       description="dated milestones, known once their period has passed"),
    "leaderboard": Table("export_leaderboard", ("start", "end"),
                         description="model standings on public leaderboards, by observed_at"),
    "earnings_release": Table("export_earnings_release", ("start", "end"),
                              description="earnings releases, by release_date"),
    "price": Table("export_price", ("ticker", "start", "end"),
                   description="daily prices per ticker (adjusted and as traded), by trading day"),
    "kpi_catalog": Table("export_kpi_catalog", ("kpi_id", "indicator"), dated=False,
                         description="what each KPI id means: label, unit, indicator"),
    "indicator": Table("export_indicator", ("indicator",), dated=False,
                       description="the watch indicators and their questions"),
    "ticker": Table("export_ticker", ("ticker",), dated=False,
                    description="the tickers followed and their roles"),
}
SCORECARD_FILTERS = ("indicator",)
EVENT_STUDY_FILTERS = ("indicator", "benchmark", "start", "end")


def parse(raw: list[tuple[str, str]], allowed: tuple[str, ...],
          known: Callable[[str], set[str]] | None = None) -> dict:
    """Validate the URL's parameters against the ones an endpoint takes.

    Returns the query parameters (defaults filled in). Raises ApiError(400) naming the first
    parameter that is unknown, repeated, too long, malformed or not a value the store holds.
    ``known(kind)`` gives the values a filter may take (kpi_id, indicator, ticker).
    """
    allowed = ("as_of",) + tuple(a for a in allowed if a != "as_of")
    seen: dict[str, str] = {}
    for name, value in raw:
        if name not in allowed:
            raise bad_param(name[:40], None, "no such parameter here; this endpoint takes "
                            + ", ".join(allowed))
        if name in seen:
            raise bad_param(name, value, "the parameter once (for several values, separate "
                                         "them by commas)" if PARAMS[name].kind.endswith("list")
                            else "the parameter once")
        if len(value) > MAX_VALUE_CHARS:
            raise bad_param(name, value, f"at most {MAX_VALUE_CHARS} characters")
        seen[name] = value
    out: dict = {}
    for name in allowed:
        p = PARAMS[name]
        if name not in seen:
            out[p.target] = list(p.default) if isinstance(p.default, tuple) else p.default
            continue
        out[p.target] = _value(p, seen[name], known)
    if "start" in out and "end" in out and out["start"] > out["end"]:
        raise bad_param("end", seen.get("end", ""), f"a day on or after start ({out['start']})")
    return out


def _date(p: Param, value: str) -> date:
    try:
        if not DATE_RE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise bad_param(p.name, value, "a date as YYYY-MM-DD") from None


def _value(p: Param, value: str, known: Callable[[str], set[str]] | None):
    if p.kind == "as_of":
        d = _date(p, value)
        today = date.today()
        if not AS_OF_MIN <= d <= today:
            raise bad_param(p.name, value, f"a date from {AS_OF_MIN} to today ({today}), as on the pages")
        return d
    if p.kind == "date":
        return _date(p, value)
    items = [v.strip() for v in value.split(",")] if p.kind.endswith("list") else [value.strip()]
    if not items or any(not v for v in items):
        raise bad_param(p.name, value, "one or more values separated by commas, none empty")
    if len(items) > MAX_LIST_VALUES:
        raise bad_param(p.name, value, f"at most {MAX_LIST_VALUES} values")
    pattern, what = (TICKER_RE, "a ticker (letters, digits, . ^ = -)") if "ticker" in p.kind else \
        (ID_RE, "an id of lower-case letters, digits and _")
    if "ticker" in p.kind:
        items = [v.upper() for v in items]
    for v in items:
        if not pattern.match(v):
            raise bad_param(p.name, v, what)
    if known is not None and p.known:
        valid = known(p.known)
        for v in items:
            if v not in valid:
                raise bad_param(p.name, v, f"a {p.known} the store holds ({len(valid)} known; "
                                           f"see {PREFIX}/tables)")
    items = list(dict.fromkeys(items))
    return items if p.kind.endswith("list") else items[0]


# --- the store ---------------------------------------------------------------------------------

@dataclass
class _Open:
    identity: tuple[int, int] | None = None
    con: duckdb.DuckDBPyConnection | None = None
    retired: duckdb.DuckDBPyConnection | None = None
    build_id: str = ""
    built_at: datetime | None = None
    known: dict[str, set[str]] = field(default_factory=dict)


_lock = threading.Lock()
_open: dict[str, _Open] = {}


@dataclass(frozen=True)
class Snapshot:
    """A cursor on the live store and the build it belongs to (close the cursor when done)."""

    cursor: duckdb.DuckDBPyConnection
    build_id: str
    built_at: datetime
    known: Mapping[str, set[str]]
    db: str = ""


def snapshot(cfg: Config | None = None) -> Snapshot:
    """A cursor on the live store, reopened when a build swapped in a new file.

    A missing store is built first (as the pages do); when that is impossible the answer
    is a 503 that says what to run.
    """
    cfg = cfg or load_config()
    if not store.usable(cfg):
        try:
            store.ensure_built(cfg)
        except ValidationFailed as e:
            raise ApiError(503, f"no store: data/ has {len(e.problems)} problem(s); run "
                                "`python -m aiwatch check`") from None
        except Exception as e:  # noqa: BLE001 - reported as a 503, details in the log
            log.exception("building the store for the API failed")
            raise ApiError(503, f"no store could be built ({type(e).__name__}); run "
                                "`python -m aiwatch build`") from None
    ident = store.store_identity(cfg)
    with _lock:
        cur = _open.setdefault(cfg.db, _Open())
        if cur.con is None or cur.identity != ident:
            con = store.open_readonly(cfg)
            info = queries.run(con, "data_as_of")
            built_at = pd.Timestamp(info["built_at"].iloc[0]).to_pydatetime()
            values = queries.run(con, "export_filter_values")
            if cur.retired is not None:   # two swaps ago: no request still reads it
                cur.retired.close()
            # the replaced connection stays open: a request may still be reading through a cursor
            cur.retired = cur.con
            cur.identity, cur.con, cur.built_at = ident, con, built_at
            cur.build_id = built_at.isoformat()
            cur.known = {k: set(g["value"]) for k, g in values.groupby("kind")}
        return Snapshot(cur.con.cursor(), cur.build_id, cur.built_at, cur.known, cfg.db)


@dataclass(frozen=True)
class Result:
    """Rows of one query and their column types (DATE, TIMESTAMP, DOUBLE, ...)."""

    frame: pd.DataFrame
    types: dict[str, str]


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> Result:
    """Run a query file and keep its column types (dates are written as dates, not times)."""
    df = queries.run(con, name, **params)
    types = {d[0]: str(d[1]) for d in (con.description or [])}
    return Result(df, types)


def plain(result: Result) -> pd.DataFrame:
    """Rows with ISO dates (YYYY-MM-DD; timestamps YYYY-MM-DDTHH:MM:SS) and None for missing."""
    df = result.frame.copy()
    for col in df.columns:
        typ = result.types.get(col, "")
        if typ == "DATE":
            df[col] = [None if pd.isna(v) else pd.Timestamp(v).date().isoformat() for v in df[col]]
        elif typ.startswith("TIMESTAMP") or pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in df[col]]
    return df.astype(object).where(df.notna(), None)


def _scalar(v):
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def to_json(obj) -> bytes:
    """Strict JSON (NaN is an error, never written), UTF-8."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, default=_scalar).encode("utf-8")


def records(result: Result) -> list[dict]:
    df = plain(result)
    return [{k: (None if isinstance(v, float) and v != v else _scalar(v) if hasattr(v, "item") else v)
             for k, v in row.items()} for row in df.to_dict(orient="records")]


# --- what each endpoint returns (plain functions: the tests call them, the routes wrap them) ---

def table_rows(con, table: str, params: dict) -> Result:
    """A table's rows as the API serves them (``params`` from ``parse``)."""
    spec = TABLES[table]
    declared = queries.load(spec.query)[1]
    return run(con, spec.query, **{k: v for k, v in params.items() if k in declared})


def tables_index(con, params: dict, base: str) -> list[dict]:
    """One entry per table: rows (as of the date asked), columns and types, its URLs."""
    out = []
    for name, spec in TABLES.items():
        res = table_rows(con, name, {**_defaults(spec.filters), "as_of": params["as_of"]})
        out.append({
            "table": name,
            "description": spec.description,
            "rows": len(res.frame),
            "as_of_applies": spec.dated,
            "filters": ["as_of", *spec.filters],
            "columns": [{"name": c, "type": res.types.get(c, "")} for c in res.frame.columns],
            "csv": f"{base}{PREFIX}/tables/{name}.csv",
            "json": f"{base}{PREFIX}/tables/{name}.json",
        })
    return out


def _defaults(names: tuple[str, ...]) -> dict:
    return parse([], names)


def scorecard(con, params: dict) -> list[dict]:
    """One entry per watch indicator: its status and every rule with value, inputs and sources."""
    res = run(con, "scorecard_rules", as_of=params["as_of"])
    rows = records(res)
    wanted = set(params.get("indicators") or [])
    out: dict[str, dict] = {}
    for r in rows:
        if wanted and r["indicator"] not in wanted:
            continue
        entry = out.setdefault(r["indicator"], {
            "indicator": r["indicator"], "name": r["indicator_name"], "question": r["question"],
            "status": r["indicator_status"], "rules": []})
        inputs = [{"input": r[f"input_{s}"], "published": r[f"input_{s}_date"],
                   "source_url": r[f"input_{s}_source"]}
                  for s in ("a", "b") if r[f"input_{s}"] is not None]
        entry["rules"].append({
            "rule_id": r["rule_id"], "title": r["title"], "status": r["status"],
            "metric": r["metric"], "subject": r["subject"], "versus": r["versus"],
            "value": r["value"], "value_text": r["value_text"], "reason": r["reason"],
            "rule": r["rule_text"], "on_track_threshold": r["on_track_threshold"],
            "lagging_threshold": r["lagging_threshold"], "comparison": r["comparison"],
            "explanation": r["explanation"], "inputs": inputs,
            "sources": sorted({i["source_url"] for i in inputs if i["source_url"]}),
        })
    return list(out.values())


def event_study_rows(con, params: dict) -> Result:
    """The per-event rows of the event study (aiwatch/events.py, market model, as the CLI and the
    Market page compute them): one row per (milestone, window).

    Subject: the ticker whose role is ``subject``; benchmark: ``benchmark=`` or the default one
    (the first index ticker of data/ticker.csv); ``indicator=`` narrows the milestones;
    ``start`` / ``end`` bound the milestone's date.
    """
    from . import events

    def q(name, **p):
        return queries.run(con, name, **p)

    tickers = q("market_tickers", as_of=params["as_of"])
    subjects = tickers.loc[tickers["role"] == "subject", "ticker"].tolist()
    benchmark = params.get("benchmark") or events.default_benchmark(tickers) or ""
    columns = [*events.EVENT_COLUMNS, "indicator", "title", "source_url", "note"]
    if not subjects or not benchmark:
        return Result(pd.DataFrame(columns=columns), {})
    table = events.study(events.load_inputs(q, subjects[0], benchmark, params["as_of"]), "market", benchmark)
    df = table[columns]
    keep = pd.Series(True, index=df.index)
    if params.get("indicators"):
        keep &= df["indicator"].isin(params["indicators"])
    dates = pd.to_datetime(df["milestone_date"])
    if params["start"] > EARLIEST:
        keep &= dates >= pd.Timestamp(params["start"])
    if params["end"] < LATEST:
        keep &= dates <= pd.Timestamp(params["end"])
    return Result(df[keep].reset_index(drop=True), {"milestone_date": "DATE", "day0": "DATE"})


# --- HTTP ----------------------------------------------------------------------------------------

def _etag(build_id: str, request) -> str:
    key = "\n".join([build_id, request.url.path, str(sorted(request.query_params.multi_items()))])
    return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _headers(snap: Snapshot, request) -> dict[str, str]:
    return {
        "ETag": _etag(snap.build_id, request),
        "Cache-Control": CACHE_CONTROL,
        "Last-Modified": format_datetime(_as_utc(snap.built_at), usegmt=True),
        "X-Store-Build": snap.build_id,
        "Access-Control-Allow-Origin": "*",   # read-only public data: notebooks in a browser may read it
        "X-Content-Type-Options": "nosniff",
    }


def _as_utc(dt: datetime) -> datetime:
    """The store's built_at is naive UTC (store.now_utc)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _error_response(e: ApiError):
    from starlette.responses import Response
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if e.status == 405:
        headers["Allow"] = ", ".join(METHODS)
    return Response(to_json(e.body()), status_code=e.status, media_type="application/json",
                    headers=headers)


def endpoint(produce: Callable) -> Callable:
    """Wrap ``produce(request, snapshot) -> (body bytes, media type)`` as a Starlette endpoint:
    GET/HEAD only, ETag / 304, errors as JSON, and never a traceback to the client."""
    from starlette.responses import Response

    def handle(request):
        try:
            _read_only(request)
            snap = snapshot()
            try:
                headers = _headers(snap, request)
                if request.headers.get("if-none-match") == headers["ETag"]:
                    return Response(status_code=304, headers=headers)
                body, media = produce(request, snap)
            finally:
                snap.cursor.close()
        except ApiError as e:
            return _error_response(e)
        except Exception:  # noqa: BLE001 - logged; the client gets a plain 500 without internals
            log.exception("API request failed: %s", request.url.path)
            return _error_response(ApiError(500, "internal error; the server log has the details"))
        return _answer(request, body, media, headers)

    return handle


def _read_only(request) -> None:
    if request.method not in METHODS:
        raise ApiError(405, f"{request.method} is not allowed: this API is read-only (GET and HEAD only)")


def _answer(request, body: bytes, media: str, headers: dict[str, str]):
    """The response: the body, or for HEAD only its length."""
    from starlette.responses import Response
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(b"", media_type=media, headers=headers)
    return Response(body, media_type=media, headers=headers)


def _base(request) -> str:
    return str(request.base_url).rstrip("/")


def _tables(request, snap):
    params = parse(request.query_params.multi_items(), ())
    return to_json(tables_index(snap.cursor, params, _base(request))), "application/json"


def _table(request, snap):
    m = TABLE_PATH_RE.match(request.path_params.get("name", ""))
    if not m or m.group(1) not in TABLES:
        raise ApiError(404, f"no such table; the tables are: {', '.join(TABLES)} "
                            f"(as {PREFIX}/tables/NAME.csv or .json)")
    table, fmt = m.groups()
    params = parse(request.query_params.multi_items(), TABLES[table].filters, snap.known.get)
    res = table_rows(snap.cursor, table, params)
    if fmt == "json":
        return to_json(records(res)), "application/json"
    return to_safe_csv(plain(res)), "text/csv; charset=utf-8"


def _scorecard(request, snap):
    params = parse(request.query_params.multi_items(), SCORECARD_FILTERS, snap.known.get)
    return to_json(scorecard(snap.cursor, params)), "application/json"


def _event_study(request, snap):
    params = parse(request.query_params.multi_items(), EVENT_STUDY_FILTERS, snap.known.get)
    # a window is written "-1,+1" as in the CLI: a label of fixed form, not a formula
    return (to_safe_csv(plain(event_study_rows(snap.cursor, params)), verbatim=("window",)),
            "text/csv; charset=utf-8")


_feeds: dict[tuple, bytes] = {}   # (build, params, address) -> the feed; a build changes the key
FEED_CACHE = 32


def _feed(request, snap):
    from . import feed
    params = parse(request.query_params.multi_items(), feed.FILTERS, snap.known.get)
    key = (snap.db, snap.build_id, repr(sorted(params.items())), _base(request), str(request.url))
    body = _feeds.get(key)
    if body is None:
        body = feed.atom(snap.cursor, params, _base(request), str(request.url))
        with _lock:
            while len(_feeds) >= FEED_CACHE:
                _feeds.pop(next(iter(_feeds)))
            _feeds[key] = body
    return body, feed.MEDIA_TYPE


CHART_PATH_RE = re.compile(r"^([A-Za-z0-9_-]{16,32})\.(svg|png)$")
CHART_MEDIA = {"svg": "image/svg+xml", "png": "image/png"}


def chart_image(name: str) -> tuple[bytes, str, str]:
    """``TOKEN.svg`` or ``TOKEN.png`` of a chart a page drew: (image, media type, file name)."""
    from . import chart_images

    m = CHART_PATH_RE.match(name)
    found = chart_images.held(m.group(1)) if m else None
    if found is None:
        raise ApiError(404, "no such chart: its link is from a page this server no longer holds; "
                            "reload the page and use the chart's link again")
    chart, stem = found
    fmt = m.group(2)
    spec = chart_images.as_file(chart)
    body = chart_images.svg(spec) if fmt == "svg" else chart_images.png(spec)
    return body, CHART_MEDIA[fmt], f"{stem}.{fmt}"


def _chart(request):
    """A chart's image: made when asked, never cached by a shared proxy (it is one reader's view)."""
    try:
        _read_only(request)
        body, media, filename = chart_image(request.path_params.get("name", ""))
    except ApiError as e:
        return _error_response(e)
    except Exception:  # noqa: BLE001 - logged; the client gets a plain 500 without internals
        log.exception("chart image failed: %s", request.url.path)
        return _error_response(ApiError(500, "internal error; the server log has the details"))
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
               "Content-Disposition": f'attachment; filename="{filename}"',
               # an SVG opened on its own runs no script and loads nothing
               "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    return _answer(request, body, media, headers)


def _not_found(request, snap):
    raise ApiError(404, f"no such API path; see {PREFIX}/tables")


def routes() -> list:
    """The Starlette routes to hand to ``st.App(..., routes=routes())``."""
    from starlette.routing import Route

    every = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]  # 405 comes from us, as JSON
    return [
        Route(f"{PREFIX}/tables", endpoint(_tables), methods=every),
        Route(f"{PREFIX}/tables/{{name}}", endpoint(_table), methods=every),
        Route(f"{PREFIX}/scorecard.json", endpoint(_scorecard), methods=every),
        Route(f"{PREFIX}/event-study.csv", endpoint(_event_study), methods=every),
        Route(f"{PREFIX}/charts/{{name}}", _chart, methods=every),
        Route("/feed.atom", endpoint(_feed), methods=every),
        Route("/api/{rest:path}", endpoint(_not_found), methods=every),
    ]
