"""server.py serves Streamlit's frontend files from memory (aiwatch/static_assets.py): the same
bytes as on disk, gzipped when asked, cached as immutable; anything else goes on to Streamlit."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from aiwatch.static_assets import StaticAssets


@pytest.fixture
def assets(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "main.abc123.js").write_text("console.log('synthetic test bundle');\n" * 100)
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "font.woff2").write_bytes(b"\x00\x01synthetic" * 200)

    def fallback(request):
        return PlainTextResponse(f"streamlit: {request.url.path}")

    app = Starlette(routes=[Route("/{rest:path}", fallback, methods=["GET", "HEAD", "POST"])],
                    middleware=[Middleware(StaticAssets, directory=tmp_path, base_path="")])
    return tmp_path, TestClient(app)


def test_a_bundle_comes_from_memory_gzipped_and_immutable(assets):
    folder, client = assets
    r = client.get("/static/js/main.abc123.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.content == (folder / "js" / "main.abc123.js").read_bytes()   # httpx unzips it
    assert r.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    assert r.headers["cache-control"] == "public, immutable, max-age=31536000"
    again = client.get("/static/js/main.abc123.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    plain = client.get("/static/js/main.abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == r.content
    font = client.get("/static/media/font.woff2", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in font.headers and font.content == (folder / "media" / "font.woff2").read_bytes()
    head = client.head("/static/js/main.abc123.js")
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize("path", ["/static/js/nope.js", "/static/../secret.txt", "/static/js/%2e%2e/x",
                                  "/static/", "/", "/market", "/api/v1/tables", "/static/js/main.abc123.js/"])
def test_every_other_path_goes_on_to_streamlit(assets, path):
    _, client = assets
    r = client.get(path)
    assert r.text.startswith("streamlit: ")


def test_only_get_and_head_are_answered(assets):
    _, client = assets
    assert client.post("/static/js/main.abc123.js").text.startswith("streamlit: ")


def test_under_a_base_path(tmp_path):
    (tmp_path / "a.js").write_text("x" * 2000)
    app = Starlette(routes=[Route("/{rest:path}", lambda r: PlainTextResponse("streamlit"))],
                    middleware=[Middleware(StaticAssets, directory=tmp_path, base_path="/watch/")])
    client = TestClient(app)
    assert client.get("/watch/static/a.js").text == "x" * 2000
    assert client.get("/static/a.js").text == "streamlit"


def test_the_real_static_folder_has_the_frontend():
    from aiwatch.static_assets import _static_dir

    files = StaticAssets(lambda *a: None, base_path="").files
    assert any(f.startswith("/js/") and f.endswith(".js") for f in files)
    assert _static_dir().is_dir()
