"""Data text is text: Markdown, HTML and autolinks in data cells never become images or links.

Every page through AppTest on the synthetic overlay with hostile cells: every string the page
hands to Streamlit as Markdown (markdown, captions, titles, headers, notices, metric labels and
tooltips) is checked for an unescaped image, link, HTML tag, autolink or colour directive."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, edit_csv, go_to, use_env
from tests.test_scorecard import make_indicator_cfg

APP = str(ROOT / "app.py")
PIXEL = "![x](http://host.example/pixel.gif)"
LINK = "[Read](https://evil.example)"
HTML = "<img src=http://host.example/h.gif>"
AUTO = "https://auto.example/x www.auto.example"
PAYLOAD = f"{PIXEL} {LINK} {HTML} {AUTO} :red[alarm] $x$"
PAGES = ["", "mai_progress", "consumer_ai", "api_adoption", "openai_dependence", "financials", "market", "data"]


def hostile_cfg(tmp_path):
    cfg = make_indicator_cfg(tmp_path)
    d = cfg.data_dir
    for file, column in (("milestone.csv", "title"), ("milestone.csv", "detail"), ("kpi_catalog.csv", "label"),
                         ("kpi_catalog.csv", "description"), ("indicator.csv", "name"),
                         ("indicator.csv", "question"), ("thesis.csv", "statement"), ("thesis.csv", "thesis"),
                         ("kpi.csv", "note"), ("indicator_rule.csv", "explanation"), ("indicator_rule.csv", "title"),
                         ("leaderboard.csv", "note"), ("ticker.csv", "name")):
        lines = len((d / file).read_text().splitlines())
        for line in range(2, lines + 1):
            edit_csv(d / file, line, column, f"{PAYLOAD} {line}")
    return cfg


# An unescaped Markdown image or link, an HTML tag, a bare URL or www. host, a colour directive.
DANGER = [re.compile(p) for p in (r"(?<!\\)!\[", r"(?<!\\)\]\((?!https://example\.test/)", r"(?<!\\)<[a-z]",
                                  r"(?<!\\)https?(?<!\\):(?!//example\.test/)", r"(?<!\\)www(?<!\\)\.",
                                  r"(?<!\\):red(?<!\\)\[")]


def markdown_strings(at) -> list[str]:
    out = [e.value for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning",
                                "error", "success") for e in at.get(kind)]
    for m in at.metric:
        out += [m.label, m.proto.help or ""]
    for e in at.get("markdown"):
        out.append(getattr(e.proto, "help", "") or "")
    return out


@pytest.mark.parametrize("page", PAGES)
def test_hostile_text_in_data_is_shown_as_text(tmp_path, monkeypatch, page):
    cfg = hostile_cfg(tmp_path)
    use_env(monkeypatch, cfg)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    go_to(at, page).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = markdown_strings(at)
    assert any("pixel" in t for t in texts) or page in ("market", "data", "financials"), page
    bad = [(p.pattern, t) for t in texts for p in DANGER if p.search(t)]
    assert bad == [], bad[:5]
