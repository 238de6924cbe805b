"""Scratch check of the curated CSVs in data/ (standard library only).

Run from the repository root:  python tools/curate_check.py
Exits non-zero and prints one line per problem if anything fails.
The project's own validation is `python -m aiwatch check`; this script only
double-checks the hand-curated files while they are being edited.
"""
import csv
import datetime as dt
import re
import sys
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"

HEADERS = {
    "segment_revenue.csv": ["fiscal_year", "fiscal_quarter", "period_end", "basis", "segment",
                            "revenue_usd_m", "reported_at", "source_url"],
    "kpi_catalog.csv": ["kpi_id", "label", "indicator", "unit", "higher_is_better", "description"],
    "kpi.csv": ["kpi_id", "period_end", "value", "qualifier", "reported_at", "source_url", "note"],
    "milestone.csv": ["id", "date", "date_precision", "indicator", "category", "title", "detail",
                      "source_url"],
    "leaderboard.csv": ["model", "vendor", "board", "metric", "value", "rank", "observed_at",
                        "source_url", "note"],
    "earnings_release.csv": ["fiscal_year", "fiscal_quarter", "period_end", "release_date",
                             "source_url"],
    "ticker.csv": ["ticker", "name", "role", "source_url"],
    "indicator.csv": ["indicator", "name", "question", "sort_order"],
}
OPTIONAL = {  # columns that may be empty
    "kpi.csv": {"qualifier", "note"},
    "leaderboard.csv": {"value", "rank", "note"},
}
INDICATORS = {"mai_progress", "consumer_ai", "api_adoption", "openai_dependence"}
SEGMENTS = ["Productivity and Business Processes", "Intelligent Cloud", "More Personal Computing",
            "Total"]
UNITS = {"pct_yoy", "pct_points", "pct", "usd_bn", "usd", "usd_per_hour", "million", "billion",
         "trillion_tokens", "count", "rank", "x", "seconds", "tops", "flag"}
QUALIFIERS = {"", "more than", "surpassed", "nearly", "about", "at most", "less than", "guidance",
              "on track to surpass"}
URL_RE = re.compile(r"^https?://[^\s;]+$")

problems = []


def bad(file, line, msg):
    problems.append(f"data/{file} line {line}: {msg}")


def is_date(s):
    try:
        return dt.date.fromisoformat(s).isoformat() == s
    except ValueError:
        return False


def is_num(s):
    try:
        Decimal(s)
        return True
    except InvalidOperation:
        return False


def load(name):
    path = DATA / name
    raw = path.read_bytes()
    text = raw.decode("utf-8")  # raises on bad UTF-8
    if "\r" in text:
        bad(name, "-", "CR characters found (use LF line endings)")
    if not text.endswith("\n") or text.endswith("\n\n"):
        bad(name, "-", "file must end with exactly one newline")
    for i, line in enumerate(text.split("\n")[:-1], start=1):
        if line != line.rstrip():
            bad(name, i, "trailing whitespace")
        if not line.strip():
            bad(name, i, "blank line")
    rows = list(csv.reader(text.splitlines()))
    header, body = rows[0], rows[1:]
    if header != HEADERS[name]:
        bad(name, 1, f"header {header} != {HEADERS[name]}")
    out = []
    for n, r in enumerate(body, start=2):
        if len(r) != len(header):
            bad(name, n, f"{len(r)} fields, expected {len(header)}")
            continue
        d = dict(zip(header, r))
        for k, v in d.items():
            if v != v.strip():
                bad(name, n, f"{k}: leading/trailing spaces")
            if not v and k not in OPTIONAL.get(name, set()):
                bad(name, n, f"{k}: empty required field")
        if "source_url" in d and not URL_RE.match(d["source_url"]):
            bad(name, n, f"source_url not a single http(s) URL: {d['source_url']!r}")
        out.append((n, d))
    return out


files = {name: load(name) for name in HEADERS}

# ---- indicator / ticker
ind_rows = files["indicator.csv"]
if {d["indicator"] for _, d in ind_rows} != INDICATORS:
    bad("indicator.csv", "-", "indicator set differs from the four indicators")
for n, d in files["ticker.csv"]:
    if d["role"] not in {"subject", "peer", "index"}:
        bad("ticker.csv", n, f"role {d['role']!r}")

# ---- earnings_release
rel = {}
for n, d in files["earnings_release.csv"]:
    if not (is_date(d["period_end"]) and is_date(d["release_date"])):
        bad("earnings_release.csv", n, "bad date")
    if d["release_date"] < d["period_end"]:
        bad("earnings_release.csv", n, "release before period end")
    key = (d["fiscal_year"], d["fiscal_quarter"])
    if key in rel:
        bad("earnings_release.csv", n, f"duplicate {key}")
    rel[key] = d["release_date"]

# ---- segment_revenue
groups = defaultdict(dict)
for n, d in files["segment_revenue.csv"]:
    f = "segment_revenue.csv"
    if not d["fiscal_year"].isdigit():
        bad(f, n, "fiscal_year not int")
    if d["fiscal_quarter"] not in {"Q1", "Q2", "Q3", "Q4", "FY"}:
        bad(f, n, f"fiscal_quarter {d['fiscal_quarter']!r}")
    if d["basis"] not in {"as_reported", "recast"}:
        bad(f, n, f"basis {d['basis']!r}")
    if d["segment"] not in SEGMENTS:
        bad(f, n, f"segment {d['segment']!r}")
    if not re.fullmatch(r"\d+", d["revenue_usd_m"]):
        bad(f, n, f"revenue_usd_m {d['revenue_usd_m']!r} not a whole number")
    if not (is_date(d["period_end"]) and is_date(d["reported_at"])):
        bad(f, n, "bad date")
    elif d["reported_at"] < d["period_end"]:
        bad(f, n, "reported_at before period_end")
    key = (d["fiscal_year"], d["fiscal_quarter"], d["basis"])
    if d["segment"] in groups[key]:
        bad(f, n, f"duplicate {key} {d['segment']}")
    groups[key][d["segment"]] = int(d["revenue_usd_m"])

print("Segment sums (segments vs Total, USD m):")
QORD = {"Q1": 1, "Q2": 2, "Q3": 3, "Q4": 4, "FY": 5}
for key, segs in sorted(groups.items(), key=lambda kv: (kv[0][0], QORD.get(kv[0][1], 9), kv[0][2])):
    if all(s in segs for s in SEGMENTS):
        diff = sum(segs[s] for s in SEGMENTS[:3]) - segs["Total"]
        flag = "OK" if abs(diff) <= 100 else "FAIL"
        print(f"  {key[0]} {key[1]} {key[2]:<11} sum-total = {diff:+d} {flag}")
        if abs(diff) > 100:
            bad("segment_revenue.csv", "-", f"{key}: segments differ from Total by {diff}")
    else:
        print(f"  {key[0]} {key[1]} {key[2]:<11} (Total only)")


def seg(fy, q, basis, s):
    return groups[(fy, q, basis)].get(s)


for (fy, q, b, s, want) in [("2025", "Q2", "as_reported", "Total", 69632),
                            ("2024", "Q4", "recast", "Productivity and Business Processes", 28627),
                            ("2024", "Q4", "as_reported", "Productivity and Business Processes", 20300)]:
    got = seg(fy, q, b, s)
    print(f"Anchor FY{fy} {q} {b} {s}: {got} (expected {want})")
    if got != want:
        bad("segment_revenue.csv", "-", f"anchor FY{fy} {q} {b} {s} = {got}, expected {want}")

# ---- kpi_catalog / kpi
catalog = {}
for n, d in files["kpi_catalog.csv"]:
    f = "kpi_catalog.csv"
    if not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", d["kpi_id"]):
        bad(f, n, f"kpi_id {d['kpi_id']!r} not snake_case")
    if d["indicator"] not in INDICATORS:
        bad(f, n, f"indicator {d['indicator']!r}")
    if d["unit"] not in UNITS:
        bad(f, n, f"unit {d['unit']!r}")
    if d["higher_is_better"] not in {"true", "false"}:
        bad(f, n, f"higher_is_better {d['higher_is_better']!r}")
    if d["unit"] == "rank" and d["higher_is_better"] != "false":
        bad(f, n, "rank must have higher_is_better false")
    if d["kpi_id"] in catalog:
        bad(f, n, f"duplicate kpi_id {d['kpi_id']}")
    catalog[d["kpi_id"]] = d

used = set()
seen = set()
for n, d in files["kpi.csv"]:
    f = "kpi.csv"
    kid = d["kpi_id"]
    used.add(kid)
    if kid not in catalog:
        bad(f, n, f"kpi_id {kid!r} not in kpi_catalog.csv")
        continue
    if not (is_date(d["period_end"]) and is_date(d["reported_at"])):
        bad(f, n, "bad date")
    if not is_num(d["value"]):
        bad(f, n, f"value {d['value']!r} not a plain number")
        continue
    if d["qualifier"] not in QUALIFIERS:
        bad(f, n, f"qualifier {d['qualifier']!r}")
    if d["reported_at"] < d["period_end"] and d["qualifier"] not in {"guidance", "on track to surpass"}:
        bad(f, n, "reported_at before period_end")
    unit, v = catalog[kid]["unit"], Decimal(d["value"])
    if unit == "flag" and v not in (0, 1):
        bad(f, n, "flag value must be 0 or 1")
    if unit in {"rank", "count"} and (v != v.to_integral_value() or v < 0):
        bad(f, n, f"{unit} value must be a non-negative integer")
    if unit in {"pct", "million", "billion", "trillion_tokens", "x", "seconds", "tops",
                "usd_per_hour"} and v < 0:
        bad(f, n, f"negative value for unit {unit}")
    if unit == "pct" and v > 100:
        bad(f, n, "pct above 100")
    key = (kid, d["period_end"])
    if key in seen:
        bad(f, n, f"duplicate (kpi_id, period_end) {key}")
    seen.add(key)
for kid in set(catalog) - used:
    bad("kpi_catalog.csv", "-", f"{kid} not used in kpi.csv")

# ---- milestone
ids = set()
for n, d in files["milestone.csv"]:
    f = "milestone.csv"
    if d["id"] in ids:
        bad(f, n, f"duplicate id {d['id']}")
    ids.add(d["id"])
    if not is_date(d["date"]):
        bad(f, n, "bad date")
    if d["date_precision"] not in {"day", "month", "year"}:
        bad(f, n, f"date_precision {d['date_precision']!r}")
    if d["date_precision"] == "month" and not d["date"].endswith("-01"):
        bad(f, n, "month precision must use the first day of the month")
    if d["date_precision"] == "year" and not d["date"].endswith("-01-01"):
        bad(f, n, "year precision must use January 1")
    if d["indicator"] not in INDICATORS:
        bad(f, n, f"indicator {d['indicator']!r}")

# ---- leaderboard
for n, d in files["leaderboard.csv"]:
    f = "leaderboard.csv"
    if not is_date(d["observed_at"]):
        bad(f, n, "bad date")
    if d["value"] and not is_num(d["value"]):
        bad(f, n, "value not numeric")
    if d["rank"] and not d["rank"].isdigit():
        bad(f, n, "rank not an integer")
    if not d["value"] and not d["rank"]:
        bad(f, n, "neither value nor rank")

print()
for name, rows in files.items():
    print(f"{name}: {len(rows)} rows")
print()
if problems:
    print("\n".join(problems))
    sys.exit(1)
print("All checks passed.")
