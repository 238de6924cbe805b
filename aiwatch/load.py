"""Read and validate the curated CSV files.

Every problem is reported with file, line, column, the offending value and
what was expected, and *all* problems of a file are collected, not just the
first: the analyst fixes a file in one pass.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

URL_RE = re.compile(r"^https?://[^\s;]+$")


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as we can."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}"
        if self.value is None:
            return f"{where}: {self.expected}"
        return f"{where}: {self.value!r} is not {self.expected}"


class ValidationFailed(Exception):
    """Raised with the full list of problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(map(str, problems)))


# --- column types --------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # int | float | date | str | url | bool | enum
    required: bool = True
    choices: tuple[str, ...] = ()
    min_value: float | None = None

    @property
    def expected(self) -> str:
        if self.kind == "enum":
            return "one of " + ", ".join(self.choices)
        return {
            "int": "a whole number",
            "float": "a number" + (f" >= {self.min_value:g}" if self.min_value is not None else ""),
            "date": "a date as YYYY-MM-DD",
            "str": "non-empty text",
            "url": "one absolute http(s) URL",
            "bool": "true or false",
        }[self.kind]


def _parse(col: Column, raw: str):
    """Return the typed value, or raise ValueError."""
    if col.kind == "str":
        return raw
    if col.kind == "enum":
        if raw not in col.choices:
            raise ValueError
        return raw
    if col.kind == "url":
        if not URL_RE.match(raw):
            raise ValueError
        return raw
    if col.kind == "int":
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise ValueError
        return int(raw)
    if col.kind == "float":
        v = float(raw.replace("_", "x"))  # reject '1_000', which float() would accept
        if math.isnan(v) or math.isinf(v):
            raise ValueError
        if col.min_value is not None and v < col.min_value:
            raise ValueError
        return v
    if col.kind == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError
        return date.fromisoformat(raw)
    if col.kind == "bool":
        low = raw.lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise ValueError
    raise AssertionError(col.kind)


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional_file: bool = False
    checks: tuple[Callable, ...] = field(default=())

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


INDICATORS_FILE = "indicator"

# How a scorecard rule measures its indicator (queries/scorecard_rules.sql has one CTE each).
RULE_METRICS = ("days_since_stage", "leaderboard_rank_gap", "segment_growth_gap", "stage_reached",
                "kpi_latest")

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec("indicator", (
            Column("indicator", "str"), Column("name", "str"), Column("question", "str"),
            Column("sort_order", "int"), Column("url_path", "str"), Column("icon", "str", required=False),
        ), key=("indicator",)),
        TableSpec("ticker", (
            Column("ticker", "str"), Column("name", "str"),
            Column("role", "enum", choices=("subject", "peer", "index")),
            Column("source_url", "url"),
        ), key=("ticker",)),
        TableSpec("segment_revenue", (
            Column("fiscal_year", "int"),
            Column("fiscal_quarter", "enum", choices=("Q1", "Q2", "Q3", "Q4", "FY")),
            Column("period_end", "date"),
            Column("basis", "enum", choices=("as_reported", "recast")),
            Column("segment", "str"),
            Column("revenue_usd_m", "float", min_value=0),
            Column("reported_at", "date"),
            Column("source_url", "url"),
        ), key=("fiscal_year", "fiscal_quarter", "basis", "segment")),
        TableSpec("kpi_catalog", (
            Column("kpi_id", "str"), Column("label", "str"), Column("indicator", "str"),
            Column("unit", "str"), Column("higher_is_better", "bool"), Column("description", "str"),
        ), key=("kpi_id",)),
        TableSpec("kpi", (
            Column("kpi_id", "str"), Column("period_end", "date"), Column("value", "float"),
            Column("qualifier", "str", required=False), Column("reported_at", "date"),
            Column("source_url", "url"), Column("note", "str", required=False),
        ), key=("kpi_id", "period_end")),
        TableSpec("milestone", (
            Column("id", "str"), Column("date", "date"),
            Column("date_precision", "enum", choices=("day", "month", "quarter", "year")),
            Column("indicator", "str"), Column("category", "str"), Column("title", "str"),
            Column("detail", "str"), Column("source_url", "url"),
        ), key=("id",)),
        TableSpec("leaderboard", (
            Column("model", "str"), Column("vendor", "str"), Column("board", "str"),
            Column("metric", "str"), Column("value", "float", required=False),
            Column("rank", "int", required=False), Column("observed_at", "date"),
            Column("source_url", "url"), Column("note", "str", required=False),
        ), key=("model", "board", "metric", "observed_at"), optional_file=True),
        TableSpec("earnings_release", (
            Column("fiscal_year", "int"),
            Column("fiscal_quarter", "enum", choices=("Q1", "Q2", "Q3", "Q4")),
            Column("period_end", "date"), Column("release_date", "date"),
            Column("source_url", "url"),
        ), key=("fiscal_year", "fiscal_quarter"), optional_file=True),
        # --- watch indicators (configuration the analyst edits; documented in data/README.md)
        TableSpec("thesis", (
            Column("thesis", "str"), Column("statement", "str"),
        ), key=("thesis",), optional_file=True),
        TableSpec("indicator_rule", (
            Column("indicator", "str"), Column("rule_id", "str"), Column("sort_order", "int"),
            Column("title", "str"), Column("metric", "enum", choices=RULE_METRICS),
            Column("subject", "str"), Column("versus", "str", required=False),
            Column("window_days", "int", required=False),
            Column("comparison", "enum", choices=("higher_is_better", "lower_is_better")),
            Column("on_track_threshold", "float"), Column("lagging_threshold", "float"),
            Column("explanation", "str"),
        ), key=("rule_id",), optional_file=True),
        TableSpec("milestone_stage", (
            Column("milestone_id", "str"), Column("track", "str"), Column("stage", "str"),
            Column("stage_order", "int"), Column("note", "str", required=False),
        ), key=("milestone_id", "track"), optional_file=True),
        # --- page layouts: which sections each page shows (aiwatch/layout.py declares the kinds)
        TableSpec("page_section", (
            Column("page", "str"), Column("sort_order", "int"), Column("beside", "bool", required=False),
            Column("kind", "str"), Column("refs", "str", required=False),
            Column("title", "str", required=False), Column("caption", "str", required=False),
            Column("options", "str", required=False),
        ), key=("page", "sort_order"), optional_file=True),
    )
}


# --- reading -------------------------------------------------------------------------------

def read_text(path: Path, label: str) -> tuple[str | None, list[Problem]]:
    """Decode a CSV file as UTF-8 (a BOM is fine), or say where it is not."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return None, [Problem(label, line, None, None,
                              f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); "
                              "save the file as UTF-8")]


def parse_table(text: str, spec: TableSpec, label: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse CSV text against a spec. Returns typed rows (plus ``_line``) and every problem."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return _empty(spec), [Problem(label, 1, None, None, "an empty file; expected a header row: "
                                      + ",".join(spec.column_names))]
    except csv.Error as e:
        return _empty(spec), [Problem(label, 1, None, None, f"readable CSV ({e})")]
    header = [h.strip() for h in header]
    missing = [c for c in spec.column_names if c not in header]
    unknown = [h for h in header if h not in spec.column_names]
    for c in missing:
        problems.append(Problem(label, 1, c, None, "missing: the header must name this column"))
    for h in unknown:
        problems.append(Problem(label, 1, h, h, "a known column (expected: "
                                + ", ".join(spec.column_names) + ")"))
    if len(set(header)) != len(header):
        problems.append(Problem(label, 1, None, None, "a header with each column once"))
    if problems:
        return _empty(spec), problems

    index = {h: i for i, h in enumerate(header)}
    rows: list[dict] = []
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(Problem(label, reader.line_num, None, None, f"readable CSV ({e})"))
            break
        start_line = line + 1
        line = reader.line_num
        if not record or all(not c.strip() for c in record):
            continue  # blank line
        if len(record) != len(header):
            problems.append(Problem(label, start_line, None, None,
                                    f"a row of {len(header)} fields (found {len(record)}); "
                                    "quote values that contain commas"))
            continue
        row: dict = {"_line": start_line}
        for col in spec.columns:
            raw = record[index[col.name]].strip()
            if raw == "":
                if col.required:
                    problems.append(Problem(label, start_line, col.name, raw, col.expected))
                row[col.name] = None
                continue
            if raw[0] in "=@\t\r" or (raw[0] in "+-" and col.kind not in ("int", "float")):
                # a value that a spreadsheet would run as a formula never belongs in the data
                problems.append(Problem(label, start_line, col.name, raw,
                                        "plain text (values starting with = + - @ are rejected)"))
                continue
            try:
                row[col.name] = _parse(col, raw)
            except ValueError:
                problems.append(Problem(label, start_line, col.name, raw, col.expected))
        rows.append(row)
    if not rows:
        return _empty(spec), problems
    df = pd.DataFrame(rows, columns=["_line", *spec.column_names])
    return df, problems


def _empty(spec: TableSpec) -> pd.DataFrame:
    return pd.DataFrame(columns=["_line", *spec.column_names])


def load_file(path: Path, spec: TableSpec, label: str | None = None):
    label = label or f"data/{path.name}"
    text, problems = read_text(path, label)
    if text is None:
        return _empty(spec), problems
    return parse_table(text, spec, label)


# --- integrity across rows and tables ------------------------------------------------------

SEGMENT_TOTAL = "Total"
SUM_TOLERANCE_USD_M = 100.0  # segments must sum to the total within 0.1 bn (rounding)


def check_duplicates(df: pd.DataFrame, spec: TableSpec, label: str) -> list[Problem]:
    if df.empty:
        return []
    dup = df[df.duplicated(list(spec.key), keep=False)]
    problems = []
    for _, group in dup.groupby(list(spec.key), sort=False):
        lines = group["_line"].tolist()
        key = ", ".join(f"{k}={group.iloc[0][k]}" for k in spec.key)
        for ln in lines[1:]:
            problems.append(Problem(label, int(ln), None, None,
                                    f"a unique row: ({key}) already on line {lines[0]}"))
    return problems


def check_segment_sums(df: pd.DataFrame, label: str) -> list[Problem]:
    problems = []
    if df.empty:
        return problems
    for (fy, fq, basis), g in df.groupby(["fiscal_year", "fiscal_quarter", "basis"], sort=False):
        total = g[g["segment"] == SEGMENT_TOTAL]
        parts = g[g["segment"] != SEGMENT_TOTAL]
        if total.empty or parts.empty:
            continue  # a total alone (segments unknown) is allowed and shown as a gap
        s = float(parts["revenue_usd_m"].sum())
        t = float(total.iloc[0]["revenue_usd_m"])
        if abs(s - t) > SUM_TOLERANCE_USD_M + 1e-6:
            problems.append(Problem(label, int(total.iloc[0]["_line"]), "revenue_usd_m", f"{t:g}",
                                    f"the sum of the segments for FY{fy} {fq} {basis} "
                                    f"({s:g}, within {SUM_TOLERANCE_USD_M:g})"))
    return problems


def check_reference(df: pd.DataFrame, column: str, known: set, label: str, what: str) -> list[Problem]:
    if df.empty:
        return []
    bad = df[~df[column].isin(known)]
    return [Problem(label, int(r["_line"]), column, str(r[column]), what) for _, r in bad.iterrows()]


def check_not_before(df: pd.DataFrame, later: str, earlier: str, label: str) -> list[Problem]:
    if df.empty:
        return []
    bad = df[df[later] < df[earlier]]
    return [Problem(label, int(r["_line"]), later, str(r[later]), f"on or after {earlier} ({r[earlier]})")
            for _, r in bad.iterrows()]


def check_rules(rules: pd.DataFrame, frames: dict[str, pd.DataFrame], label: str) -> list[Problem]:
    """Each scorecard rule names inputs that exist and thresholds in the right order."""
    problems: list[Problem] = []
    if rules.empty:
        return problems
    kpis = set(frames["kpi_catalog"]["kpi_id"].dropna())
    segments = set(frames["segment_revenue"]["segment"].dropna())
    stages = frames["milestone_stage"]
    tracks = set(stages["track"].dropna())
    track_stages = set(zip(stages["track"], stages["stage"]))
    for _, r in rules.iterrows():
        line, metric = int(r["_line"]), r["metric"]
        on, lag = r["on_track_threshold"], r["lagging_threshold"]
        if isinstance(on, float) and isinstance(lag, float):
            if r["comparison"] == "higher_is_better" and on < lag:
                problems.append(Problem(label, line, "lagging_threshold", f"{lag:g}",
                                        f"at most on_track_threshold ({on:g}) when higher is better"))
            if r["comparison"] == "lower_is_better" and on > lag:
                problems.append(Problem(label, line, "lagging_threshold", f"{lag:g}",
                                        f"at least on_track_threshold ({on:g}) when lower is better"))
        subject, versus = r["subject"], (None if pd.isna(r["versus"]) else r["versus"])
        if metric == "kpi_latest" and subject not in kpis:
            problems.append(Problem(label, line, "subject", subject, "a kpi_id listed in kpi_catalog.csv"))
        if metric in ("days_since_stage", "stage_reached") and subject not in tracks:
            problems.append(Problem(label, line, "subject", subject,
                                    "a track listed in milestone_stage.csv"))
        if metric == "days_since_stage" and subject in tracks and (subject, versus) not in track_stages:
            problems.append(Problem(label, line, "versus", versus,
                                    f"a stage of track {subject} in milestone_stage.csv"))
        if metric == "segment_growth_gap":
            for col, value in (("subject", subject), ("versus", versus)):
                if value not in segments:
                    problems.append(Problem(label, line, col, value or "",
                                            "a segment named in segment_revenue.csv"))
        if metric == "leaderboard_rank_gap" and (pd.isna(r["window_days"]) or r["window_days"] < 0):
            problems.append(Problem(label, line, "window_days", str(r["window_days"]),
                                    "a whole number of days >= 0 (how far apart compared standings may be)"))
    return problems


def check_stages(stages: pd.DataFrame, label: str) -> list[Problem]:
    """A stage has one place on its track (same stage_order everywhere), counted from 1."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for _, r in stages.iterrows():
        if pd.isna(r["stage_order"]):
            continue
        key, order = (r["track"], r["stage"]), int(r["stage_order"])
        if order < 1:
            problems.append(Problem(label, int(r["_line"]), "stage_order", str(order), "1 or more"))
        if key in seen and seen[key] != order:
            problems.append(Problem(label, int(r["_line"]), "stage_order", str(order),
                                    f"{seen[key]}, the order stage {key[1]} of track {key[0]} has above"))
        seen.setdefault(key, order)
    return problems


URL_PATH_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def check_url_paths(indicators: pd.DataFrame, label: str) -> list[Problem]:
    """Each watch indicator's page has its own clean URL path, apart from the fixed pages'."""
    from .layout import RESERVED_PATHS

    problems: list[Problem] = []
    seen: set[str] = set()
    for _, r in indicators.iterrows():
        path = r["url_path"]
        if not isinstance(path, str):
            continue
        if not URL_PATH_RE.match(path):
            problems.append(Problem(label, int(r["_line"]), "url_path", path,
                                    "lower-case letters, digits and _ (starting with a letter)"))
        elif path in RESERVED_PATHS or path in seen:
            problems.append(Problem(label, int(r["_line"]), "url_path", path,
                                    "a path no other page uses (" + ", ".join(sorted(RESERVED_PATHS | seen)) + ")"))
        seen.add(path)
    return problems


def load_all(data_dir: Path, only: set[str] | None = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Load and validate every curated table in ``data_dir``.

    Returns the tables (typed, with ``_line``) and the complete list of problems;
    an empty list means the data may be built.
    """
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, spec in TABLES.items():
        path = data_dir / spec.file_name
        label = f"{data_dir.name}/{spec.file_name}"
        if not path.exists():
            if not spec.optional_file:
                problems.append(Problem(label, None, None, None,
                                        "missing: every curated table needs its file"))
            frames[name] = _empty(spec)
            continue
        df, p = load_file(path, spec, label)
        problems += p
        problems += check_duplicates(df, spec, label)
        frames[name] = df

    def lbl(n: str) -> str:
        return f"{data_dir.name}/{n}.csv"

    indicators = set(frames["indicator"]["indicator"].dropna())
    what = "a known indicator (" + ", ".join(sorted(indicators)) + f") from {lbl('indicator')}"
    problems += check_reference(frames["kpi_catalog"], "indicator", indicators, lbl("kpi_catalog"), what)
    problems += check_reference(frames["milestone"], "indicator", indicators, lbl("milestone"), what)
    kpis = set(frames["kpi_catalog"]["kpi_id"].dropna())
    problems += check_reference(frames["kpi"], "kpi_id", kpis, lbl("kpi"),
                                f"a kpi_id listed in {lbl('kpi_catalog')}")
    problems += check_segment_sums(frames["segment_revenue"], lbl("segment_revenue"))
    problems += check_not_before(frames["segment_revenue"], "reported_at", "period_end",
                                 lbl("segment_revenue"))
    problems += check_not_before(frames["earnings_release"], "release_date", "period_end",
                                 lbl("earnings_release"))
    problems += check_reference(frames["indicator_rule"], "indicator", indicators, lbl("indicator_rule"), what)
    problems += check_rules(frames["indicator_rule"], frames, lbl("indicator_rule"))
    problems += check_reference(frames["milestone_stage"], "milestone_id",
                                set(frames["milestone"]["id"].dropna()), lbl("milestone_stage"),
                                f"a milestone id from {lbl('milestone')}")
    problems += check_stages(frames["milestone_stage"], lbl("milestone_stage"))
    problems += check_url_paths(frames["indicator"], lbl("indicator"))
    from .layout import check_sections  # layout imports Problem from here

    problems += check_sections(frames["page_section"], frames, lbl("page_section"))
    if only is not None:
        problems = [p for p in problems if any(p.file.endswith(f"/{n}.csv") for n in only)]
    return frames, problems
