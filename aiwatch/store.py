"""Build the DuckDB store from data/ and open it read-only.

DuckDB allows one writer or many readers across processes, never both. So the
live file is never written in place: a build writes a new file beside it, checks
it, and ``os.replace``s it over the live one (atomic on POSIX). Readers that
still hold the old file keep reading it; new connections see the new one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import atomic
from .config import Config
from .load import TABLES, Problem, ValidationFailed, load_all

SCHEMA = Path(__file__).with_name("schema.sql")
HISTORY_DIR = "history"  # under data/: kept versions of the curated files (admin), never read by a build
PRICE_SNAPSHOT = "prices.csv"
PRICE_COLUMNS = {
    "ticker": "VARCHAR", "date": "DATE", "open": "DOUBLE", "high": "DOUBLE", "low": "DOUBLE",
    "close": "DOUBLE", "adj_close": "DOUBLE", "volume": "DOUBLE", "source": "VARCHAR",
    "fetched_at": "TIMESTAMP",
}

Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """A ``Progress`` that says nothing."""


@dataclass
class BuildResult:
    path: Path
    counts: dict[str, int]
    built_at: datetime
    seconds: float
    notes: list[str] = field(default_factory=list)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- the refresh log (kept outside the store, so it survives every rebuild) ----------------

def log_event(cfg: Config, action: str, outcome: str, detail: str) -> None:
    """Append one line to the refresh log: what ran, when, and how it ended."""
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    entry = {"at": now_utc().isoformat(timespec="seconds"), "action": action,
             "outcome": outcome, "detail": detail}
    with open(cfg.refresh_log, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def read_log(cfg: Config) -> pd.DataFrame:
    """The refresh log as a DataFrame, newest first (unreadable lines are skipped)."""
    rows = []
    if cfg.refresh_log.exists():
        for line in cfg.refresh_log.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, KeyError):
                e = json.loads(line)
                rows.append({"at": pd.Timestamp(e["at"]), "action": str(e["action"]),
                             "outcome": str(e["outcome"]), "detail": str(e["detail"])})
    rows.reverse()  # the file is in time order; the newest entry comes first
    return pd.DataFrame(rows, columns=["at", "action", "outcome", "detail"])


# --- locking ----------------------------------------------------------------------------------

_held_locks = threading.local()  # the build locks this thread holds (re-entrant, see below)


@contextlib.contextmanager
def build_lock(cfg: Config):
    """Serialise builds (CLI, app, admin upload) on this machine.

    Re-entrant within a thread: an admin upload holds the lock across "put the new CSV in
    data/, build, put the old one back if the build fails" and calls ``build`` inside it, so
    no other build ever sees the intermediate data/. Other threads and processes wait.
    """
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    path = str((cfg.state_dir / "build.lock").resolve())
    held: set[str] = _held_locks.__dict__.setdefault("paths", set())
    if path in held:
        yield
        return
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        held.add(path)
        try:
            yield
        finally:
            held.discard(path)
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- build --------------------------------------------------------------------------------------

def check(cfg: Config) -> dict[str, pd.DataFrame]:
    """Validate data/ without writing anything. Raises ValidationFailed."""
    frames, problems = load_all(cfg.data_dir)
    problems += _check_price_snapshot(cfg)
    if problems:
        raise ValidationFailed(problems)
    return frames


def _check_price_snapshot(cfg: Config) -> list[Problem]:
    path = cfg.market_dir / PRICE_SNAPSHOT
    if not path.exists():
        return []
    con = duckdb.connect()
    try:
        read_prices(con, path)
    except duckdb.Error as e:
        return [Problem(f"{cfg.data_dir.name}/market/{PRICE_SNAPSHOT}", None, None, None,
                        f"a valid price snapshot ({str(e).splitlines()[0]})")]
    finally:
        con.close()
    return []


def read_prices(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    """The price snapshot CSV as a relation with the snapshot's fixed column types."""
    return con.read_csv(str(path), header=True, columns=PRICE_COLUMNS, auto_detect=False)


def build(cfg: Config, progress: Progress = quiet, action: str = "build") -> BuildResult:
    """Validate data/, build a fresh store beside the live one, check it, swap it in.

    On any failure the live store is untouched and ``ValidationFailed`` (bad data)
    or another exception (I/O, DuckDB) propagates; the failure is logged.
    """
    if not cfg.db_is_local:
        raise RuntimeError(f"build writes a local DuckDB file; {cfg.db!r} is remote. Build locally "
                           "and upload the file (see README, Scale path).")
    t0 = time.perf_counter()
    with build_lock(cfg):
        fingerprint = data_fingerprint(cfg)
        try:
            result = _build_locked(cfg, progress, action, fingerprint)
        except ValidationFailed as e:
            log_event(cfg, action, "failed", f"{len(e.problems)} problem(s); first: {e.problems[0]}")
            _remember_failure(cfg, fingerprint, e)
            raise
        except Exception as e:
            log_event(cfg, action, "failed", f"{type(e).__name__}: {e}")
            _remember_failure(cfg, fingerprint, e)
            raise
        _forget_failure(cfg)
    result.seconds = time.perf_counter() - t0
    return result


def _build_locked(cfg: Config, progress: Progress, action: str, fingerprint: str) -> BuildResult:
    sweep_partials(cfg)
    progress(f"[1/4] validating {cfg.data_dir}")
    frames = check(cfg)
    live = cfg.db_path
    built_at = now_utc()
    counts: dict[str, int] = {}

    def write(tmp: Path) -> None:
        progress(f"[2/4] loading tables into {tmp.name}")
        counts.update(_write_store(cfg, tmp, frames, built_at, action, fingerprint))

    def verify(tmp: Path) -> None:
        progress("[3/4] checking the new store")
        _verify_store(tmp, counts)
        progress(f"[4/4] swapping it in as {live}")

    # restore=False: the store is only ever replaced whole; nothing runs after the swap
    with atomic.replacing(live, write, check=verify, sidecars=(".wal",), restore=False):
        pass
    detail = ", ".join(f"{k} {v}" for k, v in counts.items())
    log_event(cfg, action, "ok", detail)
    return BuildResult(path=live, counts=counts, built_at=built_at, seconds=0.0)


def sweep_partials(cfg: Config) -> list[Path]:
    """Remove partial files (``atomic``) left by killed builds, refreshes and uploads.

    Called by every build under the build lock: beside the store, in the state folder, in
    data/ (uploads) and in data/market/ (the price snapshot). Only files whose owner process is gone are removed.
    """
    removed = []
    for folder in dict.fromkeys((cfg.db_path.parent, cfg.state_dir, cfg.data_dir, cfg.market_dir)):
        removed += atomic.sweep(folder)
    return removed


def _write_store(cfg: Config, path: Path, frames: dict[str, pd.DataFrame], built_at: datetime,
                 action: str, fingerprint: str) -> dict[str, int]:
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA.read_text())
        counts: dict[str, int] = {}
        # parents before children (foreign keys)
        for name, spec in TABLES.items():
            df = frames[name][spec.column_names]
            if not df.empty:
                con.register("incoming", df)
                cols = ", ".join(f'"{c}"' for c in spec.column_names)
                con.execute(f"insert into {name} ({cols}) select {cols} from incoming")
                con.unregister("incoming")
            counts[name] = len(df)
        snapshot = cfg.market_dir / PRICE_SNAPSHOT
        if snapshot.exists():
            read_prices(con, snapshot).insert_into("price")
        counts["price"] = con.execute("select count(*) from price").fetchall()[0][0]
        log = read_log(cfg)
        log = pd.concat([pd.DataFrame([{"at": pd.Timestamp(built_at), "action": action,
                                        "outcome": "ok", "detail": "this build"}]), log])
        con.register("incoming", log)
        con.execute('insert into refresh_log select "at", action, outcome, detail from incoming')
        con.unregister("incoming")
        latest = con.execute(
            "select max(d) from (select max(reported_at) d from segment_revenue "
            "union all select max(reported_at) from kpi)").fetchall()[0][0]
        con.execute("insert into build_info values ($at, $dir, $latest)",
                    {"at": built_at, "dir": str(cfg.data_dir), "latest": latest})
        # what this store was built from (see data_fingerprint); bookkeeping, like build_info
        con.execute(f"create table {FINGERPRINT_TABLE} (fingerprint varchar not null)")
        con.execute(f"insert into {FINGERPRINT_TABLE} values ($fp)", {"fp": fingerprint})
        _keep_previous_facts(con, cfg.db_path)
        con.execute("checkpoint")
    finally:
        con.close()
    return counts


# Facts whose additions, changes and removals the Overview lists ("what changed since the
# previous build"); prices are left out on purpose: they change every trading day.
PREVIOUS_FACT_TABLES = ("segment_revenue", "kpi", "milestone", "leaderboard")


def _keep_previous_facts(con: duckdb.DuckDBPyConnection, live: Path) -> None:
    """Copy the facts of the store this build replaces into prev_* tables of the new store.

    Runs inside the build, before the swap, so it is all-or-nothing like the rest. The live
    file is attached read-only (never written); a missing store means a first build, and a
    store that cannot be read (corrupt, or from an older schema) is recorded as such rather
    than reported as if every fact were new.
    """
    if not live.exists():
        con.execute("insert into prev_build values (null, 'first')")
        return
    path = str(live).replace("'", "''")
    try:
        con.execute(f"attach '{path}' as previous (read_only)")
    except duckdb.Error:
        con.execute("insert into prev_build values (null, 'unreadable')")
        return
    try:
        built_at = con.execute("select max(built_at) from previous.build_info").fetchall()[0][0]
        for name in PREVIOUS_FACT_TABLES:
            _copy_previous(con, name)
        con.execute("insert into prev_build values ($at, 'ok')", {"at": built_at})
    except duckdb.Error:
        for name in PREVIOUS_FACT_TABLES:
            con.execute(f"delete from prev_{name}")
        con.execute("insert into prev_build values (null, 'unreadable')")
    finally:
        con.execute("detach previous")


def _copy_previous(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Copy previous.<name> into prev_<name>.

    A column this schema added since the previous store was built (e.g. source_kind) is taken
    from this build's row with the same key: the old store did not record it, so it is not
    reported as a change of every fact. Its key columns must exist, else the copy fails and
    the previous store counts as unreadable.
    """
    spec = TABLES[name]
    old = {r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = 'previous' "
        "and schema_name = 'main' and table_name = $t", {"t": name}).fetchall()}
    kept = [c for c in spec.column_names if c in old]
    cols = ", ".join(f'"{c}"' for c in kept)
    con.execute(f"insert into prev_{name} ({cols}) select {cols} from previous.{name}")
    added = [c for c in spec.column_names if c not in old]
    if added:
        sets = ", ".join(f'"{c}" = cur."{c}"' for c in added)
        on = " and ".join(f'p."{k}" = cur."{k}"' for k in spec.key)
        con.execute(f"update prev_{name} as p set {sets} from {name} as cur where {on}")


def _verify_store(path: Path, counts: dict[str, int]) -> None:
    """Reopen the new file read-only and check every table holds what we loaded."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        for name, n in counts.items():
            got = con.execute(f"select count(*) from {name}").fetchall()[0][0]
            if got != n:
                raise RuntimeError(f"store check failed: {name} has {got} rows, expected {n}")
    finally:
        con.close()


# --- reading ------------------------------------------------------------------------------------

def store_identity(cfg: Config) -> tuple[int, int] | None:
    """(inode, mtime) of the live store, or None when it is missing. Changes on every swap."""
    try:
        st = os.stat(cfg.db_path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def open_readonly(cfg: Config) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the live store (never blocks a build's swap).

    A local file is ATTACHed to a fresh in-memory database rather than opened with
    ``duckdb.connect(path)``: DuckDB keeps one database instance per path for as long as any
    connection to it lives, so after a swap ``connect(path)`` would hand back the *old*
    file while an earlier connection (say the app's cached one) is still open. ATTACH opens
    the file that is live now; a connection opened before the swap keeps reading the
    replaced file until it is closed. The attached store becomes the only database, so
    ``cursor()``s of this connection see it too.
    """
    if not cfg.db_is_local:
        return duckdb.connect(cfg.db, read_only=True)
    con = duckdb.connect(":memory:")
    try:
        con.execute("attach $path as store (read_only)", {"path": str(cfg.db_path)})
        con.execute("use store")
        con.execute("detach memory")
    except BaseException:
        con.close()
        raise
    return con


# --- staleness: a fingerprint of data/, not modification times ---------------------------------

FINGERPRINT_TABLE = "data_fingerprint"  # one row: the fingerprint of what the store was built from
FAILED_BUILD = "build_failed.json"      # under state_dir: the fingerprint whose build failed, and why

_content_hashes: dict[str, tuple[tuple[int, int, int, int], str]] = {}  # path -> (stat key, sha256)


def _content_hash(path: Path) -> str:
    """sha256 of a file's bytes, re-read only when its size, mtime, ctime or inode change."""
    st = path.stat()
    key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    known = _content_hashes.get(str(path))
    if known is not None and known[0] == key:
        return known[1]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    _content_hashes[str(path)] = (key, h.hexdigest())
    return h.hexdigest()


def data_files(cfg: Config) -> list[Path]:
    """What a build reads: every CSV under data/ (kept versions under history/ excluded)."""
    files = [p for p in cfg.data_dir.rglob("*.csv")
             if HISTORY_DIR not in p.relative_to(cfg.data_dir).parts and p.is_file()]
    return sorted(files)


def data_fingerprint(cfg: Config) -> str:
    """sha256 over the names, sizes and content hashes of what a build reads (data/ and the schema).

    A file's time stamps play no part: touching a file, or a clock in the future, changes
    nothing; editing a byte does. Content hashes are remembered per file while its stat is
    unchanged, so asking on every page view costs a few ``stat`` calls.
    """
    h = hashlib.sha256()
    entries = [(p.relative_to(cfg.data_dir).as_posix(), p) for p in data_files(cfg)]
    entries.append(("<schema.sql>", SCHEMA))
    for name, path in entries:
        try:
            size, digest = path.stat().st_size, _content_hash(path)
        except FileNotFoundError:  # removed while we looked: part of the next fingerprint
            continue
        h.update(f"{name}\0{size}\0{digest}\n".encode())
    return h.hexdigest()


_store_fingerprints: dict[str, tuple[tuple[int, int], str | None]] = {}  # db -> (identity, fingerprint)


def store_fingerprint(cfg: Config) -> str | None:
    """The fingerprint the live store was built from (None: missing, unreadable, or older code)."""
    ident = store_identity(cfg)
    if ident is None:
        return None
    known = _store_fingerprints.get(cfg.db)
    if known is not None and known[0] == ident:
        return known[1]
    fingerprint = None
    try:
        con = open_readonly(cfg)
        try:
            fingerprint = con.execute(f"select max(fingerprint) from {FINGERPRINT_TABLE}").fetchall()[0][0]
        finally:
            con.close()
    except duckdb.Error:
        fingerprint = None
    _store_fingerprints[cfg.db] = (ident, fingerprint)
    return fingerprint


def _remember_failure(cfg: Config, fingerprint: str, error: BaseException) -> None:
    entry = {"fingerprint": fingerprint, "at": now_utc().isoformat(timespec="seconds"),
             "kind": type(error).__name__}
    if isinstance(error, ValidationFailed):
        entry["problems"] = [dataclasses.asdict(p) for p in error.problems]
    else:
        entry["message"] = f"{type(error).__name__}: {error}"
    with contextlib.suppress(OSError):  # remembering is an optimisation; never mask the failure
        atomic_path = cfg.state_dir / FAILED_BUILD
        with atomic.replacing(atomic_path, atomic.text_writer(json.dumps(entry)), restore=False):
            pass


def _forget_failure(cfg: Config) -> None:
    with contextlib.suppress(OSError):
        (cfg.state_dir / FAILED_BUILD).unlink(missing_ok=True)


class BuildFailed(RuntimeError):
    """A remembered build failure (not data problems) for data/ as it is now."""


def build_failure(cfg: Config) -> dict | None:
    """The remembered failed build, when data/ is still exactly what it failed on; else None.

    Keys: ``fingerprint``, ``at`` (UTC, ISO), ``kind``, and ``problems`` (validation) or
    ``message`` (anything else).
    """
    try:
        entry = json.loads((cfg.state_dir / FAILED_BUILD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("fingerprint") != data_fingerprint(cfg):
        return None
    return entry


def _failure_error(entry: dict) -> Exception:
    if "problems" in entry:
        with contextlib.suppress(TypeError, KeyError):
            return ValidationFailed([Problem(**p) for p in entry["problems"]])
    return BuildFailed(f"{entry.get('message', 'the last build failed')} (at {entry.get('at')} UTC; "
                       "not retried until data/ changes, or run `python -m aiwatch build`)")


def needs_build(cfg: Config) -> bool:
    """True when the store is missing, unreadable, or built from other data than data/ holds now.

    "Other data" is decided by ``data_fingerprint`` (names, sizes, content), never by
    modification times.
    """
    if not cfg.db_is_local:
        return False
    if store_identity(cfg) is None:
        return True
    if store_fingerprint(cfg) != data_fingerprint(cfg):
        return True
    return not _verified_readable(cfg)


_readable_identities: dict[str, tuple[int, int]] = {}  # store path -> identity found readable


def _verified_readable(cfg: Config) -> bool:
    """Whether the live file opens as a store; checked once per file identity, then remembered
    (callers ask on every page run; a corrupt or truncated file must not slip through)."""
    ident = store_identity(cfg)
    if ident is None:
        return False
    if _readable_identities.get(cfg.db) == ident:
        return True
    if not _readable(cfg) or not _complete(cfg):
        return False
    _readable_identities[cfg.db] = ident
    return True


def usable(cfg: Config) -> bool:
    """Whether the live store can serve pages: present, opens, not truncated (remote: assumed)."""
    return not cfg.db_is_local or _verified_readable(cfg)


def _complete(cfg: Config) -> bool:
    """False when the file is shorter than the blocks its header promises (a truncated copy
    still opens, and fails only on the first query that reads a missing block)."""
    try:
        con = open_readonly(cfg)
        try:
            blocks, block_size = con.execute(
                "select total_blocks, block_size from pragma_database_size()").fetchall()[0]
        finally:
            con.close()
    except duckdb.Error:
        return False
    return cfg.db_path.stat().st_size >= blocks * block_size


def ensure_built(cfg: Config, progress: Progress = quiet) -> BuildResult | None:
    """Build when needed (missing, stale, or corrupt store); otherwise do nothing.

    A build that failed is not tried again (nor logged again) until data/ changes: the
    remembered failure is raised instead (``ValidationFailed`` with its problems, or
    ``BuildFailed``). ``build`` itself, as the CLI runs it, always tries.
    """
    if not needs_build(cfg) and _readable(cfg):
        return None
    with build_lock(cfg):
        pass  # wait for a build that another process may be running
    if not needs_build(cfg) and _readable(cfg):
        return None
    failure = build_failure(cfg)
    if failure is not None:
        raise _failure_error(failure)
    return build(cfg, progress, action="auto-build")


def _readable(cfg: Config) -> bool:
    if not cfg.db_is_local:
        return True
    try:
        con = open_readonly(cfg)
        con.execute("select count(*) from build_info").fetchall()
        con.close()
        return True
    except duckdb.Error:
        return False
