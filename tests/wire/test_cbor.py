"""Strict CBOR: the one strict decoder configuration, its depth cap, and deterministic encoding."""

from __future__ import annotations

from datetime import UTC, date, datetime

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrseal.errors import InvalidArgument, MalformedCbor, TooLarge
from qrseal.wire import cbor
from qrseal.wire.cbor import MAX_CBOR_DEPTH, deterministic_dumps, strict_loads

BIG = 2**15000


def _nested(levels: int) -> bytes:
    value: object = 0
    for _ in range(levels):
        value = [value]
    return cbor2.dumps(value)


def test_depth_exactly_at_the_cap_decodes() -> None:
    """16 nested containers (MAX_CBOR_DEPTH) decode; the count includes the outermost one."""
    assert MAX_CBOR_DEPTH == 16
    value = strict_loads(_nested(MAX_CBOR_DEPTH))
    for _ in range(MAX_CBOR_DEPTH):
        assert isinstance(value, list)
        value = value[0]
    assert value == 0


def test_depth_one_past_the_cap_is_malformed() -> None:
    """17 nested containers are malformed_cbor, in both tag modes and with determinism."""
    for raw in (True, False):
        for deterministic in (True, False):
            with pytest.raises(MalformedCbor):
                strict_loads(_nested(MAX_CBOR_DEPTH + 1), raw_tags=raw, deterministic=deterministic)


def test_max_depth_argument_is_the_cap() -> None:
    """max_depth=2 accepts two levels and refuses three (the proof payload's cap)."""
    strict_loads(_nested(2), max_depth=2)
    with pytest.raises(MalformedCbor):
        strict_loads(_nested(3), max_depth=2)


def test_size_exactly_at_the_cap_decodes() -> None:
    """An item of exactly max_bytes decodes; one byte more is too_large before parsing."""
    data = cbor2.dumps(b"x" * 100)
    assert strict_loads(data, max_bytes=len(data)) == b"x" * 100
    with pytest.raises(TooLarge):
        strict_loads(data, max_bytes=len(data) - 1)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("non-shortest int", bytes.fromhex("a1011801")),  # {1: 1} with 1 as 0x18 0x01
        ("non-shortest length", bytes.fromhex("a10158010a")),  # bstr length in two bytes
        ("unsorted int keys", cbor2.dumps({2: 0, 1: 0})),
        ("negative before unsigned", cbor2.dumps({-1: 0, 1: 0})),
        ("negatives ascending", cbor2.dumps({-2: 0, -1: 0})),
        ("text before int", cbor2.dumps({"a": 0, 1: 0})),
        ("length-first order", cbor2.dumps({-1: 0, 24: 0})),  # cbor2's canonical order
        ("nested unsorted", cbor2.dumps({1: [{3: 0, 2: 0}]})),
        ("half float", cbor2.dumps({1: 1.5}, canonical=True)),
        ("double float", cbor2.dumps({1: 0.1})),
        ("float in a list", cbor2.dumps([1, 2.0])),
    ],
)
def test_deterministic_violations_are_malformed(name: str, data: bytes) -> None:
    """Each break of RFC 8949 §4.2.1 (heads, key order, floats) is malformed_cbor."""
    strict_loads(data)  # well-formed strict CBOR otherwise
    with pytest.raises(MalformedCbor):
        strict_loads(data, deterministic=True)
    with pytest.raises(MalformedCbor):
        strict_loads(data, deterministic=True, raw_tags=False)


def test_float_head_bytes_inside_strings_are_no_floats() -> None:
    """Bytes 0xf9-0xfb inside a byte string do not make a deterministic item non-deterministic."""
    value = {1: b"\xf9\xfa\xfb", 2: [b"\xfb" * 9], -1: "x"}
    data = deterministic_dumps(value)
    assert strict_loads(data, deterministic=True) == {1: b"\xf9\xfa\xfb", 2: [b"\xfb" * 9], -1: "x"}


def test_int_keys_in_bytewise_order_pass() -> None:
    """Unsigned keys ascending, then negative keys by magnitude, is the deterministic order."""
    data = deterministic_dumps({-65537: 0, 1: 0, -1: 0, 24: 0, 0: 0})
    assert list(strict_loads(data, deterministic=True)) == [0, 1, 24, -1, -65537]  # type: ignore[call-overload]


def test_dates_and_times_must_be_tag_100_and_integer_tag_1() -> None:
    """With tags converted, a date must have been tag 100 and a time an integer tag 1."""
    good = bytes.fromhex("a2") + b"\x01" + bytes.fromhex("d8640a") + b"\x02" + bytes.fromhex("c10a")
    decoded = strict_loads(good, raw_tags=False, deterministic=True)
    assert decoded == {1: date(1970, 1, 11), 2: datetime(1970, 1, 1, 0, 0, 10, tzinfo=UTC)}
    for bad in (
        cbor2.dumps({1: cbor2.CBORTag(1004, "1970-01-11")}),
        cbor2.dumps({1: cbor2.CBORTag(1, 10.5)}),
        cbor2.dumps({1: cbor2.CBORTag(0, "1970-01-01T00:00:10Z")}),
    ):
        with pytest.raises(MalformedCbor):
            strict_loads(bad, raw_tags=False, deterministic=True)


_KEYS = st.one_of(st.integers(-(2**64), 2**64 - 1), st.text(max_size=4), st.binary(max_size=4))
_VALUES = st.recursive(
    st.one_of(
        st.integers(-(2**64), 2**64 - 1),
        st.text(max_size=6),
        st.binary(max_size=6),
        st.booleans(),
        st.none(),
        st.floats(allow_nan=False, width=16),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.booleans())
def test_determinism_check_is_the_encoding_rule(value: object, canonical: bool) -> None:
    """strict_loads(deterministic=True) accepts exactly the bytes deterministic_dumps writes."""
    data = cbor2.dumps(value, canonical=canonical)
    decoded = strict_loads(data)
    try:
        expected = deterministic_dumps(decoded) == data
    except InvalidArgument:  # a float: not deterministic by definition
        expected = False
    if expected:
        assert strict_loads(data, deterministic=True) == decoded
        assert cbor.is_deterministic(decoded, data)
    else:
        with pytest.raises(MalformedCbor):
            strict_loads(data, deterministic=True)
        assert not cbor.is_deterministic(decoded, data)


def test_tags_stay_raw() -> None:
    """Tags that cbor2 would convert (dates, shared references) come back as plain CBORTag."""
    value = cbor.strict_loads(bytes.fromhex("d8640a"))
    assert value == cbor2.CBORTag(100, 10)
    shared = cbor.strict_loads(bytes.fromhex("d81c81d81d00"))
    assert isinstance(shared, cbor2.CBORTag) and shared.tag == 28


def test_deterministic_key_order_is_bytewise() -> None:
    """Map keys are sorted by their encoded bytes (RFC 8949 §4.2.1), not length-first."""
    encoded = cbor.deterministic_dumps({-1: 0, 24: 0, 1: 0, "a": 0})
    assert encoded.hex() == "a4" + "0100" + "181800" + "2000" + "616100"


def test_strict_decoder_refuses_bignums() -> None:
    """Tags 2 and 3 (bignums) are malformed_cbor at the strict decoder, in both tag modes."""
    for value in (2**64, -(2**64) - 1, BIG):
        data = cbor2.dumps({1: value})
        for raw in (True, False):
            with pytest.raises(MalformedCbor):
                strict_loads(data, raw_tags=raw)
    # the 64-bit range of major types 0 and 1 still decodes
    assert strict_loads(cbor2.dumps([2**64 - 1, -(2**64)])) == [2**64 - 1, -(2**64)]
