"""Token Status List: packing, CBOR, the draft's examples, signed tokens, snapshots, shards,
the ``qrseal status`` CLI and the publisher example."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrseal.errors import QrsealError, Reason, Revoked, StatusUnavailable, Suspended
from qrseal.status.lists import (
    ALLOWED_BITS,
    DEFAULT_MAX_ENTRIES,
    MAX_SINGLE_LIST_ENTRIES,
    Compression,
    StatusList,
    inflate_bounded,
)
from qrseal.status.reference import (
    ShardScheme,
    StatusReference,
    decode_status_claim,
    encode_status_claim,
)
from qrseal.status.snapshots import (
    StatusMeaning,
    StatusSnapshots,
    WhenUnavailable,
)
from qrseal.status.token import (
    STATUS_LIST_TYP,
    VerifiedStatusList,
    sign_status_list,
    verify_status_list,
)
from qrseal.testing import FIXED_NOW, make_signer
from qrseal.trust.store import TrustedKey, TrustStore
from qrseal.wire import cose
from qrseal.wire.cose import Algorithm, HeaderLabel, PublicKey
from qrseal.wire.keys import (
    LocalSigner,
    generate_private_key,
    load_public_key_pem,
    public_key_to_pem,
)
from tests.support import Cli
from tests.vectors import vector_path

ROOT = Path(__file__).resolve().parents[2]
NOW = FIXED_NOW
URI = "https://status.example.cn/dl/0"
HOUR = timedelta(hours=1)


def draft_hex(name: str) -> bytes:
    """The hex bytes of one of the draft's example files (skips when the vectors are absent)."""
    text = vector_path("token-status-list", name).read_text(encoding="ascii")
    return bytes.fromhex("".join(re.findall(r"^[0-9a-f]+$", text, re.MULTILINE)))


def draft_key() -> PublicKey:
    """The P-256 public key of the draft's example signer (README's JWK, kid "12")."""
    readme = vector_path("token-status-list", "README.md").read_text(encoding="utf-8")
    jwk = json.loads(re.findall(r"^\{.*\}$", readme, re.MULTILINE)[0])

    def coord(name: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(jwk[name] + "=" * (-len(jwk[name]) % 4)))

    return ec.EllipticCurvePublicNumbers(coord("x"), coord("y"), ec.SECP256R1()).public_key()


def reference_pack(values: list[int], bits: int) -> bytes:
    """Pack values the obvious way (LSB first), as the draft's §4.1 describes it."""
    per = 8 // bits
    out = bytearray((len(values) + per - 1) // per)
    for i, value in enumerate(values):
        out[i // per] |= value << (bits * (i % per))
    return bytes(out)


def signed(status_list: StatusList, **kwargs: Any) -> tuple[bytes, LocalSigner]:
    signer = kwargs.pop("signer", make_signer())
    options: dict[str, Any] = {"uri": URI, "now": NOW, "ttl": HOUR, "valid_for": 24 * HOUR}
    options.update(kwargs)
    return sign_status_list(status_list, signer=signer, **options), signer


def keys_of(signer: LocalSigner) -> list[tuple[bytes, PublicKey]]:
    return [(signer.kid, signer.public_key)]


def sample_list(size: int = 1000, bits: int = 2) -> StatusList:
    status_list = StatusList(size, bits)
    status_list.set(0, 1)
    status_list.set(7, 2)
    status_list.set(size - 1, 1)
    return status_list


# --- the draft's examples (../shared/vectors/token-status-list) --------------------------------

# Appendix C of the draft: every entry not listed is 0.
DRAFT_LONG = {
    "status_list_encoding1_long_cbor.md": (
        1,
        {i: 1 for i in (0, 1993, 25460, 159495, 495669, 554353, 645645, 723232, 854545, 934534, 1000345)},
    ),
    "status_list_encoding2_long_cbor.md": (
        2,
        {0: 1, 1993: 2, 25460: 1, 159495: 3, 495669: 1, 554353: 1, 645645: 2, 723232: 1,
         854545: 1, 934534: 2, 1000345: 3},
    ),
    "status_list_encoding4_cbor.md": (
        4,
        {0: 1, 1993: 2, 35460: 3, 459495: 4, 595669: 5, 754353: 6, 845645: 7, 923232: 8,
         924445: 9, 934534: 10, 1004534: 11, 1000345: 12, 1030203: 13, 1030204: 14, 1030205: 15},
    ),
}  # fmt: skip
# §4.1: the 16-entry 1-bit list (bytes b9 a3) and the 12-entry 2-bit list (c9 44 f9).
DRAFT_SHORT = {
    "status_list_encoding_cbor.md": (1, [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]),
    "status_list_encoding2_cbor.md": (2, [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]),
}


@pytest.mark.parametrize("name", sorted(DRAFT_SHORT))
def test_draft_short_examples_pack_and_encode_byte_for_byte(name: str) -> None:
    """The §4.1 examples: packing is LSB first and to_cbor() gives the draft's exact bytes."""
    bits, values = DRAFT_SHORT[name]
    built = StatusList(len(values), bits)
    for idx, value in enumerate(values):
        built.set(idx, value)
    assert bytes(built.packed) == reference_pack(values, bits)
    assert built.to_cbor() == draft_hex(name)
    decoded = StatusList.from_cbor(draft_hex(name))
    assert [decoded.get(i) for i in range(len(values))] == values


@pytest.mark.parametrize("name", sorted(DRAFT_LONG))
def test_draft_long_examples_decode_and_reencode(name: str) -> None:
    """Appendix C (2**20 entries): decoding gives exactly the listed entries, and building the
    same list and encoding it (zlib level 9) reproduces the draft's bytes."""
    bits, entries = DRAFT_LONG[name]
    decoded = StatusList.from_cbor(draft_hex(name))
    assert (len(decoded), decoded.bits) == (2**20, bits)
    assert decoded.counts() == {0: 2**20 - len(entries), **_histogram(entries)}
    assert all(decoded.get(i) == v for i, v in entries.items())
    built = StatusList(2**20, bits)
    for idx, value in entries.items():
        built.set(idx, value)
    assert built == decoded
    assert built.to_cbor() == draft_hex(name)


def _histogram(entries: dict[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for value in entries.values():
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items()))


def test_draft_8bit_example_decodes_and_reencodes() -> None:
    """Appendix C.4: each value 1..255 appears once (spot-checked at listed indices), and the
    list re-encodes to the draft's bytes."""
    data = draft_hex("status_list_encoding8_cbor.md")
    decoded = StatusList.from_cbor(data)
    assert (len(decoded), decoded.bits) == (2**20, 8)
    counts = decoded.counts()
    assert counts.pop(0) == 2**20 - 255 and counts == dict.fromkeys(range(1, 256), 1)
    for idx, value in ((233478, 0), (52451, 1), (576778, 2), (1199, 121), (4520, 213)):
        assert decoded.get(idx) == value
    assert decoded.copy().to_cbor() == data


def test_draft_status_list_token_verifies_with_the_readme_key() -> None:
    """The draft's Status List Token verifies under the README's JWK (kid "12", unprotected)
    and yields the §4.1 1-bit list; its status_list map re-encodes byte for byte."""
    token = draft_hex("status_list_cwt.md")
    verified = verify_status_list(token, keys=[(b"12", draft_key())], now=NOW)
    assert verified.uri == "https://example.com/statuslists/1"
    assert verified.issued_at == datetime.fromtimestamp(1686920170, UTC)
    assert verified.expires_at == datetime.fromtimestamp(2291720170, UTC)
    assert verified.ttl == timedelta(seconds=43200)
    assert (verified.kid, verified.algorithm, verified.issuer) == (b"12", Algorithm.ES256, None)
    values = DRAFT_SHORT["status_list_encoding_cbor.md"][1]
    assert [verified.status_list.get(i) for i in range(16)] == values
    assert verified.status_list.to_cbor() in cose.decode_sign1(token).payload


def test_draft_status_list_token_rejected_under_another_key() -> None:
    """The draft's token does not verify under a different P-256 key offered with kid "12"."""
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(QrsealError) as info:
        verify_status_list(draft_hex("status_list_cwt.md"), keys=[(b"12", other)], now=NOW)
    assert info.value.reason is Reason.SIGNATURE_INVALID


def test_draft_referenced_token_status_claim() -> None:
    """The draft's referenced CWT verifies; its claim 65535 decodes to (uri, idx 0) and
    encode_status_claim re-encodes it byte for byte."""
    msg = cose.decode_sign1(draft_hex("referenced_token_cwt.md"))
    cose.verify_sign1(msg, draft_key())
    claims = cose.strict_loads(msg.payload)
    assert isinstance(claims, dict)
    ref = decode_status_claim(claims[65535])
    assert ref == StatusReference("https://example.com/statuslists/1", 0)
    claim_bytes = cose.dumps_in_order(65535) + cose.dumps_in_order(encode_status_claim(ref))
    assert claim_bytes in msg.payload


# --- packing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", ALLOWED_BITS)
def test_set_get_at_boundaries_for_every_width(bits: int) -> None:
    """First and last index, both sides of byte edges, and the largest value, at every width:
    each write changes only its own entry and packs as the draft says."""
    per = 8 // bits
    size = 5 * per
    top = (1 << bits) - 1
    status_list = StatusList(size, bits)
    expected = [0] * size
    for idx in (0, per - 1, per, 2 * per - 1, 2 * per, size - per, size - 1):
        for value in (top, 1, top):
            status_list.set(idx, value)
            expected[idx] = value
            assert [status_list.get(i) for i in range(size)] == expected
    assert bytes(status_list.packed) == reference_pack(expected, bits)
    status_list.set(size - 1, 0)
    assert status_list.get(size - 1) == 0 and status_list.get(size - 2) == expected[size - 2]


@pytest.mark.parametrize(
    ("size", "bits", "entries", "packed"), [(0, 1, 0, 0), (1, 1, 8, 1), (9, 2, 12, 3), (5, 8, 5, 5)]
)
def test_size_rounds_up_to_whole_bytes(size: int, bits: int, entries: int, packed: int) -> None:
    """A list holds a whole number of bytes' worth of entries (the draft's "or greater")."""
    status_list = StatusList(size, bits)
    assert (len(status_list), len(status_list.packed)) == (entries, packed)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get(16),
        lambda s: s.get(-1),
        lambda s: s.set(16, 1),
        lambda s: s.set(0, 4),
        lambda s: s.set(0, -1),
        lambda s: s.set(0, True),
        lambda s: s.set_many([1, 2, 99], 1),
        lambda s: s.slice(1, 4),
        lambda s: StatusList(8, 3),
        lambda s: StatusList(-1, 2),
    ],
)
def test_bad_index_value_or_width_is_invalid_argument(
    call: Callable[[StatusList], object],
) -> None:
    """Indices outside the list, values wider than bits, widths other than 1/2/4/8 and
    unaligned slices raise InvalidArgument."""
    status_list = StatusList(16, 2)
    with pytest.raises(QrsealError) as info:
        call(status_list)
    assert info.value.reason is Reason.INVALID_ARGUMENT


def test_set_many_is_checked_before_any_change() -> None:
    """A bulk set with one bad index changes nothing."""
    status_list = StatusList(16, 2)
    with pytest.raises(QrsealError):
        status_list.set_many([1, 2, 16], 1)
    assert status_list.counts() == {0: 16}


@pytest.mark.parametrize("bits", ALLOWED_BITS)
def test_set_many_numpy_agrees_with_iterable(bits: int) -> None:
    """A numpy index array (duplicates and shared bytes included) sets the same entries as
    the same indices given as Python ints."""
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(5)
    indices = rng.integers(0, 10_000, 3_000)
    value = (1 << bits) - 1
    by_numpy, by_python = StatusList(10_000, bits), StatusList(10_000, bits)
    by_numpy.set_many(indices, value)
    by_python.set_many(indices.tolist(), value)
    assert by_numpy == by_python
    by_numpy.set_many(indices[:100].astype(np.uint32), 0)
    by_python.set_many(indices[:100].tolist(), 0)
    assert by_numpy == by_python
    with pytest.raises(QrsealError):
        by_numpy.set_many(np.array([[1, 2]]), 1)
    with pytest.raises(QrsealError):
        by_numpy.set_many(np.array([10_000]), 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bits=st.sampled_from(ALLOWED_BITS),
    size=st.integers(0, 70),
    ops=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=60),
)
def test_random_get_set_sequences_agree_with_a_plain_list(
    bits: int, size: int, ops: list[tuple[int, int]]
) -> None:
    """Any sequence of sets leaves get() equal to a plain Python list, and the packed bytes
    and a CBOR round trip agree with it."""
    status_list = StatusList(size, bits)
    model = [0] * len(status_list)
    for raw_idx, raw_value in ops:
        if not model:
            break
        idx, value = raw_idx % len(model), raw_value % (1 << bits)
        status_list.set(idx, value)
        model[idx] = value
    assert [status_list.get(i) for i in range(len(model))] == model
    assert bytes(status_list.packed) == reference_pack(model, bits)
    assert StatusList.from_cbor(status_list.to_cbor(compression=Compression.RLE)) == status_list


def test_counts_and_copy() -> None:
    """counts() tallies every value; copy() is an equal, independent, writable list."""
    status_list = sample_list()
    assert status_list.counts() == {0: 997, 1: 2, 2: 1}
    twin = status_list.copy()
    twin.set(1, 3)
    assert status_list.get(1) == 0 and twin != status_list


def test_memory_is_proportional_to_the_packed_size() -> None:
    """8 M entries at 2 bits take 2 MB packed; creating and decoding such a list allocate
    little more than that (no per-entry objects)."""
    entries = 8_000_000
    tracemalloc.start()
    try:
        status_list = StatusList(entries, 2)
        created = tracemalloc.get_traced_memory()[1]
        status_list.set_many(range(0, entries, 1009), 1)
        encoded = status_list.to_cbor(compression=Compression.RLE)
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        decoded = StatusList.from_cbor(encoded)
        loaded = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(status_list.packed) == len(decoded.packed) == entries // 4
    assert created < 1.05 * entries // 4 + 65536
    assert loaded < 1.3 * entries // 4 + 2 * len(encoded)
    assert decoded == status_list


# --- CBOR decoding limits ------------------------------------------------------------------------


def zeros_stream(size: int) -> bytes:
    """A zlib stream of ``size`` zero bytes, built without holding them."""
    comp = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    out = [
        comp.compress(chunk[: min(len(chunk), size - done)]) for done in range(0, size, len(chunk))
    ]
    return b"".join(out) + comp.flush()


def test_list_inflating_beyond_the_cap_is_too_large() -> None:
    """A 64 MiB list in a ~64 KB stream is refused at a cap of 2^23 one-bit entries (1 MiB)
    after inflating at most the cap (the "zip bomb" never materialises); exactly the cap is
    accepted."""
    bomb = cbor2.dumps({"bits": 1, "lst": zeros_stream(64 << 20)})
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(QrsealError) as info:
            StatusList.from_cbor(bomb, max_entries=8 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.reason is Reason.TOO_LARGE
    assert peak < 8 << 20
    exact = cbor2.dumps({"bits": 1, "lst": zeros_stream(1 << 20)})
    assert len(StatusList.from_cbor(exact, max_entries=8 << 20)) == 8 << 20
    with pytest.raises(QrsealError) as info:
        StatusList.from_cbor(exact, max_entries=(8 << 20) - 8)
    assert info.value.reason is Reason.TOO_LARGE


@pytest.mark.parametrize(
    "lst",
    [
        b"",
        b"\x78\xda",
        zlib.compress(b"\x01\x02")[:-1],
        zlib.compress(b"\x01\x02") + b"\x00",
        b"\x00" * 10,
        zlib.compress(b"\x01\x02", wbits=-15),
    ],
)
def test_corrupt_truncated_or_trailing_lst_is_malformed_compression(lst: bytes) -> None:
    """Empty, truncated, corrupt, raw-deflate or trailing-byte lst streams are rejected."""
    with pytest.raises(QrsealError) as info:
        StatusList.from_cbor(cbor2.dumps({"bits": 1, "lst": lst}))
    assert info.value.reason is Reason.MALFORMED_COMPRESSION


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 3 * 65536 + 7, 1_000_003])
@pytest.mark.parametrize("kind", ["zeros", "cycle"])
def test_inflate_is_exact_at_and_around_output_slice_boundaries(size: int, kind: str) -> None:
    """Streams ending on, just before and just after the 64 KiB output slices inflate to
    exactly their data at a cap equal to their size, and are too large one byte below."""
    data = bytes(size) if kind == "zeros" else (bytes(range(256)) * (size // 256 + 1))[:size]
    stream = zlib.compress(data, 9)
    assert inflate_bounded(stream, size) == data
    if size:
        with pytest.raises(QrsealError) as info:
            inflate_bounded(stream, size - 1)
        assert info.value.reason is Reason.TOO_LARGE


def test_trailing_bytes_after_the_stream_in_a_later_input_chunk_are_rejected() -> None:
    """Bytes after the end of the zlib stream are found even past the first input slice."""
    with pytest.raises(QrsealError) as info:
        inflate_bounded(zlib.compress(bytes(100)) + bytes(1 << 19), 1 << 20)
    assert info.value.reason is Reason.MALFORMED_COMPRESSION


@pytest.mark.parametrize(
    "item",
    [
        [1, 2],
        {"bits": 3, "lst": zlib.compress(b"\x00")},
        {"bits": True, "lst": zlib.compress(b"\x00")},
        {"bits": [1], "lst": zlib.compress(b"\x00")},
        {"lst": zlib.compress(b"\x00")},
        {"bits": 1, "lst": "eNo="},
        {"bits": 1, "lst": zlib.compress(b"\x00"), "aggregation_uri": 5},
        {"bits": 1, "lst": zlib.compress(b"\x00"), "extra": 1},
    ],
)
def test_bad_status_list_maps_are_status_list_invalid(item: object) -> None:
    """Shapes the draft's CDDL does not allow are rejected as status_list_invalid."""
    with pytest.raises(QrsealError) as info:
        StatusList.from_cbor(cbor2.dumps(item))
    assert info.value.reason is Reason.STATUS_LIST_INVALID


def test_aggregation_uri_round_trips_in_the_drafts_key_order() -> None:
    """aggregation_uri is kept, written after bits and lst."""
    status_list = StatusList(8, 1, aggregation_uri="https://status.example.cn/dl/all")
    data = status_list.to_cbor()
    assert list(cbor2.loads(data)) == ["bits", "lst", "aggregation_uri"]
    assert StatusList.from_cbor(data).aggregation_uri == "https://status.example.cn/dl/all"


# --- signed tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", [Algorithm.ES256, Algorithm.EDDSA])
def test_sign_and_verify_round_trip(alg: Algorithm) -> None:
    """A signed list verifies into an equal, read-only list with every claim as signed."""
    status_list = sample_list()
    token, signer = signed(status_list, signer=make_signer(alg), issuer="CN-TEST")
    verified = verify_status_list(token, keys=keys_of(signer), now=NOW + HOUR, expected_uri=URI)
    assert verified.status_list == status_list and verified.status_list.readonly
    assert (verified.uri, verified.issuer, verified.kid, verified.algorithm) == (
        URI,
        "CN-TEST",
        signer.kid,
        alg,
    )
    assert (verified.issued_at, verified.expires_at, verified.ttl) == (NOW, NOW + 24 * HOUR, HOUR)
    assert verified.refresh_after == NOW + HOUR
    msg = cose.decode_sign1(token)
    assert msg.protected[HeaderLabel.TYP] == STATUS_LIST_TYP
    assert msg.protected[HeaderLabel.KID] == signer.kid
    with pytest.raises(QrsealError) as info:
        verified.status_list.set(0, 0)
    assert info.value.reason is Reason.INVALID_ARGUMENT


def test_claims_are_deterministic_and_optional_claims_can_be_left_out() -> None:
    """The claims map is written in ascending key order; ttl, exp and iss are optional."""
    token, signer = signed(sample_list(), ttl=None, valid_for=None)
    payload = cose.decode_sign1(token).payload
    assert list(cbor2.loads(payload)) == [2, 6, 65533]
    verified = verify_status_list(token, keys=keys_of(signer), now=NOW + 1000 * 24 * HOUR)
    assert (verified.expires_at, verified.ttl, verified.refresh_after) == (None, None, None)
    token, _ = signed(sample_list(), issuer="CN-TEST")
    assert list(cbor2.loads(cose.decode_sign1(token).payload)) == [1, 2, 4, 6, 65533, 65534]


def test_rle_compression_gives_the_same_list() -> None:
    """A token compressed with Compression.RLE verifies into the same list."""
    status_list = sample_list(100_000)
    token, signer = signed(status_list, compression=Compression.RLE)
    assert verify_status_list(token, keys=keys_of(signer), now=NOW).status_list == status_list


@pytest.mark.parametrize(
    "kwargs",
    [
        {"uri": ""},
        {"ttl": timedelta(0)},
        {"valid_for": timedelta(seconds=-5)},
        {"issuer": ""},
        {"now": datetime(2026, 1, 1)},
    ],
)
def test_bad_signing_arguments_are_invalid_argument(kwargs: dict[str, Any]) -> None:
    """An empty uri or issuer, a non-positive ttl or validity, a naive now are refused."""
    with pytest.raises(QrsealError) as info:
        signed(sample_list(), **kwargs)
    assert info.value.reason is Reason.INVALID_ARGUMENT


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def test_tampered_token_is_rejected() -> None:
    """Changing one payload byte (inside lst) or the signature breaks the signature."""
    token, signer = signed(sample_list())
    payload = cose.decode_sign1(token).payload
    in_payload = token.index(payload) + len(payload) - 3
    for position in (in_payload, len(token) - 1):
        with pytest.raises(QrsealError) as info:
            verify_status_list(_flip(token, position), keys=keys_of(signer), now=NOW)
        assert info.value.reason is Reason.SIGNATURE_INVALID


def test_wrongly_signed_token_is_rejected() -> None:
    """A token signed by another key fails under the trusted key of the same kid, and its
    own kid is unknown to the trusted pairs."""
    token, _ = signed(sample_list(), signer=make_signer(index=1))
    trusted = make_signer()
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=lambda kid: [trusted.public_key], now=NOW)
    assert info.value.reason is Reason.SIGNATURE_INVALID
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(trusted), now=NOW)
    assert info.value.reason is Reason.UNKNOWN_KEY
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=[], now=NOW)
    assert info.value.reason is Reason.INVALID_ARGUMENT


def test_algorithm_outside_the_allowed_set_is_refused() -> None:
    """An ES256 token is refused when only EdDSA is allowed."""
    token, signer = signed(sample_list())
    with pytest.raises(QrsealError) as info:
        verify_status_list(
            token, keys=keys_of(signer), now=NOW, allowed=frozenset({Algorithm.EDDSA})
        )
    assert info.value.reason is Reason.ALGORITHM_NOT_ALLOWED


def _custom_token(
    claims: dict[int, object], signer: LocalSigner, typ: object = STATUS_LIST_TYP
) -> bytes:
    extra = {} if typ is None else {int(HeaderLabel.TYP): typ}
    return cose.encode_sign1(
        cose.dumps_in_order(claims),
        alg=signer.algorithm,
        sign=signer.sign,
        kid=signer.kid,
        protected_extra=extra,
    )


def _good_claims() -> dict[int, object]:
    return {
        2: URI,
        6: int(NOW.timestamp()),
        4: int(NOW.timestamp()) + 3600,
        65533: sample_list().to_cbor_map(),
    }


@pytest.mark.parametrize("typ", [None, "application/cwt", "statuslist+cwt", 61])
def test_wrong_typ_is_rejected(typ: object) -> None:
    """A token whose protected typ is missing or not application/statuslist+cwt (a licence
    credential, a JWT-style value, a number) is not a status list."""
    signer = make_signer()
    token = _custom_token(_good_claims(), signer, typ)
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW)
    assert info.value.reason is Reason.STATUS_LIST_INVALID


def test_typ_only_in_the_unprotected_header_is_rejected() -> None:
    """typ must be integrity-protected."""
    signer = make_signer()
    token = cose.encode_sign1(
        cose.dumps_in_order(_good_claims()),
        alg=signer.algorithm,
        sign=signer.sign,
        kid=signer.kid,
        unprotected={int(HeaderLabel.TYP): STATUS_LIST_TYP},
    )
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW)
    assert info.value.reason is Reason.STATUS_LIST_INVALID


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({2: None}, Reason.MALFORMED_CLAIMS),
        ({2: ""}, Reason.MALFORMED_CLAIMS),
        ({6: None}, Reason.MALFORMED_CLAIMS),
        ({6: 1.5}, Reason.MALFORMED_CLAIMS),
        ({4: int(NOW.timestamp())}, Reason.MALFORMED_CLAIMS),
        ({65534: 0}, Reason.MALFORMED_CLAIMS),
        ({65534: True}, Reason.MALFORMED_CLAIMS),
        ({1: 7}, Reason.MALFORMED_CLAIMS),
        ({65533: None}, Reason.STATUS_LIST_INVALID),
        ({65533: {"bits": 1}}, Reason.STATUS_LIST_INVALID),
    ],
)
def test_bad_claims_are_rejected_after_the_signature(
    change: dict[int, object], reason: Reason
) -> None:
    """Missing or mistyped sub/iat, exp not after iat, ttl not positive, iss not text,
    a missing or bad status_list: each signed correctly, each rejected with its reason."""
    signer = make_signer()
    claims = _good_claims()
    for key, value in change.items():
        if value is None:
            del claims[key]
        else:
            claims[key] = value
    with pytest.raises(QrsealError) as info:
        verify_status_list(_custom_token(claims, signer), keys=keys_of(signer), now=NOW)
    assert info.value.reason is reason


def test_expired_list_is_rejected_unless_the_policy_grants_grace() -> None:
    """At exp the list is expired; an expiry grace (offline verifiers) accepts it until
    exp + grace, and not at exp + grace."""
    token, signer = signed(sample_list(), valid_for=HOUR)
    exp = NOW + HOUR
    verify_status_list(token, keys=keys_of(signer), now=exp - timedelta(seconds=1))
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=exp)
    assert info.value.reason is Reason.EXPIRED
    grace = timedelta(hours=6)
    verify_status_list(token, keys=keys_of(signer), now=exp + 5 * HOUR, expiry_grace=grace)
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=exp + grace, expiry_grace=grace)
    assert info.value.reason is Reason.EXPIRED


def test_list_issued_in_the_future_or_not_yet_valid_is_rejected() -> None:
    """iat later than now (beyond the clock skew) and nbf in the future are refused."""
    token, signer = signed(sample_list())
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW - timedelta(seconds=1))
    assert info.value.reason is Reason.ISSUED_IN_FUTURE
    verify_status_list(
        token,
        keys=keys_of(signer),
        now=NOW - timedelta(seconds=30),
        clock_skew=timedelta(seconds=60),
    )
    claims = {**_good_claims(), 5: int(NOW.timestamp()) + 60}
    with pytest.raises(QrsealError) as info:
        verify_status_list(_custom_token(claims, signer), keys=keys_of(signer), now=NOW)
    assert info.value.reason is Reason.NOT_YET_VALID


def test_oversized_token_or_list_is_too_large() -> None:
    """A token over max_bytes, or a list of more entries than max_entries, is too_large."""
    token, signer = signed(sample_list(80_000))
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW, max_bytes=len(token) - 1)
    assert info.value.reason is Reason.TOO_LARGE
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW, max_entries=79_996)
    assert info.value.reason is Reason.TOO_LARGE
    assert (
        len(
            verify_status_list(token, keys=keys_of(signer), now=NOW, max_entries=80_000).status_list
        )
        == 80_000
    )


def test_token_for_another_uri_is_rejected() -> None:
    """A valid token whose sub is not the URI it was fetched for is refused."""
    token, signer = signed(sample_list())
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW, expected_uri=URI + "1")
    assert info.value.reason is Reason.STATUS_LIST_INVALID


_MUTATION_TOKEN, _MUTATION_SIGNER = signed(sample_list(64, 2), uri="u", signer=make_signer())


@settings(max_examples=300, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "delete", "insert"]),
            st.integers(0, 10**6),
            st.integers(0, 255),
        ),
        min_size=1,
        max_size=4,
    ),
    truncate=st.integers(0, 20),
)
def test_random_token_mutations_only_raise_qrseal_errors(
    edits: list[tuple[str, int, int]], truncate: int
) -> None:
    """Flipped, deleted, inserted or truncated bytes never make anything but a QrsealError
    escape (a mutation in unsigned bytes may still verify)."""
    data = bytearray(_MUTATION_TOKEN)
    for kind, raw_position, byte in edits:
        position = raw_position % (len(data) + 1)
        if kind == "insert":
            data.insert(position, byte)
        elif data and position < len(data):
            if kind == "flip":
                data[position] ^= byte or 1
            else:
                del data[position]
    mutated = bytes(data[: len(data) - truncate])
    with contextlib.suppress(QrsealError):
        verify_status_list(mutated, keys=keys_of(_MUTATION_SIGNER), now=NOW)


# --- snapshots -----------------------------------------------------------------------------------


def verified_list(
    status_list: StatusList | None = None,
    *,
    uri: str = URI,
    now: datetime = NOW,
    valid_for: timedelta | None = 24 * HOUR,
) -> VerifiedStatusList:
    token, signer = signed(status_list or sample_list(), uri=uri, now=now, valid_for=valid_for)
    return verify_status_list(token, keys=keys_of(signer), now=now)


def test_lookup_maps_values_to_meanings_and_require_valid_raises() -> None:
    """0 is valid, 1 revoked (Revoked), 2 suspended (Suspended), each with its evidence."""
    snapshots = StatusSnapshots([verified_list()])
    later = NOW + HOUR
    result = snapshots.lookup(StatusReference(URI, 3), now=later, max_age=2 * HOUR)
    assert (result.status, result.meaning, result.snapshot_age, result.stale) == (
        0,
        StatusMeaning.VALID,
        HOUR,
        False,
    )
    result.require_valid()
    revoked = snapshots.lookup(StatusReference(URI, 0), now=later, max_age=2 * HOUR)
    assert revoked.meaning is StatusMeaning.REVOKED
    with pytest.raises(Revoked) as info:
        revoked.require_valid()
    assert (info.value.reason, info.value.uri, info.value.idx, info.value.status) == (
        Reason.REVOKED,
        URI,
        0,
        1,
    )
    suspended = snapshots.lookup(StatusReference(URI, 7), now=later, max_age=None)
    with pytest.raises(Suspended) as suspended_info:
        suspended.require_valid()
    assert suspended_info.value.reason is Reason.SUSPENDED


def test_application_values_follow_the_configured_meanings() -> None:
    """Value 3 has no meaning by default (status_unavailable, fail closed); a configured
    mapping gives it one."""
    status_list = StatusList(16, 2)
    status_list.set(5, 3)
    verified = verified_list(status_list)
    result = StatusSnapshots([verified]).lookup(StatusReference(URI, 5), now=NOW, max_age=None)
    assert (result.status, result.meaning) == (3, StatusMeaning.UNKNOWN)
    with pytest.raises(StatusUnavailable) as info:
        result.require_valid()
    assert info.value.status == 3
    custom = StatusSnapshots(
        [verified], meanings={0: StatusMeaning.VALID, 3: StatusMeaning.SUSPENDED}
    )
    assert (
        custom.lookup(StatusReference(URI, 5), now=NOW, max_age=None).meaning
        is StatusMeaning.SUSPENDED
    )
    with pytest.raises(QrsealError) as bad:
        StatusSnapshots(meanings={256: StatusMeaning.VALID})
    assert bad.value.reason is Reason.INVALID_ARGUMENT


def test_missing_list_raises_or_flags_per_policy() -> None:
    """No list for the URI: StatusUnavailable, or with FLAG a stale result with no status."""
    ref = StatusReference("https://status.example.cn/dl/9", 1)
    with pytest.raises(StatusUnavailable) as info:
        StatusSnapshots([verified_list()]).lookup(ref, now=NOW, max_age=HOUR)
    assert (info.value.reason, info.value.uri, info.value.age) == (
        Reason.STATUS_UNAVAILABLE,
        ref.uri,
        None,
    )
    result = StatusSnapshots().lookup(
        ref, now=NOW, max_age=HOUR, when_unavailable=WhenUnavailable.FLAG
    )
    assert (result.status, result.meaning, result.snapshot_age, result.stale) == (
        None,
        StatusMeaning.UNKNOWN,
        None,
        True,
    )
    with pytest.raises(StatusUnavailable):
        result.require_valid()


def test_list_older_than_max_age_raises_or_flags_per_policy() -> None:
    """A list older than max_age is unavailable, or with FLAG gives its value marked stale."""
    snapshots = StatusSnapshots([verified_list()])
    ref = StatusReference(URI, 0)
    late = NOW + 3 * HOUR
    assert not snapshots.lookup(ref, now=NOW + 2 * HOUR, max_age=2 * HOUR).stale
    with pytest.raises(StatusUnavailable) as info:
        snapshots.lookup(ref, now=late, max_age=2 * HOUR)
    assert info.value.age == 3 * HOUR
    result = snapshots.lookup(
        ref, now=late, max_age=2 * HOUR, when_unavailable=WhenUnavailable.FLAG
    )
    assert (result.status, result.meaning, result.stale) == (1, StatusMeaning.REVOKED, True)
    with pytest.raises(StatusUnavailable):
        result.require_valid()


def test_list_past_its_exp_is_stale_unless_within_the_grace() -> None:
    """At lookup time a list past exp is unavailable; the store's expiry grace extends it."""
    verified = verified_list(valid_for=HOUR)
    ref = StatusReference(URI, 3)
    with pytest.raises(StatusUnavailable):
        StatusSnapshots([verified]).lookup(ref, now=NOW + HOUR, max_age=None)
    graced = StatusSnapshots([verified], expiry_grace=2 * HOUR)
    assert not graced.lookup(ref, now=NOW + 2 * HOUR, max_age=None).stale
    with pytest.raises(StatusUnavailable):
        graced.lookup(ref, now=NOW + 3 * HOUR, max_age=None)


def test_index_outside_the_list_is_status_list_invalid() -> None:
    """An index beyond the list cannot be answered under any policy."""
    snapshots = StatusSnapshots([verified_list(StatusList(16, 2))])
    for policy in WhenUnavailable:
        with pytest.raises(QrsealError) as info:
            snapshots.lookup(
                StatusReference(URI, 16), now=NOW, max_age=None, when_unavailable=policy
            )
        assert info.value.reason is Reason.STATUS_LIST_INVALID


def test_with_list_is_immutable_and_never_rolls_back() -> None:
    """with_list returns a new store; a newer list replaces an older one, never the reverse."""
    old_list = sample_list()
    new_list = old_list.copy()
    new_list.set(3, 1)
    old = verified_list(old_list)
    new = verified_list(new_list, now=NOW + HOUR)
    empty = StatusSnapshots()
    one = empty.with_list(old)
    assert (len(empty), len(one), one.uris, URI in one) == (0, 1, (URI,), True)
    updated = one.with_list(new)
    assert updated.get(URI) is new and one.get(URI) is old
    assert updated.with_list(old).get(URI) is new
    ref = StatusReference(URI, 3)
    assert updated.lookup(ref, now=NOW + HOUR, max_age=None).meaning is StatusMeaning.REVOKED


def test_naive_now_is_refused_by_lookup() -> None:
    """lookup needs a timezone-aware now."""
    with pytest.raises(QrsealError) as info:
        StatusSnapshots().lookup(StatusReference(URI, 0), now=datetime(2026, 1, 1), max_age=None)
    assert info.value.reason is Reason.INVALID_ARGUMENT


# --- the status claim and shards -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        [],
        {},
        {"status_list": 5},
        {"status_list": {"idx": -1, "uri": URI}},
        {"status_list": {"idx": True, "uri": URI}},
        {"status_list": {"idx": 1}},
        {"status_list": {"idx": 1, "uri": ""}},
    ],
)
def test_bad_status_claims_are_malformed_claims(value: object) -> None:
    """A status claim without a well-typed status_list reference is malformed."""
    with pytest.raises(QrsealError) as info:
        decode_status_claim(value)
    assert info.value.reason is Reason.MALFORMED_CLAIMS


def test_status_claim_ignores_other_mechanisms_and_members() -> None:
    """Other status mechanisms and extra members of status_list are allowed and ignored."""
    claim = {"status_list": {"idx": 4, "uri": URI, "x": 1}, "other": {}}
    assert decode_status_claim(claim) == StatusReference(URI, 4)


def test_shard_scheme_addresses_and_splits() -> None:
    """Global index g lives at idx g % S of shard g // S; split() yields byte-aligned shards
    whose entries equal the global list's."""
    scheme = ShardScheme("https://status.example.cn/dl/{shard}", 64)
    assert scheme.reference(0) == StatusReference("https://status.example.cn/dl/0", 0)
    assert scheme.reference(200) == StatusReference("https://status.example.cn/dl/3", 8)
    assert scheme.shard_count(200) == 4 and scheme.shard_count(192) == 3
    whole = StatusList(200, 2)
    whole.set_many([0, 63, 64, 199], 2)
    shards = dict(scheme.split(whole))
    assert [len(s) for s in shards.values()] == [64, 64, 64, 8]
    for g in range(len(whole)):
        ref = scheme.reference(g)
        assert shards[ref.uri].get(ref.idx) == whole.get(g)


@pytest.mark.parametrize(
    "args",
    [
        ("https://x/", 64),
        ("https://x/{shard}/{shard}", 64),
        ("https://x/{shard}", 12),
        ("https://x/{shard}", 0),
    ],
)
def test_bad_shard_schemes_are_refused(args: tuple[str, int]) -> None:
    """A template without exactly one {shard}, or a shard size not a positive multiple of 8."""
    with pytest.raises(QrsealError) as info:
        ShardScheme(*args)
    assert info.value.reason is Reason.INVALID_ARGUMENT


def test_sharded_lists_verify_and_look_up_through_the_store() -> None:
    """Each shard signed under its own URI; a store holding only one shard answers the
    credentials of that shard and reports the others unavailable."""
    scheme = ShardScheme("https://status.example.cn/dl/{shard}", 1024)
    whole = StatusList(3000, 2)
    whole.set_many([5, 1500, 2999], 1)
    signer = make_signer()
    tokens = {
        uri: sign_status_list(part, signer=signer, uri=uri, now=NOW, ttl=HOUR, valid_for=HOUR)
        for uri, part in scheme.split(whole)
    }
    ref = scheme.reference(1500)
    held = verify_status_list(tokens[ref.uri], keys=keys_of(signer), now=NOW, expected_uri=ref.uri)
    snapshots = StatusSnapshots([held])
    assert snapshots.lookup(ref, now=NOW, max_age=HOUR).meaning is StatusMeaning.REVOKED
    with pytest.raises(StatusUnavailable):
        snapshots.lookup(scheme.reference(5), now=NOW, max_age=HOUR)


# --- CLI and example ------------------------------------------------------------------------------


def test_cli_init_set_publish_show(
    tmp_path: Path, issuer_keys: tuple[Path, Path], cli: Cli
) -> None:
    """init -> set -> publish -> show verifies offline and reports counts and lookups."""
    private, public = issuer_keys
    lst, token = tmp_path / "list.cbor", tmp_path / "list.cwt"
    assert cli("status", "init", str(lst), "--entries", "1e4", "--bits", "2")[0] == 0
    code, text = cli("status", "set", str(lst), "17=revoked", "42=suspended", "43=3")
    assert code == 0 and "17 = 1 (revoked)" in text
    code, text = cli(
        "status", "publish", str(lst), "--key", str(private), "--uri", URI, "--out", str(token),
        "--now", "2026-11-25T09:00:00Z", "--ttl", "1h", "--valid-for", "1d",
    )  # fmt: skip
    assert code == 0 and "10000 entries" in text
    code, text = cli(
        "status", "show", str(token), "--key", str(public), "--index", "17", "--index", "0",
        "--uri", URI, "--now", "2026-11-25T10:00:00Z",
    )  # fmt: skip
    assert code == 0
    assert "valid 9,997, revoked 1, suspended 1, 3 1" in text
    assert "index 17   1 (revoked)" in text and "index 0    0 (valid)" in text
    code, text = cli(
        "status", "show", str(token), "--key", str(public), "--json", "--index", "42",
        "--now", "2026-11-25T10:00:00Z",
    )  # fmt: skip
    report = json.loads(text)
    assert code == 0 and report["counts"] == {"0": 9997, "1": 1, "2": 1, "3": 1}
    assert report["lookups"] == {"42": {"status": 2, "meaning": "suspended"}}


def test_cli_failures_exit_1_with_the_reason_and_usage_errors_exit_2(
    tmp_path: Path, issuer_keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str], cli: Cli
) -> None:
    """An expired or wrongly keyed token exits 1 naming the reason; bad input exits 2."""
    private, _ = issuer_keys
    lst, token = tmp_path / "list.cbor", tmp_path / "list.cwt"
    cli("status", "init", str(lst), "--entries", "64")
    cli(
        "status", "publish", str(lst), "--key", str(private), "--uri", URI, "--out", str(token),
        "--now", "2026-11-25T09:00:00Z", "--valid-for", "1h", "--compression", "rle",
    )  # fmt: skip
    other = tmp_path / "other.pub.pem"
    other.write_bytes(public_key_to_pem(generate_private_key()))
    assert cli("status", "show", str(token), "--key", str(other))[0] == 1
    assert "signature_invalid" in capsys.readouterr().err
    _, public = issuer_keys
    late = "2026-11-25T10:00:00Z"
    assert cli("status", "show", str(token), "--key", str(public), "--now", late)[0] == 1
    assert "expired" in capsys.readouterr().err
    assert cli("status", "set", str(lst), "99=1")[0] == 1
    assert cli("status", "set", str(lst), "seven=1")[0] == 2
    assert cli("status", "init", str(lst), "--entries", "8")[0] == 2
    assert cli("status", "show", str(token))[0] == 2
    assert cli("status", "show", str(tmp_path / "missing.cwt"), "--key", str(public))[0] == 2


def test_status_publisher_example_publishes_verifiable_shards(tmp_path: Path) -> None:
    """examples/status_publisher.py writes one token per shard and the aggregation; each
    verifies and says what the changes file asked for."""
    changes = tmp_path / "changes.csv"
    changes.write_text("5,revoked\n70000,suspended\n99999,1\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable, str(ROOT / "examples" / "status_publisher.py"),
            "--entries", "100000", "--shard-size", "32768", "--changes", str(changes),
            "--revoke-fraction", "0.001", "--out", str(out), "--now", "2026-11-25T09:00:00Z",
            "--template", "https://status.example.cn/dl/{shard}",
        ],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    aggregation = json.loads((out / "aggregation.json").read_text(encoding="utf-8"))
    assert len(aggregation["status_lists"]) == 4
    public = load_public_key_pem((out / "issuer.pub.pem").read_bytes())
    scheme = ShardScheme("https://status.example.cn/dl/{shard}", 32768)
    snapshots = StatusSnapshots()
    for shard, uri in enumerate(aggregation["status_lists"]):
        token = (out / f"shard-{shard}.cwt").read_bytes()
        snapshots = snapshots.with_list(
            verify_status_list(token, keys=lambda kid: [public], now=NOW, expected_uri=uri)
        )
    for index, meaning in (
        (5, StatusMeaning.REVOKED),
        (70000, StatusMeaning.SUSPENDED),
        (99999, StatusMeaning.REVOKED),
    ):
        assert snapshots.lookup(scheme.reference(index), now=NOW, max_age=HOUR).meaning is meaning


# --- issue 9: bounded lists, bounded indices, dates at the end of time ----------------------------


def _bomb_token(packed_bytes: int, bits: int = 2) -> tuple[bytes, LocalSigner]:
    """A genuinely signed token whose lst is packed_bytes of zeros, deflated (about 1/1000)."""
    comp = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [comp.compress(chunk) for _ in range(packed_bytes >> 20)]
    lst = b"".join(parts) + comp.flush()
    signer = make_signer()
    claims = {2: URI, 6: int(NOW.timestamp()), 65533: {"bits": bits, "lst": lst}}
    return _custom_token(claims, signer), signer


def test_status_list_bomb_is_refused_within_bounded_memory() -> None:
    """issue 9 item 6: a 255 KB token inflating to 256 MiB is refused (too_large) by default,
    and refusing it costs a few MiB, not the 256 MiB it claims."""
    token, signer = _bomb_token(256 << 20)
    assert len(token) < 300_000
    tracemalloc.start()
    try:
        with pytest.raises(QrsealError) as info:
            verify_status_list(token, keys=keys_of(signer), now=NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.reason is Reason.TOO_LARGE
    assert peak < 16 << 20


def test_list_cap_follows_the_expected_shard_size_and_bits() -> None:
    """issue 9 item 6: the inflate cap is max_entries x bits: one recommended shard (2^24
    entries) by default, so a 2^24-entry list loads at every width and a larger one only when
    the caller opts in (max_entries)."""
    for bits in (1, 8):
        token, signer = signed(StatusList(DEFAULT_MAX_ENTRIES, bits))
        assert len(verify_status_list(token, keys=keys_of(signer), now=NOW).status_list) == (
            DEFAULT_MAX_ENTRIES
        )
        big, signer = signed(StatusList(DEFAULT_MAX_ENTRIES + 64, bits))
        with pytest.raises(QrsealError) as info:
            verify_status_list(big, keys=keys_of(signer), now=NOW)
        assert info.value.reason is Reason.TOO_LARGE
        opted = verify_status_list(
            big, keys=keys_of(signer), now=NOW, max_entries=DEFAULT_MAX_ENTRIES + 64
        )
        assert len(opted.status_list) == DEFAULT_MAX_ENTRIES + 64
    assert MAX_SINGLE_LIST_ENTRIES >= 500_000_000


@pytest.mark.parametrize("idx", [2**32, 2**64, 2**15000, -1], ids=["2^32", "2^64", "2^15000", "-1"])
def test_status_index_out_of_range_is_malformed_claims(idx: int) -> None:
    """issue 9 item 4: an idx beyond 2^32 - 1 (a bignum included) is malformed_claims, never
    an untyped error."""
    with pytest.raises(QrsealError) as info:
        decode_status_claim({"status_list": {"idx": idx, "uri": URI}})
    assert info.value.reason is Reason.MALFORMED_CLAIMS
    assert decode_status_claim({"status_list": {"idx": 2**32 - 1, "uri": URI}}).idx == 2**32 - 1


def test_maximal_exp_and_ttl_with_grace_do_not_overflow() -> None:
    """issue 9 item 4: exp and iat at 9999-12-31T23:59:59Z, a ttl of 10^10 s, clock skew and
    grace: verified, stored and looked up without OverflowError."""
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    signer = make_signer()
    claims = {
        2: URI,
        4: int(last.timestamp()),
        6: int(last.timestamp()) - 1,
        65533: sample_list().to_cbor_map(),
        65534: 10**10,
    }
    token = _custom_token(claims, signer)
    big = timedelta(days=999_999_000)
    verified = verify_status_list(
        token, keys=keys_of(signer), now=NOW, clock_skew=big, expiry_grace=big
    )
    assert verified.refresh_after is not None and verified.refresh_after >= last
    store = StatusSnapshots([verified], expiry_grace=big)
    result = store.lookup(StatusReference(URI, 0), now=NOW, max_age=None)
    assert result.meaning is StatusMeaning.REVOKED
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=last)
    assert info.value.reason is Reason.EXPIRED


def test_store_holds_one_list_per_uri_and_signer() -> None:
    """issue 9 item 1: a later list from another issuer's key is held beside, not instead of,
    the issuer's own; lookup reads only the list of the issuer asked for."""
    mine, theirs = make_signer(), make_signer(index=9)
    trust = TrustStore([TrustedKey(mine.public_key, "CN-A"), TrustedKey(theirs.public_key, "CN-B")])
    resolve = trust.status_key_resolver()
    own, _ = signed(sample_list(), signer=mine)
    later, _ = signed(StatusList(1000, 2), signer=theirs, now=NOW + HOUR)
    lists = [verify_status_list(t, keys=resolve, now=NOW + HOUR) for t in (own, later)]
    for order in (lists, lists[::-1]):
        store = StatusSnapshots(order)
        assert (len(store), store.uris) == (2, (URI,))
        assert store.get(URI, "CN-A") is lists[0] and store.get(URI, "CN-B") is lists[1]
        assert store.get(URI) is None
        ref = StatusReference(URI, 0)
        assert store.lookup(ref, now=NOW + HOUR, max_age=None, issuer="CN-A").status == 1
        assert store.lookup(ref, now=NOW + HOUR, max_age=None, issuer="CN-B").status == 0
