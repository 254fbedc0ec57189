"""Batch input reads each line as ``json.loads`` would: the same objects, the same refusals."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrseal.batch.records import InputFormat, RawRecord, loads, parse_record
from qrseal.errors import MalformedRecord, Reason
from qrseal.testing import sample_licence_json

_LINES = [
    json.dumps({"id": "r1", "licence": sample_licence_json(4)}, ensure_ascii=False),
    '{"a": 1, "b": 2, "a": 3}',  # duplicate keys: the last value, in the first place
    "[18446744073709551616, -9223372036854775809, 1" + "0" * 40 + "]",
    "[NaN, Infinity, -Infinity]",
    "[1e400, -0, -0.0, 0.30000000000000004, 1E+2, 1.5e-400]",
    '["\\ud800", "\\udc00\\ud800", "\\ud83d\\ude00", "\\u0000", "\\/", "\u2028"]',
    '["\ud800"]',  # a lone surrogate in the text itself
    "[" + "1" * 5000 + "]",  # beyond the standard library's digit limit
    "[" * 3000 + "]" * 3000,
    "[" * 500 + "]" * 500,
    '["a\tb"]',
    "\ufeff[1]",
    "[1,]",
    "[01]",
    "[1] x",
    " \t[1]\r\n",
    "",
]


def _outcome(read: Callable[[str], object], text: str) -> object:
    """What reading ``text`` gives: its objects (repr, which shows types, and key order) or
    the type of the error raised."""
    try:
        value = read(text)
    except (ValueError, RecursionError) as exc:
        return type(exc)
    return repr(value)


def _same(text: str) -> None:
    assert _outcome(loads, text) == _outcome(json.loads, text), text[:40]


@pytest.mark.parametrize("text", _LINES, ids=range(len(_LINES)))
def test_lines_read_as_json_loads_reads_them(text: str) -> None:
    """Duplicate keys, huge integers, NaN, surrogates, deep nesting and malformed lines give
    what json.loads gives: the same objects (types and key order) or the same error."""
    _same(text)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("\ud800\udc00\x00")),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(_JSON, st.booleans())
def test_any_json_text_reads_as_json_loads_reads_it(value: object, ascii_only: bool) -> None:
    """Any text json.dumps writes (NaN and surrogates included) reads to the same objects."""
    _same(json.dumps(value, ensure_ascii=ascii_only))


@pytest.mark.parametrize("fmt", list(InputFormat))
def test_a_line_nested_too_deep_is_a_malformed_record(fmt: InputFormat) -> None:
    """A record nested deeper than the JSON reader recurses (a JSON line, or a CSV cell) is
    rejected as malformed, not an uncaught RecursionError that stops the batch on every
    resume."""
    deep = "[" * 100_000 + "]" * 100_000
    if fmt is InputFormat.JSONL:
        text = '{"id": "r1", "licence": {"domestic_privileges": ' + deep + "}}"
    else:
        text = json.dumps({"id": "r1", "domestic_privileges": deep})
    with pytest.raises(MalformedRecord) as caught:
        parse_record(RawRecord(0, 1, text), fmt)
    assert caught.value.reason is Reason.MALFORMED_RECORD
