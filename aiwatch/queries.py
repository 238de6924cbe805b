"""Run the questions in queries/*.sql with bound, named parameters.

Each file starts with a comment naming its grain and its ``$params``; values are
always bound (``$name``), never pasted into SQL text. A missing or unexpected
parameter fails loudly.
"""

from __future__ import annotations

import functools
import re

import duckdb
import pandas as pd

from .config import ROOT

QUERY_DIR = ROOT / "queries"
PARAMS_RE = re.compile(r"Params:\s*(.*)$", re.IGNORECASE | re.MULTILINE)
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class QueryError(Exception):
    pass


@functools.cache
def load(name: str) -> tuple[str, tuple[str, ...]]:
    """Return (sql, declared parameter names) for ``queries/<name>.sql``."""
    if not NAME_RE.match(name):
        raise QueryError(f"not a query name: {name!r}")
    path = QUERY_DIR / f"{name}.sql"
    if not path.exists():
        raise QueryError(f"no query file {path.relative_to(ROOT)}")
    sql = path.read_text(encoding="utf-8")
    header = sql.split("\n", 3)[:3]
    m = PARAMS_RE.search("\n".join(header))
    declared: tuple[str, ...] = ()
    if m and m.group(1).strip().lower() not in ("none", "-", ""):
        declared = tuple(p.strip().lstrip("$") for p in m.group(1).split(",") if p.strip())
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
    if used != set(declared):
        raise QueryError(f"{path.name}: header declares {sorted(declared)} but the SQL uses "
                         f"{sorted(used)}")
    return sql, declared


def names() -> list[str]:
    """Every query file's name, sorted."""
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run ``queries/<name>.sql`` with exactly its declared parameters; return a DataFrame."""
    sql, declared = load(name)
    missing = [p for p in declared if p not in params]
    extra = [p for p in params if p not in declared]
    if missing or extra:
        raise QueryError(f"{name}.sql takes {list(declared)}; missing {missing}, unexpected {extra}")
    bound = {p: params[p] for p in declared}
    return con.execute(sql, bound or None).df()
