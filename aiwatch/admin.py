"""The Data page's work, without Streamlit: table summaries for everyone, and the admin's
write actions (upload a CSV, roll back to a kept version, refresh market prices).

Every write action takes the session's admin token and checks it here, in constant time,
against the configured one (``AIWATCH_ADMIN_TOKEN``, or ``admin_token`` in Streamlit's
secrets, merged into the Config by ``ui.admin_config``). With no token configured, write
actions are off. So a page that forgot to hide a control still cannot write anything.

A change goes through two steps, the same for an upload and a rollback:

1. ``prepare_upload`` / ``prepare_rollback`` -> ``ChangePlan``: the file is decoded
   (UTF-8 with or without BOM, LF or CRLF, size cap), validated together with the other
   tables on a temporary copy of data/ (every problem with file, line and column), and
   compared with the current file, row by row on the table's key: rows added, changed
   (one row per changed cell, before and after) and removed. Nothing is written.
2. ``apply``: under the build lock, the current file is kept as
   ``data/history/<table>/<UTC timestamp>.csv``, the new one is written atomically, and
   the store is rebuilt. If the build fails, the previous file (same bytes, same
   modification time) is put back and the history entry removed: data/ and the store are
   exactly as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import importlib
import math
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from . import atomic, store
from .config import Config
from .load import TABLES, Problem, TableSpec, load_all, parse_table

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # the curated files are tens of kB; 2 MiB leaves room
HISTORY_DIR = store.HISTORY_DIR     # under data/: kept versions, one folder per table
VERSION_RE = re.compile(r"^\d{8}T\d{12}Z(-\d{1,3})?$")  # 20250301T120000123456Z[-1]
# Store tables that are bookkeeping, not data: left out of the Data page's table list.
INTERNAL_TABLES = ("build_info", "refresh_log", store.FINGERPRINT_TABLE)
INTERNAL_PREFIXES = ("prev_",)  # the previous build's facts, kept for "what changed"


# --- who may write ----------------------------------------------------------------------------

class NotAuthorized(PermissionError):
    """The caller is not an admin (or write actions are off)."""


class Conflict(RuntimeError):
    """The file changed between the preview and the apply."""


class Unavailable(RuntimeError):
    """A write action this installation does not offer (e.g. no market module)."""


def write_actions_enabled(cfg: Config) -> bool:
    """Whether an admin token is configured at all; without one nobody can write."""
    return bool(cfg.admin_token)


def is_admin(cfg: Config, token: str | None) -> bool:
    """Whether ``token`` is the configured admin token (constant-time comparison)."""
    if not cfg.admin_token or not token:
        return False
    return hmac.compare_digest(token.encode("utf-8"), cfg.admin_token.encode("utf-8"))


def require_admin(cfg: Config, token: str | None) -> None:
    if not write_actions_enabled(cfg):
        raise NotAuthorized("write actions are off: no admin token is configured "
                            "(set AIWATCH_ADMIN_TOKEN, or admin_token in .streamlit/secrets.toml)")
    if not is_admin(cfg, token):
        raise NotAuthorized("not allowed: this session has not entered the admin token")


# --- reading an upload ------------------------------------------------------------------------

def decode_upload(data: bytes, label: str) -> tuple[str | None, list[Problem]]:
    """The uploaded bytes as text with LF line endings, or the reason they are refused."""
    if len(data) > MAX_UPLOAD_BYTES:
        return None, [Problem(label, None, None, None,
                              f"too big: {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,} bytes")]
    if not data.strip():
        return None, [Problem(label, 1, None, None, "empty: the file has no header row")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return None, [Problem(label, line, None, None,
                              f"not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                              "save the file as CSV UTF-8 (a BOM is fine)")]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [Problem(label, line, None, None, "a text file: it contains NUL characters")]
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        return None, [Problem(label, line, None, None,
                              "a file with LF or CRLF line endings (found a lone carriage return)")]
    if not text.endswith("\n"):
        text += "\n"
    return text, []


# --- the change a new file makes --------------------------------------------------------------

@dataclass
class ChangePlan:
    """What replacing data/<table>.csv with ``text`` would do. Built by ``prepare_*``."""

    table: str
    action: str                 # upload | rollback
    origin: str                 # where the new content comes from, for the log
    text: str | None            # the new file (LF line endings); None when unreadable
    base_sha256: str | None     # the current file's hash (None: no file yet)
    problems: list[Problem] = field(default_factory=list)
    added: pd.DataFrame = field(default_factory=pd.DataFrame)
    changed: pd.DataFrame = field(default_factory=pd.DataFrame)
    removed: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows_before: int = 0
    rows_after: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.text is not None

    @property
    def changed_rows(self) -> int:
        if self.changed.empty:
            return 0
        return len(self.changed.drop_duplicates(list(TABLES[self.table].key)))

    @property
    def has_changes(self) -> bool:
        return bool(len(self.added) or len(self.changed) or len(self.removed))

    def summary(self) -> str:
        return (f"{len(self.added)} row(s) added, {self.changed_rows} changed, "
                f"{len(self.removed)} removed")


def _spec(table: str) -> TableSpec:
    if table not in TABLES:
        raise ValueError(f"not a curated table: {table!r} (one of {', '.join(TABLES)})")
    return TABLES[table]


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def prepare_upload(cfg: Config, token: str | None, table: str, data: bytes,
                   filename: str = "") -> ChangePlan:
    """Validate an uploaded CSV for ``table`` against the rest of data/ and compute the change."""
    require_admin(cfg, token)
    name = re.sub(r"[^A-Za-z0-9._ -]", "_", filename)[:60].strip() or _spec(table).file_name
    return _prepare(cfg, table, data, "upload", f"upload of {name}")


def _prepare(cfg: Config, table: str, data: bytes, action: str, origin: str) -> ChangePlan:
    spec = _spec(table)
    label = f"the new {spec.file_name}"
    live = cfg.data_dir / spec.file_name
    current = live.read_bytes() if live.exists() else None
    plan = ChangePlan(table, action, origin, None, _sha(current))
    text, problems = decode_upload(data, label)
    if text is None:
        plan.problems = problems
        return plan
    plan.text = text
    frames, problems = _validate_with(cfg, spec, text)
    own = f"{cfg.data_dir.name}/{spec.file_name}"
    plan.problems = [replace(p, file=label) if p.file == own else p for p in problems]
    if plan.problems:
        return plan
    before = _current_frame(current, spec)
    after = frames[table]
    plan.rows_before, plan.rows_after = len(before), len(after)
    plan.added, plan.changed, plan.removed = diff(before, after, spec)
    return plan


def _validate_with(cfg: Config, spec: TableSpec, text: str):
    """load_all on a temporary copy of data/ in which the table's file is the new one, so the
    cross-table checks (segment sums, known KPI ids, duplicate keys ...) see the result."""
    with tempfile.TemporaryDirectory(prefix="aiwatch-upload-") as tmp:
        copy = Path(tmp) / cfg.data_dir.name  # same folder name: problems read "data/kpi.csv"
        copy.mkdir()
        for other in TABLES.values():
            src = cfg.data_dir / other.file_name
            if other.name != spec.name and src.exists():
                shutil.copyfile(src, copy / other.file_name)
        (copy / spec.file_name).write_text(text, encoding="utf-8")
        return load_all(copy)


def _current_frame(current: bytes | None, spec: TableSpec) -> pd.DataFrame:
    if current is None:
        return pd.DataFrame(columns=["_line", *spec.column_names])
    df, _ = parse_table(current.decode("utf-8-sig"), spec, spec.file_name)
    return df


def _norm(v):
    """One comparable, hashable form per cell value (NaN, NaT and None are all 'no value')."""
    if v is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        if pd.isna(v):
            return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def cell_text(v) -> str:
    """A cell as text for the before/after columns (mixed types do not fit one column)."""
    v = _norm(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, float):
        return f"{v:.10g}" if math.isfinite(v) else str(v)
    return str(v)


def diff(before: pd.DataFrame, after: pd.DataFrame, spec: TableSpec
         ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Rows added, cells changed and rows removed between two versions of a table.

    Rows are matched on the table's key (``load.TABLES[...].key``). ``changed`` has one row
    per changed cell: the key columns, then ``column``, ``before`` and ``after`` as text.
    Row order follows the files (new file for added and changed, old file for removed).
    """
    key, cols = list(spec.key), spec.column_names
    others = [c for c in cols if c not in key]

    def index(df: pd.DataFrame) -> dict[tuple, dict]:
        rows: dict[tuple, dict] = {}
        for rec in df[cols].to_dict("records"):
            rows.setdefault(tuple(_norm(rec[k]) for k in key), rec)
        return rows

    old, new = index(before), index(after)
    added = [rec for k, rec in new.items() if k not in old]
    removed = [rec for k, rec in old.items() if k not in new]
    changed = []
    for k, rec in new.items():
        if k not in old:
            continue
        for c in others:
            if _norm(old[k][c]) != _norm(rec[c]):
                changed.append({**{kc: rec[kc] for kc in key}, "column": c,
                                "before": cell_text(old[k][c]), "after": cell_text(rec[c])})
    return (pd.DataFrame(added, columns=cols), pd.DataFrame(changed, columns=[*key, "column", "before", "after"]),
            pd.DataFrame(removed, columns=cols))


# --- applying a change ------------------------------------------------------------------------

@dataclass
class ApplyResult:
    table: str
    action: str
    kept_as: Path | None        # the previous version, under data/history/ (None: no file before)
    build: store.BuildResult
    message: str


def apply(cfg: Config, token: str | None, plan: ChangePlan) -> ApplyResult:
    """Write the planned file into data/, keep the previous version, rebuild the store.

    All or nothing: on any failure (the build finds a problem, the disk is full, ...) the
    previous file is put back, the history entry removed, the live store left as it was,
    and the exception propagates. Raises ``Conflict`` when the file changed since the plan
    was made (another admin, or the analyst editing data/ by hand).
    """
    require_admin(cfg, token)
    spec = _spec(plan.table)
    if not plan.ok:
        raise ValueError(f"{spec.file_name} has {len(plan.problems)} problem(s); nothing was changed")
    live = cfg.data_dir / spec.file_name
    with store.build_lock(cfg):
        current = live.read_bytes() if live.exists() else None
        if _sha(current) != plan.base_sha256:
            raise Conflict(f"{cfg.data_dir.name}/{spec.file_name} changed since your preview (another admin "
                           "applied a change, or the file was edited); nothing was changed. Look again: "
                           "the preview now compares your file with the current one.")
        kept, made_dirs = None, []
        try:
            if current is not None:
                kept, made_dirs = _keep_version(cfg, spec.name, live)
            # the new file is swapped in; a failing build puts the previous one back (same bytes, mtime)
            with atomic.replacing(live, atomic.text_writer(plan.text)):
                built = store.build(cfg, action="build")
        except BaseException as e:
            if kept is not None:
                kept.unlink(missing_ok=True)
            for d in reversed(made_dirs):
                with contextlib.suppress(OSError):
                    d.rmdir()
            store.log_event(cfg, plan.action, "failed",
                            f"{spec.file_name} ({plan.origin}): {type(e).__name__}: {_first_line(e)}; "
                            f"{cfg.data_dir.name}/{spec.file_name} and the store were left as they were")
            raise
    where = f"; previous version kept as {kept.relative_to(cfg.data_dir)}" if kept else ""
    message = f"{spec.file_name} ({plan.origin}): {plan.summary()}{where}"
    store.log_event(cfg, plan.action, "ok", message)
    return ApplyResult(spec.name, plan.action, kept, built, message)


def _first_line(e: BaseException) -> str:
    problems = getattr(e, "problems", None)
    if problems:
        return f"{len(problems)} problem(s); first: {problems[0]}"
    return (str(e).splitlines() or [""])[0]


def _keep_version(cfg: Config, table: str, live: Path) -> tuple[Path, list[Path]]:
    """Copy the live file to data/history/<table>/<UTC timestamp>.csv (mtime kept)."""
    folder = cfg.data_dir / HISTORY_DIR / table
    made = [d for d in (folder.parent, folder) if not d.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    stamp = store.now_utc().strftime("%Y%m%dT%H%M%S%fZ")
    path, n = folder / f"{stamp}.csv", 0
    while path.exists():
        n += 1
        path = folder / f"{stamp}-{n}.csv"
    shutil.copy2(live, path)
    return path, made


# --- history and rollback ---------------------------------------------------------------------

@dataclass(frozen=True)
class Version:
    """A kept version of a table's file."""

    table: str
    version: str
    path: Path
    saved_at: datetime  # when it was replaced (UTC)
    size: int


def list_history(cfg: Config, table: str | None = None) -> list[Version]:
    """Kept versions, newest first (of one table, or of all)."""
    root = cfg.data_dir / HISTORY_DIR
    out = []
    for name in ([table] if table else list(TABLES)):
        _spec(name)
        folder = root / name
        if not folder.is_dir():
            continue
        for p in folder.glob("*.csv"):
            if VERSION_RE.match(p.stem):
                saved = datetime.strptime(p.stem[:22], "%Y%m%dT%H%M%S%fZ")
                out.append(Version(name, p.stem, p, saved, p.stat().st_size))
    return sorted(out, key=lambda v: (v.saved_at, v.version), reverse=True)


def prepare_rollback(cfg: Config, token: str | None, table: str, version: str) -> ChangePlan:
    """The change that putting a kept version back would make (validated like an upload)."""
    require_admin(cfg, token)
    _spec(table)
    if not VERSION_RE.match(version or ""):
        raise ValueError(f"not a kept version: {version!r}")
    path = cfg.data_dir / HISTORY_DIR / table / f"{version}.csv"
    if not path.is_file():
        raise ValueError(f"no kept version {version} of {table}")
    return _prepare(cfg, table, path.read_bytes(), "rollback", f"rollback to the version replaced {version}")


# --- market prices ----------------------------------------------------------------------------

ProgressFn = Callable[[int, int, str, str], None]  # done, total, ticker, status


def _market():
    try:
        module = importlib.import_module(f"{__package__}.market")
    except ImportError:
        return None
    return module if callable(getattr(module, "refresh", None)) else None


def market_refresh_available() -> bool:
    return _market() is not None


class _Progress:
    """The market module's progress protocol (update per ticker, finish) as a callback."""

    def __init__(self, total: int, on_progress: ProgressFn):
        self.total, self.done, self.on_progress = total, 0, on_progress

    def update(self, ticker: str, status: str) -> None:
        self.done += 1
        self.on_progress(self.done, max(self.total, self.done), ticker, status)

    def finish(self) -> None:
        pass


def refresh_market(cfg: Config, token: str | None, on_progress: ProgressFn, downloader=None):
    """Fetch missing daily prices for every listed ticker and rebuild (aiwatch.market.refresh).

    Returns the market module's result (``exit_code``, ``message``, ``failed`` tickers ...).
    """
    require_admin(cfg, token)
    market = _market()
    if market is None:
        raise Unavailable("market refresh is not available: this installation has no "
                          "aiwatch.market.refresh")
    total = 0
    listed = getattr(market, "known_tickers", None)
    if listed is not None:
        with contextlib.suppress(Exception):
            df, _ = listed(cfg)
            total = 0 if df is None else len(df)
    kwargs = {"progress": _Progress(total, on_progress)}
    if downloader is not None:
        kwargs["downloader"] = downloader
    return market.refresh(cfg, **kwargs)


# --- read-only: the table list for everyone ----------------------------------------------------

PERIOD_COLUMNS = ("period_end", "date", "observed_at")   # the first one a table has
PUBLISHED_COLUMNS = ("reported_at", "release_date")
SOURCE_COLUMNS = ("source_url", "source")


def shown_tables(store_tables: list[str]) -> list[str]:
    """The store's data tables, curated ones first (in load.TABLES order), bookkeeping left out."""
    data = [t for t in store_tables
            if t not in INTERNAL_TABLES and not t.startswith(INTERNAL_PREFIXES)]
    return [t for t in TABLES if t in data] + sorted(t for t in data if t not in TABLES)


def table_summary(name: str, df: pd.DataFrame) -> dict:
    """Rows, latest period, latest publication date and distinct sources of one table."""
    def latest(columns):
        for c in columns:
            if c in df.columns:
                v = pd.to_datetime(df[c], errors="coerce").max()
                return None if pd.isna(v) else v.date()
        return None

    sources = next((df[c].nunique() for c in SOURCE_COLUMNS if c in df.columns), None)
    return {"table": name, "rows": len(df), "latest_period": latest(PERIOD_COLUMNS),
            "latest_reported_at": latest(PUBLISHED_COLUMNS), "sources": sources}
