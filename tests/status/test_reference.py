"""The status claim and shards (qrseal.status.reference)."""

from __future__ import annotations

import pytest

from qrseal.errors import InvalidArgument, QrsealError, Reason
from qrseal.status.lists import (
    StatusList,
)
from qrseal.status.reference import (
    MAX_STATUS_INDEX,
    ShardScheme,
    StatusReference,
    decode_status_claim,
    encode_status_claim,
)
from qrseal.wire import cose
from tests.status.support import URI, draft_hex, draft_key


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


@pytest.mark.parametrize("idx", [2**32, 2**64, 2**15000, -1], ids=["2^32", "2^64", "2^15000", "-1"])
def test_status_index_out_of_range_is_malformed_claims(idx: int) -> None:
    """issue 9 item 4: an idx beyond 2^32 - 1 (a bignum included) is malformed_claims, never
    an untyped error."""
    with pytest.raises(QrsealError) as info:
        decode_status_claim({"status_list": {"idx": idx, "uri": URI}})
    assert info.value.reason is Reason.MALFORMED_CLAIMS
    assert decode_status_claim({"status_list": {"idx": 2**32 - 1, "uri": URI}}).idx == 2**32 - 1


def test_reference_index_exactly_max_status_index_is_accepted_and_one_more_is_not() -> None:
    """StatusReference and the status claim take idx up to MAX_STATUS_INDEX inclusive; one
    more is InvalidArgument (API) or malformed_claims (a received claim)."""
    assert MAX_STATUS_INDEX == 2**32 - 1
    assert StatusReference(URI, MAX_STATUS_INDEX).idx == MAX_STATUS_INDEX
    with pytest.raises(InvalidArgument):
        StatusReference(URI, MAX_STATUS_INDEX + 1)
    claim = encode_status_claim(StatusReference(URI, MAX_STATUS_INDEX))
    assert decode_status_claim(claim) == StatusReference(URI, MAX_STATUS_INDEX)
    with pytest.raises(QrsealError) as info:
        decode_status_claim({"status_list": {"idx": MAX_STATUS_INDEX + 1, "uri": URI}})
    assert info.value.reason is Reason.MALFORMED_CLAIMS
