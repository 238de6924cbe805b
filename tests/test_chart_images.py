"""Every chart on every page can be saved as SVG and PNG: the links beneath each chart, and the
read-only route that renders them (api/v1/charts/TOKEN.svg|.png, aiwatch/api.py)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import altair as alt
import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from aiwatch import api, chart_images, store
from tests.conftest import ROOT, go_to, use_env
from tests.test_market import synthetic_prices, write_prices
from tests.test_scorecard import make_indicator_cfg

LINK_RE = re.compile(r"\[SVG\]\(api/v1/charts/([A-Za-z0-9_-]+)\.svg\) · \[PNG\]\(api/v1/charts/\1\.png\)")
PAGES = ["", "mai_progress", "consumer_ai", "api_adoption", "openai_dependence", "financials", "market", "data"]


def tiny_chart() -> alt.Chart:
    df = pd.DataFrame({"quarter": ["FY25 Q1", "FY25 Q2"], "value": [1.5, 2.5]})   # synthetic
    return alt.Chart(df, title="Synthetic test chart").mark_bar().encode(x="quarter:N", y="value:Q")


@pytest.fixture
def client():
    return TestClient(Starlette(routes=api.routes()))


def test_a_held_chart_comes_back_as_svg_and_png(client):
    token = chart_images.hold(tiny_chart(), "msft-ai-watch-financials Segment revenue / as-of 2025-03-07")
    r = client.get(f"/api/v1/charts/{token}.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.headers["content-disposition"] == ('attachment; filename="msft-ai-watch-financials-segment-'
                                                'revenue-as-of-2025-03-07.svg"')
    assert "default-src 'none'" in r.headers["content-security-policy"]
    svg = ET.fromstring(r.content)   # well-formed XML; the text stays text
    assert svg.tag.endswith("svg") and "Synthetic test chart" in r.text and "FY25 Q2" in r.text
    r = client.get(f"/api/v1/charts/{token}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    head = client.head(f"/api/v1/charts/{token}.png")
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 1000


@pytest.mark.parametrize("name", ["AAAAAAAAAAAAAAAAAAAAAA.svg", "x.svg", "../../etc/passwd", "%2e%2e%2fx.svg",
                                  "A" * 5000 + ".svg", "AAAAAAAAAAAAAAAAAAAAAA.gif", "' or 1=1 --.png"])
def test_unknown_or_malformed_chart_paths_are_404(client, name):
    r = client.get(f"/api/v1/charts/{name}")
    assert r.status_code == 404 and r.json()["error"]["message"]   # a JSON answer, never a file or a 500


def test_chart_images_are_read_only(client):
    token = chart_images.hold(tiny_chart(), "t")
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = client.request(method, f"/api/v1/charts/{token}.svg")
        assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


def test_the_oldest_charts_are_let_go(monkeypatch):
    monkeypatch.setattr(chart_images, "HELD", 3)
    monkeypatch.setattr(chart_images, "_held", type(chart_images._held)())
    tokens = [chart_images.hold(tiny_chart(), str(i)) for i in range(4)]
    assert chart_images.held(tokens[0]) is None and all(chart_images.held(t) for t in tokens[1:])


def test_file_names_are_safe():
    assert chart_images.file_stem("Market: MSFT vs ^GSPC <b>") == "market-msft-vs-gspc-b"
    assert chart_images.file_stem('../"; rm -rf /') == "rm-rf"
    assert chart_images.file_stem("") == "chart" and len(chart_images.file_stem("x" * 500)) == 80


def test_without_the_api_a_chart_has_no_dead_links(tmp_path, monkeypatch):
    """`streamlit run app.py` serves no api/v1/charts route, so the pages link to none."""
    cfg = make_indicator_cfg(tmp_path)
    store.build(cfg)
    use_env(monkeypatch, cfg)
    monkeypatch.setattr(chart_images, "links_served", False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert at.get("vega_lite_chart") and not [c for c in at.caption if "api/v1/charts" in c.value]


def test_every_chart_on_every_page_links_to_its_own_images(tmp_path, monkeypatch):
    cfg = make_indicator_cfg(tmp_path)
    write_prices(cfg, synthetic_prices())
    store.build(cfg)
    use_env(monkeypatch, cfg)
    monkeypatch.setattr(chart_images, "links_served", True)
    client = TestClient(Starlette(routes=api.routes()))
    seen = 0
    for path in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        go_to(at, path).run()
        assert [e.value for e in at.exception] == []
        drawn = at.get("vega_lite_chart")
        tokens = [m.group(1) for c in at.caption if (m := LINK_RE.search(c.value))]
        assert len(tokens) == len(drawn), path   # one pair of links per chart
        for element, token in zip(drawn, tokens):
            held, stem = chart_images.held(token)
            assert stem.startswith(chart_images.file_stem("msft-ai-watch-" + (path or "overview")))
            shown = json.loads(element.proto.spec)
            kept = held.to_dict()
            # the image is of the chart beside its link: same marks, same encodings
            assert _marks(kept) == _marks(shown), path
        r = client.get(f"/api/v1/charts/{tokens[0]}.svg") if tokens else None
        if r is not None:
            assert r.status_code == 200 and ET.fromstring(r.content).tag.endswith("svg")
        seen += len(tokens)
    assert seen >= 15   # every page with charts was visited


def _marks(spec: dict) -> list:
    """The mark types and encoded fields of a (layered, concatenated) Vega-Lite spec."""
    found = []
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []):
            found += _marks(sub)
    if "mark" in spec:
        mark = spec["mark"]
        enc = spec.get("encoding", {})
        found.append((mark if isinstance(mark, str) else mark.get("type"),
                      sorted((k, v.get("field", "")) for k, v in enc.items() if isinstance(v, dict))))
    return found


def test_an_image_file_gets_a_width_where_the_page_stretched_the_chart():
    spec = chart_images.as_file(tiny_chart().properties(width="container"))
    assert spec["width"] == chart_images.FILE_WIDTH and spec["background"] == "white"
    assert chart_images.as_file(tiny_chart().properties(width=300))["width"] == 300
    both = chart_images.as_file(alt.hconcat(tiny_chart(), tiny_chart()))
    assert "width" not in both   # concatenated charts keep their own widths
