"""CSV exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell inert in spreadsheets: prefix formula-like text with a quote.

    Numbers stay numbers (a negative growth rate is data, not a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
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
    return out.to_csv(index=False).encode("utf-8")
