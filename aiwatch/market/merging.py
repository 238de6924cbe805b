"""Merging newer bars into the stored ones (rules in the package docstring).

The price history is data: it is never rewritten on thin evidence.

* A re-adjustment (Yahoo rescales a ticker's whole adjusted history after a dividend or a
  split) is accepted only when at least ``MIN_AGREEING_DAYS`` overlapping days, *not
  counting the most recent stored day*, agree on one factor within ``FACTOR_REL``. The
  last stored day is left out because it is the one most likely to be wrong: an intraday
  price stored before the close, or a bad tick.
* Otherwise the stored history is kept as it is; only the overlapping days whose values
  differ are replaced, and a warning names the ticker and those days.
* With ``max_move`` (the refresh passes ``MAX_DAILY_MOVE``), a daily move of the adjusted
  close beyond that fraction which the merge would introduce into a stored history is
  refused: the newer bar is not stored (the stored one stays) and a warning names the
  ticker and day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .snapshot import COLUMNS, VALUES, empty_prices

# Two adjusted closes of the same day are "the same" within this relative tolerance
# (a CSV written with full precision round-trips exactly; this only absorbs float noise).
SAME_REL = 1e-9
# Overlapping days "agree on one factor" when their ratios are within this relative
# distance of the median ratio (sources rounded to cents disagree by ~1e-4).
FACTOR_REL = 2e-3
# A re-adjustment needs this many agreeing overlapping days besides the last stored day.
MIN_AGREEING_DAYS = 3
# The refresh refuses a daily move of the adjusted close beyond +-50% that a merge introduces.
MAX_DAILY_MOVE = 0.5
NAMED_DAYS = 5  # a warning names at most this many days, then "and N more"


@dataclass
class TickerChange:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rescaled: int = 0
    factor: float | None = None
    refused: list[date] = field(default_factory=list)  # newer bars not stored (max_move)


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
    def refused(self) -> int:
        return sum(len(c.refused) for c in self.per_ticker.values())

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
        if self.refused:
            parts.append(f"{self.refused} refused")
        return ", ".join(parts)


def days_text(days: Iterable) -> str:
    """'2025-01-06, 2025-01-07 and 3 more' (ISO dates, at most NAMED_DAYS named)."""
    names = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in days]
    shown = ", ".join(names[:NAMED_DAYS])
    return shown + (f" and {len(names) - NAMED_DAYS} more" if len(names) > NAMED_DAYS else "")


def _pct(ratio: float) -> str:
    return f"{100 * (ratio - 1):+.2f}%"


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


def merge(existing: pd.DataFrame, incoming: pd.DataFrame, max_move: float | None = None) -> MergeResult:
    """Merge newer bars into the stored ones (rules in the module docstring).

    ``incoming`` must hold each (ticker, date) once. Vectorised: cost grows with the rows
    of the tickers touched, not with Python loops over rows. ``max_move``: refuse newer
    bars that would introduce a daily move of the adjusted close beyond it (a fraction).
    """
    result = _merge(existing, incoming)
    if max_move is None:
        return result
    refused = _jumps(existing, incoming, result, max_move)
    if not refused:
        return result
    drop = pd.MultiIndex.from_tuples([(t, pd.Timestamp(d)) for t, ds in refused.items() for d in ds])
    inc = incoming.copy()
    inc["date"] = pd.to_datetime(inc["date"])
    kept = inc[~pd.MultiIndex.from_frame(inc[["ticker", "date"]]).isin(drop)]
    result = _merge(existing, kept)
    for t, ds in refused.items():
        result.per_ticker.setdefault(t, TickerChange()).refused = [pd.Timestamp(d).date() for d in ds]
        result.warnings.append(
            f"{t}: refused the new bar(s) of {days_text(ds)}: with them the adjusted close would move "
            f"more than {100 * max_move:.0f}% in one day (a bad tick or a bad download?). The stored "
            "prices are kept; the next refresh asks again. If the move is real, import it from a "
            "file with `python -m aiwatch import-prices`.")
    return result


def _adjustment(ticker: str, g: pd.DataFrame, last_stored) -> tuple[float | None, str | None]:
    """One ticker's overlapping days -> (factor to rescale the stored history by, or None; warning)."""
    ratio = g["adj_close"].to_numpy("float64") / g["adj_close_old"].to_numpy("float64")
    dates = g["date"].to_numpy()
    finite = np.isfinite(ratio)
    evidence = ratio[finite & (dates != np.datetime64(pd.Timestamp(last_stored)))]
    f = float(np.median(evidence)) if len(evidence) else float("nan")
    agreeing = int((np.abs(evidence / f - 1) <= FACTOR_REL).sum()) if np.isfinite(f) else 0
    readjusted = np.isfinite(f) and abs(f - 1) > SAME_REL
    factor = f if readjusted and agreeing >= MIN_AGREEING_DAYS else None
    basis = factor or 1.0
    off = finite & (np.abs(ratio / basis - 1) > FACTOR_REL)
    if not off.any():
        return factor, None
    named = ", ".join(f"{pd.Timestamp(d):%Y-%m-%d} ({_pct(r / basis)})"
                      for d, r in list(zip(dates[off], ratio[off]))[:NAMED_DAYS])
    if int(off.sum()) > NAMED_DAYS:
        named += f" and {int(off.sum()) - NAMED_DAYS} more"
    if factor is None and readjusted and abs(f - 1) > FACTOR_REL:
        return None, (
            f"{ticker}: the new adjusted closes differ from the stored ones by more than one constant factor "
            f"({_pct(f)} at the median of the {len(evidence)} overlapping day(s) before the last stored day "
            f"{pd.Timestamp(last_stored):%Y-%m-%d}, {agreeing} of them agreeing; at least {MIN_AGREEING_DAYS} "
            f"must): the stored history is kept, not rescaled; the new values replace the stored ones on "
            f"{named}")
    rest = (f"the rest of the stored history is rescaled by {_pct(factor)} (a re-adjustment agreed by "
            f"{agreeing} days)" if factor is not None else "the rest of the stored history is kept")
    return factor, (f"{ticker}: the new adjusted closes differ from the stored ones on {named}: those days are "
                    f"replaced, {rest}")


def _close_factor(g: pd.DataFrame, last_stored) -> float | None:
    """The factor the overlapping closes agree on (>= MIN_AGREEING_DAYS days besides the last
    stored one), when it is not 1: the sign of a split between two downloads."""
    ratio = g["close"].to_numpy("float64") / g["close_old"].to_numpy("float64")
    ev = ratio[np.isfinite(ratio) & (g["date"].to_numpy() != np.datetime64(pd.Timestamp(last_stored)))]
    if len(ev) < MIN_AGREEING_DAYS:
        return None
    f = float(np.median(ev))
    if abs(f - 1) <= FACTOR_REL or int((np.abs(ev / f - 1) <= FACTOR_REL).sum()) < MIN_AGREEING_DAYS:
        return None
    return f


def _jumps(existing: pd.DataFrame, incoming: pd.DataFrame, result: MergeResult,
           max_move: float) -> dict[str, list]:
    """Per ticker with a stored history: the incoming days to refuse, because with them the
    merged adjusted close moves more than ``max_move`` in one day where the stored one did not.

    Walks each ticker's merged series: at the first such move, the newer bar of the pair is
    refused (the stored bar of that day, if any, takes its place), and the walk goes on.
    """
    out: dict[str, list] = {}
    stored = existing[existing["ticker"].isin(set(incoming["ticker"]))]
    if stored.empty:
        return out
    inc_keys = pd.MultiIndex.from_arrays([incoming["ticker"], pd.to_datetime(incoming["date"])])
    for t, old in stored.groupby("ticker", sort=True):
        m = result.prices[result.prices["ticker"] == t][["ticker", "date", "adj_close"]]
        m = m.assign(date=pd.to_datetime(m["date"]))
        o = old[["date", "adj_close"]].assign(date=pd.to_datetime(old["date"]))
        m = m.merge(o, on="date", how="left", suffixes=("", "_old"), sort=True)
        dates = m["date"].to_numpy()
        vals = m["adj_close"].to_numpy("float64").copy()
        factor = result.per_ticker.get(str(t), TickerChange()).factor or 1.0
        kept = m["adj_close_old"].to_numpy("float64") * factor  # the stored bar, on the merged basis
        # merged rows that came from the incoming bars and differ from the stored ones
        from_new = pd.MultiIndex.from_arrays([m["ticker"], m["date"]]).isin(inc_keys)
        with np.errstate(divide="ignore", invalid="ignore"):
            same = (np.abs(vals / kept - 1) <= SAME_REL) | (np.abs(vals * factor / kept - 1) <= SAME_REL)
        from_new &= ~same
        if not from_new.any():
            continue
        refused = []
        for _ in range(len(vals)):
            with np.errstate(divide="ignore", invalid="ignore"):
                move = np.abs(vals[1:] / vals[:-1] - 1)
            introduced = (move > max_move) & (from_new[1:] | from_new[:-1])
            if not introduced.any():
                break
            i = int(np.argmax(introduced)) + 1
            j = i if from_new[i] else i - 1
            refused.append(dates[j])
            if np.isfinite(kept[j]):
                vals[j], from_new[j] = kept[j], False
            else:
                dates, vals, kept, from_new = (np.delete(x, j) for x in (dates, vals, kept, from_new))
        if refused:
            out[str(t)] = sorted(refused)
    return out


def _merge(existing: pd.DataFrame, incoming: pd.DataFrame) -> MergeResult:
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

    # 1. a new adjustment basis, only on enough evidence (see the module docstring)
    factors: dict[str, float] = {}
    if not both.empty:
        last_stored = old.groupby("ticker")["date"].max()
        for t, g in both.groupby("ticker", sort=True):
            factor, warning = _adjustment(str(t), g, last_stored[t])
            if factor is not None:
                factors[str(t)] = factor
            if warning:
                warnings.append(warning)
            split = _close_factor(g, last_stored[t])
            if split is not None:
                warnings.append(
                    f"{t}: the new closes differ from the stored ones by one factor ({_pct(split)}, a split?) on "
                    f"at least {MIN_AGREEING_DAYS} overlapping days: close, open, high and low of the stored days "
                    "outside the new rows stay as they were delivered (only adj_close is ever rescaled), so they "
                    "jump where the two meet")

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

