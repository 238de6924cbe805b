"""Pure helpers shared by the watch-indicator pages: text for KPI cards, safe markdown.

No Streamlit here (pages call these and pass the result to ``st.metric`` / ``st.markdown``),
so every rule about what a card says is testable without running a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from .text import esc, source_link

# How each scorecard status is shown; the status itself always comes from queries/scorecard_rules.sql.
STATUS_STYLE = {
    "on track": ("green", ":material/check_circle:"),
    "mixed": ("orange", ":material/change_circle:"),
    "lagging": ("red", ":material/cancel:"),
    "unknown": ("gray", ":material/help:"),
}
# Evidence kinds are told apart on every page: a claim is not a measurement.
EVIDENCE_BADGES = {
    "measurement": ":blue-badge[:material/straighten: Measured]",
    "company statement": ":orange-badge[:material/campaign: Company claim]",
    "press report": ":violet-badge[:material/newspaper: Press report]",
    "announcement": ":gray-badge[:material/event: Announced]",
}


def md(text: object) -> str:
    """Data text made safe for st.markdown (see aiwatch.text.esc): literal text, never markup."""
    return esc(text)


def status_badge(status: str) -> str:
    """Markdown badge for a scorecard status: colour and icon, and the word itself."""
    color, icon = STATUS_STYLE.get(status, STATUS_STYLE["unknown"])
    return f":{color}-badge[{icon} {status}]"


def _present(value: object) -> bool:
    """False for None, NaN, NaT and pd.NA (what a missing cell comes back as)."""
    if value is None:
        return False
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or other non-scalar is a value
        return True


def day(value: object) -> str:
    """A date as YYYY-MM-DD ('—' when missing)."""
    return pd.Timestamp(value).strftime("%Y-%m-%d") if _present(value) else "—"


def metric_args(row: Mapping) -> dict:
    """Arguments for st.metric from one row of queries/kpi_latest.sql.

    The value keeps Microsoft's own qualifier ('surpassed $13bn'); the delta compares with the
    previous published value of the same KPI; the description names both periods. The label is
    the catalog label alone, so it fits a card.
    """
    has_delta = _present(row.get("delta_text"))
    kind = row.get("source_kind")
    lines = [esc(f"{row['label']}, {row['period_label']}: {row['value_text']}. "
                 f"Published {day(row['reported_at'])}.") + " " + source_link(row["source_url"], "Source", kind)]
    if has_delta:
        lines.append(esc(f"Previous: {row['prev_value_text']} ({row['prev_period_label']})."))
    if _present(row.get("note")):
        lines.append(esc(f"Note: {row['note']}"))
    return {
        "label": esc(row["label"]),
        "value": row["value_text"],
        "delta": row["delta_text"] if has_delta else None,
        "delta_color": "normal" if row["higher_is_better"] else "inverse",
        "delta_description": (f"{row['period_label']} vs {row['prev_period_label']}" if has_delta
                              else f"{row['period_label']} · first published figure"),
        "help": "  \n".join(lines),
    }


def not_disclosed_args(label: str, as_of: date, latest: date) -> dict:
    """Arguments for st.metric when a KPI has no published figure (yet): say so, never guess."""
    when = "yet" if as_of >= latest else f"by {as_of:%Y-%m-%d}"
    return {"label": esc(label), "value": "not disclosed",
            "help": esc(f"No figure for {label} had been published {when}; nothing is estimated.")}


def as_of_notice(as_of: date, latest: date) -> str | None:
    """The sentence a page shows when it is restricted to an earlier date (None for latest)."""
    if as_of >= latest:
        return None
    return (f"As of **{as_of:%Y-%m-%d}**: this page shows only what had been published by then "
            "(figures by their publication date, milestones once their date had passed, "
            "leaderboard standings by their observation date).")


def rule_markdown(rule: Mapping) -> tuple[str, str]:
    """(headline, details) for one row of queries/scorecard_rules.sql.

    The headline has the status badge, the rule's title and its value ('unknown' when an input
    is missing); the details give the thresholds, why a status is unknown, and every input with
    its publication date and source link.
    """
    shown = rule["value_text"] if _present(rule["value_text"]) else "unknown"
    headline = f"{status_badge(rule['status'])} **{md(rule['title'])}:** {md(shown)}"
    lines = [f"Rule: {md(rule['rule_text'])}"]
    if _present(rule["reason"]):
        lines.append(f"Why unknown: {md(rule['reason'])}")
    for side in ("a", "b"):
        if _present(rule[f"input_{side}"]):
            lines.append(f"Input: {md(rule[f'input_{side}'])} — published {day(rule[f'input_{side}_date'])}, "
                         + source_link(rule[f"input_{side}_source"], kind=rule.get(f"input_{side}_source_kind")))
    return headline, "  \n".join(lines)


def scorecard_inputs(rules: pd.DataFrame) -> pd.DataFrame:
    """The scorecard in long form for a sources table: one row per rule input (one per unknown rule)."""
    parts = [rules.assign(input=rules[f"input_{s}"], published=rules[f"input_{s}_date"],
                          source_url=rules[f"input_{s}_source"]) for s in ("a", "b")]
    long = pd.concat(parts, ignore_index=True)
    keep = long["input"].notna() | ((long["status"] == "unknown") & long["input_a"].isna())
    long = long[keep].drop_duplicates(subset=["rule_id", "input"])
    return long.sort_values(["indicator_order", "sort_order", "rule_id"], kind="stable").reset_index(drop=True)


SCORECARD_COLUMNS = ["indicator_name", "title", "status", "value_text", "rule_text", "reason", "input",
                     "published", "source_url"]
SCORECARD_LABELS = {"indicator_name": "Indicator", "title": "Rule", "value_text": "Value",
                    "rule_text": "Thresholds", "reason": "Why unknown", "published": "Input published"}


def table(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: date columns (datetimes that are all midnight) as 'YYYY-MM-DD' text.

    st.dataframe would print '2025-01-29 00:00:00'; a publication date has no time of day.
    """
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            values = out[col].dropna()
            if (values == values.dt.normalize()).all():
                out[col] = [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in out[col]]
    return out
