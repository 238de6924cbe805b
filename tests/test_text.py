"""The text helpers: data strings are literal text in Markdown, links only from safe URLs."""

import pytest

from aiwatch.text import code, esc, link, safe_url, source_link, url_problem


@pytest.mark.parametrize("payload", [
    "![x](http://host/pixel.gif)",
    "[Read](https://evil.example)",
    "<img src=x onerror=alert(1)>",
    ":red[alarm] :material/warning:",
    "$x^2$ **bold** _it_ # heading",
    "https://evil.example/auto www.evil.example",
])
def test_esc_escapes_every_markdown_special(payload):
    out = esc(payload)
    for ch in "[]()!<>:$*_#/.":
        assert ch not in out.replace("\\" + ch, "")


def test_esc_removes_line_breaks_and_handles_missing():
    assert esc("a\r\n# b\rc\nd") == r"a \# b c d"
    assert esc(None) == "" and esc(float("nan")) == ""
    assert esc("Microsoft $13bn") == r"Microsoft \$13bn"


@pytest.mark.parametrize("url", [
    "https://www.microsoft.com/en-us/investor/earnings/fy-2025-q2/press-release-webcast",
    "http://example.com/a?b=1&c=%20",
])
def test_safe_url_accepts_plain_http_urls(url):
    assert safe_url(url) == url and url_problem(url) is None


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "https://x.example/a)[b](https://evil", "https://x.example/a b",
    "https://x.example/\"onmouseover", "ftp://x.example/", "https:///nohost", "//x.example/a",
    "https://x.example/\x07", None, float("nan"), 42,
])
def test_safe_url_refuses_the_rest(url):
    assert safe_url(url) is None
    assert link("source", url) == "source"


def test_link_and_source_link():
    assert link("a [b]", "https://x.example/p") == r"[a \[b\]](https://x.example/p)"
    assert source_link("https://x.example/p", kind="filing") == "[source](https://x.example/p) (filing)"
    assert source_link("https://x.example/p") == "[source](https://x.example/p)"


def test_code_cannot_be_closed_early():
    assert code("`x`") == "`` `x` ``"
    assert code("a" * 500, limit=10) == "`" + "a" * 9 + "…`"
    assert code("") == "(empty)"


def test_autolinks_are_broken_invisibly():
    out = esc("see https://evil.example, www.evil.example or a@evil.example")
    assert "https" not in out and "www" not in out and "@\u2060" in out
    assert out.replace("\u2060", "").replace("\\", "") == "see https://evil.example, www.evil.example or a@evil.example"
