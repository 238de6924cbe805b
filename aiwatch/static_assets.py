"""Streamlit's own frontend files (``/static/...``), served from memory by server.py.

Under ``st.App`` (uvicorn + Starlette) Streamlit streams each file from disk in 64 KiB chunks
through worker threads, uncompressed. A first load fetches about 150 of them (~6 MB) while
the page's script runs, and on the bench machine that made a first load ~0.5 s slower than
the same page under ``streamlit run app.py`` (Tornado). This ASGI middleware answers those
requests itself: each file is read once, gzipped once, and sent in one piece.

Only exact paths of files that exist under Streamlit's ``static/static`` folder are answered
(a lookup in a set made at start-up: no path from a request touches the file system); every
other request goes on to Streamlit unchanged. The files are content-hashed, so they are
cached for a year, as Streamlit itself marks them.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import mimetypes
import threading
from pathlib import Path

MAX_AGE = 365 * 24 * 60 * 60
MIN_GZIP_BYTES = 1024
_COMPRESSIBLE = (".js", ".css", ".json", ".svg", ".map", ".txt", ".html", ".mjs")


def _static_dir() -> Path:
    """Streamlit's frontend build, found without importing Streamlit (only aiwatch/ui does)."""
    spec = importlib.util.find_spec("streamlit")
    return Path(spec.origin).parent / "static" / "static"


class StaticAssets:
    """ASGI middleware: GET/HEAD of ``{base}/static/<file>`` from memory, else pass through."""

    def __init__(self, app, directory: Path | None = None, base_path: str = "") -> None:
        """``base_path``: Streamlit's ``server.baseUrlPath`` (server.py passes it)."""
        self.app = app
        self.directory = directory or _static_dir()
        self.files = {"/" + p.relative_to(self.directory).as_posix()
                      for p in self.directory.rglob("*") if p.is_file()}
        base = (base_path or "").strip("/")
        self.prefix = (f"/{base}" if base else "") + "/static"
        self._cache: dict[str, tuple[bytes, bytes | None, str, str]] = {}
        self._lock = threading.Lock()

    def _load(self, rel: str) -> tuple[bytes, bytes | None, str, str]:
        found = self._cache.get(rel)
        if found is None:
            body = (self.directory / rel.lstrip("/")).read_bytes()
            media = mimetypes.guess_type(rel)[0] or "application/octet-stream"
            if media.startswith("text/") or media.endswith(("javascript", "json", "xml")):
                media += "; charset=utf-8"
            zipped = (gzip.compress(body, 6, mtime=0)
                      if rel.endswith(_COMPRESSIBLE) and len(body) >= MIN_GZIP_BYTES else None)
            etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            found = (body, zipped, media, etag)
            with self._lock:
                self._cache[rel] = found
        return found

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        rel = path[len(self.prefix):] if path.startswith(self.prefix + "/") else None
        if rel is None or rel not in self.files or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        body, zipped, media, etag = self._load(rel)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        out = [(b"content-type", media.encode()), (b"etag", etag.encode()), (b"vary", b"Accept-Encoding"),
               (b"cache-control", f"public, immutable, max-age={MAX_AGE}".encode()),
               (b"x-content-type-options", b"nosniff")]
        if headers.get("if-none-match") == etag:
            await send({"type": "http.response.start", "status": 304, "headers": out})
            await send({"type": "http.response.body", "body": b""})
            return
        if zipped is not None and "gzip" in headers.get("accept-encoding", ""):
            body = zipped
            out.append((b"content-encoding", b"gzip"))
        out.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
