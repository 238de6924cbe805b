"""The house rules of DESIGN.md, checked: who may import what, where SQL may live."""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

UI_PACKAGE = "ui"  # aiwatch/ui/: the only part of the package that may import streamlit


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_package_never_imports_streamlit_but_ui():
    offenders = [p.name for p in (ROOT / "aiwatch").rglob("*.py")
                 if p.parent.name != UI_PACKAGE and any(m.split(".")[0] == "streamlit" for m in _imports(p))]
    assert offenders == []


def test_pages_hold_no_sql_and_no_network():
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text()
        mods = {m.split(".")[0] for m in _imports(page)}
        assert not mods & {"duckdb", "yfinance", "requests", "urllib", "sqlite3"}, page.name
        assert not re.search(r"\bselect\b[^\n]*\bfrom\b", text, re.IGNORECASE), page.name


def test_sql_lives_only_in_queries_and_schema():
    pattern = re.compile(r"[\"'][ \t]*(select|with|create|insert|delete|update)\s", re.IGNORECASE)
    allowed = {"store.py"}  # the build loads tables and checks counts; no value is ever pasted
    for path in list((ROOT / "aiwatch").rglob("*.py")) + [ROOT / "app.py"]:
        if path.name in allowed:
            continue
        assert not pattern.search(path.read_text()), path.name
