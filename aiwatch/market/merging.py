"""Merging newer bars into the stored ones (rules in the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .snapshot import COLUMNS, VALUES, empty_prices

# Two adjusted closes of the same day are "the same" within this relative tolerance
# (a CSV written with full precision round-trips exactly; this only absorbs float noise).
SAME_REL = 1e-9
# Overlapping days "differ by one constant factor" when every ratio is within this
# relative distance of their median (sources rounded to cents disagree by ~1e-4).
FACTOR_REL = 2e-3


@dataclass
class TickerChange:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rescaled: int = 0
    factor: float | None = None


@dataclass
class MergeResult:
    prices: pd.DataFrame
    per_ticker: dict[str, TickerChange]
    warnings: list[str] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(c.new for c in self.per_ticker.values())

    @property
    def changed(self) -> int:
        return sum(c.changed + c.rescaled for c in self.per_ticker.values())

    @property
    def modified(self) -> bool:
        return self.new > 0 or self.changed > 0

    def summary(self) -> str:
        parts = [f"{self.new} new row{'s' * (self.new != 1)}"]
        replaced = sum(c.changed for c in self.per_ticker.values())
        rescaled = sum(c.rescaled for c in self.per_ticker.values())
        if replaced:
            parts.append(f"{replaced} replaced")
        if rescaled:
            parts.append(f"{rescaled} rescaled")
        return ", ".join(parts)


def _differs(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Row-wise: does any value column differ (NaN equals NaN)?"""
    out = np.zeros(len(a), dtype=bool)
    for c in VALUES:
        x = a[c].to_numpy(dtype="float64", na_value=np.nan)
        y = b[c].to_numpy(dtype="float64", na_value=np.nan)
        both_nan = np.isnan(x) & np.isnan(y)
        close = np.isclose(x, y, rtol=SAME_REL, atol=0.0)
        out |= ~(close | both_nan)
    return out


def merge(existing: pd.DataFrame, incoming: pd.DataFrame) -> MergeResult:
    """Merge newer bars into the stored ones (rules in the module docstring).

    ``incoming`` must hold each (ticker, date) once. Vectorised: cost grows with the rows
    of the tickers touched, not with Python loops over rows.
    """
    incoming = incoming[COLUMNS].copy()
    incoming["date"] = pd.to_datetime(incoming["date"])
    touched = set(incoming["ticker"].unique())
    is_touched = existing["ticker"].isin(touched)
    keep = existing[~is_touched]
    old = existing[is_touched].copy()
    old["date"] = pd.to_datetime(old["date"])

    both = old.merge(incoming, on=["ticker", "date"], how="inner", suffixes=("_old", ""))
    per: dict[str, TickerChange] = {t: TickerChange() for t in sorted(touched)}
    warnings: list[str] = []

    # 1. a new adjustment basis: one constant factor between newer and stored adj_close
    factors: dict[str, float] = {}
    if not both.empty:
        ratio = both["adj_close"].to_numpy("float64") / both["adj_close_old"].to_numpy("float64")
        r = pd.DataFrame({"ticker": both["ticker"].to_numpy(), "ratio": ratio})
        med = r.groupby("ticker")["ratio"].median()
        r["dev"] = (r["ratio"] / r["ticker"].map(med) - 1).abs()
        worst = r.groupby("ticker")["dev"].max()
        for t, f in med.items():
            if not np.isfinite(f):
                continue
            if worst[t] <= FACTOR_REL:
                if abs(f - 1) > SAME_REL:
                    factors[str(t)] = float(f)
            else:
                warnings.append(
                    f"{t}: the new prices differ from the stored ones by more than one constant "
                    f"factor on {int((r['ticker'] == t).sum())} overlapping day(s) (adjusted close "
                    f"{100 * (f - 1):+.2f}% at the median, up to {100 * worst[t]:.2f}% apart); "
                    "the new values replace the stored ones on those days, nothing else is rescaled")

    # 2. overlapping days: replace only when a value differs
    diff = _differs(both[[f"{c}_old" for c in VALUES]].set_axis(VALUES, axis=1), both[VALUES]) \
        if not both.empty else np.zeros(0, dtype=bool)
    changed_keys = both.loc[diff, ["ticker", "date"]]
    same_keys = both.loc[~diff, ["ticker", "date"]]

    inc_key = pd.MultiIndex.from_frame(incoming[["ticker", "date"]])
    old_key = pd.MultiIndex.from_frame(old[["ticker", "date"]])
    in_incoming = old_key.isin(inc_key)
    unchanged_key = pd.MultiIndex.from_frame(same_keys)
    old_outside = old[~in_incoming].copy()
    old_same = old[old_key.isin(unchanged_key)]
    new_or_changed = incoming[~inc_key.isin(unchanged_key)]

    for t, f in factors.items():
        mask = old_outside["ticker"] == t
        old_outside.loc[mask, "adj_close"] = old_outside.loc[mask, "adj_close"] * f
        per[t].rescaled = int(mask.sum())
        per[t].factor = f

    counts_new = incoming[~inc_key.isin(old_key)]["ticker"].value_counts()
    counts_changed = changed_keys["ticker"].value_counts()
    counts_same = same_keys["ticker"].value_counts()
    for t, c in per.items():
        c.new = int(counts_new.get(t, 0))
        c.changed = int(counts_changed.get(t, 0))
        c.unchanged = int(counts_same.get(t, 0))

    parts = [p for p in (keep, old_outside, old_same, new_or_changed) if not p.empty]
    merged = pd.concat(parts, ignore_index=True) if parts else empty_prices()
    merged = merged.sort_values(["ticker", "date"], kind="stable", ignore_index=True)
    return MergeResult(merged, per, warnings)

