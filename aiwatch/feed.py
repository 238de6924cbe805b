"""The Atom feed at /feed.atom: what was published and what changed (generated with feedgen).

Entries:
- one per milestone, per KPI figure and per segment quarter (and basis), from
  queries/feed_entries.sql, dated the day the fact became public (as on the pages);
- one per watch indicator whose scorecard status this build changed against the build it
  replaced ("OpenAI dependence: mixed → lagging"), dated at this build. The previous status is
  the same rules (queries/scorecard_rules.sql) applied to the facts of the previous store, which
  every build keeps in its prev_* tables.

Ids are tag URIs made of each fact's own key, so they stay the same across builds; a status
change's id names the two builds. Links: rel=alternate to the dashboard page that shows the
fact (a shared link with ``as_of`` = the day it was published), rel=related to the source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pandas as pd
from feedgen.feed import FeedGenerator

from . import queries
from .store import SCHEMA

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FILTERS = ("indicator",)
TAG = "tag:ai-watch.invalid,2025:"   # ".invalid" is reserved: the ids name no one's domain
MAX_ENTRIES = 500
LATEST = date(9999, 12, 31)
# Where the dashboard shows each kind of entry: the page's url_path (app.py). Milestones and
# figures are shown on their indicator's page, whose url_path is the indicator id.
PAGE_OF_KIND = {"segment quarter": "financials", "scorecard": ""}


def page_link(base: str, page: str, as_of: date | None) -> str:
    """A shared link to a dashboard page as of a day (the view a reader saw then)."""
    query = f"?{urlencode({'as_of': as_of.isoformat()})}" if as_of else ""
    return f"{base}/{page}{query}" if page else f"{base}/{query}"


def _utc(d) -> datetime:
    ts = pd.Timestamp(d)
    if isinstance(d, date) and not isinstance(d, datetime):
        return datetime.combine(d, time(0), tzinfo=UTC)
    return ts.to_pydatetime().replace(tzinfo=UTC) if ts.tzinfo is None else ts.to_pydatetime()


# --- scorecard status changes between builds ------------------------------------------------------

PREVIOUS_FACTS = Path(__file__).with_name("previous_facts.sql")
# From schema.sql, what the query needs besides tables: its macros and the milestone_known view.
SCHEMA_HELPERS = re.compile(r"^\s*create\s+(macro|view\s+milestone_known)\b", re.IGNORECASE)


def _previous_scorecard(db_path: str) -> pd.DataFrame:
    """queries/scorecard_rules.sql on the previous build's facts (latest, no as-of date).

    A scratch in-memory database attaches the store read-only, defines views named like the
    store's tables over its prev_* copies (aiwatch/previous_facts.sql), plus the schema's macros
    and milestone_known view: the query file runs unchanged.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute("attach $path as store (read_only)", {"path": db_path})
        for stmt in duckdb.extract_statements(PREVIOUS_FACTS.read_text(encoding="utf-8")):
            con.execute(stmt.query)
        for stmt in duckdb.extract_statements(SCHEMA.read_text(encoding="utf-8")):
            if SCHEMA_HELPERS.match(stmt.query):
                con.execute(stmt.query)
        return queries.run(con, "scorecard_rules", as_of=LATEST)
    finally:
        con.close()


def status_changes(con, db_path: str | None) -> list[dict]:
    """One entry per indicator whose status differs from the previous build's.

    Empty for a first build, for a previous store that could not be read, or without a path
    to the store (a remote store keeps prev_* too, but is not attached here).
    """
    prev = queries.run(con, "changes_previous_build")
    if prev.empty or prev["previous_outcome"].iloc[0] != "ok" or not db_path or not Path(db_path).exists():
        return []
    built_at, previous_built_at = prev["built_at"].iloc[0], prev["previous_built_at"].iloc[0]
    now = queries.run(con, "scorecard_rules", as_of=LATEST)
    before = _previous_scorecard(db_path)
    was = before.groupby("indicator")["indicator_status"].first().to_dict()
    rule_was = dict(zip(before["rule_id"], before["status"]))
    out = []
    for indicator, group in now.groupby("indicator", sort=False):
        first = group.iloc[0]
        old, new = was.get(indicator), first["indicator_status"]
        if old is None or old == new:
            continue
        rules = [f"{r['title']}: {rule_was.get(r['rule_id'], 'new rule')} → {r['status']} "
                 f"({r['value_text'] if isinstance(r['value_text'], str) else r['reason']})"
                 for _, r in group.iterrows() if rule_was.get(r["rule_id"]) != r["status"]]
        sources = [s for s in group["input_a_source"].tolist() + group["input_b_source"].tolist()
                   if isinstance(s, str)]
        stamp = pd.Timestamp(built_at).strftime("%Y%m%dT%H%M%S%f")
        prev_stamp = pd.Timestamp(previous_built_at).strftime("%Y%m%dT%H%M%S%f")
        out.append({
            "entry_key": f"scorecard/{indicator}/{prev_stamp}-{stamp}",
            "kind": "scorecard",
            "indicator": indicator,
            "indicator_name": first["indicator_name"],
            "published_at": pd.Timestamp(built_at).to_pydatetime(),
            "title": f"{first['indicator_name']}: {old} → {new}",
            "summary": (f"The scorecard status of {first['indicator_name']} changed from {old} to {new} by "
                        f"the build of {pd.Timestamp(built_at):%Y-%m-%d %H:%M} UTC (previous build "
                        f"{pd.Timestamp(previous_built_at):%Y-%m-%d %H:%M} UTC). " + " ".join(
                            f"{r}." for r in rules)),
            "source_url": sources[0] if sources else None,
        })
    return out


# --- the feed ---------------------------------------------------------------------------------------

def entries(con, params: Mapping, db_path: str | None) -> list[dict]:
    """Every entry for the parameters (as_of, indicators), newest first, at most MAX_ENTRIES."""
    as_of, indicators = params["as_of"], list(params.get("indicators") or [])
    rows = queries.run(con, "feed_entries", as_of=as_of, indicators=indicators).to_dict(orient="records")
    for c in status_changes(con, db_path):
        if (not indicators or c["indicator"] in indicators) and c["published_at"].date() <= as_of:
            rows.append(c)
    rows.sort(key=lambda r: (_utc(r["published_at"]), r["entry_key"]), reverse=True)
    return rows[:MAX_ENTRIES]


def atom(con, params: Mapping, base: str, self_url: str, db_path: str | None = None) -> bytes:
    """The feed as Atom 1.0 XML. ``base``: the dashboard's URL (scheme, host, path prefix)."""
    if db_path is None:
        from .config import load_config
        cfg = load_config()
        db_path = str(cfg.db_path) if cfg.db_is_local else None
    thesis = queries.run(con, "overview_thesis")
    info = queries.run(con, "data_as_of")
    built_at = _utc(info["built_at"].iloc[0]) if len(info) else datetime.now(UTC)
    indicators = list(params.get("indicators") or [])
    fg = FeedGenerator()
    suffix = ("?" + urlencode({"indicator": ",".join(indicators)})) if indicators else ""
    fg.id(f"{TAG}feed{suffix}")
    question = thesis["thesis"].iloc[0] if len(thesis) else "AI Watch"
    fg.title(f"AI Watch: {question}")
    fg.subtitle(thesis["statement"].iloc[0] if len(thesis) else "Sourced figures and milestones")
    fg.author({"name": "AI Watch (figures as published by their sources)"})
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=page_link(base, "", None), rel="alternate", type="text/html")
    fg.language("en")
    fg.generator("feedgen")
    rows = entries(con, params, db_path)
    links: dict[str, list[dict]] = {}
    fg.updated(max([_utc(r["published_at"]) for r in rows], default=built_at))
    for r in reversed(rows):   # feedgen writes the entries it was given last first
        fe = fg.add_entry()
        entry_id = TAG + r["entry_key"]
        fe.id(entry_id)
        fe.title(r["title"])
        published = _utc(r["published_at"])
        fe.published(published)
        fe.updated(published)
        fe.summary(r["summary"], type="text")
        page = PAGE_OF_KIND.get(r["kind"], r.get("indicator") or "")
        day = published.date() if r["kind"] != "scorecard" else None
        links[entry_id] = [{"href": page_link(base, page, day), "rel": "alternate", "type": "text/html",
                            "title": "dashboard"}]
        if isinstance(r.get("source_url"), str) and r["source_url"]:
            links[entry_id].append({"href": r["source_url"], "rel": "related", "title": "source"})
        for link in links[entry_id]:
            fe.link(**link)
        if isinstance(r.get("indicator_name"), str):
            fe.category(term=r["indicator"], label=r["indicator_name"])
        fe.category(term=r["kind"].replace(" ", "_"), label=r["kind"])
    return _restore_entry_links(fg.atom_str(pretty=False), links)


ATOM_NS = "{http://www.w3.org/2005/Atom}"


def _restore_entry_links(xml: bytes, links: Mapping[str, list[dict]]) -> bytes:
    """Write each entry's link attributes (rel, type, title) that feedgen 1.0.0 drops.

    feedgen 1.0.0 writes only ``href`` for an entry's links (lkiesow/python-feedgen#135), so
    the source link would read as a second rel="alternate", which Atom forbids. The links are
    put back in the order they were given, keyed by the entry's id.
    """
    from lxml import etree

    root = etree.fromstring(xml)
    for entry in root.iter(f"{ATOM_NS}entry"):
        wanted = links.get(entry.findtext(f"{ATOM_NS}id") or "", [])
        for element, link in zip(entry.findall(f"{ATOM_NS}link"), wanted):
            for key, value in link.items():
                element.set(key, value)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
