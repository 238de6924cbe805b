"""aiwatch.links: the rules for untrusted link params, without Streamlit."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from aiwatch import links
from aiwatch.links import Notice, judge, screen, share_url, shown, url_values


def test_screen_keeps_plain_params():
    kept, notices = screen({"as_of": ["2024-11-30"], "tickers": ["MSFT", "QQQ"]})
    assert kept == {"as_of": ["2024-11-30"], "tickers": ["MSFT", "QQQ"]}
    assert notices == []


def test_screen_drops_oversized_malformed_and_flooded_params():
    raw = {
        "as_of": ["x" * 10_000],
        "x' OR 1=1 --": ["1"],
        "Basis": ["recast"],                     # names are the lower-case widget keys
        "tickers": ["T"] * (links.MAX_VALUES + 1),
        "basis": ["recast\n<script>"],
        "ok": ["fine"],
    }
    kept, notices = screen(raw)
    assert kept == {"ok": ["fine"]}
    reasons = {n.param: n.reason for n in notices}
    assert "10,000 characters" in reasons["as_of"]
    assert "no parameter of that name" in reasons["x' OR 1=1 --"]
    assert "no parameter of that name" in reasons["Basis"]
    assert "21 times" in reasons["tickers"]
    assert "control characters" in reasons["basis"]


def test_screen_caps_the_number_of_params():
    raw = {f"p{i}": ["1"] for i in range(links.MAX_PARAMS + 5)}
    kept, notices = screen(raw)
    assert len(kept) == links.MAX_PARAMS and len(notices) == 5


def test_shown_is_inert_markdown():
    assert shown("2025-99-99") == "`2025-99-99`"
    evil = "`![x](https://evil.test/t.png)` [click](https://evil.test)\n# big"
    s = shown(evil, limit=200)
    assert s.startswith("`") and s.endswith("`") and s.count("`") == 2  # one code span, never closed early
    assert "\n" not in s
    long = shown("a" * 10_000)
    assert len(long) <= links.SHOWN_CHARS + 2 and long.endswith("…`")
    assert shown("") == "(empty)"


def test_notice_message_names_param_and_reason():
    n = Notice("as_of", "`2025-99-99` is not a valid date; the default is shown")
    assert n.message == ("Link parameter `as_of` was not used: `2025-99-99` is not a valid date; "
                         "the default is shown.")


def test_url_values_mirror_streamlit():
    assert url_values(None) == []
    assert url_values(["Recast"]) == ["Recast"]
    assert url_values(("2024-01-01", "2024-02-01")) == ["2024-01-01", "2024-02-01"]
    assert url_values(True) == ["true"]
    assert url_values(5.0) == ["5"] and url_values(5.5) == ["5.5"]


def test_judge_accepts_what_the_widget_took():
    assert judge("basis", ["Recast"], ["Recast"], multi=False, at_default=False) is None
    assert judge("flag", ["TRUE"], ["true"], multi=False, at_default=False) is None
    assert judge("n", ["5.0"], ["5"], multi=False, at_default=False) is None
    # a value equal to the default is honoured too (Streamlit removes it from the URL)
    assert judge("basis", ["As reported"], ["As reported"], multi=False, at_default=True) is None


def test_judge_names_dropped_values():
    v = judge("as_of", ["2025-99-99"], [], multi=False, at_default=True)
    assert "`2025-99-99` is not a valid date; the default is shown" in v.notice.reason and not v.reset
    v = judge("as_of", ["1900-01-01"], [], multi=False, at_default=True)
    assert "outside the dates this control allows" in v.notice.reason
    v = judge("basis", ["drop table"], ["As reported"], multi=False, at_default=True)
    assert "`drop table` is not one of the values this control allows" in v.notice.reason
    v = judge("basis", [""], [], multi=False, at_default=False)  # emptied a control that needs a value
    assert v.reset and "(empty) is empty; the default is shown" in v.notice.reason
    v = judge("n", ["500"], ["100"], multi=False, at_default=False)
    assert "`100` is used instead" in v.notice.reason


def test_judge_resets_a_repeated_single_value_param():
    v = judge("as_of", ["2024-01-01", "2024-06-01"], ["2024-01-01"], multi=False, at_default=False)
    assert v.reset and "given 2 times" in v.notice.reason


def test_judge_multi_value_widgets():
    assert judge("tickers", ["AAPL", "QQQ"], ["AAPL", "QQQ"], multi=True, at_default=False) is None
    v = judge("tickers", ["AAPL", "EVIL"], ["AAPL"], multi=True, at_default=False)
    assert "`EVIL` is not available here (the other values are used)" in v.notice.reason
    assert not v.reset
    v = judge("tickers", ["EVIL", "WORSE"], ["AAPL"], multi=True, at_default=True)
    assert "`EVIL`, `WORSE` are not available here (the default is shown)" in v.notice.reason
    v = judge("tickers", ["AAPL", "AAPL"], ["AAPL"], multi=True, at_default=False)
    assert "merged" in v.notice.reason


def test_share_url_keeps_state_and_replaces_any_query():
    url = share_url("https://watch.example/financials?old=1#frag",
                    [("basis", ["Recast (today's segments)"]), ("as_of", "2024-11-30"),
                     ("tickers", ["AAPL", "QQQ"])])
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "https", "watch.example", "/financials", "")
    assert parse_qs(parts.query) == {"basis": ["Recast (today's segments)"], "as_of": ["2024-11-30"],
                                     "tickers": ["AAPL", "QQQ"]}
    assert share_url("/data", []) == "/data"


def test_links_does_not_import_streamlit():
    import ast

    tree = ast.parse(open(links.__file__).read())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(m.split(".")[0] == "streamlit" for m in names)


def test_a_flood_of_params_is_summed_up_in_one_line():
    from aiwatch.links import MAX_NOTICES, notice_lines

    raw = {f"junk{i}": ["x" * 60] for i in range(999)}
    kept, found = screen(raw)
    lines = notice_lines(found)
    assert len(lines) == MAX_NOTICES + 1
    assert lines[-1] == f"…and {999 - MAX_NOTICES - len(kept):,} more link parameters were ignored."


def test_only_so_much_of_a_link_is_looked_at():
    from aiwatch.links import MAX_QUERY_CHARS

    raw = {f"p{i}": ["y" * 190] for i in range(25)}  # each param alone is fine; together too long
    kept, found = screen(raw)
    assert sum(len(k) + len(v[0]) for k, v in kept.items()) <= MAX_QUERY_CHARS
    assert found and all("longer than" in n.reason for n in found)
