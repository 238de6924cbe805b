"""CSV downloads: a reader recovers exactly the rows and cells written, and none is a formula."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from aiwatch.export import neutralise, to_safe_csv

HOSTILE = [
    "plain",
    "a lone CR\r=cmd|' /C calc'!A0",      # issue 9: passed check, became a formula row in Excel
    "line one\n+1+1",
    "crlf inside\r\n@SUM(A1)",
    "\r-starts with a CR",
    "\n=starts with an LF",
    "tab\t=not at a line start",
    "two breaks\r\r=HYPERLINK(\"http://x\")",
    'quotes "and", commas',
    "=at the start",
]


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_a_reader_recovers_exactly_the_rows_and_cells_written():
    df = pd.DataFrame({"text": HOSTILE, "n": range(len(HOSTILE))})
    rows = read_back(to_safe_csv(df))
    assert rows[0] == ["text", "n"]
    assert len(rows) == len(HOSTILE) + 1, rows
    assert [r[0] for r in rows[1:]] == [neutralise(v) for v in HOSTILE]
    assert [r[1] for r in rows[1:]] == [str(i) for i in range(len(HOSTILE))]


def test_no_line_of_any_cell_starts_a_formula():
    df = pd.DataFrame({"text": HOSTILE})
    for row in read_back(to_safe_csv(df))[1:]:
        for line in row[0].replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            assert not line.startswith(("=", "+", "-", "@", "\t")), repr(row[0])
        assert not row[0].startswith("\r"), repr(row[0])


def test_fields_with_a_cr_or_lf_are_quoted():
    out = to_safe_csv(pd.DataFrame({"text": ["a\rb", "c\nd"]})).decode()
    assert out == 'text\r\n"a\rb"\r\n"c\nd"\r\n'


@pytest.mark.parametrize(("value", "expected"), [
    ("a\r=b", "a\r'=b"), ("a\r\n=b", "a\r\n'=b"), ("a\n-b", "a\n'-b"), ("\r=b", "'\r'=b"),
    ("a-b", "a-b"), (-5.0, -5.0), (None, None),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected
