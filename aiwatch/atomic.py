"""Replace a file atomically: write beside it, check, ``os.replace``, put the old one back on failure.

Three writers use this one helper: the store build (the DuckDB file), the market snapshot
(``data/market/prices.csv``) and the admin's upload and rollback (``data/<table>.csv``).

``replacing(target, write)`` is a context manager:

1. ``write(partial)`` writes the new version into a *partial file* beside the target (same
   folder, so ``os.replace`` is a rename on one file system, atomic on POSIX);
2. ``check(partial)``, when given, inspects it; raising stops here, the target untouched;
3. the old target is kept as a hard link (a copy where links are not possible), the partial
   file is fsynced and renamed over the target, and the folder is fsynced;
4. the ``with`` body runs (e.g. the build that must succeed for the new file to stand); if
   it raises, the kept old file (the very same bytes and modification time) is put back, or
   the target removed when there was none, and the exception propagates;
5. in every case the partial file, its side files (DuckDB's ``.wal``) and the kept copy are
   removed.

Partial files are named ``.<target name>.<pid>.tmp`` (the kept copy ``.<name>.<pid>.bak``,
side files add their suffix, e.g. ``.aiwatch.duckdb.4242.tmp.wal``), so the process that
owns one can be told from its name. A process killed with ``kill -9`` cannot clean up: its
partial files stay until ``sweep(folder)`` (run by every build, under the build lock)
removes every partial file whose owner process is gone (process ids are of this machine; an
id reused by a living process keeps its files until that one ends too). A kill between step 3 and the end
of step 4 leaves the new file in place (the next build uses it); the kept copy is a hard
link to the old bytes and is swept like the rest.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# .<name>.<pid>.<kind>[<side suffix>]: kind tmp (the new version) or bak (the kept old one)
PARTIAL_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d{1,10})\.(?P<kind>tmp|bak)(?P<side>\.[A-Za-z0-9]+)?$")


def partial_path(target: Path, kind: str = "tmp", pid: int | None = None) -> Path:
    """The partial file of ``target`` owned by process ``pid`` (default: this one)."""
    return target.with_name(f".{target.name}.{os.getpid() if pid is None else pid}.{kind}")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (another user's counts too)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _keep(src: Path, dst: Path) -> None:
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@contextlib.contextmanager
def replacing(target: Path, write: Callable[[Path], T], check: Callable[[Path], None] | None = None,
              sidecars: Sequence[str] = (), restore: bool = True) -> Iterator[T]:
    """Swap a new version of ``target`` in; yield ``write``'s result; restore the old on failure.

    ``sidecars``: suffixes of files the writer may leave beside the partial file (``".wal"``),
    removed at the end. ``restore=False``: the body's failure does not put the old file back
    (nothing is kept; for a target that is only ever replaced whole, like the store).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp, bak = partial_path(target, "tmp"), partial_path(target, "bak")
    side_files = [Path(str(tmp) + s) for s in sidecars]
    for p in (tmp, bak, *side_files):
        p.unlink(missing_ok=True)
    had_old = restore and target.exists()
    try:
        result = write(tmp)
        if check is not None:
            check(tmp)
        _fsync_file(tmp)
        if had_old:
            _keep(target, bak)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        try:
            yield result
        except BaseException:
            if restore:
                if had_old:
                    os.replace(bak, target)
                else:
                    target.unlink(missing_ok=True)
                _fsync_dir(target.parent)
            raise
    finally:
        for p in (tmp, bak, *side_files):
            p.unlink(missing_ok=True)


def text_writer(text: str) -> Callable[[Path], None]:
    """A ``write`` for ``replacing``: the text, UTF-8, line endings as given."""
    def write(path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return write


def sweep(folder: Path) -> list[Path]:
    """Remove the partial files in ``folder`` whose owner process is gone; return them.

    Files of living processes (including this one) are left alone: they may be mid-write.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except FileNotFoundError:
        return removed
    me = os.getpid()
    for p in entries:
        m = PARTIAL_RE.match(p.name)
        if not m:
            continue
        pid = int(m.group("pid"))
        if pid == me or pid_alive(pid):
            continue
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            removed.append(p)
    return removed
