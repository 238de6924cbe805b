"""Shared links: page state <-> URL query params, treated as untrusted input.

Pages keep their state in widgets bound to query params (``bind="query-params"``), so
Streamlit itself parses each param for the widget that owns it. This module holds the
pure rules around that (no Streamlit here; ``ui.py`` applies them on every page):

- ``screen``: before any widget runs, drop params no widget could accept at all
  (malformed names, oversized values, too many values or params, control characters);
- ``judge``: after the page ran, compare what the URL asked for with what the widget
  that owns the param now holds, and say what was dropped and why;
- ``shown`` / ``Notice``: name the param and the reason in a notice that is safe to render
  as Markdown (URL text is never rendered as a link, an image or formatting);
- ``share_url``: the full link of the current view.

Values from the URL never reach SQL text: widgets turn them into Python values, and
queries bind those values as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode, urlsplit, urlunsplit

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # widget keys the pages bind: as_of, basis, ...
MAX_VALUE_CHARS = 200   # longer values are never a ticker, a date or an option label
MAX_VALUES = 20         # values of one param (a multiselect of tickers stays far below)
MAX_PARAMS = 30         # params in one link
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
SHOWN_CHARS = 40
MAX_QUERY_CHARS = 4_000  # of names and values looked at; a longer link is cut there, unread
MAX_NOTICES = 5          # notices shown one by one; the rest are summed up in one line
DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


@dataclass(frozen=True)
class Notice:
    """One part of a link that was not used, and why (shown at the top of the page)."""

    param: str
    reason: str

    @property
    def message(self) -> str:
        return f"Link parameter {shown(self.param)} was not used: {self.reason}."


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """URL text as an inline code span: rendered literally, never as a link or formatting.

    Backticks and control characters are removed and long text is cut, so the span cannot
    be closed early and a 10,000-character value does not flood the page.
    """
    clean = CONTROL_RE.sub(" ", text.replace("`", "'"))
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return f"`{clean}`" if clean.strip() else "(empty)"


def screen(raw: Mapping[str, Sequence[str]]) -> tuple[dict[str, list[str]], list[Notice]]:
    """Split raw params into those a widget may see and notices for the rest.

    Only shape is checked here (no widget has run yet): a name no page could bind, a value
    too long to be meaningful, a param given too many times, control characters.
    Whether a value is valid for its widget is decided by the widget, then by ``judge``.
    """
    kept: dict[str, list[str]] = {}
    notices: list[Notice] = []
    looked_at = 0
    for i, (name, values) in enumerate(raw.items()):
        values = list(values)
        if i >= MAX_PARAMS:
            notices.append(Notice(name, f"a link may carry at most {MAX_PARAMS} parameters"))
        elif not NAME_RE.match(name):
            notices.append(Notice(name, "this dashboard has no parameter of that name"))
        elif len(values) > MAX_VALUES:
            notices.append(Notice(name, f"it is given {len(values)} times (at most {MAX_VALUES})"))
        elif any(len(v) > MAX_VALUE_CHARS for v in values):
            longest = max(len(v) for v in values)
            notices.append(Notice(name, f"its value is {longest:,} characters long "
                                        f"(at most {MAX_VALUE_CHARS})"))
        elif any(CONTROL_RE.search(v) for v in values):
            notices.append(Notice(name, "its value contains control characters"))
        elif looked_at + len(name) + sum(map(len, values)) > MAX_QUERY_CHARS:
            notices.append(Notice(name, f"the link is longer than {MAX_QUERY_CHARS:,} characters"))
        else:
            looked_at += len(name) + sum(map(len, values))
            kept[name] = values
    return kept, notices


def notice_lines(notices: Sequence[Notice], limit: int = MAX_NOTICES) -> list[str]:
    """The messages to show: the first ``limit`` notices, then one line for the rest."""
    lines = [n.message for n in notices[:limit]]
    rest = len(notices) - limit
    if rest > 0:
        lines.append(f"…and {rest:,} more link parameter{'s' if rest > 1 else ''} "
                     f"{'were' if rest > 1 else 'was'} ignored.")
    return lines


def url_values(serialized) -> list[str]:
    """A widget's serialized value in the form the URL carries it (a list of strings).

    Mirrors how Streamlit writes bound values to the URL: lists stay lists, booleans are
    lower case, whole floats lose their ``.0``; ``None`` (an empty widget) is no value.
    """
    if serialized is None:
        return []
    items = serialized if isinstance(serialized, (list, tuple)) else [serialized]
    out = []
    for v in items:
        if isinstance(v, bool):
            out.append(str(v).lower())
        elif isinstance(v, float) and v.is_integer():
            out.append(str(int(v)))
        else:
            out.append(str(v))
    return out


@dataclass(frozen=True)
class Verdict:
    notice: Notice
    reset: bool = False  # the widget took a value that must not stand: put it back to its default


def judge(name: str, asked: Sequence[str], held: Sequence[str], multi: bool,
          at_default: bool) -> Verdict | None:
    """Compare what the link asked a widget for with what the widget holds after the run.

    ``asked``: the param's values in the link; ``held``: the widget's value as URL values
    (``url_values``); ``multi``: the widget holds several values (multiselect, range);
    ``at_default``: the widget shows its default. Returns None when the link was honoured.
    """
    asked, held = list(asked), list(held)
    if asked == held or _same_single(asked, held):
        return None
    if not multi and len(asked) > 1:
        return Verdict(Notice(name, f"it is given {len(asked)} times; a link may set it once, "
                                    "so it was ignored and the default is shown"), reset=True)
    if multi:
        dropped = [v for v in dict.fromkeys(asked) if v not in held]
        if not dropped:
            return Verdict(Notice(name, "repeated values were merged"))
        what = ", ".join(shown(v) for v in dropped[:5]) + (" …" if len(dropped) > 5 else "")
        rest = "the default is shown" if at_default else "the other values are used"
        return Verdict(Notice(name, f"{what} {'is' if len(dropped) == 1 else 'are'} not available "
                                    f"here ({rest})"))
    value = asked[0] if asked else ""
    why = _why_invalid(value)
    if not held and not at_default:  # the link emptied a control that needs a value
        return Verdict(Notice(name, f"{shown(value)} is {why}; the default is shown"), reset=True)
    if at_default:
        return Verdict(Notice(name, f"{shown(value)} is {why}; the default is shown"))
    return Verdict(Notice(name, f"{shown(value)} is {why}; {shown(held[0]) if held else 'nothing'} "
                                "is used instead"))


def _same_single(asked: list[str], held: list[str]) -> bool:
    """One value, equal up to case (``TRUE`` / ``true``) or number formatting (``5.0`` / ``5``)."""
    if len(asked) != 1 or len(held) != 1:
        return False
    a, h = asked[0], held[0]
    if a.lower() == h.lower():
        return True
    try:
        return float(a) == float(h)
    except ValueError:
        return False


def _why_invalid(value: str) -> str:
    if value == "":
        return "empty"
    if DATE_RE.match(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return "not a valid date"
        return "outside the dates this control allows"
    return "not one of the values this control allows"


def share_url(page_url: str, params: Iterable[tuple[str, str | Sequence[str]]]) -> str:
    """The link to the current view: the page's URL with the state as query params.

    ``page_url`` is the page's address as the browser sees it (any query or fragment it
    carries is replaced); repeated params (a list of tickers) are written once per value.
    """
    parts = urlsplit(page_url)
    pairs: list[tuple[str, str]] = []
    for name, value in params:
        for v in ([value] if isinstance(value, str) else value):
            pairs.append((name, v))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))
