"""Data text is text: the one place that turns a data string into Markdown, and builds links.

Streamlit renders Markdown almost everywhere (``st.markdown``, captions, titles, notices,
metric labels, ``help=`` tooltips, widget ``format_func`` labels). A cell from ``data/`` or a
value quoted in an error message must never become a link, an image, a colour directive or
an autolink there. Two helpers, used by every page and by the UI package:

- ``esc(value)``: the value as literal text. Every ASCII punctuation character is
  backslash-escaped (CommonMark allows that for all of them), which defuses ``[..](..)``,
  ``![..](..)``, ``<..>``, ``:color[..]`` directives, ``$..$`` LaTeX, emphasis and headings.
  GFM autolinks are found after parsing, escapes or not, so an invisible word joiner goes
  inside ``http``/``ftp``/``www`` and after ``@``. Line breaks become spaces, so a value
  cannot start a block of its own.
- ``link(label, url)``: a Markdown link, only when ``url`` passes ``safe_url`` (a plain
  http(s) URL with a host and none of the characters that could end the link target);
  otherwise the escaped label alone.

No Streamlit here: pure functions, tested in tests/test_text.py.
"""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit

import pandas as pd

_PUNCT = frozenset(string.punctuation)
_BREAKS = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# GFM autolinks are found in the text after parsing, escapes or not: a word joiner (U+2060,
# invisible) inside "http", "ftp", "www" and after "@" breaks the patterns it looks for.
_AUTOLINK = re.compile(r"(?i)(?<![a-z0-9])(https?|ftp|mailto|www)")
_JOINER = "\u2060"
# Characters a stored URL may not hold (load.py rejects them too): they could end a Markdown
# link target early, open an HTML tag or an attribute, or hide what the link really is.
URL_FORBIDDEN = re.compile(r"[\s()\[\]<>\"'`\\\x00-\x1f\x7f]")


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def esc(value: object) -> str:
    """``value`` as literal Markdown text (empty for None / NaN)."""
    if _missing(value):
        return ""
    text = _CONTROL.sub(" ", _BREAKS.sub(" ", str(value)))
    text = _AUTOLINK.sub(lambda m: m.group(1)[0] + _JOINER + m.group(1)[1:], text).replace("@", "@" + _JOINER)
    return "".join("\\" + ch if ch in _PUNCT else ch for ch in text)


def safe_url(url: object) -> str | None:
    """``url`` when it is a plain absolute http(s) URL with a host, else None."""
    if _missing(url) or not isinstance(url, str) or not url or URL_FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def url_problem(url: str) -> str | None:
    """Why ``url`` is not accepted as a source address (None when it is)."""
    if URL_FORBIDDEN.search(url):
        bad = URL_FORBIDDEN.search(url).group(0)
        shown = {" ": "a space", "\t": "a tab"}.get(bad, repr(bad))
        return f"an http(s) URL without spaces, quotes, brackets or control characters (found {shown})"
    if safe_url(url) is None:
        return "an absolute http:// or https:// URL with a host"
    return None


def link(label: object, url: object) -> str:
    """A Markdown link to ``url`` with the escaped ``label``; the label alone for an unsafe URL."""
    target = safe_url(url)
    text = esc(label)
    return f"[{text}]({target})" if target else text


def source_link(url: object, label: str = "source", kind: object = None) -> str:
    """The page's usual ``[source](url)``, with the kind of source after it when known."""
    shown = link(label, url)
    return f"{shown} ({esc(kind)})" if not _missing(kind) and str(kind) else shown


def code(value: object, limit: int = 200) -> str:
    """A value quoted in a message, as an inline code span (rendered literally), cut to ``limit``."""
    text = "" if _missing(value) else _CONTROL.sub(" ", _BREAKS.sub(" ", str(value)))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.strip():
        return "(empty)"
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
