"""The verifier's fast paths accept and refuse exactly what the general strict path does.

Each fast path (the deterministic payload decoded in one cbor2 call, the COSE_Sign1 and
DP1 envelopes read in place, map order checked on the usual int keys first) is compared
here with an oracle written out from the rule itself: the general decoder (semantic
decoders refusing bignums, the stream position for trailing bytes), the re-encoding check
and a walk for key order and floats. Inputs are valid encodings, other encodings of the
same values and hostile mutations of both.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrseal.errors import QrsealError
from qrseal.wire.algorithms import Algorithm
from qrseal.wire.cbor import is_deterministic, sort_key, strict_loads
from qrseal.wire.cose import decode_sign1, read_canonical_sign1
from qrseal.wire.presentation import PresentationParts, decode_presentation, encode_presentation

Outcome = tuple[str, object]


def _outcome(fn: Callable[[], object]) -> Outcome:
    try:
        return ("ok", fn())
    except QrsealError as exc:
        return ("refused", exc.reason)


def _refuse_bignum(value: object, immutable: bool) -> object:
    raise ValueError("bignum")


def _in_order_no_float(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | cbor2.frozendict):
            keys = list(item)
            try:
                if keys != sorted(keys, key=sort_key):
                    return False
            except QrsealError:  # a key that is no int, byte or text string
                return False
            stack += item.values()
        elif isinstance(item, list | tuple):
            stack += item
        elif isinstance(item, cbor2.CBORTag):
            stack.append(item.value)
        elif isinstance(item, float) or (isinstance(item, datetime) and item.microsecond):
            return False
    return True


def _oracle(data: bytes) -> bool:
    """Whether the rule accepts ``data`` as a deterministic payload with tags converted."""
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(
        stream,
        semantic_decoders={2: _refuse_bignum, 3: _refuse_bignum},
        max_depth=16,
        allow_indefinite=False,
        allow_duplicate_keys=False,
    )
    try:
        value = decoder.decode()
        same = cbor2.dumps(value, datetime_as_timestamp=True) == data
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError):
        return False
    return stream.tell() == len(data) and same and _in_order_no_float(value)


_LEAVES = st.one_of(
    st.integers(-(2**70), 2**70),
    st.text(max_size=4),
    st.binary(max_size=12),
    st.booleans(),
    st.none(),
    st.floats(width=64),
    st.dates(),
    st.datetimes(timezones=st.just(UTC), min_value=datetime(1970, 1, 1), allow_imaginary=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**25),
)
_KEYS = st.one_of(st.integers(-(2**66), 2**66), st.text(max_size=3), st.booleans())
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_KEYS, inner, max_size=5),
        st.builds(cbor2.CBORTag, st.sampled_from([2, 3, 4, 30, 100, 1, 5000]), inner),
    ),
    max_leaves=10,
)


def _mutations(data: bytes, cut: int, byte: int) -> list[bytes]:
    at = cut % (len(data) + 1)
    return [
        data,
        data[:at] + bytes([byte]) + data[at + 1 :],  # one byte replaced
        data[:at] + bytes([byte]) + data[at:],  # one byte inserted
        data[:at] + data[at + 1 :],  # one byte dropped
        data + bytes([byte]),  # a trailing byte
    ]


def _encode(value: object, canonical: bool) -> bytes | None:
    try:
        return cbor2.dumps(value, canonical=canonical, datetime_as_timestamp=True)
    except (cbor2.CBORError, ValueError, TypeError, OverflowError):
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_VALUES, st.booleans(), st.integers(0, 10**6), st.integers(0, 255))
def test_deterministic_payload_decode_matches_the_rule(
    value: object, canonical: bool, cut: int, byte: int
) -> None:
    """strict_loads(raw_tags=False, deterministic=True) accepts exactly what the general
    decoder plus the re-encoding, key-order and float checks accept, and decodes it the
    same, for bignums, floats, times and mutations alike."""
    data = _encode(value, canonical)
    if data is None:
        return
    for candidate in _mutations(data, cut, byte):
        got = _outcome(lambda: strict_loads(candidate, raw_tags=False, deterministic=True))  # noqa: B023
        if _oracle(candidate):
            assert got[0] == "ok"
            assert got[1] == cbor2.loads(candidate)
        else:
            assert got[0] == "refused", candidate.hex()


@pytest.mark.parametrize(
    "value",
    [
        2**64,  # the smallest bignum: tag 2 over nine bytes
        -(2**64) - 1,
        {1: 2**80},
        [Decimal("1e-2") * 2**70],  # a bignum inside a decimal fraction (tag 4)
        cbor2.CBORTag(5000, 2**70),
        math.nan,
        math.inf,
        1.5,
        {1: datetime(2020, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)},
    ],
)
def test_bignums_and_floats_are_refused_on_the_fast_path(value: object) -> None:
    """A bignum anywhere (also inside another tag) and any float are malformed_cbor."""
    data = cbor2.dumps(value, datetime_as_timestamp=True)
    assert not _oracle(data)
    assert _outcome(lambda: strict_loads(data, raw_tags=False, deterministic=True))[0] == (
        "refused"
    )


def test_largest_64_bit_integers_decode() -> None:
    """2**64 - 1 and -(2**64), the ends of CBOR's major types 0 and 1, are no bignums."""
    for value in (2**64 - 1, -(2**64), {1: [2**64 - 1, date(2020, 1, 1)]}):
        data = cbor2.dumps(value, datetime_as_timestamp=True)
        assert strict_loads(data, raw_tags=False, deterministic=True) == value


# --- the COSE_Sign1 envelope ---------------------------------------------------------


def _envelope_oracle(data: bytes) -> tuple[Any, ...] | None:
    """The envelope as the general strict decoder reads it, when it is deterministic and
    of the shape tag 18 over [bstr, {}, bstr, bstr]; None otherwise."""
    try:
        item = strict_loads(data, max_bytes=1 << 20)
    except QrsealError:
        return None
    if not is_deterministic(item, data) or not isinstance(item, cbor2.CBORTag):
        return None
    body = item.value
    if item.tag != 18 or not isinstance(body, tuple) or len(body) != 4:
        return None
    protected, unprotected, payload, signature = body
    shape = (type(protected), type(payload), type(signature)) == (bytes, bytes, bytes)
    empty = isinstance(unprotected, cbor2.frozendict) and not unprotected
    return body if shape and empty else None


_SIZES = st.sampled_from([0, 1, 23, 24, 25, 255, 256, 300])


def _sign1_bytes(protected: int, payload: int, signature: int, unprotected: object) -> bytes:
    body = [b"p" * protected, unprotected, b"x" * payload, b"s" * signature]
    return cbor2.dumps(cbor2.CBORTag(18, body))


@settings(max_examples=300, deadline=None)
@given(
    _SIZES,
    _SIZES,
    _SIZES,
    st.sampled_from([{}, {4: b"k"}, [], b""]),
    st.integers(0, 10**6),
    st.integers(0, 255),
)
def test_envelope_read_in_place_matches_the_strict_decoder(
    protected: int, payload: int, signature: int, unprotected: object, cut: int, byte: int
) -> None:
    """read_canonical_sign1 returns the elements exactly when the strict decoder reads a
    deterministic tag-18 [bstr, {}, bstr, bstr] from the same bytes, and the same ones."""
    data = _sign1_bytes(protected, payload, signature, unprotected)
    for candidate in _mutations(data, cut, byte):
        assert read_canonical_sign1(candidate) == _envelope_oracle(candidate), candidate.hex()


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("d28440a04040"),  # all empty: the shortest valid shape
        bytes.fromhex("d2845800a04040"),  # a protected length in a longer head than needed
        bytes.fromhex("d28440a0404000"),  # a trailing byte
        bytes.fromhex("d28440a04041"),  # a truncated signature
        bytes.fromhex("d88440a04040"),  # tag 18 written with a one-byte argument
        bytes.fromhex("d28440bf ff4040".replace(" ", "")),  # an indefinite-length map
        bytes.fromhex("d28340a040"),  # three elements
        bytes.fromhex("d2845a00000000a04040"),  # a four-byte length head
    ],
)
def test_envelope_edge_cases_match_the_strict_decoder(data: bytes) -> None:
    """Non-shortest heads, trailing or missing bytes, and other shapes go to the strict
    decoder, which decides."""
    assert read_canonical_sign1(data) == _envelope_oracle(data)
    fast = _outcome(lambda: decode_sign1(data, protected_labels=frozenset({1, 4})))
    assert fast[0] == "refused" or read_canonical_sign1(data) is not None


# --- the DP1 presentation envelope -------------------------------------------------------


def _presentation_oracle(data: bytes) -> Outcome:
    """decode_presentation's result as the strict decoder reads the envelope."""

    def decode() -> object:
        item = strict_loads(data, max_bytes=4096, deterministic=True)
        if not isinstance(item, tuple | list) or len(item) != 2:
            return "shape"
        credential, proof = item
        if not isinstance(credential, bytes) or not credential:
            return "shape"
        if not isinstance(proof, cbor2.CBORTag) or proof.tag != 18:
            return "shape"
        return (credential, proof.value)

    return _outcome(decode)


def _presentation(credential: int, payload_pad: int) -> bytes:
    def sign(message: bytes) -> bytes:
        return b"\x01" * 64

    return encode_presentation(
        b"c" * credential,
        alg=Algorithm.ES256,
        sign=sign,
        presented_at=datetime(2026, 1, 1, tzinfo=UTC),
        nonce=b"n" * payload_pad if payload_pad >= 8 else None,
    )


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([1, 23, 24, 255, 256, 600]),
    st.sampled_from([0, 8, 30]),
    st.integers(0, 10**6),
    st.integers(0, 255),
)
def test_presentation_read_in_place_matches_the_strict_decoder(
    credential: int, pad: int, cut: int, byte: int
) -> None:
    """decode_presentation accepts a mutated DP1 envelope only when the strict decoder
    reads [non-empty bstr, tag 18 [...]] from it, and then yields the same parts."""
    for candidate in _mutations(_presentation(credential, pad), cut, byte):
        got = _outcome(lambda: decode_presentation(candidate))  # noqa: B023
        expected = _presentation_oracle(candidate)
        if expected[0] == "refused":
            assert got == expected
        elif got[0] == "ok":
            parts, read = got[1], expected[1]
            assert isinstance(parts, PresentationParts)
            assert isinstance(read, tuple), "the strict decoder refuses this shape"
            credential_bytes, body = read
            assert parts.credential == credential_bytes
            assert parts.proof.payload == body[2]
            assert parts.proof.signature == body[3]
