"""The event study: market model, cumulative abnormal returns, their tests, and confounders.

The method (MacKinlay 1997, "Event Studies in Economics and Finance", Journal of Economic
Literature 35(1), 13-39), exactly as the README states it, so anyone can reproduce the numbers:

- Trading days: the days on which both the subject and the benchmark have an adjusted close.
  Returns: simple daily returns of adjusted closes between consecutive trading days.
- Day 0: the milestone's date if it is a trading day, otherwise the next trading day. Only
  milestones dated to the day take part.
- Estimation window: trading days [-250, -11] relative to day 0; at least 120 returns, else
  "not enough history" and no statistics.
- Market model: OLS r_s = alpha + beta * r_b + e over the estimation window; sigma^2 = SSR / (n - 2);
  AR_t = r_s,t - alpha - beta * r_b,t; CAR[a, b] = sum of AR_t, L = b - a + 1;
  t = CAR / (sigma * sqrt(L)); p two-sided from Student's t with n - 2 degrees of freedom.
- Market-adjusted model: AR = r_s - r_b; sigma = sd(AR, ddof=1) over the estimation window;
  n - 1 degrees of freedom.
- A window not complete on the as-of date (the last trading day given) gets no value.
- Aggregates (per watch indicator, per category, over all events; with and without confounded
  events): N, CAAR = mean CAR with its cross-sectional t, and the BMP standardized test
  (Boehmer, Musumeci and Poulsen 1991): SCAR_i = CAR_i / (sigma_i sqrt(L)),
  t = mean(SCAR) * sqrt(N) / sd(SCAR).
- Confounders of an event and window: an earnings release dated within trading days [-1, +1] of
  day 0, and another day-precision milestone whose day 0 falls inside the window.

Pure functions on DataFrames (numpy and scipy, no Streamlit, no store): the CLI and the Market
page fetch the inputs through queries/event_study_*.sql (see ``load_inputs``) and call ``study``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

MODELS = ("market", "market-adjusted")
WINDOWS: tuple[tuple[int, int], ...] = ((-1, 1), (0, 1), (0, 5), (-5, 5))
ESTIMATION = (-250, -11)
MIN_RETURNS = 120
EARNINGS_SPAN = (-1, 1)  # trading days around day 0 in which a results release confounds
PATH_SPAN = (-10, 10)  # the CAR path chart's days
BAND_Z = 1.96  # a two-sided 95% band under the normal approximation
SIGNIFICANT_P = 0.05
TINY = 1e-12  # a standard deviation of daily returns below this is zero (float noise)

NOT_ENOUGH_HISTORY = "not enough history"
NO_DAY0 = "no trading day on or after its date yet"
INCOMPLETE = "window not complete on the as-of date"
FLAT_BENCHMARK = "benchmark returns do not vary in the estimation window: no market model"
ZERO_VARIANCE = "zero variance of abnormal returns in the estimation window: no t-test"

EVENT_COLUMNS = ["milestone_id", "milestone_date", "day0", "window", "model", "benchmark", "car_pct",
                 "t_stat", "p_value", "alpha", "beta", "r2", "sigma_pct", "n_est", "confounders"]
AGGREGATE_COLUMNS = ["group_kind", "group", "window", "sample", "n", "caar_pct", "caar_t", "caar_p",
                     "bmp_n", "bmp_t", "bmp_p"]
ALL_EVENTS = "All events"


def window_label(window: tuple[int, int]) -> str:
    """(-1, 1) -> '-1,+1'; (0, 5) -> '0,+5'."""
    return ",".join("0" if d == 0 else f"{d:+d}" for d in window)


WINDOW_LABELS = [window_label(w) for w in WINDOWS]


def parse_window(label: str) -> tuple[int, int]:
    """'-1,+1' -> (-1, 1); raises ValueError for anything else."""
    for w in WINDOWS:
        if window_label(w) == label:
            return w
    raise ValueError(f"unknown window {label!r}; expected one of {', '.join(WINDOW_LABELS)}")


# --- inputs ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Inputs:
    """What the study reads from the store (queries/event_study_*.sql)."""

    prices: pd.DataFrame  # date, subject_adj_close, benchmark_adj_close: the joint trading days
    milestones: pd.DataFrame  # id, date, indicator, indicator_name, category, title, source_url
    releases: pd.DataFrame  # release_date, label ('FY25 Q2 results')


def load_inputs(run: Callable[..., pd.DataFrame], subject: str, benchmark: str, as_of: date) -> Inputs:
    """Fetch the inputs with ``run(query_name, **params)`` (queries.run bound to a connection, or
    the page's cached ui.query)."""
    return Inputs(
        prices=run("event_study_prices", subject=subject, benchmark=benchmark, as_of=as_of),
        milestones=run("event_study_milestones", as_of=as_of),
        releases=run("event_study_releases", as_of=as_of),
    )


def default_benchmark(tickers: pd.DataFrame) -> str | None:
    """The benchmark a view starts with: the first `index` ticker in data/ticker.csv's order that
    has prices, else the first other priced ticker (columns of queries/market_tickers.sql)."""
    priced = tickers[(tickers["trading_days"] > 0) & (tickers["role"] != "subject")]
    for rows in (priced[priced["role"] == "index"], priced):
        if not rows.empty:
            return str(rows.sort_values("list_order")["ticker"].iloc[0])
    return None


# --- the computation ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    """Joint trading days and their simple returns (the first day has none: NaN)."""

    dates: np.ndarray  # datetime64[D], ascending
    subject: np.ndarray
    benchmark: np.ndarray

    @classmethod
    def from_prices(cls, prices: pd.DataFrame) -> Series:
        p = prices.dropna(subset=["subject_adj_close", "benchmark_adj_close"]).sort_values("date")
        dates = pd.to_datetime(p["date"]).to_numpy().astype("datetime64[D]")
        s = p["subject_adj_close"].to_numpy(float)
        b = p["benchmark_adj_close"].to_numpy(float)
        rs = np.r_[np.nan, s[1:] / s[:-1] - 1] if len(s) else np.array([])
        rb = np.r_[np.nan, b[1:] / b[:-1] - 1] if len(b) else np.array([])
        return cls(dates, rs, rb)

    def day0(self, when) -> int | None:
        """Index of day 0 for an event dated ``when``; None when no trading day is known on or after
        it, or when the prices start after it (whether the days before were trading days is unknown)."""
        d = np.datetime64(pd.Timestamp(when).date(), "D")
        if not len(self.dates) or d < self.dates[0]:
            return None
        i = int(np.searchsorted(self.dates, d, side="left"))
        return i if i < len(self.dates) else None


@dataclass(frozen=True)
class Fit:
    """The normal-return model over one event's estimation window."""

    model: str
    n: int  # returns in the estimation window
    alpha: float = np.nan
    beta: float = np.nan
    r2: float = np.nan
    sigma: float = np.nan  # standard deviation of the abnormal return, decimal per day
    note: str = ""

    @property
    def df(self) -> int:
        return self.n - (2 if self.model == "market" else 1)

    @property
    def usable(self) -> bool:
        return not self.note or self.note == ZERO_VARIANCE

    def abnormal(self, rs: np.ndarray, rb: np.ndarray) -> np.ndarray:
        if self.model == "market":
            return rs - self.alpha - self.beta * rb
        return rs - rb


def fit(series: Series, i0: int, model: str = "market") -> Fit:
    """Estimate the model over trading days [-250, -11] of the event whose day 0 is index ``i0``."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {', '.join(MODELS)}")
    lo, hi = max(i0 + ESTIMATION[0], 1), i0 + ESTIMATION[1]  # index 0 has no return
    rs, rb = series.subject[lo:max(hi + 1, lo)], series.benchmark[lo:max(hi + 1, lo)]
    n = len(rs)
    if n < MIN_RETURNS:
        return Fit(model, n, note=NOT_ENOUGH_HISTORY)
    if model == "market-adjusted":
        sigma = float(np.std(rs - rb, ddof=1))
        return Fit(model, n, sigma=sigma, note=ZERO_VARIANCE if sigma < TINY else "")
    xm, ym = rb.mean(), rs.mean()
    sxx = float(((rb - xm) ** 2).sum())
    if sxx < TINY ** 2 * n:
        return Fit(model, n, note=FLAT_BENCHMARK)
    beta = float(((rb - xm) * (rs - ym)).sum() / sxx)
    alpha = float(ym - beta * xm)
    ssr = float(((rs - alpha - beta * rb) ** 2).sum())
    sst = float(((rs - ym) ** 2).sum())
    sigma = float(np.sqrt(ssr / (n - 2)))
    r2 = 1 - ssr / sst if sst > 0 else np.nan
    return Fit(model, n, alpha, beta, r2, sigma, note=ZERO_VARIANCE if sigma < TINY else "")


def t_stat(car: float, sigma: float, length: int) -> float:
    """t = CAR / (sigma * sqrt(L)); NaN without a CAR or with a zero sigma."""
    if not np.isfinite(car) or not np.isfinite(sigma) or sigma < TINY:
        return np.nan
    return float(car / (sigma * np.sqrt(length)))


EXTRA_COLUMNS = ["title", "indicator", "indicator_name", "category", "source_url", "confounded", "significant",
                 "note", "window_start", "window_end", "df"]


def study(inputs: Inputs, model: str = "market", benchmark: str = "",
          windows: tuple[tuple[int, int], ...] = WINDOWS) -> pd.DataFrame:
    """One row per (day-precision milestone, window): the columns of EVENT_COLUMNS (CAR and sigma in
    percent, alpha as a daily decimal return), then EXTRA_COLUMNS for the page (the milestone's title,
    indicator, category and source; confounded and significant flags; ``note`` says why a row has no
    statistics; the window's bounds; the t-test's degrees of freedom). Sorted by date, id, window."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {', '.join(MODELS)}")
    series = Series.from_prices(inputs.prices)
    ms = inputs.milestones.sort_values(["date", "id"]).reset_index(drop=True)
    dates = [pd.Timestamp(d).date() for d in ms["date"]]
    day0s = [series.day0(d) for d in dates]
    names = [f"{t}, {d:%Y-%m-%d}" for t, d in zip(ms["title"], dates)]
    releases = [(_trading_index(series, d), f"{lbl}, {pd.Timestamp(d):%Y-%m-%d}")
                for d, lbl in zip(inputs.releases["release_date"], inputs.releases["label"])]
    last = len(series.dates) - 1
    rows = []
    for k, m in enumerate(ms[["id", "title", "indicator", "indicator_name", "category",
                              "source_url"]].itertuples(index=False)):
        i0 = day0s[k]
        f = fit(series, i0, model) if i0 is not None else Fit(model, 0, note=_why_no_day0(series, dates[k]))
        earnings = [] if i0 is None else [
            name for j, name in releases if i0 + EARNINGS_SPAN[0] <= j <= i0 + EARNINGS_SPAN[1]]
        for a, b in windows:
            car = np.nan
            note = f.note
            if f.usable and i0 is not None:
                if i0 + b > last:
                    note = INCOMPLETE
                else:
                    car = float(f.abnormal(series.subject[i0 + a:i0 + b + 1],
                                           series.benchmark[i0 + a:i0 + b + 1]).sum())
            others = [] if i0 is None else [
                names[j] for j, j0 in enumerate(day0s) if j != k and j0 is not None and i0 + a <= j0 <= i0 + b]
            confounders = earnings + others
            fitted = f.usable and i0 is not None
            rows.append((
                m.id, dates[k], None if i0 is None else pd.Timestamp(series.dates[i0]).date(),
                window_label((a, b)), model, benchmark, 100 * car, t_stat(car, f.sigma, b - a + 1), np.nan,
                f.alpha if fitted else np.nan, f.beta if fitted else np.nan, f.r2 if fitted else np.nan,
                100 * f.sigma if fitted else np.nan, f.n if i0 is not None else None, "; ".join(confounders),
                m.title, m.indicator, m.indicator_name, m.category, m.source_url, bool(confounders), False,
                note, a, b, f.df if fitted else 0,
            ))
    out = pd.DataFrame(rows, columns=[*EVENT_COLUMNS, *EXTRA_COLUMNS])
    out["p_value"] = two_sided_p(out["t_stat"].to_numpy(float), out["df"].to_numpy(float))
    out["significant"] = out["p_value"].lt(SIGNIFICANT_P)
    out["n_est"] = out["n_est"].astype("Int64")
    return out


def _why_no_day0(series: Series, when) -> str:
    after_last = not len(series.dates) or np.datetime64(pd.Timestamp(when).date(), "D") > series.dates[-1]
    return NO_DAY0 if after_last else NOT_ENOUGH_HISTORY


def _trading_index(series: Series, when) -> int:
    """The trading day a date falls on (the next one when it is not a trading day); len(dates) when
    it lies after the last one."""
    return int(np.searchsorted(series.dates, np.datetime64(pd.Timestamp(when).date(), "D"), side="left"))


def aggregates(events: pd.DataFrame) -> pd.DataFrame:
    """Per watch indicator, per category and over all events, per window, for all events and for the
    unconfounded ones: N, CAAR (%) with its cross-sectional t and p (N - 1 df), and the BMP test on
    SCAR_i = CAR_i / (sigma_i sqrt(L)) (events with sigma > 0 only, bmp_n of them).

    Plain numpy on the columns (pandas filtering per group costs more than the statistics)."""
    scored = events[events["car_pct"].notna()]
    car = scored["car_pct"].to_numpy(float)
    sigma = scored["sigma_pct"].to_numpy(float)
    length = (scored["window_end"] - scored["window_start"] + 1).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scar = np.where(np.isfinite(sigma) & (sigma > 100 * TINY), car / (sigma * np.sqrt(length)), np.nan)
    window = scored["window"].to_numpy(object)
    clean = ~scored["confounded"].to_numpy(bool)
    groups = [("all", ALL_EVENTS, np.ones(len(scored), bool))]
    for kind, column in (("indicator", "indicator_name"), ("category", "category")):
        values = scored[column].to_numpy(object)
        groups += [(kind, name, values == name) for name in sorted(set(values))]
    rows, stats_in = [], []
    for kind, name, in_group in groups:
        for label in WINDOW_LABELS:
            w = in_group & (window == label)
            if not w.any():
                continue
            for sample, mask in (("all", w), ("unconfounded", w & clean)):
                c, z = car[mask], scar[mask]
                z = z[np.isfinite(z)]
                rows.append({"group_kind": kind, "group": name, "window": label, "sample": sample,
                             "n": int(mask.sum()), "caar_pct": float(c.mean()) if len(c) else np.nan,
                             "bmp_n": len(z)})
                stats_in.append((c, z))
    out = pd.DataFrame(rows, columns=AGGREGATE_COLUMNS)
    for prefix, k in (("caar", 0), ("bmp", 1)):
        t, df = zip(*(_mean_t(x[k]) for x in stats_in)) if stats_in else ((), ())
        out[f"{prefix}_t"], out[f"{prefix}_p"] = np.asarray(t, float), two_sided_p(np.asarray(t, float),
                                                                                   np.asarray(df, float))
    return out


def _mean_t(x: np.ndarray) -> tuple[float, int]:
    """t = mean(x) * sqrt(N) / sd(x, ddof=1), with N - 1 degrees of freedom; NaN below N = 2."""
    n = len(x)
    if n < 2:
        return np.nan, 0
    sd = float(np.std(x, ddof=1))
    if sd < TINY:
        return np.nan, 0
    return float(x.mean() * np.sqrt(n) / sd), n - 1


def two_sided_p(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-values from Student's t (scipy.stats), element-wise; NaN where t is NaN."""
    t, df = np.asarray(t, float), np.asarray(df, float)
    ok = np.isfinite(t) & (df >= 1)
    p = np.full(t.shape, np.nan)
    if ok.any():
        p[ok] = 2 * stats.t.sf(np.abs(t[ok]), df[ok])
    return p


def car_path(inputs: Inputs, milestone_id: str, model: str = "market") -> pd.DataFrame:
    """Trading days -10..+10 of one event: day, date, AR and CAR cumulated from day -10 (both %), and
    the 95% band under no abnormal return, +-1.96 * sigma * sqrt(k) with k the days cumulated.
    Empty when the event has no day 0 or no usable model; stops at the last trading day."""
    return car_paths(inputs, model, [milestone_id]).drop(columns="milestone_id")


PATH_COLUMNS = ["milestone_id", "day", "date", "ar_pct", "car_pct", "band_pct", "k"]


def car_paths(inputs: Inputs, model: str = "market", ids: list[str] | None = None) -> pd.DataFrame:
    """``car_path`` of every milestone (or of ``ids``), stacked, with a milestone_id column."""
    series = Series.from_prices(inputs.prices)
    ms = inputs.milestones if ids is None else inputs.milestones[inputs.milestones["id"].isin(ids)]
    parts: dict[str, list] = {c: [] for c in PATH_COLUMNS}
    for mid, when in zip(ms["id"], ms["date"]):
        i0 = series.day0(when)
        if i0 is None:
            continue
        f = fit(series, i0, model)
        if not f.usable:
            continue
        lo, hi = i0 + PATH_SPAN[0], min(i0 + PATH_SPAN[1], len(series.dates) - 1)
        ar = f.abnormal(series.subject[lo:hi + 1], series.benchmark[lo:hi + 1])
        k = np.arange(1, len(ar) + 1)
        for col, values in (("milestone_id", [mid] * len(ar)), ("day", np.arange(lo - i0, hi - i0 + 1)),
                            ("date", series.dates[lo:hi + 1]), ("ar_pct", 100 * ar),
                            ("car_pct", 100 * np.cumsum(ar)), ("band_pct", 100 * BAND_Z * f.sigma * np.sqrt(k)),
                            ("k", k)):
            parts[col].append(values)
    if not parts["k"]:
        return pd.DataFrame(columns=PATH_COLUMNS)
    out = pd.DataFrame({c: np.concatenate(v) for c, v in parts.items()})
    out["date"] = pd.to_datetime(out["date"])
    return out
