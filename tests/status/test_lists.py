"""The packed status list (qrseal.status.lists): the draft's examples byte for byte, packing at
every width, CBOR form and the bounded inflate."""

from __future__ import annotations

import tracemalloc
import zlib
from collections.abc import Callable

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrseal.errors import QrsealError, Reason
from qrseal.status.lists import (
    ALLOWED_BITS,
    DEFAULT_MAX_ENTRIES,
    MAX_SINGLE_LIST_ENTRIES,
    Compression,
    StatusList,
    inflate_bounded,
    list_cap,
)
from qrseal.status.token import (
    verify_status_list,
)
from tests.status.support import (
    DRAFT_LONG,
    DRAFT_SHORT,
    NOW,
    draft_hex,
    keys_of,
    reference_pack,
    sample_list,
    signed,
    zeros_stream,
)


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


@pytest.mark.parametrize("size", [MAX_SINGLE_LIST_ENTRIES + 1, 1 << 40])
def test_new_list_beyond_the_single_list_cap_is_refused_before_allocating(size: int) -> None:
    """A list larger than one unsharded national list is an InvalidArgument, not a
    MemoryError from allocating it first (2**40 entries x 8 bits would be 1 TiB)."""
    tracemalloc.start()
    try:
        with pytest.raises(QrsealError) as info:
            StatusList(size, 8)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.reason is Reason.INVALID_ARGUMENT
    assert peak < 1 << 20
    assert len(StatusList(MAX_SINGLE_LIST_ENTRIES, 1)) == MAX_SINGLE_LIST_ENTRIES


# --- boundaries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 1000, (1 << 16) + 3])
def test_inflate_exactly_at_the_limit_succeeds_and_one_byte_over_is_too_large(size: int) -> None:
    """A stream of exactly ``limit`` bytes inflates; the same stream with a limit one byte
    smaller is too_large."""
    stream = zlib.compress(bytes(range(256)) * (size // 256) + bytes(size % 256), 9)
    assert len(inflate_bounded(stream, size)) == size
    if size:
        with pytest.raises(QrsealError) as info:
            inflate_bounded(stream, size - 1)
        assert info.value.reason is Reason.TOO_LARGE


@pytest.mark.parametrize("bits", ALLOWED_BITS)
def test_list_of_exactly_max_entries_decodes_and_one_byte_more_is_too_large(bits: int) -> None:
    """The decode cap is ``list_cap(max_entries, bits)`` packed bytes: a list of exactly
    max_entries entries decodes, one more byte of entries is too_large."""
    per_byte = 8 // bits
    max_entries = 1024
    exact = StatusList(max_entries, bits).to_cbor_map()
    assert len(StatusList.from_cbor_map(exact, max_entries=max_entries)) == max_entries
    over = StatusList(max_entries + per_byte, bits).to_cbor_map()
    with pytest.raises(QrsealError) as info:
        StatusList.from_cbor_map(over, max_entries=max_entries)
    assert info.value.reason is Reason.TOO_LARGE
    assert list_cap(max_entries, bits) == max_entries // per_byte
