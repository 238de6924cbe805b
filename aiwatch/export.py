"""CSV exports that are safe to open in a spreadsheet.

Two promises, both tested in tests/test_export.py:

- A reader recovers exactly the rows and cells written. Rows end in CRLF (RFC 4180), and
  Python's csv writer quotes every field holding any character of the line terminator, so a
  field with a CR or an LF (lone or not) is always quoted and never starts a row of its own.
- No cell starts a formula. A text cell starting with ``= + - @``, a tab or a CR gets a
  leading ``'``; so does every line inside a cell (after a CR, LF or CRLF), because some
  spreadsheets split a quoted multi-line cell or evaluate each line of it on paste.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A line break inside a cell followed by a formula character (CRLF is tried before CR alone).
_BREAK_THEN_FORMULA = re.compile(r"(\r\n|\r|\n)(?=[=+\-@\t])")


def neutralise(value):
    """Make a text cell inert in spreadsheets: prefix formula-like text (and lines) with a quote.

    Numbers stay numbers (a negative growth rate is data, not a formula).
    """
    if not isinstance(value, str):
        return value
    value = _BREAK_THEN_FORMULA.sub(r"\1'", value)
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_safe_csv(df: pd.DataFrame, verbatim: tuple[str, ...] = ()) -> bytes:
    """Serialise a DataFrame as UTF-8 CSV with every formula-like text cell neutralised.

    ``verbatim`` names columns whose values the code itself writes from a fixed set (never data
    text), kept as they are: the event study's windows are written ``-1,+1``.
    """
    out = df.copy()
    for col in out.columns:
        if col in verbatim:
            continue
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    # CRLF as the terminator makes the csv writer quote every field holding a CR or an LF
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
